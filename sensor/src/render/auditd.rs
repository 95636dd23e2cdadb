//! The auditd text format: the lines the kernel hands auditd and auditd
//! writes to /var/log/audit/audit.log (`log_format = RAW`), so `ausearch`,
//! `aureport` and every audit.log parser read them as they are.
//!
//! One event is one or more records (lines) sharing
//! `msg=audit(SECS.MSEC:SERIAL): `, in the order the kernel's
//! `audit_log_exit` writes them: SYSCALL, the syscall's special record
//! (EXECVE, MMAP), SOCKADDR, CWD, PATH items, PROCTITLE last. Every line
//! starts `node=NAME `, as auditd writes it with `name_format` set. There is
//! no EOE line: auditd does not write EOE records to its log.
//!
//! Field formats follow the kernel's `audit_log_format` calls: numbers in
//! decimal, a0–a3 in bare lower-case hex, and every string that came from
//! user space (comm, exe, cwd, names, arguments, key) through
//! `audit_log_untrustedstring`: in double quotes, or in upper-case hex
//! without quotes when it holds `"`, a space, a control or a non-ASCII byte.
//!
//! Records auditd has no type for (the option value of setsockopt, terminal
//! output, fork, exit, loss) are written as `type=UNKNOWN[N]`, see [`kind`].
//!
//! Where the lines still differ from the kernel's: an exec has one PATH item
//! (`items=1`; the kernel adds the ELF interpreter as item 1) and no
//! BPRM_FCAPS; `cap_*` are always 0 (file capabilities are not read); an
//! mmap of a file has a PATH item of it; PROCTITLE is the command line of
//! the process at the event, where the kernel keeps the one of a task's
//! first logged event for the task's life (so after a failed exec, as in a
//! `$PATH` search, the kernel's exec record shows the caller's command line);
//! terminal data the sensor cut is not marked.

mod generic;

use std::fmt::Write;

use bytes::Bytes;

use super::{dev, tty};
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

/// Record types.
///
/// For records auditd has no type for, `ausearch` and `aureport` (auditd
/// 3.0.9) were tried with a made-up name (`type=SOCKOPT`, `type=FORK`) and
/// with `type=UNKNOWN[N]`, the spelling auditd itself writes for a type its
/// library does not know. Both are read without an error, but a made-up
/// name splits the event it is in for auparse (`ausearch --format text` and
/// `--format csv` report the records after it as a second, unknown event)
/// and cannot be selected (`ausearch -m SOCKOPT` is refused), while
/// `UNKNOWN[N]` keeps the event whole and is selected by
/// `ausearch -m 'UNKNOWN[2097]'`. The numbers are in 2001–2099, the range
/// linux/audit.h marks "unused (kernel)", away from the types the kernel
/// hands out (1300 up); in it, ausearch parses no fields of the record (a
/// user-space number, 2100 and up, would have its fields half-parsed:
/// `pid=` matched inside `ppid=`). So FORK, EXIT and LOST events are found by
/// time, serial or `-m`, not by `-p`/`-ui`; their fields show with `-i`.
pub mod kind {
    pub const SYSCALL: &str = "SYSCALL";
    pub const FD_PAIR: &str = "FD_PAIR";
    pub const OBJ_PID: &str = "OBJ_PID";
    pub const CAPSET: &str = "CAPSET";
    pub const SOCKETCALL: &str = "SOCKETCALL";
    pub const EXECVE: &str = "EXECVE";
    pub const CWD: &str = "CWD";
    pub const PATH: &str = "PATH";
    pub const PROCTITLE: &str = "PROCTITLE";
    pub const SOCKADDR: &str = "SOCKADDR";
    pub const MMAP: &str = "MMAP";
    pub const TTY: &str = "TTY";
    pub const LOGIN: &str = "LOGIN";
    /// Terminal output: the kernel's TTY records hold only what is typed,
    /// and `aureport --tty` shows TTY data as keystrokes, so output is kept
    /// apart, with TTY's fields.
    pub const TTY_OUTPUT: &str = "UNKNOWN[2095]";
    /// setsockopt's option value, after the SYSCALL record of the call.
    pub const SOCKOPT: &str = "UNKNOWN[2096]";
    pub const FORK: &str = "UNKNOWN[2097]";
    pub const EXIT: &str = "UNKNOWN[2098]";
    pub const LOST: &str = "UNKNOWN[2099]";
    /// Where the process runs (container, pod, or host), the last record
    /// of every event: the kernel has no record for it.
    pub const ORIGIN: &str = "UNKNOWN[2094]";
}

/// The kernel's budget for one EXECVE record (`MAX_EXECVE_AUDIT_LEN`).
const EXECVE_LEN_MAX: usize = 7500;
/// The kernel's scratch buffer for an argument's field name (`abuf`), part
/// of its arithmetic for when to start a new EXECVE record.
const EXECVE_ABUF: usize = 96;
/// Terminal data per TTY record: the kernel's tty audit buffer
/// (`N_TTY_BUF_SIZE`); longer data goes out in several records.
const TTY_DATA_MAX: usize = 4096;

/// `MAP_ANONYMOUS`: the kernel writes an MMAP record only for file mappings.
const MAP_ANONYMOUS: u64 = 0x20;

/// PATH's file capability fields: the sensor does not read them.
const NO_FCAPS: &str = " cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0";

/// Appends the records of one event, each a line ending in `\n` (none for
/// a TTY event without data, which the kernel would not write either).
pub fn render(e: &Enriched, out: &mut String) {
    let mut r = Records {
        out,
        node: e.node,
        id: e.id,
    };
    match &e.decoded.event {
        Event::Exec(x) => exec(&mut r, e, x),
        Event::Socket(c) => {
            syscall(&mut r, e, c, 0, None);
            subject_proctitle(&mut r, e);
        }
        Event::Setsockopt(x) => setsockopt(&mut r, e, x),
        Event::Sockaddr(x) => sockaddr_call(&mut r, e, x),
        Event::Mmap(x) => mmap(&mut r, e, x),
        Event::Fork(x) => fork(&mut r, e, x),
        Event::Exit(x) => exit(&mut r, e, x),
        Event::Tty(x) => tty_record(&mut r, x),
        Event::Login(x) => login(&mut r, x),
        Event::Cgroup(_) => {} // never kept by the filter
        Event::Syscall(x) => generic::render(&mut r, e, x),
    }
    if !r.out.is_empty() {
        origin(&mut r, e);
    }
}

