//! The pipeline's own series: records read, events written by kind, rule
//! matches by key, and losses by stage and kind.

use std::collections::HashMap;

use sensor_common::event::{EventKind, KINDS, KIND_SLOTS};

use super::{registry, Counter};
use crate::loss::Lost;

pub struct PipelineMetrics {
    received: Counter,
    /// By kind slot.
    events: Vec<Option<Counter>>,
    matches: HashMap<String, Counter>,
}

impl PipelineMetrics {
    pub fn new() -> Self {
        let r = registry();
        let mut events = vec![None; KIND_SLOTS as usize];
        for kind in KINDS {
            events[kind as usize] = Some(r.counter(
                "sensor_events_total",
                "Events written, by kind.",
                &[("kind", kind.name())],
            ));
        }
        Self {
            received: r.counter(
                "sensor_records_received_total",
                "Records read from the ring buffer.",
                &[],
            ),
            events,
            matches: HashMap::new(),
        }
    }

    pub fn received(&self, n: u64) {
        self.received.add(n);
    }

    /// An event written: its kind, and the key of the rule that chose it.
    pub fn written(&mut self, kind: Option<EventKind>, key: Option<&str>) {
        if let Some(c) = kind.and_then(|k| self.events.get(k as usize)?.as_ref()) {
            c.inc();
        }
        if let Some(key) = key {
            match self.matches.get(key) {
                Some(c) => c.inc(),
                None => {
                    let c = registry().counter(
                        "sensor_rule_matches_total",
                        "Events recorded, by the key of the rule that matched.",
                        &[("key", key)],
                    );
                    c.inc();
                    self.matches.insert(key.to_string(), c);
                }
            }
        }
    }

    /// What a LOST record reports, also counted here.
    pub fn lost(&self, lost: &Lost) {
        for (stage, counts) in lost.stages() {
            for (kind, n) in counts {
                registry()
                    .counter(
                        "sensor_lost_records_total",
                        "Records lost, by stage (ring_buffer, kernel, decode, sink) and kind (event kind, or sink name).",
                        &[("stage", stage), ("kind", kind)],
                    )
                    .add(*n);
            }
        }
    }
}
