//! Stage 4, enrich: what the kernel record does not carry: wall-clock time
//! and serial (the event ID), the node, user and group names, and what is
//! known of the process and its parent.

pub mod cgroup;
pub mod cgroups;
pub mod clock;
pub mod names;
pub mod processes;

use std::rc::Rc;

use crate::decode::{Decoded, Event};

pub use clock::{EventId, Ids};
pub use names::Names;
pub use processes::{ProcessEntry, Processes};

pub struct Enricher {
    node: String,
    cgroups: cgroups::Cgroups,
    names: Names,
    processes: Processes,
}

/// One event with everything the renderers need. `id` and `key` are given
/// once the filter has kept it (only records written take a serial).
pub struct Enriched<'a> {
    pub decoded: &'a Decoded,
    pub id: EventId,
    /// The key of the rule that selected it.
    pub key: Option<&'a str>,
    pub node: &'a str,
    pub names: &'a Names,
    /// The process the event is about, as the process table knows it.
    pub subject: Option<Rc<ProcessEntry>>,
    pub parent: Option<Rc<ProcessEntry>>,
    /// The cgroup the process runs in, and its container or host unit.
    pub placement: Option<std::rc::Rc<cgroups::Placement>>,
}

impl Enricher {
    /// `controller`: the cgroup controller the kernel programs read.
    pub fn new(node: String, controller: &str) -> Self {
        Self {
            node,
            cgroups: cgroups::Cgroups::new(controller),
            names: Names::load(),
            processes: Processes::snapshot(),
        }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Updates the process table with `event`; returns what it knows of
    /// the event's process (the filter may need its exe).
    pub fn observe(&mut self, event: &Event) -> Option<Rc<ProcessEntry>> {
        self.processes.observe(event);
        self.processes.get(event.process().pid)
    }

    /// Everything the renderers need for `decoded`, whose process `observe`
    /// returned as `subject`.
    pub fn enrich<'a>(
        &'a mut self,
        decoded: &'a Decoded,
        subject: Option<Rc<ProcessEntry>>,
    ) -> Enriched<'a> {
        self.names.refresh_if_changed();
        Enriched {
            decoded,
            id: EventId::default(),
            key: None,
            node: &self.node,
            names: &self.names,
            subject,
            parent: self.processes.get(decoded.event.process().ppid),
            placement: self.cgroups.placement(decoded.event.process()),
        }
    }
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
