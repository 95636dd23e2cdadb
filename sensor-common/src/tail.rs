//! Programs the others continue in (`bpf_tail_call`), by their slot in the
//! `TAILS` program array. Each runs with a fresh verifier budget, which is
//! what keeps an event that needs several path walks (an exec: its exe and
//! its cwd) within the oldest supported kernel's limits: every walk is a
//! program of its own. They are loaded, never attached; userspace puts each
//! in its slot.

/// Name of the program array the slots index.
pub const TAILS_MAP: &str = "TAILS";

/// One path walk of the scratch area's list, then the next, then the
/// event's own continuation.
pub const WALK: u32 = 0;
/// An exec's argv and output, once its paths are walked.
pub const EXEC_FINISH: u32 = 1;

/// Each slot's program, in slot order.
pub const PROGRAMS: [&str; 2] = ["walk", "exec_finish"];

/// Most path walks queued for one event.
pub const WALKS_MAX: usize = 4;
const _: () = assert!(WALKS_MAX.is_power_of_two());
