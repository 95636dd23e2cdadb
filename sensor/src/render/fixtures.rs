//! One event of every class, as the renderers' tests see them: what the
//! decode and enrich stages would hand over for it.

use std::rc::Rc;

use bytes::Bytes;
use sensor_common::{
    event::EventHeader,
    exec::ExecCreds,
    process::{InodeInfo, ProcessInfo, SyscallInfo},
    scope::CgroupKey,
    syscalls::{self, Arch, Family},
};

use crate::{
    decode::{
        exec::{ElfInterp, Exec},
        generic::{Extra, Lookup, PathName, Syscall},
        lifecycle::{Exit, Fork},
        login::Login,
        mmap::{MappedFile, Mmap},
        net::{Setsockopt, Sockaddr},
        tty::Tty,
        Call, Decoded, Event,
    },
    enrich::{
        caps::BprmFcaps,
        cgroups::Placement,
        exec::{ExecFacts, PathItem},
        files::FileCaps,
        runtime::{ContainerMeta, PodMeta},
        Enriched, EventId, Names, ProcessEntry, ProcessKey,
    },
};

pub const NODE: &str = "node-a";

pub fn id(serial: u64) -> EventId {
    EventId {
        secs: 1_700_000_000,
        millis: 200,
        serial,
    }
}

fn fixed<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a[..s.len()].copy_from_slice(s);
    a
}

pub fn process(pid: u32, comm: &str) -> ProcessInfo {
    ProcessInfo {
        cgroup_id: 0,
        cgroup_ctl_id: 0,
        mntns: 0,
        pidns: 0,
        pid,
        tid: pid,
        ppid: 4242,
        uid: 0,
        euid: 0,
        suid: 0,
        fsuid: 0,
        gid: 0,
        egid: 0,
        sgid: 0,
        fsgid: 0,
        auid: 1000,
        ses: 3,
        _pad: 0,
        comm: fixed(comm.as_bytes()),
        tty: fixed(b"pts0"),
    }
}

pub fn call(pid: u32, comm: &str, nr: u32, ret: i64, args: [u64; 6]) -> Call {
    Call {
        process: process(pid, comm),
        syscall: SyscallInfo {
            nr,
            regs_ok: 1,
            ret,
            args,
        },
        returned: true,
    }
}

pub fn argv(args: &[&[u8]]) -> Vec<Bytes> {
    args.iter().map(|a| Bytes::copy_from_slice(a)).collect()
}

/// A process the table knows: its program started by the event
/// `key_serial` (0: not by a written exec; it started at 1699999999.5).
pub fn entry(pid: u32, exe: &str, args: &[&[u8]], key_serial: u64) -> ProcessEntry {
    let key = if key_serial == 0 {
        ProcessKey::Started(1_699_999_999_500)
    } else {
        ProcessKey::Event(id(key_serial))
    };
    ProcessEntry::known(pid, exe, &argv(args), 4241, key)
}

/// The parent of every fixture process.
pub fn parent() -> ProcessEntry {
    entry(4242, "/usr/bin/bash", &[b"bash"], 90)
}

pub const CAT: InodeInfo = InodeInfo {
    ino: 401924,
    dev: 0xfd << 20 | 1,
    mode: 0o100755,
    uid: 0,
    gid: 0,
    rdev: 0,
    ctime_nsec: 0,
    ctime_sec: 0,
};

pub const LD_SO: InodeInfo = InodeInfo { ino: 325843, ..CAT };

pub const SCRIPT: InodeInfo = InodeInfo {
    ino: 10019155,
    mode: 0o100750,
    uid: 1000,
    gid: 1000,
    ..CAT
};

fn exec_event(x: Exec) -> Event {
    Event::Exec(Box::new(x))
}

