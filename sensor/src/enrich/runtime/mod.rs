//! Container and pod metadata from the container runtimes (CRI API).
//!
//! The event path never waits on a runtime: lookups run on their own
//! thread ([`service`]); the pipeline asks for a container id once and
//! learns the answer as an [`Update`]. Until then it may hold that
//! container's events for a bounded time (`enrich::hold`), so that a
//! container's first events, and those of one that exits at once, are
//! attributed in full.

pub mod cri;
pub mod grpc;
mod service;

pub use service::Endpoints;

use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::metrics::{registry, Counter, Gauge};

type Map = BTreeMap<String, String>;

#[derive(Debug, Default)]
pub struct PodMeta {
    pub sandbox_id: String,
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub labels: Map,
    pub annotations: Map,
}

#[derive(Debug, Default)]
pub struct ContainerMeta {
    pub id: String,
    pub name: String,
    /// The runtime that answered (`containerd`, `cri-o`): the cgroup path
    /// of the cgroupfs driver does not say.
    pub runtime: String,
    pub image: String,
    pub image_id: String,
    pub pod: Option<Arc<PodMeta>>,
}

/// What the lookup thread tells the pipeline.
#[derive(Debug)]
pub enum Update {
    Found(Arc<ContainerMeta>),
    /// No runtime knows the id (a container of a runtime without CRI).
    Unknown(String),
    /// The runtimes could not be asked; asked again when one returns.
    Failed(String),
    /// Containers the runtimes no longer list.
    Gone(Vec<String>),
    /// Whether any runtime answers.
    Available(bool),
}

/// The runtime endpoints asked when none is configured: containerd's and
/// CRI-O's sockets, as kubelet's `--container-runtime-endpoint` names them.
pub const DEFAULT_ENDPOINTS: [&str; 2] = [
    "unix:///run/containerd/containerd.sock",
    "unix:///run/crio/crio.sock",
];

/// `unix:///path` or a plain path, to the socket's path.
pub fn endpoint_path(endpoint: &str) -> anyhow::Result<PathBuf> {
    let path = endpoint.strip_prefix("unix://").unwrap_or(endpoint);
    anyhow::ensure!(
        path.starts_with('/'),
        "runtime endpoint {endpoint:?}: expected unix:///absolute/path/to.sock"
    );
    Ok(PathBuf::from(path))
}

/// What the pipeline knows of a container id, for now.
pub enum Attribution {
    /// The runtime's answer (None: no runtime knows the id, or none could
    /// be asked: the event goes out with the container id alone).
    Known(Option<Arc<ContainerMeta>>),
    /// Asked, not answered yet, and a runtime is up: worth waiting for.
    Pending,
}

enum State {
    Pending,
    Found(Arc<ContainerMeta>),
    /// Not known, or not askable: retried by the lookup thread.
    Missing,
}

struct Entry {
    state: State,
    /// When the state was set: an unknown id is asked again after
    /// `retention` (a runtime may have come up for it).
    since: Instant,
    /// When the runtime stopped listing it; forgotten `retention` later.
    gone_since: Option<Instant>,
}

/// Lookups, answers and failures, for the log and metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub lookups: u64,
    pub found: u64,
    pub unknown: u64,
    pub failed: u64,
    /// Events released from the hold before their metadata came.
    pub timeouts: u64,
}

/// The series [`Stats`] and the cache are published as.
struct Exported {
    lookups: Counter,
    found: Counter,
    unknown: Counter,
    failed: Counter,
    timeouts: Counter,
    cached: Gauge,
    up: Gauge,
}

impl Exported {
    fn register() -> Self {
        let r = registry();
        let answer = |result| {
            r.counter(
                "sensor_runtime_answers_total",
                "Container runtime answers to lookups, by result.",
                &[("result", result)],
            )
        };
        Self {
            lookups: r.counter(
                "sensor_runtime_lookups_total",
                "Containers looked up in the container runtimes (CRI).",
                &[],
            ),
            found: answer("found"),
            unknown: answer("unknown"),
            failed: answer("failed"),
            timeouts: r.counter(
                "sensor_metadata_timeouts_total",
                "Events written before their container's metadata came (--metadata-wait).",
                &[],
            ),
            cached: r.gauge(
                "sensor_runtime_cached_containers",
                "Containers whose metadata is cached.",
                &[],
            ),
            up: r.gauge(
                "sensor_runtime_up",
                "1 when a container runtime answers.",
                &[],
            ),
        }
    }
}

pub struct Metadata {
    exported: Exported,
    requests: UnboundedSender<String>,
    updates: UnboundedReceiver<Update>,
    entries: HashMap<String, Entry>,
    available: bool,
    /// How long a gone container is kept (SIGHUP may change it).
    pub retention: Duration,
    pub stats: Stats,
}

impl Metadata {
    /// Starts the lookup thread for `endpoints`; metadata of containers
    /// the runtimes stop listing is kept for `retention`.
    pub fn start(endpoints: Endpoints, retention: Duration) -> Self {
        let (requests, requested) = unbounded_channel();
        let (updated, updates) = unbounded_channel();
        service::spawn(endpoints, requested, updated);
        Self {
            exported: Exported::register(),
            requests,
            updates,
            entries: HashMap::new(),
            // Until the first connection says otherwise: a container's
            // first events are worth waiting for.
            available: true,
            retention,
            stats: Stats::default(),
        }
    }

