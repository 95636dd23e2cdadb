//! Terminal I/O records (`sensor_common::tty`).

use anyhow::Result;
use bytes::Bytes;
use sensor_common::tty::{TtyEvent, INPUT};

use super::{read_struct, Call, Trailer};

pub struct Tty {
    pub call: Call,
    pub major: u32,
    pub minor: u32,
    pub input: bool,
    pub data: Bytes,
    /// Bytes the call moved; more than `data` holds when cut (per record
    /// in the kernel, per session and second by the filter stage).
    pub total: u32,
}

pub fn decode(raw: Bytes) -> Result<Tty> {
    let e: TtyEvent = read_struct(&raw)?;
    let data = Trailer::after::<TtyEvent>(raw).take(e.data_len, "tty data")?;
    Ok(Tty {
        call: Call::new(e.process, e.syscall),
        major: e.major,
        minor: e.minor,
        input: e.direction == INPUT,
        data,
        total: e.data_total,
    })
}
