//! `cargo xtask bench`: the sensor side by side with auditd on the same
//! machine in one run: workload throughput and its loss against no tracing,
//! the tracer's CPU per event, events lost, the sensor's memory, the highest
//! event rate it keeps up with, and its userspace pipeline alone. Results go
//! to a JSON file and a README table; `compare` shows two result files'
//! differences.

mod compare;
mod mode;
mod output;
mod pipeline;
mod proc;
mod report;
mod rules;
mod stats;
mod sweep;
mod workload;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use anyhow::{ensure, Context, Result};
use clap::{Parser, Subcommand};

use mode::{Cost, Mode, Session};
use rules::RuleSet;
use workload::{Sample, Workload};

#[derive(Parser)]
#[command(
    name = "sensor-bench",
    about = "Benchmarks of the sensor against auditd"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the benchmarks (root: loads the sensor, drives auditd).
    Run(RunArgs),
    /// Shows the differences between two result files.
    Compare { old: PathBuf, new: PathBuf },
    /// One workload in this process (the harness's child).
    #[command(hide = true)]
    Workload {
        #[arg(value_enum)]
        kind: Workload,
        #[arg(long, default_value_t = 1.0)]
        secs: f64,
        #[arg(long, default_value_t = 0)]
        rate: u64,
    },
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Short runs for development: 2 repetitions of 1.5 s (instead of 5 of
    /// 3 s), a short sweep.
    #[arg(long)]
    quick: bool,
    /// Repetitions of each workload in each mode.
    #[arg(long)]
    reps: Option<usize>,
    /// Seconds each workload runs.
    #[arg(long)]
    secs: Option<f64>,
    /// Modes, comma-separated (`sensor-before` needs `--before-sensor`).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "baseline,sensor-json,sensor-auditd,auditd"
    )]
    modes: Vec<Mode>,
    /// Workloads, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "exec,socket,mmap,connect,pty,getpid,mixed,files,getpid-generic,files-b32,getpid-b32"
    )]
    workloads: Vec<Workload>,
    /// Leave out the capacity sweep.
    #[arg(long)]
    no_sweep: bool,
    /// Leave out the pipeline-alone measurement.
    #[arg(long)]
    no_pipeline: bool,
    /// The sensor binary.
    #[arg(long)]
    sensor: PathBuf,
    /// Another sensor build to compare with in the same run (mode
    /// `sensor-before`), e.g. the commit before a change.
    #[arg(long)]
    before_sensor: Option<PathBuf>,
    /// The default rules (rules/default.rules), given to the sensor and to
    /// auditd; the other rule sets add to them.
    #[arg(long)]
    rules: PathBuf,
    /// Where the results go.
    #[arg(long)]
    out: PathBuf,
    /// A README whose results table (between the bench markers) is replaced.
    #[arg(long)]
    readme: Option<PathBuf>,
    /// Scratch directory for outputs and recordings.
    #[arg(long, default_value = "/tmp")]
    scratch: PathBuf,
}

impl RunArgs {
    fn reps(&self) -> usize {
        self.reps.unwrap_or(if self.quick { 2 } else { 5 })
    }

    fn secs(&self) -> f64 {
        self.secs.unwrap_or(if self.quick { 1.5 } else { 3.0 })
    }

    /// The sensor binary `mode` runs.
    pub fn sensor(&self, mode: Mode) -> &Path {
        match (mode, &self.before_sensor) {
            (Mode::SensorBefore, Some(before)) => before,
            _ => &self.sensor,
        }
    }

    /// The rule sets of the workloads, in their order.
    pub fn rule_sets(&self) -> Vec<RuleSet> {
        let mut sets: Vec<RuleSet> = Vec::new();
        for w in &self.workloads {
            if !sets.contains(&w.rules()) {
                sets.push(w.rules());
            }
        }
        sets
    }
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Run(args) => run(&args),
        Cmd::Compare { old, new } => compare::compare(&old, &new),
        Cmd::Workload { kind, secs, rate } => workload::child(kind, secs, rate),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One workload run in one mode.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub sample: Sample,
    pub cost: Cost,
}

/// Everything measured, keyed by workload and mode.
#[derive(Default)]
pub struct Measured {
    pub runs: BTreeMap<(usize, usize), Vec<Run>>,
    /// Per mode: (idle, peak) RSS in KiB of each sensor session.
    pub rss: BTreeMap<usize, Vec<(u64, u64)>>,
    /// Per mode: the sensor's own loss summary lines at stop.
    pub stop_logs: BTreeMap<usize, Vec<String>>,
    /// Sensors and auditds this run did not start, seen during it.
    pub other_tracers: std::collections::BTreeSet<String>,
}

