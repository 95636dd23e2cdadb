//! What is known of each live process: seeded from /proc at start (so
//! processes older than the sensor are known), then kept exact by the
//! kernel's fork, exec and exit events. Non-exec records take their `exe`
//! and PROCTITLE from here, and OBJ_PID records what they say of the
//! process a syscall signalled or traced.
//!
//! Each program a process runs has a key, as laurel's process tracking
//! has: the ID of the exec event that started it when that was written,
//! else the time the process started. Records name their process's,
//! parent's and spawner's keys (PID, PPID, SPAWNED_BY), so a process tree
//! can be rebuilt from the records alone.

use std::{
    cell::Cell,
    collections::{hash_map::Entry, HashMap, HashSet},
    rc::Rc,
};

use bytes::Bytes;
use sensor_common::{process::ProcessInfo, syscalls};

use super::clock::{Clock, EventId};
use crate::{
    decode::{
        c_str,
        exec::split_argv,
        generic::{self, Extra},
        Decoded, Event,
    },
    rules::Identity,
};

/// Bound on remembered processes, should exits be missed (a full ring).
const CAPACITY: usize = 1 << 17;
/// Bound on exited processes remembered.
const GONE_CAPACITY: usize = 4096;

/// A program's key (laurel's process key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessKey {
    /// The written exec event that started it.
    Event(EventId),
    /// No exec event of it was written: when its process started, in
    /// milliseconds since the epoch.
    Started(u64),
}

#[derive(Clone)]
pub struct ProcessEntry {
    pub pid: u32,
    pub comm: Vec<u8>,
    pub exe: Vec<u8>,
    /// The image's identity, which the rules match `exe` by.
    pub exe_identity: Option<Identity>,
    pub ppid: u32,
    /// The command line as PROCTITLE holds it (cut at 128 bytes).
    pub proctitle: Vec<Bytes>,
    /// The runtime session (`kubectl exec`) the process is part of: set at
    /// its root, handed on at fork, kept across exec.
    pub session: Option<Rc<super::session::Session>>,
    /// Its cgroups (`ProcessInfo::cgroup_id`, `cgroup_ctl_id`) as a fork or
    /// an exec of it showed them: where the kernel's own records about it
    /// (`kernel_feed`), which name only a pid, are attributed.
    pub cgroups: Option<(u64, u64)>,
    /// This program's key; an exec's becomes its event's ID once written.
    pub key: Cell<ProcessKey>,
    /// The program that started this one: the one this process ran before
    /// its exec, if it had its own, else its parent's (None: not known).
    pub spawned_by: Option<Rc<ProcessEntry>>,
    /// When the process started, in milliseconds since the epoch.
    start_ms: u64,
    /// Still the parent's program, forked: it has no program of its own.
    forked: bool,
    /// Its ids as of its last event (or /proc, for a process not seen yet).
    pub ids: Option<Ids>,
}

/// A process's real uid, loginuid and session (`u32::MAX` when unset): what
/// the kernel's OBJ_PID record says of a signalled or traced process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub auid: u32,
    pub ses: u32,
}

impl Ids {
    fn of(p: &ProcessInfo) -> Self {
        Self {
            uid: p.uid,
            auid: p.auid,
            ses: p.ses,
        }
    }
}

impl ProcessEntry {
    /// A process as the table would know it, for tests.
    #[cfg(test)]
    pub fn known(pid: u32, exe: &str, argv: &[Bytes], ppid: u32, key: ProcessKey) -> Self {
        Self {
            pid,
            comm: exe
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
            exe: exe.as_bytes().to_vec(),
            exe_identity: None,
            ppid,
            proctitle: proctitle(argv),
            key: Cell::new(key),
            spawned_by: None,
            start_ms: 0,
            forked: false,
            session: None,
            cgroups: None,
            ids: None,
        }
    }

    /// The program this one's exec replaced, if it was its own.
    fn own_program(self: &Rc<Self>) -> Option<Rc<Self>> {
        (!self.forked).then(|| self.clone())
    }
}

