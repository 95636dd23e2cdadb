//! The real auditd (Debian's), run privately for a test: its own config and
//! log in a temporary directory, rules loaded with auditctl, and everything
//! torn down afterwards (`auditctl -D`, `auditctl -e 0`, the daemon stopped).
//! Optionally with the real laurel as its plugin (`crate::laurel`).

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};

pub struct Auditd {
    child: Option<Child>,
    dir: PathBuf,
    laurel: bool,
    /// The kernel has one audit daemon: held while ours runs, so that
    /// tests and benchmarks running at once take turns.
    _lock: fs::File,
}

/// Where whoever drives the kernel's audit subsystem takes its turn.
pub const AUDIT_LOCK: &str = "/run/sensor-audit.lock";

/// Waits for the audit subsystem to be free and holds it until dropped.
pub fn audit_lock() -> Result<fs::File> {
    let file = fs::File::create(AUDIT_LOCK).context("creating the audit lock")?;
    // SAFETY: a valid fd; flock has no memory effects.
    let rc = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
    ensure!(
        rc == 0,
        "locking {AUDIT_LOCK}: {}",
        std::io::Error::last_os_error()
    );
    Ok(file)
}

fn auditctl(args: &[&str]) -> Result<String> {
    let out = Command::new("auditctl")
        .args(args)
        .output()
        .context("running auditctl")?;
    ensure!(
        out.status.success(),
        "auditctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// How auditd writes its log.
pub enum Flush {
    /// Every record synced (`flush = DATA`): tests read the log at once.
    EveryRecord,
    /// Debian's shipped setting (`INCREMENTAL_ASYNC`, every 50 records):
    /// what a node pays, for benchmarks.
    AsInstalled,
}

impl Auditd {
    /// Starts auditd with the rules in `rules` (auditctl syntax).
    pub fn start(rules: &Path) -> Result<Self> {
        Self::start_with(rules, Flush::EveryRecord)
    }

    pub fn start_with(rules: &Path, flush: Flush) -> Result<Self> {
        Self::start_full(rules, flush, false)
    }

    /// Starts auditd with laurel as its plugin (`crate::laurel::Laurel`),
    /// and the node's host name in every record (`name_format =
    /// hostname`), from which laurel writes `NODE`.
    pub fn start_with_laurel(rules: &Path) -> Result<Self> {
        Self::start_full(rules, Flush::EveryRecord, true)
    }

    fn start_full(rules: &Path, flush: Flush, laurel: bool) -> Result<Self> {
        let lock = audit_lock()?;
        let dir = std::env::temp_dir().join(crate::marker("auditd"));
        fs::create_dir_all(dir.join("plugins"))?;
        let conf = dir.join("auditd.conf");
        let flush = match flush {
            Flush::EveryRecord => "flush = DATA",
            Flush::AsInstalled => "flush = INCREMENTAL_ASYNC\nfreq = 50",
        };
        let name_format = if laurel {
            crate::laurel::install(&dir, &dir.join("plugins"))?;
            "name_format = hostname\n"
        } else {
            ""
        };
        fs::write(
            &conf,
            format!(
                "local_events = yes\nwrite_logs = yes\nlog_file = {}\nlog_format = RAW\n\
                 {flush}\nmax_log_file = 100\nmax_log_file_action = IGNORE\n\
                 space_left = 2\nadmin_space_left = 1\ndisk_full_action = IGNORE\n\
                 disk_error_action = IGNORE\nplugin_dir = {}\nq_depth = 8000\n{name_format}",
                dir.join("audit.log").display(),
                dir.join("plugins").display()
            ),
        )?;
        auditctl(&["-D"])?;
        auditctl(&["-b", "16384"])?;
        auditctl(&["--backlog_wait_time", "60000"])?;
        auditctl(&["-R", rules.to_str().unwrap()])?;
        let child = Command::new("auditd")
            .args(["-n", "-s", "enable", "-c"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting auditd")?;
        let auditd = Self {
            child: Some(child),
            dir,
            laurel,
            _lock: lock,
        };
        let pid = auditd.child.as_ref().unwrap().id();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = auditctl(&["-s"])?;
            if status.contains(&format!("pid {pid}")) && status.contains("enabled 1") {
                return Ok(auditd);
            }
            if Instant::now() > deadline {
                bail!("auditd did not take over the audit socket:\n{status}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until auditd's log and `other` (another recording's size)
    /// have not grown for a second and a half (at most 30 s): on a loaded
    /// machine kauditd and auditd may be seconds behind the workload.
    pub fn wait_until_quiet(&self, other: impl Fn() -> usize) {
        let size = || {
            let log = fs::metadata(self.dir.join("audit.log")).map_or(0, |m| m.len());
            (log, other())
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let (mut last, mut since) = (size(), Instant::now());
        while Instant::now() < deadline && since.elapsed() < Duration::from_millis(1500) {
            thread::sleep(Duration::from_millis(100));
            let now = size();
            if now != last {
                (last, since) = (now, Instant::now());
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("audit.log")
    }

    /// Stops auditd and returns its log.
    pub fn stop(mut self) -> Result<String> {
        self.shutdown();
        fs::read_to_string(self.dir.join("audit.log")).context("reading auditd's log")
    }

    /// Stops auditd and its laurel; returns auditd's log and laurel's
    /// JSON lines.
    pub fn stop_with_laurel(mut self) -> Result<(String, Vec<String>)> {
        anyhow::ensure!(self.laurel, "auditd was started without laurel");
        self.shutdown();
        let lines = crate::laurel::output(&self.dir)?;
        let log = fs::read_to_string(self.dir.join("audit.log")).context("reading auditd's log")?;
        Ok((log, lines))
    }

    fn shutdown(&mut self) {
        let _ = auditctl(&["-D"]);
        let _ = auditctl(&["-e", "0"]);
        if let Some(mut child) = self.child.take() {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
    }
}

impl Drop for Auditd {
    fn drop(&mut self) {
        self.shutdown();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