fn run(args: &RunArgs) -> Result<()> {
    for mode in &args.modes {
        ensure!(
            args.sensor(*mode).exists(),
            "no sensor at {} for {}: build it first (`cargo xtask build`)",
            args.sensor(*mode).display(),
            mode.name()
        );
    }
    ensure!(
        !args.modes.contains(&Mode::SensorBefore) || args.before_sensor.is_some(),
        "mode sensor-before runs the build given by --before-sensor PATH: give it"
    );
    let scratch = args
        .scratch
        .join(format!("sensor-bench-{}", mode::unique()));
    std::fs::create_dir_all(&scratch)?;
    let sets = args.rule_sets();
    let rule_files = rules::write(&args.rules, &sets, &scratch)?;
    let mut measured = Measured::default();
    let (reps, secs) = (args.reps(), args.secs());
    for rep in 0..reps {
        // Rotate the order so no mode always runs first (or hottest).
        for i in 0..args.modes.len() {
            let m = (i + rep) % args.modes.len();
            let mode = args.modes[m];
            for &set in &sets {
                eprintln!(
                    "bench: repetition {}/{reps}, {}, {} rules",
                    rep + 1,
                    mode.name(),
                    set.name()
                );
                let workloads: Vec<(usize, Workload)> = args
                    .workloads
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, w)| w.rules() == set)
                    .collect();
                session(
                    args,
                    &mut measured,
                    (m, mode),
                    &rule_files[&set],
                    &workloads,
                    secs,
                    &scratch,
                );
            }
        }
    }
    let sweep = if args.no_sweep {
        None
    } else {
        sweep::sweep(args, &scratch)
            .inspect_err(|e| eprintln!("bench: the capacity sweep failed: {e:#}"))
            .ok()
    };
    let pipeline = if args.no_pipeline {
        None
    } else {
        pipeline::measure(args, &scratch)
            .inspect_err(|e| eprintln!("bench: the pipeline measurement failed: {e:#}"))
            .ok()
    };
    let _ = std::fs::remove_dir_all(&scratch);
    let results = report::results(args, &measured, sweep, pipeline)?;
    std::fs::write(&args.out, serde_json::to_string_pretty(&results)? + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;
    let table = report::table(&results);
    println!("{table}");
    if let Some(readme) = &args.readme {
        report::update_readme(readme, &table)?;
    }
    eprintln!("bench: results in {}", args.out.display());
    Ok(())
}

/// One session of `mode` under `rules`: `workloads` (with their index) run
/// in it, one after the other.
fn session(
    args: &RunArgs,
    measured: &mut Measured,
    (m, mode): (usize, Mode),
    rules: &Path,
    workloads: &[(usize, Workload)],
    secs: f64,
    scratch: &Path,
) {
    // One failure (the shared machine) costs a sample, not the run.
    let session = match Session::start(mode, args.sensor(mode), rules, scratch, &[]) {
        Ok(session) => session,
        Err(e) => {
            eprintln!(
                "bench: {} did not start, left out of this repetition: {e:#}",
                mode.name()
            );
            return;
        }
    };
    let ours: Vec<u32> = session.pid().into_iter().collect();
    measured.other_tracers.extend(proc::other_tracers(&ours));
    for &(w, workload) in workloads {
        let run = match measure(&session, workload, secs, 0) {
            Ok(run) => run,
            Err(e) => {
                eprintln!(
                    "bench:   {} failed, sample left out: {e:#}",
                    workload.name()
                );
                continue;
            }
        };
        eprintln!(
            "bench:   {:14} {:>10.0} {}  events {:>7} lost {:>6} cpu {:.2} s",
            workload.name(),
            run.sample.rate(),
            workload.unit(),
            run.cost.events,
            run.cost.lost,
            run.cost.cpu
        );
        measured.runs.entry((w, m)).or_default().push(run);
    }
    let idle = session.idle_rss_kib;
    let stopped = match session.stop() {
        Ok(stopped) => stopped,
        Err(e) => {
            eprintln!("bench: stopping {}: {e:#}", mode.name());
            return;
        }
    };
    if mode.is_sensor() {
        measured
            .rss
            .entry(m)
            .or_default()
            .push((idle, stopped.peak_rss_kib));
        let summary = stopped.log.lines().find(|l| l.contains("stopped:"));
        measured
            .stop_logs
            .entry(m)
            .or_default()
            .push(summary.unwrap_or("").to_owned());
    }
}

/// Runs `workload` under `session` and reads what the tracer did.
pub fn measure(session: &Session, workload: Workload, secs: f64, rate: u64) -> Result<Run> {
    let lost_before = session.kernel_lost();
    let before = session.counters();
    let sample = workload::run(workload, secs, rate)?;
    session.settle(Duration::from_secs(15));
    let after = session.counters();
    let mut cost = session.cost(before, after)?;
    cost.lost += session.kernel_lost().saturating_sub(lost_before);
    Ok(Run { sample, cost })
}
