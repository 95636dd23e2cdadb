//! socket, setsockopt, connect/accept/accept4/bind records
//! (`sensor_common::net`).

use std::mem::offset_of;

use anyhow::Result;
use bytes::Bytes;
use sensor_common::net::{SetsockoptEvent, SockaddrEvent, SyscallEvent, OPTVAL_CAP, SOCKADDR_CAP};

use super::{field, read_struct, Call};

pub struct Setsockopt {
    pub call: Call,
    /// The option value (at most `OPTVAL_CAP` bytes of it).
    pub optval: Bytes,
}

pub struct Sockaddr {
    pub call: Call,
    /// The raw `struct sockaddr`, empty when the call carried none.
    pub addr: Bytes,
}

pub fn decode_call(raw: &[u8]) -> Result<Call> {
    let e: SyscallEvent = read_struct(raw)?;
    Ok(Call::new(e.process, e.syscall))
}

pub fn decode_setsockopt(raw: Bytes) -> Result<Setsockopt> {
    let e: SetsockoptEvent = read_struct(&raw)?;
    let at = offset_of!(SetsockoptEvent, optval);
    Ok(Setsockopt {
        optval: field(&raw, at, OPTVAL_CAP, e.optval_len, "setsockopt value")?,
        call: Call::new(e.process, e.syscall),
    })
}

pub fn decode_sockaddr(raw: Bytes) -> Result<Sockaddr> {
    let e: SockaddrEvent = read_struct(&raw)?;
    let at = offset_of!(SockaddrEvent, addr);
    Ok(Sockaddr {
        addr: field(&raw, at, SOCKADDR_CAP, e.addr_len, "socket address")?,
        call: Call::new(e.process, e.syscall),
    })
}
