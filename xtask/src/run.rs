//! `cargo xtask run`: build and start the sensor in the foreground.

use std::process::Command;

use anyhow::Result;

use crate::build::build;
use crate::cmd;

pub fn run(args: &[String]) -> Result<()> {
    let (sensor, _) = build()?;
    if !cmd::is_root() {
        // Not fatal: the binary may carry file capabilities, or the user may
        // just want to see --help.
        eprintln!("run: warning: the sensor needs root (or CAP_BPF and CAP_PERFMON) to load its eBPF programs");
    }
    let status = cmd::status(Command::new(&sensor).args(args))?;
    // Propagate the sensor's exit code; a signal death maps to 128+signal
    // like a shell would do.
    let code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    });
    std::process::exit(code)
}
