//! Syscall arguments: saved at entry and picked up at exit, or read at exit
//! alone from the caller's saved registers. Both are assembled in this
//! CPU's `Work::pending`, which the exit's programs then read.

use aya_ebpf::{
    helpers::{bpf_get_current_pid_tgid, bpf_ktime_get_boot_ns},
    programs::TracePointContext,
};
use sensor_common::process::SyscallInfo;

use crate::{
    copy::{self, From},
    kernel::{off, read},
    maps::{global, work, Pending, Work, PENDING, REGS_SLOTS},
};

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

#[inline(always)]
pub fn is_self() -> bool {
    (bpf_get_current_pid_tgid() >> 32) as u32 == global!(CONFIG.self_tgid)
}

/// Reads argument `i` of the syscall being entered from its tracepoint.
#[inline(always)]
pub fn arg(ctx: &TracePointContext, i: usize) -> Result<u64, i32> {
    unsafe { ctx.read_at::<u64>(ENTER_ARGS + 8 * i) }
}

/// The first four arguments of the syscall being entered, in one read
/// (those past its declared ones are whatever follows them in the trace
/// buffer: the caller treats them as unknown).
#[inline(always)]
pub fn first_args(ctx: &TracePointContext) -> Result<[u64; 4], i32> {
    unsafe { ctx.read_at::<[u64; 4]>(ENTER_ARGS) }
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
    enter_with(ctx, task, nr, declared_args, mark, saved, |_| Ok(()))
}

/// `enter_marked`, with `fill` adding what the class saves besides.
#[inline(always)]
pub fn enter_with(
    ctx: &TracePointContext,
    task: u64,
    nr: u32,
    declared_args: usize,
    mark: u32,
    saved: u64,
    fill: impl FnOnce(&mut Pending) -> Result<(), i32>,
) -> Result<(), i32> {
    if is_self() {
        return Ok(());
    }
    let w = work()?;
    stamp(&mut w.pending, nr, mark, saved);
    fill(&mut w.pending)?;
    for i in 0..6 {
        w.pending.args[i] = if i < declared_args { arg(ctx, i)? } else { 0 };
    }
    // The tracepoint only carries the declared arguments; auditd logs a0–a3
    // whatever the syscall's arity, so take them from the saved registers,
    // recognised by the first argument (or, for a call without any, by the
    // number alone).
    let (check, expected) = if declared_args > 0 {
        (off!(pt_regs_di), w.pending.args[0])
    } else {
        (off!(pt_regs_orig_ax), nr as u64)
    };
    w.pending.regs_ok = saved_args(w, task, nr, check, expected) as u32;
    save(w)
}

/// Keeps `w.pending` for this thread's syscall exit.
#[inline(always)]
pub fn save(w: &Work) -> Result<(), i32> {
    let tid = bpf_get_current_pid_tgid() as u32;
    // By reference: the helper reads the value where it is, in map memory,
    // rather than from a copy on the stack.
    #[allow(clippy::needless_borrows_for_generic_args)]
    PENDING.insert(tid, &w.pending, 0)
}

/// `w.pending` for a 32-bit call entered now, its arguments the saved
/// registers at `regs` (ebx, ecx, edx, esi, edi, ebp, as 32-bit values),
/// to be kept with `save`.
#[inline(always)]
pub fn enter_compat(w: &mut Work, regs: u64, nr: u32, mark: u32) -> Result<(), i32> {
    stamp(&mut w.pending, nr, mark, 0);
    let at = [
        off!(pt_regs_bx),
        off!(pt_regs_cx),
        off!(pt_regs_dx),
        off!(pt_regs_si),
        off!(pt_regs_di),
        off!(pt_regs_bp),
    ];
    for (arg, offset) in w.pending.args.iter_mut().zip(at) {
        *arg = read::<u64>(regs, offset)? as u32 as u64;
    }
    w.pending.regs_ok = 1;
    Ok(())
}

