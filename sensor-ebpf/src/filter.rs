//! The audit rules' prefilter (`sensor_common::rules`): drops, before any
//! costly work, the syscall events no `always` rule can record.

use sensor_common::{
    process::{ProcessInfo, SyscallInfo},
    rules::{field, op, syscall_bit, KERNEL_FIELDS_MAX, KERNEL_RULES_MAX},
    scope::{hierarchy, CgroupKey},
};

use crate::maps::{global, RULES, RULES_META, SCOPE_EXCLUDED};

fn compare(left: u32, operator: u32, right: u32) -> bool {
    match operator {
        op::EQ => left == right,
        op::NE => left != right,
        op::LT => left < right,
        op::GT => left > right,
        op::LE => left <= right,
        op::GE => left >= right,
        op::BIT_AND => left & right != 0,
        op::BIT_TEST => left & right == right,
        _ => true,
    }
}

/// Every field's value, indexed by its id (`sensor_common::rules::field`),
/// so a rule's field is one bounded load rather than a chain of branches
/// for the verifier to walk.
fn values(p: &ProcessInfo, s: &SyscallInfo) -> [u32; field::COUNT] {
    let success = if s.ret >= 0 { 1 } else { 2 };
    [
        0,
        p.pid,
        p.ppid,
        p.uid,
        p.euid,
        p.suid,
        p.fsuid,
        p.gid,
        p.egid,
        p.sgid,
        p.fsgid,
        p.auid,
        p.ses,
        success,
        s.ret as u32,
        s.args[0] as u32,
        s.args[1] as u32,
        s.args[2] as u32,
        s.args[3] as u32,
    ]
}

/// Whether the process's cgroup is in scope (not `--exclude`d).
#[inline(always)]
pub fn in_scope(p: &ProcessInfo) -> bool {
    if global!(CONFIG.scope_exclusions) == 0 {
        return true;
    }
    let keys = [
        CgroupKey {
            id: p.cgroup_ctl_id,
            hierarchy: hierarchy::CONTROLLER,
        },
        CgroupKey {
            id: p.cgroup_id,
            hierarchy: hierarchy::UNIFIED,
        },
    ];
    keys.iter()
        .all(|key| unsafe { SCOPE_EXCLUDED.get(key) }.is_none())
}

/// Whether an `always` rule may record this event, from a process in scope.
pub fn keep(p: &ProcessInfo, s: &SyscallInfo) -> bool {
    if !in_scope(p) {
        return false;
    }
    let Some(meta) = RULES_META.get(0) else {
        return true;
    };
    if meta.enabled == 0 {
        return true;
    }
    let (count, bit) = (meta.count, syscall_bit(s.nr));
    let values = values(p, s);
    for i in 0..KERNEL_RULES_MAX as u32 {
        if i >= count {
            break;
        }
        let Some(rule) = RULES.get(i) else { break };
        if rule.syscalls & bit == 0 {
            continue;
        }
        let mut all = true;
        for j in 0..KERNEL_FIELDS_MAX {
            if j as u32 >= rule.nfields {
                break;
            }
            let f = &rule.fields[j];
            let left = values.get(f.field as usize).copied().unwrap_or(0);
            if !compare(left, f.op, f.value) {
                all = false;
                break;
            }
        }
        if all {
            return true;
        }
    }
    false
}
