//! sensor: eBPF syscall audit sensor.
//!
//! The daemon is a pipeline whose modules are named by stage:
//! [`load`] → [`read`] → [`decode`] → [`enrich`] → [`filter`] → [`render`] → [`sink`],
//! with [`loss`] accounting for whatever a stage could not pass on.

mod check;
mod cli;
mod decode;
mod enrich;
mod filter;
mod load;
mod loss;
mod read;
mod render;
mod replay;
mod rules;
mod run;
mod sink;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command};
use load::LoadOptions;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let level = match cli.options.verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .target(env_logger::Target::Stderr)
        .init();

    match start(&cli) {
        Ok(code) => code,
        Err(e) => {
            log::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Everything after the command line: rules first, so a bad rule file
/// stops the sensor before anything is loaded or attached.
fn start(cli: &Cli) -> anyhow::Result<std::process::ExitCode> {
    let o = &cli.options;
    let rules = match &o.rules {
        Some(path) => rules::load(path, o.skip_unsupported_rules).context(
            "loading the audit rules (a rule the sensor cannot honour can be skipped, \
             with a warning, by --skip-unsupported-rules)",
        )?,
        None => rules::builtin_default(),
    };
    for warning in &rules.warnings {
        log::warn!("{warning}");
    }
    for note in &rules.notes {
        log::info!("{note}");
    }
    let opts = LoadOptions {
        btf: o.btf.clone(),
        ring_buffer_bytes: o.ring_buffer_size,
        argv_cap: o.argv_max,
        ebpf_log: o.ebpf_log,
        mmap_all: !rules.mmap_needs_only_exec(),
        tty_cap: o.tty_max_record,
    };
    if let Some(Command::Check) = cli.command {
        let ok = check::check(&opts, &rules)?;
        return Ok(if ok {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::from(1)
        });
    }
    let pipeline = run::PipelineOptions {
        format: o.format,
        node_name: o.node_name.clone(),
        process_events: o.process_events,
        tty_rate: o.tty_rate,
        rules_path: o.rules.clone(),
        skip_unsupported_rules: o.skip_unsupported_rules,
        record_raw: o.record_raw.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match &cli.command {
        Some(Command::Replay { file }) => {
            runtime.block_on(replay::replay(file, &o.btf, rules, pipeline))?
        }
        _ => runtime.block_on(run::run(&opts, rules, pipeline))?,
    }
    Ok(std::process::ExitCode::SUCCESS)
}
