//! What traces the workloads: nothing (baseline), the sensor writing JSON or
//! auditd's text format to a file, or the real auditd writing its log. A
//! session starts one of them once; each workload then reads its counters
//! before and after (CPU, events written, losses).

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use sensor_tests::auditd::{audit_lock, Auditd, Flush};

use crate::proc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Nothing tracing.
    Baseline,
    /// The sensor, default rules, JSON to a file.
    SensorJson,
    /// The sensor, default rules, auditd's text format to a file.
    SensorAuditd,
    /// Debian's auditd with the same rules, writing its log.
    Auditd,
    /// Another build of the sensor (`--before-sensor`), JSON to a file,
    /// skipping the rules it cannot honour: a before/after in one run.
    SensorBefore,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Baseline => "baseline",
            Mode::SensorJson => "sensor-json",
            Mode::SensorAuditd => "sensor-auditd",
            Mode::Auditd => "auditd",
            Mode::SensorBefore => "sensor-before",
        }
    }

    pub fn is_sensor(self) -> bool {
        matches!(
            self,
            Mode::SensorJson | Mode::SensorAuditd | Mode::SensorBefore
        )
    }
}

/// Counters read around one workload.
#[derive(Clone, Copy, Default, Debug)]
pub struct Counters {
    /// CPU time of the tracer: the sensor, or auditd plus kauditd (s).
    pub cpu: f64,
    /// Bytes of output so far.
    pub bytes: u64,
}

/// What one workload cost the tracer.
#[derive(Clone, Copy, Default, Debug)]
pub struct Cost {
    pub cpu: f64,
    pub events: u64,
    /// Records the tracer reported lost (LOST records; auditd: the
    /// kernel's `lost` count).
    pub lost: u64,
}

pub struct Session {
    pub mode: Mode,
    tracer: Tracer,
    /// The audit subsystem, held while measuring in every mode: another
    /// session's auditd (its rules audit our workloads, and a slow auditd
    /// makes audited calls wait for its backlog) would distort every figure.
    /// The auditd mode holds it through `Auditd`.
    _audit: Option<fs::File>,
    dir: PathBuf,
    /// Memory of the sensor right after start (KiB).
    pub idle_rss_kib: u64,
}

enum Tracer {
    None,
    Sensor(Child),
    Auditd {
        auditd: Auditd,
        kauditd: Option<u32>,
    },
}

/// The sensor's loss summary at stop.
#[derive(Default, Debug)]
pub struct Stopped {
    pub peak_rss_kib: u64,
    pub log: String,
}

impl Session {
    pub fn start(
        mode: Mode,
        sensor: &Path,
        rules: &Path,
        dir: &Path,
        extra: &[&str],
    ) -> Result<Self> {
        let dir = dir.join(format!("{}-{}", mode.name(), unique()));
        fs::create_dir_all(&dir)?;
        let audit = match mode {
            Mode::Auditd => None,
            _ => Some(audit_lock()?),
        };
        let (tracer, idle_rss_kib) = match mode {
            Mode::Baseline => (Tracer::None, 0),
            Mode::SensorJson | Mode::SensorAuditd | Mode::SensorBefore => {
                let rules = rules.to_str().context("a rules path that is not UTF-8")?;
                let mut args = vec!["--rules", rules, "--format"];
                args.push(if mode == Mode::SensorAuditd {
                    "auditd"
                } else {
                    "json"
                });
                if mode == Mode::SensorBefore {
                    args.push("--skip-unsupported-rules");
                }
                let child = start_sensor(sensor, &dir, &args, extra)?;
                let rss = proc::status_kib(child.id(), "VmRSS").unwrap_or(0);
                (Tracer::Sensor(child), rss)
            }
            Mode::Auditd => {
                let auditd = Auditd::start_with(rules, Flush::AsInstalled)?;
                (
                    Tracer::Auditd {
                        auditd,
                        kauditd: proc::find_comm("kauditd"),
                    },
                    0,
                )
            }
        };
        Ok(Self {
            mode,
            tracer,
            _audit: audit,
            dir,
            idle_rss_kib,
        })
    }

    fn output(&self) -> PathBuf {
        match &self.tracer {
            Tracer::Auditd { auditd, .. } => auditd.log_path(),
            _ => self.dir.join("out"),
        }
    }

