//! Any other syscall's records as laurel writes them: SYSCALL, the
//! family's record (CAPSET, SOCKETCALL, FD_PAIR, OBJ_PID, each a list),
//! CWD and PATH for calls that name paths, PROCTITLE.

use super::{path_record, proctitle, syscall, Obj, Record};
use crate::{
    decode::generic::{socketcall_nargs, Extra, Syscall},
    enrich::{files::FileCaps, Enriched},
};

pub(super) fn render(top: &mut Obj, e: &Enriched, x: &Syscall) {
    let items = x.path_items();
    let r = Record {
        items: items.len(),
        arch: x.arch,
        ..Record::new()
    };
    syscall(top, e, &x.call, r, |_| {});
    match &x.extra {
        Some(Extra::Caps([inheritable, permitted, effective, ambient])) => {
            let mut l = top.list("CAPSET");
            let mut c = l.object();
            c.num("pid", x.call.process.pid);
            for (name, set) in [
                ("cap_pi", inheritable),
                ("cap_pp", permitted),
                ("cap_pe", effective),
                ("cap_pa", ambient),
            ] {
                // laurel's field dictionary: numeric hexadecimal.
                c.hex(name, *set);
            }
            c.end();
            l.end();
        }
        Some(Extra::Socketcall(call, args, pair)) => {
            let nargs = socketcall_nargs(*call);
            let mut l = top.list("SOCKETCALL");
            let mut c = l.object();
            c.num("nargs", nargs);
            for (i, a) in args.iter().take(nargs as usize).enumerate() {
                c.str(&format!("a{i}"), format!("0x{a:x}").as_bytes());
            }
            c.end();
            l.end();
            if let Some((fd0, fd1)) = pair {
                fd_pair(top, *fd0, *fd1);
            }
        }
        Some(Extra::FdPair(fd0, fd1)) => fd_pair(top, *fd0, *fd1),
        Some(Extra::Target(_)) => {
            if let Some(t) = e.target {
                let mut l = top.list("OBJ_PID");
                let mut c = l.object();
                c.num("opid", t.pid);
                for (name, value) in [("oauid", t.auid), ("ouid", t.uid), ("oses", t.ses)] {
                    match value {
                        // Signed, as `audit_log_pid_context` prints them.
                        Some(v) => c.num(name, v as i32),
                        None => c.str(name, b"?"),
                    }
                }
                match &t.comm {
                    Some(comm) => c.str("ocomm", comm),
                    None => c.null("ocomm"),
                }
                if let Some(auid) = t.auid {
                    c.str("OAUID", e.names.user(auid).as_bytes());
                }
                if let Some(uid) = t.uid {
                    c.str("OUID", e.names.user(uid).as_bytes());
                }
                c.end();
                l.end();
            }
        }
        None => {}
    }
    if let Some(cwd) = &x.cwd {
        let mut c = top.object("CWD");
        c.str("cwd", cwd);
        c.end();
    }
    if !items.is_empty() {
        // File capabilities are not read for these names (the file may be
        // gone or replaced by the time the record is read): written as none.
        let no_caps = FileCaps::default();
        let mut paths = top.list("PATH");
        for (i, item) in items.iter().enumerate() {
            let mut p = paths.object();
            let name = item.name.as_deref();
            path_record(
                &mut p,
                e,
                i,
                name,
                item.inode,
                item.nametype,
                Some(&no_caps),
            );
            p.end();
        }
        paths.end();
    }
    proctitle(top, e);
}

/// FD_PAIR: the descriptors a pipe or socketpair made.
fn fd_pair(top: &mut Obj, fd0: i32, fd1: i32) {
    let mut l = top.list("FD_PAIR");
    let mut c = l.object();
    c.num("fd0", fd0);
    c.num("fd1", fd1);
    c.end();
    l.end();
}
