//! Socket calls: socket, setsockopt, and the calls that carry an address
//! (connect, accept, accept4, bind).

use crate::{
    event::EventHeader,
    process::{ProcessInfo, SyscallInfo},
};

/// A SYSCALL record and nothing else (socket(2)).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SyscallEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
}

const _: () = assert!(core::mem::size_of::<SyscallEvent>() == 224);

/// Option values kept per setsockopt (longer ones are cut, `optval_len`
/// still says how long it was).
pub const OPTVAL_CAP: usize = 256;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SetsockoptEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
    /// Bytes of the value in `optval` (at most `OPTVAL_CAP`).
    pub optval_len: u32,
    pub _pad: u32,
    pub optval: [u8; OPTVAL_CAP],
}

const _: () = assert!(core::mem::size_of::<SetsockoptEvent>() == 488);

/// `sizeof(struct sockaddr_storage)`.
pub const SOCKADDR_CAP: usize = 128;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SockaddrEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
    /// Bytes of address in `addr`; 0 when the call carried none (accept
    /// with a NULL address).
    pub addr_len: u32,
    pub _pad: u32,
    pub addr: [u8; SOCKADDR_CAP],
}

const _: () = assert!(core::mem::size_of::<SockaddrEvent>() == 360);

/// The socket programs (`sensor-ebpf/src/probes/net.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(
        sys_exit_socket,
        sys_exit_setsockopt,
        sys_enter_connect,
        sys_exit_connect,
        sys_enter_accept,
        sys_exit_accept,
        sys_enter_accept4,
        sys_exit_accept4,
        sys_exit_bind,
    );
}
