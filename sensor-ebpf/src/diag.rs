//! What happens to a program's error: it is counted by event kind (the
//! reader reports it in-band, so no event goes missing silently) and, with
//! `--ebpf-log`, logged through aya-log naming the program.

use aya_ebpf::EbpfContext;
use aya_log_ebpf::warn;

use crate::maps::{global, ERRORS};

/// Counts a failed `result` of `program` in the error counter of `slot`
/// (the event's kind). `Err(0)` means "nothing to do" (no saved arguments
/// for this thread, an fd that is not a terminal), not a failure.
#[inline(always)]
pub fn report<C: EbpfContext>(ctx: &C, program: &str, slot: u32, result: Result<(), i32>) {
    if let Err(errno) = result {
        if errno == 0 {
            return;
        }
        if let Some(n) = ERRORS.get_ptr_mut(slot) {
            unsafe { *n += 1 };
        }
        if global!(CONFIG.diagnostics) != 0 {
            warn!(ctx, "{}: error {}", program, errno);
        }
    }
}
