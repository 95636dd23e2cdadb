//! A cgroup made (`cgroup_mkdir`): its id and path, so that userspace
//! knows where a cgroup is even when it is gone by the time the events of
//! its processes are read (a container that ran for a millisecond, or a
//! reader behind a burst). Followed by `path_len` bytes of path.

use crate::{event::EventHeader, process::ProcessInfo};

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CgroupEvent {
    pub header: EventHeader,
    /// The process that made it (a runtime, systemd…).
    pub process: ProcessInfo,
    /// The hierarchy's id (`cgroup_root.hierarchy_id`; 0 is cgroup v2).
    pub hierarchy: u32,
    pub path_len: u32,
    /// The cgroup's id in its hierarchy (its kernfs node id).
    pub id: u64,
}

/// Most path bytes kept; a longer path is not recorded.
pub const CGROUP_PATH_CAP: usize = 1024;

const _: () = assert!(core::mem::size_of::<CgroupEvent>() == 176);

/// The cgroup program (`sensor-ebpf/src/probes/cgroup.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(cgroup_mkdir,);
}
