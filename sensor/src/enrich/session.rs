//! Sessions entered through a container runtime (`kubectl exec`, `crictl
//! exec`): a process the runtime's shim starts
//! in a running container, not descended from the container's first
//! process. Its root is found from the kernel's candidates (an exec in
//! namespaces its parent is not in: `decode::session`); the process table
//! hands the session on to every process forked below it.
//!
//! A candidate is a session's root when it runs in a container, its
//! parent is not in the container's cgroup (the shim, runc), and it is not
//! the container's first process: that one is pid 1 of its own pid
//! namespace, or, in a pod that shares one pid namespace, the first
//! candidate of a container whose cgroup the sensor saw made.

use std::{collections::HashSet, rc::Rc};

use bytes::Bytes;

use super::{
    cgroup::Origin,
    cgroups::Placement,
    clock::{Clock, EventId},
};
use crate::decode::session::Candidate;

pub struct Session {
    /// `PID@SECS.MSEC` of the root's exec: unique on the node.
    pub id: String,
    /// When the root exec'd (the kernel's time), and its boot-clock stamp.
    pub started: EventId,
    pub started_ns: u64,
    pub root_pid: u32,
    /// The root's command line (`kubectl exec … -- COMMAND`).
    pub command: Vec<Bytes>,
    /// The root's terminal (`-t`), empty without one.
    pub tty: Vec<u8>,
    /// `KUBERNETES_EXEC_AUDIT_ID` of the root's environment.
    pub audit_id: Option<Bytes>,
}

/// Bound on containers remembered as new.
const CAPACITY: usize = 1 << 14;

pub struct Sessions {
    clock: Clock,
    /// Containers whose cgroup was made while the sensor watched and whose
    /// first process has not exec'd yet.
    fresh: HashSet<String>,
    /// Containers' first processes, until they exit: one that execs again
    /// (an entrypoint script's `exec server`) is still no session.
    firsts: HashSet<u32>,
}

impl Sessions {
    pub fn new() -> Self {
        Self {
            clock: Clock::new(),
            fresh: HashSet::new(),
            firsts: HashSet::new(),
        }
    }

    /// A cgroup was made: a container's, whose first process is to come.
    pub fn container_made(&mut self, placement: &Placement) {
        if let Origin::Container { id, .. } = &placement.origin {
            if self.fresh.len() >= CAPACITY {
                self.fresh.clear();
            }
            self.fresh.insert(id.clone());
        }
    }

    /// A process exited: its pid may be another's next.
    pub fn exited(&mut self, pid: u32) {
        self.firsts.remove(&pid);
    }

    /// The session `c` starts, if it is a session's root; `placement` is
    /// where it runs, `ts_boot_ns` its exec's time. A root that execs
    /// again stays in its session: the caller does not ask then.
    pub fn start(
        &mut self,
        c: &Candidate,
        placement: Option<&Placement>,
        ts_boot_ns: u64,
    ) -> Option<Rc<Session>> {
        let Origin::Container { id, .. } = &placement?.origin else {
            return None; // a host process that made namespaces
        };
        if c.parent_cgroup_ctl_id == c.process.cgroup_ctl_id {
            return None; // made by the container's own processes
        }
        let pid = c.process.pid;
        let first = self.fresh.remove(id.as_str());
        if first || c.ns_pid == 1 || self.firsts.contains(&pid) {
            if self.firsts.len() >= CAPACITY {
                self.firsts.clear();
            }
            self.firsts.insert(pid);
            return None; // the container's first process
        }
        let started = self.clock.id(ts_boot_ns, 0);
        Some(Rc::new(Session {
            id: format!("{pid}@{}.{:03}", started.secs, started.millis),
            started,
            started_ns: ts_boot_ns,
            root_pid: pid,
            command: c.argv.clone(),
            tty: crate::decode::c_str(&c.process.tty).to_vec(),
            audit_id: c.audit_id.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::cgroup::Runtime;
    use sensor_common::scope::CgroupKey;

    fn candidate(pid: u32, ns_pid: u32, cgroup: u64, parent_cgroup: u64) -> Candidate {
        let mut process: sensor_common::process::ProcessInfo = unsafe { std::mem::zeroed() };
        process.pid = pid;
        process.cgroup_ctl_id = cgroup;
        process.tty[..4].copy_from_slice(b"pts0");
        Candidate {
            process,
            ns_pid,
            parent_cgroup_ctl_id: parent_cgroup,
            argv: vec![Bytes::from_static(b"sh")],
            audit_id: Some(Bytes::from_static(b"d2a1")),
        }
    }

    fn container(id: &str) -> Placement {
        Placement {
            path: format!("/kubepods/besteffort/podx/{id}"),
            origin: Origin::Container {
                id: id.into(),
                runtime: Runtime::Containerd,
                pod_uid: None,
            },
            key: CgroupKey {
                id: 0,
                hierarchy: 0,
            },
        }
    }

    #[test]
    fn only_a_process_the_runtime_starts_later_is_a_root() {
        let mut s = Sessions::new();
        let c = container("c1");
        s.container_made(&c);
        // The container's first process, in a shared pid namespace.
        assert!(s.start(&candidate(10, 7, 5, 1), Some(&c), 1).is_none());
        // Made inside the container (same cgroup as its parent).
        assert!(s.start(&candidate(11, 8, 5, 5), Some(&c), 2).is_none());
        // pid 1 of its own namespace.
        assert!(s.start(&candidate(12, 1, 5, 1), Some(&c), 3).is_none());
        // The first process execs again (`exec server`), until it exits.
        assert!(s.start(&candidate(10, 7, 5, 1), Some(&c), 3).is_none());
        s.exited(10);
        // The shim's exec.
        let root = s.start(&candidate(13, 9, 5, 1), Some(&c), 4).unwrap();
        assert_eq!(root.root_pid, 13);
        assert_eq!(root.tty, b"pts0");
        assert_eq!(root.audit_id.as_deref(), Some(&b"d2a1"[..]));
        // A host process that unshared its mount namespace.
        let host = Placement {
            path: "/system.slice/x.service".into(),
            origin: Origin::Host { unit: None },
            key: CgroupKey {
                id: 0,
                hierarchy: 0,
            },
        };
        assert!(s.start(&candidate(14, 9, 6, 1), Some(&host), 5).is_none());
    }
}
