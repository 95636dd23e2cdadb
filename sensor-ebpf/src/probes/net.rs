//! socket, setsockopt, and the calls that carry an address: connect,
//! accept, accept4, bind (`sensor_common::net`).

use aya_ebpf::{helpers::bpf_probe_read_user, programs::TracePointContext};
use sensor_common::{
    event::EventKind,
    net::{program, SetsockoptEvent, SockaddrEvent, SyscallEvent, OPTVAL_CAP, SOCKADDR_CAP},
    process::{ProcessInfo, SyscallInfo},
    syscalls,
};

use crate::{
    copy::{self, From},
    emit,
    entry::entry,
    filter,
    maps::{scratch, Pending, Scratch},
    process, syscall,
};

pub const SYS_SOCKET: u32 = syscalls::x86_64("socket");
pub const SYS_CONNECT: u32 = syscalls::x86_64("connect");
pub const SYS_ACCEPT: u32 = syscalls::x86_64("accept");
pub const SYS_BIND: u32 = syscalls::x86_64("bind");
pub const SYS_SETSOCKOPT: u32 = syscalls::x86_64("setsockopt");
pub const SYS_ACCEPT4: u32 = syscalls::x86_64("accept4");

/// Fills the process and syscall of the event, and says whether the rules
/// may record it (decided before the rest of the record is read).
#[inline(always)]
fn subject(p: &mut ProcessInfo, s: &mut SyscallInfo, pending: &Pending) -> Result<(), i32> {
    process::fill(p, process::current_task())?;
    *s = syscall::info(pending);
    if filter::keep(p, s, pending.nr) {
        Ok(())
    } else {
        Err(0)
    }
}

/// connect and the accepts can block: their entry program keeps the time
/// of the call, as auditd does. The others are read at exit alone.
#[inline(always)]
pub fn try_enter(ctx: &TracePointContext, nr: u32, declared_args: usize) -> Result<(), i32> {
    syscall::enter(ctx, process::current_task(), nr, declared_args)
}

#[inline(always)]
pub fn try_exit_socket(ctx: &TracePointContext) -> Result<(), i32> {
    let pending = syscall::exit_only(ctx, SYS_SOCKET)?;
    let s: &mut Scratch<SyscallEvent> = scratch()?;
    subject(&mut s.event.process, &mut s.event.syscall, pending)?;
    emit::output(s, EventKind::Socket, pending.ts_boot_ns, 0)
}

/// The option value is read at exit: the kernel copied it already, and the
/// caller's buffer is still there.
#[inline(always)]
pub fn try_exit_setsockopt(ctx: &TracePointContext) -> Result<(), i32> {
    let pending = syscall::exit_only(ctx, SYS_SETSOCKOPT)?;
    let s: &mut Scratch<SetsockoptEvent> = scratch()?;
    let e = &mut s.event;
    subject(&mut e.process, &mut e.syscall, pending)?;
    let optlen = pending.args[4] as u32 as usize;
    let len = if optlen < OPTVAL_CAP {
        optlen
    } else {
        OPTVAL_CAP
    };
    let read = copy::to::<0, { 2 * OPTVAL_CAP as u64 - 1 }>(
        From::User,
        e.optval.as_mut_ptr(),
        0,
        len as u64,
        pending.args[3],
    );
    e.optval_len = if len > 0 && read == 0 { len as u32 } else { 0 };
    e._pad = 0;
    emit::output(s, EventKind::Setsockopt, pending.ts_boot_ns, 0)
}

/// connect and bind pass the address in (a1, a2 bytes); accept and accept4
/// hand the peer's back through a1 and the length at *a2, valid once the
/// call succeeded.
#[inline(always)]
pub fn try_exit_sockaddr(ctx: &TracePointContext) -> Result<(), i32> {
    sockaddr(syscall::take_exit(ctx)?)
}

#[inline(always)]
pub fn try_exit_bind(ctx: &TracePointContext) -> Result<(), i32> {
    sockaddr(syscall::exit_only(ctx, SYS_BIND)?)
}

#[inline(always)]
fn sockaddr(pending: &Pending) -> Result<(), i32> {
    let (addr, len) = match pending.nr {
        SYS_ACCEPT | SYS_ACCEPT4
            if pending.ret < 0 || pending.args[1] == 0 || pending.args[2] == 0 =>
        {
            (0, 0)
        }
        SYS_ACCEPT | SYS_ACCEPT4 => {
            let len: u32 =
                unsafe { bpf_probe_read_user(pending.args[2] as *const u32) }.unwrap_or(0);
            (pending.args[1], len as usize)
        }
        _ => (pending.args[1], pending.args[2] as u32 as usize),
    };
    let s: &mut Scratch<SockaddrEvent> = scratch()?;
    let e = &mut s.event;
    subject(&mut e.process, &mut e.syscall, pending)?;
    let len = if len < SOCKADDR_CAP {
        len
    } else {
        SOCKADDR_CAP
    };
    let read = if addr != 0 && len > 0 {
        copy::to::<0, { 2 * SOCKADDR_CAP as u64 - 1 }>(
            From::User,
            e.addr.as_mut_ptr(),
            0,
            len as u64,
            addr,
        )
    } else {
        -1
    };
    e.addr_len = if read == 0 { len as u32 } else { 0 };
    e._pad = 0;
    emit::output(s, EventKind::Sockaddr, pending.ts_boot_ns, 0)
}

entry!(tracepoint program::sys_exit_socket, EventKind::Socket, |ctx| {
    try_exit_socket(&ctx)
});
entry!(tracepoint program::sys_exit_setsockopt, EventKind::Setsockopt, |ctx| {
    try_exit_setsockopt(&ctx)
});
entry!(tracepoint program::sys_enter_connect, EventKind::Sockaddr, |ctx| {
    try_enter(&ctx, SYS_CONNECT, 3)
});
entry!(tracepoint program::sys_exit_connect, EventKind::Sockaddr, |ctx| {
    try_exit_sockaddr(&ctx)
});
entry!(tracepoint program::sys_enter_accept, EventKind::Sockaddr, |ctx| {
    try_enter(&ctx, SYS_ACCEPT, 3)
});
entry!(tracepoint program::sys_exit_accept, EventKind::Sockaddr, |ctx| {
    try_exit_sockaddr(&ctx)
});
entry!(tracepoint program::sys_enter_accept4, EventKind::Sockaddr, |ctx| {
    try_enter(&ctx, SYS_ACCEPT4, 4)
});
entry!(tracepoint program::sys_exit_accept4, EventKind::Sockaddr, |ctx| {
    try_exit_sockaddr(&ctx)
});
entry!(tracepoint program::sys_exit_bind, EventKind::Sockaddr, |ctx| try_exit_bind(&ctx));
