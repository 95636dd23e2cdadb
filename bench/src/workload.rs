//! The workloads: tight loops of the calls the sensor records, each run in
//! a child process (`sensor-bench workload KIND`) for a fixed time, printing
//! how many operations it did, under the rule set it names. `mixed` is
//! stress-ng's exec, sock and mmap stressors together.

use std::{
    ffi::CString,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use clap::ValueEnum;

use crate::rules::RuleSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// fork + execve of /bin/true, waited for.
    Exec,
    /// socket + setsockopt + close.
    Socket,
    /// An anonymous PROT_EXEC mmap + munmap.
    Mmap,
    /// A loopback TCP connect, its accept, both closed.
    Connect,
    /// 64-byte writes to a pseudo-terminal, drained from its master.
    Pty,
    /// getpid: a syscall no rule names (the unhooked control).
    Getpid,
    /// A file storm under OSPP's file rules, as a logged-in user (loginuid
    /// 1000, as the rules' `auid>=1000` expects): openat(O_CREAT) + close,
    /// fstatat, openat of an existing file + close, unlink.
    Files,
    /// getpid under the file rules: the generic programs attached to the
    /// syscalls they name, none to getpid (the "no rule names it" control).
    GetpidGeneric,
    /// The file storm with the rules' 32-bit lines loaded too.
    FilesB32,
    /// getpid with the 32-bit lines loaded: the compat programs on
    /// `raw_syscalls` run for every syscall (the price of 32-bit coverage).
    GetpidB32,
    /// stress-ng's exec, sock and mmap stressors at once.
    Mixed,
    /// setsockopt on one socket at a set rate (the capacity sweep).
    Paced,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Exec => "exec",
            Workload::Socket => "socket",
            Workload::Mmap => "mmap",
            Workload::Connect => "connect",
            Workload::Pty => "pty",
            Workload::Getpid => "getpid",
            Workload::Files => "files",
            Workload::GetpidGeneric => "getpid-generic",
            Workload::FilesB32 => "files-b32",
            Workload::GetpidB32 => "getpid-b32",
            Workload::Mixed => "mixed",
            Workload::Paced => "paced",
        }
    }

    /// What one operation is.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::Exec => "execs/s",
            Workload::Socket => "socket+setsockopt+close/s",
            Workload::Mmap => "mmap+munmap/s",
            Workload::Connect => "connect+accept/s",
            Workload::Pty => "pty writes/s",
            Workload::Getpid | Workload::GetpidGeneric | Workload::GetpidB32 => "getpid/s",
            Workload::Files | Workload::FilesB32 => "creat+stat+open+unlink/s",
            Workload::Mixed => "stress-ng bogo ops/s",
            Workload::Paced => "setsockopt/s",
        }
    }

    /// The rules it runs under.
    pub fn rules(self) -> RuleSet {
        match self {
            Workload::Files | Workload::GetpidGeneric => RuleSet::Files,
            Workload::FilesB32 | Workload::GetpidB32 => RuleSet::FilesB32,
            _ => RuleSet::Default,
        }
    }

    /// The loop it runs: the variants under other rules run the same one.
    fn loop_kind(self) -> Workload {
        match self {
            Workload::GetpidGeneric | Workload::GetpidB32 => Workload::Getpid,
            Workload::FilesB32 => Workload::Files,
            w => w,
        }
    }
}

/// One run: operations done in `secs`.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub ops: u64,
    pub secs: f64,
}

impl Sample {
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.secs
    }
}

