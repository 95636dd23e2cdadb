//! fork/clone and exit (`sensor_common::lifecycle`), which keep the
//! daemon's process tree exact even for processes that never exec.

use aya_ebpf::{
    helpers::bpf_ktime_get_boot_ns,
    programs::{RawTracePointContext, TracePointContext},
};
use sensor_common::{
    event::EventKind,
    lifecycle::{ExitEvent, ForkEvent},
};

use crate::{
    emit,
    kernel::{off, read},
    maps::global,
    process, syscall,
};

/// `sched_process_fork(struct task_struct *parent, struct task_struct *child)`:
/// the raw tracepoint, because only the child's task says whether it is a
/// new process or a new thread.
pub fn try_fork(ctx: &RawTracePointContext) -> Result<(), i32> {
    if syscall::is_self() {
        return Ok(());
    }
    let child: u64 = ctx.arg(1);
    let child_pid: u32 = read(child, off!(task_struct_tgid))?;
    let parent_pid: u32 = read(process::current_task(), off!(task_struct_tgid))?;
    if child_pid == parent_pid {
        return Err(0); // a thread
    }
    emit::reserved(
        EventKind::Fork,
        unsafe { bpf_ktime_get_boot_ns() },
        |e: &mut ForkEvent| {
            process::fill(&mut e.parent, process::current_task())?;
            e.child_pid = child_pid;
            e._pad = 0;
            Ok(())
        },
    )
}

/// `sched:sched_process_exit`, in the exiting task: recorded once per
/// process, when its last thread goes (or, where the tracepoint lacks
/// `group_dead`, when its leader does).
pub fn try_exit(ctx: &TracePointContext) -> Result<(), i32> {
    if syscall::is_self() {
        return Ok(());
    }
    let task = process::current_task();
    let group_dead_at = global!(CONFIG.exit_group_dead_offset) as usize;
    let last = if group_dead_at != 0 {
        unsafe { ctx.read_at::<u8>(group_dead_at)? != 0 }
    } else {
        read::<u32>(task, off!(task_struct_pid))? == read::<u32>(task, off!(task_struct_tgid))?
    };
    if !last {
        return Err(0);
    }
    emit::reserved(
        EventKind::Exit,
        unsafe { bpf_ktime_get_boot_ns() },
        |e: &mut ExitEvent| {
            process::fill(&mut e.process, task)?;
            e.exit_code = read(task, off!(task_struct_exit_code))?;
            e._pad = 0;
            Ok(())
        },
    )
}
