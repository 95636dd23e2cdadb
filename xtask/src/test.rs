//! `cargo xtask test`: build, then run the whole test suite, including the
//! integration tests that start the real sensor.

use anyhow::{bail, Result};

use crate::build::build;
use crate::cmd::{self, cargo};
use crate::{image, setup};

pub fn test(args: &[String]) -> Result<()> {
    // Fail before the (slow) build: the integration tests load eBPF programs.
    if !cmd::is_root() {
        bail!("the integration tests load eBPF programs and need root: rerun as root (e.g. `sudo -E cargo xtask test`)");
    }
    let (sensor, object) = build()?;
    // The image and deploy tests run the image and render the manifests.
    let image = image::package(&sensor)?;

    // Split `[cargo test args] [-- harness args]`.
    let (cargo_args, harness_args) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], args[i + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let mut harness_args = harness_args;
    // Each integration test starts its own sensor; running them concurrently
    // would mix their events. Serialise unless the user chose a thread count.
    if !harness_args.iter().any(|a| a.starts_with("--test-threads")) {
        harness_args.push("--test-threads=1".into());
    }

    eprintln!("test: running the workspace tests");
    cmd::run(
        cargo()
            // sensor-ebpf only builds for the BPF target.
            .args([
                "test",
                "--workspace",
                "--exclude",
                "sensor-ebpf",
                "--release",
            ])
            .args(cargo_args)
            .arg("--")
            .args(&harness_args)
            .env("SENSOR_BIN", &sensor)
            .env("SENSOR_EBPF_OBJECT", &object)
            .env("SENSOR_IMAGE", &image)
            .env("SENSOR_TOOLS_VENV", setup::tools_venv()),
        "see the failing tests above",
    )
}
