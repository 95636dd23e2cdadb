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
mod pipeline;
mod read;
mod render;
mod replay;
mod rules;
mod run;
mod sink;

/// The sensor's gRPC transport, which the containerd tests' CRI client
/// shares rather than copies.
pub use enrich::runtime::grpc;

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
        .map_or(cli.options.reloadable.verbose, |s| {
            s.cli.options.reloadable.verbose
        });
    // Every level passes the logger unless RUST_LOG says otherwise; `-v`
    // sets the log crate's maximum, which SIGHUP can change.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("trace"))
        .target(env_logger::Target::Stderr)
        .init();
    set_verbosity(verbose);

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
    let o = &cli.options.restart_only;
    let applied = settings.applied();
    let rules = applied.load_rules().context("loading the audit rules")?;
    let opts = LoadOptions {
        btf: o.btf.clone(),
        ring_buffer_bytes: o.ring_buffer_size,
        argv_cap: o.argv_max,
        ebpf_log: o.ebpf_log,
        mmap_all: !rules.mmap_needs_only_exec(),
        tty_cap: o.tty_max_record,
        scope_exclusions: applied.stages.scope.any(),
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
    let metrics = metrics::server::Server::start(o.metrics_addr, applied.metrics_token.read()?)?;
    let runtime_endpoints = runtime_endpoints(o)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if let Some(Command::Replay { file }) = &cli.command {
        runtime.block_on(replay::replay(
            file,
            &o.btf,
            rules,
            applied,
            runtime_endpoints,
        ))?;
    } else {
        runtime.block_on(run::run(
            &opts,
            rules,
            settings,
            applied,
            runtime_endpoints,
            metrics,
        ))?;
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `--runtime-endpoint`s as socket paths; the defaults when none is given.
fn runtime_endpoints(o: &cli::RestartOnly) -> anyhow::Result<enrich::runtime::Endpoints> {
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

/// `-v`: info, debug (`-v`) or trace (`-vv`) and above; RUST_LOG, when
/// set, decides instead.
pub(crate) fn set_verbosity(verbose: u8) {
    if std::env::var_os("RUST_LOG").is_some() {
        return;
    }
    log::set_max_level(match verbose {
        0 => log::LevelFilter::Info,
        1 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    });
}
