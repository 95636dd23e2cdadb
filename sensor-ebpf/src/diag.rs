//! Kernel-side diagnostics behind `--ebpf-log`: a program that fails says
//! which and why, instead of the event silently missing.

use aya_ebpf::EbpfContext;
use aya_log_ebpf::warn;

use crate::maps::global;

/// `Err(0)` means "nothing to do" (no saved arguments for this thread), not
/// a failure.
#[inline(always)]
pub fn report<C: EbpfContext>(ctx: &C, program: &str, result: Result<(), i32>) {
    if let Err(errno) = result {
        if errno != 0 && global!(CONFIG.diagnostics) != 0 {
            warn!(ctx, "{}: error {}", program, errno);
        }
    }
}
