//! sensor's kernel programs: syscall and sched tracepoints only (no
//! kprobes, fentry or LSM), so the baseline loads on any kernel with CONFIG_FTRACE_SYSCALLS.
//!
//! Each entry point is thin and calls a `try_*` function of its event family
//! in `probes/`; a tracepoint cannot fail the syscall, so errors only go to
//! the diagnostics log (`--ebpf-log`).
#![no_std]
#![no_main]

mod copy;
mod diag;
mod emit;
mod filter;
mod kernel;
mod maps;
mod path;
mod probes;
mod process;
mod resolve;
mod syscall;

use aya_ebpf::{
    macros::{raw_tracepoint, tracepoint},
    programs::{RawTracePointContext, TracePointContext},
};
use probes::{cgroup, exec, generic, lifecycle, mmap, net, tty};
use sensor_common::event::EventKind;

#[tracepoint(category = "syscalls", name = "sys_enter_execve")]
pub fn sys_enter_execve(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_execve",
        EventKind::Exec,
        exec::try_enter(&ctx, exec::SYS_EXECVE, 3),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_enter_execveat")]
pub fn sys_enter_execveat(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_execveat",
        EventKind::Exec,
        exec::try_enter(&ctx, exec::SYS_EXECVEAT, 5),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_execve")]
pub fn sys_exit_execve(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_execve",
        EventKind::Exec,
        exec::try_exit(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_execveat")]
pub fn sys_exit_execveat(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_execveat",
        EventKind::Exec,
        exec::try_exit(&ctx),
    );
    0
}

/// Continues an event in its next path walk (`sensor_common::tail`).
#[tracepoint(category = "sensor", name = "walk")]
pub fn walk(ctx: TracePointContext) -> u32 {
    let (kind, result) = path::try_walk_next(&ctx);
    diag::report_slot(&ctx, "walk", kind, result);
    0
}

/// Finishes an exec once its paths are walked (`sensor_common::tail`).
#[tracepoint(category = "sensor", name = "exec_finish")]
pub fn exec_finish(ctx: TracePointContext) -> u32 {
    diag::report(&ctx, "exec_finish", EventKind::Exec, exec::try_finish());
    0
}

/// Looks up an event's path names (`sensor_common::tail`).
#[tracepoint(category = "sensor", name = "resolve")]
pub fn resolve(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "resolve",
        EventKind::Syscall,
        resolve::try_resolve(&ctx, &maps::TAILS),
    );
    0
}

#[raw_tracepoint(tracepoint = "sensor_resolve")]
pub fn resolve_raw(ctx: RawTracePointContext) -> u32 {
    diag::report(
        &ctx,
        "resolve_raw",
        EventKind::Syscall,
        resolve::try_resolve(&ctx, &maps::RAW_TAILS),
    );
    0
}

/// Writes a syscall's record once its names are looked up.
#[tracepoint(category = "sensor", name = "syscall_finish")]
pub fn syscall_finish(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "syscall_finish",
        EventKind::Syscall,
        generic::try_finish(),
    );
    0
}

#[raw_tracepoint(tracepoint = "sensor_syscall_finish")]
pub fn syscall_finish_raw(ctx: RawTracePointContext) -> u32 {
    diag::report(
        &ctx,
        "syscall_finish_raw",
        EventKind::Syscall,
        generic::try_finish(),
    );
    0
}

/// Keeps a syscall's entry once the names it removes are looked up.
#[tracepoint(category = "sensor", name = "syscall_enter")]
pub fn syscall_enter(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "syscall_enter",
        EventKind::Syscall,
        generic::try_enter_finish(),
    );
    0
}

#[raw_tracepoint(tracepoint = "sensor_syscall_enter")]
pub fn syscall_enter_raw(ctx: RawTracePointContext) -> u32 {
    diag::report(
        &ctx,
        "syscall_enter_raw",
        EventKind::Syscall,
        generic::try_enter_finish(),
    );
    0
}

