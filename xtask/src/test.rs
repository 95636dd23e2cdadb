//! `cargo xtask test`: build, then run the whole test suite, including the
//! integration tests that start the real sensor.

use std::{path::Path, process::Command};

use anyhow::{bail, Result};

use crate::build::build;
use crate::cmd::{self, cargo};
use crate::{image, kernels, setup};

/// The userspace crates (sensor-ebpf only builds for the BPF target).
const WORKSPACE: [&str; 3] = ["--workspace", "--exclude", "sensor-ebpf"];

/// The matrix's test (tests/tests/kernels.rs), run after the host suite.
const MATRIX_TEST: &str = "every_kernel_of_the_matrix";

/// The host suite, then the VM kernel matrix; with `kernel`, only the
/// matrix, on those kernels.
pub fn test(kernel: Option<&str>, args: &[String]) -> Result<()> {
    // Fail before the (slow) build: the integration tests load eBPF programs.
    if !cmd::is_root() {
        bail!("the integration tests load eBPF programs and need root: rerun as root (e.g. `sudo -E cargo xtask test`)");
    }
    let (sensor, object) = build()?;

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

    if kernel.is_none() {
        // The image and deploy tests run the image and render the manifests.
        let image = image::package(&sensor)?;
        eprintln!("test: running the workspace tests");
        let mut skip_matrix = harness_args.clone();
        skip_matrix.extend(["--skip".into(), MATRIX_TEST.into()]);
        cmd::run(
            workspace_tests(&sensor, &object)
                .env("SENSOR_IMAGE", image)
                .args(WORKSPACE)
                .args(cargo_args)
                .arg("--")
                .args(&skip_matrix),
            "see the failing tests above",
        )?;
    }
    kernels::fetch(kernel)?;
    eprintln!("test: running the VM kernel matrix");
    let mut matrix = workspace_tests(&sensor, &object);
    if let Some(names) = kernel {
        matrix.env("SENSOR_KERNELS", names);
    }
    cmd::run(
        // The host suite's package selection, so that features unify as
        // they did there and nothing is built again.
        matrix
            .args(WORKSPACE)
            .args(["--test", "kernels", "--", MATRIX_TEST, "--exact"]),
        "see the failing kernels above (`cargo xtask kernels` lists the last results)",
    )
}

/// `cargo test --release`, with the paths the integration tests need.
fn workspace_tests(sensor: &Path, object: &Path) -> Command {
    let mut cmd = cargo();
    cmd.args(["test", "--release"])
        .env("SENSOR_BIN", sensor)
        .env("SENSOR_EBPF_OBJECT", object)
        .env("SENSOR_TOOLS_VENV", setup::tools_venv())
        .env("SENSOR_VM_DIR", kernels::vm_dir())
        .env(
            "SENSOR_LAUREL",
            setup::laurel_root().join("bin").join("laurel"),
        );
    cmd
}
