//! The stages after read: decode → enrich → filter → render → sink. The
//! daemon's loop (`run`) and `sensor replay` drive it with what this
//! offers: a batch of records, the kernel's own records, metadata that
//! arrived, the once-a-second tick, new settings, and at the end the
//! summary and the sinks' close.

use std::{future::Future, time::Duration};

use anyhow::Result;
use bytes::Bytes;
use sensor_common::{event::EventKind, scope::CgroupKey};

use crate::{
    cli::Format,
    decode::{self, kernel_record::KernelRecord, Decoded, Event},
    enrich::{self, runtime::Update, Enricher, Ids, Ready},
    filter::{
        scope::{Scope, Selectors},
        Filter, Verdict,
    },
    loss::{LossMonitor, Lost},
    metrics::pipeline::PipelineMetrics,
    read::SeqTracker,
    render,
    rules::RuleFile,
    sink::{self, Fanout, Intake},
};

/// Rendered bytes handed to the sinks at once (their write size).
const FLUSH_BYTES: usize = 1 << 20;

/// The stages' settings that SIGHUP changes ([`Pipeline::reconfigure`]).
pub struct Settings {
    pub format: Format,
    pub node: String,
    pub cluster: Option<String>,
    pub process_events: bool,
    pub tty_rate: u32,
    pub metadata_wait: Duration,
    pub metadata_retention: Duration,
    pub scope: Selectors,
}

pub struct Pipeline {
    format: Format,
    enricher: Enricher,
    ids: Ids,
    filter: Filter,
    loss: LossMonitor,
    seq: SeqTracker,
    sink: Fanout,
    metrics: PipelineMetrics,
    line: String,
    /// Rendered records for the sinks, and where each ends.
    batch: Vec<u8>,
    ends: Vec<u32>,
    /// Overflows of the kernel records' socket not reported yet.
    kernel_overflows: u64,
    received: u64,
    written: u64,
}

impl Pipeline {
    /// `cgroup_controller`: the cgroup controller the kernel programs read;
    /// `scope_to_kernel`: the kernel takes the cgroups found out of scope
    /// ([`Self::take_out_of_scope`]).
    pub fn new(
        settings: Settings,
        rules: RuleFile,
        cgroup_controller: &'static str,
        runtime: enrich::runtime::Endpoints,
        scope_to_kernel: bool,
        loss: LossMonitor,
        sink: Fanout,
    ) -> Self {
        let Settings {
            format,
            node,
            cluster,
            process_events,
            tty_rate,
            metadata_wait,
            metadata_retention,
            scope,
        } = settings;
        Self {
            format,
            enricher: Enricher::new(enrich::Settings {
                node,
                cluster,
                controller: cgroup_controller,
                runtime,
                metadata_wait,
                metadata_retention,
            }),
            ids: Ids::new(),
            filter: Filter::new(
                rules,
                process_events,
                tty_rate,
                Scope::new(scope, scope_to_kernel),
            ),
            loss,
            seq: SeqTracker::default(),
            sink,
            metrics: PipelineMetrics::new(),
            line: String::with_capacity(4096),
            batch: Vec::with_capacity(1 << 16),
            ends: Vec::with_capacity(1 << 10),
            kernel_overflows: 0,
            received: 0,
            written: 0,
        }
    }

    /// Where records read are counted.
    pub fn intake(&self) -> &Intake {
        self.sink.intake()
    }

