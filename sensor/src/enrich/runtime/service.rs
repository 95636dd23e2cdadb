//! The lookup thread: answers the pipeline's container ids from the
//! runtimes' CRI endpoints, on its own thread and runtime so that a slow
//! or absent runtime never delays an event.
//!
//! A runtime that stops answering is warned about once, tried again every
//! [`RECONNECT`], and the ids that could not be resolved meanwhile are
//! resolved when it returns. Every [`REFRESH`] the live containers are
//! listed, so the pipeline learns which ones have gone.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::{cri::Cri, PodMeta, Update};

/// How often the runtimes are listed.
const REFRESH: Duration = Duration::from_secs(5);
/// How often a runtime that is down is tried again.
const RECONNECT: Duration = Duration::from_secs(1);
/// Longest wait for one runtime's answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// When an id no runtime knows is asked again: a pod's sandbox runs its
/// first process before the runtime lists it (RunPodSandbox has not
/// returned yet), and so may a container. Within the pipeline's default
/// wait, so a found answer still reaches the held events.
const UNKNOWN_RETRIES: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(150),
    Duration::from_millis(400),
];

struct Endpoint {
    path: PathBuf,
    /// Named by the user: its absence is worth a warning. A default one
    /// that does not exist is just not this node's runtime.
    explicit: bool,
    cri: Option<Cri>,
    /// Whether its outage was logged (once per outage).
    warned: bool,
}

struct KnownPod {
    meta: Arc<PodMeta>,
    /// Which endpoint knows it.
    endpoint: usize,
}

struct Service {
    endpoints: Vec<Endpoint>,
    updates: UnboundedSender<Update>,
    /// Pods by sandbox id (the containers of a pod share one).
    pods: HashMap<String, KnownPod>,
    /// Ids answered Found, by the endpoint that knew them, to tell the
    /// pipeline when they are gone.
    found: HashMap<String, usize>,
    /// Ids asked while no runtime answered.
    retry: Vec<String>,
    available: Option<bool>,
    /// Ids no runtime knew, to ask again: (when, id, retries done).
    later: Vec<(Instant, String, usize)>,
    /// Pod annotations to keep (`--pod-annotation`).
    annotations: Arc<[String]>,
}

/// Where to ask, and what to keep.
#[derive(Default)]
pub struct Endpoints {
    pub paths: Vec<PathBuf>,
    pub explicit: bool,
    pub annotations: Vec<String>,
}

pub fn spawn(
    endpoints: Endpoints,
    requests: UnboundedReceiver<String>,
    updates: UnboundedSender<Update>,
) {
    let service = Service {
        endpoints: endpoints
            .paths
            .into_iter()
            .map(|path| Endpoint {
                path,
                explicit: endpoints.explicit,
                cri: None,
                warned: false,
            })
            .collect(),
        annotations: endpoints.annotations.into(),
        updates,
        pods: HashMap::new(),
        found: HashMap::new(),
        retry: Vec::new(),
        available: None,
        later: Vec::new(),
    };
    let thread = std::thread::Builder::new()
        .name("cri".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(rt) => rt.block_on(service.run(requests)),
                Err(e) => log::warn!("container metadata disabled: {e}"),
            }
        });
    if let Err(e) = thread {
        log::warn!("container metadata disabled: cannot start its thread: {e}");
    }
}

impl Service {
    async fn run(mut self, mut requests: UnboundedReceiver<String>) {
        self.connect().await;
        let mut refresh = tokio::time::interval(REFRESH);
        refresh.tick().await;
        let mut reconnect = tokio::time::interval(RECONNECT);
        loop {
            let down = self.endpoints.iter().any(|e| e.cri.is_none());
            let next = self.later.iter().map(|(when, _, _)| *when).min();
            tokio::select! {
                id = requests.recv() => match id {
                    Some(id) => self.resolve(id, 0).await,
                    None => return, // the pipeline has stopped
                },
                _ = refresh.tick() => self.refresh().await,
                _ = reconnect.tick(), if down => self.reconnect().await,
                _ = tokio::time::sleep_until(next.unwrap_or_else(Instant::now).into()),
                    if next.is_some() => self.ask_again().await,
            }
        }
    }

    async fn ask_again(&mut self) {
        let now = Instant::now();
        let (due, later) = std::mem::take(&mut self.later)
            .into_iter()
            .partition(|(when, _, _)| *when <= now);
        self.later = later;
        for (_, id, tries) in due {
            self.resolve(id, tries).await;
        }
    }