/// Runs `workload` for `secs` (at `rate` ops/s for the paced one) in a
/// child process and returns what it did.
pub fn run(workload: Workload, secs: f64, rate: u64) -> Result<Sample> {
    if workload == Workload::Mixed {
        return stress_ng(secs);
    }
    let out = Command::new(std::env::current_exe()?)
        .args(["workload", workload.name(), "--secs", &secs.to_string()])
        .args(["--rate", &rate.to_string()])
        .output()
        .context("starting the workload")?;
    ensure!(
        out.status.success(),
        "workload {} failed: {}",
        workload.name(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let (Some(ops), Some(secs)) = (words.next(), words.next()) else {
        bail!("workload {} printed {text:?}", workload.name());
    };
    Ok(Sample {
        ops: ops.parse()?,
        secs: secs.parse()?,
    })
}

/// stress-ng's exec, sock and mmap stressors; their bogo ops summed.
fn stress_ng(secs: f64) -> Result<Sample> {
    let yaml = std::env::temp_dir().join(format!("sensor-bench-{}.yaml", std::process::id()));
    let out = Command::new("stress-ng")
        .args([
            "--exec",
            "1",
            "--sock",
            "1",
            "--mmap",
            "1",
            "--mmap-bytes",
            "8M",
        ])
        .args(["--timeout", &format!("{}s", secs.ceil())])
        .args(["--metrics-brief", "--yaml"])
        .arg(&yaml)
        .output()
        .context("starting stress-ng: install it (`cargo xtask setup`)")?;
    ensure!(
        out.status.success(),
        "stress-ng failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&yaml).context("reading stress-ng's metrics")?;
    let _ = std::fs::remove_file(&yaml);
    // Per stressor: `bogo-ops: N` and `wall-clock-time: S`.
    let field = |name: &str| -> Vec<f64> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(name))
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    };
    let ops: f64 = field("bogo-ops:").iter().sum();
    let wall = field("wall-clock-time:").into_iter().fold(0.0, f64::max);
    ensure!(
        ops > 0.0 && wall > 0.0,
        "no bogo ops in stress-ng's metrics:\n{text}"
    );
    Ok(Sample {
        ops: ops as u64,
        secs: wall,
    })
}

/// The child side: loops until `secs` are up; prints `OPS SECS`.
pub fn child(workload: Workload, secs: f64, rate: u64) -> Result<()> {
    let budget = Duration::from_secs_f64(secs);
    let mut ops = 0u64;
    let workload = workload.loop_kind();
    // Checking the clock every call would cost as much as getpid itself.
    let step = match workload {
        Workload::Getpid => 4096,
        Workload::Exec => 1,
        _ => 64,
    };
    let mut op = operation(workload)?;
    let start = Instant::now();
    if workload == Workload::Paced {
        paced(&mut op, rate.max(1), budget, &mut ops)?;
    } else {
        while start.elapsed() < budget {
            for _ in 0..step {
                op()?;
            }
            ops += step;
        }
    }
    println!("{ops} {}", start.elapsed().as_secs_f64());
    Ok(())
}

/// Runs `op` `rate` times a second, in small bursts every 100 µs.
fn paced(
    op: &mut dyn FnMut() -> Result<()>,
    rate: u64,
    budget: Duration,
    ops: &mut u64,
) -> Result<()> {
    let start = Instant::now();
    loop {
        let elapsed = start.elapsed();
        if elapsed >= budget {
            return Ok(());
        }
        let due = (elapsed.as_secs_f64() * rate as f64) as u64;
        while *ops < due {
            op()?;
            *ops += 1;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}

fn check(rc: libc::c_int, what: &str) -> Result<libc::c_int> {
    ensure!(rc >= 0, "{what}: {}", std::io::Error::last_os_error());
    Ok(rc)
}

type Op = Box<dyn FnMut() -> Result<()>>;

/// One operation of `workload`, with what it needs set up once.
/// The storms' setsockopt: one event each.
fn set_rcvbuf(fd: libc::c_int) {
    let value: libc::c_int = 65536;
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&value as *const libc::c_int).cast(),
            4,
        )
    };
}

