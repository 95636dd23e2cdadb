//! The JSON layout: what laurel 0.8.2 writes from auditd's records of the
//! same event (one object per event per line), with its default
//! configuration and `translate.universal`, `translate.user-db` and
//! `enrich.ppid-verbose` on.
//!
//! Record by record as laurel has them: SYSCALL, EXECVE, CWD and PROCTITLE
//! are objects, every other record type is a list of objects; auditd's
//! fields keep their names, and their values the types laurel parses them
//! into (decimal numbers as numbers, hexadecimal and octal ones as
//! `"0x…"`/`"0o…"` strings, `(null)` as null); the interpreted values
//! (ARCH, SYSCALL, the user and group names, SADDR) and laurel's
//! enrichments (PID, PPID, SPAWNED_BY, UID_GROUPS, SCRIPT, ENV) are
//! ALL-CAPS. The sensor's own records and additions are ALL-CAPS too, in
//! keys laurel never uses, so they never collide with an auditd field.

mod generic;

use std::fmt::Write;

use sensor_common::process::InodeInfo;

use super::{dev, encode::push_int, names, obj::Obj, sockaddr, tty};
use crate::{
    decode::{
        c_str,
        exec::Exec,
        lifecycle::{Exit, Fork},
        login::Login,
        mmap::Mmap,
        net::{Setsockopt, Sockaddr},
        tty::Tty,
        Call, Event,
    },
    enrich::{
        caps::BprmFcaps, cgroup::Origin, exec::PathItem, files::FileCaps, Enriched, EventId,
        ProcessEntry, ProcessKey,
    },
    loss::Lost,
    rules::Arch,
};

pub fn render(e: &Enriched, out: &mut String) {
    let mut top = header(out, e.id, e.node);
    match &e.decoded.event {
        Event::Exec(x) => exec(&mut top, e, x),
        Event::Socket(c) => {
            syscall(&mut top, e, c, Record::new(), |s| socket_names(s, c));
            proctitle(&mut top, e);
        }
        Event::Setsockopt(x) => setsockopt(&mut top, e, x),
        Event::Sockaddr(x) => sockaddr_call(&mut top, e, x),
        Event::Mmap(x) => mmap(&mut top, e, x),
        Event::Fork(x) => fork(&mut top, e, x),
        Event::Exit(x) => exit(&mut top, e, x),
        Event::Tty(x) => tty_record(&mut top, e, x),
        Event::Login(x) => login(&mut top, e, x),
        Event::Cgroup(_) => {} // never kept by the filter
        Event::Syscall(x) => generic::render(&mut top, e, x),
        Event::UserMsg(x) => super::usermsg::json(&mut top, e, x),
        Event::SessionCandidate(x) => super::session::json_start(&mut top, e, x),
        Event::Kernel(x) => super::kernel_record::json(&mut top, e, x),
    }
    placement(&mut top, e);
    top.end();
    out.push('\n');
}

/// Where the process runs: `CONTAINER` (and `K8S` for a pod's) or `HOST`,
/// and `CLUSTER` when configured.
fn placement(top: &mut Obj, e: &Enriched) {
    if let Some(cluster) = e.cluster {
        top.str("CLUSTER", cluster.as_bytes());
    }
    let Some(placement) = e.placement else {
        return;
    };
    match &placement.origin {
        Origin::Container {
            id,
            runtime,
            pod_uid,
        } => {
            let meta = e.container;
            let mut c = top.object("CONTAINER");
            c.str("ID", id.as_bytes());
            c.str("RUNTIME", super::runtime_name(*runtime, meta).as_bytes());
            if let Some(m) = meta {
                c.str("NAME", m.name.as_bytes());
                c.str("IMAGE", m.image.as_bytes());
                c.str("IMAGE_ID", m.image_id.as_bytes());
            }
            c.str("CGROUP", placement.path.as_bytes());
            let pod = meta.and_then(|m| m.pod.as_deref());
            if pod.is_none() && pod_uid.is_none() {
                super::session::json_exec(&mut c, e);
                c.end();
                return;
            }
            c.end();
            let mut k = top.object("K8S");
            if let Some(pod) = pod {
                k.str("POD", pod.name.as_bytes());
                k.str("NAMESPACE", pod.namespace.as_bytes());
                k.str("POD_UID", pod.uid.as_bytes());
                k.str("SANDBOX_ID", pod.sandbox_id.as_bytes());
                string_map(&mut k, "LABELS", &pod.labels);
                if !pod.annotations.is_empty() {
                    string_map(&mut k, "ANNOTATIONS", &pod.annotations);
                }
            } else if let Some(uid) = pod_uid {
                k.str("POD_UID", uid.as_bytes());
            }
            super::session::json_exec(&mut k, e);
            k.end();
        }
        Origin::Host { unit } => {
            let mut h = top.object("HOST");
            if let Some(unit) = unit {
                h.str("UNIT", unit.as_bytes());
            }
            h.str("CGROUP", placement.path.as_bytes());
            h.end();
        }
    }
}

