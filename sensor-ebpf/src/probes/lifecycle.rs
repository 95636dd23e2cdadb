//! fork/clone and exit (`sensor_common::lifecycle`), which keep the
//! daemon's process tree exact even for processes that never exec.

use aya_ebpf::{
    helpers::bpf_ktime_get_boot_ns,
    programs::{RawTracePointContext, TracePointContext},
};
use sensor_common::{
    event::EventKind,
    lifecycle::{program, ExitEvent, ForkEvent},
};

use crate::{
    emit,
    entry::entry,
    kernel::{off, read},
    maps::{global, scratch, Scratch},
    probes::generic,
    process, syscall,
};

/// `sched_process_fork(struct task_struct *parent, struct task_struct *child)`:
/// the raw tracepoint, because only the child's task says whether it is a
/// new process or a new thread.
#[inline(always)]
pub fn try_fork(ctx: &RawTracePointContext) -> Result<(), i32> {
    if syscall::is_self() {
        return Ok(());
    }
    let child: u64 = ctx.arg(1);
    let child_pid: u32 = read(child, off!(task_struct_tgid))?;
    let task = process::current_task();
    let parent_pid: u32 = read(task, off!(task_struct_tgid))?;
    if child_pid == parent_pid {
        return Err(0); // a thread
    }
    let s: &mut Scratch<ForkEvent> = scratch()?;
    process::fill(&mut s.event.parent, task)?;
    s.event.child_pid = child_pid;
    s.event._pad = 0;
    emit::output(s, EventKind::Fork, unsafe { bpf_ktime_get_boot_ns() }, 0)
}

/// `sched:sched_process_exit`, in the exiting task: recorded once per
/// process, when its last thread goes (or, where the tracepoint lacks
/// `group_dead`, when its leader does).
#[inline(always)]
pub fn try_exit(ctx: &TracePointContext) -> Result<(), i32> {
    if syscall::is_self() {
        return Ok(());
    }
    let unreturned = match generic::record_unreturned() {
        Err(0) => Ok(()),
        other => other,
    };
    let exit = exit_record(ctx);
    unreturned.and(exit)
}

/// The EXIT record, once per process.
#[inline(always)]
fn exit_record(ctx: &TracePointContext) -> Result<(), i32> {
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
    let s: &mut Scratch<ExitEvent> = scratch()?;
    process::fill(&mut s.event.process, task)?;
    s.event.exit_code = read(task, off!(task_struct_exit_code))?;
    s.event._pad = 0;
    emit::output(s, EventKind::Exit, unsafe { bpf_ktime_get_boot_ns() }, 0)
}

entry!(raw_tracepoint program::sched_process_fork, EventKind::Fork, |ctx| try_fork(&ctx));
entry!(tracepoint program::sched_process_exit, EventKind::Exit, |ctx| try_exit(&ctx));