/// The ORIGIN record: `origin=container` with the container's id, runtime,
/// name, image and pod, or `origin=host` with the systemd unit; then the
/// cgroup and, when configured, the cluster. Strings as the kernel writes
/// untrusted ones; pod labels as one `key=value,…` string.
fn origin(r: &mut Records, e: &Enriched) {
    let Some(placement) = e.placement else {
        return;
    };
    r.record(kind::ORIGIN, |o| {
        match &placement.origin {
            Origin::Container {
                id,
                runtime,
                pod_uid,
            } => {
                let runtime = super::runtime_name(*runtime, e.container);
                let _ = write!(o, "origin=container container_id={id} runtime={runtime}");
                if let Some(m) = e.container {
                    field(o, "container_name", &m.name);
                    field(o, "image", &m.image);
                    field(o, "image_id", &m.image_id);
                }
                match e.container.and_then(|m| m.pod.as_deref()) {
                    Some(pod) => {
                        field(o, "pod", &pod.name);
                        field(o, "namespace", &pod.namespace);
                        field(o, "pod_uid", &pod.uid);
                        field(o, "sandbox_id", &pod.sandbox_id);
                        let labels: Vec<String> =
                            pod.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        field(o, "pod_labels", &labels.join(","));
                    }
                    None => {
                        if let Some(uid) = pod_uid {
                            field(o, "pod_uid", uid);
                        }
                    }
                }
            }
            Origin::Host { unit } => {
                o.push_str("origin=host");
                if let Some(unit) = unit {
                    field(o, "unit", unit);
                }
            }
        }
        field(o, "cgroup", &placement.path);
        if let Some(cluster) = e.cluster {
            field(o, "cluster", cluster);
        }
    });
}

/// ` name=value`, the value as an untrusted string.
fn field(o: &mut String, name: &str, value: &str) {
    let _ = write!(o, " {name}=");
    untrusted(o, value.as_bytes());
}

/// The sensor's own LOST record: `total=N` then `STAGE_KIND=N` for each
/// stage and kind with a loss (`ring_buffer_exec=43 kernel_mmap=1`).
pub fn render_lost(id: EventId, node: &str, lost: &Lost, out: &mut String) {
    let mut r = Records { out, node, id };
    r.record(kind::LOST, |o| {
        let _ = write!(o, "total={}", lost.total());
        for (stage, counts) in lost.stages() {
            for (kind, n) in counts {
                let _ = write!(o, " {stage}_{kind}={n}");
            }
        }
    });
}

/// The lines of one event.
struct Records<'a> {
    out: &'a mut String,
    node: &'a str,
    id: EventId,
}

impl Records<'_> {
    /// Writes one record: the header, the body `fields` writes, `\n`.
    fn record(&mut self, kind: &str, fields: impl FnOnce(&mut String)) {
        if !self.node.is_empty() {
            self.out.push_str("node=");
            // A space would end the field for every parser.
            self.out.extend(
                self.node
                    .chars()
                    .map(|c| if c.is_ascii_graphic() { c } else { '_' }),
            );
            self.out.push(' ');
        }
        let _ = write!(self.out, "type={kind} msg=audit({}): ", self.id);
        fields(self.out);
        self.out.push('\n');
    }
}

/// The kernel's `audit_string_contains_control`.
fn needs_hex(raw: &[u8]) -> bool {
    raw.iter()
        .any(|&b| b == b'"' || !(0x21..=0x7e).contains(&b))
}

/// The kernel's `audit_log_n_untrustedstring`.
fn untrusted(o: &mut String, raw: &[u8]) {
    if needs_hex(raw) {
        hex(o, raw);
    } else {
        quoted(o, raw);
    }
}

/// `audit_log_n_string`: in double quotes (only called on printable ASCII).
fn quoted(o: &mut String, raw: &[u8]) {
    o.push('"');
    o.extend(raw.iter().map(|&b| b as char));
    o.push('"');
}

/// `audit_log_n_hex`: upper-case, two digits a byte.
fn hex(o: &mut String, raw: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    o.reserve(raw.len() * 2);
    for &b in raw {
        o.push(DIGITS[usize::from(b >> 4)] as char);
        o.push(DIGITS[usize::from(b & 0xf)] as char);
    }
}

/// An untrusted string, or `(null)` when there is none.
fn untrusted_or_null(o: &mut String, raw: Option<&[u8]>) {
    match raw {
        Some(raw) => untrusted(o, raw),
        None => o.push_str("(null)"),
    }
}

/// The SYSCALL record of a 64-bit call.
fn syscall(r: &mut Records, e: &Enriched, call: &Call, items: u32, exe: Option<&[u8]>) {
    syscall_in(r, e, call, Arch::X86_64, items, exe)
}

/// The SYSCALL record (`audit_log_exit`, `audit_log_task_info`,
/// `audit_log_key`) of a call of `arch`. No `subj=`: the kernel writes it
/// only with an LSM.
fn syscall_in(
    r: &mut Records,
    e: &Enriched,
    call: &Call,
    arch: Arch,
    items: u32,
    exe: Option<&[u8]>,
) {
    let p = &call.process;
    let sc = &call.syscall;
    let exe = exe
        .or(e.subject.as_ref().map(|s| &s.exe[..]))
        .filter(|exe| !exe.is_empty());
    let key = e.key;
    r.record(kind::SYSCALL, |o| {
        let _ = write!(
            o,
            "arch={:x} syscall={} success={} exit={} a0={:x} a1={:x} a2={:x} a3={:x} items={items} \
             ppid={} pid={} auid={} uid={} gid={} euid={} suid={} fsuid={} egid={} sgid={} fsgid={} \
             tty={} ses={} comm=",
            crate::rules::audit_arch(arch),
            sc.nr,
            if sc.ret >= 0 { "yes" } else { "no" },
            sc.ret,
            sc.args[0],
            sc.args[1],
            sc.args[2],
            sc.args[3],
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
            p.fsgid,
            String::from_utf8_lossy(tty(&p.tty)),
            p.ses,
        );
        untrusted(o, c_str(&p.comm));
        // `audit_log_d_path_exe`: `exe=(null)` for a task without one.
        o.push_str(" exe=");
        untrusted_or_null(o, exe);
        o.push_str(" key=");
        untrusted_or_null(o, key.map(str::as_bytes));
    });
}

fn exec(r: &mut Records, e: &Enriched, x: &Exec) {
    syscall(r, e, &x.call, 1, Some(&x.exe));
    if x.success {
        let mut bodies = execve_records(&x.argv);
        // The kernel never cuts argv: where the sensor did (--argv-max), the
        // last EXECVE record says so after the last argument kept.
        if let (Some(t), Some(last)) = (&x.argv_truncated, bodies.last_mut()) {
            let _ = write!(last, " argv_kept={} argv_total={}", t.kept, t.total);
        }
        for body in bodies {
            r.record(kind::EXECVE, |o| o.push_str(&body));
        }
    }
    r.record(kind::CWD, |o| {
        o.push_str("cwd=");
        untrusted(o, &x.cwd);
    });
    r.record(kind::PATH, |o| {
        o.push_str("item=0 name=");
        untrusted(o, &x.filename);
        match &x.exe_inode {
            Some(i) if x.success => inode(o, i),
            _ => o.push_str(" nametype=UNKNOWN"),
        }
        o.push_str(NO_FCAPS);
    });
    proctitle(r, &crate::enrich::processes::proctitle(&x.argv));
}

