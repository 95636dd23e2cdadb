//! Syscall arguments: saved at entry, picked up at exit.

use aya_ebpf::{
    helpers::{bpf_get_current_pid_tgid, bpf_ktime_get_boot_ns},
    programs::TracePointContext,
};
use sensor_common::process::SyscallInfo;

use crate::{
    kernel::{off, read},
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

/// Offset of the first argument in a `syscalls:sys_enter_*` record
/// (after the common fields and `int __syscall_nr`); a stable tracefs ABI.
const ENTER_ARGS: usize = 16;
/// Offset of `long ret` in a `syscalls:sys_exit_*` record.
const EXIT_RET: usize = 16;

/// Candidate distances from `task->stack` to the top of the kernel stack:
/// THREAD_SIZE is 16 KiB (32 KiB with KASAN), less 16 bytes of padding when
/// FRED is on. Neither is in BTF, so the right one is recognised by its
/// contents: the saved `orig_ax` is the syscall number and `di` is a0.
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
    let mut pending = Pending {
        ts_boot_ns: unsafe { bpf_ktime_get_boot_ns() },
        nr,
        regs_ok: 0,
        args: [0; 6],
        mark,
        _pad: 0,
        saved,
    };
    for i in 0..6 {
        if i < declared_args {
            pending.args[i] = arg(ctx, i)?;
        }
    }
    // The tracepoint only carries the declared arguments; auditd logs a0–a3
    // whatever the syscall's arity, so take them from the saved registers.
    if let Some(regs) = user_regs(task, nr, pending.args[0]) {
        pending.args = [
            read(regs, off!(pt_regs_di))?,
            read(regs, off!(pt_regs_si))?,
            read(regs, off!(pt_regs_dx))?,
            read(regs, off!(pt_regs_r10))?,
            read(regs, off!(pt_regs_r8))?,
            read(regs, off!(pt_regs_r9))?,
        ];
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

pub fn info(pending: &Pending, ret: i64) -> SyscallInfo {
    SyscallInfo {
        nr: pending.nr,
        regs_ok: pending.regs_ok,
        ret,
        args: pending.args,
    }
}

fn user_regs(task: u64, nr: u32, a0: u64) -> Option<u64> {
    let stack: u64 = read(task, off!(task_struct_stack)).ok()?;
    let size = off!(pt_regs_size);
    for top in STACK_TOPS {
        let regs = stack + top - size;
        let orig_ax: u64 = read(regs, off!(pt_regs_orig_ax)).ok()?;
        let di: u64 = read(regs, off!(pt_regs_di)).ok()?;
        if orig_ax == nr as u64 && di == a0 {
            return Some(regs);
        }
    }
    None
}