#[derive(Default)]
pub struct Processes {
    /// Shared with the events that name them: no copy per event.
    by_pid: HashMap<u32, Rc<ProcessEntry>>,
    /// An exited process stays until the next event, so its exit record
    /// can still name it.
    exited: Option<u32>,
    /// Pids neither the table nor /proc had: a process already gone, whose
    /// pid comes back only with a fork or exec event. Not asked of /proc
    /// again (a miss costs several path lookups; profiling showed them
    /// dominating when many events name vanished parents).
    absent: HashSet<u32>,
    /// Processes that exited lately: the kernel's own records about a
    /// process (a seccomp kill, a crash) come after its exit record.
    gone: HashMap<u32, Rc<ProcessEntry>>,
    clock: Clock,
}

impl Processes {
    pub fn snapshot() -> Self {
        let mut table = Self::default();
        let Ok(all) = procfs::process::all_processes() else {
            log::warn!("cannot list /proc: processes older than the sensor will lack exe and comm");
            return table;
        };
        for process in all.flatten() {
            if let Some(entry) = from_proc(process.pid() as u32, &table.clock) {
                table.by_pid.insert(process.pid() as u32, Rc::new(entry));
            }
        }
        table
    }

    /// Updates the table with what `decoded` says about processes.
    pub fn observe(&mut self, decoded: &Decoded) {
        let event = &decoded.event;
        if let Some(pid) = self.exited.take() {
            if let Some(entry) = self.by_pid.remove(&pid) {
                if self.gone.len() >= GONE_CAPACITY {
                    self.gone.clear();
                }
                self.gone.insert(pid, entry);
            }
        }
        if self.by_pid.len() >= CAPACITY {
            self.by_pid.clear();
        }
        if self.absent.len() >= CAPACITY {
            self.absent.clear();
        }
        match event {
            Event::Exec(exec) if exec.success => {
                let p = &exec.call.process;
                let before = self.get(p.pid);
                let start_ms = before.as_ref().map_or_else(
                    || self.clock.millis(decoded.header.ts_boot_ns),
                    |b| b.start_ms,
                );
                let spawned_by = before
                    .and_then(|b| b.own_program())
                    .or_else(|| self.get(p.ppid));
                self.absent.remove(&p.pid);
                let session = self.by_pid.get(&p.pid).and_then(|e| e.session.clone());
                self.gone.remove(&p.pid);
                self.by_pid.insert(
                    p.pid,
                    Rc::new(ProcessEntry {
                        pid: p.pid,
                        comm: c_str(&p.comm).to_vec(),
                        exe: exec.exe.clone(),
                        exe_identity: exec.exe_inode.as_ref().map(Identity::of_inode),
                        ppid: p.ppid,
                        proctitle: proctitle(&exec.argv),
                        session,
                        cgroups: Some((p.cgroup_id, p.cgroup_ctl_id)),
                        key: Cell::new(ProcessKey::Started(start_ms)),
                        spawned_by,
                        start_ms,
                        forked: false,
                        ids: Some(Ids::of(p)),
                    }),
                );
            }
            Event::Fork(fork) => {
                let parent = &fork.parent;
                let start_ms = self.clock.millis(decoded.header.ts_boot_ns);
                let spawner = self.get(parent.pid);
                let child = ProcessEntry {
                    pid: fork.child_pid,
                    comm: c_str(&parent.comm).to_vec(),
                    exe: spawner.as_ref().map(|s| s.exe.clone()).unwrap_or_default(),
                    exe_identity: spawner.as_ref().and_then(|s| s.exe_identity),
                    ppid: parent.pid,
                    proctitle: spawner
                        .as_ref()
                        .map(|s| s.proctitle.clone())
                        .unwrap_or_default(),
                    key: Cell::new(ProcessKey::Started(start_ms)),
                    spawned_by: spawner.clone(),
                    start_ms,
                    forked: true,
                    session: spawner.as_ref().and_then(|s| s.session.clone()),
                    cgroups: Some((parent.cgroup_id, parent.cgroup_ctl_id)),
                    // The child's credentials are the parent's at the fork.
                    ids: Some(Ids::of(parent)),
                };
                self.gone.remove(&fork.child_pid);
                self.absent.remove(&fork.child_pid);
                self.by_pid.insert(fork.child_pid, Rc::new(child));
            }
            Event::Exit(exit) => self.exited = Some(exit.process.pid),
            _ => {}
        }
        // Every event says what the ids of its process are now (a setuid,
        // a login in between are not events of their own).
        let p = event.process();
        if let Some(entry) = self.by_pid.get_mut(&p.pid) {
            if entry.ids != Some(Ids::of(p)) {
                Rc::make_mut(entry).ids = Some(Ids::of(p));
            }
        }
    }

