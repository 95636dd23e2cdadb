//! Stamping headers and writing records to the ring buffer.
//!
//! Every record the ring buffer had no room for is counted in `DROPS` by
//! kind, and its sequence number is already taken, so the reader sees the
//! gap: nothing is lost silently. Both writers return `Ok` after counting a
//! drop, so the caller does not count it again as an error.

use aya_ebpf::helpers::generated::bpf_get_smp_processor_id;
use sensor_common::event::{EventHeader, EventKind};

use crate::maps::{DROPS, EVENTS, SEQ};

fn stamp(
    header: &mut EventHeader,
    kind: EventKind,
    ts_boot_ns: u64,
    len: usize,
) -> Result<(), i32> {
    let seq = SEQ.get_ptr_mut(0).ok_or(-1)?;
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
    Ok(())
}

fn count_drop(kind: EventKind) {
    if let Some(n) = DROPS.get_ptr_mut(kind as u32) {
        unsafe { *n += 1 };
    }
}

/// Writes a record assembled in place: the first `len` bytes (at most
/// `max`) from `header`.
#[inline(always)]
pub fn output(
    header: &mut EventHeader,
    kind: EventKind,
    ts_boot_ns: u64,
    len: usize,
    max: usize,
) -> Result<(), i32> {
    if len > max {
        return Err(-22);
    }
    stamp(header, kind, ts_boot_ns, len)?;
    let record =
        unsafe { core::slice::from_raw_parts((header as *const EventHeader).cast::<u8>(), len) };
    if EVENTS.output::<[u8]>(record, 0).is_err() {
        count_drop(kind);
    }
    Ok(())
}

/// Reserves a fixed-size record `T` (whose first field is its header) in
/// the ring buffer, lets `fill` write it, and submits it.
#[inline(always)]
pub fn reserved<T: 'static>(
    kind: EventKind,
    ts_boot_ns: u64,
    fill: impl FnOnce(&mut T) -> Result<(), i32>,
) -> Result<(), i32> {
    let Some(mut entry) = EVENTS.reserve::<T>(0) else {
        // Take the number anyway, so the reader sees the gap.
        let mut header = EventHeader::default();
        stamp(&mut header, kind, ts_boot_ns, 0)?;
        count_drop(kind);
        return Ok(());
    };
    let record = unsafe { &mut *entry.as_mut_ptr() };
    match fill(record) {
        Ok(()) => {
            let header = unsafe { &mut *(record as *mut T).cast::<EventHeader>() };
            stamp(header, kind, ts_boot_ns, core::mem::size_of::<T>())?;
            entry.submit(0);
            Ok(())
        }
        Err(e) => {
            entry.discard(0);
            Err(e)
        }
    }
}
