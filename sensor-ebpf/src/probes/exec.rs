//! execve / execveat (see `sensor_common::exec` for where each part comes from).

use aya_ebpf::{programs::TracePointContext, EbpfContext};
use sensor_common::{
    event::EventKind,
    exec::{flags, ExecEvent, ARGV_CAP_MAX, PATH_CAP, PRE_ARGV_CAP, RECORD_MAX},
    process::InodeInfo,
    tail,
};

use crate::{
    copy::{self, From},
    emit, filter,
    kernel::{off, read},
    maps::{global, scratch, Scratch},
    path, process,
    syscall::{self, Pending},
};

pub const SYS_EXECVE: u32 = 59;
pub const SYS_EXECVEAT: u32 = 322;

/// `sched:sched_process_exec`: `__data_loc char[] filename` and `old_pid`.
const SCHED_EXEC_FILENAME: usize = 8;
const SCHED_EXEC_OLD_PID: usize = 16;

/// Bounds the argv position and length, by masking (see `DATA_CAP`).
const ARGV_POS_MASK: u64 = PRE_ARGV_CAP.next_power_of_two() as u64 - 1;
const ARGV_LEN_MASK: u64 = RECORD_MAX as u64 - 1;

#[inline(always)]
pub fn try_enter(ctx: &TracePointContext, nr: u32, declared_args: usize) -> Result<(), i32> {
    syscall::enter(ctx, process::current_task(), nr, declared_args)
}

/// A failed exec: the successful ones were recorded, and their saved
/// arguments taken, at `sched_process_exec`.
#[inline(always)]
pub fn try_exit(ctx: &TracePointContext) -> Result<(), i32> {
    let pending = syscall::take_exit(ctx)?;
    if pending.ret >= 0 {
        return Ok(());
    }
    let filename = if pending.nr == SYS_EXECVEAT {
        pending.args[1]
    } else {
        pending.args[0]
    };
    record(ctx, pending, filename, 0)
}

/// A successful exec, in the new image. A multi-threaded process's exec
/// runs on as the thread group leader, so the saved arguments are under
/// `old_pid`.
#[inline(always)]
pub fn try_sched_process_exec(ctx: &TracePointContext) -> Result<(), i32> {
    let old_pid: u32 = unsafe { ctx.read_at(SCHED_EXEC_OLD_PID)? };
    let pending = syscall::take(old_pid).ok_or(0)?;
    let loc: u32 = unsafe { ctx.read_at(SCHED_EXEC_FILENAME)? };
    let filename = ctx.as_ptr() as u64 + (loc & 0xffff) as u64;
    record(ctx, pending, filename, flags::SUCCESS)
}

/// The event up to its paths: `filename` is the name as passed, the
/// caller's pointer for a failed exec (its memory is intact),
/// `bprm->filename` in kernel memory for a success. The exe's and the
/// cwd's paths are walked next (`path::run_queue`), and the event is
/// finished in `try_finish`.
#[inline(always)]
fn record(
    ctx: &TracePointContext,
    pending: &Pending,
    filename: u64,
    mut fl: u32,
) -> Result<(), i32> {
    let s: &mut Scratch<ExecEvent> = scratch()?;
    let task = process::current_task();
    process::fill(&mut s.event.process, task)?;
    s.event.syscall = syscall::info(pending);
    if !filter::keep(&s.event.process, &s.event.syscall, pending.nr) {
        return Err(0);
    }
    let from = if fl & flags::SUCCESS != 0 {
        From::KernelStr
    } else {
        From::UserStr
    };
    let data = s.data.as_mut_ptr();
    let n = copy::to::<0, { 2 * PATH_CAP as u64 - 1 }>(from, data, 0, PATH_CAP as u64, filename);
    let filename_len = if n > 0 { n as u64 } else { 0 };
    if filename_len == PATH_CAP as u64 {
        fl |= flags::FILENAME_TRUNCATED;
    }
    path::set_position(s, filename_len);
    path::new_queue(s, EventKind::Exec, pending.ts_boot_ns);

    let root = process::root(task)?;
    let mm: u64 = read(task, off!(task_struct_mm))?;
    s.event.exe_inode = InodeInfo::default();
    let exe_file: u64 = read(mm, off!(mm_struct_exe_file)).unwrap_or(0);
    if exe_file != 0 {
        path::inode(exe_file, &mut s.event.exe_inode)?;
        path::queue(s, exe_file + off!(file_f_path), root)?;
        fl |= flags::HAS_INODE;
    }
    let fs: u64 = read(task, off!(task_struct_fs))?;
    path::queue(s, fs + off!(fs_struct_pwd), root)?;
    s.event.flags = fl;
    s.event.filename_len = filename_len as u32;
    path::run_queue(ctx, s, tail::EXEC_FINISH)
}

/// The `exec_finish` program: the walked paths' lengths and flags, argv,
/// and the output.
#[inline(always)]
pub fn try_finish() -> Result<(), i32> {
    let s: &mut Scratch<ExecEvent> = scratch()?;
    let mut fl = s.event.flags;
    let mut jobs = s.walk.jobs.iter();
    s.event.exe_len = 0;
    if fl & flags::HAS_INODE != 0 {
        let exe = jobs.next().ok_or(-1)?;
        s.event.exe_len = exe.len as u32;
        if exe.truncated != 0 {
            fl |= flags::EXE_TRUNCATED;
        }
        if exe.deleted != 0 {
            fl |= flags::EXE_DELETED;
        }
    }
    let cwd = jobs.next().ok_or(-1)?;
    s.event.cwd_len = cwd.len as u32;
    if cwd.truncated != 0 {
        fl |= flags::CWD_TRUNCATED;
    }
    if cwd.deleted != 0 {
        fl |= flags::CWD_DELETED;
    }
    let pos = path::position(s);

    // argv as the kernel laid it out in the (new) image: NUL-separated.
    let mm: u64 = read(process::current_task(), off!(task_struct_mm))?;
    let arg_start: u64 = read(mm, off!(mm_struct_arg_start))?;
    let arg_end: u64 = read(mm, off!(mm_struct_arg_end))?;
    let total = arg_end.saturating_sub(arg_start) as usize;
    let cap = global!(CONFIG.argv_cap) as usize;
    let mut argv_len = if total < cap { total } else { cap };
    if argv_len > ARGV_CAP_MAX {
        argv_len = ARGV_CAP_MAX;
    }
    if argv_len < total {
        fl |= flags::ARGV_TRUNCATED;
    }
    if pos > PRE_ARGV_CAP as u64 {
        return Err(-7);
    }
    let read = argv_len > 0
        && copy::to::<ARGV_POS_MASK, ARGV_LEN_MASK>(
            From::User,
            s.data.as_mut_ptr(),
            pos,
            argv_len as u64,
            arg_start,
        ) == 0;
    let argv_len = if read { argv_len } else { 0 };

    let e = &mut s.event;
    e.flags = fl;
    e.argv_len = argv_len as u32;
    e.argv_total = total as u32;
    let ts = s.walk.ts_boot_ns;
    emit::output(s, EventKind::Exec, ts, pos as usize + argv_len)
}
