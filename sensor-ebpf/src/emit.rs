//! Stamping headers and writing records to the ring buffer.
//!
//! Every record is assembled in this CPU's scratch area and copied into the
//! ring with one `bpf_ringbuf_output`: no ring-buffer reservation is ever
//! held across the work of assembling it, which older verifiers cannot
//! follow through every path, and the traced process pays one helper call
//! instead of a reserve and a submit.
//!
//! Every record the ring buffer had no room for is counted in `DROPS` by
//! kind, and its sequence number is already taken, so the reader sees the
//! gap: nothing is lost silently. `output` returns `Ok` after counting a
//! drop, so the caller does not count it again as an error.

use aya_ebpf::helpers::generated::bpf_get_smp_processor_id;
use sensor_common::{
    event::{EventHeader, EventKind},
    exec::RECORD_MAX,
};

use crate::{
    copy,
    maps::{Scratch, DROPS, SEQ},
};

/// Bounds a record's length for the verifier (see `RECORD_MAX`).
const LEN_MASK: usize = RECORD_MAX - 1;

/// Writes the record assembled in `s`: its fixed part `T`, whose first
/// field is its header, then `data_len` bytes of its data.
#[inline(always)]
pub fn output<T>(
    s: &mut Scratch<T>,
    kind: EventKind,
    ts_boot_ns: u64,
    data_len: usize,
) -> Result<(), i32> {
    let seq = SEQ.get_ptr_mut(0).ok_or(-1)?;
    let len = (core::mem::size_of::<T>() + data_len) & LEN_MASK;
    let header = unsafe { &mut *(&mut s.event as *mut T).cast::<EventHeader>() };
    header.kind = kind as u16;
    header.flags = 0;
    header.size = len as u32;
    header.cpu = unsafe { bpf_get_smp_processor_id() };
    header._pad = 0;
    header.ts_boot_ns = ts_boot_ns;
    unsafe {
        header.seq = *seq;
        *seq += 1;
    }
    let record = (header as *const EventHeader).cast();
    if !copy::to_ring::<{ LEN_MASK as u64 }>(record, len as u64) {
        if let Some(n) = DROPS.get_ptr_mut(kind as u32) {
            unsafe { *n += 1 };
        }
    }
    Ok(())
}