fn string_map(parent: &mut Obj, name: &str, map: &std::collections::BTreeMap<String, String>) {
    let mut o = parent.object(name);
    for (k, v) in map {
        o.entry(k.as_bytes(), v.as_bytes());
    }
    o.end();
}

/// The sensor's own LOST record: what was lost, where, of which kind.
pub fn render_lost(id: EventId, node: &str, lost: &Lost, out: &mut String) {
    let mut top = header(out, id, node);
    top.record_list("LOST", |l| {
        l.num("total", lost.total());
        for (stage, counts) in lost.stages() {
            let mut s = l.object(stage);
            for (kind, n) in counts {
                s.num(kind, *n);
            }
            s.end();
        }
    });
    top.end();
    out.push('\n');
}

/// `secs.mmm:serial`, as auditd's `msg=audit(…)` has it.
fn push_id(out: &mut String, id: EventId) {
    push_millis(out, id.secs, id.millis);
    out.push(':');
    push_int(out, id.serial);
}

/// `secs.mmm`.
fn push_millis(out: &mut String, secs: u64, millis: u32) {
    push_int(out, secs);
    out.push('.');
    let ms = millis.min(999);
    out.extend(
        [
            b'0' + (ms / 100) as u8,
            b'0' + (ms / 10 % 10) as u8,
            b'0' + (ms % 10) as u8,
        ]
        .map(char::from),
    );
}

fn header<'a>(out: &'a mut String, id: EventId, node: &str) -> Obj<'a> {
    let mut top = Obj::open(out);
    top.key("ID");
    top.out.push('"');
    push_id(top.out, id);
    top.out.push('"');
    top.str("NODE", node.as_bytes());
    top
}

/// What varies between classes' SYSCALL records.
struct Record<'a> {
    items: usize,
    /// The exe, when the event knows it better than the process table.
    exe: Option<&'a [u8]>,
    /// The rule's key: the event's, or none (a LOGIN's write, which no
    /// rule chose).
    keyed: bool,
    arch: Arch,
}

impl Record<'_> {
    fn new() -> Self {
        Self {
            items: 0,
            exe: None,
            keyed: true,
            arch: Arch::X86_64,
        }
    }
}

fn syscall(top: &mut Obj, e: &Enriched, call: &Call, r: Record, interpret: impl FnOnce(&mut Obj)) {
    let p = &call.process;
    let sc = &call.syscall;
    let mut s = top.object("SYSCALL");
    s.hex("arch", crate::rules::audit_arch(r.arch).into());
    s.num("syscall", sc.nr);
    if call.returned {
        s.str("success", if sc.ret >= 0 { b"yes" } else { b"no" });
        s.num("exit", sc.ret);
    }
    s.num("items", r.items);
    s.num("ppid", p.ppid);
    s.num("pid", p.pid);
    s.num("auid", p.auid);
    s.num("uid", p.uid);
    s.num("gid", p.gid);
    s.num("euid", p.euid);
    s.num("suid", p.suid);
    s.num("fsuid", p.fsuid);
    s.num("egid", p.egid);
    s.num("sgid", p.sgid);
    s.num("fsgid", p.fsgid);
    s.str("tty", tty(&p.tty));
    s.num("ses", p.ses);
    s.str("comm", c_str(&p.comm));
    let exe = r.exe.or(e.subject.map(|s| &s.exe[..]));
    s.str_or_null("exe", exe.filter(|x| !x.is_empty()));
    s.str_or_null("key", e.key.filter(|_| r.keyed).map(str::as_bytes));
    let mut argv = s.list("ARGV");
    for a in &sc.args[..4] {
        argv.sep();
        let _ = write!(argv.out, "\"0x{a:x}\"");
    }
    argv.end();
    s.str(
        "ARCH",
        match r.arch {
            Arch::X86_64 => b"x86_64",
            Arch::I386 => b"i386",
        },
    );
    s.str("SYSCALL", names::syscall(r.arch, sc.nr).as_bytes());
    interpret(&mut s);
    if let Some(subject) = e.subject {
        pid(&mut s, e, subject);
    }
    if let Some(parent) = e.parent {
        ppid(&mut s, parent);
    }
    ids(&mut s, e, p);
    if let Some(groups) = e.names.uid_groups(p.uid) {
        let mut l = s.list("UID_GROUPS");
        for g in groups {
            l.str(g.as_bytes());
        }
        l.end();
    }
    if let Some(script) = e.exec.and_then(|x| x.script.as_deref()) {
        s.str("SCRIPT", script);
    }
    if let Some(spawner) = e.subject.and_then(|s| s.spawned_by.as_deref()).or(e.parent) {
        let mut sb = s.object("SPAWNED_BY");
        key(&mut sb, spawner.key.get());
        sb.num("pid", spawner.pid);
        sb.str("comm", &spawner.comm);
        sb.str("exe", &spawner.exe);
        sb.end();
    }
    s.end();
}

