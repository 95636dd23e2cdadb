//! Userspace audit messages: what PAM, sshd, sudo, su, login, the shadow
//! tools and systemd send to the kernel's audit netlink socket
//! (`NETLINK_AUDIT`) with sendto(2) or sendmsg(2). They are sent whether or
//! not auditd runs, and the kernel drops them while its audit is disabled,
//! so they are caught from the sending side, at the call's exit.
//!
//! The record carries what the kernel itself would add (the sender's pid,
//! uid, auid, ses, from the task), the sending call, and the netlink
//! messages as sent: userspace parses them (`nlmsghdr` + text), applies the
//! kernel's own checks (types, capability) and never takes an identity
//! from their content. Followed by `data_len` bytes of the sent buffer.

use crate::{
    event::EventHeader,
    process::{ProcessInfo, SyscallInfo},
};

/// The kernel logs at most `AUDIT_MESSAGE_TEXT_MAX` (8560) bytes of a
/// message's text; with its 16-byte `nlmsghdr` and room to spare.
pub const DATA_CAP: usize = 8704;
/// A power of two above `DATA_CAP`, for the verifier's masks.
pub const DATA_MASK: u64 = 16384 - 1;

/// `sizeof(struct sockaddr_nl)`.
pub const SOCKADDR_NL_LEN: usize = 12;

/// `UserMsgEvent::flags`
pub mod flags {
    /// The sender's effective capabilities have CAP_AUDIT_WRITE.
    pub const CAP_AUDIT_WRITE: u32 = 1 << 0;
    /// The sender runs in the initial user namespace (the kernel refuses
    /// messages from any other with ECONNREFUSED).
    pub const INIT_USER_NS: u32 = 1 << 1;
    /// The call named a destination address (`dest`); without one the
    /// socket's default, the kernel, is the destination.
    pub const HAS_DEST: u32 = 1 << 2;
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct UserMsgEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    /// sendto(2) or sendmsg(2), with its arguments and return value.
    pub syscall: SyscallInfo,
    /// The destination `sockaddr_nl` when the call named one.
    pub dest: [u8; SOCKADDR_NL_LEN],
    pub flags: u32,
    /// Bytes of the sent buffer in the record (at most `DATA_CAP`).
    pub data_len: u32,
    /// Bytes the call sent.
    pub data_total: u32,
    pub _pad: u32,
}

const _: () = assert!(core::mem::size_of::<UserMsgEvent>() == 256);

/// The user message programs (`sensor-ebpf/src/probes/usermsg.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(sys_exit_sendto, sys_exit_sendmsg,);
}
