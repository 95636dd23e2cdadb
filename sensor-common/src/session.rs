//! Sessions entered through a container runtime (`kubectl exec`,
//! `kubectl attach`/`debug`, `crictl exec`): the runtime's shim starts a
//! process in a running container's namespaces, not descended from the
//! container's first process.
//!
//! At every exec whose mount namespace is not its parent's (a process
//! that entered or made namespaces: a container's first process, an
//! exec'd one, or a host process that unshared), a candidate record says
//! who it is, its pid within its own pid namespace, its command line and
//! its environment (for `KUBERNETES_EXEC_AUDIT_ID`), read from the new
//! image as argv is. Userspace decides which candidates start sessions.
//! Followed by `argv_len` bytes of argv, then `env_len` bytes of the
//! environment, both as the kernel lays them out (NUL-separated).

use crate::{event::EventHeader, process::ProcessInfo};

/// Most argv bytes kept (the session's COMMAND).
pub const ARGV_CAP: usize = 4096;
/// Most environment bytes kept.
pub const ENV_CAP: usize = 16384;
/// Masks that bound both for the verifier.
pub const ARGV_MASK: u64 = ARGV_CAP as u64 * 2 - 1;
pub const ENV_MASK: u64 = ENV_CAP as u64 * 2 - 1;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SessionCandidate {
    pub header: EventHeader,
    pub process: ProcessInfo,
    /// The process's pid in its own pid namespace (1 for a container's
    /// first process in a pid namespace of its own).
    pub ns_pid: u32,
    pub argv_len: u32,
    pub env_len: u32,
    /// Bytes of environment in the process (more than `env_len` when cut).
    pub env_total: u32,
    /// The parent's cgroup, as `process.cgroup_ctl_id` names the task's:
    /// a process made by a container's own processes shares theirs.
    pub parent_cgroup_ctl_id: u64,
}

const _: () = assert!(core::mem::size_of::<SessionCandidate>() == 184);

/// The session program (`sensor-ebpf/src/probes/session.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(session_exec,);
}
