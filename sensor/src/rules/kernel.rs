//! The rules compiled for the kernel programs' prefilter
//! (`sensor_common::rules`): every `always` rule, its syscalls as a bit
//! mask, its cheap fields as (field, op, value). Exact evaluation stays in
//! userspace (`eval`).

use sensor_common::rules::{
    field, op, syscall_bit, KernelField, KernelRule, KernelRulesMeta, KERNEL_FIELDS_MAX,
    KERNEL_RULES_MAX,
};

use super::{Action, FieldName, Op, RuleFile, Syscalls, Value, AUDIT_ARCH_X86_64};

/// `ctx->return_valid` values the kernel compares `success` with.
const AUDITSC_SUCCESS: u32 = 1;
const AUDITSC_FAILURE: u32 = 2;

pub struct KernelRules {
    pub meta: KernelRulesMeta,
    pub rules: Vec<KernelRule>,
}

fn kernel_op(op: Op) -> u32 {
    match op {
        Op::Eq => op::EQ,
        Op::Ne => op::NE,
        Op::Lt => op::LT,
        Op::Gt => op::GT,
        Op::Le => op::LE,
        Op::Ge => op::GE,
        Op::BitAnd => op::BIT_AND,
        Op::BitTest => op::BIT_TEST,
    }
}

/// Compiles `rules`; a rule set the kernel cannot hold (too many rules or
/// fields) turns the prefilter off rather than dropping anything.
pub fn compile(rules: &RuleFile) -> KernelRules {
    let off = KernelRules {
        meta: KernelRulesMeta::default(),
        rules: Vec::new(),
    };
    let mut compiled = Vec::new();
    for rule in rules.rules.iter().filter(|r| r.action == Action::Always) {
        let syscalls = match &rule.syscalls {
            Syscalls::All => return off,
            Syscalls::Only(set) => set.iter().fold(0, |mask, nr| mask | syscall_bit(*nr)),
        };
        let mut fields = Vec::new();
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
            fields.push(KernelField {
                field: id,
                op: kernel_op(f.op),
                value,
            });
        }
        if !can_match || syscalls == 0 {
            continue;
        }
        if fields.len() > KERNEL_FIELDS_MAX || compiled.len() == KERNEL_RULES_MAX {
            return off;
        }
        let mut rule = KernelRule {
            syscalls,
            nfields: fields.len() as u32,
            ..Default::default()
        };
        rule.fields[..fields.len()].copy_from_slice(&fields);
        compiled.push(rule);
    }
    KernelRules {
        meta: KernelRulesMeta {
            enabled: 1,
            count: compiled.len() as u32,
        },
        rules: compiled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse::{parse_text, Names};

    fn compiled(text: &str) -> KernelRules {
        compile(&parse_text("t.rules", text, &Names::default(), false).unwrap())
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
                count: 2
            }
        );
        let r = &k.rules[0];
        assert_eq!(r.syscalls, syscall_bit(59) | syscall_bit(9));
        assert_eq!(r.nfields, 3); // exe is left to userspace
        assert_eq!(
            r.fields[0],
            KernelField {
                field: field::AUID,
                op: op::GE,
                value: 1000
            }
        );
        assert_eq!(
            r.fields[1],
            KernelField {
                field: field::AUID,
                op: op::NE,
                value: u32::MAX
            }
        );
        assert_eq!(
            r.fields[2],
            KernelField {
                field: field::A0 + 2,
                op: op::BIT_AND,
                value: 4
            }
        );
        let r = &k.rules[1];
        assert_eq!(
            r.fields[0],
            KernelField {
                field: field::SUCCESS,
                op: op::EQ,
                value: AUDITSC_FAILURE
            }
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
        let many: String = (0..40)
            .map(|i| format!("-a always,exit -S socket -F uid={i}\n"))
            .collect();
        assert_eq!(compiled(&many).meta.enabled, 0);
    }
}
