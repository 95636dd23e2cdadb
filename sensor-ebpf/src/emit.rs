//! Stamping headers and writing records to the ring buffer.

use aya_ebpf::helpers::generated::bpf_get_smp_processor_id;
use sensor_common::event::{EventHeader, EventKind};

use crate::maps::{EVENTS, SEQ};

/// Stamps the header at the start of `record` and writes its first `len`
/// bytes (at most `max`) to the ring buffer. The sequence number is taken
/// before the write, so a record the ring buffer had no room for leaves a gap
/// the reader counts as lost.
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
    let seq = SEQ.get_ptr_mut(0).ok_or(-1)?;
    header.kind = kind as u16;
    header.flags = 0;
    header.size = len as u32;
    header.cpu = unsafe { bpf_get_smp_processor_id() };
    header.ts_boot_ns = ts_boot_ns;
    unsafe {
        header.seq = *seq;
        *seq += 1;
    }
    let record =
        unsafe { core::slice::from_raw_parts((header as *const EventHeader).cast::<u8>(), len) };
    EVENTS.output::<[u8]>(record, 0)
}