fn exec_base(pid: u32, comm: &str, filename: &'static [u8], exe: &[u8], args: &[&[u8]]) -> Exec {
    Exec {
        call: call(
            pid,
            comm,
            59,
            0,
            [0x55c094deb5c0, 0x55c094dea770, 0x55c094dbf1b0, 8, 0, 0],
        ),
        success: true,
        tree_only: false,
        filename: Bytes::from_static(filename),
        interp: None,
        exe: exe.to_vec(),
        exe_inode: Some(CAT),
        script_inode: None,
        elf_interp: ElfInterp::Found(LD_SO),
        creds: Some(ExecCreds::default()),
        cwd: b"/root".to_vec(),
        argv: argv(args),
        argv_truncated: None,
        env: Vec::new(),
        env_truncated: None,
    }
}

/// `cat "/tmp/my file" caf\xe9`: a space and a non-UTF-8 byte; LD_PRELOAD
/// set; the exec raised capabilities (root short of one).
pub fn exec_ok() -> (Event, ExecFacts) {
    let mut x = exec_base(
        4243,
        "cat",
        b"/usr/bin/cat",
        b"/usr/bin/cat",
        &[b"cat", b"/tmp/my file", b"caf\xe9"],
    );
    x.env = vec![(
        Bytes::from_static(b"LD_PRELOAD"),
        Bytes::from_static(b"/tmp/x.so"),
    )];
    let bset = ((1u64 << 41) - 1) & !(1 << 24);
    let facts = ExecFacts {
        paths: vec![
            PathItem {
                name: Some(b"/usr/bin/cat".to_vec()),
                inode: Some(CAT),
                caps: Some(FileCaps::default()),
            },
            PathItem {
                name: Some(b"/lib64/ld-linux-x86-64.so.2".to_vec()),
                inode: Some(LD_SO),
                caps: Some(FileCaps::default()),
            },
        ],
        bprm_fcaps: Some(BprmFcaps {
            file: Some(FileCaps::default()),
            old: [bset, 0, bset, 0],
            new: [bset, 0, bset, 0],
        }),
        script: None,
    };
    (exec_event(x), facts)
}

/// `./s.sh` from /tmp, a `#!/bin/sh` script with capabilities of its own;
/// its interpreter's file could not be read back (changed since).
pub fn exec_script() -> (Event, ExecFacts) {
    let mut x = exec_base(
        4250,
        "s.sh",
        b"./s.sh",
        b"/usr/bin/dash",
        &[b"/bin/sh", b"./s.sh"],
    );
    x.interp = Some(Bytes::from_static(b"/bin/sh"));
    x.script_inode = Some(SCRIPT);
    x.cwd = b"/tmp".to_vec();
    let facts = ExecFacts {
        paths: vec![
            PathItem {
                name: Some(b"./s.sh".to_vec()),
                inode: Some(SCRIPT),
                caps: Some(FileCaps {
                    present: true,
                    permitted: 1 << 13,
                    inheritable: 0,
                    effective: true,
                    version: 2,
                    rootid: 0,
                }),
            },
            PathItem {
                name: Some(b"/bin/sh".to_vec()),
                inode: Some(CAT),
                caps: None,
            },
            PathItem {
                name: None,
                inode: Some(LD_SO),
                caps: Some(FileCaps::default()),
            },
        ],
        bprm_fcaps: None,
        script: Some(b"/tmp/s.sh".to_vec()),
    };
    (exec_event(x), facts)
}

pub fn exec_failed() -> (Event, ExecFacts) {
    let mut x = exec_base(4244, "bash", b"/nonexistent", b"/usr/bin/bash", &[b"bash"]);
    x.call.syscall.ret = -2;
    x.call.syscall.args = [0x55d0c0a0, 0x55d0c0b0, 0x55d0c0c0, 0, 0, 0];
    x.success = false;
    x.exe_inode = None;
    x.elf_interp = ElfInterp::None;
    x.creds = None;
    x.cwd = b"/home/alice".to_vec();
    let facts = ExecFacts {
        paths: vec![PathItem {
            name: Some(b"/nonexistent".to_vec()),
            inode: None,
            caps: Some(FileCaps::default()),
        }],
        bprm_fcaps: None,
        script: None,
    };
    (exec_event(x), facts)
}

