//! Runtime session candidates (`sensor_common::session`).

use anyhow::Result;
use bytes::Bytes;
use sensor_common::{process::ProcessInfo, session::SessionCandidate};

use super::{exec::split_argv, read_struct, Trailer};

/// Kubernetes' key joining an exec session to the API server's audit log
/// (KEP-6035): set in the environment of the process kubelet starts.
pub const AUDIT_ID_VAR: &[u8] = b"KUBERNETES_EXEC_AUDIT_ID=";

pub struct Candidate {
    pub process: ProcessInfo,
    /// Its pid in its own pid namespace.
    pub ns_pid: u32,
    /// The parent's cgroup (as `process.cgroup_ctl_id`).
    pub parent_cgroup_ctl_id: u64,
    pub argv: Vec<Bytes>,
    /// `KUBERNETES_EXEC_AUDIT_ID` from its environment, if set (and within
    /// the part of the environment read).
    pub audit_id: Option<Bytes>,
}

pub fn decode(raw: Bytes) -> Result<Candidate> {
    let e: SessionCandidate = read_struct(&raw)?;
    let mut data = Trailer::after::<SessionCandidate>(raw);
    let argv = data.take(e.argv_len, "session argv")?;
    let env = data.take(e.env_len, "session environment")?;
    Ok(Candidate {
        process: e.process,
        ns_pid: e.ns_pid,
        parent_cgroup_ctl_id: e.parent_cgroup_ctl_id,
        argv: split_argv(&argv),
        audit_id: env
            .split(|&b| b == 0)
            .find_map(|var| var.strip_prefix(AUDIT_ID_VAR))
            .map(|id| env.slice_ref(id)),
    })
}
