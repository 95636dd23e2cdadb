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
//! Where the lines still differ from the kernel's: PROCTITLE is the command
//! line of the process at the event, where the kernel keeps the one of a
//! task's first logged event for the task's life (so after a failed exec,
//! as in a `$PATH` search, the kernel's exec record shows the caller's
//! command line); terminal data the sensor cut is not marked; a value the
//! sensor could not read (a file's capabilities when the file changed
//! after the exec) is `?`.

mod generic;

use std::fmt::Write;

use bytes::Bytes;
use sensor_common::process::InodeInfo;

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
    enrich::{caps::BprmFcaps, cgroup::Origin, exec::PathItem, files::FileCaps, Enriched, EventId},
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
    pub const BPRM_FCAPS: &str = "BPRM_FCAPS";
    /// Terminal output: the kernel's TTY records hold only what is typed,
    /// and `aureport --tty` shows TTY data as keystrokes, so output is kept
    /// apart, with TTY's fields.
    pub const TTY_OUTPUT: &str = "UNKNOWN[2095]";
    /// setsockopt's option value, after the SYSCALL record of the call.
    pub const SOCKOPT: &str = "UNKNOWN[2096]";
    pub const FORK: &str = "UNKNOWN[2097]";
    pub const EXIT: &str = "UNKNOWN[2098]";
    pub const LOST: &str = "UNKNOWN[2099]";
    /// The file an mmap maps, after its MMAP record: the kernel's record
    /// names none.
    pub const MMAP_FILE: &str = "UNKNOWN[2093]";
    /// Where the process runs (container, pod, or host), the last record
    /// of every event: the kernel has no record for it.
    pub const ORIGIN: &str = "UNKNOWN[2094]";
    /// A runtime session's start (`kubectl exec`): the kernel knows no
    /// sessions.
    pub const SESSION_START: &str = "UNKNOWN[2092]";
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
            syscall(&mut r, e, c, 0, None, e.key);
            subject_proctitle(&mut r, e);
        }
        Event::Setsockopt(x) => setsockopt(&mut r, e, x),
        Event::Sockaddr(x) => sockaddr_call(&mut r, e, x),
        Event::Mmap(x) => mmap(&mut r, e, x),
        Event::Fork(x) => fork(&mut r, e, x),
        Event::Exit(x) => exit(&mut r, e, x),
        Event::Tty(x) => tty_record(&mut r, e, x),
        Event::Login(x) => login(&mut r, e, x),
        Event::Cgroup(_) => {} // never kept by the filter
        Event::Syscall(x) => generic::render(&mut r, e, x),
        Event::UserMsg(x) => super::usermsg::auditd(&mut r, e, x),
        Event::SessionCandidate(x) => super::session::auditd_start(&mut r, e, x),
        Event::Kernel(x) => super::kernel_record::auditd(&mut r, x),
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
        super::session::auditd_origin(o, e);
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
pub(crate) struct Records<'a> {
    out: &'a mut String,
    node: &'a str,
    id: EventId,
}

