//! sensor: eBPF syscall audit sensor.
//!
//! The daemon is a pipeline whose modules are named by stage:
//! [`load`] → [`read`] → [`decode`] → [`enrich`] → [`filter`] → [`render`] → [`sink`],
//! with [`loss`] accounting for whatever a stage could not pass on.
// serde_json::json! of a whole record, in the renderers' tests.
#![cfg_attr(test, recursion_limit = "256")]

mod check;
mod cli;
mod config;
mod confine;
mod decode;
mod enrich;
mod fds;
mod filter;
mod kernel_feed;
mod load;
mod loss;
mod metrics;
mod read;
mod render;
mod replay;
mod rules;
mod run;
mod sink;

/// The sensor's gRPC transport, which the containerd tests' CRI client
/// shares rather than copies.
pub use enrich::runtime::grpc;

use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use cli::Command;
use load::LoadOptions;

/// The `sensor` command: its command line and configuration, then the
/// daemon (or `check`, `replay`). The binary is this call; the library
/// exists so that tests use the sensor's own modules.
pub fn main() -> std::process::ExitCode {
    // Flags alone first: --help and flag errors exit here, as clap does.
    let cli = cli::Cli::parse();
    // Then the configuration file, which may set `verbose` too.
    let settings = config::resolve(std::env::args_os().collect());
    let verbose = settings
        .as_ref()
        .map_or(cli.options.verbose, |s| s.cli.options.verbose);
    let level = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .target(env_logger::Target::Stderr)
        .init();

    match settings.and_then(start) {
        Ok(code) => code,
        Err(e) => {
            log::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Everything after the command line and configuration: rules first, so a
/// bad rule file stops the sensor before anything is loaded or attached.
fn start(settings: config::Settings) -> anyhow::Result<std::process::ExitCode> {
    let cli = &settings.cli;
    let o = &cli.options;
    let rules = match &o.rules {
        Some(path) => {
            rules::load(path, o.skip_unsupported_rules).context("loading the audit rules")?
        }
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
        scope_exclusions: !o.exclude.is_empty() || !o.include.is_empty(),
    };
    if let Some(Command::Check {
        verifier_log,
        verifier_stats,
    }) = &cli.command
    {
        let ok = check::check(
            &opts,
            &rules,
            &runtime_endpoints(o)?,
            check::Extras {
                verifier_log: verifier_log.as_deref(),
                verifier_stats: *verifier_stats,
            },
        )?;
        return Ok(if ok {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::from(1)
        });
    }
    if cli.command.is_none() {
        // While this is the only thread: the others inherit what is left.
        confine::at_start()?;
        match fds::raise_limit() {
            Ok(n) => log::debug!("open-file limit {n}"),
            Err(e) => log::warn!("cannot raise the open-file limit (RLIMIT_NOFILE): {e}"),
        }
    }
    let metrics_token = sink::http::secret(
        (o.metrics_token_env.as_deref(), "--metrics-token-env"),
        (o.metrics_token_file.as_deref(), "--metrics-token-file"),
    )?;
    match o.metrics_addr {
        Some(addr) => metrics::server::spawn(addr, metrics_token)?,
        None if metrics_token.is_some() => {
            anyhow::bail!("--metrics-token-file or --metrics-token-env without --metrics-addr")
        }
        None => {}
    }
    let pipeline = run::PipelineOptions {
        format: o.format,
        node_name: o.node_name.clone(),
        process_events: o.process_events,
        tty_rate: o.tty_rate,
        rules_path: o.rules.clone(),
        skip_unsupported_rules: o.skip_unsupported_rules,
        cluster_name: o
            .cluster_name
            .clone()
            .or_else(|| std::env::var("CLUSTER_NAME").ok().filter(|c| !c.is_empty())),
        runtime: runtime_endpoints(o)?,
        metadata_wait: Duration::from_millis(o.metadata_wait),
        metadata_retention: Duration::from_secs(o.metadata_retention),
        scope: filter::scope::Scope::new(o.include.clone(), o.exclude.clone()),
        outputs: settings.outputs.clone(),
        sink_defaults: run::sink_defaults(o),
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

/// `--runtime-endpoint`s as socket paths; the defaults when none is given.
fn runtime_endpoints(o: &cli::Options) -> anyhow::Result<enrich::runtime::Endpoints> {
    use enrich::runtime::{endpoint_path, DEFAULT_ENDPOINTS};
    let explicit = !o.runtime_endpoints.is_empty();
    let given: Vec<&str> = if explicit {
        o.runtime_endpoints.iter().map(String::as_str).collect()
    } else {
        DEFAULT_ENDPOINTS.to_vec()
    };
    let paths = given
        .into_iter()
        .filter(|e| *e != "none")
        .map(|e| endpoint_path(e).context("--runtime-endpoint"))
        .collect::<anyhow::Result<_>>()?;
    Ok(enrich::runtime::Endpoints {
        paths,
        explicit,
        annotations: o.pod_annotations.clone(),
    })
}
