//! The rules compiled for the kernel programs' prefilter
//! (`sensor_common::rules`): every `always` rule, its syscalls as a bit
//! mask, its cheap fields as (field, op, value). Exact evaluation stays in
//! userspace (`eval`).

use std::collections::HashMap;

use sensor_common::rules::{
    field, outcome, KernelPredicate, KernelRange, KernelRulesMeta, KEEP_ALL, KERNEL_PREDICATES_MAX,
    SLOTS, SLOT_PREDICATES_MAX,
};

use super::{eval::PROCESS_TABLE_EXECS, Action, Arch, FieldName, Op, Rule, RuleFile, Value};

/// `ctx->return_valid` values the kernel compares `success` with.
const AUDITSC_SUCCESS: u32 = 1;
const AUDITSC_FAILURE: u32 = 2;

pub struct KernelRules {
    pub meta: KernelRulesMeta,
    pub predicates: Vec<KernelPredicate>,
    /// Each syscall slot's range (slots no `always` rule can record have
    /// none: count 0, nothing is kept).
    pub ranges: Vec<KernelRange>,
}

/// The comparison outcomes an operator accepts.
fn accepted(op: Op) -> u32 {
    use outcome::*;
    match op {
        Op::Eq => EQUAL,
        Op::Ne => LESS | GREATER,
        Op::Lt => LESS,
        Op::Gt => GREATER,
        Op::Le => LESS | EQUAL,
        Op::Ge => EQUAL | GREATER,
        Op::BitAnd => SOME_BITS,
        Op::BitTest => ALL_BITS,
    }
}

/// A rule's predicates: one that opens it, then one per cheap field.
/// Fields the kernel cannot see cheaply (exe, path, dir, comparisons of
/// two fields) are left out: they count as matching.
fn rule_predicates(rule: &Rule) -> Vec<KernelPredicate> {
    let mut out = vec![KernelPredicate {
        first: 1,
        field: field::NONE,
        accept: outcome::ANY,
        value: 0,
    }];
    for f in &rule.fields {
        let Value::Num(value) = f.value else { continue };
        let (id, value) = match f.name {
            // Decided per arch already (`Rule::constant`), or evaluated
            // exactly in userspace.
            FieldName::Arch => continue,
            FieldName::Pid => (field::PID, value),
            FieldName::Ppid => (field::PPID, value),
            FieldName::Uid => (field::UID, value),
            FieldName::Euid => (field::EUID, value),
            FieldName::Suid => (field::SUID, value),
            FieldName::Fsuid => (field::FSUID, value),
            FieldName::Gid => (field::GID, value),
            FieldName::Egid => (field::EGID, value),
            FieldName::Sgid => (field::SGID, value),
            FieldName::Fsgid => (field::FSGID, value),
            FieldName::Auid => (field::AUID, value),
            FieldName::Ses => (field::SES, value),
            FieldName::Success => (
                field::SUCCESS,
                if value == 0 {
                    AUDITSC_FAILURE
                } else {
                    AUDITSC_SUCCESS
                },
            ),
            FieldName::Exit => (field::EXIT, value),
            FieldName::Arg(n) => (field::A0 + n as u32, value),
            FieldName::Exe | FieldName::Path | FieldName::Dir => continue,
        };
        out.push(KernelPredicate {
            first: 0,
            field: id,
            accept: accepted(f.op),
            value,
        });
    }
    out
}

