//! Stage 3, decode: raw ring-buffer records into typed events, one module
//! per event family (mirroring `sensor-ebpf/src/probes`). Kernel data is
//! validated, never trusted: a malformed record is an error, not a panic.

pub mod cgroup;
pub mod exec;
pub mod generic;
pub mod kernel_record;
pub mod lifecycle;
pub mod login;
pub mod mmap;
pub mod net;
pub mod session;
pub mod tty;
pub mod usermsg;

use anyhow::{ensure, Result};
use bytes::Bytes;
use sensor_common::{
    event::{EventHeader, EventKind},
    process::{ProcessInfo, SyscallInfo},
};

pub enum Event {
    /// Boxed: it is much the largest.
    Exec(Box<exec::Exec>),
    Socket(Call),
    Setsockopt(net::Setsockopt),
    Sockaddr(net::Sockaddr),
    Mmap(mmap::Mmap),
    Fork(lifecycle::Fork),
    Exit(lifecycle::Exit),
    Tty(tty::Tty),
    Login(login::Login),
    Cgroup(cgroup::CgroupMade),
    /// Any other syscall a rule names.
    Syscall(generic::Syscall),
    UserMsg(usermsg::UserMsg),
    SessionCandidate(session::Candidate),
    /// One of the kernel's own records (`kernel_feed`), never from the ring.
    Kernel(kernel_record::KernelRecord),
}

/// The subject and the syscall of a SYSCALL record.
pub struct Call {
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
    /// False for a call that never returns (exit, exit_group): its record
    /// has no success and exit, and rules on them do not match it.
    pub returned: bool,
}

impl Call {
    /// The call with its return as the kernel's audit logs and matches it
    /// (`audit_return_fixup`): a restart code that signal delivery turns
    /// into EINTR or a restart (-ERESTARTSYS to -ERESTART_RESTARTBLOCK,
    /// but -ENOIOCTLCMD) is -EINTR; the tracepoint shows the raw code.
    pub fn new(process: ProcessInfo, mut syscall: SyscallInfo) -> Self {
        const ERESTARTSYS: i64 = 512;
        const ENOIOCTLCMD: i64 = 515;
        const ERESTART_RESTARTBLOCK: i64 = 516;
        const EINTR: i64 = 4;
        if (-ERESTART_RESTARTBLOCK..=-ERESTARTSYS).contains(&syscall.ret)
            && syscall.ret != -ENOIOCTLCMD
        {
            syscall.ret = -EINTR;
        }
        Self {
            process,
            syscall,
            returned: true,
        }
    }
}

pub struct Decoded {
    pub header: EventHeader,
    pub event: Event,
}

impl Event {
    /// The process the event is about (for forks, the parent).
    pub fn process(&self) -> &ProcessInfo {
        match self {
            Event::Exec(e) => &e.call.process,
            Event::Socket(c) => &c.process,
            Event::Setsockopt(e) => &e.call.process,
            Event::Sockaddr(e) => &e.call.process,
            Event::Mmap(e) => &e.call.process,
            Event::Fork(e) => &e.parent,
            Event::Exit(e) => &e.process,
            Event::Tty(e) => &e.call.process,
            Event::Login(e) => &e.call.process,
            Event::Cgroup(e) => &e.process,
            Event::Syscall(e) => &e.call.process,
            Event::UserMsg(e) => &e.call.process,
            Event::SessionCandidate(e) => &e.process,
            Event::Kernel(e) => &e.process,
        }
    }
}

pub fn decode(raw: Bytes) -> Result<Decoded> {
    let header: EventHeader = read_struct(&raw)?;
    ensure!(
        header.size as usize == raw.len(),
        "record size {} does not match its header's {}",
        raw.len(),
        header.size
    );
    let kind = EventKind::from_u16(header.kind);
    let event = match kind {
        Some(EventKind::Exec) => Event::Exec(Box::new(exec::decode(raw)?)),
        Some(EventKind::Socket) => Event::Socket(net::decode_call(&raw)?),
        Some(EventKind::Setsockopt) => Event::Setsockopt(net::decode_setsockopt(raw)?),
        Some(EventKind::Sockaddr) => Event::Sockaddr(net::decode_sockaddr(raw)?),
        Some(EventKind::Mmap) => Event::Mmap(mmap::decode(raw)?),
        Some(EventKind::Fork) => Event::Fork(lifecycle::decode_fork(&raw)?),
        Some(EventKind::Exit) => Event::Exit(lifecycle::decode_exit(&raw)?),
        Some(EventKind::Tty) => Event::Tty(tty::decode(raw)?),
        Some(EventKind::Login) => Event::Login(login::decode(&raw)?),
        Some(EventKind::Syscall) => Event::Syscall(generic::decode(raw)?),
        Some(EventKind::Cgroup) => Event::Cgroup(cgroup::decode(raw)?),
        Some(EventKind::UserMsg) => Event::UserMsg(usermsg::decode(raw)?),
        Some(EventKind::SessionCandidate) => Event::SessionCandidate(session::decode(raw)?),
        Some(EventKind::KernelRecord) | None => {
            anyhow::bail!("unknown event kind {}", header.kind)
        }
    };
    Ok(Decoded { header, event })
}

