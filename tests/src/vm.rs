//! QEMU guests for the kernel matrix: a distribution's kernel (fetched by
//! `cargo xtask kernels --fetch` into `target/vm/kernels/NAME/`), booted
//! under TCG with a small initramfs that holds the sensor, the scenario's
//! guest side (`matrix-guest`) and busybox. The scenario's outcome comes
//! back over the guest's second serial port.

use std::{
    collections::BTreeSet,
    fs,
    io::Write,
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use crate::matrix::Outcome;

/// Printed on the console by the initramfs's init before the scenario:
/// a guest that never prints it failed to boot (the harness's failure,
/// not the sensor's).
pub const BOOTED: &str = "SENSOR-MATRIX-BOOTED";
/// Frames the outcome on the result port.
pub const OUTCOME_BEGIN: &str = "SENSOR-MATRIX-OUTCOME";
pub const OUTCOME_END: &str = "SENSOR-MATRIX-END";

/// Most a guest may take, boot to power-off.
const GUEST_TIMEOUT: Duration = Duration::from_secs(900);

/// The matrix's working directory: `target/vm`.
pub fn vm_dir() -> PathBuf {
    std::env::var_os("SENSOR_VM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/vm")))
}

/// A kernel of the matrix, as `cargo xtask kernels --fetch` left it.
pub struct Kernel {
    pub name: String,
    /// The package and version the image came from.
    pub package: String,
    pub vmlinuz: PathBuf,
}

/// The fetched kernels, by name; `only` (comma-separated names) picks some.
pub fn kernels(only: Option<&str>) -> Result<Vec<Kernel>> {
    let dir = vm_dir().join("kernels");
    let wanted: Option<BTreeSet<&str>> = only.map(|o| o.split(',').map(str::trim).collect());
    let mut kernels = Vec::new();
    let entries = fs::read_dir(&dir).with_context(|| {
        format!(
            "no kernels in {}: run `cargo xtask kernels --fetch` (or `cargo xtask test`)",
            dir.display()
        )
    })?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if wanted.as_ref().is_some_and(|w| !w.contains(name.as_str())) {
            continue;
        }
        let current = entry.path().join("current");
        let package = fs::read_to_string(&current)
            .with_context(|| format!("{} is missing", current.display()))?
            .trim()
            .to_string();
        kernels.push(Kernel {
            vmlinuz: entry.path().join(&package).join("vmlinuz"),
            package,
            name,
        });
    }
    if let Some(w) = wanted {
        for name in w {
            if !kernels.iter().any(|k| k.name == name) {
                bail!(
                    "kernel {name} is not in {} (see `cargo xtask kernels`)",
                    dir.display()
                );
            }
        }
    }
    kernels.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(kernels)
}

/// The guest's init: mounts what a node has (the sensor mounts tracefs
/// itself, as on a node whose container lacks it), brings up loopback,
/// runs the scenario and powers off.
const INIT: &str = "#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
echo SENSOR-MATRIX-BOOTED
SENSOR_BIN=/bin/sensor /bin/matrix-guest /dev/ttyS1 /tmp
poweroff -f
";

/// Busybox applets the init and the scenario use.
const APPLETS: [&str; 6] = ["sh", "mount", "mkdir", "ip", "poweroff", "true"];

/// Writes the initramfs: init, busybox, the sensor, the guest binary, and
/// the shared libraries they load, at the host's paths.
pub fn initramfs(out: &Path, sensor: &Path, guest: &Path) -> Result<()> {
    let mut cpio = Cpio::default();
    for dir in ["bin", "dev", "proc", "sys", "tmp", "etc", "root"] {
        cpio.dir(dir);
    }
    cpio.file("init", INIT.as_bytes(), 0o755);
    cpio.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644);
    cpio.file("etc/group", b"root:x:0:\n", 0o644);
    let busybox = Path::new("/bin/busybox");
    cpio.file(
        "bin/busybox",
        &fs::read(busybox).context("busybox-static is not installed")?,
        0o755,
    );
    for applet in APPLETS {
        cpio.symlink(&format!("bin/{applet}"), "busybox");
    }
    for (name, binary) in [("bin/sensor", sensor), ("bin/matrix-guest", guest)] {
        let bytes = fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
        cpio.file(name, &bytes, 0o755);
        for library in libraries(binary)? {
            let inside = library
                .to_string_lossy()
                .trim_start_matches('/')
                .to_string();
            if let Some(parent) = Path::new(&inside).parent() {
                cpio.dirs(parent);
            }
            let real = fs::canonicalize(&library)?;
            cpio.file(
                &inside,
                &fs::read(&real)?,
                fs::metadata(&real)?.mode() & 0o777,
            );
        }
    }
    fs::write(out, cpio.finish()).with_context(|| format!("writing {}", out.display()))
}