/// Stamped now, its arguments still to be filled in.
#[inline(always)]
pub fn stamp(p: &mut Pending, nr: u32, mark: u32, saved: u64) {
    p.ts_boot_ns = unsafe { bpf_ktime_get_boot_ns() };
    p.nr = nr;
    p.regs_ok = 0;
    p.mark = mark;
    p.uid = 0;
    p.saved = saved;
    p.caps = [0; 4];
    p.ret = 0;
}

/// Takes what `enter` saved for thread `tid` into `Work::pending`.
#[inline(always)]
pub fn take(tid: u32) -> Option<&'static mut Pending> {
    let saved = unsafe { PENDING.get(tid)? };
    let w = work().ok()?;
    w.pending = *saved;
    let _ = PENDING.remove(tid);
    Some(&mut w.pending)
}

/// At a `sys_exit_*` tracepoint: what the entry saved (`Err(0)` if nothing
/// was, the syscall was not of interest), with the return value.
#[inline(always)]
pub fn take_exit(ctx: &TracePointContext) -> Result<&'static mut Pending, i32> {
    let pending = take(bpf_get_current_pid_tgid() as u32).ok_or(0)?;
    pending.ret = unsafe { ctx.read_at(EXIT_RET)? };
    Ok(pending)
}

/// At the exit of a syscall that has no entry program: its arguments from
/// the caller's saved registers, stamped now. Used for the calls that do not
/// block (socket, setsockopt, bind, mmap), where entry and exit are a few
/// microseconds apart: the entry program and the map that carried its
/// arguments cost the traced process more than the event itself.
#[inline(always)]
pub fn exit_only(ctx: &TracePointContext, nr: u32) -> Result<&'static mut Pending, i32> {
    if is_self() {
        return Err(0);
    }
    let ret: i64 = unsafe { ctx.read_at(EXIT_RET)? };
    let task = crate::process::current_task();
    let w = work()?;
    stamp(&mut w.pending, nr, 0, 0);
    w.pending.ret = ret;
    // After the call `ax` holds its return value, which pins the candidate
    // as firmly as `di == a0` does at entry.
    if !saved_args(w, task, nr, off!(pt_regs_ax), ret as u64) {
        return Err(REGS_UNRECOGNISED);
    }
    w.pending.regs_ok = 1;
    Ok(&mut w.pending)
}

pub fn info(pending: &Pending) -> SyscallInfo {
    SyscallInfo {
        nr: pending.nr,
        regs_ok: pending.regs_ok,
        ret: pending.ret,
        args: pending.args,
    }
}

/// Fills `w.pending.args` from the caller's saved registers at the top of
/// its kernel stack: from the candidate whose `orig_ax` is `nr` and whose
/// field at `check` holds `expected`. False when none is.
#[inline(always)]
fn saved_args(w: &mut Work, task: u64, nr: u32, check: u64, expected: u64) -> bool {
    let Ok(stack) = read::<u64>(task, off!(task_struct_stack)) else {
        return false;
    };
    let size = off!(pt_regs_size);
    // One read of the whole struct per candidate: a helper call costs far
    // more than the bytes it copies.
    let slot = |offset: u64| (offset / 8) as usize & (REGS_SLOTS - 1);
    for top in STACK_TOPS {
        let regs = stack + top - size;
        let buf = w.regs.as_mut_ptr().cast();
        if copy::to::<0, { REGS_SLOTS as u64 * 8 - 1 }>(From::Kernel, buf, 0, size, regs) != 0 {
            continue;
        }
        if w.regs[slot(off!(pt_regs_orig_ax))] != nr as u64 || w.regs[slot(check)] != expected {
            continue;
        }
        let a = &mut w.pending.args;
        a[0] = w.regs[slot(off!(pt_regs_di))];
        a[1] = w.regs[slot(off!(pt_regs_si))];
        a[2] = w.regs[slot(off!(pt_regs_dx))];
        a[3] = w.regs[slot(off!(pt_regs_r10))];
        a[4] = w.regs[slot(off!(pt_regs_r8))];
        a[5] = w.regs[slot(off!(pt_regs_r9))];
        return true;
    }
    false
}
