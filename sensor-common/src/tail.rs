//! Programs the others continue in (`bpf_tail_call`), by their slot in the
//! `TAILS` program array. Each runs with a fresh verifier budget, which is
//! what keeps an event that needs several path walks (an exec: its exe and
//! its cwd) within the oldest supported kernel's limits: every walk is a
//! program of its own. They are loaded, never attached; userspace puts each
//! in its slot.
//!
//! A program can only continue in programs of its own type, so there are
//! two arrays with the same slots: `TAILS` for the tracepoint programs and
//! `RAW_TAILS` for the raw tracepoint ones (a successful exec's, from
//! `sched_process_exec`, whose raw arguments give the exec's
//! `linux_binprm`; a 32-bit call's, seen at `raw_syscalls`). A slot a
//! program type never continues in is empty in its array.

use crate::{exec, generic};

/// The programs of the path machinery that every family continues in
/// (the others are their families': `exec::program`, `generic::program`).
pub mod program {
    names!(
        /// A path walk (`sensor-ebpf/src/path.rs`).
        walk,
        walk_raw,
        /// A dcache lookup (`sensor-ebpf/src/resolve.rs`).
        resolve,
        resolve_raw,
    );
}

/// One path walk of the scratch area's list, then the next, then the
/// event's own continuation.
pub const WALK: u32 = 0;
/// An exec's argv, environment and output, once its paths are walked.
pub const EXEC_FINISH: u32 = 1;
/// Path names looked up in the dcache, then the event's continuation.
pub const RESOLVE: u32 = 2;
/// A syscall's record, once its names are looked up.
pub const SYSCALL_FINISH: u32 = 3;
/// A syscall's entry, once the names it removes are looked up.
pub const SYSCALL_ENTER: u32 = 4;
/// A successful exec's other files: a script's own, the ELF interpreter.
pub const EXEC_FILES: u32 = 5;
/// Slots in each array.
pub const SLOTS: usize = 6;

/// Each slot's program in `TAILS` ("" for none), put by slot so that a
/// slot and its program cannot be listed out of step.
pub const PROGRAMS: [&str; SLOTS] = {
    let p = put([""; SLOTS], WALK, program::walk);
    let p = put(p, EXEC_FINISH, exec::program::exec_finish);
    let p = put(p, RESOLVE, program::resolve);
    let p = put(p, SYSCALL_FINISH, generic::program::syscall_finish);
    put(p, SYSCALL_ENTER, generic::program::syscall_enter)
};
/// Each slot's program in `RAW_TAILS` ("" for none).
pub const RAW_PROGRAMS: [&str; SLOTS] = {
    let p = put([""; SLOTS], WALK, program::walk_raw);
    let p = put(p, EXEC_FINISH, exec::program::exec_finish_raw);
    let p = put(p, RESOLVE, program::resolve_raw);
    let p = put(p, SYSCALL_FINISH, generic::program::syscall_finish_raw);
    let p = put(p, SYSCALL_ENTER, generic::program::syscall_enter_raw);
    put(p, EXEC_FILES, exec::program::exec_files)
};

/// `programs` with `name` in `slot`, which must be a free slot of the
/// array (a slot out of range or taken twice does not compile).
const fn put(
    mut programs: [&'static str; SLOTS],
    slot: u32,
    name: &'static str,
) -> [&'static str; SLOTS] {
    assert!(
        programs[slot as usize].is_empty(),
        "two programs in one slot"
    );
    programs[slot as usize] = name;
    programs
}

/// Most path walks queued for one event.
pub const WALKS_MAX: usize = 4;
const _: () = assert!(WALKS_MAX.is_power_of_two());