/// connect(3, 127.0.0.1:80) refused.
pub fn connect() -> (Event, ProcessEntry) {
    let addr = [2, 0, 0, 80, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    let event = Event::Sockaddr(Sockaddr {
        call: call(4245, "curl", 42, -111, [3, 0x7ffd5a1c2b30, 16, 0, 0, 0]),
        addr: Bytes::copy_from_slice(&addr),
    });
    let subject = entry(4245, "/usr/bin/curl", &[b"curl", b"http://127.0.0.1/"], 95);
    (event, subject)
}

/// /dev/null: a device file, whose PATH item carries the device it
/// stands for (`rdev`).
pub const DEV_NULL: InodeInfo = InodeInfo {
    ino: 4,
    dev: 5,
    mode: 0o20666,
    rdev: 1 << 20 | 3,
    ..CAT
};

/// openat(AT_FDCWD, "/dev/null", O_RDONLY) = 3: a call the generic
/// programs record.
pub fn open_dev_null() -> (Event, ProcessEntry) {
    const OPENAT: u32 = 257;
    let Some(Family::Path(args)) = syscalls::by_number(Arch::X86_64, OPENAT).map(|s| s.family)
    else {
        unreachable!("openat names a path");
    };
    let event = Event::Syscall(Syscall {
        paths: vec![PathName {
            name: Bytes::from_static(b"/dev/null"),
            arg: args[0],
            parent: None,
            after: Lookup::Found(DEV_NULL),
            before: Lookup::Unknown,
        }],
        cwd: Some(b"/root".to_vec()),
        ..Syscall::new(
            call(4252, "cat", OPENAT, 3, [-100i64 as u64, 0x5610, 0, 0, 0, 0]),
            Arch::X86_64,
        )
    });
    let subject = entry(4252, "/usr/bin/cat", &[b"cat", b"/dev/null"], 97);
    (event, subject)
}

/// capset(2) leaving every set empty but a permitted and effective
/// CAP_NET_RAW.
pub fn capset() -> (Event, ProcessEntry) {
    const CAPSET: u32 = 126;
    let net_raw = 1 << 13;
    let event = Event::Syscall(Syscall {
        extra: Some(Extra::Caps([0, net_raw, net_raw, 0])),
        ..Syscall::new(
            call(
                4253,
                "ping",
                CAPSET,
                0,
                [0x7ffd0010, 0x7ffd0020, 0, 0, 0, 0],
            ),
            Arch::X86_64,
        )
    });
    let subject = entry(4253, "/usr/bin/ping", &[b"ping", b"::1"], 98);
    (event, subject)
}

/// mmap(NULL, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE, 3, 0) of libc.
pub fn mmap_file() -> (Event, ProcessEntry) {
    let event = Event::Mmap(Mmap {
        call: call(4246, "true", 9, 0x7f3a1c000000, [0, 4096, 5, 2, 3, 0]),
        file: Some(MappedFile {
            path: b"/usr/lib/x86_64-linux-gnu/libc.so.6".to_vec(),
            inode: InodeInfo {
                ino: 1049,
                mode: 0o100644,
                ..CAT
            },
        }),
    });
    (event, entry(4246, "/usr/bin/true", &[b"true"], 0))
}

pub fn setsockopt_event() -> (Event, ProcessEntry) {
    let event = Event::Setsockopt(Setsockopt {
        call: call(4248, "python3", 54, 0, [3, 1, 8, 0x7ffc0010, 4, 0]),
        optval: Bytes::from_static(&[0x41, 0xe2, 0x01, 0x00]),
    });
    (
        event,
        entry(4248, "/usr/bin/python3", &[b"python3", b"-c", b"x"], 96),
    )
}

/// A read of what was typed (`input`) or a write to the terminal.
pub fn tty_event(input: bool, data: &[u8]) -> Event {
    let nr = if input { 0 } else { 1 };
    let ret = data.len() as i64;
    Event::Tty(Tty {
        call: call(4249, "bash", nr, ret, [0, 0x7ffc2000, 0x400, 0, 0, 0]),
        major: 136,
        minor: 0,
        input,
        data: Bytes::copy_from_slice(data),
        total: data.len() as u32,
    })
}

/// sshd's write of 1000 to /proc/self/loginuid.
pub fn login_event() -> (Event, ProcessEntry) {
    let mut c = call(4250, "sshd", 1, 4, [5, 0x7ffc1000, 4, 0, 0, 0]);
    c.process.tty = [0; 32];
    let event = Event::Login(Login {
        call: c,
        old_auid: u32::MAX,
        old_ses: u32::MAX,
    });
    (event, entry(4250, "/usr/sbin/sshd", &[b"sshd: alice"], 0))
}

pub fn fork_event() -> Event {
    Event::Fork(Fork {
        parent: process(4242, "bash"),
        child_pid: 4251,
    })
}

pub fn exit_event() -> Event {
    Event::Exit(Exit {
        process: process(4251, "bash"),
        exit_code: 42 << 8,
    })
}

/// What an event is rendered with, beyond the event itself.
#[derive(Default)]
pub struct Context<'a> {
    pub subject: Option<ProcessEntry>,
    pub exec: Option<ExecFacts>,
    pub placement: Option<&'a Placement>,
    pub container: Option<&'a ContainerMeta>,
    pub parent: bool,
}

