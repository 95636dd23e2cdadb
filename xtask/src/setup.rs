//! Idempotent installation of the eBPF build prerequisites.
//!
//! Each step checks first and only installs what is missing, so running it
//! before every build costs a few quick queries.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Result};

use crate::cmd::{self, cargo_bin_dir, output};

/// Debian packages: LLVM 22 for bpf-linker (it matches the LLVM of the
/// installed nightly); auditd (auditd, auditctl, ausearch, aureport), the
/// reference the conformance tests compare the sensor with; containerd and
/// runc, the real runtime the Kubernetes attribution tests drive through
/// the CRI; podman, which builds and runs the container image (`cargo
/// xtask image`, the image test), with busybox-static for the test images
/// and ca-certificates for the image's CA bundle; python3-venv for the
/// manifests' validator (below); stress-ng, the benchmarks' mixed
/// workload, and linux-perf to profile them; libclang-dev and libacl1-dev
/// to build laurel (below).
const DEB_PACKAGES: &[&str] = &[
    "llvm-22-dev",
    "libpolly-22-dev",
    "libzstd-dev",
    "auditd",
    "containerd",
    "runc",
    "podman",
    "busybox-static",
    "ca-certificates",
    "python3-venv",
    // The sink tests' real syslog receiver, over UDP, TCP and TLS.
    "rsyslog",
    "rsyslog-gnutls",
    "stress-ng",
    "linux-perf",
    // The login tests (issue 18): a private sshd with PAM, password
    // logins through sshpass, sudo allowed and denied.
    "openssh-server",
    "sshpass",
    "sudo",
    // The VM kernel matrix: QEMU boots the distributions' kernels, whose
    // packages apt checks against Debian's archive key.
    "qemu-system-x86",
    "debian-archive-keyring",
    "libclang-dev",
    "libacl1-dev",
    // setcap: the conformance workload's file with capabilities.
    "libcap2-bin",
    // `gcc -m32`: the syscall tests build an i386 program (32-bit calls
    // as a 32-bit binary makes them).
    "gcc-multilib",
];

/// `kubectl kustomize` renders deploy/: any kubectl will do (a machine may
/// have a newer one than Debian's, from another package), so the command is
/// checked, and Debian's package installed only when there is none.
const KUBECTL_PACKAGE: &str = "kubernetes-client";

/// The manifests' validator, from PyPI, in a venv of its own under target/:
/// nothing is installed into (or breaks) the system's Python, and the
/// version is the one the tests were written against.
const KUBERNETES_VALIDATE: &str = "kubernetes-validate==1.37.0";

/// laurel, the auditd plugin whose JSON the sensor's equals: the laurel
/// tests run it behind a private auditd. Installed under target/ (a clean
/// clone installs it again, and the version is exactly this one).
const LAUREL_VERSION: &str = "0.8.2";

/// bpf-linker release line that supports LLVM 22.
const BPF_LINKER_VERSION: &str = "0.13";
const LLVM_PREFIX: &str = "/usr/lib/llvm-22";

pub fn setup() -> Result<()> {
    deb_packages()?;
    rust_src()?;
    bpf_linker()?;
    kubernetes_validate()?;
    laurel()?;
    Ok(())
}

/// Where `cargo install --root` puts laurel: `<target>/tools/laurel`; the
/// binary is `bin/laurel` below it.
pub fn laurel_root() -> PathBuf {
    cmd::target_dir().join("tools").join("laurel")
}

fn laurel() -> Result<()> {
    let root = laurel_root();
    // `laurel --version` prints e.g. "0.8.2 (generic)".
    let installed = output(Command::new(root.join("bin").join("laurel")).arg("--version"));
    if installed.is_some_and(|v| v.split_whitespace().next() == Some(LAUREL_VERSION)) {
        eprintln!("setup: laurel {LAUREL_VERSION} already installed");
        return Ok(());
    }
    eprintln!(
        "setup: installing laurel {LAUREL_VERSION} into {}",
        root.display()
    );
    cmd::run(
        Command::new("cargo")
            .args(["install", "laurel", "--locked", "--version", LAUREL_VERSION])
            .arg("--root")
            .arg(&root),
        "check network access (crates.io) and that libclang-dev and libacl1-dev are installed",
    )
}

/// The venv holding kubernetes-validate (and its PyYAML, which the tests use
/// to read rendered manifests): `<target>/tools/venv`.
pub fn tools_venv() -> PathBuf {
    cmd::target_dir().join("tools").join("venv")
}

