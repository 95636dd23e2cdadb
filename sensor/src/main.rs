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
mod run;
mod sink;

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

    let o = &cli.options;
    let opts = LoadOptions {
        btf: o.btf.clone(),
        ring_buffer_bytes: o.ring_buffer_size,
        argv_cap: o.argv_max,
        ebpf_log: o.ebpf_log,
        mmap_all: o.mmap_all,
        tty_cap: o.tty_max_record,
    };
    let result = match cli.command {
        Some(Command::Check) => check::check(&opts).map(|ok| ok.then_some(()).ok_or(1)),
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| {
                rt.block_on(run::run(
                    &opts,
                    run::PipelineOptions {
                        node_name: o.node_name.clone(),
                        process_events: o.process_events,
                        tty_rate: o.tty_rate,
                    },
                ))
            })
            .map(Ok),
    };
    match result {
        Ok(Ok(())) => std::process::ExitCode::SUCCESS,
        Ok(Err(code)) => std::process::ExitCode::from(code),
        Err(e) => {
            log::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