    /// What is known of container `id`; asks the runtime the first time.
    pub fn get(&mut self, id: &str) -> Attribution {
        if let Some(entry) = self.entries.get(id) {
            return match &entry.state {
                State::Found(meta) => Attribution::Known(Some(meta.clone())),
                State::Pending if self.available => Attribution::Pending,
                State::Pending | State::Missing => Attribution::Known(None),
            };
        }
        self.stats.lookups += 1;
        let asked = self.requests.send(id.to_owned()).is_ok();
        self.entries.insert(
            id.to_owned(),
            Entry {
                state: if asked {
                    State::Pending
                } else {
                    State::Missing
                },
                since: Instant::now(),
                gone_since: None,
            },
        );
        if asked && self.available {
            Attribution::Pending
        } else {
            Attribution::Known(None)
        }
    }

    /// The next answer from the lookup thread.
    pub async fn next(&mut self) -> Option<Update> {
        self.updates.recv().await
    }

    pub fn apply(&mut self, update: Update) {
        let mut set = |id: String, state| {
            self.entries.insert(
                id,
                Entry {
                    state,
                    since: Instant::now(),
                    gone_since: None,
                },
            )
        };
        match update {
            Update::Found(meta) => {
                self.stats.found += 1;
                set(meta.id.clone(), State::Found(meta));
            }
            Update::Unknown(id) => {
                self.stats.unknown += 1;
                set(id, State::Missing);
            }
            Update::Failed(id) => {
                self.stats.failed += 1;
                set(id, State::Missing);
            }
            Update::Available(up) => self.available = up,
            Update::Gone(ids) => {
                let now = Instant::now();
                for id in ids {
                    if let Some(entry) = self.entries.get_mut(&id) {
                        entry.gone_since.get_or_insert(now);
                    }
                }
                let retention = self.retention;
                self.entries.retain(|_, e| {
                    let stale = match e.state {
                        State::Missing => now - e.since >= retention,
                        _ => e.gone_since.is_some_and(|t| now - t >= retention),
                    };
                    !stale
                });
            }
        }
    }

    pub fn cached(&self) -> usize {
        self.entries.len()
    }

    /// Brings the metrics up to date (called once a second).
    pub fn publish(&self) {
        let (e, s) = (&self.exported, &self.stats);
        e.lookups.advance_to(s.lookups);
        e.found.advance_to(s.found);
        e.unknown.advance_to(s.unknown);
        e.failed.advance_to(s.failed);
        e.timeouts.advance_to(s.timeouts);
        e.cached.set(self.entries.len() as u64);
        e.up.set(self.available as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_runtime(retention: Duration) -> Metadata {
        let endpoints = Endpoints {
            paths: Vec::new(),
            explicit: true,
            annotations: Vec::new(),
        };
        Metadata::start(endpoints, retention)
    }

    fn found(id: &str) -> Update {
        Update::Found(Arc::new(ContainerMeta {
            id: id.into(),
            name: "app".into(),
            ..ContainerMeta::default()
        }))
    }

    #[test]
    fn a_gone_container_is_kept_for_the_retention_then_asked_again() {
        let mut m = no_runtime(Duration::from_millis(50));
        m.apply(found("a"));
        m.apply(Update::Gone(vec!["a".into()]));
        assert!(matches!(m.get("a"), Attribution::Known(Some(c)) if c.name == "app"));
        std::thread::sleep(Duration::from_millis(60));
        m.apply(Update::Gone(Vec::new()));
        assert_eq!(m.cached(), 0);
        let asked = m.stats.lookups;
        m.get("a");
        assert_eq!(m.stats.lookups, asked + 1);
    }

    #[test]
    fn events_wait_only_while_a_runtime_answers() {
        let mut m = no_runtime(Duration::from_secs(60));
        assert!(matches!(m.get("b"), Attribution::Pending));
        m.apply(Update::Available(false));
        assert!(matches!(m.get("b"), Attribution::Known(None)));
        m.apply(Update::Available(true));
        assert!(matches!(m.get("b"), Attribution::Pending));
        m.apply(Update::Failed("b".into()));
        assert!(matches!(m.get("b"), Attribution::Known(None)));
        // A runtime that comes back answers later: the answer is taken.
        m.apply(found("b"));
        assert!(matches!(m.get("b"), Attribution::Known(Some(_))));
        assert_eq!((m.stats.lookups, m.stats.failed, m.stats.found), (1, 1, 1));
    }

    #[test]
    fn endpoints_are_unix_socket_paths() {
        assert_eq!(
            endpoint_path("unix:///run/containerd/containerd.sock").unwrap(),
            PathBuf::from("/run/containerd/containerd.sock")
        );
        assert_eq!(
            endpoint_path("/run/crio/crio.sock").unwrap(),
            PathBuf::from("/run/crio/crio.sock")
        );
        let e = endpoint_path("tcp://10.0.0.1:2375")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected unix:///absolute/path"), "{e}");
    }
}
