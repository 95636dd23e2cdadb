//! Runtime session candidates (`sensor_common::session`): at
//! `sched_process_exec`, an exec whose mount namespace differs from its
//! parent's. Any other exec costs two pointer chains.

use aya_ebpf::{helpers::bpf_ktime_get_boot_ns, programs::TracePointContext};
use sensor_common::{
    event::EventKind,
    session::{program, SessionCandidate, ARGV_CAP, ARGV_MASK, ENV_CAP, ENV_MASK},
};

use crate::{
    copy::{self, From},
    emit,
    entry::entry,
    filter,
    kernel::{off, read},
    maps::{scratch, Scratch},
    process, syscall,
};

/// The task's mount namespace.
#[inline(always)]
fn mnt_ns(task: u64) -> Result<u64, i32> {
    let nsproxy: u64 = read(task, off!(task_struct_nsproxy))?;
    read(nsproxy, off!(nsproxy_mnt_ns))
}

/// The task's pid in its own (deepest) pid namespace.
#[inline(always)]
fn ns_pid(task: u64) -> Result<u32, i32> {
    let pid: u64 = read(task, off!(task_struct_thread_pid))?;
    let level: u32 = read(pid, off!(pid_level))?;
    // Nesting is at most 32 levels deep (MAX_PID_NS_LEVEL).
    let at = off!(pid_numbers) + (level & 63) as u64 * off!(upid_size) + off!(upid_nr);
    read(pid, at)
}

/// The id of the task's cgroup in the controller's hierarchy (as
/// `process::fill` reads it).
#[inline(always)]
fn cgroup_ctl_id(task: u64) -> Result<u64, i32> {
    let css_set: u64 = read(task, off!(task_struct_cgroups))?;
    let css: u64 = read(css_set, off!(css_set_subsys_ctl))?;
    let cgroup: u64 = read(css, off!(cgroup_subsys_state_cgroup))?;
    let kn: u64 = read(cgroup, off!(cgroup_kn))?;
    read(kn, off!(kernfs_node_id))
}

/// Copies `len` bytes (at most `cap`) of user memory at `from` to the
/// record's data at `pos`; the bytes copied.
#[inline(always)]
fn user_bytes<const POS: u64, const LEN: u64>(
    data: *mut u8,
    pos: u64,
    from: u64,
    len: u64,
    cap: u64,
) -> u64 {
    let len = if len < cap { len } else { cap };
    if len == 0 || copy::to::<POS, LEN>(From::User, data, pos, len, from) != 0 {
        return 0;
    }
    len
}

#[inline(always)]
pub fn try_exec(_ctx: &TracePointContext) -> Result<(), i32> {
    if syscall::is_self() {
        return Err(0);
    }
    let task = process::current_task();
    let parent: u64 = read(task, off!(task_struct_real_parent))?;
    if mnt_ns(task)? == mnt_ns(parent)? {
        return Err(0);
    }
    let s: &mut Scratch<SessionCandidate> = scratch()?;
    process::fill(&mut s.event.process, task)?;
    if !filter::in_scope(&s.event.process) {
        return Err(0);
    }
    s.event.ns_pid = ns_pid(task).unwrap_or(0);
    s.event.parent_cgroup_ctl_id = cgroup_ctl_id(parent).unwrap_or(0);
    let mm: u64 = read(task, off!(task_struct_mm))?;
    let arg_start: u64 = read(mm, off!(mm_struct_arg_start))?;
    let arg_end: u64 = read(mm, off!(mm_struct_arg_end))?;
    let env_start: u64 = read(mm, off!(mm_struct_env_start))?;
    let env_end: u64 = read(mm, off!(mm_struct_env_end))?;
    let data = s.data.as_mut_ptr();
    let argv_len = user_bytes::<0, ARGV_MASK>(
        data,
        0,
        arg_start,
        arg_end.saturating_sub(arg_start),
        ARGV_CAP as u64,
    );
    let env_total = env_end.saturating_sub(env_start);
    let env_len =
        user_bytes::<ARGV_MASK, ENV_MASK>(data, argv_len, env_start, env_total, ENV_CAP as u64);
    let e = &mut s.event;
    e.argv_len = argv_len as u32;
    e.env_len = env_len as u32;
    e.env_total = env_total as u32;
    let ts = unsafe { bpf_ktime_get_boot_ns() };
    emit::output(
        s,
        EventKind::SessionCandidate,
        ts,
        (argv_len + env_len) as usize,
    )
}

// A possible runtime session's root; a second program on
// `sched_process_exec`, attached whatever the rules.
entry!(tracepoint program::session_exec, EventKind::SessionCandidate, |ctx| {
    try_exec(&ctx)
});
