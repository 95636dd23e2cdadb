//! The daemon: load → read → decode → enrich → filter → render → sink.

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, Result};
use bytes::Bytes;
use sensor_common::event::EventKind;
use tokio::signal::unix::{signal, SignalKind};

use crate::{
    cli::Format,
    decode,
    enrich::{self, Enricher, Ids},
    filter::{Filter, Verdict},
    load::{self, Attachments, LoadOptions},
    loss::LossMonitor,
    read::{Reader, SeqTracker},
    render,
    replay::Recorder,
    rules::{self, RuleFile},
    sink::stdout::StdoutSink,
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
    /// Hidden `--record-raw`: raw records kept for `sensor replay`.
    pub record_raw: Option<PathBuf>,
}

/// How often lost-record counts are checked and reported in-band.
const LOSS_INTERVAL: Duration = Duration::from_secs(1);

pub async fn run(
    opts: &LoadOptions,
    rules: RuleFile,
    pipeline_opts: PipelineOptions,
) -> Result<()> {
    let kernel = load::preflight(opts)?;
    let mut ebpf = load::load(opts, &kernel)?;
    if opts.ebpf_log {
        spawn_ebpf_log(&mut ebpf)?;
    }
    let recorder = pipeline_opts.record_raw.as_deref().map(Recorder::create);
    let mut reader = Reader::new(&mut ebpf, recorder.transpose()?)?;
    let loss = LossMonitor::new(&mut ebpf)?;
    let mut pipeline = Pipeline::new(&pipeline_opts, rules, kernel.cgroup_controller, loss);
    load::set_rules(&mut ebpf, &pipeline.filter.rules)?;
    let mut attached = Attachments::default();
    attached.sync(&mut ebpf, &pipeline.filter.rules.syscalls())?;
    log::info!("ready: {} programs attached", attached.len());

    let mut sighup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut loss_tick = tokio::time::interval(LOSS_INTERVAL);
    let mut raw = Vec::new();
    loop {
        tokio::select! {
            read = reader.read(&mut raw) => {
                read?;
                pipeline.process(&mut raw).await?;
            }
            _ = loss_tick.tick() => pipeline.report_loss().await?,
            _ = sighup.recv() => reload(&pipeline_opts, opts, &mut pipeline.filter, &mut attached, &mut ebpf),
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    // Detach first, so nothing new arrives, give programs already running
    // on other CPUs a moment to finish, then write out what was read.
    drop(ebpf);
    tokio::time::sleep(Duration::from_millis(50)).await;
    reader.drain(&mut raw)?;
    pipeline.process(&mut raw).await?;
    pipeline.report_loss().await?;
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
    sink: StdoutSink,
    line: String,
    batch: Vec<u8>,
    pub received: u64,
    pub written: u64,
}

impl Pipeline {
    /// `cgroup_controller`: the cgroup controller the kernel programs read.
    pub fn new(
        opts: &PipelineOptions,
        rules: RuleFile,
        cgroup_controller: &str,
        loss: LossMonitor,
    ) -> Self {
        Self {
            format: opts.format,
            enricher: Enricher::new(enrich::node_name(opts.node_name.clone()), cgroup_controller),
            ids: Ids::new(),
            filter: Filter::new(rules, opts.process_events, opts.tty_rate),
            loss,
            seq: SeqTracker::default(),
            sink: StdoutSink::new(),
            line: String::with_capacity(4096),
            batch: Vec::with_capacity(1 << 16),
            received: 0,
            written: 0,
        }
    }

    pub async fn process(&mut self, raw: &mut Vec<Bytes>) -> Result<()> {
        for record in raw.drain(..) {
            self.received += 1;
            let kind = record
                .get(..2)
                .and_then(|k| EventKind::from_u16(u16::from_le_bytes([k[0], k[1]])));
            let mut decoded = match decode::decode(record) {
                Ok(d) => d,
                Err(e) => {
                    self.loss.undecodable(kind);
                    log::warn!("dropping a malformed record: {e:#}");
                    continue;
                }
            };
            self.seq.observe(&decoded.header);
            let subject = self.enricher.observe(&decoded.event);
            let Verdict::Keep(key) = self.filter.verdict(&mut decoded, subject.as_deref()) else {
                continue;
            };
            let mut enriched = self.enricher.enrich(&decoded, subject);
            enriched.key = key;
            enriched.id = self.ids.next(decoded.header.ts_boot_ns);
            self.line.clear();
            match self.format {
                Format::Json => render::json::render(&enriched, &mut self.line),
                Format::Auditd => render::auditd::render(&enriched, &mut self.line),
            }
            self.batch.extend_from_slice(self.line.as_bytes());
            self.written += 1;
        }
        self.flush().await
    }

    async fn report_loss(&mut self) -> Result<()> {
        if let Some(lost) = self.loss.poll() {
            log::warn!("{} records lost since the last report", lost.total());
            let id = self.ids.next_now();
            self.line.clear();
            let node = self.enricher.node();
            match self.format {
                Format::Json => render::json::render_lost(id, node, &lost, &mut self.line),
                Format::Auditd => render::auditd::render_lost(id, node, &lost, &mut self.line),
            }
            self.batch.extend_from_slice(self.line.as_bytes());
        }
        self.flush().await
    }

    async fn flush(&mut self) -> Result<()> {
        if !self.batch.is_empty() {
            self.sink.write(&self.batch).await?;
            self.batch.clear();
        }
        Ok(())
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
