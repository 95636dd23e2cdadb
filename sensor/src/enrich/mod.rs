//! Stage 4, enrich: what the kernel record does not carry: wall-clock time
//! and serial (the event ID), the node, user and group names, and the parent
//! process.

pub mod clock;
pub mod names;
pub mod processes;

use crate::decode::{Decoded, Event};

pub use clock::EventId;
pub use names::Names;
pub use processes::{ProcessEntry, Processes};

pub struct Enricher {
    clock: clock::Clock,
    serial: u64,
    node: String,
    names: Names,
    processes: Processes,
}

/// One event with everything the renderers need.
pub struct Enriched<'a> {
    pub decoded: &'a Decoded,
    pub id: EventId,
    pub node: &'a str,
    pub names: &'a Names,
    pub parent: Option<&'a ProcessEntry>,
}

impl Enricher {
    pub fn new(node: String) -> Self {
        Self {
            clock: clock::Clock::new(),
            serial: 0,
            node,
            names: Names::load(),
            processes: Processes::snapshot(),
        }
    }

    pub fn enrich<'a>(&'a mut self, decoded: &'a Decoded) -> Enriched<'a> {
        self.serial += 1;
        let id = self.clock.id(decoded.header.ts_boot_ns, self.serial);
        let Event::Exec(exec) = &decoded.event;
        let parent_pid = exec.process.ppid;
        if exec.success {
            self.processes.exec(exec);
        }
        self.names.refresh_if_changed();
        Enriched {
            decoded,
            id,
            node: &self.node,
            names: &self.names,
            parent: self.processes.get(parent_pid),
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
