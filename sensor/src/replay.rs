//! Raw records kept and replayed, to measure the userspace pipeline alone
//! (`cargo xtask bench`): `--record-raw FILE` appends every record the reader
//! takes out of the ring buffer, and `sensor replay FILE` runs them through
//! decode, enrich, filter and render, as the daemon does, then logs how fast.
//!
//! The file is each record as the kernel wrote it, preceded by its length
//! (u32, little-endian). It is a benchmarking aid, not an archive format.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{ensure, Context, Result};
use bytes::Bytes;

use crate::{load::btf, loss::LossMonitor, rules::RuleFile, run, sink::Fanout};

/// Appends raw records to a file.
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Recorder {
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path)
            .with_context(|| format!("creating {} for --record-raw", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 20, file),
        })
    }

    pub fn record(&mut self, raw: &[u8]) -> Result<()> {
        self.out
            .write_all(&(raw.len() as u32).to_le_bytes())
            .and_then(|()| self.out.write_all(raw))
            .with_context(|| format!("writing to {} (--record-raw)", self.path.display()))
    }

    pub fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("writing to {} (--record-raw)", self.path.display()))
    }
}

/// The records of a `--record-raw` file, each a slice of one buffer.
pub fn read_recording(path: &Path) -> Result<Vec<Bytes>> {
    let mut data = Bytes::from(
        std::fs::read(path).with_context(|| format!("reading the recording {}", path.display()))?,
    );
    let mut records = Vec::new();
    while !data.is_empty() {
        ensure!(
            data.len() >= 4,
            "{}: cut inside a record's length after {} records; was it written by --record-raw?",
            path.display(),
            records.len()
        );
        let len = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
        ensure!(
            data.len() - 4 >= len,
            "{}: record {} claims {len} bytes, only {} are left; was it written by --record-raw?",
            path.display(),
            records.len(),
            data.len() - 4
        );
        let _ = data.split_to(4);
        records.push(data.split_to(len));
    }
    Ok(records)
}

/// Records handed to the pipeline at once, like one read of a busy ring.
const BATCH: usize = 1024;

/// `sensor replay FILE`: the recorded records through the pipeline, to
/// stdout; logs records/s per core (user+system CPU of this process).
pub async fn replay(
    path: &Path,
    btf_path: &Path,
    rules: RuleFile,
    mut opts: run::PipelineOptions,
) -> Result<()> {
    let records = read_recording(path)?;
    let (controller, _) = btf::controller(&btf::open(btf_path)?)?;
    let sink = Fanout::start(&opts.outputs, opts.sink_defaults.clone())?;
    let loss = LossMonitor::without_kernel();
    let mut pipeline = run::Pipeline::new(&mut opts, rules, controller, loss, sink);
    let (wall, cpu) = (Instant::now(), cpu_time());
    for chunk in records.chunks(BATCH) {
        let mut batch = chunk.to_vec();
        pipeline.intake().take(batch.len() as u64);
        pipeline.process(&mut batch);
    }
    pipeline.release(true);
    pipeline.report_loss();
    let (received, written) = (pipeline.received, pipeline.written);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_read_back_as_written_and_cut_files_are_errors() {
        let dir = std::env::temp_dir().join(format!("sensor-replay-{}", std::process::id()));
        let mut rec = Recorder::create(&dir).unwrap();
        rec.record(b"first").unwrap();
        rec.record(b"").unwrap();
        rec.record(b"third record").unwrap();
        rec.flush().unwrap();
        let records = read_recording(&dir).unwrap();
        assert_eq!(records, [&b"first"[..], b"", b"third record"]);

        let whole = std::fs::read(&dir).unwrap();
        std::fs::write(&dir, &whole[..whole.len() - 1]).unwrap();
        let err = read_recording(&dir).unwrap_err().to_string();
        assert!(err.contains("record 2 claims 12 bytes"), "{err}");
        std::fs::remove_file(&dir).unwrap();
    }
}
