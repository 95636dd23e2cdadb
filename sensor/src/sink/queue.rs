//! One sink's delivery: a bounded in-memory queue the pipeline feeds
//! without waiting, a disk spool for what the queue cannot hold, and a task
//! that sends both to the destination in order, retrying with backoff.
//!
//! Order: the queue's records are always older than the spool's, because
//! once anything is spooled every new record goes to the spool too, until
//! the spool is empty again. The task sends the queue, then the spool.
//! A chunk leaves the queue or the spool only once the destination took it.
//!
//! Policy when the spool is full: the newest records are dropped, counted
//! by [`Queue::take_lost`] and reported in a LOST record (which is always
//! kept, beyond the spool's size if need be).

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, Ordering::Relaxed},
        Arc, Mutex, MutexGuard, OnceLock,
    },
    time::Duration,
};

use anyhow::Context;
use bytes::{Bytes, BytesMut};
use tokio::{
    runtime::{Handle, Runtime},
    sync::Notify,
    task::JoinHandle,
};

use super::{spool::Spool, Transport};
use crate::metrics::{registry, Counter, Gauge};

/// Most bytes handed to the destination at once (one HTTP request, one
/// burst of syslog messages).
pub const CHUNK_BYTES: usize = 1 << 20;
/// A delivery taking longer (a receiver that stopped reading) is a failure.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Low enough that a destination back from an outage waits at most this long.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

struct State {
    /// Batches of complete lines, each with its number of lines.
    memory: VecDeque<(Bytes, u64)>,
    memory_bytes: usize,
    memory_records: u64,
    memory_max: usize,
    spool: Spool,
    /// Records dropped since the last report.
    lost: u64,
}

struct Metrics {
    queue_bytes: Gauge,
    queue_records: Gauge,
    spool_bytes: Gauge,
    spool_records: Gauge,
    delivered: Counter,
    spooled: Counter,
    errors: Counter,
    up: Gauge,
}

impl Metrics {
    fn new(sink: &str) -> Self {
        let r = registry();
        let l = &[("sink", sink)];
        Self {
            queue_bytes: r.gauge(
                "sensor_sink_queue_bytes",
                "Bytes in the sink's memory queue.",
                l,
            ),
            queue_records: r.gauge(
                "sensor_sink_queue_records",
                "Records in the sink's memory queue.",
                l,
            ),
            spool_bytes: r.gauge(
                "sensor_sink_spool_bytes",
                "Undelivered bytes in the sink's disk spool.",
                l,
            ),
            spool_records: r.gauge(
                "sensor_sink_spool_records",
                "Undelivered records in the sink's disk spool.",
                l,
            ),
            delivered: r.counter(
                "sensor_sink_delivered_records_total",
                "Records the destination took.",
                l,
            ),
            spooled: r.counter(
                "sensor_sink_spooled_records_total",
                "Records written to the disk spool.",
                l,
            ),
            errors: r.counter(
                "sensor_sink_delivery_errors_total",
                "Failed deliveries (each retried).",
                l,
            ),
            up: r.gauge("sensor_sink_up", "1 while the last delivery succeeded.", l),
        }
    }
}

struct Shared {
    name: String,
    state: Mutex<State>,
    wake: Notify,
    closing: AtomicBool,
    reopen: AtomicBool,
    metrics: Metrics,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update_gauges(&self, st: &State) {
        let m = &self.metrics;
        m.queue_bytes.set(st.memory_bytes as u64);
        m.queue_records.set(st.memory_records);
        m.spool_bytes.set(st.spool.bytes);
        m.spool_records.set(st.spool.records);
    }
}

/// Records (lines) in `data`. Counted once per batch, where it is made:
/// a scan of every byte is a sizeable part of a record's cost.
pub fn lines(data: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', data).count() as u64
}

