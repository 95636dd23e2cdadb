//! The daemon: load → read → decode → enrich → filter → render → sink.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use bytes::Bytes;
use sensor_common::event::EventKind;
use tokio::signal::unix::{signal, SignalKind};

use crate::{
    cli::{Format, Options},
    config, decode,
    enrich::{self, Enricher, Ids, Ready},
    filter::{scope::Scope, Filter, Verdict},
    load::{self, attach::Attachments, LoadOptions},
    loss::{LossMonitor, Lost},
    metrics::{health, pipeline::PipelineMetrics},
    read::{Reader, SeqTracker},
    render,
    replay::Recorder,
    rules::{self, RuleFile},
    sink::{self, Fanout},
};

/// SIGHUP: reads the rules again. Bad rules are refused (the old ones stay);
/// programs are attached or detached to match. Events already read are not
/// affected: the pipeline takes the new rules between two records.
fn reload(
    pipeline_opts: &PipelineOptions,
    opts: &LoadOptions,
    filter: &mut Filter,
    attached: &mut Attachments,
    ebpf: &mut aya::Ebpf,
) {
    let Some(path) = &pipeline_opts.rules_path else {
        log::info!("SIGHUP: no --rules given; the built-in rules stay");
        return;
    };
    let rules = match rules::load(path, pipeline_opts.skip_unsupported_rules) {
        Ok(rules) => rules,
        Err(e) => {
            log::error!("SIGHUP: keeping the current rules: {e:#}");
            return;
        }
    };
    for warning in &rules.warnings {
        log::warn!("{warning}");
    }
    if !opts.mmap_all && !rules.mmap_needs_only_exec() {
        log::warn!(
            "SIGHUP: the new rules record mmaps without PROT_EXEC, which the kernel programs \
             loaded at start drop; restart the sensor to record them"
        );
    }
    if let Err(e) =
        load::set_rules(ebpf, &rules).and_then(|()| attached.sync(ebpf, &rules.syscalls()))
    {
        log::error!("SIGHUP: applying the new rules in the kernel: {e:#}");
    }
    filter.rules = rules;
    log::info!(
        "SIGHUP: rules reloaded from {}; {} programs attached",
        path.display(),
        attached.len()
    );
}

/// Settings of the stages after load.
pub struct PipelineOptions {
    pub format: Format,
    pub node_name: Option<String>,
    pub process_events: bool,
    pub tty_rate: u32,
    /// Where the rules came from, for SIGHUP (None: the built-in default).
    pub rules_path: Option<PathBuf>,
    pub skip_unsupported_rules: bool,
    pub cluster_name: Option<String>,
    pub runtime: enrich::runtime::Endpoints,
    pub metadata_wait: Duration,
    pub metadata_retention: Duration,
    pub scope: Scope,
    pub outputs: Vec<sink::Spec>,
    pub sink_defaults: sink::Defaults,
    /// Hidden `--record-raw`: raw records kept for `sensor replay`.
    pub record_raw: Option<PathBuf>,
}

pub fn sink_defaults(o: &Options) -> sink::Defaults {
    sink::Defaults {
        spool_dir: o.spool_dir.clone(),
        spool_size: o.spool_size,
        queue_size: o.queue_size,
        node: enrich::node_name(o.node_name.clone()),
    }
}

/// SIGHUP: the command line and configuration file resolved again. The
/// outputs and the format change now, the rules through [`reload`];
/// settings the kernel programs were loaded with need a restart. A bad
/// file changes nothing.
async fn reconfigure(pipeline_opts: &mut PipelineOptions, pipeline: &mut Pipeline) -> bool {
    let settings = match config::resolve(std::env::args_os().collect()) {
        Ok(s) => s,
        Err(e) => {
            log::error!("SIGHUP: keeping the current configuration: {e:#}");
            return false;
        }
    };
    let o = &settings.cli.options;
    let defaults = sink_defaults(o);
    if let Err(e) = pipeline
        .sink
        .reconfigure(&settings.outputs, defaults.clone())
        .await
    {
        log::error!("SIGHUP: keeping the current outputs: {e:#}");
    } else {
        pipeline_opts.outputs = settings.outputs.clone();
        pipeline_opts.sink_defaults = defaults;
    }
    pipeline.format = o.format;
    pipeline_opts.format = o.format;
    pipeline_opts.rules_path = o.rules.clone();
    pipeline_opts.skip_unsupported_rules = o.skip_unsupported_rules;
    true
}