/// Reads a `#[repr(C)]` ABI struct from the start of `raw`.
pub fn read_struct<T: Copy>(raw: &[u8]) -> Result<T> {
    ensure!(
        raw.len() >= std::mem::size_of::<T>(),
        "record of {} bytes is shorter than {} ({} bytes)",
        raw.len(),
        std::any::type_name::<T>(),
        std::mem::size_of::<T>()
    );
    // SAFETY: the length is checked and every ABI struct is plain integers,
    // valid for any bit pattern; the read is unaligned-safe.
    Ok(unsafe { std::ptr::read_unaligned(raw.as_ptr().cast::<T>()) })
}

/// The first `len` bytes of the `cap`-byte array field at `offset` in the
/// record, as a slice of it (no copy).
pub fn field(raw: &Bytes, offset: usize, cap: usize, len: u32, what: &str) -> Result<Bytes> {
    ensure!(
        len as usize <= cap,
        "{what}: length {len} exceeds its {cap} bytes"
    );
    ensure!(offset + cap <= raw.len(), "{what}: the record is too short");
    Ok(raw.slice(offset..offset + len as usize))
}

/// The variable data after a record's fixed part `T`, split into fields
/// of the given lengths.
pub struct Trailer {
    data: Bytes,
}

impl Trailer {
    pub fn after<T>(raw: Bytes) -> Self {
        Self {
            data: raw.slice(std::mem::size_of::<T>().min(raw.len())..),
        }
    }

    pub fn take(&mut self, len: u32, what: &str) -> Result<Bytes> {
        ensure!(
            len as usize <= self.data.len(),
            "{what} of {len} bytes overruns the record"
        );
        Ok(self.data.split_to(len as usize))
    }
}

/// A NUL-terminated string as the kernel wrote it, without its NUL.
pub fn c_str(raw: &[u8]) -> &[u8] {
    raw.iter().position(|&b| b == 0).map_or(raw, |n| &raw[..n])
}

/// What starts a path the kernel side could not walk to the root.
pub const TRUNCATED_PATH: &[u8] = b"...";

/// What a path walk left: components leaf first, each NUL-terminated.
/// A walk that stopped before the root (`truncated`: deeper than the
/// kernel side walks, mounts included, or longer than a path) gives the
/// end of the path after `...`, so it never reads as a whole one: the
/// kernel itself never prints a partial path (it writes `<too_long>`), and
/// a name that is not absolute never matches a rule as one.
pub fn join_path(components: &[u8], deleted: bool, truncated: bool) -> Vec<u8> {
    let mut path = Vec::with_capacity(components.len() + 4);
    if truncated {
        path.extend_from_slice(TRUNCATED_PATH);
    }
    for c in components
        .split(|&b| b == 0)
        .rev()
        .filter(|c| !c.is_empty())
    {
        path.push(b'/');
        path.extend_from_slice(c);
    }
    if path.is_empty() {
        path.push(b'/');
    }
    if deleted {
        path.extend_from_slice(b" (deleted)");
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_code_is_logged_as_eintr() {
        let ret = |ret: i64| {
            let process: ProcessInfo = unsafe { core::mem::zeroed() };
            let syscall = SyscallInfo {
                nr: 34,
                regs_ok: 1,
                ret,
                args: [0; 6],
            };
            Call::new(process, syscall).syscall.ret
        };
        // -ERESTARTNOHAND: a pause ended by a signal.
        assert_eq!(ret(-514), -4);
        assert_eq!(ret(-512), -4);
        assert_eq!(ret(-516), -4);
        // -ENOIOCTLCMD and the codes around the range stay.
        assert_eq!(ret(-515), -515);
        assert_eq!(ret(-511), -511);
        assert_eq!(ret(-517), -517);
        assert_eq!(ret(-2), -2);
    }

    #[test]
    fn paths_are_rebuilt_from_leaf_first_components() {
        assert_eq!(
            join_path(b"curl\0bin\0usr\0", false, false),
            b"/usr/bin/curl"
        );
        assert_eq!(join_path(b"", false, false), b"/");
        assert_eq!(join_path(b"memfd:x\0", true, false), b"/memfd:x (deleted)");
        // Cut by the walk: the end of the path, never a whole one.
        assert_eq!(
            join_path(b"sudo\0bin\0usr\0", false, true),
            b".../usr/bin/sudo"
        );
    }

    #[test]
    fn truncated_and_unknown_records_are_errors_not_panics() {
        assert!(decode(Bytes::from_static(&[1, 0])).is_err());
        let mut header = [0u8; 32];
        header[0] = 200; // unknown kind
        header[4] = 32; // size
        assert!(decode(Bytes::copy_from_slice(&header)).is_err());
        header[0] = 2; // socket, but no body
        assert!(decode(Bytes::copy_from_slice(&header)).is_err());
        header[4] = 33; // size disagrees with the record
        assert!(decode(Bytes::copy_from_slice(&header)).is_err());
    }
}
