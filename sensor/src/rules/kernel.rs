//! The rules compiled for the kernel programs' prefilter
//! (`sensor_common::rules`): every `always` rule, its syscalls as a bit
//! mask, its cheap fields as (field, op, value). Exact evaluation stays in
//! userspace (`eval`).

use sensor_common::rules::{
    field, outcome, syscall_bit, KernelPredicate, KernelRulesMeta, KERNEL_PREDICATES_MAX,
};

use super::{Action, FieldName, Op, RuleFile, Syscalls, Value, AUDIT_ARCH_X86_64};

/// `ctx->return_valid` values the kernel compares `success` with.
const AUDITSC_SUCCESS: u32 = 1;
const AUDITSC_FAILURE: u32 = 2;

pub struct KernelRules {
    pub meta: KernelRulesMeta,
    pub predicates: Vec<KernelPredicate>,
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

/// Compiles `rules`; a rule set the kernel cannot hold (too many
/// predicates) turns the prefilter off rather than dropping anything.
pub fn compile(rules: &RuleFile) -> KernelRules {
    let off = KernelRules {
        meta: KernelRulesMeta::default(),
        predicates: Vec::new(),
    };
    let mut compiled = Vec::new();
    for rule in rules.rules.iter().filter(|r| r.action == Action::Always) {
        let syscalls = match &rule.syscalls {
            Syscalls::All => return off,
            Syscalls::Only(set) => set.iter().fold(0, |mask, nr| mask | syscall_bit(*nr)),
        };
        // The rule opens with a predicate that always holds.
        let mut predicates = vec![KernelPredicate {
            first: 1,
            syscalls,
            field: field::NONE,
            accept: outcome::ANY,
            value: 0,
        }];
        let mut can_match = true;
        for f in &rule.fields {
            let Value::Num(value) = f.value else { continue }; // exe, path, dir: maybe
            let (id, value) = match f.name {
                FieldName::Arch => {
                    can_match &= super::eval::compare(AUDIT_ARCH_X86_64, f.op, value);
                    continue;
                }
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
            predicates.push(KernelPredicate {
                first: 0,
                syscalls: 0,
                field: id,
                accept: accepted(f.op),
                value,
            });
        }
        if !can_match || syscalls == 0 {
            continue;
        }
        if compiled.len() + predicates.len() > KERNEL_PREDICATES_MAX {
            return off;
        }
        compiled.extend(predicates);
    }
    KernelRules {
        meta: KernelRulesMeta {
            enabled: 1,
            count: compiled.len() as u32,
        },
        predicates: compiled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse::{parse_text, Names};

    fn compiled(text: &str) -> KernelRules {
        compile(&parse_text("t.rules", text, &Names::default(), false).unwrap())
    }

    fn predicate(field: u32, accept: u32, value: u32) -> KernelPredicate {
        KernelPredicate {
            first: 0,
            syscalls: 0,
            field,
            accept,
            value,
        }
    }

    #[test]
    fn always_rules_compile_to_their_cheap_fields() {
        let k = compiled(
            "-a never,exit -F arch=b64 -S execve -F uid=0\n\
             -a always,exit -F arch=b64 -S execve,mmap -F auid>=1000 -F auid!=unset -F a2&0x4 -F exe=/bin/x -k x\n\
             -a always,exit -F arch=b64 -S connect -F success=0\n",
        );
        assert_eq!(
            k.meta,
            KernelRulesMeta {
                enabled: 1,
                count: 6
            }
        );
        let p = &k.predicates;
        assert_eq!(
            p[0],
            KernelPredicate {
                first: 1,
                syscalls: syscall_bit(59) | syscall_bit(9),
                field: field::NONE,
                accept: outcome::ANY,
                value: 0
            }
        );
        // exe is left to userspace.
        assert_eq!(
            p[1],
            predicate(field::AUID, outcome::EQUAL | outcome::GREATER, 1000)
        );
        assert_eq!(
            p[2],
            predicate(field::AUID, outcome::LESS | outcome::GREATER, u32::MAX)
        );
        assert_eq!(p[3], predicate(field::A0 + 2, outcome::SOME_BITS, 4));
        assert_eq!(p[4].first, 1);
        assert_eq!(p[4].syscalls, syscall_bit(42));
        assert_eq!(
            p[5],
            predicate(field::SUCCESS, outcome::EQUAL, AUDITSC_FAILURE)
        );
    }

    #[test]
    fn a_rule_that_can_never_match_is_left_out_and_too_many_turn_it_off() {
        let k = compiled("-a always,exit -F arch!=b64 -S execve\n");
        assert_eq!(
            k.meta,
            KernelRulesMeta {
                enabled: 1,
                count: 0
            }
        );
        let many: String = (0..70)
            .map(|i| format!("-a always,exit -S socket -F uid={i}\n"))
            .collect();
        assert_eq!(compiled(&many).meta.enabled, 0);
    }
}
