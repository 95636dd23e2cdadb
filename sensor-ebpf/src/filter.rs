//! The audit rules' prefilter (`sensor_common::rules`): drops, before any
//! costly work, the syscall events no `always` rule can record.

use sensor_common::{
    process::{ProcessInfo, SyscallInfo},
    rules::{field, outcome, KernelRange, KEEP_ALL, KERNEL_PREDICATES_MAX, SLOT_PREDICATES_MAX},
    scope::{hierarchy, CgroupKey},
};

use aya_ebpf::helpers::{bpf_get_current_cgroup_id, bpf_get_current_pid_tgid};

use crate::{
    maps::{global, RANGES, RULES, RULES_META, SCOPE_EXCLUDED, VALUES},
    process,
};

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

/// `at_entry`'s answer: an `always` rule may record the call if it
/// succeeds, or only if it fails.
pub const IF_SUCCEEDS: u32 = 1;
pub const IF_FAILS: u32 = 2;

/// `SUCCESS`'s values, as the kernel's audit compares them.
const SUCCEEDED: u64 = 1;
const FAILED: u64 = 2;

/// Every field's value by its id (`sensor_common::rules::field`), in map
/// memory, so that a predicate's field is one load at a masked index
/// rather than a branch per field for the verifier to walk.
#[inline(always)]
fn fill_values(values: &mut [u64; field::SLOTS], p: &ProcessInfo, s: &SyscallInfo) {
    set_ids(
        values,
        p.pid,
        [
            p.uid, p.euid, p.suid, p.fsuid, p.gid, p.egid, p.sgid, p.fsgid,
        ],
        [p.auid, p.ses],
    );
    values[field::PPID as usize] = p.ppid as u64;
    values[field::SUCCESS as usize] = if s.ret >= 0 { SUCCEEDED } else { FAILED };
    values[field::EXIT as usize] = s.ret as u32 as u64;
    for n in 0..4 {
        values[(field::A0 + n) as usize] = s.args[n as usize] as u32 as u64;
    }
}

/// The fields a call's entry and exit both know, from the process.
#[inline(always)]
fn set_ids(values: &mut [u64; field::SLOTS], pid: u32, creds: [u32; 8], login: [u32; 2]) {
    for (id, value) in field::CREDENTIALS.into_iter().zip(creds) {
        values[id as usize] = value as u64;
    }
    values[field::NONE as usize] = 0;
    values[field::PID as usize] = pid as u64;
    values[field::AUID as usize] = login[0] as u64;
    values[field::SES as usize] = login[1] as u64;
}

/// Whether the process's cgroup is in scope (not `--exclude`d).
#[inline(always)]
pub fn in_scope(p: &ProcessInfo) -> bool {
    scope_holds(|| Ok((p.cgroup_ctl_id, p.cgroup_id)))
}

/// Whether the cgroups `ids` gives (controller, unified), asked only when
/// something is excluded, are in scope. Cgroups it cannot read are.
#[inline(always)]
fn scope_holds(ids: impl FnOnce() -> Result<(u64, u64), i32>) -> bool {
    if global!(CONFIG.scope_exclusions) == 0 {
        return true;
    }
    let Ok((controller, unified)) = ids() else {
        return true;
    };
    let controller = CgroupKey {
        id: controller,
        hierarchy: hierarchy::CONTROLLER,
    };
    let unified = CgroupKey {
        id: unified,
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
    let Some((range, values)) = rules_of(slot) else {
        return true;
    };
    fill_values(values, p, s);
    holds(range, values, 0)
}

/// At the entry of a call of the syscall in `slot` by `task`, whose first
/// four arguments are `args`: after which outcome an `always` rule may
/// record it (`IF_SUCCEEDS`, `IF_FAILS`; 0: none, and the call costs
/// nothing more). The fields in the `unknown` mask (bits by field id: the
/// return value, arguments the tracepoint does not carry, what the call
/// itself may change) are taken to hold, and so is the parent (which a
/// parent's exit during the call changes), so the answer never leaves out
/// what the exit's `keep` keeps.
#[inline(always)]
pub fn at_entry(task: u64, args: &[u64; 4], slot: u32, unknown: u32) -> u32 {
    let in_scope = scope_holds(|| {
        let unified = unsafe { bpf_get_current_cgroup_id() };
        Ok((process::controller_cgroup(task)?, unified))
    });
    if !in_scope {
        return 0;
    }
    let Some((range, values)) = rules_of(slot) else {
        return IF_SUCCEEDS;
    };
    let pid = (bpf_get_current_pid_tgid() >> 32) as u32;
    let creds = process::credentials(task).unwrap_or_default();
    let login = process::login(task).unwrap_or_default();
    set_ids(values, pid, creds, login);
    for n in 0..4 {
        values[(field::A0 + n) as usize] = args[n as usize] as u32 as u64;
    }
    let unknown = unknown | 1 << field::PPID;
    values[field::SUCCESS as usize] = SUCCEEDED;
    if holds(range, values, unknown) {
        return IF_SUCCEEDS;
    }
    values[field::SUCCESS as usize] = FAILED;
    if holds(range, values, unknown) {
        return IF_FAILS;
    }
    0
}

/// The predicates of the syscall in `slot`, and the field values to fill
/// for them; None when every call of it is kept.
#[inline(always)]
fn rules_of(slot: u32) -> Option<(&'static KernelRange, &'static mut [u64; field::SLOTS])> {
    let meta = RULES_META.get(0)?;
    if meta.enabled == 0 {
        return None;
    }
    let range = RANGES.get(slot)?;
    if range.count == KEEP_ALL {
        return None;
    }
    let values = VALUES.get_ptr_mut(0)?;
    Some((range, unsafe { &mut *values }))
}

/// Whether a rule among the predicates in `range` holds for `values`,
/// the fields in the `unknown` mask (bits by field id) taken to hold.
#[inline(always)]
fn holds(range: &KernelRange, values: &[u64; field::SLOTS], unknown: u32) -> bool {
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
        let id = pred.field as usize & (field::SLOTS - 1);
        let wild = (unknown as u64 >> id) & 1;
        let left = values[id];
        holds &= nonzero(outcomes(left, pred.value as u64) & pred.accept as u64) | wild;
    }
    holds != 0
}
