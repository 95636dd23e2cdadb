//! Maps and the globals userspace fills in before load.

use aya_ebpf::{
    macros::map,
    maps::{Array, LruHashMap, PerCpuArray, RingBuf},
};
use sensor_common::{
    config::SensorConfig,
    exec::{ExecEvent, DATA_CAP},
    offsets::KernelOffsets,
};

use crate::syscall::Pending;

#[unsafe(no_mangle)]
pub static CONFIG: SensorConfig = SensorConfig::zeroed();

#[unsafe(no_mangle)]
pub static OFFSETS: KernelOffsets = KernelOffsets::zeroed();

/// Reads one field of a global; volatile so the compiler cannot fold the
/// zero it was compiled with (userspace rewrites it before load).
macro_rules! global {
    ($global:ident . $field:ident) => {
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!($crate::maps::$global.$field)) }
    };
}
pub(crate) use global;

/// Every record goes here. Userspace resizes it before load (`--ring-buffer-size`).
#[map]
pub static EVENTS: RingBuf = RingBuf::with_byte_size(4 * 1024 * 1024, 0);

/// Per-CPU sequence numbers (see `EventHeader::seq`).
#[map]
pub static SEQ: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// Where an exec record is assembled before output.
#[repr(C)]
pub struct ExecScratch {
    pub event: ExecEvent,
    pub data: [u8; DATA_CAP],
    /// The path walk's write position. Kept in map memory on purpose: the
    /// verifier does not track its value, so every loop iteration starts
    /// from the same state after one bounds check and states prune, instead
    /// of multiplying with each path through the loop body.
    pub cursor: u64,
}

/// Exec records are too large for the stack and for a per-CPU value
/// (32 KiB at most), so this is a plain array indexed by CPU id; userspace
/// sets max_entries to the number of possible CPUs.
#[map]
pub static EXEC_SCRATCH: Array<ExecScratch> = Array::with_max_entries(1, 0);

/// Syscall arguments saved at entry, by thread id, until the syscall's exit.
#[map]
pub static PENDING: LruHashMap<u32, Pending> = LruHashMap::with_max_entries(16384, 0);
