//! Maps and the globals userspace fills in before load.

use aya_ebpf::{
    macros::map,
    maps::{Array, HashMap, LruHashMap, PerCpuArray, RingBuf},
};
use sensor_common::{
    config::SensorConfig,
    event::KIND_SLOTS,
    exec::{ExecEvent, DATA_CAP},
    offsets::KernelOffsets,
    rules::{KernelRule, KernelRulesMeta, KERNEL_RULES_MAX},
    scope::{CgroupKey, SCOPE_EXCLUDED_MAX},
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

/// Records the ring buffer had no room for, per CPU, by event kind.
#[map]
pub static DROPS: PerCpuArray<u64> = PerCpuArray::with_max_entries(KIND_SLOTS, 0);

/// Events the programs failed to assemble (a kernel read failed), by kind.
#[map]
pub static ERRORS: PerCpuArray<u64> = PerCpuArray::with_max_entries(KIND_SLOTS, 0);

/// Where a variable-length record (`T` then data) is assembled before output.
#[repr(C)]
pub struct Scratch<T> {
    pub event: T,
    pub data: [u8; DATA_CAP],
    /// The path walk's write position. Kept in map memory on purpose: the
    /// verifier does not track its value, so every loop iteration starts
    /// from the same state after one bounds check and states prune, instead
    /// of multiplying with each path through the loop body.
    pub cursor: u64,
}

/// Too large for the stack and for a per-CPU value (32 KiB at most), so a
/// plain array indexed by CPU id; userspace sets max_entries to the number
/// of possible CPUs. Its value is sized for the largest record head.
#[map]
pub static SCRATCH: Array<Scratch<ExecEvent>> = Array::with_max_entries(1, 0);

/// This CPU's scratch area, laid out for a `T` record.
#[inline(always)]
pub fn scratch<T>() -> Option<&'static mut Scratch<T>> {
    const { assert!(core::mem::size_of::<T>() <= core::mem::size_of::<ExecEvent>()) };
    let cpu = unsafe { aya_ebpf::helpers::generated::bpf_get_smp_processor_id() };
    let s = SCRATCH.get_ptr_mut(cpu)?;
    Some(unsafe { &mut *s.cast::<Scratch<T>>() })
}

/// Syscall arguments saved at entry, by thread id, until the syscall's exit.
#[map]
pub static PENDING: LruHashMap<u32, Pending> = LruHashMap::with_max_entries(16384, 0);

/// The audit rules' kernel prefilter (`sensor_common::rules`), written by
/// userspace at start and on SIGHUP.
#[map]
pub static RULES: Array<KernelRule> = Array::with_max_entries(KERNEL_RULES_MAX as u32, 0);

#[map]
pub static RULES_META: Array<KernelRulesMeta> = Array::with_max_entries(1, 0);

/// Cgroups out of scope (`--exclude`), added by userspace as it learns
/// which container or host unit each cgroup holds.
#[map]
pub static SCOPE_EXCLUDED: HashMap<CgroupKey, u8> =
    HashMap::with_max_entries(SCOPE_EXCLUDED_MAX, 0);