    /// Marks `pid` as the root of `session` (from /proc when the table
    /// has not seen it; a bare entry when /proc has not either).
    pub fn start_session(&mut self, p: &ProcessInfo, session: Rc<super::session::Session>) {
        let pid = p.pid;
        let mut entry = self.get(pid).map_or_else(
            || ProcessEntry {
                pid,
                comm: c_str(&p.comm).to_vec(),
                exe: Vec::new(),
                exe_identity: None,
                ppid: p.ppid,
                proctitle: Vec::new(),
                session: None,
                cgroups: None,
                // Gone from /proc too: when it started is not known.
                key: Cell::new(ProcessKey::Started(0)),
                spawned_by: None,
                start_ms: 0,
                forked: false,
                ids: None,
            },
            |e| (*e).clone(),
        );
        entry.session = Some(session);
        entry.cgroups = Some((p.cgroup_id, p.cgroup_ctl_id));
        self.by_pid.insert(pid, Rc::new(entry));
    }

    /// The entry of `pid`, live or lately exited.
    pub fn get_or_gone(&mut self, pid: u32) -> Option<Rc<ProcessEntry>> {
        self.get(pid).or_else(|| self.gone.get(&pid).cloned())
    }

    /// The entry of `pid`, from /proc when the table has not seen it.
    pub fn get(&mut self, pid: u32) -> Option<Rc<ProcessEntry>> {
        if let Entry::Vacant(slot) = self.by_pid.entry(pid) {
            if self.absent.contains(&pid) {
                return None;
            }
            let Some(entry) = from_proc(pid, &self.clock) else {
                self.absent.insert(pid);
                return None;
            };
            slot.insert(Rc::new(entry));
        }
        self.by_pid.get(&pid).cloned()
    }
}

