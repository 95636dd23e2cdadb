//! Any other syscall's records in the auditd format, in the order
//! `audit_log_exit` writes them: SYSCALL, the family's record (CAPSET,
//! SOCKETCALL, FD_PAIR, OBJ_PID), CWD and PATH for calls that name paths,
//! PROCTITLE.

use std::fmt::Write;

use super::{
    kind, path_record, subject_proctitle, syscall_in, untrusted, untrusted_or_null, Records,
};
use crate::{
    decode::generic::{socketcall_nargs, Extra, Syscall},
    enrich::{files::FileCaps, Enriched},
    render::caps,
};

pub(super) fn render(r: &mut Records, e: &Enriched, x: &Syscall) {
    let items = x.path_items();
    syscall_in(r, e, &x.call, x.arch, items.len(), None, e.key);
    match &x.extra {
        Some(Extra::Caps([inheritable, permitted, effective, ambient])) => {
            r.record(kind::CAPSET, |o| {
                let _ = write!(
                    o,
                    "pid={} cap_pi={} cap_pp={} cap_pe={} cap_pa={}",
                    x.call.process.pid,
                    caps(*inheritable),
                    caps(*permitted),
                    caps(*effective),
                    caps(*ambient)
                );
            })
        }
        Some(Extra::Socketcall(call, args, pair)) => {
            r.record(kind::SOCKETCALL, |o| {
                let nargs = socketcall_nargs(*call);
                let _ = write!(o, "nargs={nargs}");
                for (i, a) in args.iter().take(nargs as usize).enumerate() {
                    let _ = write!(o, " a{i}={a:x}");
                }
            });
            if let Some((fd0, fd1)) = pair {
                fd_pair(r, *fd0, *fd1);
            }
        }
        Some(Extra::FdPair(fd0, fd1)) => fd_pair(r, *fd0, *fd1),
        Some(Extra::Target(_)) => {
            if let Some(t) = e.target {
                r.record(kind::OBJ_PID, |o| {
                    // `audit_log_pid_context` prints the ids signed.
                    let id = |v: Option<u32>| v.map_or("?".to_string(), |v| (v as i32).to_string());
                    let _ = write!(
                        o,
                        "opid={} oauid={} ouid={} oses={} ocomm=",
                        t.pid,
                        id(t.auid),
                        id(t.uid),
                        id(t.ses)
                    );
                    untrusted_or_null(o, t.comm.as_deref());
                })
            }
        }
        None => {}
    }
    if let Some(cwd) = &x.cwd {
        r.record(kind::CWD, |o| {
            o.push_str("cwd=");
            untrusted(o, cwd);
        });
    }
    // File capabilities are not read for these names (the file may be
    // gone or replaced by the time the record is read): written as none.
    let no_caps = FileCaps::default();
    for (i, item) in items.iter().enumerate() {
        r.record(kind::PATH, |o| {
            path_record(
                o,
                i,
                item.name.as_deref(),
                item.inode,
                item.nametype,
                Some(&no_caps),
            )
        });
    }
    subject_proctitle(r, e);
}

/// FD_PAIR: the descriptors a pipe or socketpair made.
fn fd_pair(r: &mut Records, fd0: i32, fd1: i32) {
    r.record(kind::FD_PAIR, |o| {
        let _ = write!(o, "fd0={fd0} fd1={fd1}");
    })
}