pub struct Queue {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Queue {
    pub fn start(
        name: String,
        transport: Transport,
        memory_max: usize,
        spool: Spool,
    ) -> anyhow::Result<Self> {
        if !spool.is_empty() {
            log::info!(
                "sink {name}: {} records spooled by an earlier run will be sent first",
                spool.records
            );
        }
        let shared = Arc::new(Shared {
            metrics: Metrics::new(&name),
            name,
            state: Mutex::new(State {
                memory: VecDeque::new(),
                memory_bytes: 0,
                memory_records: 0,
                memory_max,
                spool,
                lost: 0,
            }),
            wake: Notify::new(),
            closing: AtomicBool::new(false),
            reopen: AtomicBool::new(false),
        });
        shared.update_gauges(&shared.lock());
        let task = delivery_thread()?.spawn(deliver(shared.clone(), transport));
        Ok(Self { shared, task })
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Queues `n` complete lines; never waits. `always`: a LOST record,
    /// kept even past the spool's size.
    pub fn push(&self, batch: Bytes, n: u64, always: bool) {
        let mut st = self.shared.lock();
        if st.spool.is_empty() && st.memory_bytes + batch.len() <= st.memory_max {
            st.memory_bytes += batch.len();
            st.memory_records += n;
            st.memory.push_back((batch, n));
        } else {
            match st.spool.append(&batch, always) {
                Ok(true) => self.shared.metrics.spooled.add(n),
                Ok(false) => st.lost += n,
                Err(e) => {
                    log::error!("sink {}: dropping {n} records: {e:#}", self.shared.name);
                    st.lost += n;
                }
            }
        }
        self.shared.update_gauges(&st);
        drop(st);
        self.shared.wake.notify_one();
    }

    /// Records dropped since the last call.
    pub fn take_lost(&self) -> u64 {
        std::mem::take(&mut self.shared.lock().lost)
    }

    /// SIGUSR1: the destination reopens its file before the next write.
    pub fn reopen(&self) {
        self.shared.reopen.store(true, Relaxed);
        self.shared.wake.notify_one();
    }

    /// Sends what is queued and spooled for at most `grace`; whatever is
    /// left in the queue then goes to the spool, for the next run.
    pub async fn close(mut self, grace: Duration) {
        self.shared.closing.store(true, Relaxed);
        self.shared.wake.notify_one();
        if tokio::time::timeout(grace, &mut self.task).await.is_err() {
            self.task.abort();
            let _ = (&mut self.task).await;
        }
        let mut st = self.shared.lock();
        let memory: Vec<u8> = st.memory.drain(..).flat_map(|(b, _)| b.to_vec()).collect();
        let (records, bytes) = (st.memory_records, memory.len());
        st.memory_bytes = 0;
        st.memory_records = 0;
        match st.spool.prepend(&memory) {
            Ok(()) if records > 0 => log::info!(
                "sink {}: {records} records ({bytes} bytes) spooled for the next run",
                self.shared.name
            ),
            Ok(()) => {}
            Err(e) => log::error!("sink {}: {records} records lost: {e:#}", self.shared.name),
        }
        if !st.spool.is_empty() {
            log::warn!(
                "sink {}: {} records wait in the spool for the next run",
                self.shared.name,
                st.spool.records
            );
        }
        self.shared.update_gauges(&st);
    }
}

/// Which chunk is in flight: how many queue entries (and their records),
/// or spooled bytes.
enum Taken {
    Memory(usize, u64),
    Spool,
}

fn next_chunk(shared: &Shared) -> anyhow::Result<Option<(Bytes, Taken)>> {
    let st = shared.lock();
    if st.memory.is_empty() {
        return Ok(st.spool.peek(CHUNK_BYTES)?.map(|b| (b, Taken::Spool)));
    }
    let (mut taken, mut records) = (0, 0);
    let mut size = 0;
    for (b, n) in &st.memory {
        if taken > 0 && size + b.len() > CHUNK_BYTES {
            break;
        }
        size += b.len();
        taken += 1;
        records += n;
    }
    // One batch goes as it is; several are joined into one write.
    let chunk = if taken == 1 {
        st.memory[0].0.clone()
    } else {
        let mut chunk = BytesMut::with_capacity(size);
        for (b, _) in st.memory.iter().take(taken) {
            chunk.extend_from_slice(b);
        }
        chunk.freeze()
    };
    Ok(Some((chunk, Taken::Memory(taken, records))))
}

fn commit(shared: &Shared, chunk: &[u8], taken: Taken) -> anyhow::Result<()> {
    let mut st = shared.lock();
    let records = match taken {
        Taken::Memory(taken, records) => {
            st.memory.drain(..taken);
            st.memory_bytes -= chunk.len();
            st.memory_records -= records;
            records
        }
        Taken::Spool => {
            st.spool.commit(chunk)?;
            lines(chunk)
        }
    };
    shared.metrics.delivered.add(records);
    shared.update_gauges(&st);
    Ok(())
}

/// Where the sinks' tasks run: a thread of their own, so that writing (and
/// connecting, retrying) goes on while the pipeline renders the next
/// records. On the pipeline's thread a storm's records were rendered
/// faster than the sinks got turns to write them, and overflowed to the
/// spool although the destination was up.
fn delivery_thread() -> anyhow::Result<&'static Handle> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime.handle());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sink")
        .enable_all()
        .build()
        .context("starting the sinks' thread")?;
    if let Err(lost_race) = RUNTIME.set(runtime) {
        // Dropping a runtime inside another one panics; it never ran anything.
        std::mem::forget(lost_race);
    }
    Ok(RUNTIME.get().expect("set above").handle())
}

/// The sink's task: queue, then spool, to the destination, until closed.
async fn deliver(shared: Arc<Shared>, mut transport: Transport) {
    let name = &shared.name;
    let mut backoff = BACKOFF_MIN;
    let mut failing = false;
    loop {
        if shared.reopen.swap(false, Relaxed) {
            transport.reopen();
        }
        let closing = shared.closing.load(Relaxed);
        let next = match next_chunk(&shared) {
            Ok(next) => next,
            Err(e) => {
                log::error!("sink {name}: reading the spool: {e:#}");
                if closing {
                    return;
                }
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        let Some((chunk, taken)) = next else {
            if closing {
                return;
            }
            shared.wake.notified().await;
            continue;
        };
        let delivered = tokio::time::timeout(DELIVERY_TIMEOUT, transport.deliver(&chunk))
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no delivery within {DELIVERY_TIMEOUT:?}")));
        match delivered {
            Ok(()) => {
                if failing {
                    log::info!("sink {name}: delivering again");
                    failing = false;
                }
                shared.metrics.up.set(1);
                backoff = BACKOFF_MIN;
                if let Err(e) = commit(&shared, &chunk, taken) {
                    log::error!("sink {name}: {e:#}");
                }
            }
            Err(e) => {
                shared.metrics.errors.inc();
                shared.metrics.up.set(0);
                if !failing {
                    log::warn!("sink {name}: {e:#}; retrying with backoff, spooling meanwhile");
                    failing = true;
                } else {
                    log::debug!("sink {name}: {e:#}");
                }
                transport.reset();
                if closing {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}
