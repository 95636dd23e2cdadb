//! Maps and the globals userspace fills in before load.
//!
//! The verifiers of older kernels (5.10-6.12) allow 512 bytes of stack for
//! a whole chain of calls, so records, saved arguments and the values the
//! filter compares are assembled in per-CPU map memory, never on the stack.

use aya_ebpf::{
    helpers::generated::bpf_get_smp_processor_id,
    macros::map,
    maps::{Array, HashMap, LruHashMap, PerCpuArray, ProgramArray, RingBuf},
};
use sensor_common::{
    config::SensorConfig,
    event::KIND_SLOTS,
    exec::DATA_CAP,
    generic::{PathCopy, SyscallSpec},
    offsets::KernelOffsets,
    rules::{field, KernelPredicate, KernelRange, KernelRulesMeta, KERNEL_PREDICATES_MAX, SLOTS},
    scope::{CgroupKey, SCOPE_EXCLUDED_MAX},
    tail::{self, WALKS_MAX},
};

/// Declares a map or global userspace finds by name, under its name in
/// `sensor_common::maps` (see `names!` there): one without a name there
/// does not compile.
macro_rules! shared {
    ($($(#[$($attr:tt)*])* pub static $name:ident: $ty:ty = $init:expr;)*) => {
        $(
            $(#[$($attr)*])*
            pub static $name: $ty = $init;
            const _: &str = sensor_common::maps::$name;
        )*
    };
}

shared! {
    #[unsafe(no_mangle)]
    pub static CONFIG: SensorConfig = SensorConfig::zeroed();

    #[unsafe(no_mangle)]
    pub static OFFSETS: KernelOffsets = KernelOffsets::zeroed();
}

/// Reads one field of a global; volatile so the compiler cannot fold the
/// zero it was compiled with (userspace rewrites it before load).
macro_rules! global {
    ($global:ident . $field:ident) => {
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!($crate::maps::$global.$field)) }
    };
}
pub(crate) use global;

/// Reads a word of map memory the verifier is not to track (a loop's
/// carried state: see `WalkState`).
#[inline(always)]
pub fn get(field: *const u64) -> u64 {
    unsafe { field.read_volatile() }
}

/// Writes a word of map memory the verifier is not to track.
#[inline(always)]
pub fn set(field: *mut u64, value: u64) {
    unsafe { field.write_volatile(value) }
}

shared! {
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
}

/// Where a path walk is (`path::walk`). Kept in map memory on purpose: the
/// verifier does not track these values, so every turn of the walk's loop
/// starts from the same state, and states prune instead of multiplying
/// with each way through the loop's body.
#[repr(C)]
pub struct WalkState {
    pub dentry: u64,
    pub vfsmnt: u64,
    pub mount: u64,
    /// Write position in the record's data, and where the data starts in
    /// the scratch value (after the record's fixed part, whose size the
    /// `walk` program, shared by every kind of record, does not know).
    pub pos: u64,
    pub data_at: u64,
    /// Non-zero once the walk reached the root.
    pub complete: u64,
    /// The walks an event queued for the `walk` program (`path::queue`),
    /// how many, the next to do, and the program to continue in after
    /// them (a `sensor_common::tail` slot).
    pub jobs: [WalkJob; WALKS_MAX],
    pub count: u64,
    pub next: u64,
    pub then: u64,
    /// The event's kind (for the error count) and time, kept across the
    /// tail calls.
    pub kind: u64,
    pub ts_boot_ns: u64,
}

/// One queued path walk and, once walked, what it wrote.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct WalkJob {
    /// A `struct path` and the root to stop at (another).
    pub path: u64,
    pub root: u64,
    pub len: u64,
    pub truncated: u64,
    pub deleted: u64,
}

shared! {
    /// The programs others continue in (`sensor_common::tail`): tracepoint
    /// programs in `TAILS`, raw tracepoint programs in `RAW_TAILS` (a program
    /// can only continue in one of its own type).
    #[map]
    pub static TAILS: ProgramArray = ProgramArray::with_max_entries(tail::SLOTS as u32, 0);

    #[map]
    pub static RAW_TAILS: ProgramArray = ProgramArray::with_max_entries(tail::SLOTS as u32, 0);
}

/// Largest fixed part of a record assembled in the scratch area.
pub const HEAD_MAX: usize = 1024;

/// Where a record (`T` then data) is assembled before output.
#[repr(C)]
pub struct Scratch<T> {
    pub walk: WalkState,
    pub event: T,
    pub data: [u8; DATA_CAP],
}

/// The scratch value as the map holds it: room for any record head.
type ScratchValue = Scratch<[u64; HEAD_MAX / 8]>;