/// A PATH item's inode fields (`audit_log_name`), `nametype` included.
fn inode(o: &mut String, i: &sensor_common::process::InodeInfo) {
    // `mode=%#ho`: octal with a leading 0, except for 0 itself.
    let mode = i.mode as u16;
    let mode = if mode == 0 {
        "0".to_owned()
    } else {
        format!("0{mode:o}")
    };
    let _ = write!(
        o,
        " inode={} dev={} mode={mode} ouid={} ogid={} rdev=00:00 nametype=NORMAL",
        i.ino,
        dev(i.dev),
        i.uid,
        i.gid,
    );
}

/// The bodies of the EXECVE records for `argv`, as the kernel's
/// `audit_log_execve_info` cuts them: `argc=N a0="ls" a1=2F746D…`; an
/// argument that does not fit in what is left of a record is written in
/// pieces (`a1_len=N a1[0]=… a1[1]=…`), over several records if need be,
/// each at most `EXECVE_LEN_MAX` bytes of arguments. An argument of
/// `EXECVE_LEN_MAX` bytes or more is always hex, `aN_len` then counting hex
/// digits. This is the kernel's loop with argv in memory for user memory.
fn execve_records(argv: &[Bytes]) -> Vec<String> {
    let len_max = EXECVE_LEN_MAX as isize;
    let abuf = EXECVE_ABUF as isize;
    let mut records = vec![format!("argc={}", argv.len())];
    let mut len_rem = len_max;
    for (arg, value) in argv.iter().enumerate() {
        // `buf[start..]` is what was fetched and not yet written.
        let mut buf: Vec<u8> = Vec::new();
        let mut start = 0;
        let mut fetched = 0;
        let mut len_full: isize = 0;
        let mut len_abuf: isize = 0;
        let mut require_data = true;
        let mut encode = false;
        let mut iter = 0;
        loop {
            if len_full == 0 {
                len_full = (value.len() - fetched) as isize;
            }
            if require_data {
                buf.drain(..start);
                start = 0;
                let room = EXECVE_LEN_MAX - buf.len();
                let left = value.len() - fetched;
                if left >= room {
                    // The argument spans buffers: hex, whatever it holds.
                    buf.extend_from_slice(&value[fetched..fetched + room]);
                    fetched += room;
                    require_data = true;
                    encode = true;
                    len_full *= 2;
                } else {
                    buf.extend_from_slice(&value[fetched..]);
                    fetched = value.len();
                    require_data = false;
                    if !encode {
                        encode = needs_hex(&buf[..left]);
                    }
                    if len_full < len_max {
                        len_full = (if encode { left * 2 } else { left }) as isize;
                    }
                }
                let len_buf = buf.len() as isize;
                len_abuf = if encode { len_buf * 2 } else { len_buf + 2 };
            }

            if abuf + 8 > len_rem {
                len_rem = len_max;
                records.push(String::new());
            }
            let o = records.last_mut().expect("one record at least");
            let name_at = o.len();
            if require_data || iter > 0 || len_abuf + abuf > len_rem {
                if iter == 0 {
                    let _ = write!(o, " a{arg}_len={len_full}");
                }
                let _ = write!(o, " a{arg}[{iter}]=");
                iter += 1;
            } else {
                let _ = write!(o, " a{arg}=");
            }
            len_rem -= (o.len() - name_at) as isize;
            let pending = &buf[start..];
            let mut len_tmp = pending.len() as isize;
            if encode {
                if len_abuf > len_rem {
                    len_tmp = len_rem / 2;
                }
                hex(o, &pending[..len_tmp as usize]);
                len_rem -= len_tmp * 2;
                len_abuf -= len_tmp * 2;
            } else {
                if len_abuf > len_rem {
                    len_tmp = len_rem - 2;
                }
                quoted(o, &pending[..len_tmp as usize]);
                len_rem -= len_tmp + 2;
                len_abuf -= len_tmp;
            }
            start += len_tmp as usize;
            if start == buf.len() && !require_data {
                break;
            }
        }
    }
    records
}

/// The kernel's `isprint`, whose ctype table is Latin-1: 0x20–0x7e and
/// 0xa0–0xff.
fn kernel_isprint(b: u8) -> bool {
    (0x20..=0x7e).contains(&b) || b >= 0xa0
}

/// PROCTITLE (`audit_log_proctitle`): the command line, arguments joined
/// by NUL (so hex as soon as there are two), without what ends it that is
/// not printable (`audit_proctitle_rtrim`). `args` is already cut at 128
/// bytes, as `enrich::processes::proctitle` cuts it.
fn proctitle(r: &mut Records, args: &[Bytes]) {
    let joined = args.iter().map(|a| &a[..]).collect::<Vec<_>>().join(&0u8);
    let len = joined
        .iter()
        .rposition(|&b| kernel_isprint(b))
        .map_or(0, |last| last + 1);
    r.record(kind::PROCTITLE, |o| {
        o.push_str("proctitle=");
        if len > 0 {
            untrusted(o, &joined[..len]);
        }
    });
}

/// PROCTITLE of the process as the table knows it (exec has its own).
fn subject_proctitle(r: &mut Records, e: &Enriched) {
    if let Some(subject) = e.subject.as_ref().filter(|s| !s.proctitle.is_empty()) {
        proctitle(r, &subject.proctitle);
    }
}

/// setsockopt: no auditd record holds the option, so it goes in a
/// `UNKNOWN[2096]` record of the same event: `level=1 optname=8 optlen=4
/// optval=41E20100` (the value in hex, at most what the kernel copied).
fn setsockopt(r: &mut Records, e: &Enriched, x: &Setsockopt) {
    syscall(r, e, &x.call, 0, None);
    let [_, level, optname, _, optlen, _] = x.call.syscall.args;
    r.record(kind::SOCKOPT, |o| {
        let _ = write!(
            o,
            "level={} optname={} optlen={} optval=",
            level as i32, optname as i32, optlen as u32
        );
        hex(o, &x.optval);
    });
    subject_proctitle(r, e);
}

