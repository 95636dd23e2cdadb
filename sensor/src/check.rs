//! `sensor check`: everything start-up needs, each with its fix.

use anyhow::Result;

use crate::{
    enrich::runtime::{cri::Cri, Endpoints},
    load::{self, btf, privileges, programs::PROGRAMS, tracefs, LoadOptions},
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

pub fn check(opts: &LoadOptions, rules: &RuleFile, endpoints: &Endpoints) -> Result<bool> {
    runtimes(endpoints);
    let mut ok = true;
    for warning in &rules.warnings {
        println!("{:<12} skipped: {warning}", "rules");
    }
    println!(
        "{:<12} ok: {} rules; they record syscalls {:?}",
        "rules",
        rules.rules.len(),
        rules.syscalls()
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
    let offsets =
        btf::open(&opts.btf).and_then(|b| Ok((btf::resolve(&b)?, btf::controller(&b)?.0)));
    report(
        "btf",
        offsets
            .as_ref()
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

    let (Ok((offsets, cgroup_controller)), true, Ok(tracefs)) = (offsets, privileged, tracefs)
    else {
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
    // Load and attach for real: the verifier and the tracepoints have the
    // last word. Everything is detached when `ebpf` is dropped.
    let kernel = load::Kernel {
        offsets,
        tracefs,
        cgroup_controller,
    };
    match load::load(opts, &kernel) {
        Err(e) => report("programs", Err(e)),
        Ok(mut ebpf) => {
            for p in PROGRAMS {
                report(
                    "program",
                    load::attach(&mut ebpf, p)
                        .map(|_| format!("{} -> {} loaded and attached", p.name, p.point())),
                );
            }
        }
    }
    Ok(ok)
}