/// Compiles `rules`: for each syscall some `always` rule can record, the
/// predicates of every `always` rule that may apply to it, in order
/// (slots with the same rules share one run). A syscall whose rules have
/// more predicates than the kernel tests keeps every event, and so does
/// every exec, which the process table needs ([`RuleFile::traced`]); a
/// rule set the kernel cannot hold turns the
/// prefilter off rather than dropping anything.
pub fn compile(rules: &RuleFile) -> KernelRules {
    let off = KernelRules {
        meta: KernelRulesMeta::default(),
        predicates: Vec::new(),
        ranges: Vec::new(),
    };
    let mut predicates = Vec::new();
    let mut ranges = vec![KernelRange::default(); SLOTS as usize];
    // Runs already written, by the rules they hold.
    let mut runs: HashMap<Vec<usize>, KernelRange> = HashMap::new();
    for id in rules.traced() {
        if id.arch == Arch::X86_64 && PROCESS_TABLE_EXECS.contains(&id.nr) {
            // Every exec, whatever the rules' fields: the process table
            // follows them all (`RuleFile::traced`).
            ranges[id.slot() as usize] = KernelRange {
                start: 0,
                count: KEEP_ALL,
            };
            continue;
        }
        let which: Vec<usize> = rules
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.action == Action::Always
                    && r.syscalls.contains(id.nr)
                    && r.constant(id.arch) != Some(false)
            })
            .map(|(i, _)| i)
            .collect();
        let range = match runs.get(&which) {
            Some(range) => *range,
            None => {
                let run: Vec<KernelPredicate> = which
                    .iter()
                    .flat_map(|&i| rule_predicates(&rules.rules[i]))
                    .collect();
                let range = if run.len() > SLOT_PREDICATES_MAX as usize {
                    KernelRange {
                        start: 0,
                        count: KEEP_ALL,
                    }
                } else {
                    let range = KernelRange {
                        start: predicates.len() as u32,
                        count: run.len() as u32,
                    };
                    predicates.extend(run);
                    range
                };
                runs.insert(which, range);
                range
            }
        };
        if predicates.len() > KERNEL_PREDICATES_MAX {
            return off;
        }
        ranges[id.slot() as usize] = range;
    }
    KernelRules {
        meta: KernelRulesMeta {
            enabled: 1,
            count: predicates.len() as u32,
        },
        predicates,
        ranges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse::{parse_text, Names};
    use crate::rules::SyscallId;
    use sensor_common::syscalls::Arch;

    fn compiled(text: &str) -> KernelRules {
        compile(&parse_text("t.rules", text, &Names::default(), false).unwrap())
    }

    fn predicate(field: u32, accept: u32, value: u32) -> KernelPredicate {
        KernelPredicate {
            first: 0,
            field,
            accept,
            value,
        }
    }

    fn run(k: &KernelRules, id: SyscallId) -> &[KernelPredicate] {
        let r = k.ranges[id.slot() as usize];
        &k.predicates[r.start as usize..(r.start + r.count) as usize]
    }

    #[test]
    fn always_rules_compile_to_their_cheap_fields_per_syscall() {
        let k = compiled(
            "-a never,exit -F arch=b64 -S openat -F uid=0\n\
             -a always,exit -F arch=b64 -S openat,mmap -F auid>=1000 -F auid!=unset -F a2&0x4 -F exe=/bin/x -k x\n\
             -a always,exit -F arch=b64 -S connect -F success=0\n",
        );
        assert_eq!(k.meta.enabled, 1);
        let openat = run(&k, SyscallId::x86_64(257));
        // The never rule is left out; exe is left to userspace.
        assert_eq!(
            openat,
            [
                KernelPredicate {
                    first: 1,
                    field: field::NONE,
                    accept: outcome::ANY,
                    value: 0
                },
                predicate(field::AUID, outcome::EQUAL | outcome::GREATER, 1000),
                predicate(field::AUID, outcome::LESS | outcome::GREATER, u32::MAX),
                predicate(field::A0 + 2, outcome::SOME_BITS, 4),
            ]
        );
        // mmap has the same rules: one run, shared.
        assert_eq!(
            k.ranges[257], k.ranges[9],
            "syscalls with the same rules share their predicates"
        );
        // Every exec is kept for the process table, named by no rule.
        for exec in [59, 322] {
            assert_eq!(k.ranges[exec].count, KEEP_ALL);
        }
        let connect = run(&k, SyscallId::x86_64(42));
        assert_eq!(connect.len(), 2);
        assert_eq!(
            connect[1],
            predicate(field::SUCCESS, outcome::EQUAL, AUDITSC_FAILURE)
        );
        // No rule records socket: nothing kept.
        assert_eq!(k.ranges[41].count, 0);
    }

    #[test]
    fn the_architectures_have_their_own_slots() {
        let k = compiled(
            "-a always,exit -F arch=b32 -S stime -F auid>=1000\n\
             -a always,exit -F arch=b64 -S settimeofday\n",
        );
        let stime = SyscallId {
            arch: Arch::I386,
            nr: 25,
        };
        assert_eq!(run(&k, stime).len(), 2);
        assert_eq!(run(&k, SyscallId::x86_64(164)).len(), 1);
        // i386's settimeofday (79) is not named by the b64 rule.
        let i386_settimeofday = SyscallId {
            arch: Arch::I386,
            nr: 79,
        };
        assert_eq!(k.ranges[i386_settimeofday.slot() as usize].count, 0);
    }

    #[test]
    fn too_many_predicates_keep_everything_never_drop() {
        let k = compiled("-a always,exit -F arch=b64 -F arch!=b64 -S socket\n");
        assert_eq!(
            k.ranges[41].count, 0,
            "a rule that cannot match keeps nothing"
        );
        let many: String = (0..70)
            .map(|i| format!("-a always,exit -F arch=b64 -S socket -F uid={i}\n"))
            .collect();
        assert_eq!(compiled(&many).ranges[41].count, KEEP_ALL);
    }
}