#[tracepoint(category = "sched", name = "sched_process_exec")]
pub fn sched_process_exec(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sched_process_exec",
        EventKind::Exec,
        exec::try_sched_process_exec(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_socket")]
pub fn sys_exit_socket(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_socket",
        EventKind::Socket,
        net::try_exit_socket(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_setsockopt")]
pub fn sys_exit_setsockopt(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_setsockopt",
        EventKind::Setsockopt,
        net::try_exit_setsockopt(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_enter_connect")]
pub fn sys_enter_connect(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_connect",
        EventKind::Sockaddr,
        net::try_enter(&ctx, net::SYS_CONNECT, 3),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_connect")]
pub fn sys_exit_connect(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_connect",
        EventKind::Sockaddr,
        net::try_exit_sockaddr(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_enter_accept")]
pub fn sys_enter_accept(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_accept",
        EventKind::Sockaddr,
        net::try_enter(&ctx, net::SYS_ACCEPT, 3),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_accept")]
pub fn sys_exit_accept(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_accept",
        EventKind::Sockaddr,
        net::try_exit_sockaddr(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_enter_accept4")]
pub fn sys_enter_accept4(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_accept4",
        EventKind::Sockaddr,
        net::try_enter(&ctx, net::SYS_ACCEPT4, 4),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_accept4")]
pub fn sys_exit_accept4(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_accept4",
        EventKind::Sockaddr,
        net::try_exit_sockaddr(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_bind")]
pub fn sys_exit_bind(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_bind",
        EventKind::Sockaddr,
        net::try_exit_bind(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_mmap")]
pub fn sys_exit_mmap(ctx: TracePointContext) -> u32 {
    diag::report(&ctx, "sys_exit_mmap", EventKind::Mmap, mmap::try_exit(&ctx));
    0
}

#[tracepoint(category = "syscalls", name = "sys_enter_write")]
pub fn sys_enter_write(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_write",
        EventKind::Tty,
        tty::try_enter_write(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_write")]
pub fn sys_exit_write(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_write",
        EventKind::Tty,
        tty::try_exit_write(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_enter_read")]
pub fn sys_enter_read(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_read",
        EventKind::Tty,
        tty::try_enter_read(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_read")]
pub fn sys_exit_read(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_read",
        EventKind::Tty,
        tty::try_exit_read(&ctx),
    );
    0
}

#[tracepoint(category = "sched", name = "sched_process_exit")]
pub fn sched_process_exit(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sched_process_exit",
        EventKind::Exit,
        lifecycle::try_exit(&ctx),
    );
    0
}

#[raw_tracepoint(tracepoint = "sched_process_fork")]
pub fn sched_process_fork(ctx: RawTracePointContext) -> i32 {
    diag::report(
        &ctx,
        "sched_process_fork",
        EventKind::Fork,
        lifecycle::try_fork(&ctx),
    );
    0
}

/// Any other 64-bit syscall a rule names: attached to each one's
/// `syscalls:sys_enter_*` tracepoint.
#[tracepoint(category = "syscalls", name = "sys_enter_generic")]
pub fn sys_enter_generic(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_enter_generic",
        EventKind::Syscall,
        generic::try_enter(&ctx),
    );
    0
}

#[tracepoint(category = "syscalls", name = "sys_exit_generic")]
pub fn sys_exit_generic(ctx: TracePointContext) -> u32 {
    diag::report(
        &ctx,
        "sys_exit_generic",
        EventKind::Syscall,
        generic::try_exit(&ctx),
    );
    0
}

/// 32-bit syscalls, which the per-syscall tracepoints never see.
#[raw_tracepoint(tracepoint = "sys_enter")]
pub fn compat_enter(ctx: RawTracePointContext) -> i32 {
    diag::report(
        &ctx,
        "compat_enter",
        EventKind::Syscall,
        generic::try_compat_enter(&ctx),
    );
    0
}

#[raw_tracepoint(tracepoint = "sys_exit")]
pub fn compat_exit(ctx: RawTracePointContext) -> i32 {
    diag::report(
        &ctx,
        "compat_exit",
        EventKind::Syscall,
        generic::try_compat_exit(&ctx),
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

#[raw_tracepoint(tracepoint = "cgroup_mkdir")]
pub fn cgroup_mkdir(ctx: RawTracePointContext) -> i32 {
    diag::report(
        &ctx,
        "cgroup_mkdir",
        EventKind::Cgroup,
        cgroup::try_mkdir(&ctx),
    );
    0
}