fn from_proc(pid: u32, clock: &Clock) -> Option<ProcessEntry> {
    let process = procfs::process::Process::new(pid as i32).ok()?;
    let stat = process.stat().ok()?;
    let exe = process
        .exe()
        .map(|p| p.into_os_string().into_encoded_bytes())
        .unwrap_or_default();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    // Clock ticks since boot, as laurel reads them.
    let start_ns = stat.starttime * (1_000_000_000 / procfs::ticks_per_second());
    let start_ms = clock.millis(start_ns);
    let read = |file: &str| -> Option<u32> {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let ids = (|| {
        Some(Ids {
            uid: process.status().ok()?.ruid,
            auid: read("loginuid")?,
            ses: read("sessionid")?,
        })
    })();
    Some(ProcessEntry {
        pid,
        comm: stat.comm.into_bytes(),
        exe,
        exe_identity: Identity::of(std::path::Path::new(&format!("/proc/{pid}/exe"))),
        ppid: stat.ppid as u32,
        proctitle: proctitle(&split_argv(&Bytes::from(cmdline))),
        session: None,
        cgroups: None,
        key: Cell::new(ProcessKey::Started(start_ms)),
        spawned_by: None,
        start_ms,
        forked: false,
        ids,
    })
}

/// A process a syscall acted on (OBJ_PID: the one signalled or traced),
/// as the table knows it when the event is read, in the order of the
/// kernel's events: a process that exited since the call is still there
/// (its exit comes later), and a pid reused since is not mistaken for it.
/// A process the table never saw is read from /proc; what is unknown is
/// None.
pub struct Target {
    pub pid: i32,
    pub auid: Option<u32>,
    pub uid: Option<u32>,
    pub ses: Option<u32>,
    pub comm: Option<Vec<u8>>,
}

impl Processes {
    /// The process `pid` as a syscall's target.
    pub fn target(&mut self, pid: i32) -> Target {
        let entry =
            u32::try_from(pid)
                .ok()
                .and_then(|p| match (self.by_pid.get(&p), self.gone.get(&p)) {
                    (Some(entry), _) | (None, Some(entry)) => Some(entry.clone()),
                    (None, None) => self.get(p),
                });
        let ids = entry.as_ref().and_then(|e| e.ids);
        Target {
            pid,
            auid: ids.map(|i| i.auid),
            uid: ids.map(|i| i.uid),
            ses: ids.map(|i| i.ses),
            comm: entry.map(|e| e.comm.clone()),
        }
    }
}

/// The process the kernel's audit names in the OBJ_PID record of `x`, if
/// any: the one a kill, tkill or tgkill found (`audit_signal_info` runs
/// after the lookup: none when there is no such process, ESRCH), by its
/// thread group id; or the one a ptrace attach or seize found
/// (`audit_ptrace`; no other request logs it). A kill of a process group
/// (pid 0 or negative) names each process signalled in the kernel's
/// record; the sensor, which sees only the call, names none.
pub fn logged_target(x: &generic::Syscall) -> Option<i32> {
    const ESRCH: i64 = 3;
    const PTRACE_ATTACH: u64 = 16;
    const PTRACE_SEIZE: u64 = 0x4206;
    let Some(Extra::Target(pid)) = x.extra else {
        return None;
    };
    if x.call.syscall.ret == -ESRCH {
        return None;
    }
    let args = &x.call.syscall.args;
    match syscalls::by_number(x.arch, x.call.syscall.nr)?.name {
        "ptrace" => matches!(args[0], PTRACE_ATTACH | PTRACE_SEIZE).then_some(pid),
        // The target thread's group: tgkill's first argument.
        "tgkill" => Some(args[0] as i32),
        _ => (pid > 0).then_some(pid),
    }
}

/// The kernel caps PROCTITLE at 128 bytes (MAX_PROCTITLE_AUDIT_LEN).
const PROCTITLE_MAX: usize = 128;

/// The arguments as the kernel's PROCTITLE record holds them: the command
/// line cut at 128 bytes.
pub fn proctitle(argv: &[Bytes]) -> Vec<Bytes> {
    let mut left = PROCTITLE_MAX;
    argv.iter()
        .map_while(|a| {
            if left == 0 {
                return None;
            }
            let take = a.len().min(left);
            left = left.saturating_sub(a.len() + 1);
            Some(a.slice(..take))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_knows_this_process_and_its_parent() {
        let mut table = Processes::snapshot();
        let me = table.get(std::process::id()).expect("this test process");
        let exe = std::env::current_exe()
            .unwrap()
            .into_os_string()
            .into_encoded_bytes();
        assert_eq!(me.exe, exe);
        assert_eq!(me.ppid, std::os::unix::process::parent_id());
        assert!(table.get(me.ppid).is_some());
    }

    fn decoded(event: Event) -> Decoded {
        Decoded {
            header: Default::default(),
            event,
        }
    }

    fn process(pid: u32, uid: u32) -> ProcessInfo {
        // SAFETY: plain integers and byte arrays.
        let mut p: ProcessInfo = unsafe { std::mem::zeroed() };
        p.pid = pid;
        p.uid = uid;
        p.auid = u32::MAX;
        p.ses = 7;
        p.comm[..5].copy_from_slice(b"sleep");
        p
    }

    /// `name` (a 64-bit syscall) by `caller`, with `args` and result `ret`.
    fn call(name: &str, caller: u32, args: [u64; 2], ret: i64) -> generic::Syscall {
        let nr = syscalls::x86_64(name);
        let family = syscalls::by_number(syscalls::Arch::X86_64, nr)
            .unwrap()
            .family;
        let target = match family {
            syscalls::Family::Kill(arg) => args[arg as usize] as i32,
            _ => unreachable!(),
        };
        generic::Syscall {
            extra: Some(Extra::Target(target)),
            ..generic::Syscall::new(
                crate::decode::Call {
                    process: process(caller, 0),
                    syscall: sensor_common::process::SyscallInfo {
                        nr,
                        regs_ok: 1,
                        ret,
                        args: [args[0], args[1], 0, 0, 0, 0],
                    },
                    returned: true,
                },
                syscalls::Arch::X86_64,
            )
        }
    }

    #[test]
    fn the_target_is_named_where_the_kernel_names_it() {
        assert_eq!(logged_target(&call("kill", 1, [42, 9], 0)), Some(42));
        assert_eq!(
            logged_target(&call("kill", 1, [42, 9], -1)),
            Some(42),
            "EPERM"
        );
        assert_eq!(logged_target(&call("kill", 1, [42, 9], -3)), None, "ESRCH");
        assert_eq!(logged_target(&call("kill", 1, [0, 9], 0)), None, "a group");
        assert_eq!(logged_target(&call("tgkill", 1, [42, 43], 0)), Some(42));
        assert_eq!(
            logged_target(&call("ptrace", 1, [16, 42], 0)),
            Some(42),
            "attach"
        );
        assert_eq!(
            logged_target(&call("ptrace", 1, [0x4206, 42], -1)),
            Some(42),
            "seize"
        );
        assert_eq!(
            logged_target(&call("ptrace", 1, [17, 42], 0)),
            None,
            "detach"
        );
        assert_eq!(
            logged_target(&call("ptrace", 1, [16, 42], -3)),
            None,
            "ESRCH"
        );
    }

    #[test]
    fn a_target_is_as_its_last_event_left_it_even_once_exited() {
        use crate::decode::{lifecycle, Event};
        let mut table = Processes::default();
        // Pids beyond any pid_max: /proc never has them.
        let (parent, child) = (2_000_000_000, 2_000_000_001);
        // A child of an unknown parent, as root; then its own event as 1000.
        table.observe(&decoded(Event::Fork(lifecycle::Fork {
            parent: process(parent, 0),
            child_pid: child,
        })));
        let t = table.target(child as i32);
        assert_eq!((t.uid, t.auid, t.ses), (Some(0), Some(u32::MAX), Some(7)));
        let mut own = call("kill", child, [1, 0], -1);
        own.call.process = process(child, 1000);
        table.observe(&decoded(Event::Syscall(own)));
        assert_eq!(table.target(child as i32).uid, Some(1000));
        // Killed: its exit may come before the killer's call.
        table.observe(&decoded(Event::Exit(lifecycle::Exit {
            process: process(child, 1000),
            exit_code: 9,
        })));
        table.observe(&decoded(Event::Syscall(call(
            "kill",
            parent,
            [child as u64, 9],
            0,
        ))));
        let t = table.target(child as i32);
        assert_eq!(
            (t.uid, t.comm.as_deref()),
            (Some(1000), Some(&b"sleep"[..]))
        );
        // Its pid reused: the new process.
        table.observe(&decoded(Event::Fork(lifecycle::Fork {
            parent: process(parent, 5),
            child_pid: child,
        })));
        assert_eq!(table.target(child as i32).uid, Some(5));
    }

    #[test]
    fn proctitle_is_cut_at_128_bytes_like_the_kernel() {
        let argv = vec![Bytes::from(vec![b'a'; 100]), Bytes::from(vec![b'b'; 100])];
        let cut = proctitle(&argv);
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[0].len() + 1 + cut[1].len(), PROCTITLE_MAX);
        let short = vec![Bytes::from_static(b"ls"), Bytes::from_static(b"-l")];
        assert_eq!(proctitle(&short), short);
    }
}
