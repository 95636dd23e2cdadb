//! The laurel-compatible JSON layout (one object per event per line).
//!
//! auditd's own records and fields keep their names and meanings; the
//! interpreted values (ARCH, SYSCALL, AUID, DOMAIN…) and the sensor's own
//! records and additions are ALL-CAPS, so they never collide with an auditd
//! field.

mod generic;

use std::fmt::Write;

use super::{
    dev,
    encode::{json_str, push_int, Int},
    names, sockaddr, tty,
};
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
    enrich::{cgroup::Origin, Enriched, EventId},
    loss::Lost,
    rules::Arch,
};

/// Writes one JSON object; keys in the order they are added.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn open(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    pub fn num(&mut self, key: &str, value: impl Int) {
        self.key(key);
        push_int(self.out, value);
    }

    pub fn str(&mut self, key: &str, value: &[u8]) {
        self.key(key);
        json_str(self.out, value);
    }

    /// A field whose key is data (a label's), so escaped like a value.
    pub fn entry(&mut self, key: &[u8], value: &[u8]) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        json_str(self.out, key);
        self.out.push(':');
        json_str(self.out, value);
    }

    /// A number (its digits as given) whose key is data.
    pub fn raw_entry(&mut self, key: &[u8], digits: &[u8]) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        json_str(self.out, key);
        self.out.push(':');
        self.out.extend(digits.iter().map(|&b| b as char));
    }

    /// A null whose key is data.
    pub fn null_entry(&mut self, key: &[u8]) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        json_str(self.out, key);
        self.out.push_str(":null");
    }

    pub fn null(&mut self, key: &str) {
        self.key(key);
        self.out.push_str("null");
    }

    pub fn object(&mut self, key: &str) -> Obj<'_> {
        self.key(key);
        Obj::open(self.out)
    }

    pub fn list(&mut self, key: &str) -> List<'_> {
        self.key(key);
        self.out.push('[');
        List {
            out: self.out,
            first: true,
        }
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

pub struct List<'a> {
    out: &'a mut String,
    first: bool,
}

impl List<'_> {
    fn sep(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    pub fn str(&mut self, value: &[u8]) {
        self.sep();
        json_str(self.out, value);
    }

    pub fn object(&mut self) -> Obj<'_> {
        self.sep();
        Obj::open(self.out)
    }

    pub fn end(self) {
        self.out.push(']');
    }
}

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
    let mut l = top.object("LOST");
    l.num("total", lost.total());
    for (stage, counts) in lost.stages() {
        let mut s = l.object(stage);
        for (kind, n) in counts {
            s.num(kind, *n);
        }
        s.end();
    }
    l.end();
    top.end();
    out.push('\n');
}

fn header<'a>(out: &'a mut String, id: EventId, node: &str) -> Obj<'a> {
    let mut top = Obj::open(out);
    top.key("ID");
    let out = &mut *top.out;
    out.push('"');
    push_int(out, id.secs);
    out.push('.');
    let ms = id.millis.min(999);
    out.extend(
        [
            b'0' + (ms / 100) as u8,
            b'0' + (ms / 10 % 10) as u8,
            b'0' + (ms % 10) as u8,
        ]
        .map(char::from),
    );
    out.push(':');
    push_int(out, id.serial);
    out.push('"');
    top.str("NODE", node.as_bytes());
    top
}

/// What varies between classes' SYSCALL records.
struct Record<'a> {
    items: u32,
    /// The exe, when the event knows it better than the process table.
    exe: Option<&'a [u8]>,
    arch: Arch,
}

impl Record<'_> {
    fn new() -> Self {
        Self {
            items: 0,
            exe: None,
            arch: Arch::X86_64,
        }
    }
}

