//! The kernel matrix: the scenario of `sensor_tests::matrix` (every event
//! class with known values, a forced ring-buffer overflow, every program's
//! verifier figures) on each kernel `cargo xtask kernels --fetch` cached,
//! each booted in QEMU, and on the host's own kernel.
//!
//! `SENSOR_KERNELS=a,b` runs only those guests (`cargo xtask test --kernel
//! NAME`). Each kernel's result goes to `target/vm/results/NAME.json`,
//! which `cargo xtask kernels` lists.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::Mutex,
    thread,
};

use anyhow::{Context, Result};
use sensor_tests::{
    matrix::{self, Outcome, ProgramFigures, CLASSES},
    vm::{self, Boot, Kernel},
};
use serde_json::json;

/// Guests run side by side (each has one CPU).
const PARALLEL: usize = 2;
/// A program within 10% of the oldest supported kernel's limits fails.
const INSN_LIMIT: u64 = 1_000_000;
const STACK_LIMIT: u64 = 512;

/// One kernel's result, as `target/vm/results/NAME.json` keeps it.
struct Verdict {
    name: String,
    /// "pass", "fail" or "harness" (the guest never booted, twice).
    status: &'static str,
    detail: serde_json::Value,
    problems: Vec<String>,
}

fn judge(name: &str, package: &str, outcome: &Outcome, secs: f64) -> Verdict {
    let verdicts = matrix::check(outcome);
    let programs = matrix::programs(outcome);
    let mut problems: Vec<String> = verdicts
        .iter()
        .filter_map(|(class, v)| v.as_ref().err().map(|e| format!("{class}: {e}")))
        .collect();
    for (program, p) in &programs {
        problems.extend(guard(program, p));
    }
    if programs.is_empty() {
        problems.push("no program figures in the sensor's log or `sensor check`".into());
    }
    // In the order the scenario lists them.
    let classes: Vec<_> = CLASSES
        .iter()
        .map(|class| {
            let result = match verdicts.get(class) {
                Some(Ok(())) => "ok".to_string(),
                Some(Err(e)) => e.clone(),
                None => "not checked".into(),
            };
            json!({"class": class, "result": result})
        })
        .collect();
    Verdict {
        name: name.into(),
        status: if problems.is_empty() { "pass" } else { "fail" },
        detail: json!({
            "package": package,
            "release": outcome.kernel,
            "classes": classes,
            "programs": programs,
            "degraded": matrix::degraded(outcome),
            "ready_secs": outcome.ready_secs,
            "guest_secs": secs,
        }),
        problems,
    }
}

/// A program's figures against the verifier's limits on the oldest kernel.
fn guard(program: &str, p: &ProgramFigures) -> Option<String> {
    if let Some(problem) = &p.problem {
        return Some(problem.clone());
    }
    let processed = p.processed?;
    let stack = p.stack.unwrap_or(0);
    (processed > INSN_LIMIT / 10 * 9 || stack > STACK_LIMIT / 10 * 9).then(|| {
        format!(
            "{program}: {processed} instructions processed (limit {INSN_LIMIT}), \
             stack {stack} bytes (limit {STACK_LIMIT}): within 10% of the limit"
        )
    })
}

fn results_dir() -> PathBuf {
    vm::vm_dir().join("results")
}

fn save(v: &Verdict) -> Result<()> {
    fs::create_dir_all(results_dir())?;
    let mut detail = v.detail.clone();
    detail["status"] = json!(v.status);
    detail["problems"] = json!(v.problems);
    detail["when"] = json!(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs());
    let path = results_dir().join(format!("{}.json", v.name));
    fs::write(&path, serde_json::to_string_pretty(&detail)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// Boots one guest; a guest that does not reach the scenario is retried
/// once (under TCG a kernel now and then panics in early boot), and if it
/// fails again the harness, not the sensor, is reported.
fn run_guest(kernel: &Kernel, initramfs: &Path) -> Result<Verdict> {
    let work = vm::vm_dir().join("work").join(&kernel.name);
    let mut tries = 0;
    loop {
        tries += 1;
        match vm::boot(kernel, initramfs, &work)? {
            Boot::Ran { outcome, secs } => {
                return Ok(judge(&kernel.name, &kernel.package, &outcome, secs))
            }
            Boot::NoOutcome { console } => {
                return Ok(Verdict {
                    name: kernel.name.clone(),
                    status: "fail",
                    detail: json!({"package": kernel.package}),
                    problems: vec![format!("the scenario sent no outcome; console:\n{console}")],
                })
            }
            Boot::NotBooted { console } if tries >= 2 => {
                return Ok(Verdict {
                    name: kernel.name.clone(),
                    status: "harness",
                    detail: json!({"package": kernel.package}),
                    problems: vec![format!(
                        "HARNESS: the guest did not boot twice (not the sensor's failure); \
                         console:\n{console}"
                    )],
                })
            }
            Boot::NotBooted { console } => eprintln!(
                "{}: the guest did not boot; retrying once. Console:\n{console}",
                kernel.name
            ),
        }
    }
}

#[test]
fn every_kernel_of_the_matrix() {
    let only = std::env::var("SENSOR_KERNELS").ok();
    let kernels = vm::kernels(only.as_deref()).unwrap();
    assert!(!kernels.is_empty(), "no kernels to boot");
    let initramfs = vm::vm_dir().join("initramfs.cpio");
    vm::initramfs(
        &initramfs,
        &sensor_tests::sensor_bin(),
        Path::new(env!("CARGO_BIN_EXE_matrix-guest")),
    )
    .unwrap();

    let queue = Mutex::new(kernels.iter());
    let verdicts = Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| loop {
                let Some(kernel) = queue.lock().unwrap().next() else {
                    return;
                };
                let verdict = run_guest(kernel, &initramfs).unwrap_or_else(|e| Verdict {
                    name: kernel.name.clone(),
                    status: "fail",
                    detail: json!({"package": kernel.package}),
                    problems: vec![format!("{e:#}")],
                });
                eprintln!("{}: {}", verdict.name, verdict.status);
                save(&verdict).unwrap();
                verdicts.lock().unwrap().push(verdict);
            });
        }
    });
    report(verdicts.into_inner().unwrap());
}

#[test]
fn the_hosts_own_kernel() {
    let dir = matrix::host_dir();
    let start = std::time::Instant::now();
    let outcome = matrix::run(&dir).unwrap();
    let verdict = judge(
        "host",
        "the running kernel",
        &outcome,
        start.elapsed().as_secs_f64(),
    );
    save(&verdict).unwrap();
    report(vec![verdict]);
}

/// Fails, listing every kernel's problems, unless all passed.
fn report(verdicts: Vec<Verdict>) {
    let failed: Vec<String> = verdicts
        .iter()
        .filter(|v| v.status != "pass")
        .map(|v| format!("== {} ({}):\n{}", v.name, v.status, v.problems.join("\n")))
        .collect();
    for v in &verdicts {
        eprintln!("{:<18} {:<8} {}", v.name, v.status, v.detail["release"]);
    }
    assert!(
        failed.is_empty(),
        "{} of {} kernels failed ({} classes each):\n{}",
        failed.len(),
        verdicts.len(),
        CLASSES.len(),
        failed.join("\n")
    );
}
