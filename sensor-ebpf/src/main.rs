//! sensor's kernel programs: syscall tracepoints only (no kprobes, fentry or
//! LSM), so the baseline loads on any kernel with CONFIG_FTRACE_SYSCALLS.
//!
//! Each entry point is thin and calls a `try_*` function of its event family
//! in `probes/`; a tracepoint cannot fail the syscall, so errors only go to
//! the diagnostics log (`--ebpf-log`).
#![no_std]
#![no_main]

mod diag;
mod emit;
mod kernel;
mod maps;
mod path;
mod probes;
mod process;
mod syscall;

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};
use probes::exec;

#[tracepoint(category = "syscalls", name = "sys_enter_execve")]
pub fn sys_enter_execve(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_execve",
        exec::try_enter(&ctx, exec::SYS_EXECVE, 3),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_enter_execveat")]
pub fn sys_enter_execveat(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_execveat",
        exec::try_enter(&ctx, exec::SYS_EXECVEAT, 5),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_execve")]
pub fn sys_exit_execve(ctx: TracePointContext) -> u32 {
    diag::report(&ctx, "sys_exit_execve", exec::try_exit(&ctx));
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_execveat")]
pub fn sys_exit_execveat(ctx: TracePointContext) -> u32 {
    diag::report(&ctx, "sys_exit_execveat", exec::try_exit(&ctx));
    0
}

#[tracepoint(category = "sched", name = "sched_process_exec")]
pub fn sched_process_exec(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sched_process_exec",
        exec::try_sched_process_exec(&ctx),
    );
    0
}

// The probe-read helpers are GPL-only.
#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual MIT/GPL\0";

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}
