//! The real laurel (0.8.2, which `cargo xtask setup` installs under
//! target/tools/laurel), run as a private auditd's plugin: auditd hands it
//! every record as it writes it (`format = string`) and laurel writes the
//! JSON the sensor's must equal.
//!
//! laurel runs with its default configuration but for what the sensor's
//! README names: `translate.universal`, `translate.user-db` and
//! `enrich.ppid-verbose` on; its log in the auditd directory, no state
//! file (each run starts from /proc, as the sensor does).

use std::{
    fs,
    path::{Path, PathBuf},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};

/// The laurel binary: $SENSOR_LAUREL (set by `cargo xtask test`), else
/// where `cargo xtask setup` installs it.
pub fn laurel_bin() -> PathBuf {
    std::env::var_os("SENSOR_LAUREL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/tools/laurel/bin/laurel"
            ))
        })
}

/// The laurel options the sensor's JSON matches, beyond the defaults.
pub const CONFIG: &str = "[translate]\nuniversal = true\nuser-db = true\n\
                          [enrich]\nppid-verbose = true\n";

fn config_path(dir: &Path) -> PathBuf {
    dir.join("laurel.toml")
}

/// Writes laurel's configuration (its log in `dir/laurel`) and the plugin
/// file auditd starts it from, in `plugins`.
pub fn install(dir: &Path, plugins: &Path) -> Result<()> {
    let bin = laurel_bin();
    ensure!(
        bin.exists(),
        "laurel is not installed at {}: run `cargo xtask setup`",
        bin.display()
    );
    let config = config_path(dir);
    fs::write(
        &config,
        format!(
            "directory = \"{}\"\n[auditlog]\nfile = \"audit.json\"\n[state]\nfile = \"\"\n{CONFIG}",
            dir.join("laurel").display()
        ),
    )?;
    fs::write(
        plugins.join("laurel.conf"),
        format!(
            "active = yes\ndirection = out\ntype = always\nformat = string\npath = {}\nargs = --config {}\n",
            bin.display(),
            config.display()
        ),
    )
    .context("writing laurel's plugin file")
}

/// The pids of the laurels run with the configuration in `dir`.
fn running(dir: &Path) -> Vec<u32> {
    let config = config_path(dir);
    let Ok(procs) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                c.split(|&b| b == 0)
                    .any(|arg| arg == config.as_os_str().as_encoded_bytes())
            })
        })
        .collect()
}

/// laurel's JSON lines, once the laurel auditd ran has exited (at its end
/// it writes out the events it still held).
pub fn output(dir: &Path) -> Result<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !running(dir).is_empty() {
        if Instant::now() > deadline {
            bail!("laurel did not exit within 20 s of auditd");
        }
        thread::sleep(Duration::from_millis(100));
    }
    let path = dir.join("laurel").join("audit.json");
    let text = fs::read_to_string(&path)
        .with_context(|| format!("reading laurel's log {}", path.display()))?;
    Ok(text.lines().map(str::to_owned).collect())
}