    /// Connects the endpoints that are down; tells the pipeline whether
    /// any runtime answers.
    async fn connect(&mut self) {
        for endpoint in self.endpoints.iter_mut().filter(|e| e.cri.is_none()) {
            let cri = Cri::connect(endpoint.path.clone(), self.annotations.clone());
            let connected = tokio::time::timeout(CALL_TIMEOUT, cri).await;
            match connected {
                Ok(Ok(cri)) => {
                    log::info!(
                        "container metadata from {} ({})",
                        endpoint.path.display(),
                        cri.runtime
                    );
                    endpoint.cri = Some(cri);
                    endpoint.warned = false;
                }
                Ok(Err(e)) => warn_once(endpoint, &e),
                Err(_) => warn_once(endpoint, &anyhow::anyhow!("no answer in {CALL_TIMEOUT:?}")),
            }
        }
        let up = self.endpoints.iter().any(|e| e.cri.is_some());
        if self.available != Some(up) {
            self.available = Some(up);
            let _ = self.updates.send(Update::Available(up));
        }
    }

    /// Asks every runtime that answers for container `id`, for the
    /// `tries`th time.
    async fn resolve(&mut self, id: String, tries: usize) {
        let mut failed = false;
        for i in 0..self.endpoints.len() {
            let Some(cri) = self.endpoints[i].cri.as_mut() else {
                failed = true;
                continue;
            };
            let pods = &self.pods;
            let mut known = |sandbox: &str| pods.get(sandbox).map(|p| p.meta.clone());
            let answer = tokio::time::timeout(CALL_TIMEOUT, cri.container(&id, &mut known)).await;
            let answer =
                answer.unwrap_or_else(|_| Err(anyhow::anyhow!("no answer in {CALL_TIMEOUT:?}")));
            match answer {
                Ok(Some(meta)) => {
                    if let Some(pod) = &meta.pod {
                        let known = KnownPod {
                            meta: pod.clone(),
                            endpoint: i,
                        };
                        self.pods.insert(pod.sandbox_id.clone(), known);
                    }
                    self.found.insert(id, i);
                    let _ = self.updates.send(Update::Found(Arc::new(meta)));
                    return;
                }
                Ok(None) => {}
                Err(e) => {
                    failed = true;
                    let endpoint = &mut self.endpoints[i];
                    endpoint.cri = None;
                    warn_once(endpoint, &e);
                }
            }
        }
        if failed {
            self.retry.push(id.clone());
            let _ = self.updates.send(Update::Failed(id));
            self.connect().await;
        } else if let Some(delay) = UNKNOWN_RETRIES.get(tries) {
            self.later.push((Instant::now() + *delay, id, tries + 1));
        } else {
            let _ = self.updates.send(Update::Unknown(id));
        }
    }

    /// Connects the runtimes that are down; when one comes back, asks it
    /// what could not be asked meanwhile.
    async fn reconnect(&mut self) {
        self.connect().await;
        if self.endpoints.iter().any(|e| e.cri.is_some()) {
            for id in std::mem::take(&mut self.retry) {
                self.resolve(id, 0).await;
            }
        }
    }

    /// Lists each runtime that answers; the containers it found before
    /// and no longer lists are gone.
    async fn refresh(&mut self) {
        let mut gone = Vec::new();
        for (i, endpoint) in self.endpoints.iter_mut().enumerate() {
            let Some(cri) = endpoint.cri.as_mut() else {
                continue;
            };
            let live: HashSet<String> = match tokio::time::timeout(CALL_TIMEOUT, cri.live()).await {
                Ok(Ok(ids)) => ids.into_iter().collect(),
                Ok(Err(e)) => {
                    endpoint.cri = None;
                    warn_once(endpoint, &e);
                    continue;
                }
                Err(_) => continue,
            };
            self.found.retain(|id, from| {
                let here = *from != i || live.contains(id);
                if !here {
                    gone.push(id.clone());
                }
                here
            });
            self.pods
                .retain(|sandbox, pod| pod.endpoint != i || live.contains(sandbox));
        }
        let _ = self.updates.send(Update::Gone(gone));
    }
}

fn warn_once(endpoint: &mut Endpoint, e: &anyhow::Error) {
    if endpoint.warned {
        return;
    }
    endpoint.warned = true;
    if !endpoint.explicit && !endpoint.path.exists() {
        log::debug!("no container runtime at {}", endpoint.path.display());
    } else {
        log::warn!(
            "container runtime at {} not answering ({e:#}): events keep their container id; \
             names, images and pods are filled in when it answers again",
            endpoint.path.display()
        );
    }
}
