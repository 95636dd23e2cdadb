//! Developer tasks for the sensor workspace: `cargo xtask <command>`.
//!
//! The eBPF crate needs a nightly toolchain, `-Z build-std` and bpf-linker,
//! while the userspace daemon embeds the resulting object at build time.
//! Doing this by hand is error-prone, so every command here first makes sure
//! the toolchain is in place (`setup`) and then chains the builds in order.

mod bench;
mod build;
mod cmd;
mod image;
mod kernels;
mod run;
mod setup;
mod test;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, run and test the eBPF audit sensor"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install the build prerequisites (LLVM 22, rust-src, bpf-linker) if missing.
    Setup,
    /// Build the eBPF object (target/bpfel-unknown-none/release/sensor).
    BuildEbpf,
    /// Build the eBPF object and the userspace sensor (target/release/sensor).
    Build,
    /// Build, then package the sensor into its container image (podman, localhost/sensor:VERSION).
    Image,
    /// Build, then run the sensor (needs root or CAP_BPF+CAP_PERFMON).
    Run {
        /// Arguments passed to the sensor, after `--`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Build, then run all workspace tests including the privileged integration tests (root),
    /// then the VM kernel matrix.
    Test {
        /// Only boot these kernels of the matrix (comma-separated), skipping the host suite.
        #[arg(long, value_name = "NAME")]
        kernel: Option<String>,
        /// Extra `cargo test` arguments, after `--`; a further `--` passes arguments to the test harness.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// The VM kernel matrix: each kernel and its last result.
    Kernels {
        /// Fetch (or update) the kernels from the distributions' archives.
        #[arg(long)]
        fetch: bool,
        /// Only these kernels (comma-separated), with --fetch.
        #[arg(long, value_name = "NAME")]
        kernel: Option<String>,
        /// Print the README's kernel × event class table.
        #[arg(long)]
        markdown: bool,
    },
    /// Run clippy with `-D warnings` on the userspace crates and on the eBPF crate.
    Clippy,
    /// Benchmarks against auditd (root): writes bench/results.json and the
    /// README's table. Options after `--` (`--quick`, `--reps N`, `--secs S`,
    /// `--modes`, `--workloads`, `--no-sweep`, `--no-pipeline`, `--out FILE`);
    /// `bench compare OLD.json NEW.json` shows the differences.
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    // Print the error chain ourselves: returning the error from main would
    // dump an anyhow backtrace whenever RUST_BACKTRACE is set, burying the
    // message that tells the user what to do.
    match dispatch(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Setup => setup::setup(),
        Command::BuildEbpf => build::build_ebpf().map(drop),
        Command::Build => build::build().map(drop),
        Command::Image => image::image().map(drop),
        Command::Run { args } => run::run(&args),
        Command::Test { kernel, args } => test::test(kernel.as_deref(), &args),
        Command::Kernels {
            fetch,
            kernel,
            markdown,
        } => {
            if fetch {
                kernels::fetch(kernel.as_deref())?;
            }
            kernels::list(markdown)
        }
        Command::Clippy => build::clippy(),
        Command::Bench { args } => bench::bench(&args),
    }
}