    /// The tracer's pid, if it has one.
    pub fn pid(&self) -> Option<u32> {
        match &self.tracer {
            Tracer::None => None,
            Tracer::Sensor(child) => Some(child.id()),
            Tracer::Auditd { auditd, .. } => Some(auditd.pid()),
        }
    }

    pub fn counters(&self) -> Counters {
        let bytes = fs::metadata(self.output()).map_or(0, |m| m.len());
        let cpu = match &self.tracer {
            Tracer::None => 0.0,
            Tracer::Sensor(child) => proc::cpu_secs(child.id()),
            Tracer::Auditd { auditd, kauditd } => {
                proc::cpu_secs(auditd.pid()) + kauditd.map_or(0.0, proc::cpu_secs)
            }
        };
        Counters { cpu, bytes }
    }

    /// The tracer's kernel-side loss counter, where it has one (auditd).
    pub fn kernel_lost(&self) -> u64 {
        match self.tracer {
            Tracer::Auditd { .. } => proc::audit_lost(),
            _ => 0,
        }
    }

    /// Waits until the tracer has written out what the workload caused:
    /// its output stops growing (at most `limit`).
    pub fn settle(&self, limit: Duration) {
        if matches!(self.tracer, Tracer::None) {
            return;
        }
        let deadline = Instant::now() + limit;
        // The sensor reports loss once a second.
        thread::sleep(Duration::from_millis(1100));
        let mut last = self.counters().bytes;
        let mut quiet = 0;
        // Other processes on the machine keep a trickle going: quiet is
        // under 32 KiB in 100 ms, three times running.
        while quiet < 3 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(100));
            let now = self.counters().bytes;
            quiet = if now - last < 32 << 10 { quiet + 1 } else { 0 };
            last = now;
        }
    }

    /// What the tracer did between two counter readings.
    pub fn cost(&self, before: Counters, after: Counters) -> Result<Cost> {
        if matches!(self.tracer, Tracer::None) {
            return Ok(Cost::default());
        }
        let text = read_range(&self.output(), before.bytes, after.bytes)?;
        let (events, lost) = crate::output::count(
            &text,
            matches!(self.mode, Mode::SensorJson | Mode::SensorBefore),
        );
        Ok(Cost {
            cpu: after.cpu - before.cpu,
            events,
            lost,
        })
    }

    /// Stops the tracer; for the sensor, its peak memory and its log.
    pub fn stop(self) -> Result<Stopped> {
        let stopped = match self.tracer {
            Tracer::None => Stopped::default(),
            Tracer::Auditd { auditd, .. } => {
                drop(auditd);
                Stopped::default()
            }
            Tracer::Sensor(mut child) => {
                let peak_rss_kib = proc::status_kib(child.id(), "VmHWM").unwrap_or(0);
                unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
                let status = child.wait()?;
                let log = fs::read_to_string(self.dir.join("err")).unwrap_or_default();
                if !status.success() {
                    bail!("the sensor exited with {status}:\n{log}");
                }
                Stopped { peak_rss_kib, log }
            }
        };
        let _ = fs::remove_dir_all(&self.dir);
        Ok(stopped)
    }
}

/// Starts the sensor with stdout and stderr to files in `dir`, and waits
/// for `ready`.
pub fn start_sensor(sensor: &Path, dir: &Path, args: &[&str], extra: &[&str]) -> Result<Child> {
    let err = dir.join("err");
    let mut child = Command::new(sensor)
        .args(args)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(fs::File::create(dir.join("out"))?)
        .stderr(fs::File::create(&err)?)
        .spawn()
        .with_context(|| format!("starting {}", sensor.display()))?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let log = fs::read_to_string(&err).unwrap_or_default();
        if log.contains("ready") {
            return Ok(child);
        }
        if let Some(status) = child.try_wait()? {
            bail!("the sensor exited with {status} before it was ready:\n{log}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the sensor was not ready within 120 s:\n{log}");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn read_range(path: &Path, from: u64, to: u64) -> Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    file.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::with_capacity(to.saturating_sub(from) as usize);
    file.take(to.saturating_sub(from)).read_to_end(&mut buf)?;
    Ok(buf)
}

pub fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{nanos}", std::process::id())
}
