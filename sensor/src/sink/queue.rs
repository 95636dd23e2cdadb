//! One sink's delivery: a bounded in-memory queue the pipeline feeds
//! without waiting, a disk spool for what the queue cannot hold, and a task
//! that sends both to the destination in order, retrying with backoff.
//!
//! Order: the queue's records are always older than the spool's, because
//! once anything is spooled every new record goes to the spool too, until
//! the spool is empty again. The task sends the queue, then the spool.
//! A chunk leaves the queue or the spool only once the destination took it.
//!
//! Each record is owed in the sink's [`Ledger`] until it is delivered from
//! the queue or written to the spool; what a killed process owed is
//! reported by the next start.
//!
//! Policy when the spool is full or cannot be written (a full disk, an I/O
//! error): the newest records are dropped, counted by [`Queue::take_lost`]
//! and reported in a LOST record, which is always kept: beyond the spool's
//! size, or in the queue when the spool cannot take it. Drops are logged
//! with their cause, at most once per [`DROP_LOG_EVERY`].

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, Ordering::Relaxed},
        Arc, Mutex, MutexGuard, OnceLock,
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use bytes::{Bytes, BytesMut};
use tokio::{
    runtime::{Handle, Runtime},
    sync::Notify,
    task::JoinHandle,
};

use super::{
    batch::Batch,
    ledger::Ledger,
    spool::{Peeked, Spool},
    Transport,
};
use crate::metrics::{registry, Counter, Gauge};