/// laurel's process key: `EVENT_ID` (the exec event that started the
/// program) or `START_TIME` (when the process started).
fn key(o: &mut Obj, key: ProcessKey) {
    match key {
        ProcessKey::Event(id) => {
            o.key("EVENT_ID");
            o.out.push('"');
            push_id(o.out, id);
            o.out.push('"');
        }
        ProcessKey::Started(ms) => {
            o.key("START_TIME");
            o.out.push('"');
            push_millis(o.out, ms / 1000, (ms % 1000) as u32);
            o.out.push('"');
        }
    }
}

/// `PID`: the process's key, its container and systemd services.
fn pid(o: &mut Obj, e: &Enriched, subject: &ProcessEntry) {
    let mut p = o.object("PID");
    key(&mut p, subject.key.get());
    if let Some(placement) = e.placement {
        match &placement.origin {
            Origin::Container { id, .. }
                if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                let mut c = p.object("container");
                c.str("id", id.as_bytes());
                c.end();
            }
            _ => {}
        }
        let mut services = placement
            .path
            .split('/')
            .filter_map(|f| f.strip_suffix(".service"))
            .peekable();
        if services.peek().is_some() {
            let mut l = p.list("systemd_service");
            for s in services {
                l.str(s.as_bytes());
            }
            l.end();
        }
    }
    p.end();
}

/// `PPID`: the parent's key, and (`enrich.ppid-verbose`) its comm, exe and
/// parent.
fn ppid(o: &mut Obj, parent: &ProcessEntry) {
    let mut p = o.object("PPID");
    key(&mut p, parent.key.get());
    p.str("comm", &parent.comm);
    p.str("exe", &parent.exe);
    if parent.ppid != 0 {
        p.num("ppid", parent.ppid);
    }
    p.end();
}

/// The interpreted user and group names, in laurel's order.
fn ids(s: &mut Obj, e: &Enriched, p: &sensor_common::process::ProcessInfo) {
    let n = e.names;
    for (field, name) in [
        ("UID", n.user(p.uid)),
        ("AUID", n.user(p.auid)),
        ("GID", n.group(p.gid)),
        ("EUID", n.user(p.euid)),
        ("SUID", n.user(p.suid)),
        ("FSUID", n.user(p.fsuid)),
        ("EGID", n.group(p.egid)),
        ("SGID", n.group(p.sgid)),
        ("FSGID", n.group(p.fsgid)),
    ] {
        s.str(field, name.as_bytes());
    }
}

fn str_list<'a>(obj: &mut Obj, key: &str, items: impl Iterator<Item = &'a [u8]>) {
    let mut l = obj.list(key);
    for item in items {
        l.str(item);
    }
    l.end();
}

/// A SYSCALL record with nothing particular to the call.
pub fn syscall_of(top: &mut Obj, e: &Enriched, call: &Call) {
    syscall(top, e, call, Record::new(), |_| {});
}

/// PROCTITLE of the process as the table knows it.
pub fn subject_proctitle(top: &mut Obj, e: &Enriched) {
    proctitle(top, e);
}

fn proctitle_of(top: &mut Obj, argv: &[bytes::Bytes]) {
    let mut p = top.object("PROCTITLE");
    str_list(&mut p, "ARGV", argv.iter().map(|a| &a[..]));
    p.end();
}

/// PROCTITLE of the process as the table knows it (exec has its own).
fn proctitle(top: &mut Obj, e: &Enriched) {
    if let Some(subject) = e.subject.filter(|s| !s.proctitle.is_empty()) {
        proctitle_of(top, &subject.proctitle);
    }
}

fn truncated(o: &mut Obj, key: &str, t: &crate::decode::exec::Truncated) {
    let mut tr = o.object(key);
    tr.num("KEPT", t.kept);
    tr.num("TOTAL", t.total);
    tr.end();
}

fn exec(top: &mut Obj, e: &Enriched, x: &Exec) {
    let paths = e.exec.map_or(&[][..], |f| &f.paths[..]);
    let r = Record {
        items: paths.len(),
        exe: Some(&x.exe),
        ..Record::new()
    };
    syscall(top, e, &x.call, r, |_| {});
    if let Some(b) = e.exec.and_then(|f| f.bprm_fcaps.as_ref()) {
        bprm_fcaps(top, b);
    }
    if x.success {
        let mut ex = top.object("EXECVE");
        ex.num("argc", x.argv.len());
        str_list(&mut ex, "ARGV", x.argv.iter().map(|a| &a[..]));
        if let Some(t) = &x.argv_truncated {
            truncated(&mut ex, "TRUNCATED", t);
        }
        let mut env = ex.object("ENV");
        for (name, value) in &x.env {
            env.entry(name, value);
        }
        env.end();
        if let Some(t) = &x.env_truncated {
            truncated(&mut ex, "ENV_TRUNCATED", t);
        }
        ex.end();
    }
    let mut cwd = top.object("CWD");
    cwd.str("cwd", &x.cwd);
    cwd.end();
    let mut list = top.list("PATH");
    for (i, item) in paths.iter().enumerate() {
        let mut o = list.object();
        path_item(&mut o, e, i, item);
        o.end();
    }
    list.end();
    proctitle_of(top, &crate::enrich::processes::proctitle(&x.argv));
}

