//! Programs the others continue in (`bpf_tail_call`), by their slot in the
//! `TAILS` program array. Each runs with a fresh verifier budget, which is
//! what keeps an event that needs several path walks (an exec: its exe and
//! its cwd) within the oldest supported kernel's limits: every walk is a
//! program of its own. They are loaded, never attached; userspace puts each
//! in its slot.
//!
//! A program can only continue in programs of its own type, so there are
//! two arrays with the same slots: `TAILS` for the tracepoint programs and
//! `RAW_TAILS` for the raw tracepoint ones (a 32-bit call's, seen at
//! `raw_syscalls`). A slot a raw tracepoint never continues in is empty
//! there.

/// Name of the program array of tracepoint programs.
pub const TAILS_MAP: &str = "TAILS";
/// Name of the program array of raw tracepoint programs.
pub const RAW_TAILS_MAP: &str = "RAW_TAILS";

/// One path walk of the scratch area's list, then the next, then the
/// event's own continuation.
pub const WALK: u32 = 0;
/// An exec's argv and output, once its paths are walked.
pub const EXEC_FINISH: u32 = 1;
/// Path names looked up in the dcache, then the event's continuation.
pub const RESOLVE: u32 = 2;
/// A syscall's record, once its names are looked up.
pub const SYSCALL_FINISH: u32 = 3;
/// A syscall's entry, once the names it removes are looked up.
pub const SYSCALL_ENTER: u32 = 4;

/// Each slot's program in `TAILS`, in slot order.
pub const PROGRAMS: [&str; 5] = [
    "walk",
    "exec_finish",
    "resolve",
    "syscall_finish",
    "syscall_enter",
];
/// Each slot's program in `RAW_TAILS` ("" for none), in slot order.
pub const RAW_PROGRAMS: [&str; 5] = [
    "",
    "",
    "resolve_raw",
    "syscall_finish_raw",
    "syscall_enter_raw",
];

/// Most path walks queued for one event.
pub const WALKS_MAX: usize = 4;
const _: () = assert!(WALKS_MAX.is_power_of_two());
