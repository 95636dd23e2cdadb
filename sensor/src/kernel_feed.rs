//! The kernel's own audit records (LSM decisions, seccomp actions, core
//! dumps, changes to the audit subsystem itself), read from the audit
//! netlink socket's read-only multicast group (`AUDIT_NLGRP_READLOG`,
//! CAP_AUDIT_READ). Any number of readers may join it beside auditd, and
//! joining changes nothing of the kernel's audit configuration.
//!
//! Which records the kernel makes at all depends on its audit being
//! enabled (measured on 6.18): SECCOMP and the LSMs' AVC/APPARMOR records
//! are made with it disabled; ANOM_ABEND, ANOM_PROMISCUOUS, CONFIG_CHANGE
//! and FEATURE_CHANGE only while it is enabled (by auditd).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use tokio::io::unix::AsyncFd;

use crate::decode::kernel_record::{self, KernelRecord};

/// `AUDIT_NLGRP_READLOG`, as a group bit.
const READLOG_GROUP: u32 = 1;
const AUDIT_GET: u16 = 1000;
const NLMSG_HDRLEN: usize = 16;

/// The types the kernel makes only while its audit is enabled.
pub const NEED_AUDIT_ENABLED: &[&str] = &[
    "ANOM_ABEND",
    "ANOM_PROMISCUOUS",
    "CONFIG_CHANGE",
    "FEATURE_CHANGE",
];

fn audit_socket(flags: i32) -> Result<OwnedFd> {
    // SAFETY: plain syscalls on a new descriptor, owned below.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC | flags,
            libc::NETLINK_AUDIT,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error()).context("opening an audit netlink socket");
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn bind(fd: &OwnedFd, groups: u32) -> std::io::Result<()> {
    // SAFETY: a zeroed sockaddr_nl is valid; the fd is open.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as u16;
    addr.nl_groups = groups;
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const addr).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

pub struct KernelFeed {
    fd: AsyncFd<OwnedFd>,
    buf: Vec<u8>,
    /// Times the socket overflowed (ENOBUFS): at least one record lost each.
    pub overflows: u64,
}

/// Whether the sensor is in the host's network namespace, where the
/// kernel multicasts its records: kthreadd's (pid 2 with hostPID, a
/// kernel thread: always in the initial one), else pid 1's. None when it
/// cannot tell (neither readable: no hostPID).
fn in_host_netns() -> Option<bool> {
    let link = |path| std::fs::read_link(path).ok();
    let own = link("/proc/self/ns/net")?;
    let init = link("/proc/2/ns/net").or_else(|| link("/proc/1/ns/net"))?;
    Some(own == init)
}

/// A socket in the multicast group; an error says what is missing.
fn join() -> Result<OwnedFd> {
    let host = in_host_netns();
    if host.is_none() {
        log::warn!(
            "cannot tell whether the sensor is in the host's network namespace (no hostPID?): \
             the kernel's own audit records are multicast there alone"
        );
    }
    if host == Some(false) {
        bail!(
            "the sensor is not in the host's network namespace (kthreadd's): the kernel \
             multicasts its own audit records (SECCOMP, AVC, ANOM_ABEND…) there alone; run it \
             with hostNetwork (and hostPID) to write them"
        );
    }
    let fd = audit_socket(libc::SOCK_NONBLOCK)?;
    if let Err(e) = bind(&fd, READLOG_GROUP) {
        bail!(
            "joining the audit netlink's read-only multicast group: {e} (it needs \
             CAP_AUDIT_READ, and a kernel with CONFIG_AUDIT): the kernel's own records \
             (SECCOMP, AVC, ANOM_ABEND…) are not written"
        );
    }
    Ok(fd)
}

