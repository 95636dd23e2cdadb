//! The laurel-compatible JSON layout (one object per event per line).
//!
//! auditd's own fields keep their lower-case names and meanings; interpreted
//! values (ARCH, SYSCALL, AUID, UID…) and the sensor's enrichment are
//! ALL-CAPS, so they never collide with an auditd field.

use std::fmt::Write;

use super::{dev, encode::json_str, syscall_name, tty, ARCH_X86_64, PROCTITLE_MAX};
use crate::{
    decode::{c_str, exec::Exec, Event},
    enrich::Enriched,
};

/// The key of the built-in exec rule (rule files come with `--rules`).
const EXEC_KEY: &[u8] = b"exec";

pub fn render(e: &Enriched, out: &mut String) {
    let _ = write!(out, "{{\"ID\":\"{}\",\"NODE\":", e.id);
    json_str(out, e.node.as_bytes());
    match &e.decoded.event {
        Event::Exec(exec) => exec_records(e, exec, out),
    }
    out.push_str("}\n");
}

fn exec_records(e: &Enriched, x: &Exec, out: &mut String) {
    syscall(e, x, out);
    if x.success {
        let _ = write!(out, ",\"EXECVE\":{{\"argc\":{},\"ARGV\":", x.argv.len());
        str_list(out, x.argv.iter().map(|a| &a[..]));
        if let Some(t) = &x.argv_truncated {
            let _ = write!(
                out,
                ",\"TRUNCATED\":{{\"KEPT\":{},\"TOTAL\":{}}}",
                t.kept, t.total
            );
        }
        out.push('}');
    }
    out.push_str(",\"CWD\":{\"cwd\":");
    json_str(out, &x.cwd);
    out.push_str("},\"PATH\":[{\"item\":0,\"name\":");
    json_str(out, &x.filename);
    match &x.exe_inode {
        Some(i) if x.success => {
            let _ = write!(
                out,
                ",\"inode\":{},\"dev\":\"{}\",\"mode\":\"0o{:o}\",\"ouid\":{},\"ogid\":{},\"nametype\":\"NORMAL\"",
                i.ino,
                dev(i.dev),
                i.mode,
                i.uid,
                i.gid
            );
        }
        _ => out.push_str(",\"nametype\":\"UNKNOWN\""),
    }
    out.push_str("}],\"PROCTITLE\":{\"ARGV\":");
    str_list(out, proctitle(&x.argv));
    out.push('}');
}

fn syscall(e: &Enriched, x: &Exec, out: &mut String) {
    let p = &x.process;
    let s = &x.syscall;
    let _ = write!(
        out,
        ",\"SYSCALL\":{{\"arch\":\"0x{ARCH_X86_64:x}\",\"syscall\":{},\"success\":\"{}\",\"exit\":{},\"items\":1,\
         \"ppid\":{},\"pid\":{},\"auid\":{},\"uid\":{},\"gid\":{},\"euid\":{},\"suid\":{},\"fsuid\":{},\
         \"egid\":{},\"sgid\":{},\"fsgid\":{},\"tty\":",
        s.nr,
        if s.ret >= 0 { "yes" } else { "no" },
        s.ret,
        p.ppid,
        p.pid,
        p.auid,
        p.uid,
        p.gid,
        p.euid,
        p.suid,
        p.fsuid,
        p.egid,
        p.sgid,
        p.fsgid
    );
    json_str(out, tty(&p.tty));
    let _ = write!(out, ",\"ses\":{},\"comm\":", p.ses);
    json_str(out, c_str(&p.comm));
    out.push_str(",\"exe\":");
    json_str(out, &x.exe);
    out.push_str(",\"key\":");
    json_str(out, EXEC_KEY);
    let _ = write!(
        out,
        ",\"ARGV\":[\"0x{:x}\",\"0x{:x}\",\"0x{:x}\",\"0x{:x}\"],\"ARCH\":\"x86_64\",\"SYSCALL\":\"{}\"",
        s.args[0],
        s.args[1],
        s.args[2],
        s.args[3],
        syscall_name(s.nr)
    );
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
        let _ = write!(out, ",\"{field}\":");
        json_str(out, name.as_bytes());
    }
    if let Some(parent) = e.parent {
        out.push_str(",\"PPID\":{\"comm\":");
        json_str(out, &parent.comm);
        out.push_str(",\"exe\":");
        json_str(out, &parent.exe);
        let _ = write!(out, ",\"ppid\":{}}}", parent.ppid);
    }
    out.push('}');
}

fn str_list<'a>(out: &mut String, items: impl Iterator<Item = &'a [u8]>) {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, item);
    }
    out.push(']');
}

/// The arguments as the kernel's PROCTITLE record holds them: the command
/// line cut at 128 bytes.
fn proctitle(argv: &[bytes::Bytes]) -> impl Iterator<Item = &[u8]> {
    let mut left = PROCTITLE_MAX;
    argv.iter().map_while(move |a| {
        if left == 0 {
            return None;
        }
        let take = a.len().min(left);
        left = left.saturating_sub(a.len() + 1);
        Some(&a[..take])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn proctitle_is_cut_at_128_bytes_like_the_kernel() {
        let argv = vec![Bytes::from(vec![b'a'; 100]), Bytes::from(vec![b'b'; 100])];
        let cut: Vec<&[u8]> = proctitle(&argv).collect();
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[0].len() + 1 + cut[1].len(), PROCTITLE_MAX);
        let short = vec![Bytes::from_static(b"ls"), Bytes::from_static(b"-l")];
        assert_eq!(
            proctitle(&short).collect::<Vec<_>>(),
            vec![&b"ls"[..], b"-l"]
        );
    }
}