impl Records<'_> {
    /// Writes one record: the header, the body `fields` writes, `\n`.
    pub(crate) fn record(&mut self, kind: &str, fields: impl FnOnce(&mut String)) {
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
pub(crate) fn untrusted(o: &mut String, raw: &[u8]) {
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
pub(crate) fn syscall(
    r: &mut Records,
    e: &Enriched,
    call: &Call,
    items: usize,
    exe: Option<&[u8]>,
    key: Option<&str>,
) {
    syscall_in(r, e, call, Arch::X86_64, items, exe, key)
}

/// The SYSCALL record (`audit_log_exit`, `audit_log_task_info`,
/// `audit_log_key`) of a call of `arch`. No `subj=`: the kernel writes it
/// only with an LSM.
fn syscall_in(
    r: &mut Records,
    e: &Enriched,
    call: &Call,
    arch: Arch,
    items: usize,
    exe: Option<&[u8]>,
    key: Option<&str>,
) {
    let p = &call.process;
    let sc = &call.syscall;
    let exe = exe
        .or(e.subject.as_ref().map(|s| &s.exe[..]))
        .filter(|exe| !exe.is_empty());
    r.record(kind::SYSCALL, |o| {
        let _ = write!(
            o,
            "arch={:x} syscall={}",
            crate::rules::audit_arch(arch),
            sc.nr,
        );
        if call.returned {
            let success = if sc.ret >= 0 { "yes" } else { "no" };
            let _ = write!(o, " success={success} exit={}", sc.ret);
        }
        let _ = write!(
            o,
            " a0={:x} a1={:x} a2={:x} a3={:x} items={items} \
             ppid={} pid={} auid={} uid={} gid={} euid={} suid={} fsuid={} egid={} sgid={} fsgid={} \
             tty={} ses={} comm=",
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

/// An exec, in the kernel's order: SYSCALL, BPRM_FCAPS, EXECVE, CWD, a
/// PATH record per file the exec opened, PROCTITLE.
fn exec(r: &mut Records, e: &Enriched, x: &Exec) {
    let paths = e.exec.map_or(&[][..], |f| &f.paths[..]);
    syscall(r, e, &x.call, paths.len(), Some(&x.exe), e.key);
    if let Some(b) = e.exec.and_then(|f| f.bprm_fcaps.as_ref()) {
        bprm_fcaps(r, b);
    }
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
    for (i, item) in paths.iter().enumerate() {
        r.record(kind::PATH, |o| path_item(o, i, item));
    }
    proctitle(r, &crate::enrich::processes::proctitle(&x.argv));
}

/// `mode=%#ho`: octal with a leading 0, except for 0 itself.
fn mode(mode: u32) -> String {
    match mode as u16 {
        0 => "0".to_owned(),
        mode => format!("0{mode:o}"),
    }
}

/// An exec's PATH record: a file it opened, or the name a failed one
/// could not look up.
fn path_item(o: &mut String, i: usize, item: &PathItem) {
    let nametype = if item.inode.is_some() {
        "NORMAL"
    } else {
        "UNKNOWN"
    };
    path_record(
        o,
        i,
        item.name.as_deref(),
        item.inode.as_ref(),
        nametype,
        item.caps.as_ref(),
    );
}

/// One PATH record (`audit_log_name`, `audit_log_fcaps`); `caps` None
/// when the file could not be read as the kernel recorded it.
fn path_record(
    o: &mut String,
    i: usize,
    name: Option<&[u8]>,
    inode: Option<&InodeInfo>,
    nametype: &str,
    caps: Option<&FileCaps>,
) {
    let _ = write!(o, "item={i} name=");
    untrusted_or_null(o, name);
    if let Some(n) = inode {
        let _ = write!(
            o,
            " inode={} dev={} mode={} ouid={} ogid={} rdev={}",
            n.ino,
            dev(n.dev),
            mode(n.mode),
            n.uid,
            n.gid,
            dev(n.rdev),
        );
    }
    let _ = write!(o, " nametype={nametype}");
    match caps {
        Some(c) => {
            cap(o, "cap_fp", c.permitted);
            cap(o, "cap_fi", c.inheritable);
            let _ = write!(
                o,
                " cap_fe={} cap_fver={:x} cap_frootid={}",
                c.effective as u8, c.version, c.rootid
            );
        }
        None => o.push_str(" cap_fp=? cap_fi=? cap_fe=? cap_fver=? cap_frootid=?"),
    }
}

/// ` NAME=SET` (`audit_log_cap`): 0, or 16 hex digits.
fn cap(o: &mut String, name: &str, set: u64) {
    if set == 0 {
        let _ = write!(o, " {name}=0");
    } else {
        let _ = write!(o, " {name}={set:016x}");
    }
}

/// BPRM_FCAPS (`audit_log_exit`'s AUDIT_BPRM_FCAPS case).
fn bprm_fcaps(r: &mut Records, b: &BprmFcaps) {
    r.record(kind::BPRM_FCAPS, |o| {
        let file: Option<&FileCaps> = b.file.as_ref();
        match file {
            Some(c) => {
                let _ = write!(o, "fver={:x}", c.version);
                cap(o, "fp", c.permitted);
                cap(o, "fi", c.inheritable);
                let _ = write!(o, " fe={}", c.effective as u8);
            }
            None => o.push_str("fver=? fp=? fi=? fe=?"),
        }
        for (name, set) in ["old_pp", "old_pi", "old_pe", "old_pa"].iter().zip(b.old) {
            cap(o, name, set);
        }
        for (name, set) in ["pp", "pi", "pe", "pa"].iter().zip(b.new) {
            cap(o, name, set);
        }
        match file {
            Some(c) => {
                let _ = write!(o, " frootid={}", c.rootid);
            }
            None => o.push_str(" frootid=?"),
        }
    });
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
pub(crate) fn subject_proctitle(r: &mut Records, e: &Enriched) {
    if let Some(subject) = e.subject.as_ref().filter(|s| !s.proctitle.is_empty()) {
        proctitle(r, &subject.proctitle);
    }
}

/// setsockopt: no auditd record holds the option, so it goes in a
/// `UNKNOWN[2096]` record of the same event: `level=1 optname=8 optlen=4
/// optval=41E20100` (the value in hex, at most what the kernel copied).
fn setsockopt(r: &mut Records, e: &Enriched, x: &Setsockopt) {
    syscall(r, e, &x.call, 0, None, e.key);
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
    syscall(r, e, &x.call, 0, None, e.key);
    if !x.addr.is_empty() {
        r.record(kind::SOCKADDR, |o| {
            o.push_str("saddr=");
            hex(o, &x.addr);
        });
    }
    subject_proctitle(r, e);
}

/// mmap: MMAP only for a file mapping, as the kernel (`audit_mmap_fd` is
/// not called for MAP_ANONYMOUS). The mapped file follows in a
/// `UNKNOWN[2093]` record (the kernel's names none): `name=… inode=…
/// dev=… mode=… ouid=… ogid=…`.
fn mmap(r: &mut Records, e: &Enriched, x: &Mmap) {
    syscall(r, e, &x.call, 0, None, e.key);
    let [_, _, _, flags, fd, _] = x.call.syscall.args;
    if flags & MAP_ANONYMOUS == 0 {
        r.record(kind::MMAP, |o| {
            let _ = write!(o, "fd={} flags=0x{:x}", fd as i32, flags as u32);
        });
    }
    if let Some(file) = &x.file {
        let i = &file.inode;
        r.record(kind::MMAP_FILE, |o| {
            o.push_str("name=");
            untrusted(o, &file.path);
            let _ = write!(
                o,
                " inode={} dev={} mode={} ouid={} ogid={}",
                i.ino,
                dev(i.dev),
                mode(i.mode),
                i.uid,
                i.gid
            );
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

/// TTY (`tty_audit_log`): the data always in hex, then the read's (or
/// write's) SYSCALL record (`key=(null)`) and PROCTITLE, as the kernel
/// writes them for a record made inside the call. What the kernel cut
/// (`TRUNCATED` in JSON) has no field here.
fn tty_record(r: &mut Records, e: &Enriched, x: &Tty) {
    let p = &x.call.process;
    let kind = if x.input { kind::TTY } else { kind::TTY_OUTPUT };
    // The kernel writes no TTY record without data (and aureport --tty
    // fails on one), so an empty one writes nothing.
    if x.data.is_empty() {
        return;
    }
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
    syscall(r, e, &x.call, 0, None, None);
    subject_proctitle(r, e);
}

/// LOGIN (`audit_log_set_loginuid`), then the SYSCALL record of the
/// write it came from (no rule chose it: `key=(null)`) and its PROCTITLE.
fn login(r: &mut Records, e: &Enriched, x: &Login) {
    let p = &x.call.process;
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
            x.success() as u8
        );
    });
    syscall(r, e, &x.call, 0, None, None);
    subject_proctitle(r, e);
}

#[cfg(test)]
mod tests;
