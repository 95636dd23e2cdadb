//! Building the eBPF object, the userspace sensor that embeds it, and clippy
//! for both.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{ensure, Result};

use crate::cmd::{self, cargo, cargo_nightly};
use crate::setup::setup;

const BPF_TARGET: &str = "bpfel-unknown-none";

/// Flags for the eBPF build. Passed through CARGO_ENCODED_RUSTFLAGS (0x1f
/// separated) so the quotes in the cfg value survive, and so they apply to
/// the target only, not to build scripts.
const EBPF_RUSTFLAGS: &[&str] = &[
    r#"--cfg=bpf_target_arch="x86_64""#,
    // BTF for the maps and globals comes from debug info.
    "-Cdebuginfo=2",
    "-Clink-arg=--btf",
];

/// `cargo +nightly <subcommand>` for the eBPF crate with its target flags.
fn ebpf_cargo(subcommand: &str) -> Command {
    let mut cmd = cargo_nightly();
    cmd.args([subcommand, "-p", "sensor-ebpf", "--target", BPF_TARGET])
        .args(["-Z", "build-std=core"])
        .env("CARGO_ENCODED_RUSTFLAGS", EBPF_RUSTFLAGS.join("\x1f"));
    cmd
}

/// Build the eBPF object and return its absolute path.
pub fn build_ebpf() -> Result<PathBuf> {
    setup()?;
    eprintln!("build-ebpf: building sensor-ebpf");
    cmd::run(
        ebpf_cargo("build").arg("--release"),
        "fix the eBPF build errors above (run `cargo xtask setup` if the toolchain is missing)",
    )?;
    let object = cmd::target_dir()
        .join(BPF_TARGET)
        .join("release")
        .join("sensor");
    ensure!(
        object.is_file(),
        "the eBPF build succeeded but {} is missing: check the [[bin]] name of sensor-ebpf",
        object.display()
    );
    eprintln!("build-ebpf: eBPF object at {}", object.display());
    Ok(object)
}

/// Build the eBPF object, then the sensor embedding it. Returns the paths of
/// (sensor binary, eBPF object).
pub fn build() -> Result<(PathBuf, PathBuf)> {
    let object = build_ebpf()?;
    eprintln!("build: building sensor");
    cmd::run(
        cargo()
            .args(["build", "--release", "-p", "sensor"])
            .env("SENSOR_EBPF_OBJECT", &object),
        "fix the sensor build errors above",
    )?;
    let sensor = cmd::target_dir().join("release").join("sensor");
    ensure!(
        sensor.is_file(),
        "the build succeeded but {} is missing",
        sensor.display()
    );
    eprintln!("build: sensor at {}", sensor.display());
    Ok((sensor, object))
}

pub fn clippy() -> Result<()> {
    let object = build_ebpf()?;
    eprintln!("clippy: userspace crates");
    // --workspace would include sensor-ebpf, which only builds for the BPF
    // target; it gets its own clippy run below.
    cmd::run(
        cargo()
            .args([
                "clippy",
                "--workspace",
                "--exclude",
                "sensor-ebpf",
                "--all-targets",
            ])
            .args(["--", "-D", "warnings"])
            .env("SENSOR_EBPF_OBJECT", &object),
        "fix the clippy warnings above",
    )?;
    eprintln!("clippy: sensor-ebpf");
    cmd::run(
        ebpf_cargo("clippy").args(["--", "-D", "warnings"]),
        "fix the clippy warnings above",
    )
}
