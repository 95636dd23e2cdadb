//! Small helpers shared by the commands: workspace paths, process spawning,
//! and the environment clean-up needed when calling cargo from `cargo run`.

use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use anyhow::{bail, Context, Result};

/// Workspace root: xtask lives in `<root>/xtask`.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR` like cargo does.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// A `cargo` command run from the workspace root.
pub fn cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(workspace_root());
    cmd
}

/// A `cargo +nightly` command for the eBPF crate, with the environment that
/// the outer `cargo run` leaked into xtask removed.
pub fn cargo_nightly() -> Command {
    let mut cmd = cargo();
    cmd.arg("+nightly");
    // The rustup proxy that started xtask sets RUSTUP_TOOLCHAIN (e.g. to
    // stable). `+nightly` wins for cargo itself, but drop it anyway so nothing
    // downstream can fall back to the outer toolchain. RUSTC/RUSTFLAGS and
    // friends would point the nightly build at the wrong compiler or flags.
    // LD_LIBRARY_PATH is set by `cargo run` to the stable toolchain's lib
    // directory, which must not leak into the nightly rustc.
    for var in [
        "RUSTUP_TOOLCHAIN",
        "RUSTUP_TOOLCHAIN_SOURCE",
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "LD_LIBRARY_PATH",
    ] {
        cmd.env_remove(var);
    }
    // rustc looks bpf-linker up in PATH; `cargo install` puts it in
    // $CARGO_HOME/bin, which may not be in PATH (e.g. under sudo).
    if let Some(bin) = cargo_bin_dir() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![bin];
        dirs.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(dirs) {
            cmd.env("PATH", joined);
        }
    }
    cmd
}

/// `$CARGO_HOME/bin`, where `cargo install` puts binaries.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    Some(home.join("bin"))
}

fn describe(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Run `cmd`, echoing it to stderr, and return its exit status.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    let line = describe(cmd);
    eprintln!("+ {line}");
    cmd.status()
        .with_context(|| format!("could not start `{line}`: is it installed and in PATH?"))
}

/// Run `cmd` and fail with `hint` if it does not succeed.
pub fn run(cmd: &mut Command, hint: &str) -> Result<()> {
    let st = status(cmd)?;
    if !st.success() {
        bail!("`{}` failed ({st}): {hint}", describe(cmd));
    }
    Ok(())
}

/// Run `cmd` quietly and return its stdout, or None if it cannot start or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Effective uid 0, read from /proc so that no libc dependency is needed.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?;
            // Fields: real, effective, saved, filesystem.
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}
