//! socket, setsockopt, and the calls that carry an address: connect,
//! accept, accept4, bind (`sensor_common::net`).

use aya_ebpf::{
    helpers::{bpf_probe_read_user, generated::bpf_probe_read_user as read_user_buf},
    programs::TracePointContext,
};
use sensor_common::{
    event::EventKind,
    net::{SetsockoptEvent, SockaddrEvent, SyscallEvent, OPTVAL_CAP, SOCKADDR_CAP},
};

use sensor_common::process::{ProcessInfo, SyscallInfo};

use crate::{
    emit, filter, process,
    syscall::{self, Pending},
};

/// The process and syscall of the event, if the rules may record it
/// (decided before anything is reserved in the ring buffer).
fn subject(pending: &Pending, ret: i64) -> Result<(ProcessInfo, SyscallInfo), i32> {
    let mut p: ProcessInfo = unsafe { core::mem::zeroed() };
    process::fill(&mut p, process::current_task())?;
    let s = syscall::info(pending, ret);
    if filter::keep(&p, &s) {
        Ok((p, s))
    } else {
        Err(0)
    }
}

pub const SYS_SOCKET: u32 = 41;
pub const SYS_CONNECT: u32 = 42;
pub const SYS_ACCEPT: u32 = 43;
pub const SYS_BIND: u32 = 49;
pub const SYS_SETSOCKOPT: u32 = 54;
pub const SYS_ACCEPT4: u32 = 288;

/// connect and the accepts can block: their entry program keeps the time
/// of the call, as auditd does. The others are read at exit alone.
pub fn try_enter(ctx: &TracePointContext, nr: u32, declared_args: usize) -> Result<(), i32> {
    syscall::enter(ctx, process::current_task(), nr, declared_args)
}

pub fn try_exit_socket(ctx: &TracePointContext) -> Result<(), i32> {
    let (pending, ret) = syscall::exit_only(ctx, SYS_SOCKET)?;
    let (p, s) = subject(&pending, ret)?;
    emit::reserved(
        EventKind::Socket,
        pending.ts_boot_ns,
        |e: &mut SyscallEvent| {
            e.process = p;
            e.syscall = s;
            Ok(())
        },
    )
}

/// The option value is read at exit: the kernel copied it already, and the
/// caller's buffer is still there.
pub fn try_exit_setsockopt(ctx: &TracePointContext) -> Result<(), i32> {
    let (pending, ret) = syscall::exit_only(ctx, SYS_SETSOCKOPT)?;
    let (p, s) = subject(&pending, ret)?;
    emit::reserved(
        EventKind::Setsockopt,
        pending.ts_boot_ns,
        |e: &mut SetsockoptEvent| {
            e.process = p;
            e.syscall = s;
            let optlen = pending.args[4] as u32 as usize;
            let len = if optlen < OPTVAL_CAP {
                optlen
            } else {
                OPTVAL_CAP
            };
            e.optval_len = 0;
            let optval = pending.args[3] as *const _;
            if len > 0
                && unsafe { read_user_buf(e.optval.as_mut_ptr().cast(), len as u32, optval) } == 0
            {
                e.optval_len = len as u32;
            }
            e._pad = 0;
            Ok(())
        },
    )
}

/// connect and bind pass the address in (a1, a2 bytes); accept and accept4
/// hand the peer's back through a1 and the length at *a2, valid once the
/// call succeeded.
pub fn try_exit_sockaddr(ctx: &TracePointContext) -> Result<(), i32> {
    sockaddr(syscall::take_exit(ctx)?)
}

pub fn try_exit_bind(ctx: &TracePointContext) -> Result<(), i32> {
    sockaddr(syscall::exit_only(ctx, SYS_BIND)?)
}

fn sockaddr((pending, ret): (Pending, i64)) -> Result<(), i32> {
    let (addr, len) = match pending.nr {
        SYS_ACCEPT | SYS_ACCEPT4 if ret < 0 || pending.args[1] == 0 || pending.args[2] == 0 => {
            (0, 0)
        }
        SYS_ACCEPT | SYS_ACCEPT4 => {
            let len: u32 =
                unsafe { bpf_probe_read_user(pending.args[2] as *const u32) }.unwrap_or(0);
            (pending.args[1], len as usize)
        }
        _ => (pending.args[1], pending.args[2] as u32 as usize),
    };
    let (p, s) = subject(&pending, ret)?;
    emit::reserved(
        EventKind::Sockaddr,
        pending.ts_boot_ns,
        |e: &mut SockaddrEvent| {
            e.process = p;
            e.syscall = s;
            let len = if len < SOCKADDR_CAP {
                len
            } else {
                SOCKADDR_CAP
            };
            e.addr_len = 0;
            if addr != 0
                && len > 0
                && unsafe {
                    read_user_buf(e.addr.as_mut_ptr().cast(), len as u32, addr as *const _)
                } == 0
            {
                e.addr_len = len as u32;
            }
            e._pad = 0;
            Ok(())
        },
    )
}
