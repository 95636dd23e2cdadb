//! sensor's kernel programs: syscall and sched tracepoints only (no
//! kprobes, fentry or LSM), so the baseline loads on any kernel with CONFIG_FTRACE_SYSCALLS.
//!
//! Each program is written beside the `try_` function it calls, in its
//! event family's file in `probes/` (`entry`).
#![no_std]
#![no_main]

mod copy;
mod creds;
mod diag;
mod emit;
mod entry;
mod filter;
mod kernel;
mod maps;
mod path;
mod probes;
mod process;
mod resolve;
mod syscall;

// The probe-read helpers are GPL-only.
#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}