fn kubernetes_validate() -> Result<()> {
    let venv = tools_venv();
    let bin = venv.join("bin");
    let wanted = KUBERNETES_VALIDATE.rsplit("==").next().unwrap_or_default();
    let installed = output(Command::new(bin.join("kubernetes-validate")).arg("--version"));
    if installed.as_deref().map(str::trim) == Some(wanted) {
        eprintln!("setup: kubernetes-validate {wanted} already installed");
        return Ok(());
    }
    eprintln!(
        "setup: installing {KUBERNETES_VALIDATE} into {}",
        venv.display()
    );
    cmd::run(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        "python3 with its venv module is needed (Debian: python3-venv)",
    )?;
    cmd::run(
        Command::new(bin.join("pip")).args(["install", "--quiet", KUBERNETES_VALIDATE]),
        "check access to PyPI",
    )
}

fn deb_installed(pkg: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", pkg]))
        .is_some_and(|s| s.trim() == "install ok installed")
}

fn deb_packages() -> Result<()> {
    let mut missing = Vec::new();
    for pkg in DEB_PACKAGES {
        if deb_installed(pkg) {
            eprintln!("setup: {pkg} already installed");
        } else {
            missing.push(*pkg);
        }
    }
    if output(Command::new("kubectl").args(["kustomize", "--help"])).is_some() {
        eprintln!("setup: kubectl (with kustomize) already installed");
    } else {
        missing.push(KUBECTL_PACKAGE);
    }
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if output(Command::new("apt-get").arg("--version")).is_none() {
        bail!("missing packages {list} and apt-get is not available: install them (or their equivalent for LLVM 22) by hand");
    }
    if !cmd::is_root() {
        bail!("missing packages {list}: run `sudo apt-get install -y {list}` or rerun this command as root");
    }
    eprintln!("setup: installing {list}");
    cmd::run(
        Command::new("apt-get").arg("update"),
        "check network access and the apt sources",
    )?;
    cmd::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y"])
            .args(&missing),
        "check that these packages exist in the configured apt sources (LLVM 22 may need apt.llvm.org)",
    )
}

/// True if rustup has a plain `nightly` toolchain (the one `+nightly` picks),
/// as opposed to only dated nightlies.
fn has_nightly() -> bool {
    output(Command::new("rustup").args(["toolchain", "list"])).is_some_and(|list| {
        list.lines().any(|l| {
            let name = l.split_whitespace().next().unwrap_or("");
            name == "nightly"
                || name
                    .strip_prefix("nightly-")
                    .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
        })
    })
}

fn rust_src() -> Result<()> {
    // Never install a toolchain here: RUSTUP_AUTO_INSTALL may be 0 and a
    // different nightly could have an LLVM that bpf-linker does not match.
    if !has_nightly() {
        bail!("no nightly Rust toolchain is installed; the eBPF crate needs one (with LLVM 22): install it with rustup, then rerun");
    }
    let installed = output(Command::new("rustup").args([
        "component",
        "list",
        "--toolchain",
        "nightly",
        "--installed",
    ]))
    .unwrap_or_default();
    if installed.lines().any(|l| l.trim().starts_with("rust-src")) {
        eprintln!("setup: rust-src (nightly) already installed");
        return Ok(());
    }
    eprintln!("setup: installing rust-src for nightly");
    cmd::run(
        Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", "nightly"]),
        "rust-src is needed for -Z build-std=core; check network access",
    )
}

fn bpf_linker_version() -> Option<String> {
    let candidates = std::iter::once(PathBuf::from("bpf-linker"))
        .chain(cargo_bin_dir().map(|d| d.join("bpf-linker")));
    for bin in candidates {
        if let Some(out) = output(Command::new(&bin).arg("--version")) {
            // Prints e.g. "bpf-linker 0.13.0".
            return out.split_whitespace().nth(1).map(str::to_owned);
        }
    }
    None
}

fn bpf_linker() -> Result<()> {
    match bpf_linker_version() {
        Some(v) if v.starts_with(&format!("{BPF_LINKER_VERSION}.")) => {
            eprintln!("setup: bpf-linker {v} already installed");
            return Ok(());
        }
        Some(v) => {
            eprintln!("setup: bpf-linker {v} found, installing {BPF_LINKER_VERSION} instead")
        }
        None => eprintln!("setup: installing bpf-linker {BPF_LINKER_VERSION}"),
    }
    // LLVM_PREFIX makes it link the Debian LLVM 22; without it the build
    // looks in /usr and does not find libLLVM.
    cmd::run(
        Command::new("cargo")
            .env("LLVM_PREFIX", LLVM_PREFIX)
            .args(["install", "bpf-linker", "--version"])
            .arg(format!("^{BPF_LINKER_VERSION}"))
            .args(["--no-default-features", "--features", "llvm-22"]),
        "check network access and that llvm-22-dev is installed",
    )
}
