//! Cgroups made (`sensor_common::cgroup`): the raw tracepoint
//! `cgroup_mkdir(struct cgroup *cgrp, const char *path)` gives the new
//! cgroup and its path within its hierarchy, before any process can be in
//! it.

use aya_ebpf::{helpers::bpf_ktime_get_boot_ns, programs::RawTracePointContext};
use sensor_common::{
    cgroup::{program, CgroupEvent, CGROUP_PATH_CAP},
    event::EventKind,
};

use crate::{
    emit,
    entry::entry,
    kernel::{off, read, read_str},
    maps::{scratch, Scratch},
    process,
};

#[inline(always)]
pub fn try_mkdir(ctx: &RawTracePointContext) -> Result<(), i32> {
    let cgroup: u64 = ctx.arg(0);
    let path: u64 = ctx.arg(1);
    let s: &mut Scratch<CgroupEvent> = scratch()?;
    process::fill(&mut s.event.process, process::current_task())?;
    let kn: u64 = read(cgroup, off!(cgroup_kn))?;
    s.event.id = read(kn, off!(kernfs_node_id))?;
    let root: u64 = read(cgroup, off!(cgroup_root))?;
    s.event.hierarchy = read(root, off!(cgroup_root_hierarchy_id))?;
    // Without its NUL; a path longer than the cap is not worth recording.
    let len = read_str(s.data.as_mut_ptr(), CGROUP_PATH_CAP as u32, path)?;
    let len = len.saturating_sub(1) & (CGROUP_PATH_CAP - 1);
    s.event.path_len = len as u32;
    emit::output(
        s,
        EventKind::Cgroup,
        unsafe { bpf_ktime_get_boot_ns() },
        len,
    )
}

entry!(raw_tracepoint program::cgroup_mkdir, EventKind::Cgroup, |ctx| try_mkdir(&ctx));
