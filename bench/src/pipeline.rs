//! The userspace pipeline alone: records kept by the sensor's hidden
//! `--record-raw` during a short run of every workload, then replayed
//! (`sensor replay`) through decode, enrich, filter and render to /dev/null,
//! in both formats; records/s per core of CPU.

use std::{
    fs,
    path::Path,
    process::{Command, Stdio},
};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use crate::{
    mode::{Mode, Session},
    stats::{median, summary},
    workload::{self, Workload},
    RunArgs,
};

pub fn measure(args: &RunArgs, scratch: &Path) -> Result<Value> {
    eprintln!("bench: recording raw records for the pipeline");
    let recording = scratch.join("raw.rec");
    let rec_arg = recording.to_string_lossy().into_owned();
    let session = Session::start(
        Mode::SensorJson,
        &args.sensor,
        &args.rules,
        scratch,
        &["--record-raw", &rec_arg],
    )?;
    let secs = if args.quick { 0.5 } else { 1.0 };
    for w in [
        Workload::Exec,
        Workload::Socket,
        Workload::Mmap,
        Workload::Connect,
        Workload::Pty,
    ] {
        workload::run(w, secs, 0)?;
    }
    session.stop()?;
    let size = fs::metadata(&recording).map_or(0, |m| m.len());
    let reps = if args.quick { 2 } else { 5 };
    let mut formats = serde_json::Map::new();
    for format in ["json", "auditd"] {
        let (mut records, mut written) = (Vec::new(), Vec::new());
        let mut counts = (0, 0);
        for _ in 0..reps {
            let r = replay(&args.sensor, &recording, format)?;
            records.push(r.records as f64 / r.cpu);
            written.push(r.written as f64 / r.cpu);
            counts = (r.records, r.written);
        }
        eprintln!(
            "bench:   {format}: {:.0} records/s, {:.0} events written/s per core",
            median(&records),
            median(&written)
        );
        formats.insert(
            format.to_owned(),
            json!({
                "records": counts.0,
                "events_written": counts.1,
                "records_per_core_s": summary(&records),
                "events_per_core_s": summary(&written),
            }),
        );
    }
    let _ = fs::remove_file(&recording);
    Ok(json!({
        "recording": "every workload but mixed, 1 s each (0.5 with --quick); records include the FORK/EXIT the process table needs",
        "recording_bytes": size,
        "formats": formats,
    }))
}

struct Replayed {
    records: u64,
    written: u64,
    cpu: f64,
}

fn replay(sensor: &Path, recording: &Path, format: &str) -> Result<Replayed> {
    let out = Command::new(sensor)
        .arg("replay")
        .arg(recording)
        .args(["--format", format])
        .stdout(Stdio::null())
        .output()
        .context("running sensor replay")?;
    let log = String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.success(), "sensor replay failed:\n{log}");
    // "replayed N records, W written, in X s wall, Y s CPU: …"
    let Some(line) = log.lines().find(|l| l.contains("replayed ")) else {
        bail!("sensor replay did not say how it went:\n{log}");
    };
    let words: Vec<&str> = line[line.find("replayed ").unwrap_or(0)..]
        .split_whitespace()
        .collect();
    let num = |i: usize| -> Result<f64> {
        words
            .get(i)
            .and_then(|w| w.trim_end_matches(',').parse().ok())
            .with_context(|| format!("unexpected replay summary: {line}"))
    };
    Ok(Replayed {
        records: num(1)? as u64,
        written: num(3)? as u64,
        cpu: num(9)?,
    })
}