    /// Records received and records written so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.received, self.written)
    }

    /// What the pipeline waits for besides records: its container
    /// metadata, or the deadline of an event held for it. Hand the outcome
    /// to [`Self::woke`]. With the intake, which the reader counts in
    /// meanwhile.
    pub fn waiting(&mut self) -> (&Intake, impl Future<Output = Option<Update>> + '_) {
        let deadline = self.enricher.hold_deadline();
        let metadata = &mut self.enricher.metadata;
        let wait = async move {
            tokio::select! {
                Some(update) = metadata.next() => Some(update),
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(std::time::Instant::now).into()),
                    if deadline.is_some() => None,
                else => std::future::pending().await,
            }
        };
        (self.sink.intake(), wait)
    }

    /// Metadata arrived (`Some`), or a held event's deadline passed: the
    /// held events that may go now are written.
    pub fn woke(&mut self, update: Option<Update>) {
        if let Some(update) = update {
            self.enricher.metadata.apply(update);
        }
        self.release(false);
    }

    pub fn process(&mut self, raw: &mut Vec<Bytes>) {
        self.metrics.received(raw.len() as u64);
        for record in raw.drain(..) {
            self.received += 1;
            let kind = record
                .get(..2)
                .and_then(|k| EventKind::from_u16(u16::from_le_bytes([k[0], k[1]])));
            let decoded = match decode::decode(record) {
                Ok(d) => d,
                Err(e) => {
                    // Still owed by the sinks until a LOST record counts it.
                    self.loss.undecodable(kind);
                    log::warn!("dropping a malformed record: {e:#}");
                    continue;
                }
            };
            self.seq.observe(&decoded.header);
            self.handle(decoded);
        }
        self.hand_over();
    }

    /// The kernel's own records (`kernel_feed`), completed from the
    /// process table and stamped now (they come within milliseconds).
    pub fn kernel_records(&mut self, records: &mut Vec<KernelRecord>) {
        for mut record in records.drain(..) {
            self.enricher.place(&mut record.process);
            let header = sensor_common::event::EventHeader {
                kind: EventKind::KernelRecord as u16,
                ts_boot_ns: enrich::clock::boot_ns(),
                ..Default::default()
            };
            // Owed by the sinks like a record read from the ring.
            self.sink.intake().take(1);
            self.handle(Decoded {
                header,
                event: Event::Kernel(record),
            });
        }
        self.hand_over();
    }

    /// About once a second: `kernel_overflows` of the kernel records'
    /// socket, the metrics, what has to be looked up again, and what was
    /// lost since the last tick, in-band.
    pub fn tick(&mut self, kernel_overflows: u64) {
        self.kernel_overflows += kernel_overflows;
        self.enricher.metadata.publish();
        self.filter.tick();
        self.report_loss();
    }

    /// The cgroups found out of scope since the last call, for the kernel.
    pub fn take_out_of_scope(&mut self) -> Vec<(CgroupKey, String)> {
        self.filter.scope.take_out_of_scope()
    }

    /// SIGHUP's settings for the stages, from the next event on;
    /// `scope_to_kernel` as for [`Self::new`].
    pub fn reconfigure(&mut self, settings: Settings, scope_to_kernel: bool) {
        let Settings {
            format,
            node,
            cluster,
            process_events,
            tty_rate,
            metadata_wait,
            metadata_retention,
            scope,
        } = settings;
        self.format = format;
        self.enricher
            .reconfigure(node, cluster, metadata_wait, metadata_retention);
        self.filter.reconfigure(process_events, tty_rate);
        self.filter.scope.reconfigure(scope, scope_to_kernel);
    }

    /// The rules the filter applies.
    pub fn rules(&self) -> &RuleFile {
        &self.filter.rules
    }

    /// New rules for the filter, between two records.
    pub fn set_rules(&mut self, rules: RuleFile) {
        self.filter.rules = rules;
    }

    /// New outputs (SIGHUP); on an error nothing changes.
    pub async fn reconfigure_sinks(
        &mut self,
        specs: &[sink::Spec],
        defaults: sink::Defaults,
    ) -> Result<()> {
        self.sink.reconfigure(specs, defaults).await
    }

    /// SIGUSR1: output files are reopened.
    pub fn reopen(&self) {
        self.sink.reopen();
    }

    /// At the end: every held event written, and what was lost reported.
    pub fn flush(&mut self) {
        self.release(true);
        self.report_loss();
    }

    /// The daemon's last words: what was received, written and lost, and
    /// what the metadata lookups and the scope did.
    pub fn summary(&mut self) {
        let sequenced = self.loss.sequenced();
        self.seq.finish(&sequenced);
        let t = self.loss.totals;
        log::info!(
            "stopped: {} records received, {} written; lost: {} in the ring buffer, {} in the kernel, \
             {} undecodable; the kernel sequenced {}, the reader saw {} missing; {} TTY bytes cut by --tty-rate",
            self.received,
            self.written,
            t.ring_buffer,
            t.kernel,
            t.decode,
            sequenced.iter().sum::<u64>(),
            self.seq.lost(),
            self.filter.tty_bytes_cut,
        );
        let m = self.enricher.metadata.stats;
        log::info!(
            "container metadata: {} lookups, {} found, {} unknown to the runtimes, {} failed, \
             {} events written before their metadata came, {} containers cached; \
             {} events out of scope",
            m.lookups,
            m.found,
            m.unknown,
            m.failed,
            m.timeouts,
            self.enricher.metadata.cached(),
            self.filter.scope.dropped,
        );
    }

    /// Delivers or spools what the sinks hold; the pipeline is done.
    pub async fn close(self) {
        self.sink.close().await;
    }

    /// Enrich, filter, render one event.
    fn handle(&mut self, mut decoded: Decoded) {
        let subject = self.enricher.observe(&decoded);
        let Verdict::Keep(key) = self.filter.verdict(&mut decoded, subject.as_deref()) else {
            self.sink.intake().discard(1);
            return;
        };
        let key = key.map(str::to_owned);
        if let Some(ready) = self.enricher.enrich(decoded, key, subject) {
            self.emit(&ready);
        }
    }

    /// Held events whose container is now known (or that waited long
    /// enough; `all` at shutdown).
    fn release(&mut self, all: bool) {
        for ready in self.enricher.release(all) {
            self.emit(&ready);
        }
        self.hand_over();
    }

    /// Renders `ready` into the batch, if it is in scope.
    fn emit(&mut self, ready: &Ready) {
        if !self.filter.scope.admits(ready) {
            self.sink.intake().discard(1);
            return;
        }
        let kind = EventKind::from_u16(ready.decoded.header.kind);
        self.metrics.written(kind, ready.key.as_deref());
        let id = self.ids.next(ready.decoded.header.ts_boot_ns);
        let enriched = self.enricher.view(ready, id);
        self.line.clear();
        match self.format {
            Format::Json => render::json::render(&enriched, &mut self.line),
            Format::Auditd => render::auditd::render(&enriched, &mut self.line),
        }
        self.batch.extend_from_slice(self.line.as_bytes());
        self.ends.push(self.batch.len() as u32);
        self.written += 1;
        // A full ring's records would otherwise be rendered into one buffer
        // (tens of MiB at once) before any of it could be written.
        if self.batch.len() >= FLUSH_BYTES {
            self.hand_over();
        }
    }

    /// What was lost since the last call, in a LOST record and metrics.
    fn report_loss(&mut self) {
        let drops = self.sink.take_lost();
        let mut sinks = Lost::default();
        if self.kernel_overflows > 0 {
            log::warn!(
                "the kernel's own records overflowed the sensor's socket {} times",
                self.kernel_overflows
            );
            sinks.add_kernel_records(std::mem::take(&mut self.kernel_overflows));
        }
        // Each sink logs its drops with their cause as they happen (at a
        // bounded rate); here they are counted.
        for (name, n) in &drops {
            sinks.add_sink(name.clone(), *n);
        }
        if let Some(lost) = self.loss.poll(sinks) {
            self.metrics.lost(&lost);
            log::warn!("{} records lost since the last report", lost.total());
            let id = self.ids.next_now();
            self.line.clear();
            let node = self.enricher.node();
            match self.format {
                Format::Json => render::json::render_lost(id, node, &lost, &mut self.line),
                Format::Auditd => render::auditd::render_lost(id, node, &lost, &mut self.line),
            }
            self.hand_over();
            self.sink
                .push_lost(self.line.as_bytes(), lost.total(), &drops);
            // Undecodable records are counted in the LOST record now.
            self.sink.intake().discard(lost.undecodable());
        }
        self.hand_over();
    }

    /// Gives the batch to the sinks, whose thread writes it meanwhile.
    fn hand_over(&mut self) {
        self.sink.push(&self.batch, &self.ends);
        self.batch.clear();
        self.ends.clear();
    }
}