/// How often lost-record counts are checked and reported in-band.
const LOSS_INTERVAL: Duration = Duration::from_secs(1);
/// Rendered bytes handed to the sinks at once (their write size).
const FLUSH_BYTES: usize = 1 << 20;

pub async fn run(
    opts: &LoadOptions,
    rules: RuleFile,
    mut pipeline_opts: PipelineOptions,
) -> Result<()> {
    // Privileges first (what is missing is the first thing to say), then
    // the sinks: a destination that cannot be built stops start-up before
    // anything is loaded.
    let kernel = load::preflight(opts)?;
    if let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") {
        crate::decode::generic::set_kernel_release(release.trim());
    }
    let sink = Fanout::start(&pipeline_opts.outputs, pipeline_opts.sink_defaults.clone())?;
    let mut ebpf = load::load(opts, &kernel)?;
    if opts.ebpf_log {
        spawn_ebpf_log(&mut ebpf)?;
    }
    let recorder = pipeline_opts.record_raw.as_deref().map(Recorder::create);
    let mut reader = Reader::new(&mut ebpf, recorder.transpose()?)?;
    let loss = LossMonitor::new(&mut ebpf)?;
    let mut pipeline = Pipeline::new(
        &mut pipeline_opts,
        rules,
        kernel.cgroup_controller,
        loss,
        sink,
    );
    if opts.scope_exclusions {
        let map = ebpf
            .take_map("SCOPE_EXCLUDED")
            .context("the SCOPE_EXCLUDED map is missing")?;
        pipeline.filter.scope.set_kernel_map(map.try_into()?);
    }
    load::set_rules(&mut ebpf, &pipeline.filter.rules)?;
    let mut attached = Attachments::new(kernel.tracefs.clone());
    attached.sync(&mut ebpf, &pipeline.filter.rules.syscalls())?;
    // Before `ready`: a signal sent as soon as it is logged is handled.
    let mut sighup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut sigusr1 =
        signal(SignalKind::user_defined1()).context("installing the SIGUSR1 handler")?;
    // Privileges the rest of the run does not need go now.
    crate::confine::after_attach()?;
    health::set_ready(true);
    log::info!("ready: {} programs attached", attached.len());

    let mut loss_tick = tokio::time::interval(LOSS_INTERVAL);
    let mut raw = Vec::new();
    loop {
        let hold_deadline = pipeline.enricher.hold_deadline();
        health::beat();
        tokio::select! {
            read = reader.read(&mut raw, pipeline.sink.intake()) => {
                read?;
                pipeline.process(&mut raw);
            }
            Some(update) = pipeline.enricher.metadata.next() => {
                pipeline.enricher.metadata.apply(update);
                pipeline.release(false);
            }
            _ = tokio::time::sleep_until(hold_deadline.unwrap_or_else(Instant::now).into()),
                if hold_deadline.is_some() => pipeline.release(false),
            _ = loss_tick.tick() => {
                pipeline.enricher.metadata.publish();
                pipeline.filter.tick();
                pipeline.report_loss()
            }
            _ = sighup.recv() => {
                if reconfigure(&mut pipeline_opts, &mut pipeline).await {
                    reload(&pipeline_opts, opts, &mut pipeline.filter, &mut attached, &mut ebpf);
                }
            }
            _ = sigusr1.recv() => pipeline.sink.reopen(),
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    // Detach first, so nothing new arrives, give programs already running
    // on other CPUs a moment to finish, then write out what was read.
    drop(ebpf);
    tokio::time::sleep(Duration::from_millis(50)).await;
    reader.drain(&mut raw, pipeline.sink.intake())?;
    pipeline.process(&mut raw);
    pipeline.release(true);
    pipeline.report_loss();
    health::set_ready(false);
    let sequenced = pipeline.loss.sequenced();
    pipeline.seq.finish(&sequenced);
    let t = pipeline.loss.totals;
    log::info!(
        "stopped: {} records received, {} written; lost: {} in the ring buffer, {} in the kernel, \
         {} undecodable; the kernel sequenced {}, the reader saw {} missing; {} TTY bytes cut by --tty-rate",
        pipeline.received,
        pipeline.written,
        t.ring_buffer,
        t.kernel,
        t.decode,
        sequenced.iter().sum::<u64>(),
        pipeline.seq.lost(),
        pipeline.filter.tty_bytes_cut,
    );
    let m = pipeline.enricher.metadata.stats;
    log::info!(
        "container metadata: {} lookups, {} found, {} unknown to the runtimes, {} failed, \
         {} events written before their metadata came, {} containers cached; \
         {} events out of scope",
        m.lookups,
        m.found,
        m.unknown,
        m.failed,
        m.timeouts,
        pipeline.enricher.metadata.cached(),
        pipeline.filter.scope.dropped,
    );
    pipeline.close().await;
    Ok(())
}

/// The stages after read; `sensor replay` drives it too.
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
    pub received: u64,
    pub written: u64,
}