/// An exec's PATH item: a file it opened, or the name a failed one could
/// not look up.
fn path_item(o: &mut Obj, e: &Enriched, i: usize, item: &PathItem) {
    let nametype = if item.inode.is_some() {
        "NORMAL"
    } else {
        "UNKNOWN"
    };
    let name = item.name.as_deref();
    path_record(
        o,
        e,
        i,
        name,
        item.inode.as_ref(),
        nametype,
        item.caps.as_ref(),
    );
}

/// One PATH item (`audit_log_name`, `audit_log_fcaps`), with laurel's
/// OUID and OGID; `caps` None when the file could not be read as the
/// kernel recorded it.
fn path_record(
    o: &mut Obj,
    e: &Enriched,
    i: usize,
    name: Option<&[u8]>,
    inode: Option<&InodeInfo>,
    nametype: &str,
    caps: Option<&FileCaps>,
) {
    o.num("item", i);
    o.str_or_null("name", name);
    if let Some(n) = inode {
        o.num("inode", n.ino);
        o.str("dev", dev(n.dev).as_bytes());
        o.str("mode", format!("0o{:o}", n.mode as u16).as_bytes());
        o.num("ouid", n.uid);
        o.num("ogid", n.gid);
        o.str("rdev", dev(n.rdev).as_bytes());
    }
    o.str("nametype", nametype.as_bytes());
    file_caps(o, "cap_", caps);
    if let Some(n) = inode {
        o.str("OUID", e.names.user(n.uid).as_bytes());
        o.str("OGID", e.names.group(n.gid).as_bytes());
    }
}

/// A file's capability fields (`PREFIX` `fp`, `fi`, `fe`, `fver`,
/// `frootid`), null each when the file could not be read. `frootid` is a
/// string: laurel parses no type for it.
fn file_caps(o: &mut Obj, prefix: &str, caps: Option<&FileCaps>) {
    let name = |field: &str| format!("{prefix}{field}");
    match caps {
        Some(c) => {
            o.hex(&name("fp"), c.permitted);
            o.hex(&name("fi"), c.inheritable);
            o.num(&name("fe"), c.effective as u8);
            o.hex(&name("fver"), c.version.into());
            o.str(&name("frootid"), c.rootid.to_string().as_bytes());
        }
        None => {
            for field in ["fp", "fi", "fe", "fver", "frootid"] {
                o.null(&name(field));
            }
        }
    }
}

/// BPRM_FCAPS (`audit_log_bprm_fcaps`'s record), in its field order.
fn bprm_fcaps(top: &mut Obj, b: &BprmFcaps) {
    top.record_list("BPRM_FCAPS", |o| {
        let file = b.file.as_ref();
        match file {
            Some(c) => {
                o.hex("fver", c.version.into());
                o.hex("fp", c.permitted);
                o.hex("fi", c.inheritable);
                o.num("fe", c.effective as u8);
            }
            None => {
                for field in ["fver", "fp", "fi", "fe"] {
                    o.null(field);
                }
            }
        }
        for (name, value) in ["old_pp", "old_pi", "old_pe", "old_pa"].iter().zip(b.old) {
            o.hex(name, value);
        }
        for (name, value) in ["pp", "pi", "pe", "pa"].iter().zip(b.new) {
            o.hex(name, value);
        }
        match file {
            Some(c) => o.str("frootid", c.rootid.to_string().as_bytes()),
            None => o.null("frootid"),
        }
    });
}

fn socket_names(s: &mut Obj, c: &Call) {
    let [domain, kind, protocol, ..] = c.syscall.args;
    s.str("DOMAIN", names::named(names::FAMILIES, domain).as_bytes());
    s.str("TYPE", names::sock_type(kind).as_bytes());
    s.str("PROTOCOL", names::protocol(domain, protocol).as_bytes());
}

fn setsockopt(top: &mut Obj, e: &Enriched, x: &Setsockopt) {
    syscall(top, e, &x.call, Record::new(), |_| {});
    let [_, level, optname, _, optlen, _] = x.call.syscall.args;
    top.record_list("SOCKOPT", |o| {
        o.str("LEVEL", names::named(names::LEVELS, level).as_bytes());
        o.str("OPTNAME", names::sockopt(level, optname).as_bytes());
        o.num("OPTLEN", optlen as u32);
        o.str("OPTVAL", sockaddr::hex(&x.optval).as_bytes());
    });
    proctitle(top, e);
}

fn sockaddr_call(top: &mut Obj, e: &Enriched, x: &Sockaddr) {
    syscall(top, e, &x.call, Record::new(), |_| {});
    if !x.addr.is_empty() {
        top.record_list("SOCKADDR", |o| sockaddr::render(o, &x.addr));
    }
    proctitle(top, e);
}

/// `MAP_ANONYMOUS`: the kernel writes an MMAP record only for file mappings.
const MAP_ANONYMOUS: u64 = 0x20;