fn sockaddr_call(r: &mut Records, e: &Enriched, x: &Sockaddr) {
    syscall(r, e, &x.call, 0, None);
    if !x.addr.is_empty() {
        r.record(kind::SOCKADDR, |o| {
            o.push_str("saddr=");
            hex(o, &x.addr);
        });
    }
    subject_proctitle(r, e);
}

/// mmap: MMAP only for a file mapping, as the kernel (`audit_mmap_fd` is
/// not called for MAP_ANONYMOUS). The mapped file's PATH item is the
/// sensor's addition (auditd has none for mmap); it follows the kernel's
/// order, special records before PATH.
fn mmap(r: &mut Records, e: &Enriched, x: &Mmap) {
    syscall(r, e, &x.call, x.file.is_some() as u32, None);
    let [_, _, _, flags, fd, _] = x.call.syscall.args;
    if flags & MAP_ANONYMOUS == 0 {
        r.record(kind::MMAP, |o| {
            let _ = write!(o, "fd={} flags=0x{:x}", fd as i32, flags as u32);
        });
    }
    if let Some(file) = &x.file {
        r.record(kind::PATH, |o| {
            o.push_str("item=0 name=");
            untrusted(o, &file.path);
            inode(o, &file.inode);
            o.push_str(NO_FCAPS);
        });
    }
    subject_proctitle(r, e);
}

/// The exe of the process, as the table knows it.
fn subject_exe<'a>(e: &'a Enriched) -> Option<&'a [u8]> {
    e.subject
        .as_ref()
        .map(|s| &s.exe[..])
        .filter(|exe| !exe.is_empty())
}

fn fork(r: &mut Records, e: &Enriched, x: &Fork) {
    let p = &x.parent;
    r.record(kind::FORK, |o| {
        let _ = write!(
            o,
            "ppid={} pid={} auid={} uid={} ses={} comm=",
            p.pid, x.child_pid, p.auid, p.uid, p.ses
        );
        untrusted(o, c_str(&p.comm));
        o.push_str(" exe=");
        untrusted_or_null(o, subject_exe(e));
    });
}

fn exit(r: &mut Records, e: &Enriched, x: &Exit) {
    let p = &x.process;
    r.record(kind::EXIT, |o| {
        let _ = write!(
            o,
            "pid={} ppid={} auid={} uid={} ses={} comm=",
            p.pid, p.ppid, p.auid, p.uid, p.ses
        );
        untrusted(o, c_str(&p.comm));
        o.push_str(" exe=");
        untrusted_or_null(o, subject_exe(e));
        if let Some(status) = x.status() {
            let _ = write!(o, " status={status}");
        }
        if let Some(signal) = x.signal() {
            let _ = write!(o, " signal={signal}");
        }
    });
}

/// TTY (`tty_audit_log`): the data always in hex. What the kernel cut
/// (`TRUNCATED` in JSON) has no field here.
fn tty_record(r: &mut Records, x: &Tty) {
    let p = &x.call.process;
    let kind = if x.input { kind::TTY } else { kind::TTY_OUTPUT };
    // The kernel writes no TTY record without data (and aureport --tty
    // fails on one), so an empty one writes nothing.
    for data in x.data.chunks(TTY_DATA_MAX) {
        r.record(kind, |o| {
            let _ = write!(
                o,
                "tty pid={} uid={} auid={} ses={} major={} minor={} comm=",
                p.pid, p.uid, p.auid, p.ses, x.major, x.minor
            );
            untrusted(o, c_str(&p.comm));
            o.push_str(" data=");
            hex(o, data);
        });
    }
}