impl KernelFeed {
    /// Joins the multicast group (in a Tokio runtime).
    pub fn open() -> Result<Self> {
        let fd = join()?;
        // Room for a burst (the kernel drops, and says so, past it):
        // beyond rmem_max with CAP_NET_ADMIN, else as much as allowed.
        let size: libc::c_int = 4 << 20;
        for option in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
            // SAFETY: a valid option value for an open socket.
            let rc = unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    option,
                    (&raw const size).cast(),
                    std::mem::size_of::<libc::c_int>() as u32,
                )
            };
            if rc == 0 {
                break;
            }
        }
        // SAFETY: the OwnedFd keeps the socket open for as long as the
        // AsyncFd holds it.
        let fd = unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
            .map_err(std::io::Error::from)
            .context("polling the audit netlink socket")?;
        Ok(Self {
            fd,
            buf: vec![0; 1 << 16],
            overflows: 0,
        })
    }

    /// Waits for records, then reads all there are: those of the kinds
    /// written (`kernel_record::type_name`).
    pub async fn read(&mut self, out: &mut Vec<KernelRecord>) -> Result<()> {
        let mut guard = self.fd.readable().await?;
        loop {
            let fd = guard.get_inner().as_raw_fd();
            // SAFETY: the buffer is ours and as long as said.
            let n = unsafe { libc::recv(fd, self.buf.as_mut_ptr().cast(), self.buf.len(), 0) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EAGAIN) => {
                        guard.clear_ready();
                        return Ok(());
                    }
                    Some(libc::ENOBUFS) => {
                        self.overflows += 1;
                        continue;
                    }
                    Some(libc::EINTR) => continue,
                    _ => return Err(e).context("reading the kernel's audit records"),
                }
            }
            let data = &self.buf[..n as usize];
            // One record per datagram: its header, then its text.
            if data.len() < NLMSG_HDRLEN {
                continue;
            }
            let len = (u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize)
                .clamp(NLMSG_HDRLEN, data.len());
            let kind = u16::from_le_bytes([data[4], data[5]]);
            if kernel_record::type_name(kind).is_some() {
                let payload = Bytes::copy_from_slice(&data[NLMSG_HDRLEN..len]);
                out.extend(kernel_record::decode(kind, payload));
            }
        }
    }
}

/// The kernel's audit state (`AUDIT_GET`): enabled (0, 1, 2 locked) and
/// the audit daemon's pid. A query only; None when not allowed (it needs
/// CAP_AUDIT_CONTROL in the initial pid namespace).
pub fn audit_status() -> Option<(u32, u32)> {
    let fd = audit_socket(0).ok()?;
    let mut req = [0u8; NLMSG_HDRLEN];
    req[..4].copy_from_slice(&(NLMSG_HDRLEN as u32).to_le_bytes());
    req[4..6].copy_from_slice(&AUDIT_GET.to_le_bytes());
    req[6..8].copy_from_slice(&1u16.to_le_bytes()); // NLM_F_REQUEST
                                                    // SAFETY: valid buffers on an open socket; the timeout bounds the wait.
    unsafe {
        let timeout = libc::timeval {
            tv_sec: 1,
            tv_usec: 0,
        };
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw const timeout).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        );
        if libc::send(fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) < 0 {
            return None;
        }
        let mut answer = [0u8; 256];
        let n = libc::recv(fd.as_raw_fd(), answer.as_mut_ptr().cast(), answer.len(), 0);
        let kind = u16::from_le_bytes([answer[4], answer[5]]);
        // struct audit_status: mask, enabled, failure, pid, …
        if n < (NLMSG_HDRLEN + 16) as isize || kind != AUDIT_GET {
            return None;
        }
        let word = |i: usize| {
            let at = NLMSG_HDRLEN + 4 * i;
            u32::from_le_bytes([answer[at], answer[at + 1], answer[at + 2], answer[at + 3]])
        };
        Some((word(1), word(3)))
    }
}

/// What `sensor check` says of the kernel's records.
pub fn describe() -> Result<String> {
    drop(join()?);
    let needs = NEED_AUDIT_ENABLED.join(", ");
    Ok(match audit_status() {
        Some((0, _)) => format!(
            "the audit multicast group is readable; the kernel's audit is disabled: SECCOMP and \
             LSM (AVC, APPARMOR) records are written, {needs} are not made by the kernel until \
             its audit is enabled (auditd -s enable, or audit=1 at boot)"
        ),
        Some((_, pid)) => format!(
            "the audit multicast group is readable; the kernel's audit is enabled (audit daemon \
             pid {pid}): SECCOMP, LSM, {needs} records are written"
        ),
        None => format!(
            "the audit multicast group is readable; whether the kernel's audit is enabled is \
             unknown here (AUDIT_GET needs CAP_AUDIT_CONTROL): {needs} are made only while it is"
        ),
    })
}
