//! The daemon: load → read → decode → enrich → render → sink.

use anyhow::{Context, Result};
use bytes::Bytes;
use tokio::signal::unix::{signal, SignalKind};

use crate::{
    decode,
    enrich::{self, Enricher},
    load::{self, programs::PROGRAMS, LoadOptions},
    read::{Reader, SeqTracker},
    render,
    sink::stdout::StdoutSink,
};

pub async fn run(opts: &LoadOptions, node_name: Option<String>) -> Result<()> {
    let offsets = load::preflight(opts)?;
    let mut ebpf = load::load(opts, &offsets)?;
    if opts.ebpf_log {
        spawn_ebpf_log(&mut ebpf)?;
    }
    let mut reader = Reader::new(&mut ebpf)?;
    let mut pipeline = Pipeline {
        enricher: Enricher::new(enrich::node_name(node_name)),
        seq: SeqTracker::default(),
        sink: StdoutSink::new(),
        line: String::with_capacity(4096),
        batch: Vec::with_capacity(1 << 16),
        events: 0,
        malformed: 0,
    };
    for program in PROGRAMS {
        load::attach(&mut ebpf, program)?;
    }
    log::info!("ready: {} programs attached", PROGRAMS.len());

    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut raw = Vec::new();
    loop {
        tokio::select! {
            read = reader.read(&mut raw) => {
                read?;
                pipeline.process(&mut raw).await?;
            }
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    // Detach first, so nothing new arrives, then write out what was read.
    drop(ebpf);
    reader.drain(&mut raw);
    pipeline.process(&mut raw).await?;
    log::info!(
        "stopped: {} events written, {} lost in the ring buffer, {} malformed",
        pipeline.events,
        pipeline.seq.lost(),
        pipeline.malformed
    );
    Ok(())
}

struct Pipeline {
    enricher: Enricher,
    seq: SeqTracker,
    sink: StdoutSink,
    line: String,
    batch: Vec<u8>,
    events: u64,
    malformed: u64,
}

impl Pipeline {
    async fn process(&mut self, raw: &mut Vec<Bytes>) -> Result<()> {
        for record in raw.drain(..) {
            let decoded = match decode::decode(record) {
                Ok(d) => d,
                Err(e) => {
                    self.malformed += 1;
                    log::warn!("dropping a malformed record: {e:#}");
                    continue;
                }
            };
            let lost = self.seq.observe(&decoded.header);
            if lost > 0 {
                log::warn!(
                    "{lost} records lost in the ring buffer (CPU {})",
                    decoded.header.cpu
                );
            }
            let enriched = self.enricher.enrich(&decoded);
            self.line.clear();
            render::json::render(&enriched, &mut self.line);
            self.batch.extend_from_slice(self.line.as_bytes());
            self.events += 1;
        }
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
