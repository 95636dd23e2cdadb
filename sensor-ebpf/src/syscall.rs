//! Syscall arguments: saved at entry and picked up at exit, or read at exit
//! alone from the caller's saved registers.

use aya_ebpf::{
    helpers::{bpf_get_current_pid_tgid, bpf_ktime_get_boot_ns},
    programs::TracePointContext,
};
use sensor_common::process::SyscallInfo;

use crate::{
    kernel::{off, read, read_fields},
    maps::{global, PENDING},
};

/// What a syscall's entry leaves for its exit.
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
    pub _pad: u32,
    pub saved: u64,
}

impl Pending {
    /// Stamped now, its arguments still to be filled in.
    #[inline(always)]
    fn now(nr: u32, mark: u32, saved: u64) -> Self {
        Self {
            ts_boot_ns: unsafe { bpf_ktime_get_boot_ns() },
            nr,
            regs_ok: 0,
            args: [0; 6],
            mark,
            _pad: 0,
            saved,
        }
    }
}

/// Offset of the first argument in a `syscalls:sys_enter_*` record
/// (after the common fields and `int __syscall_nr`); a stable tracefs ABI.
const ENTER_ARGS: usize = 16;
/// Offset of `long ret` in a `syscalls:sys_exit_*` record.
const EXIT_RET: usize = 16;
/// ENODATA: an exit-only program found no saved registers it could trust,
/// so the event is counted as a kernel error rather than written wrong.
const REGS_UNRECOGNISED: i32 = -61;

/// Candidate distances from `task->stack` to the top of the kernel stack:
/// THREAD_SIZE is 16 KiB (32 KiB with KASAN), less 16 bytes of padding when
/// FRED is on. Neither is in BTF, so the right one is recognised by its
/// contents: the saved `orig_ax` is the syscall number, and `di` is a0 (at
/// entry) or `ax` the return value (at exit).
const STACK_TOPS: [u64; 4] = [16384, 16384 - 16, 32768, 32768 - 16];

pub fn is_self() -> bool {
    (bpf_get_current_pid_tgid() >> 32) as u32 == global!(CONFIG.self_tgid)
}

/// Reads argument `i` of the syscall being entered from its tracepoint.
#[inline(always)]
pub fn arg(ctx: &TracePointContext, i: usize) -> Result<u64, i32> {
    unsafe { ctx.read_at::<u64>(ENTER_ARGS + 8 * i) }
}

/// Saves the arguments of the syscall being entered, unless it is the
/// sensor's own.
#[inline(always)]
pub fn enter(ctx: &TracePointContext, task: u64, nr: u32, declared_args: usize) -> Result<(), i32> {
    enter_marked(ctx, task, nr, declared_args, 0, 0)
}

#[inline(always)]
pub fn enter_marked(
    ctx: &TracePointContext,
    task: u64,
    nr: u32,
    declared_args: usize,
    mark: u32,
    saved: u64,
) -> Result<(), i32> {
    if is_self() {
        return Ok(());
    }
    let mut pending = Pending::now(nr, mark, saved);
    for i in 0..6 {
        if i < declared_args {
            pending.args[i] = arg(ctx, i)?;
        }
    }
    // The tracepoint only carries the declared arguments; auditd logs a0–a3
    // whatever the syscall's arity, so take them from the saved registers.
    if let Some(args) = saved_args(task, nr, off!(pt_regs_di), pending.args[0]) {
        pending.args = args;
        pending.regs_ok = 1;
    }
    let tid = bpf_get_current_pid_tgid() as u32;
    PENDING.insert(tid, pending, 0)
}

/// Takes what `enter` saved for thread `tid`.
pub fn take(tid: u32) -> Option<Pending> {
    let pending = unsafe { *PENDING.get(tid)? };
    let _ = PENDING.remove(tid);
    Some(pending)
}

/// At a `sys_exit_*` tracepoint: what the entry saved (`Err(0)` if nothing
/// was, the syscall was not of interest) and the return value.
#[inline(always)]
pub fn take_exit(ctx: &TracePointContext) -> Result<(Pending, i64), i32> {
    let pending = take(bpf_get_current_pid_tgid() as u32).ok_or(0)?;
    let ret: i64 = unsafe { ctx.read_at(EXIT_RET)? };
    Ok((pending, ret))
}

/// At the exit of a syscall that has no entry program: its arguments from
/// the caller's saved registers, stamped now. Used for the calls that do not
/// block (socket, setsockopt, bind, mmap), where entry and exit are a few
/// microseconds apart: the entry program and the map that carried its
/// arguments cost the traced process more than the event itself.
#[inline(always)]
pub fn exit_only(ctx: &TracePointContext, nr: u32) -> Result<(Pending, i64), i32> {
    if is_self() {
        return Err(0);
    }
    let ret: i64 = unsafe { ctx.read_at(EXIT_RET)? };
    let task = crate::process::current_task();
    // After the call `ax` holds its return value, which pins the candidate
    // as firmly as `di == a0` does at entry.
    let args = saved_args(task, nr, off!(pt_regs_ax), ret as u64).ok_or(REGS_UNRECOGNISED)?;
    let mut pending = Pending::now(nr, 0, 0);
    pending.args = args;
    pending.regs_ok = 1;
    Ok((pending, ret))
}

pub fn info(pending: &Pending, ret: i64) -> SyscallInfo {
    SyscallInfo {
        nr: pending.nr,
        regs_ok: pending.regs_ok,
        ret,
        args: pending.args,
    }
}

/// The six arguments in the caller's saved registers at the top of its
/// kernel stack: from the candidate whose `orig_ax` is `nr` and whose field
/// at `check` holds `expected`.
fn saved_args(task: u64, nr: u32, check: u64, expected: u64) -> Option<[u64; 6]> {
    let stack: u64 = read(task, off!(task_struct_stack)).ok()?;
    let size = off!(pt_regs_size);
    STACK_TOPS
        .into_iter()
        .find_map(|top| candidate(stack + top - size, nr, check, expected))
}

/// One candidate `pt_regs`. Not inlined: four unrolled copies of its block
/// read would not fit in the 512-byte BPF stack.
#[inline(never)]
fn candidate(regs: u64, nr: u32, check: u64, expected: u64) -> Option<[u64; 6]> {
    // x86-64 keeps these within 9 slots of each other.
    let [di, si, dx, r10, r8, r9, orig_ax, found] = read_fields::<u64, 8, 12>(
        regs,
        [
            off!(pt_regs_di),
            off!(pt_regs_si),
            off!(pt_regs_dx),
            off!(pt_regs_r10),
            off!(pt_regs_r8),
            off!(pt_regs_r9),
            off!(pt_regs_orig_ax),
            check,
        ],
    )
    .ok()?;
    (orig_ax == nr as u64 && found == expected).then_some([di, si, dx, r10, r8, r9])
}
