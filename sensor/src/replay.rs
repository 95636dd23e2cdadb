//! `sensor replay FILE`: the records a `--record-raw` run kept
//! ([`crate::read::recording`]) through decode, enrich, filter and render,
//! as the daemon runs them, to measure the userspace pipeline alone
//! (`cargo xtask bench`); logs how fast.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::Result;

use crate::{
    config::Applied, enrich::runtime::Endpoints, load::btf, loss::LossMonitor, pipeline::Pipeline,
    read::recording::read_recording, rules::RuleFile, sink::Fanout,
};

/// Records handed to the pipeline at once, like one read of a busy ring.
const BATCH: usize = 1024;

/// `sensor replay FILE`: the recorded records through the pipeline, to
/// stdout; logs records/s per core (user+system CPU of this process).
pub async fn replay(
    path: &Path,
    btf_path: &Path,
    rules: RuleFile,
    settings: Applied,
    runtime: Endpoints,
) -> Result<()> {
    let records = read_recording(path)?;
    let (controller, _) = btf::controller(&btf::open(btf_path)?)?;
    let sink = Fanout::start(&settings.outputs, settings.sinks)?;
    let loss = LossMonitor::without_kernel();
    let mut pipeline = Pipeline::new(
        settings.stages,
        rules,
        controller,
        runtime,
        false,
        loss,
        sink,
    );
    let (wall, cpu) = (Instant::now(), cpu_time());
    for chunk in records.chunks(BATCH) {
        let mut batch = chunk.to_vec();
        pipeline.intake().take(batch.len() as u64);
        pipeline.process(&mut batch);
    }
    pipeline.flush();
    let (received, written) = pipeline.counts();
    pipeline.close().await;
    let (wall, cpu) = (wall.elapsed(), cpu_time().saturating_sub(cpu));
    log::info!(
        "replayed {} records, {} written, in {:.3} s wall, {:.3} s CPU: {:.0} records/s per core",
        received,
        written,
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        received as f64 / cpu.as_secs_f64().max(1e-9),
    );
    Ok(())
}

/// User plus system CPU time of this process, all threads.
fn cpu_time() -> Duration {
    // SAFETY: a zeroed rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}
