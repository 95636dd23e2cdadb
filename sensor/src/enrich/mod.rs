//! Stage 4, enrich: what the kernel record does not carry: wall-clock time
//! and serial (the event ID), the node, user and group names, and what is
//! known of the process and its parent.

pub mod clock;
pub mod names;
pub mod processes;

use crate::decode::Decoded;

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
    /// The process the event is about, as the process table knows it.
    pub subject: Option<ProcessEntry>,
    pub parent: Option<ProcessEntry>,
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

    /// The next event ID for a record stamped `ts_boot_ns`.
    pub fn next_id(&mut self, ts_boot_ns: u64) -> EventId {
        self.serial += 1;
        self.clock.id(ts_boot_ns, self.serial)
    }

    /// The boot-clock time now, for records the sensor makes itself.
    pub fn now_boot_ns(&self) -> u64 {
        clock::boot_ns()
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn enrich<'a>(&'a mut self, decoded: &'a Decoded) -> Enriched<'a> {
        let id = self.next_id(decoded.header.ts_boot_ns);
        self.processes.observe(&decoded.event);
        self.names.refresh_if_changed();
        let process = decoded.event.process();
        Enriched {
            decoded,
            id,
            node: &self.node,
            names: &self.names,
            subject: self.processes.get(process.pid),
            parent: self.processes.get(process.ppid),
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