/// Most bytes handed to the destination at once (one HTTP request, one
/// burst of syslog messages).
pub const CHUNK_BYTES: usize = 1 << 20;
/// A delivery taking longer (a receiver that stopped reading) is a failure.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Low enough that a destination back from an outage waits at most this long.
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Dropped records are logged at once, then at most this often (a full
/// disk under a storm would otherwise log every batch).
pub const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

struct State {
    memory: VecDeque<Batch>,
    memory_bytes: usize,
    memory_records: u64,
    memory_max: usize,
    spool: Spool,
    /// Records dropped since the last report.
    lost: u64,
    drops: DropLog,
}

/// Drops logged at once, then at most once per [`DROP_LOG_EVERY`] with
/// how many there were meanwhile.
#[derive(Default)]
struct DropLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl DropLog {
    fn note(&mut self, sink: &str, n: u64, cause: &str) {
        self.unlogged += n;
        let now = Instant::now();
        let since = self.last.map(|t| now - t);
        if since.is_some_and(|s| s < DROP_LOG_EVERY) {
            return;
        }
        match since {
            None => log::error!(
                "sink {sink}: {} records dropped (counted, and reported in LOST records): {cause}",
                self.unlogged
            ),
            Some(s) => log::error!(
                "sink {sink}: {} records dropped in the last {} s: {cause}",
                self.unlogged,
                s.as_secs()
            ),
        }
        self.last = Some(now);
        self.unlogged = 0;
    }
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
    ledger: Arc<Ledger>,
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

pub struct Queue {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Queue {
    pub fn start(
        name: String,
        transport: Transport,
        memory_max: usize,
        mut spool: Spool,
    ) -> anyhow::Result<Self> {
        if !spool.is_empty() {
            log::info!(
                "sink {name}: {} records spooled by an earlier run will be sent first",
                spool.records
            );
        }
        let found = std::mem::take(&mut spool.found_lost);
        if found > 0 {
            log::warn!(
                "sink {name}: {found} records were lost before this start (the previous run \
                 did not stop cleanly, or its spool was damaged); a LOST record reports them"
            );
        }
        let shared = Arc::new(Shared {
            metrics: Metrics::new(&name),
            name,
            ledger: spool.ledger().clone(),
            state: Mutex::new(State {
                memory: VecDeque::new(),
                memory_bytes: 0,
                memory_records: 0,
                memory_max,
                spool,
                lost: found,
                drops: DropLog::default(),
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

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.shared.ledger
    }

    /// Queues records; never waits. The oldest wait in memory while they
    /// fit (and nothing older is on disk), the rest in the spool.
    pub fn push(&self, batch: Batch) {
        let mut st = self.shared.lock();
        let (memory, disk) = if st.spool.is_empty() {
            batch.split(st.memory_max.saturating_sub(st.memory_bytes))
        } else {
            (None, Some(batch))
        };
        if let Some(batch) = memory {
            st.keep(batch);
        }
        if let Some(batch) = disk {
            let n = batch.records();
            let cause = match st.spool.append(&batch, false) {
                Ok(true) => None,
                Ok(false) => Some(format!(
                    "its spool is full (spool_size {} bytes)",
                    st.spool.max_bytes()
                )),
                Err(e) => Some(format!("{e:#}")),
            };
            match cause {
                None => self.shared.metrics.spooled.add(n),
                Some(cause) => {
                    // Still owed in the ledger, until a LOST record counts them.
                    st.lost += n;
                    st.drops.note(&self.shared.name, n, &cause);
                }
            }
        }
        self.shared.update_gauges(&st);
        drop(st);
        self.shared.wake.notify_one();
    }

    /// Queues a LOST record, which counts `own` records this sink dropped
    /// (taken by [`take_lost`](Self::take_lost)). Always kept: spooled
    /// beyond the spool's size, or queued beyond the queue's when the spool
    /// cannot take it.
    pub fn push_report(&self, report: Batch, own: u64) {
        // Owed until the LOST record is delivered or spooled: if it dies
        // in the queue, the next start reports what it counted.
        self.shared.ledger.owe(report.weight);
        let mut st = self.shared.lock();
        let memory = st.spool.is_empty() && st.memory_bytes + report.data.len() <= st.memory_max;
        let spooled = !memory
            && match st.spool.append(&report, true) {
                Ok(_) => true,
                Err(e) => {
                    // The records dropped for the same cause say it.
                    log::debug!(
                        "sink {}: a LOST record kept in memory: {e:#}",
                        self.shared.name
                    );
                    false
                }
            };
        if spooled {
            self.shared.metrics.spooled.inc();
        } else {
            st.keep(report);
        }
        self.shared.ledger.settle(own);
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
        let memory: Vec<Batch> = st.memory.drain(..).collect();
        let (records, bytes) = (st.memory_records, st.memory_bytes);
        st.memory_bytes = 0;
        st.memory_records = 0;
        match st.spool.prepend(&memory) {
            Ok(()) if records > 0 => log::info!(
                "sink {}: {records} records ({bytes} bytes) spooled for the next run",
                self.shared.name
            ),
            Ok(()) => {}
            Err(e) => log::error!(
                "sink {}: {records} records lost, which the next start reports: {e:#}",
                self.shared.name
            ),
        }
        if !st.spool.is_empty() {
            log::warn!(
                "sink {}: {} records wait in the spool for the next run",
                self.shared.name,
                st.spool.records
            );
        }
        if let Err(e) = st.spool.tidy() {
            log::warn!("sink {}: {e:#}", self.shared.name);
        }
        self.shared.update_gauges(&st);
    }
}

impl State {
    /// Into the memory queue.
    fn keep(&mut self, batch: Batch) {
        self.memory_bytes += batch.data.len();
        self.memory_records += batch.records();
        self.memory.push_back(batch);
    }
}

/// Which chunk is in flight: how many queue entries (their records, and
/// what they settle), or spooled records.
enum Taken {
    Memory {
        entries: usize,
        records: u64,
        settles: u64,
    },
    Spool(Peeked),
}

fn next_chunk(shared: &Shared) -> anyhow::Result<Option<(Bytes, Taken)>> {
    let mut st = shared.lock();
    if st.memory.is_empty() {
        let peeked = st.spool.peek(CHUNK_BYTES);
        // Damaged frames skipped on the way: lost, owed until reported.
        let damaged = std::mem::take(&mut st.spool.found_lost);
        if damaged > 0 {
            shared.ledger.owe(damaged);
            st.lost += damaged;
        }
        return Ok(peeked?.map(|p| (p.data.clone(), Taken::Spool(p))));
    }
    let (mut entries, mut records, mut settles) = (0, 0, 0);
    let mut size = 0;
    for b in &st.memory {
        if entries > 0 && size + b.data.len() > CHUNK_BYTES {
            break;
        }
        size += b.data.len();
        entries += 1;
        records += b.records();
        settles += b.settles();
    }
    // One batch goes as it is; several are joined into one write.
    let chunk = if entries == 1 {
        st.memory[0].data.clone()
    } else {
        let mut chunk = BytesMut::with_capacity(size);
        for b in st.memory.iter().take(entries) {
            chunk.extend_from_slice(&b.data);
        }
        chunk.freeze()
    };
    let taken = Taken::Memory {
        entries,
        records,
        settles,
    };
    Ok(Some((chunk, taken)))
}

fn commit(shared: &Shared, chunk: &[u8], taken: Taken) -> anyhow::Result<()> {
    let mut st = shared.lock();
    let records = match taken {
        Taken::Memory {
            entries,
            records,
            settles,
        } => {
            st.memory.drain(..entries);
            st.memory_bytes -= chunk.len();
            st.memory_records -= records;
            shared.ledger.settle(settles);
            records
        }
        Taken::Spool(p) => {
            st.spool.commit(&p)?;
            p.records
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
                shared.metrics.errors.inc();
                if !failing {
                    log::error!("sink {name}: reading the spool: {e:#}; retrying with backoff");
                    failing = true;
                }
                if closing {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_yields_its_records_and_what_they_settle() {
        let b = Batch::new(Bytes::from_static(b"a\nbb\nccc\n"), Arc::from([2u32, 5, 9]));
        assert_eq!(
            b.iter().collect::<Vec<_>>(),
            [&b"a\n"[..], b"bb\n", b"ccc\n"]
        );
        assert_eq!((b.records(), b.settles()), (3, 3));
        let report = Batch::report(Bytes::from_static(b"LOST\n"), 42);
        assert_eq!(report.iter().collect::<Vec<_>>(), [&b"LOST\n"[..]]);
        assert_eq!((report.records(), report.settles()), (1, 42));
    }

    #[test]
    fn a_batch_splits_after_the_last_record_that_fits() {
        let b = || Batch::new(Bytes::from_static(b"a\nbb\nccc\n"), Arc::from([2u32, 5, 9]));
        fn lines(b: &Option<Batch>) -> Option<Vec<&[u8]>> {
            b.as_ref().map(|b| b.iter().collect())
        }
        let (head, tail) = b().split(6);
        assert_eq!(lines(&head), Some(vec![&b"a\n"[..], b"bb\n"]));
        assert_eq!(lines(&tail), Some(vec![&b"ccc\n"[..]]));
        let (head, tail) = b().split(1);
        assert!(head.is_none());
        assert_eq!(tail.map(|t| t.records()), Some(3));
        let (head, tail) = b().split(9);
        assert_eq!(head.map(|h| h.records()), Some(3));
        assert!(tail.is_none());
    }
}
