//! Stage 4, enrich: what the kernel record does not carry: wall-clock time
//! and serial (the event ID), the node, user and group names, and what is
//! known of the process and its parent.

pub mod caps;
pub mod cgroup;
pub mod cgroups;
pub mod clock;
pub mod exec;
pub mod files;
pub mod hold;
pub mod names;
pub mod processes;
pub mod runtime;
pub mod session;

use std::{rc::Rc, sync::Arc, time::Duration};

use crate::decode::{Decoded, Event};

pub use clock::{EventId, Ids};
pub use names::Names;
pub use processes::{ProcessEntry, ProcessKey, Processes, Target};
use runtime::{Attribution, ContainerMeta, Metadata};

/// Where events come from, beyond the kernel record.
pub struct Settings {
    pub node: String,
    /// `CLUSTER` in every record, when configured.
    pub cluster: Option<String>,
    /// The cgroup controller the kernel programs read.
    pub controller: &'static str,
    /// CRI endpoints asked for container metadata (none: not asked).
    pub runtime: runtime::Endpoints,
    /// Longest an event waits for its container's metadata.
    pub metadata_wait: Duration,
    /// How long a container's metadata is kept after it has gone.
    pub metadata_retention: Duration,
}

pub struct Enricher {
    node: String,
    cluster: Option<String>,
    cgroups: cgroups::Cgroups,
    names: Names,
    processes: Processes,
    sessions: session::Sessions,
    files: files::Files,
    /// Every capability of the kernel (CAP_FULL_SET).
    full_caps: u64,
    pub metadata: Metadata,
    hold: hold::Hold,
}

/// An event the filter kept, with what enrichment found when it came in.
pub struct Ready {
    pub decoded: Decoded,
    /// The key of the rule that selected it.
    pub key: Option<String>,
    /// The process the event is about, as the process table knows it.
    pub subject: Option<Rc<ProcessEntry>>,
    pub parent: Option<Rc<ProcessEntry>>,
    /// The cgroup the process runs in, and its container or host unit.
    pub placement: Option<Rc<cgroups::Placement>>,
    /// The container's runtime metadata (name, image, pod), when known.
    pub container: Option<Arc<ContainerMeta>>,
    /// An exec's PATH items, BPRM_FCAPS and SCRIPT.
    pub exec: Option<exec::ExecFacts>,
    /// The process the syscall acted on (kill, ptrace).
    pub target: Option<Target>,
}

impl Ready {
    /// The id of the event's container, if a CRI runtime may know it: a
    /// pod's (any runtime serving kubelet), or containerd's or CRI-O's.
    /// Docker's and podman's own containers have no CRI to ask.
    fn cri_container_id(&self) -> Option<&str> {
        use cgroup::{Origin, Runtime};
        match &self.placement.as_ref()?.origin {
            Origin::Container {
                id,
                runtime,
                pod_uid,
            } if pod_uid.is_some() || matches!(runtime, Runtime::Containerd | Runtime::CriO) => {
                Some(id)
            }
            _ => None,
        }
    }
}

/// One event with everything the renderers need; `id` is given once it is
/// written (only records written take a serial).
pub struct Enriched<'a> {
    pub decoded: &'a Decoded,
    pub id: EventId,
    pub key: Option<&'a str>,
    pub node: &'a str,
    pub cluster: Option<&'a str>,
    pub names: &'a Names,
    pub subject: Option<&'a ProcessEntry>,
    pub parent: Option<&'a ProcessEntry>,
    pub placement: Option<&'a cgroups::Placement>,
    pub container: Option<&'a ContainerMeta>,
    pub exec: Option<&'a exec::ExecFacts>,
    pub target: Option<&'a Target>,
}