fn syscall(top: &mut Obj, e: &Enriched, call: &Call, r: Record, interpret: impl FnOnce(&mut Obj)) {
    let p = &call.process;
    let sc = &call.syscall;
    let mut s = top.object("SYSCALL");
    s.key("arch");
    let _ = write!(s.out, "\"0x{:x}\"", crate::rules::audit_arch(r.arch));
    s.num("syscall", sc.nr);
    s.str("success", if sc.ret >= 0 { b"yes" } else { b"no" });
    s.num("exit", sc.ret);
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
    if let Some(exe) = r.exe.or(e.subject.as_ref().map(|s| &s.exe[..])) {
        s.str("exe", exe);
    }
    match e.key {
        Some(key) => s.str("key", key.as_bytes()),
        None => s.null("key"),
    }
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
    ids(&mut s, e, p);
    interpret(&mut s);
    parent(&mut s, e);
    s.end();
}

/// The interpreted user and group names.
fn ids(s: &mut Obj, e: &Enriched, p: &sensor_common::process::ProcessInfo) {
    let n = e.names;
    for (field, name) in [
        ("AUID", n.user(p.auid)),
        ("UID", n.user(p.uid)),
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

fn parent(s: &mut Obj, e: &Enriched) {
    if let Some(parent) = &e.parent {
        let mut pp = s.object("PPID");
        pp.str("comm", &parent.comm);
        pp.str("exe", &parent.exe);
        pp.num("ppid", parent.ppid);
        pp.end();
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

/// PROCTITLE of the process as the table knows it (exec has its own).
fn proctitle(top: &mut Obj, e: &Enriched) {
    if let Some(subject) = e.subject.as_ref().filter(|s| !s.proctitle.is_empty()) {
        let mut p = top.object("PROCTITLE");
        str_list(&mut p, "ARGV", subject.proctitle.iter().map(|a| &a[..]));
        p.end();
    }
}

fn exec(top: &mut Obj, e: &Enriched, x: &Exec) {
    let r = Record {
        items: 1,
        exe: Some(&x.exe),
        ..Record::new()
    };
    syscall(top, e, &x.call, r, |_| {});
    if x.success {
        let mut ex = top.object("EXECVE");
        ex.num("argc", x.argv.len());
        str_list(&mut ex, "ARGV", x.argv.iter().map(|a| &a[..]));
        if let Some(t) = &x.argv_truncated {
            let mut tr = ex.object("TRUNCATED");
            tr.num("KEPT", t.kept);
            tr.num("TOTAL", t.total);
            tr.end();
        }
        ex.end();
    }
    let mut cwd = top.object("CWD");
    cwd.str("cwd", &x.cwd);
    cwd.end();
    let mut paths = top.list("PATH");
    let mut item = paths.object();
    item.num("item", 0);
    item.str("name", &x.filename);
    match &x.exe_inode {
        Some(i) if x.success => inode(&mut item, i),
        _ => item.str("nametype", b"UNKNOWN"),
    }
    item.end();
    paths.end();
    let mut p = top.object("PROCTITLE");
    str_list(
        &mut p,
        "ARGV",
        crate::enrich::processes::proctitle(&x.argv)
            .iter()
            .map(|a| &a[..]),
    );
    p.end();
}

/// A PATH item's inode fields.
fn inode(item: &mut Obj, i: &sensor_common::process::InodeInfo) {
    inode_fields(item, i);
    item.str("nametype", b"NORMAL");
}

/// An inode's fields in a PATH item, before its nametype.
fn inode_fields(item: &mut Obj, i: &sensor_common::process::InodeInfo) {
    item.num("inode", i.ino);
    item.str("dev", dev(i.dev).as_bytes());
    item.str("mode", format!("0o{:o}", i.mode).as_bytes());
    item.num("ouid", i.uid);
    item.num("ogid", i.gid);
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
    let mut o = top.object("SOCKOPT");
    o.str("LEVEL", names::named(names::LEVELS, level).as_bytes());
    o.str("OPTNAME", names::sockopt(level, optname).as_bytes());
    o.num("OPTLEN", optlen as u32);
    o.str("OPTVAL", sockaddr::hex(&x.optval).as_bytes());
    o.end();
    proctitle(top, e);
}

fn sockaddr_call(top: &mut Obj, e: &Enriched, x: &Sockaddr) {
    syscall(top, e, &x.call, Record::new(), |_| {});
    if !x.addr.is_empty() {
        let mut list = top.list("SOCKADDR");
        let mut item = list.object();
        item.str("saddr", sockaddr::hex(&x.addr).as_bytes());
        sockaddr::interpret(&mut item, &x.addr);
        item.end();
        list.end();
    }
    proctitle(top, e);
}

fn mmap(top: &mut Obj, e: &Enriched, x: &Mmap) {
    let r = Record {
        items: x.file.is_some() as u32,
        ..Record::new()
    };
    syscall(top, e, &x.call, r, |_| {});
    let [_, _, prot, flags, fd, _] = x.call.syscall.args;
    let mut m = top.object("MMAP");
    m.num("fd", fd as i32);
    m.str("flags", format!("0x{flags:x}").as_bytes());
    m.str(
        "PROT",
        names::flags(names::PROT, prot, "PROT_NONE").as_bytes(),
    );
    m.str("FLAGS", names::flags(names::MAP, flags, "0").as_bytes());
    m.end();
    if let Some(file) = &x.file {
        let mut paths = top.list("PATH");
        let mut item = paths.object();
        item.num("item", 0);
        item.str("name", &file.path);
        inode(&mut item, &file.inode);
        item.end();
        paths.end();
    }
    proctitle(top, e);
}

fn fork(top: &mut Obj, e: &Enriched, x: &Fork) {
    let mut f = top.object("FORK");
    f.num("ppid", x.parent.pid);
    f.num("pid", x.child_pid);
    who(&mut f, e, &x.parent);
    f.end();
}

fn exit(top: &mut Obj, e: &Enriched, x: &Exit) {
    let p = &x.process;
    let mut f = top.object("EXIT");
    f.num("pid", p.pid);
    f.num("ppid", p.ppid);
    who(&mut f, e, p);
    if let Some(status) = x.status() {
        f.num("status", status);
    }
    if let Some(signal) = x.signal() {
        f.num("signal", signal);
    }
    f.end();
}

/// Who a lifecycle record is about (for a fork, the parent).
fn who(f: &mut Obj, e: &Enriched, p: &sensor_common::process::ProcessInfo) {
    f.num("auid", p.auid);
    f.num("uid", p.uid);
    f.num("ses", p.ses);
    f.str("comm", c_str(&p.comm));
    if let Some(subject) = &e.subject {
        f.str("exe", &subject.exe);
    }
}

fn tty_record(top: &mut Obj, e: &Enriched, x: &Tty) {
    let p = &x.call.process;
    let mut list = top.list("TTY");
    let mut t = list.object();
    t.num("pid", p.pid);
    t.num("uid", p.uid);
    t.num("auid", p.auid);
    t.num("ses", p.ses);
    t.num("major", x.major);
    t.num("minor", x.minor);
    t.str("comm", c_str(&p.comm));
    t.str("data", &x.data);
    t.str("tty", tty(&p.tty));
    t.str("DIRECTION", if x.input { b"input" } else { b"output" });
    if (x.data.len() as u32) < x.total {
        let mut tr = t.object("TRUNCATED");
        tr.num("KEPT", x.data.len());
        tr.num("TOTAL", x.total);
        tr.end();
    }
    t.str("AUID", e.names.user(p.auid).as_bytes());
    t.end();
    list.end();
}

fn login(top: &mut Obj, e: &Enriched, x: &Login) {
    let p = &x.process;
    let mut l = top.object("LOGIN");
    l.num("pid", p.pid);
    l.num("uid", p.uid);
    l.num("old-auid", x.old_auid);
    l.num("auid", p.auid);
    l.str("tty", tty(&p.tty));
    l.num("old-ses", x.old_ses);
    l.num("ses", p.ses);
    l.num("res", x.success as u8);
    l.str("UID", e.names.user(p.uid).as_bytes());
    l.str("OLD-AUID", e.names.user(x.old_auid).as_bytes());
    l.str("AUID", e.names.user(p.auid).as_bytes());
    l.end();
}
