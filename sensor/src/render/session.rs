//! Runtime sessions (`enrich::session`): the session's start record, and
//! the session every event of its process tree carries, `K8S.EXEC` in
//! JSON (`CONTAINER.EXEC` for a container outside Kubernetes) and `exec_*`
//! fields of the auditd format's origin record.

use std::fmt::Write;

use super::{
    auditd::{self, Records},
    obj::Obj,
    tty,
};
use crate::{
    decode::{c_str, session::Candidate},
    enrich::{session::Session, Enriched},
};

/// The session of the event's process, if any.
pub fn of<'a>(e: &'a Enriched) -> Option<&'a Session> {
    e.subject?.session.as_deref()
}

pub fn json_start(top: &mut Obj, e: &Enriched, c: &Candidate) {
    let p = &c.process;
    let mut s = top.object("SESSION_START");
    s.num("pid", p.pid);
    s.num("ppid", p.ppid);
    s.num("uid", p.uid);
    s.num("auid", p.auid);
    s.num("ses", p.ses);
    s.str("tty", tty(&p.tty));
    s.str("comm", c_str(&p.comm));
    if let Some(subject) = e.subject.filter(|s| !s.exe.is_empty()) {
        s.str("exe", &subject.exe);
    }
    s.str("UID", e.names.user(p.uid).as_bytes());
    s.str("AUID", e.names.user(p.auid).as_bytes());
    s.end();
}

/// `EXEC` in the object `o` (K8S, or CONTAINER).
pub fn json_exec(o: &mut Obj, e: &Enriched) {
    let Some(s) = of(e) else { return };
    let mut x = o.object("EXEC");
    x.str("SESSION", s.id.as_bytes());
    x.str("STARTED", started(s).as_bytes());
    let mut c = x.list("COMMAND");
    for a in &s.command {
        c.str(a);
    }
    c.end();
    x.str("TTY", tty(&s.tty));
    if let Some(id) = &s.audit_id {
        x.str("AUDIT_ID", id);
    }
    x.end();
}

fn started(s: &Session) -> String {
    format!("{}.{:03}", s.started.secs, s.started.millis)
}

pub fn auditd_start(r: &mut Records, e: &Enriched, c: &Candidate) {
    let p = &c.process;
    r.record(super::auditd::kind::SESSION_START, |o| {
        let _ = write!(
            o,
            "op=session_start pid={} ppid={} uid={} auid={} ses={} tty={} comm=",
            p.pid,
            p.ppid,
            p.uid,
            p.auid,
            p.ses,
            String::from_utf8_lossy(tty(&p.tty)),
        );
        auditd::untrusted(o, c_str(&p.comm));
        o.push_str(" exe=");
        match e.subject.filter(|s| !s.exe.is_empty()) {
            Some(s) => auditd::untrusted(o, &s.exe),
            None => o.push_str("(null)"),
        }
    });
}

/// The origin record's `exec_*` fields.
pub fn auditd_origin(o: &mut String, e: &Enriched) {
    let Some(s) = of(e) else { return };
    let _ = write!(o, " exec_session={} exec_started={}", s.id, started(s));
    o.push_str(" exec_command=");
    auditd::untrusted(o, &s.command.join(&b' '));
    let _ = write!(o, " exec_tty={}", String::from_utf8_lossy(tty(&s.tty)));
    if let Some(id) = &s.audit_id {
        o.push_str(" exec_audit_id=");
        auditd::untrusted(o, id);
    }
}