fn operation(workload: Workload) -> Result<Op> {
    Ok(match workload {
        Workload::Exec => {
            let path = CString::new("/bin/true")?;
            let argv = [path.as_ptr(), std::ptr::null()];
            let envp = [std::ptr::null()];
            Box::new(move || unsafe {
                let pid = check(libc::fork(), "fork")?;
                if pid == 0 {
                    libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
                    libc::_exit(127);
                }
                libc::waitpid(pid, std::ptr::null_mut(), 0);
                Ok(())
            })
        }
        Workload::Socket => Box::new(|| unsafe {
            let fd = check(libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0), "socket")?;
            set_rcvbuf(fd);
            libc::close(fd);
            Ok(())
        }),
        Workload::Paced => {
            let fd = check(
                unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) },
                "socket",
            )?;
            Box::new(move || {
                set_rcvbuf(fd);
                Ok(())
            })
        }
        Workload::Mmap => Box::new(|| unsafe {
            let addr = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            ensure!(
                addr != libc::MAP_FAILED,
                "mmap: {}",
                std::io::Error::last_os_error()
            );
            libc::munmap(addr, 4096);
            Ok(())
        }),
        Workload::Connect => {
            let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
            let addr = match listener.local_addr()? {
                std::net::SocketAddr::V4(a) => a,
                _ => bail!("the listener is not IPv4"),
            };
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as u16,
                sin_port: addr.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*addr.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            let lfd = std::os::fd::AsRawFd::as_raw_fd(&listener);
            Box::new(move || unsafe {
                let _keep = &listener;
                let fd = check(libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0), "socket")?;
                check(
                    libc::connect(
                        fd,
                        (&sin as *const libc::sockaddr_in).cast(),
                        std::mem::size_of_val(&sin) as u32,
                    ),
                    "connect",
                )?;
                let peer = check(
                    libc::accept(lfd, std::ptr::null_mut(), std::ptr::null_mut()),
                    "accept",
                )?;
                // RST instead of TIME_WAIT: no ephemeral port exhaustion.
                let linger = libc::linger {
                    l_onoff: 1,
                    l_linger: 0,
                };
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    (&linger as *const libc::linger).cast(),
                    std::mem::size_of_val(&linger) as u32,
                );
                libc::close(fd);
                libc::close(peer);
                Ok(())
            })
        }
        Workload::Pty => {
            let (mut master, mut slave) = (0, 0);
            check(
                unsafe {
                    libc::openpty(
                        &mut master,
                        &mut slave,
                        std::ptr::null_mut(),
                        std::ptr::null(),
                        std::ptr::null(),
                    )
                },
                "openpty",
            )?;
            let line = [b'x'; 63].iter().chain(b"\n").copied().collect::<Vec<u8>>();
            let mut drain = [0u8; 4096];
            Box::new(move || unsafe {
                check(
                    libc::write(slave, line.as_ptr().cast(), line.len()) as i32,
                    "write to the pty",
                )?;
                libc::read(master, drain.as_mut_ptr().cast(), drain.len());
                Ok(())
            })
        }
        Workload::Getpid => Box::new(|| {
            unsafe { libc::syscall(libc::SYS_getpid) };
            Ok(())
        }),
        Workload::Files => files()?,
        Workload::Mixed => bail!("mixed runs stress-ng, not a loop"),
        other => bail!("{} runs another workload's loop", other.name()),
    })
}

/// Where the file storm works: a tmpfs, so that the loop is bound by the
/// syscalls rather than the disk (on this VM's ext4 its rate varied
/// several-fold from run to run with the other work on the machine).
const FILES_DIR: &str = "/dev/shm";

/// The file storm's operation, in a directory of its own (removed when the
/// operation is dropped), by relative names as most programs use them.
fn files() -> Result<Op> {
    // The rules audit logged-in users; root may set its own loginuid once.
    std::fs::write("/proc/self/loginuid", "1000")
        .context("setting the workload's loginuid to 1000 (the file rules' auid>=1000)")?;
    let dir =
        Scratch(Path::new(FILES_DIR).join(format!("sensor-bench-files-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).with_context(|| {
        format!(
            "creating {} (the file storm runs on the tmpfs at {FILES_DIR})",
            dir.0.display()
        )
    })?;
    std::env::set_current_dir(&dir.0)?;
    std::fs::write("existing", b"x")?;
    let (new, existing) = (CString::new("new")?, CString::new("existing")?);
    Ok(Box::new(move || unsafe {
        let _keep = &dir;
        let fd = check(
            libc::openat(
                libc::AT_FDCWD,
                new.as_ptr(),
                libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                0o600,
            ),
            "openat(O_CREAT)",
        )?;
        libc::close(fd);
        let mut st: libc::stat = std::mem::zeroed();
        check(
            libc::fstatat(libc::AT_FDCWD, new.as_ptr(), &mut st, 0),
            "fstatat",
        )?;
        let fd = check(
            libc::openat(
                libc::AT_FDCWD,
                existing.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            ),
            "openat",
        )?;
        libc::close(fd);
        check(libc::unlink(new.as_ptr()), "unlink")?;
        Ok(())
    }))
}

/// A directory removed with what it holds when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
