//! Scope exclusions the kernel applies: cgroups whose events are dropped
//! before any record is assembled (`--exclude`, once userspace has learnt
//! that a cgroup's container or host matches).

/// A cgroup, named in the hierarchy userspace resolves cgroups in.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CgroupKey {
    /// The cgroup's kernfs id in that hierarchy.
    pub id: u64,
    /// [`hierarchy::UNIFIED`] or [`hierarchy::CONTROLLER`]: ids of
    /// different hierarchies may coincide.
    pub hierarchy: u64,
}

pub mod hierarchy {
    /// cgroup v2 (`ProcessInfo::cgroup_id`).
    pub const UNIFIED: u64 = 0;
    /// The controller's v1 hierarchy (`ProcessInfo::cgroup_ctl_id`).
    pub const CONTROLLER: u64 = 1;
}

/// Most cgroups excluded in the kernel; beyond it userspace drops them.
pub const SCOPE_EXCLUDED_MAX: u32 = 16384;

const _: () = assert!(core::mem::size_of::<CgroupKey>() == 16);

#[cfg(feature = "user")]
unsafe impl aya::Pod for CgroupKey {}