/// LOGIN (`audit_log_set_loginuid`).
fn login(r: &mut Records, x: &Login) {
    let p = &x.process;
    r.record(kind::LOGIN, |o| {
        let _ = write!(
            o,
            "pid={} uid={} old-auid={} auid={} tty={} old-ses={} ses={} res={}",
            p.pid,
            p.uid,
            x.old_auid,
            p.auid,
            String::from_utf8_lossy(tty(&p.tty)),
            x.old_ses,
            p.ses,
            x.success as u8
        );
    });
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use sensor_common::{
        event::EventHeader,
        process::{InodeInfo, ProcessInfo, SyscallInfo},
        scope::CgroupKey,
    };

    use super::*;
    use crate::{
        decode::{mmap::MappedFile, Decoded},
        enrich::{
            cgroups::Placement,
            processes,
            runtime::{ContainerMeta, PodMeta},
            Names, ProcessEntry,
        },
        loss::Lost,
    };

    const NODE: &str = "node-a";

    fn id(serial: u64) -> EventId {
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

    fn process(pid: u32, comm: &str) -> ProcessInfo {
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

    fn call(pid: u32, comm: &str, nr: u32, ret: i64, args: [u64; 6]) -> Call {
        Call {
            process: process(pid, comm),
            syscall: SyscallInfo {
                nr,
                regs_ok: 1,
                ret,
                args,
            },
        }
    }

    fn argv(args: &[&[u8]]) -> Vec<Bytes> {
        args.iter().map(|a| Bytes::copy_from_slice(a)).collect()
    }

    fn entry(exe: &str, args: &[&[u8]]) -> ProcessEntry {
        ProcessEntry {
            comm: Vec::new(),
            exe: exe.as_bytes().to_vec(),
            exe_identity: None,
            ppid: 4242,
            proctitle: processes::proctitle(&argv(args)),
            ids: None,
        }
    }

    fn render_event(serial: u64, event: Event, subject: Option<ProcessEntry>) -> String {
        render_event_in(serial, event, subject, None, None)
    }

    fn render_event_in(
        serial: u64,
        event: Event,
        subject: Option<ProcessEntry>,
        placement: Option<&Placement>,
        container: Option<&ContainerMeta>,
    ) -> String {
        let decoded = Decoded {
            header: EventHeader::default(),
            event,
        };
        let names = Names::default();
        // The keys rules/default.rules gives each class.
        let key = match &decoded.event {
            Event::Exec(_) => Some("exec"),
            Event::Socket(_) | Event::Setsockopt(_) => Some("socket"),
            Event::Sockaddr(_) => Some("network"),
            Event::Mmap(_) => Some("mmap_exec"),
            _ => None,
        };
        let e = Enriched {
            decoded: &decoded,
            id: id(serial),
            key,
            node: NODE,
            names: &names,
            cluster: placement.map(|_| "prod-eu"),
            subject: subject.as_ref(),
            parent: None,
            placement,
            container,
            target: None,
        };
        let mut out = String::new();
        render(&e, &mut out);
        out
    }

    const CAT: InodeInfo = InodeInfo {
        ino: 401924,
        dev: 0xfd << 20 | 1,
        mode: 0o100755,
        uid: 0,
        gid: 0,
    };

    /// `cat "/tmp/my file" caf\xe9`: a space and a non-UTF-8 byte.
    fn exec_ok() -> Event {
        Event::Exec(Exec {
            call: call(
                4243,
                "cat",
                59,
                0,
                [0x55c094deb5c0, 0x55c094dea770, 0x55c094dbf1b0, 8, 0, 0],
            ),
            success: true,
            filename: Bytes::from_static(b"/usr/bin/cat"),
            exe: b"/usr/bin/cat".to_vec(),
            exe_inode: Some(CAT),
            cwd: b"/root".to_vec(),
            argv: argv(&[b"cat", b"/tmp/my file", b"caf\xe9"]),
            argv_truncated: None,
        })
    }

    fn exec_failed() -> Event {
        Event::Exec(Exec {
            call: call(
                4244,
                "bash",
                59,
                -2,
                [0x55d0c0a0, 0x55d0c0b0, 0x55d0c0c0, 0, 0, 0],
            ),
            success: false,
            filename: Bytes::from_static(b"/nonexistent"),
            exe: b"/usr/bin/bash".to_vec(),
            exe_inode: None,
            cwd: b"/home/alice".to_vec(),
            argv: argv(&[b"bash"]),
            argv_truncated: None,
        })
    }

    /// connect(3, 127.0.0.1:80) refused.
    fn connect() -> (Event, Option<ProcessEntry>) {
        let addr = [2, 0, 0, 80, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let event = Event::Sockaddr(Sockaddr {
            call: call(4245, "curl", 42, -111, [3, 0x7ffd5a1c2b30, 16, 0, 0, 0]),
            addr: Bytes::copy_from_slice(&addr),
        });
        let subject = entry("/usr/bin/curl", &[b"curl", b"http://127.0.0.1/"]);
        (event, Some(subject))
    }

    /// mmap(NULL, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE, 3, 0) of libc.
    fn mmap_file() -> (Event, Option<ProcessEntry>) {
        let event = Event::Mmap(Mmap {
            call: call(4246, "true", 9, 0x7f3a1c000000, [0, 4096, 5, 2, 3, 0]),
            file: Some(MappedFile {
                path: b"/usr/lib/x86_64-linux-gnu/libc.so.6".to_vec(),
                inode: InodeInfo {
                    ino: 1049,
                    dev: 0xfd << 20 | 1,
                    mode: 0o100644,
                    uid: 0,
                    gid: 0,
                },
            }),
        });
        (event, Some(entry("/usr/bin/true", &[b"true"])))
    }

    #[test]
    fn a_successful_exec_is_the_kernels_records() {
        let out = render_event(101, exec_ok(), None);
        let expected = concat!(
            "node=node-a type=SYSCALL msg=audit(1700000000.200:101): arch=c000003e syscall=59 success=yes exit=0 a0=55c094deb5c0 a1=55c094dea770 a2=55c094dbf1b0 a3=8 items=1 ppid=4242 pid=4243 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"exec\"\n",
            "node=node-a type=EXECVE msg=audit(1700000000.200:101): argc=3 a0=\"cat\" a1=2F746D702F6D792066696C65 a2=636166E9\n",
            "node=node-a type=CWD msg=audit(1700000000.200:101): cwd=\"/root\"\n",
            "node=node-a type=PATH msg=audit(1700000000.200:101): item=0 name=\"/usr/bin/cat\" inode=401924 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n",
            "node=node-a type=PROCTITLE msg=audit(1700000000.200:101): proctitle=636174002F746D702F6D792066696C6500636166E9\n",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn a_failed_exec_has_no_execve_and_an_unknown_path() {
        let out = render_event(102, exec_failed(), None);
        let expected = concat!(
            "node=node-a type=SYSCALL msg=audit(1700000000.200:102): arch=c000003e syscall=59 success=no exit=-2 a0=55d0c0a0 a1=55d0c0b0 a2=55d0c0c0 a3=0 items=1 ppid=4242 pid=4244 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"exec\"\n",
            "node=node-a type=CWD msg=audit(1700000000.200:102): cwd=\"/home/alice\"\n",
            "node=node-a type=PATH msg=audit(1700000000.200:102): item=0 name=\"/nonexistent\" nametype=UNKNOWN cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n",
            "node=node-a type=PROCTITLE msg=audit(1700000000.200:102): proctitle=\"bash\"\n",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn a_connect_has_its_sockaddr_in_hex() {
        let (event, subject) = connect();
        let out = render_event(103, event, subject);
        let expected = concat!(
            "node=node-a type=SYSCALL msg=audit(1700000000.200:103): arch=c000003e syscall=42 success=no exit=-111 a0=3 a1=7ffd5a1c2b30 a2=10 a3=0 items=0 ppid=4242 pid=4245 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"curl\" exe=\"/usr/bin/curl\" key=\"network\"\n",
            "node=node-a type=SOCKADDR msg=audit(1700000000.200:103): saddr=020000507F0000010000000000000000\n",
            "node=node-a type=PROCTITLE msg=audit(1700000000.200:103): proctitle=6375726C00687474703A2F2F3132372E302E302E312F\n",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn an_mmap_has_mmap_then_the_files_path() {
        let (event, subject) = mmap_file();
        let out = render_event(104, event, subject);
        let expected = concat!(
            "node=node-a type=SYSCALL msg=audit(1700000000.200:104): arch=c000003e syscall=9 success=yes exit=139887554592768 a0=0 a1=1000 a2=5 a3=2 items=1 ppid=4242 pid=4246 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"true\" exe=\"/usr/bin/true\" key=\"mmap_exec\"\n",
            "node=node-a type=MMAP msg=audit(1700000000.200:104): fd=3 flags=0x2\n",
            "node=node-a type=PATH msg=audit(1700000000.200:104): item=0 name=\"/usr/lib/x86_64-linux-gnu/libc.so.6\" inode=1049 dev=fd:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n",
            "node=node-a type=PROCTITLE msg=audit(1700000000.200:104): proctitle=\"true\"\n",
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn untrusted_strings_are_quoted_or_hex_as_the_kernel_decides() {
        let enc = |raw: &[u8]| {
            let mut o = String::new();
            untrusted(&mut o, raw);
            o
        };
        assert_eq!(enc(b"/usr/bin/curl"), "\"/usr/bin/curl\"");
        assert_eq!(
            enc(b"~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}"),
            "\"~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}\""
        );
        assert_eq!(enc(b""), "\"\"");
        assert_eq!(enc(b"a b"), "612062");
        assert_eq!(enc(b"say\"hi"), "736179226869");
        assert_eq!(enc(b"tab\t"), "74616209");
        assert_eq!(enc(b"\x7f"), "7F");
        assert_eq!(enc("é".as_bytes()), "C3A9");
        let mut o = String::new();
        untrusted_or_null(&mut o, None);
        assert_eq!(o, "(null)");
    }

    #[test]
    fn proctitle_drops_what_ends_it_unprintable_like_the_kernel() {
        let title = |args: &[&[u8]]| {
            let mut out = String::new();
            let mut r = Records {
                out: &mut out,
                node: "",
                id: id(1),
            };
            proctitle(&mut r, &processes::proctitle(&argv(args)));
            out.strip_prefix("type=PROCTITLE msg=audit(1700000000.200:1): proctitle=")
                .unwrap()
                .trim_end_matches('\n')
                .to_owned()
        };
        assert_eq!(title(&[b"top"]), "\"top\"");
        // The trailing newline goes, the NUL between the arguments stays.
        assert_eq!(title(&[b"printf", b"x\n"]), "7072696E74660078");
        // Latin-1 letters are printable to the kernel's isprint.
        assert_eq!(title(&[b"caf\xe9"]), "636166E9");
        assert_eq!(title(&[b"x\x85"]), "\"x\"");
        assert_eq!(title(&[b"\n"]), "");
        assert_eq!(title(&[]), "");
        // Cut at 128 bytes.
        let long = vec![b'a'; 300];
        assert_eq!(title(&[&long]), format!("\"{}\"", "a".repeat(128)));
    }

    /// Reads EXECVE records back as ausearch does: `aN=`, or `aN_len=` and
    /// the pieces `aN[i]=`, each quoted or hex.
    fn parse_execve(lines: &[&str]) -> (usize, Vec<Vec<u8>>) {
        fn value(v: &str) -> Vec<u8> {
            if let Some(q) = v.strip_prefix('"') {
                q.strip_suffix('"').unwrap().as_bytes().to_vec()
            } else {
                (0..v.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&v[i..i + 2], 16).unwrap())
                    .collect()
            }
        }
        let mut argc = 0;
        let mut args: Vec<Vec<u8>> = Vec::new();
        for line in lines {
            let body = line.split_once("): ").unwrap().1;
            for field in body.split(' ').filter(|f| !f.is_empty()) {
                let (name, v) = field.split_once('=').unwrap();
                if name == "argc" {
                    argc = v.parse().unwrap();
                    continue;
                }
                if name.ends_with("_len") {
                    continue;
                }
                let n: usize = name[1..].split('[').next().unwrap().parse().unwrap();
                if args.len() <= n {
                    args.resize(n + 1, Vec::new());
                }
                args[n].extend(value(v));
            }
        }
        (argc, args)
    }

    fn execve_lines(args: &[Vec<u8>]) -> String {
        let event = Event::Exec(Exec {
            argv: args.iter().map(|a| Bytes::from(a.clone())).collect(),
            ..match exec_ok() {
                Event::Exec(x) => x,
                _ => unreachable!(),
            }
        });
        render_event(105, event, None)
    }

    #[test]
    fn a_long_argument_is_split_as_the_kernel_splits_it() {
        let long = vec![b'a'; 20_000];
        let out = execve_lines(&[b"x".to_vec(), long.clone()]);
        let lines: Vec<&str> = out.lines().filter(|l| l.contains("type=EXECVE")).collect();
        // Longer than a record's budget: hex in pieces, a1_len in hex digits.
        assert_eq!(lines.len(), 6, "{out}");
        assert!(lines[0].contains("): argc=2 a0=\"x\" a1_len=40000 a1[0]=616161"));
        assert!(lines[1].contains(":105):  a1[1]=6161"), "{}", lines[1]);
        assert!(lines.iter().all(|l| l.len() < 7700));
        assert_eq!(parse_execve(&lines), (2, vec![b"x".to_vec(), long]));

        // Quoted, but not fitting what is left of the first record.
        let (a, b) = (vec![b'a'; 4000], vec![b'b'; 5000]);
        let out = execve_lines(&[a.clone(), b.clone()]);
        let lines: Vec<&str> = out.lines().filter(|l| l.contains("type=EXECVE")).collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains(" a1_len=5000 a1[0]=\"bbb"));
        assert!(lines[1].contains(":105):  a1[1]=\"bbb"));
        assert_eq!(parse_execve(&lines), (2, vec![a, b]));
    }

    #[test]
    fn any_argv_reads_back_whole_and_no_line_passes_8_kib() {
        // Sizes around the record budget and its margins, quoted and hex.
        let sizes = [
            0, 1, 95, 96, 104, 3700, 3749, 3750, 7398, 7400, 7402, 7499, 7500, 7501, 15000, 30001,
        ];
        for (i, &n) in sizes.iter().enumerate() {
            for fill in [b'q', b' '] {
                let args: Vec<Vec<u8>> = vec![
                    b"prog".to_vec(),
                    vec![fill; n],
                    vec![b'z'; sizes[(i + 5) % sizes.len()]],
                    Vec::new(),
                    vec![fill; 7500 - n.min(7500)],
                ];
                let out = execve_lines(&args);
                let lines: Vec<&str> = out.lines().filter(|l| l.contains("type=EXECVE")).collect();
                assert!(out.lines().all(|l| l.len() <= 8192), "{n}");
                assert_eq!(parse_execve(&lines), (args.len(), args.clone()), "{n}");
            }
        }
        // No arguments at all.
        let out = execve_lines(&[]);
        assert!(out.contains("type=EXECVE msg=audit(1700000000.200:105): argc=0\n"));
    }

    #[test]
    fn a_process_the_table_does_not_know_has_exe_null_and_no_proctitle() {
        let event = Event::Socket(call(4247, "nc", 41, 3, [2, 1, 6, 0, 0, 0]));
        let out = render_event(106, event, None);
        assert_eq!(
            out,
            "node=node-a type=SYSCALL msg=audit(1700000000.200:106): arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=1 a2=6 a3=0 items=0 ppid=4242 pid=4247 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"nc\" exe=(null) key=\"socket\"\n"
        );
    }

    #[test]
    fn an_anonymous_mapping_has_no_mmap_record() {
        let event = Event::Mmap(Mmap {
            call: call(4246, "node", 9, 0x7f00, [0, 4096, 7, 0x22, u64::MAX, 0]),
            file: None,
        });
        let out = render_event(107, event, Some(entry("/usr/bin/node", &[b"node"])));
        let types: Vec<&str> = out.lines().map(|l| l.split(' ').nth(1).unwrap()).collect();
        assert_eq!(types, ["type=SYSCALL", "type=PROCTITLE"]);
        assert!(out.contains(" a2=7 a3=22 items=0 "));
    }

    fn setsockopt_event() -> (Event, Option<ProcessEntry>) {
        let event = Event::Setsockopt(Setsockopt {
            call: call(4248, "python3", 54, 0, [3, 1, 8, 0x7ffc0010, 4, 0]),
            optval: Bytes::from_static(&[0x41, 0xe2, 0x01, 0x00]),
        });
        (
            event,
            Some(entry("/usr/bin/python3", &[b"python3", b"-c", b"x"])),
        )
    }

    fn tty_event(input: bool, data: &[u8]) -> Event {
        Event::Tty(Tty {
            call: call(4249, "bash", 0, 0, [0; 6]),
            major: 136,
            minor: 0,
            input,
            data: Bytes::copy_from_slice(data),
            total: data.len() as u32,
        })
    }

    fn login_event() -> Event {
        let mut p = process(4250, "sshd");
        p.tty = [0; 32];
        Event::Login(Login {
            process: p,
            old_auid: u32::MAX,
            old_ses: u32::MAX,
            success: true,
        })
    }

    fn fork_event() -> Event {
        Event::Fork(Fork {
            parent: process(4242, "bash"),
            child_pid: 4251,
        })
    }

    fn exit_event() -> Event {
        Event::Exit(Exit {
            process: process(4251, "bash"),
            exit_code: 42 << 8,
        })
    }

    fn lost() -> Lost {
        // Lost is filled by the loss monitor only; its fields are private.
        Lost::default()
    }

    #[test]
    fn the_other_classes() {
        let (event, subject) = setsockopt_event();
        let out = render_event(108, event, subject);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("type=SYSCALL") && lines[0].contains(" syscall=54 "));
        assert_eq!(
            lines[1],
            "node=node-a type=UNKNOWN[2096] msg=audit(1700000000.200:108): level=1 optname=8 optlen=4 optval=41E20100"
        );
        assert_eq!(
            lines[2],
            "node=node-a type=PROCTITLE msg=audit(1700000000.200:108): proctitle=707974686F6E33002D630078"
        );

        assert_eq!(
            render_event(109, tty_event(true, b"ls\r"), None),
            "node=node-a type=TTY msg=audit(1700000000.200:109): tty pid=4249 uid=0 auid=1000 ses=3 major=136 minor=0 comm=\"bash\" data=6C730D\n"
        );
        assert_eq!(
            render_event(110, tty_event(false, b"ok\n"), None),
            "node=node-a type=UNKNOWN[2095] msg=audit(1700000000.200:110): tty pid=4249 uid=0 auid=1000 ses=3 major=136 minor=0 comm=\"bash\" data=6F6B0A\n"
        );
        assert_eq!(render_event(111, tty_event(true, b""), None), "");
        let big = render_event(111, tty_event(true, &[b'x'; 4097]), None);
        assert_eq!(big.lines().count(), 2);
        assert!(big.lines().all(|l| l.len() < 8400));

        assert_eq!(
            render_event(112, login_event(), None),
            "node=node-a type=LOGIN msg=audit(1700000000.200:112): pid=4250 uid=0 old-auid=4294967295 auid=1000 tty=(none) old-ses=4294967295 ses=3 res=1\n"
        );
        assert_eq!(
            render_event(113, fork_event(), Some(entry("/usr/bin/bash", &[b"bash"]))),
            "node=node-a type=UNKNOWN[2097] msg=audit(1700000000.200:113): ppid=4242 pid=4251 auid=1000 uid=0 ses=3 comm=\"bash\" exe=\"/usr/bin/bash\"\n"
        );
        assert_eq!(
            render_event(114, exit_event(), None),
            "node=node-a type=UNKNOWN[2098] msg=audit(1700000000.200:114): pid=4251 ppid=4242 auid=1000 uid=0 ses=3 comm=\"bash\" exe=(null) status=42\n"
        );
        let mut out = String::new();
        render_lost(id(115), "node a", &lost(), &mut out);
        assert_eq!(
            out,
            "node=node_a type=UNKNOWN[2099] msg=audit(1700000000.200:115): total=0\n"
        );
    }

    /// One event of every class, for ausearch and aureport.
    const CONTAINER_ID: &str = "4c3f1e0d9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d";
    const POD_UID: &str = "7d1f9a36-1c2b-4b5e-9f0e-2a3b4c5d6e7f";

    fn in_a_pod() -> (Placement, ContainerMeta) {
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

    fn on_the_host() -> Placement {
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

    #[test]
    fn origin_record_of_a_pod_container_and_of_a_host_unit() {
        let (pod, container) = in_a_pod();
        let out = render_event_in(101, exec_ok(), None, Some(&pod), Some(&container));
        let origin = out.lines().last().unwrap();
        assert_eq!(
            origin,
            format!(
                "node=node-a type=UNKNOWN[2094] msg=audit(1700000000.200:101): origin=container \
                 container_id={CONTAINER_ID} runtime=containerd container_name=\"nginx\" \
                 image=\"docker.io/library/nginx:1.27\" image_id=\"sha256:{b2}\" pod=\"web-7f9c\" \
                 namespace=\"shop\" pod_uid=\"{POD_UID}\" sandbox_id=\"{a1}\" \
                 pod_labels=6170703D7765622C746965723D66726F6E7420656E64 \
                 cgroup=\"/kubepods/besteffort/pod{POD_UID}/{CONTAINER_ID}\" cluster=\"prod-eu\"",
                b2 = "b2".repeat(32),
                a1 = "a1".repeat(32),
            )
        );
        let (event, subject) = connect();
        let out = render_event_in(103, event, subject, Some(&on_the_host()), None);
        assert!(out.ends_with(
            "type=UNKNOWN[2094] msg=audit(1700000000.200:103): origin=host unit=\"ssh.service\" \
             cgroup=\"/system.slice/ssh.service\" cluster=\"prod-eu\"\n"
        ), "{out}");
    }

    fn sample() -> String {
        let mut out = String::new();
        let (pod, container) = in_a_pod();
        out += &render_event_in(101, exec_ok(), None, Some(&pod), Some(&container));
        out += &render_event(102, exec_failed(), None);
        let (event, subject) = connect();
        out += &render_event_in(103, event, subject, Some(&on_the_host()), None);
        let (event, subject) = mmap_file();
        out += &render_event(104, event, subject);
        out += &execve_lines(&[b"x".to_vec(), vec![b'a'; 20_000], b"two words".to_vec()]);
        let (event, subject) = setsockopt_event();
        out += &render_event(108, event, subject);
        out += &render_event(109, tty_event(true, b"ls\r"), None);
        out += &render_event(110, tty_event(false, b"ok\n"), None);
        out += &render_event(111, tty_event(true, &[b'x'; 4096]), None);
        out += &render_event(112, login_event(), None);
        out += &render_event(113, fork_event(), None);
        out += &render_event(114, exit_event(), None);
        render_lost(id(115), NODE, &lost(), &mut out);
        out
    }

    /// Set SENSOR_AUDITD_SAMPLE=FILE to write the sample out.
    #[test]
    fn every_line_of_the_sample_is_a_whole_record() {
        let sample = sample();
        for line in sample.lines() {
            assert!(line.starts_with("node=node-a type="), "{line}");
            assert!(line.contains(" msg=audit(1700000000.200:1"), "{line}");
            assert!(line.len() <= 8400, "{}", line.len());
        }
        if let Ok(path) = std::env::var("SENSOR_AUDITD_SAMPLE") {
            std::fs::write(path, &sample).unwrap();
        }
    }

    /// ausearch and aureport (Debian's auditd package) read the sample:
    /// `cargo test -p sensor render::auditd -- --ignored`.
    #[test]
    // ausearch and aureport come with auditd, which `cargo xtask setup` installs.
    fn ausearch_and_aureport_read_the_sample() {
        let path = std::env::temp_dir().join(format!("sensor-auditd-{}.log", std::process::id()));
        std::fs::write(&path, sample()).unwrap();
        let run = |tool: &str, args: &[&str]| {
            let out = std::process::Command::new(tool)
                .arg("-if")
                .arg(&path)
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("{tool}: {e}"));
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{tool} {args:?}: {stderr}{stdout}");
            assert!(stderr.is_empty(), "{tool} {args:?}: {stderr}");
            stdout
        };
        let raw = run("ausearch", &["--format", "raw"]);
        let mut expected: Vec<&str> = sample_lines();
        let mut got: Vec<&str> = raw.lines().collect();
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
        let interpreted = run("ausearch", &["-i"]);
        assert!(interpreted.contains("syscall=execve"));
        assert!(interpreted.contains("proctitle=cat /tmp/my file"));
        assert!(interpreted.contains("a1=/tmp/my file"));
        assert!(interpreted.contains("saddr={ saddr_fam=inet laddr=127.0.0.1 lport=80 }"));
        let exec = run("ausearch", &["-k", "exec", "--format", "raw"]);
        assert!(exec.contains(":101): ") && exec.contains(":102): ") && exec.contains(":105): "));
        assert!(!exec.contains(":103): "));
        let pid = run("ausearch", &["-p", "4243", "--format", "raw"]);
        assert!(pid.contains(":101): ") && pid.contains(":105): "));
        assert!(!pid.contains(":102): "));
        let sc = run("ausearch", &["-sc", "execve", "--format", "raw"]);
        assert!(sc.contains(":101): ") && sc.contains(":102): "));
        let sc = run("ausearch", &["-sc", "setsockopt", "--format", "raw"]);
        assert_eq!(sc.lines().count(), 3);
        let fork = run("ausearch", &["-m", "UNKNOWN[2097]", "--format", "raw"]);
        assert_eq!(fork.lines().count(), 1);
        // The ORIGIN record stays part of its event.
        let origin = run("ausearch", &["-m", "UNKNOWN[2094]", "--format", "raw"]);
        assert!(origin.contains(":101): ") && origin.contains(":103): "));
        assert!(exec.contains(":101): origin=container"));
        assert!(interpreted.contains("pod=\"web-7f9c\"") || interpreted.contains("pod=web-7f9c"));
        run("ausearch", &["--format", "text"]);
        run("aureport", &[]);
        let x = run("aureport", &["-x"]);
        assert!(x.contains("/usr/bin/cat") && x.contains("/usr/bin/curl"));
        run("aureport", &["--tty"]);
        std::fs::remove_file(&path).unwrap();
    }

    /// The EXECVE and PROCTITLE records of every exec in a real audit.log
    /// (`log_format = RAW`) come out the same from the arguments they hold:
    /// `SENSOR_REAL_AUDIT_LOG=FILE cargo test -p sensor render::auditd -- --ignored`.
    #[test]
    #[ignore = "needs an audit.log of the real auditd in SENSOR_REAL_AUDIT_LOG"]
    fn execve_and_proctitle_match_a_real_audit_log() {
        let Ok(path) = std::env::var("SENSOR_REAL_AUDIT_LOG") else {
            return;
        };
        let log = std::fs::read_to_string(path).unwrap();
        let mut events: Vec<(&str, Vec<&str>)> = Vec::new();
        for line in log.lines() {
            let Some(at) = line.find("msg=audit(") else {
                continue;
            };
            let id = &line[at..line[at..].find(')').unwrap() + at];
            // Records of events on other CPUs may come in between.
            match events.iter_mut().rev().find(|(other, _)| *other == id) {
                Some((_, lines)) => lines.push(line),
                None => events.push((id, vec![line])),
            }
        }
        let pid_of = |line: &str| {
            let at = line.find(" pid=").unwrap() + 5;
            line[at..].split(' ').next().unwrap().to_owned()
        };
        let (mut checked, mut proctitles) = (0, 0);
        let mut first_of_pid = std::collections::HashSet::new();
        for (_, lines) in &events {
            let Some(syscall) = lines.iter().find(|l| l.contains("type=SYSCALL ")) else {
                continue;
            };
            let seen_before = !first_of_pid.insert(pid_of(syscall));
            let execve: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.contains("type=EXECVE "))
                .collect();
            if execve.is_empty() {
                continue;
            }
            let (argc, args) = parse_execve(&execve);
            assert_eq!(argc, args.len());
            let args: Vec<Bytes> = args.into_iter().map(Bytes::from).collect();
            let bodies: Vec<String> = execve
                .iter()
                .map(|l| l.split_once("): ").unwrap().1.to_owned())
                .collect();
            assert_eq!(execve_records(&args), bodies);
            checked += 1;
            // The kernel keeps a task's PROCTITLE from its first logged
            // event: an exec that is not the first shows the old one.
            if seen_before {
                continue;
            }
            let real = lines
                .iter()
                .find(|l| l.contains("type=PROCTITLE "))
                .unwrap();
            let mut out = String::new();
            let mut r = Records {
                out: &mut out,
                node: "",
                id: id(1),
            };
            proctitle(&mut r, &processes::proctitle(&args));
            assert_eq!(
                out.split_once("): ").unwrap().1.trim_end(),
                real.split_once("): ").unwrap().1
            );
            proctitles += 1;
        }
        assert!(checked > 0);
        eprintln!("{checked} EXECVE and {proctitles} PROCTITLE records match");
    }

    fn sample_lines() -> Vec<&'static str> {
        Box::leak(sample().into_boxed_str()).lines().collect()
    }
}
