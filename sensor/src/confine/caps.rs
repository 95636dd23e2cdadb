//! Capabilities: which the daemon keeps, and lowering them on every thread
//! of the process (capset(2) changes only the calling thread's).

use std::{
    collections::HashMap,
    io,
    sync::atomic::{AtomicU64, Ordering::SeqCst},
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

pub const CAP_DAC_READ_SEARCH: u32 = 2;
pub const CAP_SYS_PTRACE: u32 = 19;
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_SYS_RESOURCE: u32 = 24;
pub const CAP_AUDIT_READ: u32 = 37;
pub const CAP_SYSLOG: u32 = 34;
pub const CAP_PERFMON: u32 = 38;
pub const CAP_BPF: u32 = 39;

const fn set(caps: &[u32]) -> u64 {
    let mut bits = 0;
    let mut i = 0;
    while i < caps.len() {
        bits |= 1 << caps[i];
        i += 1;
    }
    bits
}

/// For the whole run, from the moment programs are attached:
/// - CAP_BPF: the rules' maps are rewritten on SIGHUP, the scope map as
///   workloads are excluded, and programs attached (bpf(2); kernels before
///   6.5 ask it of every bpf(2) call when unprivileged BPF is disabled);
/// - CAP_PERFMON: attaching a program on SIGHUP opens a system-wide
///   tracepoint perf event (perf_event_open(2));
/// - CAP_DAC_READ_SEARCH: open_by_handle_at(2), which turns the cgroup id
///   of an event into its cgroup (and so its container);
/// - CAP_SYS_PTRACE: /proc/PID/exe of processes the sensor learns of (a
///   parent older than the sensor), which the kernel lets a process read
///   only of processes with no more capabilities than its own.
pub const RUN: u64 = set(&[CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE]);

/// From start-up until then, also: CAP_SYS_ADMIN to mount tracefs where
/// it is missing, CAP_SYS_RESOURCE for the open-file limit (and the
/// locked-memory limit kernels before 5.11 charge maps to), CAP_AUDIT_READ
/// to join the audit netlink's multicast group (`kernel_feed`: the kernel
/// checks it at bind(2) only; the joined socket keeps receiving),
/// CAP_SYSLOG for `____fput`'s address in /proc/kallsyms (how the exec
/// programs tell a `#!` script's file among the task's pending work). No
/// CAP_DAC_OVERRIDE, CAP_CHOWN, CAP_NET_*…: files and directories the
/// sinks are given are checked with the rights they will have all along.
pub const LOAD: u64 = RUN | set(&[CAP_SYS_ADMIN, CAP_SYS_RESOURCE, CAP_AUDIT_READ, CAP_SYSLOG]);

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets, as two 32-bit halves.
const VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct Header {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Data {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The calling thread's (effective, permitted) sets.
pub fn current() -> io::Result<(u64, u64)> {
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: a version-3 header and room for two halves.
    if unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let join = |lo: u32, hi: u32| u64::from(lo) | (u64::from(hi) << 32);
    Ok((
        join(data[0].effective, data[1].effective),
        join(data[0].permitted, data[1].permitted),
    ))
}

/// The set every thread is being lowered to, for the signal handler.
static TARGET: AtomicU64 = AtomicU64::new(0);

/// Makes `caps` the calling thread's effective and permitted sets, with no
/// inheritable (and so no ambient) ones. Async-signal-safe.
fn set_thread(caps: u64) -> libc::c_long {
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let half = |shift: u32| Data {
        effective: (caps >> shift) as u32,
        permitted: (caps >> shift) as u32,
        inheritable: 0,
    };
    let data = [half(0), half(32)];
    // SAFETY: a version-3 header and two halves.
    unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) }
}

extern "C" fn on_signal(_: libc::c_int) {
    set_thread(TARGET.load(SeqCst));
}

/// The signal that asks each thread to lower its own set: a real-time one
/// nothing else in the sensor uses.
fn signal() -> libc::c_int {
    libc::SIGRTMIN() + 7
}

/// Lowers every thread of the process to `keep` (as far as it holds them):
/// this thread directly, the others (the sinks', the metrics server's, the
/// runtimes' and tokio's) by a signal whose handler calls capset, until
/// /proc shows each at the target. Returns the set kept.
pub fn restrict(keep: u64) -> Result<u64> {
    let (_, permitted) = current().context("reading the capabilities (capget)")?;
    let target = permitted & keep;
    TARGET.store(target, SeqCst);
    // SAFETY: a handler that only calls capset.
    let installed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(signal(), &action, std::ptr::null_mut())
    };
    if installed != 0 {
        return Err(io::Error::last_os_error()).context("installing the capability signal handler");
    }
    if set_thread(target) != 0 {
        return Err(io::Error::last_os_error()).context("lowering the capabilities (capset)");
    }
    // Threads started meanwhile inherit their creator's set: a few rounds
    // reach them all. A thread is signalled once (again only if it seems
    // to have missed it): a second signal still queued when the seccomp
    // filter comes would make it call capset then.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut signalled: HashMap<libc::pid_t, Instant> = HashMap::new();
    loop {
        let above = threads_above(target)?;
        if above.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            bail!("threads {above:?} kept capabilities beyond {target:#x}");
        }
        for tid in above {
            if signalled
                .get(&tid)
                .is_some_and(|at| at.elapsed() < Duration::from_secs(1))
            {
                continue;
            }
            signalled.insert(tid, Instant::now());
            // SAFETY: plain syscall; a thread gone meanwhile gives ESRCH.
            unsafe {
                libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, signal());
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: restores the default for a signal nobody sends any more.
    unsafe { libc::signal(signal(), libc::SIG_IGN) };
    Ok(target)
}

/// Threads whose effective or permitted set holds more than `target`.
fn threads_above(target: u64) -> Result<Vec<libc::pid_t>> {
    let mut above = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").context("listing /proc/self/task")? {
        let entry = entry?;
        let Ok(tid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue; // gone
        };
        let set = |field: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        };
        if [set("CapEff:"), set("CapPrm:")]
            .into_iter()
            .any(|s| s.is_none_or(|s| s & !target != 0))
        {
            above.push(tid);
        }
    }
    Ok(above)
}

/// `caps` as names, for the log.
pub fn names(caps: u64) -> String {
    const NAMES: [(u32, &str); 8] = [
        (CAP_BPF, "BPF"),
        (CAP_PERFMON, "PERFMON"),
        (CAP_DAC_READ_SEARCH, "DAC_READ_SEARCH"),
        (CAP_SYS_PTRACE, "SYS_PTRACE"),
        (CAP_SYS_ADMIN, "SYS_ADMIN"),
        (CAP_SYS_RESOURCE, "SYS_RESOURCE"),
        (CAP_AUDIT_READ, "AUDIT_READ"),
        (CAP_SYSLOG, "SYSLOG"),
    ];
    let named: Vec<&str> = NAMES
        .iter()
        .filter(|(cap, _)| caps & (1 << cap) != 0)
        .map(|(_, name)| *name)
        .collect();
    if named.is_empty() {
        "none".into()
    } else {
        named.join(", ")
    }
}