/// `event`, numbered `serial`, rendered by `render`.
pub fn render_with(
    render: fn(&Enriched, &mut String),
    serial: u64,
    event: Event,
    mut ctx: Context,
) -> String {
    let decoded = Decoded {
        header: EventHeader::default(),
        event,
    };
    let names = Names::load();
    // The keys rules/default.rules gives each class.
    let key = match &decoded.event {
        Event::Exec(_) => Some("exec"),
        Event::Socket(_) | Event::Setsockopt(_) => Some("socket"),
        Event::Sockaddr(_) => Some("network"),
        Event::Mmap(_) => Some("mmap_exec"),
        _ => None,
    };
    let parent = ctx.parent.then(parent);
    if let (Some(subject), Some(parent)) = (&mut ctx.subject, &parent) {
        subject.spawned_by = Some(Rc::new(parent.clone()));
    }
    let e = Enriched {
        decoded: &decoded,
        id: id(serial),
        key,
        node: NODE,
        names: &names,
        cluster: ctx.placement.map(|_| "prod-eu"),
        subject: ctx.subject.as_ref(),
        parent: parent.as_ref(),
        placement: ctx.placement,
        container: ctx.container,
        exec: ctx.exec.as_ref(),
        target: None,
    };
    let mut out = String::new();
    render(&e, &mut out);
    out
}

pub const CONTAINER_ID: &str = "4c3f1e0d9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d";
pub const POD_UID: &str = "7d1f9a36-1c2b-4b5e-9f0e-2a3b4c5d6e7f";

pub fn in_a_pod() -> (Placement, ContainerMeta) {
    let path = format!("/kubepods/besteffort/pod{POD_UID}/{CONTAINER_ID}");
    let placement = Placement {
        origin: crate::enrich::cgroup::parse(&path),
        path,
        key: CgroupKey {
            id: 7,
            hierarchy: 1,
        },
    };
    let pod = PodMeta {
        sandbox_id: "a1".repeat(32),
        name: "web-7f9c".into(),
        namespace: "shop".into(),
        uid: POD_UID.into(),
        labels: [
            ("app".to_owned(), "web".to_owned()),
            ("tier".to_owned(), "front end".to_owned()),
        ]
        .into(),
        annotations: Default::default(),
    };
    let container = ContainerMeta {
        id: CONTAINER_ID.into(),
        name: "nginx".into(),
        runtime: "containerd".into(),
        image: "docker.io/library/nginx:1.27".into(),
        image_id: "sha256:".to_owned() + &"b2".repeat(32),
        pod: Some(std::sync::Arc::new(pod)),
    };
    (placement, container)
}

pub fn on_the_host() -> Placement {
    let path = "/system.slice/ssh.service".to_owned();
    Placement {
        origin: crate::enrich::cgroup::parse(&path),
        path,
        key: CgroupKey {
            id: 8,
            hierarchy: 1,
        },
    }
}