shared! {
    /// Too large for the stack and for a per-CPU value (32 KiB at most), so a
    /// plain array indexed by CPU id; userspace sets max_entries to the number
    /// of possible CPUs.
    #[map]
    pub static SCRATCH: Array<ScratchValue> = Array::with_max_entries(1, 0);
}

/// This CPU's scratch area, laid out for a `T` record.
#[inline(always)]
pub fn scratch<T>() -> Result<&'static mut Scratch<T>, i32> {
    const { assert!(core::mem::size_of::<T>() <= HEAD_MAX) };
    let cpu = unsafe { bpf_get_smp_processor_id() };
    let s = SCRATCH.get_ptr_mut(cpu).ok_or(-1)?;
    Ok(unsafe { &mut *s.cast::<Scratch<T>>() })
}

/// What a syscall's entry leaves for its exit (`syscall` saves it in
/// `PENDING` and takes it into `Work::pending`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Pending {
    pub ts_boot_ns: u64,
    pub nr: u32,
    pub regs_ok: u32,
    pub args: [u64; 6],
    /// What the entry found out, for classes that decide there (which
    /// terminal direction, a login), and a value it saved.
    pub mark: u32,
    /// The caller's real uid and capability sets at entry (an exec's
    /// "before"; see `sensor_common::exec::ExecCreds`).
    pub uid: u32,
    pub saved: u64,
    pub caps: [u64; 4],
    /// The call's return value, once it has returned.
    pub ret: i64,
}

// `Pending::mark`: one value per class that decides at its entry (0: none).

/// A read or write on a terminal (`probes::tty`).
pub const MARK_TTY: u32 = 1;
/// A write to loginuid (`probes::login`).
pub const MARK_LOGIN: u32 = 2;
/// A 32-bit call (`probes::generic`).
pub const MARK_COMPAT: u32 = 3;

/// Smaller per-CPU working state.
#[repr(C)]
pub struct Work {
    /// What a syscall's entry saves, or its exit takes (`syscall`).
    pub pending: Pending,
    /// A copy of a task's saved user registers (`struct pt_regs`), or
    /// another block of kernel words a program scans (an auxiliary
    /// vector, a maple tree node's pivots).
    pub regs: [u64; REGS_SLOTS],
    /// What a loop carries from one turn to the next (see `WalkState`
    /// for why in map memory).
    pub cursor: [u64; 4],
}

/// `struct pt_regs` is 168 bytes on x86-64; a power of two bounds reads
/// from it by masking.
pub const REGS_SLOTS: usize = 64;

#[map]
pub static WORK: PerCpuArray<Work> = PerCpuArray::with_max_entries(1, 0);

#[inline(always)]
pub fn work() -> Result<&'static mut Work, i32> {
    let w = WORK.get_ptr_mut(0).ok_or(-1)?;
    Ok(unsafe { &mut *w })
}

/// The filter's field values, by field id (`filter`).
#[map]
pub static VALUES: PerCpuArray<[u64; field::SLOTS]> = PerCpuArray::with_max_entries(1, 0);

shared! {
    /// What the generic programs do for each syscall slot (`generic`).
    #[map]
    pub static SPECS: Array<SyscallSpec> = Array::with_max_entries(SLOTS, 0);
}

/// Path arguments copied at a call's entry, by thread id, until its exit.
/// Fewer than threads can be in calls at once: one lost to the LRU is
/// read at exit instead (and the record says so).
#[map]
pub static PATHS_PENDING: LruHashMap<u32, PathCopy> = LruHashMap::with_max_entries(1024, 0);

/// Where the entry assembles its copy.
#[map]
pub static PATH_STAGE: PerCpuArray<PathCopy> = PerCpuArray::with_max_entries(1, 0);

/// Syscall arguments saved at entry, by thread id, until the syscall's exit.
#[map]
pub static PENDING: LruHashMap<u32, Pending> = LruHashMap::with_max_entries(16384, 0);

shared! {
    /// The audit rules' kernel prefilter (`sensor_common::rules`), written by
    /// userspace at start and on SIGHUP.
    #[map]
    pub static RULES: Array<KernelPredicate> =
        Array::with_max_entries(KERNEL_PREDICATES_MAX as u32, 0);

    /// Each syscall slot's run of predicates in `RULES`.
    #[map]
    pub static RANGES: Array<KernelRange> = Array::with_max_entries(SLOTS, 0);

    #[map]
    pub static RULES_META: Array<KernelRulesMeta> = Array::with_max_entries(1, 0);

    /// Cgroups out of scope (`--exclude`), added by userspace as it learns
    /// which container or host unit each cgroup holds.
    #[map]
    pub static SCOPE_EXCLUDED: HashMap<CgroupKey, u8> =
        HashMap::with_max_entries(SCOPE_EXCLUDED_MAX, 0);
}
