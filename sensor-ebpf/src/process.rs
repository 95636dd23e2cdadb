//! The process fields of a SYSCALL record, from the current task.

use aya_ebpf::helpers::{
    bpf_get_current_cgroup_id, bpf_get_current_comm, bpf_get_current_pid_tgid,
    generated::bpf_get_current_task,
};
use sensor_common::process::{ProcessInfo, TTY_NAME_LEN};

use crate::kernel::{off, read, read_fields, read_str};

#[inline(always)]
pub fn current_task() -> u64 {
    unsafe { bpf_get_current_task() }
}

#[inline(always)]
pub fn fill(p: &mut ProcessInfo, task: u64) -> Result<(), i32> {
    let pid_tgid = bpf_get_current_pid_tgid();
    p.pid = (pid_tgid >> 32) as u32;
    p.tid = pid_tgid as u32;
    p.cgroup_id = unsafe { bpf_get_current_cgroup_id() };
    p.comm = bpf_get_current_comm().unwrap_or_default();

    let parent: u64 = read(task, off!(task_struct_real_parent))?;
    p.ppid = read(parent, off!(task_struct_tgid))?;

    [
        p.uid, p.euid, p.suid, p.fsuid, p.gid, p.egid, p.sgid, p.fsgid,
    ] = credentials(task)?;
    [p.auid, p.ses] = login(task)?;

    // Where the container runtimes put the task: its cgroup in one
    // controller's hierarchy, and its namespaces.
    p.cgroup_ctl_id = controller_cgroup(task)?;
    let nsproxy: u64 = read(task, off!(task_struct_nsproxy)).unwrap_or(0);
    let [mnt_ns, pid_ns] = read_fields::<u64, 2, 2>(
        nsproxy,
        [off!(nsproxy_mnt_ns), off!(nsproxy_pid_ns_for_children)],
    )
    .unwrap_or_default();
    p.mntns = read(mnt_ns, off!(mnt_namespace_inum)).unwrap_or(0);
    p.pidns = read(pid_ns, off!(pid_namespace_inum)).unwrap_or(0);

    p.tty[0] = 0;
    let signal: u64 = read(task, off!(task_struct_signal))?;
    let tty: u64 = read(signal, off!(signal_struct_tty)).unwrap_or(0);
    if tty != 0 {
        let _ = read_str(
            p.tty.as_mut_ptr(),
            TTY_NAME_LEN as u32,
            tty + off!(tty_struct_name),
        );
    }
    Ok(())
}

/// The subjective credentials, as audit logs them (current_cred()): uid,
/// euid, suid, fsuid, gid, egid, sgid, fsgid.
#[inline(always)]
pub fn credentials(task: u64) -> Result<[u32; 8], i32> {
    let cred: u64 = read(task, off!(task_struct_cred))?;
    // The eight ids sit together in struct cred. (Profiling a socket storm:
    // eight single probe reads here were a fifth of the traced process's
    // time.)
    read_fields::<u32, 8, 8>(
        cred,
        [
            off!(cred_uid),
            off!(cred_euid),
            off!(cred_suid),
            off!(cred_fsuid),
            off!(cred_gid),
            off!(cred_egid),
            off!(cred_sgid),
            off!(cred_fsgid),
        ],
    )
}

/// The task's loginuid and session id.
#[inline(always)]
pub fn login(task: u64) -> Result<[u32; 2], i32> {
    read_fields::<u32, 2, 2>(
        task,
        [off!(task_struct_loginuid), off!(task_struct_sessionid)],
    )
}

/// The id of the task's cgroup in the hierarchy of the controller the
/// container runtimes place tasks by (`scope::hierarchy::CONTROLLER`).
#[inline(always)]
pub fn controller_cgroup(task: u64) -> Result<u64, i32> {
    let css_set: u64 = read(task, off!(task_struct_cgroups))?;
    let css: u64 = read(css_set, off!(css_set_subsys_ctl))?;
    let cgroup: u64 = read(css, off!(cgroup_subsys_state_cgroup))?;
    let kn: u64 = read(cgroup, off!(cgroup_kn))?;
    read(kn, off!(kernfs_node_id))
}

/// The task's root (`task->fs->root`), a `struct path` address, which path
/// walks stop at.
#[inline(always)]
pub fn root(task: u64) -> Result<u64, i32> {
    let fs: u64 = read(task, off!(task_struct_fs))?;
    Ok(fs + off!(fs_struct_root))
}
