//! Terminal I/O (`sensor_common::tty`): write(2) to a terminal is what the
//! user sees, read(2) from it is what the user typed. Both hooks see every
//! read and write on the system, so the entry decides quickly from the fd's
//! inode whether it is a terminal and saves nothing otherwise.

use aya_ebpf::programs::TracePointContext;
use sensor_common::{
    event::EventKind,
    syscalls,
    tty::{program, TtyEvent, INPUT, OUTPUT, TTY_DATA_CAP},
};

use crate::{
    copy::{self, From},
    emit,
    entry::entry,
    filter,
    kernel::{fd_file, off, read},
    maps::{global, scratch, Pending, Scratch, MARK_LOGIN, MARK_TTY},
    probes::login,
    process, syscall,
};

pub const SYS_READ: u32 = syscalls::x86_64("read");
pub const SYS_WRITE: u32 = syscalls::x86_64("write");

const S_IFMT: u16 = 0o170000;
const S_IFCHR: u16 = 0o020000;
/// `termios.c_lflag` ECHO.
const ECHO: u32 = 0o10;

/// The device number of the terminal behind `file`, if it is one: virtual
/// consoles and serial lines (major 4), /dev/tty and /dev/console (5:0,
/// 5:1), legacy and UNIX98 pty slaves (3, 136–143). Pty masters (5:2 and
/// the terminal emulator's side) are not: their traffic is seen on the
/// slave.
#[inline(always)]
fn terminal(file: u64) -> Option<u32> {
    let inode: u64 = read(file, off!(file_f_inode)).ok()?;
    let mode: u16 = read(inode, off!(inode_i_mode)).ok()?;
    if mode & S_IFMT != S_IFCHR {
        return None;
    }
    let rdev: u32 = read(inode, off!(inode_i_rdev)).ok()?;
    match (rdev >> 20, rdev & 0xf_ffff) {
        (3 | 4 | 136..=143, _) | (5, 0 | 1) => Some(rdev),
        _ => None,
    }
}

/// Whether the terminal echoes input; a password prompt turns echo off.
#[inline(always)]
fn echoes(file: u64) -> bool {
    let lflag = || -> Result<u32, i32> {
        let private: u64 = read(file, off!(file_private_data))?;
        let tty: u64 = read(private, off!(tty_file_private_tty))?;
        read(tty, off!(tty_struct_termios_c_lflag))
    };
    lflag().is_ok_and(|l| l & ECHO != 0)
}

/// The file behind the syscall's fd argument; `Err(0)` (nothing to record)
/// when there is none.
#[inline(always)]
fn file_of(ctx: &TracePointContext, task: u64) -> Result<u64, i32> {
    if syscall::is_self() {
        return Err(0);
    }
    fd_file(task, syscall::arg(ctx, 0)?).map_err(|_| 0)
}

#[inline(always)]
pub fn try_enter_write(ctx: &TracePointContext) -> Result<(), i32> {
    let task = process::current_task();
    let file = file_of(ctx, task)?;
    if let Some(rdev) = terminal(file) {
        return syscall::enter_marked(ctx, task, SYS_WRITE, 3, MARK_TTY, rdev as u64);
    }
    if login::is_loginuid(file) {
        return syscall::enter_marked(ctx, task, SYS_WRITE, 3, MARK_LOGIN, login::ids(task)?);
    }
    Err(0)
}

#[inline(always)]
pub fn try_exit_write(ctx: &TracePointContext) -> Result<(), i32> {
    let pending = syscall::take_exit(ctx)?;
    match pending.mark {
        MARK_TTY => record(pending, OUTPUT),
        MARK_LOGIN => login::record(pending),
        _ => Err(0),
    }
}

#[inline(always)]
pub fn try_enter_read(ctx: &TracePointContext) -> Result<(), i32> {
    let task = process::current_task();
    let file = file_of(ctx, task)?;
    match terminal(file) {
        Some(rdev) if echoes(file) => {
            syscall::enter_marked(ctx, task, SYS_READ, 3, MARK_TTY, rdev as u64)
        }
        _ => Err(0),
    }
}

/// Echo is checked again at exit: a read blocked at the prompt sees the
/// program turn echo off before the user types.
#[inline(always)]
pub fn try_exit_read(ctx: &TracePointContext) -> Result<(), i32> {
    let pending = syscall::take_exit(ctx)?;
    let file = fd_file(process::current_task(), pending.args[0]).map_err(|_| 0)?;
    if !echoes(file) {
        return Err(0);
    }
    record(pending, INPUT)
}

#[inline(always)]
fn record(pending: &Pending, direction: u32) -> Result<(), i32> {
    let ret = pending.ret;
    if ret <= 0 {
        return Err(0); // nothing went through the terminal
    }
    let s: &mut Scratch<TtyEvent> = scratch()?;
    process::fill(&mut s.event.process, process::current_task())?;
    if !filter::in_scope(&s.event.process) {
        return Err(0);
    }
    s.event.syscall = syscall::info(pending);
    let rdev = pending.saved as u32;
    let cap = global!(CONFIG.tty_cap) as usize;
    let mut len = ret as usize;
    if len > cap {
        len = cap;
    }
    if len > TTY_DATA_CAP {
        len = TTY_DATA_CAP;
    }
    let data = s.data.as_mut_ptr();
    let read = copy::to::<0, { 2 * TTY_DATA_CAP as u64 - 1 }>(
        From::User,
        data,
        0,
        len as u64,
        pending.args[1],
    );
    let len = if read == 0 { len } else { 0 };
    let e = &mut s.event;
    e.major = rdev >> 20;
    e.minor = rdev & 0xf_ffff;
    e.direction = direction;
    e.data_len = len as u32;
    e.data_total = ret as u32;
    e._pad = 0;
    emit::output(s, EventKind::Tty, pending.ts_boot_ns, len)
}

entry!(tracepoint program::sys_enter_write, EventKind::Tty, |ctx| try_enter_write(&ctx));
entry!(tracepoint program::sys_exit_write, EventKind::Tty, |ctx| try_exit_write(&ctx));
entry!(tracepoint program::sys_enter_read, EventKind::Tty, |ctx| try_enter_read(&ctx));
entry!(tracepoint program::sys_exit_read, EventKind::Tty, |ctx| try_exit_read(&ctx));
