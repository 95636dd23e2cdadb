//! Capacity: setsockopt calls (one event each) at rising rates into the
//! sensor with its default ring, until the first loss; then the goal's rate
//! held for a minute (ten seconds with --quick).

use anyhow::Result;
use serde_json::{json, Value};

use crate::{
    measure,
    mode::{Mode, Session},
    stats::round,
    workload::Workload,
    RunArgs,
};

/// The rate the goal asks to sustain without loss, events/s.
pub const GOAL_RATE: u64 = 50_000;

pub fn sweep(args: &RunArgs, scratch: &std::path::Path) -> Result<Value> {
    let (rates, step_secs, hold_secs): (&[u64], f64, f64) = if args.quick {
        (&[25_000, 50_000, 100_000, 200_000], 2.0, 10.0)
    } else {
        (
            &[
                25_000, 50_000, 75_000, 100_000, 150_000, 200_000, 300_000, 400_000,
            ],
            5.0,
            60.0,
        )
    };
    eprintln!("bench: capacity sweep");
    let session = Session::start(Mode::SensorJson, &args.sensor, &args.rules, scratch, &[])?;
    let mut steps = Vec::new();
    let mut highest_clean = 0.0f64;
    let mut limit = "none up to the highest rate tried";
    for &rate in rates {
        let mut run = measure(&session, Workload::Paced, step_secs, rate)?;
        if run.sample.rate() < rate as f64 * 0.9 && run.cost.lost == 0 {
            // Once more before concluding: the machine is shared.
            run = measure(&session, Workload::Paced, step_secs, rate)?;
        }
        let achieved = run.sample.rate();
        eprintln!(
            "bench:   target {rate:>7}/s achieved {achieved:>9.0}/s, events {}, lost {}",
            run.cost.events, run.cost.lost
        );
        steps.push(json!({
            "target_per_s": rate,
            "achieved_per_s": round(achieved),
            "events": run.cost.events,
            "lost": run.cost.lost,
            "sensor_cpu_s": round(run.cost.cpu),
        }));
        if run.cost.lost > 0 {
            limit = "the first loss";
            break;
        }
        highest_clean = highest_clean.max(achieved);
        if achieved < rate as f64 * 0.9 {
            limit = "the workload could not go faster (one process, two cores shared)";
            break;
        }
    }
    eprintln!("bench:   holding {GOAL_RATE}/s for {hold_secs} s");
    let hold = measure(&session, Workload::Paced, hold_secs, GOAL_RATE)?;
    session.stop()?;
    Ok(json!({
        "event": "setsockopt (one SYSCALL+SOCKOPT event per call), JSON to a file, default 8 MiB ring",
        "step_secs": step_secs,
        "steps": steps,
        "highest_zero_loss_per_s": round(highest_clean),
        "stopped_by": limit,
        "hold": {
            "target_per_s": GOAL_RATE,
            "secs": hold_secs,
            "achieved_per_s": round(hold.sample.rate()),
            "events": hold.cost.events,
            "lost": hold.cost.lost,
            "sensor_cpu_pct": round(hold.cost.cpu / hold.sample.secs * 100.0),
        },
    }))
}