impl Enricher {
    pub fn new(settings: Settings) -> Self {
        Self {
            node: settings.node,
            cluster: settings.cluster,
            cgroups: cgroups::Cgroups::new(settings.controller),
            names: Names::load(),
            processes: Processes::snapshot(),
            sessions: session::Sessions::new(),
            files: files::Files::default(),
            full_caps: files::valid_caps(),
            metadata: Metadata::start(settings.runtime, settings.metadata_retention),
            hold: hold::Hold::new(settings.metadata_wait),
        }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Updates the process table with `decoded`; returns what it knows of
    /// the event's process (the filter may need its exe).
    pub fn observe(&mut self, decoded: &Decoded) -> Option<Rc<ProcessEntry>> {
        let event = &decoded.event;
        match event {
            Event::Cgroup(made) => {
                if let Some(placement) = self.cgroups.learn(made) {
                    self.sessions.container_made(&placement);
                }
            }
            Event::SessionCandidate(c) => {
                let p = &c.process;
                // A session's root that execs again stays in its session.
                let in_session = self
                    .processes
                    .get(p.pid)
                    .is_some_and(|e| e.session.is_some());
                let placement = self.cgroups.placement(p);
                let ts = decoded.header.ts_boot_ns;
                if let Some(s) = (!in_session)
                    .then(|| self.sessions.start(c, placement.as_deref(), ts))
                    .flatten()
                {
                    self.processes.start_session(p, s);
                }
            }
            Event::Exit(x) => self.sessions.exited(x.process.pid),
            _ => {}
        }
        self.processes.observe(decoded);
        self.processes.get(event.process().pid)
    }

    /// Completes the process of a kernel record (which names only a pid)
    /// from the process table: its parent and cgroups, from /proc when the
    /// table has not seen them.
    pub fn place(&mut self, p: &mut sensor_common::process::ProcessInfo) {
        if p.pid == 0 {
            return;
        }
        let entry = self.processes.get_or_gone(p.pid);
        if let Some(e) = &entry {
            p.ppid = e.ppid;
        }
        let ids = entry
            .and_then(|e| e.cgroups)
            .or_else(|| self.cgroups.ids_of_pid(p.pid));
        if let Some((unified, controller)) = ids {
            p.cgroup_id = unified;
            p.cgroup_ctl_id = controller;
        }
    }

    /// Enriches `decoded`, whose process `observe` returned as `subject`:
    /// ready now, or None while it waits for its container's metadata
    /// (`release` gives it back).
    pub fn enrich(
        &mut self,
        decoded: Decoded,
        key: Option<String>,
        subject: Option<Rc<ProcessEntry>>,
    ) -> Option<Ready> {
        let exec = match &decoded.event {
            Event::Exec(x) => Some(exec::facts(x, &mut self.files, self.full_caps)),
            _ => None,
        };
        let target = match &decoded.event {
            Event::Syscall(x) => processes::logged_target(x).map(|pid| self.processes.target(pid)),
            _ => None,
        };
        let mut ready = Ready {
            parent: self.processes.get(decoded.event.process().ppid),
            placement: self.cgroups.placement(decoded.event.process()),
            decoded,
            key,
            subject,
            container: None,
            exec,
            target,
        };
        let Some(id) = ready.cri_container_id().map(str::to_owned) else {
            return Some(ready);
        };
        match self.metadata.get(&id) {
            Attribution::Known(meta) if !self.hold.holds(&id) => {
                ready.container = meta;
                Some(ready)
            }
            _ => {
                self.hold.push(ready, id);
                None
            }
        }
    }

    /// Held events that may go now (all of them with `all`, at shutdown).
    pub fn release(&mut self, all: bool) -> Vec<Ready> {
        self.hold.release(&mut self.metadata, all)
    }

    /// When the next held event must go without its metadata.
    pub fn hold_deadline(&self) -> Option<std::time::Instant> {
        self.hold.deadline()
    }

    /// SIGHUP's settings: the records written from now on carry the new
    /// names; events held already keep their deadline.
    pub fn reconfigure(
        &mut self,
        node: String,
        cluster: Option<String>,
        metadata_wait: Duration,
        metadata_retention: Duration,
    ) {
        self.node = node;
        self.cluster = cluster;
        self.hold.wait = metadata_wait;
        self.metadata.retention = metadata_retention;
    }

    /// The renderers' view of `ready`, numbered `id`. A written exec's ID
    /// becomes its program's key.
    pub fn view<'a>(&'a mut self, ready: &'a Ready, id: EventId) -> Enriched<'a> {
        self.names.refresh_if_changed();
        if let (Event::Exec(x), Some(subject)) = (&ready.decoded.event, &ready.subject) {
            if x.success {
                subject.key.set(ProcessKey::Event(id));
            }
        }
        Enriched {
            decoded: &ready.decoded,
            id,
            key: ready.key.as_deref(),
            node: &self.node,
            cluster: self.cluster.as_deref(),
            names: &self.names,
            subject: ready.subject.as_deref(),
            parent: ready.parent.as_deref(),
            placement: ready.placement.as_deref(),
            container: ready.container.as_deref(),
            exec: ready.exec.as_ref(),
            target: ready.target.as_ref(),
        }
    }
}

/// `CLUSTER`: the flag's, else $CLUSTER_NAME, if any.
pub fn cluster_name(flag: Option<String>) -> Option<String> {
    flag.or_else(|| std::env::var("CLUSTER_NAME").ok().filter(|c| !c.is_empty()))
}

/// `NODE`: the downward API's NODE_NAME in a pod, else the host name.
pub fn node_name(flag: Option<String>) -> String {
    flag.or_else(|| std::env::var("NODE_NAME").ok().filter(|n| !n.is_empty()))
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "localhost".to_owned())
}