/// The shared libraries `binary` loads, as `ldd` lists them.
fn libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .context("running ldd")?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let path = l.split("=>").last()?.split_whitespace().next()?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

/// An initramfs in the kernel's `newc` cpio format.
#[derive(Default)]
struct Cpio {
    bytes: Vec<u8>,
    inode: u32,
    dirs: BTreeSet<String>,
}

impl Cpio {
    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.inode += 1;
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            self.inode,
            mode,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        self.bytes.extend_from_slice(header.as_bytes());
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }

    fn dir(&mut self, name: &str) {
        if self.dirs.insert(name.to_string()) {
            self.entry(name, 0o040755, &[]);
        }
    }

    /// `path` and every directory above it.
    fn dirs(&mut self, path: &Path) {
        let mut at = PathBuf::new();
        for part in path.components() {
            at.push(part);
            self.dir(&at.to_string_lossy());
        }
    }

    fn file(&mut self, name: &str, data: &[u8], mode: u32) {
        self.entry(name, 0o100000 | mode, data);
    }

    fn symlink(&mut self, name: &str, target: &str) {
        self.entry(name, 0o120777, target.as_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.bytes
    }
}

/// How a guest ended.
pub enum Boot {
    /// The scenario ran and sent its outcome.
    Ran { outcome: Box<Outcome>, secs: f64 },
    /// It booted but sent no outcome: the sensor's side failed.
    NoOutcome { console: String },
    /// It never reached the scenario: the harness's failure.
    NotBooted { console: String },
}

/// Boots `kernel` with `initramfs` under TCG, one CPU, working in `work`.
pub fn boot(kernel: &Kernel, initramfs: &Path, work: &Path) -> Result<Boot> {
    fs::create_dir_all(work)?;
    let console = work.join("console.log");
    let result = work.join("result.bin");
    let _ = fs::remove_file(&result);
    let start = Instant::now();
    let mut child = Command::new("qemu-system-x86_64")
        .args(["-accel", "tcg", "-m", "1024", "-smp", "1"])
        .args(["-display", "none", "-no-reboot", "-monitor", "none"])
        .arg("-kernel")
        .arg(&kernel.vmlinuz)
        .arg("-initrd")
        .arg(initramfs)
        .args(["-append", "console=ttyS0 panic=-1 quiet"])
        .arg("-serial")
        .arg(format!("file:{}", console.display()))
        .arg("-serial")
        .arg(format!("file:{}", result.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting qemu-system-x86_64 (Debian's qemu-system-x86)")?;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > GUEST_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let secs = start.elapsed().as_secs_f64();
    let console = String::from_utf8_lossy(&fs::read(&console).unwrap_or_default()).into_owned();
    if !console.contains(BOOTED) {
        return Ok(Boot::NotBooted { console });
    }
    let bytes = fs::read(&result).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let framed = text
        .split_once(OUTCOME_BEGIN)
        .and_then(|(_, rest)| rest.split_once(OUTCOME_END))
        .map(|(json, _)| json.trim());
    match framed.map(serde_json::from_str::<Outcome>) {
        Some(Ok(outcome)) => Ok(Boot::Ran {
            outcome: Box::new(outcome),
            secs,
        }),
        Some(Err(e)) => bail!("the guest's outcome is not readable: {e}"),
        None => Ok(Boot::NoOutcome {
            console: format!("{console}\n--- result port ---\n{text}"),
        }),
    }
}

/// The guest side's end: puts the result port in raw mode (no newline
/// translation) and writes the framed outcome.
pub fn send(port: &Path, outcome: &str) -> Result<()> {
    let mut tty = fs::OpenOptions::new()
        .write(true)
        .open(port)
        .with_context(|| format!("opening {}", port.display()))?;
    unsafe {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&tty);
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) == 0 {
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(fd, libc::TCSANOW, &t);
        }
    }
    write!(tty, "{OUTCOME_BEGIN}\n{outcome}\n{OUTCOME_END}\n")?;
    tty.flush()?;
    unsafe { libc::tcdrain(std::os::fd::AsRawFd::as_raw_fd(&tty)) };
    Ok(())
}