/// mmap: the interpreted PROT and FLAGS in SYSCALL, and MMAP for a file
/// mapping, as the kernel writes it, with the mapped file (`FILE`: the
/// kernel's record names no file).
fn mmap(top: &mut Obj, e: &Enriched, x: &Mmap) {
    let [_, _, prot, flags, fd, _] = x.call.syscall.args;
    syscall(top, e, &x.call, Record::new(), |s| {
        s.str(
            "PROT",
            names::flags(names::PROT, prot, "PROT_NONE").as_bytes(),
        );
        s.str("FLAGS", names::flags(names::MAP, flags, "0").as_bytes());
    });
    if flags & MAP_ANONYMOUS == 0 {
        top.record_list("MMAP", |m| {
            m.num("fd", fd as i32);
            m.hex("flags", flags);
            if let Some(file) = &x.file {
                let i = &file.inode;
                let mut f = m.object("FILE");
                f.str("PATH", &file.path);
                f.num("INODE", i.ino);
                f.str("DEV", dev(i.dev).as_bytes());
                f.str("MODE", format!("0o{:o}", i.mode as u16).as_bytes());
                f.num("OUID", i.uid);
                f.num("OGID", i.gid);
                f.end();
            }
        });
    }
    proctitle(top, e);
}

fn fork(top: &mut Obj, e: &Enriched, x: &Fork) {
    top.record_list("FORK", |f| {
        f.num("ppid", x.parent.pid);
        f.num("pid", x.child_pid);
        who(f, e, &x.parent);
    });
}

fn exit(top: &mut Obj, e: &Enriched, x: &Exit) {
    let p = &x.process;
    top.record_list("EXIT", |f| {
        f.num("pid", p.pid);
        f.num("ppid", p.ppid);
        who(f, e, p);
        if let Some(status) = x.status() {
            f.num("status", status);
        }
        if let Some(signal) = x.signal() {
            f.num("signal", signal);
        }
    });
}

/// Who a lifecycle record is about (for a fork, the parent).
fn who(f: &mut Obj, e: &Enriched, p: &sensor_common::process::ProcessInfo) {
    f.num("auid", p.auid);
    f.num("uid", p.uid);
    f.num("ses", p.ses);
    f.str("comm", c_str(&p.comm));
    f.str_or_null(
        "exe",
        e.subject.map(|s| &s.exe[..]).filter(|x| !x.is_empty()),
    );
}

/// TTY (`tty_audit_log`'s fields), with laurel's PID, UID and AUID; the
/// terminal's name and the direction are the sensor's (the kernel's TTY
/// records hold what is typed only). The kernel writes the record from
/// inside the read, so the event also holds that call's SYSCALL record (no
/// rule chose it: no key) and PROCTITLE; so does an output record, with
/// its write.
fn tty_record(top: &mut Obj, e: &Enriched, x: &Tty) {
    let p = &x.call.process;
    top.record_list("TTY", |t| {
        t.num("pid", p.pid);
        t.num("uid", p.uid);
        t.num("auid", p.auid);
        t.num("ses", p.ses);
        t.num("major", x.major);
        t.num("minor", x.minor);
        t.str("comm", c_str(&p.comm));
        t.str("data", &x.data);
        t.str("TTY", tty(&p.tty));
        t.str("DIRECTION", if x.input { b"input" } else { b"output" });
        if (x.data.len() as u32) < x.total {
            let mut tr = t.object("TRUNCATED");
            tr.num("KEPT", x.data.len());
            tr.num("TOTAL", x.total);
            tr.end();
        }
        if let Some(subject) = e.subject {
            pid(t, e, subject);
        }
        t.str("UID", e.names.user(p.uid).as_bytes());
        t.str("AUID", e.names.user(p.auid).as_bytes());
    });
    unkeyed_call(top, e, &x.call);
}

/// The SYSCALL record and PROCTITLE of a call no rule chose, whose event
/// the kernel writes for another record in it (TTY, LOGIN).
fn unkeyed_call(top: &mut Obj, e: &Enriched, call: &Call) {
    let r = Record {
        keyed: false,
        ..Record::new()
    };
    syscall(top, e, call, r, |_| {});
    proctitle(top, e);
}

