//! execve / execveat (see `sensor_common::exec` for where each part comes from).

use aya_ebpf::{
    helpers::generated::{bpf_probe_read_user, bpf_probe_read_user_str},
    programs::TracePointContext,
    EbpfContext,
};
use sensor_common::{
    event::EventKind,
    exec::{flags, ExecEvent, ARGV_CAP_MAX, PATH_CAP, PRE_ARGV_CAP},
    process::InodeInfo,
};

use crate::{
    emit, filter,
    kernel::{off, read, read_str},
    maps::{global, scratch, Scratch},
    path::{self, Walked},
    process,
    syscall::{self, Pending},
};

pub const SYS_EXECVE: u32 = 59;
pub const SYS_EXECVEAT: u32 = 322;

/// `sched:sched_process_exec`: `__data_loc char[] filename` and `old_pid`.
const SCHED_EXEC_FILENAME: usize = 8;
const SCHED_EXEC_OLD_PID: usize = 16;

pub fn try_enter(ctx: &TracePointContext, nr: u32, declared_args: usize) -> Result<(), i32> {
    syscall::enter(ctx, process::current_task(), nr, declared_args)
}

/// A failed exec: the successful ones were recorded, and their saved
/// arguments taken, at `sched_process_exec`.
pub fn try_exit(ctx: &TracePointContext) -> Result<(), i32> {
    let (pending, ret) = syscall::take_exit(ctx)?;
    if ret >= 0 {
        return Ok(());
    }
    let filename = if pending.nr == SYS_EXECVEAT {
        pending.args[1]
    } else {
        pending.args[0]
    };
    record(&pending, ret, filename, 0)
}

/// A successful exec, in the new image. A multi-threaded process's exec
/// runs on as the thread group leader, so the saved arguments are under
/// `old_pid`.
pub fn try_sched_process_exec(ctx: &TracePointContext) -> Result<(), i32> {
    let old_pid: u32 = unsafe { ctx.read_at(SCHED_EXEC_OLD_PID)? };
    let pending = syscall::take(old_pid).ok_or(0)?;
    let loc: u32 = unsafe { ctx.read_at(SCHED_EXEC_FILENAME)? };
    let filename = ctx.as_ptr() as u64 + (loc & 0xffff) as u64;
    record(&pending, 0, filename, flags::SUCCESS)
}

/// `filename` is the name as passed: the caller's pointer for a failed exec
/// (its memory is intact), `bprm->filename` in kernel memory for a success.
fn record(pending: &Pending, ret: i64, filename: u64, mut fl: u32) -> Result<(), i32> {
    let s: &mut Scratch<ExecEvent> = scratch().ok_or(-1)?;
    let task = process::current_task();
    process::fill(&mut s.event.process, task)?;
    s.event.syscall = syscall::info(pending, ret);
    if !filter::keep(&s.event.process, &s.event.syscall) {
        return Err(0);
    }
    let data = s.data.as_mut_ptr();

    let n = if fl & flags::SUCCESS != 0 {
        read_str(data, PATH_CAP as u32, filename).map_or(-1, |n| n as i64)
    } else {
        unsafe { bpf_probe_read_user_str(data.cast(), PATH_CAP as u32, filename as *const _) }
    };
    let filename_len = if n > 0 { n as usize } else { 0 };
    if filename_len == PATH_CAP {
        fl |= flags::FILENAME_TRUNCATED;
    }
    let mut pos = filename_len;

    let root = process::root(task)?;
    let mm: u64 = read(task, off!(task_struct_mm))?;

    s.event.exe_inode = InodeInfo::default();
    let mut exe_len = 0;
    let exe_file: u64 = read(mm, off!(mm_struct_exe_file)).unwrap_or(0);
    if exe_file != 0 {
        let mut exe = Walked {
            start: pos as u64,
            ..Default::default()
        };
        let mut inode = InodeInfo::default();
        path::file(s, exe_file, root, &mut exe, &mut inode)?;
        s.event.exe_inode = inode;
        fl |= flags::HAS_INODE;
        exe_len = exe.len as usize;
        if exe.truncated != 0 {
            fl |= flags::EXE_TRUNCATED;
        }
        if exe.deleted != 0 {
            fl |= flags::EXE_DELETED;
        }
    }
    pos += exe_len;

    let mut cwd = Walked {
        start: pos as u64,
        ..Default::default()
    };
    let fs: u64 = read(task, off!(task_struct_fs))?;
    path::walk(s, fs + off!(fs_struct_pwd), root, &mut cwd)?;
    if cwd.truncated != 0 {
        fl |= flags::CWD_TRUNCATED;
    }
    if cwd.deleted != 0 {
        fl |= flags::CWD_DELETED;
    }
    pos += cwd.len as usize;

    // argv as the kernel laid it out in the (new) image: NUL-separated.
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
    if pos > PRE_ARGV_CAP {
        return Err(-7);
    }
    let data = s.data.as_mut_ptr();
    if argv_len > 0
        && unsafe {
            bpf_probe_read_user(data.add(pos).cast(), argv_len as u32, arg_start as *const _)
        } < 0
    {
        argv_len = 0;
    }

    let e = &mut s.event;
    e.flags = fl;
    e.filename_len = filename_len as u32;
    e.exe_len = exe_len as u32;
    e.cwd_len = cwd.len as u32;
    e.argv_len = argv_len as u32;
    e.argv_total = total as u32;
    let len = core::mem::size_of_val(e) + pos + argv_len;
    emit::output(
        &mut e.header,
        EventKind::Exec,
        pending.ts_boot_ns,
        len,
        core::mem::size_of::<Scratch<ExecEvent>>(),
    )
}
