//! `sensor check`: everything start-up needs, each with its fix.

use std::path::Path;

use anyhow::{Context, Result};

use crate::{
    enrich::runtime::{cri::Cri, Endpoints},
    load::{self, btf, privileges, programs::PROGRAMS, stats, tracefs, LoadOptions},
    rules::RuleFile,
};

/// Which container runtimes answer: informational, as the sensor runs
/// without one (events then carry container ids alone).
fn runtimes(endpoints: &Endpoints) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    for path in &endpoints.paths {
        let answer = rt.block_on(async {
            let cri = Cri::connect(path.clone(), Vec::new().into());
            tokio::time::timeout(std::time::Duration::from_secs(2), cri).await
        });
        match answer {
            Ok(Ok(cri)) => println!(
                "{:<12} ok: {} at {}",
                "runtime",
                cri.runtime,
                path.display()
            ),
            Ok(Err(e)) => println!(
                "{:<12} not answering: {e:#} (events from its containers carry their id only)",
                "runtime"
            ),
            Err(_) => println!("{:<12} not answering in 2 s: {}", "runtime", path.display()),
        }
    }
}

/// What `sensor check` reports beyond the preflight.
pub struct Extras<'a> {
    /// Where to write the whole verifier log of each refused program.
    pub verifier_log: Option<&'a Path>,
    /// Each program's verifier statistics (`load::stats`).
    pub verifier_stats: bool,
}

pub fn check(
    opts: &LoadOptions,
    rules: &RuleFile,
    endpoints: &Endpoints,
    extras: Extras,
) -> Result<bool> {
    runtimes(endpoints);
    let mut ok = true;
    for warning in &rules.warnings {
        println!("{:<12} skipped: {warning}", "rules");
    }
    println!(
        "{:<12} ok: {} rules; they record syscalls {}",
        "rules",
        rules.rules.len(),
        rules
            .syscalls()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut report = |what: &str, result: Result<String>| match result {
        Ok(detail) => println!("{what:<12} ok: {detail}"),
        Err(e) => {
            ok = false;
            println!("{what:<12} MISSING: {e:#}");
        }
    };

    let missing = privileges::missing()?;
    let privileged = missing.is_empty();
    report(
        "privileges",
        if privileged {
            Ok("CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) are effective".into())
        } else {
            Err(anyhow::anyhow!(privileges::advice(&missing)))
        },
    );
    let btf = btf::open(&opts.btf).and_then(|b| {
        btf::resolve(&b)?;
        btf::controller(&b)?;
        Ok(b)
    });
    report(
        "btf",
        btf.as_ref()
            .map(|_| {
                format!(
                    "{} has every struct field the programs read",
                    opts.btf.display()
                )
            })
            .map_err(|e| anyhow::anyhow!("{e:#}")),
    );
    let tracefs = tracefs::ensure_mounted();
    let tracefs_state = tracefs
        .as_ref()
        .map(|t| t.to_string())
        .map_err(|e| anyhow::anyhow!("{e:#}"));
    report("tracefs", tracefs_state);

    let (Ok(btf), true, Ok(tracefs)) = (btf, privileged, tracefs) else {
        for p in PROGRAMS {
            report(
                "program",
                Err(anyhow::anyhow!(
                    "{} -> {} not tried: fix the above first",
                    p.name,
                    p.point()
                )),
            );
        }
        return Ok(false);
    };
    report(
        "ring buffer",
        load::features::require().map(|()| "BPF ring buffer maps".into()),
    );
    let kernel = load::Kernel::from_btf(&btf, tracefs)?;
    for f in load::features::probe(&kernel) {
        if f.present {
            println!("{:<12} ok: {}", "feature", f.name);
        } else {
            // Degraded, not missing: the sensor runs, without this.
            println!(
                "{:<12} DEGRADED: no {} ({}): {}",
                "feature", f.name, f.needs, f.without
            );
        }
    }
    match crate::kernel_feed::describe() {
        Ok(detail) => println!("{:<12} ok: {detail}", "kernel recs"),
        // Degraded, not missing: the syscall records do not need it.
        Err(e) => println!("{:<12} DEGRADED: {e:#}", "kernel recs"),
    }
    // Load and attach for real: the verifier and the tracepoints have the
    // last word. Everything is detached when `ebpf` is dropped.
    let (mut ebpf, loads) = match load::load_each(opts, &kernel) {
        Ok(loaded) => loaded,
        Err(e) => {
            report("programs", Err(e));
            return Ok(ok);
        }
    };
    for (p, loaded) in loads {
        let result = match loaded {
            Ok(v) => load::attach::attach(&mut ebpf, p).map(|link| {
                let done = match (link, p.is_continuation()) {
                    (_, true) => "in place",
                    (Some(_), false) => "attached",
                    (None, false) => "attached to each syscall the rules name",
                };
                format!("{} -> {} loaded in {v} and {done}", p.name, p.point())
            }),
            Err(refused) => {
                if let (Some(dir), Some(log)) = (extras.verifier_log, &refused.log) {
                    save_log(dir, p.name, log)?;
                }
                Err(refused.error)
            }
        };
        report("program", result);
    }
    if extras.verifier_stats {
        for measured in load::verifier_stats(&ebpf, opts, &kernel)? {
            report("verifier", measured.and_then(|s| verdict(&s)));
        }
    }
    Ok(ok)
}

fn save_log(dir: &Path, program: &str, log: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{program}.log"));
    std::fs::write(&path, log).with_context(|| format!("writing {}", path.display()))
}

/// A program's verifier statistics, refused when within 10% of the oldest
/// supported kernel's limits (a change that would break it there).
fn verdict(s: &stats::Stats) -> Result<String> {
    let detail = format!(
        "{}: {} instructions processed (limit {}), stack {} bytes (limit {}; frames {:?})",
        s.program,
        s.processed,
        stats::INSN_LIMIT,
        s.stack,
        stats::STACK_LIMIT,
        s.frames
    );
    if s.processed > stats::INSN_LIMIT / 10 * 9 || s.stack > stats::STACK_LIMIT / 10 * 9 {
        anyhow::bail!("{detail}: within 10% of the limit");
    }
    Ok(detail)
}
