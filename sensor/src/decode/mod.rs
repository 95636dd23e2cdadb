//! Stage 3, decode: raw ring-buffer records into typed events. Kernel data
//! is validated, never trusted: a malformed record is an error, not a panic.

pub mod exec;

use anyhow::{bail, ensure, Result};
use bytes::Bytes;
use sensor_common::event::{EventHeader, EventKind};

pub enum Event {
    Exec(exec::Exec),
}

pub struct Decoded {
    pub header: EventHeader,
    pub event: Event,
}

pub fn decode(raw: Bytes) -> Result<Decoded> {
    let header: EventHeader = read_struct(&raw)?;
    ensure!(
        header.size as usize == raw.len(),
        "record size {} does not match its header's {}",
        raw.len(),
        header.size
    );
    let event = match EventKind::from_u16(header.kind) {
        Some(EventKind::Exec) => Event::Exec(exec::decode(raw)?),
        None => bail!("unknown event kind {}", header.kind),
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

/// A NUL-terminated string as the kernel wrote it, without its NUL.
pub fn c_str(raw: &[u8]) -> &[u8] {
    raw.iter().position(|&b| b == 0).map_or(raw, |n| &raw[..n])
}