impl Pipeline {
    /// `cgroup_controller`: the cgroup controller the kernel programs read.
    pub fn new(
        opts: &mut PipelineOptions,
        rules: RuleFile,
        cgroup_controller: &'static str,
        loss: LossMonitor,
        sink: Fanout,
    ) -> Self {
        Self {
            format: opts.format,
            enricher: Enricher::new(enrich::Settings {
                node: enrich::node_name(opts.node_name.clone()),
                cluster: opts.cluster_name.clone(),
                controller: cgroup_controller,
                runtime: std::mem::take(&mut opts.runtime),
                metadata_wait: opts.metadata_wait,
                metadata_retention: opts.metadata_retention,
            }),
            ids: Ids::new(),
            filter: Filter::new(
                rules,
                opts.process_events,
                opts.tty_rate,
                std::mem::take(&mut opts.scope),
            ),
            loss,
            seq: SeqTracker::default(),
            sink,
            metrics: PipelineMetrics::new(),
            line: String::with_capacity(4096),
            batch: Vec::with_capacity(1 << 16),
            ends: Vec::with_capacity(1 << 10),
            received: 0,
            written: 0,
        }
    }

    /// Where records read are counted (`sensor replay` has no reader).
    pub fn intake(&self) -> &sink::Intake {
        self.sink.intake()
    }

    /// Delivers or spools what the sinks hold; the pipeline is done.
    pub async fn close(self) {
        self.sink.close().await;
    }

    pub fn process(&mut self, raw: &mut Vec<Bytes>) {
        self.metrics.received(raw.len() as u64);
        for record in raw.drain(..) {
            self.received += 1;
            let kind = record
                .get(..2)
                .and_then(|k| EventKind::from_u16(u16::from_le_bytes([k[0], k[1]])));
            let mut decoded = match decode::decode(record) {
                Ok(d) => d,
                Err(e) => {
                    // Still owed by the sinks until a LOST record counts it.
                    self.loss.undecodable(kind);
                    log::warn!("dropping a malformed record: {e:#}");
                    continue;
                }
            };
            self.seq.observe(&decoded.header);
            let subject = self.enricher.observe(&decoded.event);
            let Verdict::Keep(key) = self.filter.verdict(&mut decoded, subject.as_deref()) else {
                self.sink.intake().discard(1);
                continue;
            };
            let key = key.map(str::to_owned);
            if let Some(ready) = self.enricher.enrich(decoded, key, subject) {
                self.emit(&ready);
            }
        }
        self.hand_over();
    }

    /// Held events whose container is now known (or that waited long
    /// enough; `all` at shutdown).
    pub fn release(&mut self, all: bool) {
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
    pub fn report_loss(&mut self) {
        let drops = self.sink.take_lost();
        let mut sinks = Lost::default();
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

/// `--ebpf-log`: the kernel programs' diagnostics, forwarded to our log.
fn spawn_ebpf_log(ebpf: &mut aya::Ebpf) -> Result<()> {
    let logger = aya_log::EbpfLogger::init(ebpf).context("starting the eBPF diagnostics log")?;
    // SAFETY: the logger owns its ring buffer's fd for as long as the AsyncFd holds it.
    let mut logger = unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(logger, tokio::io::Interest::READABLE)
    }
    .map_err(std::io::Error::from)?;
    tokio::spawn(async move {
        while let Ok(mut guard) = logger.readable_mut().await {
            guard.get_inner_mut().flush();
            guard.clear_ready();
        }
    });
    Ok(())
}