/// A login is the kernel's LOGIN record, then the SYSCALL record of the
/// write to loginuid (no rule chose it: no key) and its PROCTITLE.
fn login(top: &mut Obj, e: &Enriched, x: &Login) {
    let p = &x.call.process;
    top.record_list("LOGIN", |l| {
        l.num("pid", p.pid);
        l.num("uid", p.uid);
        l.num("old-auid", x.old_auid);
        l.num("auid", p.auid);
        l.str("tty", tty(&p.tty));
        l.num("old-ses", x.old_ses);
        l.num("ses", p.ses);
        l.num("res", x.success() as u8);
        if let Some(subject) = e.subject {
            pid(l, e, subject);
        }
        l.str("UID", e.names.user(p.uid).as_bytes());
        l.str("OLD-AUID", e.names.user(x.old_auid).as_bytes());
        l.str("AUID", e.names.user(p.auid).as_bytes());
    });
    unkeyed_call(top, e, &x.call);
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::{enrich::Names, render::fixtures::*};

    fn render_json(serial: u64, event: Event, ctx: Context) -> Value {
        let line = render_with(render, serial, event, ctx);
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    fn exec_json((event, facts): (Event, crate::enrich::exec::ExecFacts)) -> Value {
        let ctx = Context {
            subject: Some(entry(4243, "/usr/bin/cat", &[b"cat"], 101)),
            exec: Some(facts),
            parent: true,
            ..Default::default()
        };
        render_json(101, event, ctx)
    }

    /// The name /etc/passwd gives auid 1000 here (laurel's AUID).
    fn user_1000() -> String {
        Names::load().user(1000)
    }

    #[test]
    fn an_exec_is_laurels_event_record_by_record() {
        let v = exec_json(exec_ok());
        let groups = Names::load().uid_groups(0).unwrap().to_vec();
        // The records in the kernel's order, as laurel keeps them.
        let (event, facts) = exec_ok();
        let ctx = Context {
            exec: Some(facts),
            ..Default::default()
        };
        let line = render_with(render, 101, event, ctx);
        let at = |key: &str| {
            line.find(&format!("\"{key}\":{{"))
                .or(line.find(&format!("\"{key}\":[")))
        };
        let order = [
            "SYSCALL",
            "BPRM_FCAPS",
            "EXECVE",
            "CWD",
            "PATH",
            "PROCTITLE",
        ]
        .map(at);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert_eq!(v.as_object().unwrap().len(), 8);
        assert_eq!(v["ID"], "1700000000.200:101");
        assert_eq!(v["NODE"], "node-a");
        assert_eq!(
            v["SYSCALL"],
            json!({
                    "arch": "0xc000003e", "syscall": 59, "success": "yes", "exit": 0, "items": 2,
                    "ppid": 4242, "pid": 4243, "auid": 1000, "uid": 0, "gid": 0, "euid": 0,
                    "suid": 0, "fsuid": 0, "egid": 0, "sgid": 0, "fsgid": 0, "tty": "pts0",
                    "ses": 3, "comm": "cat", "exe": "/usr/bin/cat", "key": "exec",
                    "ARGV": ["0x55c094deb5c0", "0x55c094dea770", "0x55c094dbf1b0", "0x8"],
                    "ARCH": "x86_64", "SYSCALL": "execve",
                    "PID": {"EVENT_ID": "1700000000.200:101"},
                    "PPID": {"EVENT_ID": "1700000000.200:90", "comm": "bash", "exe": "/usr/bin/bash", "ppid": 4241},
                    "UID": "root", "AUID": user_1000(), "GID": "root", "EUID": "root",
                    "SUID": "root", "FSUID": "root", "EGID": "root", "SGID": "root", "FSGID": "root",
                    "UID_GROUPS": groups,
                    "SPAWNED_BY": {"EVENT_ID": "1700000000.200:90", "pid": 4242, "comm": "bash", "exe": "/usr/bin/bash"}
            })
        );
        assert_eq!(
            v["BPRM_FCAPS"],
            json!([{
                    "fver": "0x0", "fp": "0x0", "fi": "0x0", "fe": 0,
                    "old_pp": "0x1fffeffffff", "old_pi": "0x0", "old_pe": "0x1fffeffffff", "old_pa": "0x0",
                    "pp": "0x1fffeffffff", "pi": "0x0", "pe": "0x1fffeffffff", "pa": "0x0", "frootid": "0"
            }])
        );
        assert_eq!(
            v["EXECVE"],
            json!({
                "argc": 3, "ARGV": ["cat", "/tmp/my file", "caf%e9"],
                "ENV": {"LD_PRELOAD": "/tmp/x.so"}
            })
        );
        assert_eq!(v["CWD"], json!({"cwd": "/root"}));
        assert_eq!(
            v["PATH"],
            json!([
                    {"item": 0, "name": "/usr/bin/cat", "inode": 401924, "dev": "fd:01", "mode": "0o100755",
                     "ouid": 0, "ogid": 0, "rdev": "00:00", "nametype": "NORMAL", "cap_fp": "0x0", "cap_fi": "0x0",
                     "cap_fe": 0, "cap_fver": "0x0", "cap_frootid": "0", "OUID": "root", "OGID": "root"},
                    {"item": 1, "name": "/lib64/ld-linux-x86-64.so.2", "inode": 325843, "dev": "fd:01", "mode": "0o100755",
                     "ouid": 0, "ogid": 0, "rdev": "00:00", "nametype": "NORMAL", "cap_fp": "0x0", "cap_fi": "0x0",
                     "cap_fe": 0, "cap_fver": "0x0", "cap_frootid": "0", "OUID": "root", "OGID": "root"}
            ])
        );
        assert_eq!(
            v["PROCTITLE"],
            json!({"ARGV": ["cat", "/tmp/my file", "caf%e9"]})
        );
    }

    #[test]
    fn a_script_exec_has_script_and_a_path_item_per_file() {
        let v = exec_json(exec_script());
        assert_eq!(v["SYSCALL"]["SCRIPT"], "/tmp/s.sh");
        assert_eq!(v["SYSCALL"]["items"], 3);
        let paths = v["PATH"].as_array().unwrap();
        assert_eq!(paths.len(), 3);
        assert_eq!(paths[0]["name"], "./s.sh");
        assert_eq!(paths[0]["inode"], 10019155);
        assert_eq!(paths[0]["mode"], "0o100750");
        assert_eq!(paths[0]["cap_fp"], "0x2000");
        assert_eq!(paths[0]["cap_fe"], 1);
        assert_eq!(paths[0]["cap_fver"], "0x2");
        assert_eq!(paths[0]["OUID"], user_1000());
        // The interpreter's capabilities could not be read: null, not 0.
        assert_eq!(paths[1]["name"], "/bin/sh");
        assert!(paths[1]["cap_fp"].is_null() && paths[1]["cap_frootid"].is_null());
        // ld.so's name not known: null, as laurel has `(null)`.
        assert!(paths[2]["name"].is_null());
        assert_eq!(paths[2]["inode"], 325843);
        assert!(v.get("BPRM_FCAPS").is_none());
    }

    #[test]
    fn a_failed_exec_has_an_unknown_path_and_no_execve() {
        let v = exec_json(exec_failed());
        assert_eq!(v["SYSCALL"]["success"], "no");
        assert_eq!(v["SYSCALL"]["exit"], -2);
        assert!(v.get("EXECVE").is_none());
        assert_eq!(
            v["PATH"],
            json!([{"item": 0, "name": "/nonexistent", "nametype": "UNKNOWN", "cap_fp": "0x0",
                    "cap_fi": "0x0", "cap_fe": 0, "cap_fver": "0x0", "cap_frootid": "0"}])
        );
        assert_eq!(v["CWD"]["cwd"], "/home/alice");
    }

    fn with_subject((event, subject): (Event, crate::enrich::ProcessEntry)) -> Value {
        let ctx = Context {
            subject: Some(subject),
            ..Default::default()
        };
        render_json(102, event, ctx)
    }

    #[test]
    fn socket_and_setsockopt() {
        let v = render_json(
            103,
            Event::Socket(call(4247, "nc", 41, 3, [2, 1, 6, 0, 0, 0])),
            Context::default(),
        );
        assert_eq!(v["SYSCALL"]["DOMAIN"], "AF_INET");
        assert_eq!(v["SYSCALL"]["PROTOCOL"], "IPPROTO_TCP");
        // A process the table does not know: exe null, no PROCTITLE, no PID.
        assert!(v["SYSCALL"]["exe"].is_null());
        assert!(v.get("PROCTITLE").is_none() && v["SYSCALL"].get("PID").is_none());

        let v = with_subject(setsockopt_event());
        assert_eq!(
            v["SOCKOPT"],
            json!([{"LEVEL": "SOL_SOCKET", "OPTNAME": "SO_RCVBUF", "OPTLEN": 4, "OPTVAL": "41E20100"}])
        );
        assert_eq!(
            v["SYSCALL"]["PID"],
            json!({"EVENT_ID": "1700000000.200:96"})
        );
        assert_eq!(v["PROCTITLE"]["ARGV"], json!(["python3", "-c", "x"]));
    }

    #[test]
    fn a_generic_calls_path_items_are_the_execs_kind() {
        let v = with_subject(open_dev_null());
        assert_eq!(v["SYSCALL"]["SYSCALL"], "openat");
        assert_eq!(v["SYSCALL"]["items"], 1);
        assert_eq!(v["CWD"], json!({"cwd": "/root"}));
        assert_eq!(
            v["PATH"],
            json!([{"item": 0, "name": "/dev/null", "inode": 4, "dev": "00:05",
                    "mode": "0o20666", "ouid": 0, "ogid": 0, "rdev": "01:03",
                    "nametype": "NORMAL", "cap_fp": "0x0", "cap_fi": "0x0", "cap_fe": 0,
                    "cap_fver": "0x0", "cap_frootid": "0", "OUID": "root", "OGID": "root"}])
        );
    }

    #[test]
    fn capset_is_a_list_of_laurels_hexadecimal_sets() {
        let v = with_subject(capset());
        assert_eq!(v["SYSCALL"]["SYSCALL"], "capset");
        assert_eq!(
            v["CAPSET"],
            json!([{"pid": 4253, "cap_pi": "0x0", "cap_pp": "0x2000", "cap_pe": "0x2000",
                    "cap_pa": "0x0"}])
        );
        assert!(v.get("PATH").is_none());
    }

    #[test]
    fn a_connect_has_a_sockaddr_list() {
        let v = with_subject(connect());
        assert_eq!(
            v["SOCKADDR"],
            json!([{"SADDR": {"saddr_fam": "inet", "addr": "127.0.0.1", "port": 80}}])
        );
        assert_eq!(v["SYSCALL"]["exit"], -111);
        assert_eq!(v["SYSCALL"]["items"], 0);
    }

    #[test]
    fn an_mmap_has_an_mmap_list_naming_the_file() {
        let v = with_subject(mmap_file());
        assert_eq!(v["SYSCALL"]["items"], 0);
        assert!(v.get("PATH").is_none());
        assert_eq!(
            v["MMAP"],
            json!([{"fd": 3, "flags": "0x2",
                    "FILE": {"PATH": "/usr/lib/x86_64-linux-gnu/libc.so.6", "INODE": 1049,
                             "DEV": "fd:01", "MODE": "0o100644", "OUID": 0, "OGID": 0}}])
        );
        assert_eq!(v["SYSCALL"]["PROT"], "PROT_READ|PROT_EXEC");
        assert_eq!(v["SYSCALL"]["FLAGS"], "MAP_PRIVATE");
        // A process without a written exec: keyed by its start.
        assert_eq!(v["SYSCALL"]["PID"], json!({"START_TIME": "1699999999.500"}));
        // An anonymous mapping: the kernel writes no MMAP record.
        let anon = Event::Mmap(Mmap {
            call: call(4246, "node", 9, 0x7f00, [0, 4096, 7, 0x22, u64::MAX, 0]),
            file: None,
        });
        assert!(render_json(104, anon, Context::default())
            .get("MMAP")
            .is_none());
    }

    #[test]
    fn tty_is_a_list_with_laurels_names_then_the_reads_syscall() {
        let v = render_json(105, tty_event(true, b"ls +x\r"), Context::default());
        assert_eq!(v["SYSCALL"]["SYSCALL"], "read");
        assert_eq!(v["SYSCALL"]["exit"], 6);
        assert!(v["SYSCALL"]["key"].is_null());
        assert_eq!(
            v["TTY"],
            json!([{"pid": 4249, "uid": 0, "auid": 1000, "ses": 3, "major": 136, "minor": 0,
                    "comm": "bash", "data": "ls %2bx%0d", "TTY": "pts0", "DIRECTION": "input",
                    "UID": "root", "AUID": user_1000()}])
        );
    }

    #[test]
    fn a_login_is_login_then_the_writes_syscall_and_proctitle() {
        let v = with_subject(login_event());
        assert_eq!(
            v["LOGIN"],
            json!([{"pid": 4250, "uid": 0, "old-auid": 4294967295u32, "auid": 1000, "tty": "(none)",
                    "old-ses": 4294967295u32, "ses": 3, "res": 1,
                    "PID": {"START_TIME": "1699999999.500"},
                    "UID": "root", "OLD-AUID": "unset", "AUID": user_1000()}])
        );
        let s = &v["SYSCALL"];
        assert_eq!(s["syscall"], 1);
        assert_eq!(s["SYSCALL"], "write");
        assert_eq!(s["exit"], 4);
        assert!(s["key"].is_null());
        assert_eq!(s["exe"], "/usr/sbin/sshd");
        assert_eq!(v["PROCTITLE"]["ARGV"], json!(["sshd: alice"]));
        // laurel's order: LOGIN came first from the kernel.
        let line = render_with(render, 106, login_event().0, Context::default());
        assert!(line.find("\"LOGIN\"") < line.find("\"SYSCALL\""));
    }

    #[test]
    fn fork_exit_and_lost_are_lists() {
        let v = render_json(107, fork_event(), Context::default());
        assert_eq!(
            v["FORK"],
            json!([{"ppid": 4242, "pid": 4251, "auid": 1000, "uid": 0, "ses": 3, "comm": "bash", "exe": null}])
        );
        let v = render_json(108, exit_event(), Context::default());
        assert_eq!(v["EXIT"][0]["status"], 42);
        let mut out = String::new();
        render_lost(id(109), NODE, &Lost::default(), &mut out);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["LOST"], json!([{"total": 0}]));
    }

    #[test]
    fn pid_names_the_container_or_the_systemd_service() {
        let (pod, container) = in_a_pod();
        let (event, subject) = connect();
        let ctx = Context {
            subject: Some(subject),
            placement: Some(&pod),
            container: Some(&container),
            ..Default::default()
        };
        let v = render_json(110, event, ctx);
        assert_eq!(
            v["SYSCALL"]["PID"],
            json!({"EVENT_ID": "1700000000.200:95", "container": {"id": CONTAINER_ID}})
        );
        assert_eq!(v["CONTAINER"]["NAME"], "nginx");
        assert_eq!(v["K8S"]["POD"], "web-7f9c");
        assert_eq!(v["CLUSTER"], "prod-eu");

        let host = on_the_host();
        let (event, subject) = connect();
        let ctx = Context {
            subject: Some(subject),
            placement: Some(&host),
            ..Default::default()
        };
        let v = render_json(111, event, ctx);
        assert_eq!(
            v["SYSCALL"]["PID"],
            json!({"EVENT_ID": "1700000000.200:95", "systemd_service": ["ssh"]})
        );
        assert_eq!(v["HOST"]["UNIT"], "ssh.service");
    }
}
