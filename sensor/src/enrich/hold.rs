//! Events waiting, for a bounded time, for their container's metadata.
//!
//! A container's first event reaches the sensor before the runtime has
//! been asked who it is, and a container that exits at once has no later
//! event to carry the answer. So the events of a container being looked up
//! wait here (in order, per container) until the answer comes or `wait`
//! passes; other events flow past. Each container's events leave in the
//! order they came: all of them wait while any one does.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

use super::{runtime::Metadata, Ready};

/// Most events held at once; past it the oldest leave without metadata.
const CAPACITY: usize = 1 << 16;

struct Held {
    ready: Ready,
    container: String,
    deadline: Instant,
}

pub struct Hold {
    queue: VecDeque<Held>,
    by_container: HashMap<String, usize>,
    /// How long an event waits (SIGHUP may change it).
    pub wait: Duration,
}

impl Hold {
    pub fn new(wait: Duration) -> Self {
        Self {
            queue: VecDeque::new(),
            by_container: HashMap::new(),
            wait,
        }
    }

    /// Whether events of `container` are waiting (a later one must too).
    pub fn holds(&self, container: &str) -> bool {
        self.by_container.contains_key(container)
    }

    pub fn push(&mut self, ready: Ready, container: String) {
        *self.by_container.entry(container.clone()).or_default() += 1;
        self.queue.push_back(Held {
            ready,
            container,
            deadline: Instant::now() + self.wait,
        });
    }

    /// When the oldest held event must leave, if any is held (the queue
    /// is in arrival order, and every event waits as long).
    pub fn deadline(&self) -> Option<Instant> {
        self.queue.front().map(|h| h.deadline)
    }

    /// The held events that may leave now, oldest first, with what is known
    /// of their container: answered, past their deadline, beyond capacity,
    /// or all of them (`all`, at shutdown).
    pub fn release(&mut self, metadata: &mut Metadata, all: bool) -> Vec<Ready> {
        let now = Instant::now();
        let mut out = Vec::new();
        let mut kept = VecDeque::with_capacity(self.queue.len());
        let excess = self.queue.len().saturating_sub(CAPACITY);
        for (i, mut held) in self.queue.drain(..).enumerate() {
            let answered = match metadata.get(&held.container) {
                super::runtime::Attribution::Known(meta) => {
                    held.ready.container = meta;
                    true
                }
                super::runtime::Attribution::Pending => false,
            };
            if !(answered || all || i < excess || held.deadline <= now) {
                kept.push_back(held);
                continue;
            }
            if !answered {
                metadata.stats.timeouts += 1;
            }
            if let Some(n) = self.by_container.get_mut(&held.container) {
                *n -= 1;
                if *n == 0 {
                    self.by_container.remove(&held.container);
                }
            }
            out.push(held.ready);
        }
        self.queue = kept;
        out
    }
}
