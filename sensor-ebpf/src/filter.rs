//! The audit rules' prefilter (`sensor_common::rules`): drops, before any
//! costly work, the syscall events no `always` rule can record.

use sensor_common::{
    process::{ProcessInfo, SyscallInfo},
    rules::{field, outcome, KEEP_ALL, KERNEL_PREDICATES_MAX, SLOT_PREDICATES_MAX},
    scope::{hierarchy, CgroupKey},
};

use crate::maps::{global, RANGES, RULES, RULES_META, SCOPE_EXCLUDED, VALUES};

/// 1 when `x` is not zero, else 0, for any `x` below 2^32.
#[inline(always)]
fn nonzero(x: u64) -> u64 {
    (x + 0xffff_ffff) >> 32
}

/// 1 when `x` is negative as a 64-bit value.
#[inline(always)]
fn negative(x: u64) -> u64 {
    x >> 63
}

/// Which outcomes comparing `left` with `right` (both below 2^32) has: one
/// of less, equal or greater, and the two bit tests. Computed without
/// branches, so the verifier walks one path through a predicate, not a
/// dozen: the values come from map memory as 64-bit words, so the compiler
/// cannot turn the arithmetic back into comparisons.
#[inline(always)]
fn outcomes(l: u64, r: u64) -> u64 {
    let bits = l & r;
    let is = |holds: u64, outcome: u32| holds * outcome as u64;
    is(negative(l.wrapping_sub(r)), outcome::LESS)
        | is(1 - nonzero(l ^ r), outcome::EQUAL)
        | is(negative(r.wrapping_sub(l)), outcome::GREATER)
        | is(nonzero(bits), outcome::SOME_BITS)
        | is(1 - nonzero(bits ^ r), outcome::ALL_BITS)
}

/// Every field's value by its id (`sensor_common::rules::field`), in map
/// memory, so that a predicate's field is one load at a masked index
/// rather than a branch per field for the verifier to walk.
#[inline(always)]
fn fill_values(values: &mut [u64; field::SLOTS], p: &ProcessInfo, s: &SyscallInfo) {
    let mut set = |id: u32, value: u32| values[id as usize] = value as u64;
    set(field::NONE, 0);
    set(field::PID, p.pid);
    set(field::PPID, p.ppid);
    set(field::UID, p.uid);
    set(field::EUID, p.euid);
    set(field::SUID, p.suid);
    set(field::FSUID, p.fsuid);
    set(field::GID, p.gid);
    set(field::EGID, p.egid);
    set(field::SGID, p.sgid);
    set(field::FSGID, p.fsgid);
    set(field::AUID, p.auid);
    set(field::SES, p.ses);
    set(field::SUCCESS, if s.ret >= 0 { 1 } else { 2 });
    set(field::EXIT, s.ret as u32);
    for n in 0..4 {
        set(field::A0 + n, s.args[n as usize] as u32);
    }
}

/// Whether the process's cgroup is in scope (not `--exclude`d).
#[inline(always)]
pub fn in_scope(p: &ProcessInfo) -> bool {
    if global!(CONFIG.scope_exclusions) == 0 {
        return true;
    }
    let controller = CgroupKey {
        id: p.cgroup_ctl_id,
        hierarchy: hierarchy::CONTROLLER,
    };
    let unified = CgroupKey {
        id: p.cgroup_id,
        hierarchy: hierarchy::UNIFIED,
    };
    unsafe { SCOPE_EXCLUDED.get(controller).is_none() && SCOPE_EXCLUDED.get(unified).is_none() }
}

/// Whether an `always` rule may record this event of the syscall in
/// `slot` (`sensor_common::rules::SLOTS`), from a process in scope.
#[inline(always)]
pub fn keep(p: &ProcessInfo, s: &SyscallInfo, slot: u32) -> bool {
    if !in_scope(p) {
        return false;
    }
    let Some(meta) = RULES_META.get(0) else {
        return true;
    };
    if meta.enabled == 0 {
        return true;
    }
    let Some(range) = RANGES.get(slot) else {
        return true;
    };
    if range.count == KEEP_ALL {
        return true;
    }
    let Some(values) = VALUES.get_ptr_mut(0) else {
        return true;
    };
    let values = unsafe { &mut *values };
    fill_values(values, p, s);
    let (start, count) = (range.start, range.count);
    // 1 while the rule being read can still record the event. Updated
    // with arithmetic, not branches, so each predicate is one path. Read
    // from map memory (where it is 0) so that the verifier does not know
    // it: a value it knows decides the branch below on the first path it
    // walks, which then no later path can be pruned against.
    let mut holds: u64 = unsafe { core::ptr::read_volatile(&values[field::NONE as usize]) };
    for k in 0..SLOT_PREDICATES_MAX {
        if k >= count {
            break;
        }
        let at = (start + k) & (KERNEL_PREDICATES_MAX as u32 - 1);
        let Some(pred) = RULES.get(at) else { break };
        let first = nonzero(pred.first as u64);
        // A rule that held to its end records the event.
        if first & holds != 0 {
            return true;
        }
        // A new rule starts out holding.
        holds |= first;
        let left = values[pred.field as usize & (field::SLOTS - 1)];
        holds &= nonzero(outcomes(left, pred.value as u64) & pred.accept as u64);
    }
    holds != 0
}
