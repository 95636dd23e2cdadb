//! `cargo xtask bench`: builds the sensor and the benchmark harness
//! (`bench/`), then runs the benchmarks against auditd and writes
//! bench/results.json and the README's results table.
//! `cargo xtask bench compare OLD.json NEW.json` shows what changed.

use anyhow::{bail, Result};

use crate::build::build;
use crate::cmd::{self, cargo, workspace_root};

pub fn bench(args: &[String]) -> Result<()> {
    let harness = cmd::target_dir().join("release").join("sensor-bench");
    let build_harness = || {
        cmd::run(
            cargo().args(["build", "--release", "-p", "sensor-bench"]),
            "fix the benchmark harness's build errors above",
        )
    };
    if args.first().is_some_and(|a| a == "compare") {
        build_harness()?;
        return cmd::run(
            std::process::Command::new(&harness).args(args),
            "give two results files: `cargo xtask bench compare OLD.json NEW.json`",
        );
    }
    if !cmd::is_root() {
        bail!("the benchmarks load eBPF programs and drive auditd: rerun as root (e.g. `sudo -E cargo xtask bench`)");
    }
    let (sensor, _) = build()?;
    build_harness()?;
    let root = workspace_root();
    let mut run = std::process::Command::new(&harness);
    run.arg("run")
        .arg("--sensor")
        .arg(&sensor)
        .arg("--rules")
        .arg(root.join("rules/default.rules"));
    // The recorded results and the README change only when no other
    // destination was asked for (development runs use `--out /tmp/x.json`).
    if !args.iter().any(|a| a == "--out" || a.starts_with("--out=")) {
        run.arg("--out")
            .arg(root.join("bench/results.json"))
            .arg("--readme")
            .arg(root.join("README.md"));
    }
    cmd::run(run.args(args), "see the benchmark's error above")
}
