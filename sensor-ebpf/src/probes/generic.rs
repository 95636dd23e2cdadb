//! Any other syscall a rule names (`sensor_common::generic`): 64-bit ones
//! at their own `syscalls:` tracepoints, 32-bit ones at `raw_syscalls`
//! (which the per-syscall tracepoints never fire for).
//!
//! The entry saves the arguments and copies the path arguments, as close
//! as a tracepoint gets to where the kernel copies them (a path read at
//! exit could have been changed by another thread in between); the exit
//! writes the record.

use aya_ebpf::{
    helpers::{
        bpf_get_current_pid_tgid,
        generated::{bpf_probe_read_user, bpf_probe_read_user_str},
    },
    maps::ProgramArray,
    programs::{RawTracePointContext, TracePointContext},
    EbpfContext,
};
use sensor_common::{
    event::EventKind,
    generic::{
        family, flags, outcome, path_kind, program, GenericEvent, PathCopy, PathSpec, SyscallSpec,
        ARCH_I386, ARCH_X86_64, NO_ARG, PATHS_MAX, PATH_ARG_CAP,
    },
    rules::I386_BASE,
    syscalls, tail,
};

use crate::{
    copy::{self, From},
    creds, emit,
    entry::entry,
    filter,
    kernel::{fd_file, off, read},
    maps::{
        scratch, work, Pending, Scratch, MARK_COMPAT, PATHS_PENDING, PATH_STAGE, RAW_TAILS, SPECS,
        TAILS,
    },
    path, process,
    resolve::{self, Resolve},
    syscall,
};

/// `syscalls:sys_enter_*`: `int __syscall_nr` at offset 8.
const ENTER_NR: usize = 8;
/// `thread_info.status` of a task in a 32-bit syscall (x86's TS_COMPAT).
const TS_COMPAT: u32 = 0x0002;
/// Bounds a copy position and length in the record's data, by masking.
const PATH_MASK: u64 = 2 * PATH_ARG_CAP as u64 - 1;
/// `AT_FDCWD`: a relative name is relative to the cwd.
const AT_FDCWD: i32 = -100;
/// `O_CREAT`: an open that may create its file.
const O_CREAT: u64 = 0o100;

#[inline(always)]
fn spec(slot: u32) -> Result<&'static SyscallSpec, i32> {
    match SPECS.get(slot) {
        Some(spec) if spec.audited != 0 => Ok(spec),
        _ => Err(0),
    }
}

/// A 64-bit call's entry.
#[inline(always)]
pub fn try_enter(ctx: &TracePointContext) -> Result<(), i32> {
    if syscall::is_self() {
        return Ok(());
    }
    let nr: i32 = unsafe { ctx.read_at(ENTER_NR)? };
    let nr = nr as u32;
    let spec = spec(nr)?;
    let task = process::current_task();
    let interest = filter::at_entry(task, &syscall::first_args(ctx)?, nr, spec.entry_unknown);
    if interest == 0 {
        return Err(0);
    }
    syscall::enter(ctx, task, nr, spec.arity as usize)?;
    let w = work()?;
    copy_paths(ctx, &TAILS, spec, &w.pending, interest)
}

/// A 64-bit call's exit.
#[inline(always)]
pub fn try_exit(ctx: &TracePointContext) -> Result<(), i32> {
    let pending = syscall::take_exit(ctx)?;
    // What an entry saved for a call whose exit never came (exit_group)
    // is not this call's: the entry of a call no rule can record saves
    // nothing to replace it.
    let nr: i32 = unsafe { ctx.read_at(ENTER_NR)? };
    if pending.nr != nr as u32 {
        return Err(0);
    }
    let slot = pending.nr;
    record(ctx, &TAILS, pending, ARCH_X86_64, slot)
}

/// Whether the current task is in a 32-bit syscall.
#[inline(always)]
fn in_compat() -> bool {
    read::<u32>(
        process::current_task(),
        off!(task_struct_thread_info_status),
    )
    .is_ok_and(|status| status & TS_COMPAT != 0)
}

/// `raw_syscalls:sys_enter(struct pt_regs *regs, long id)`: every call;
/// only 32-bit ones go on.
#[inline(always)]
pub fn try_compat_enter(ctx: &RawTracePointContext) -> Result<(), i32> {
    if !in_compat() || syscall::is_self() {
        return Err(0);
    }
    let regs: u64 = ctx.arg(0);
    let nr = ctx.arg::<u64>(1) as u32;
    let slot = I386_BASE + (nr & (I386_BASE - 1));
    let spec = spec(slot)?;
    let w = work()?;
    syscall::enter_compat(w, regs, nr, MARK_COMPAT)?;
    let a = &w.pending.args;
    let args = [a[0], a[1], a[2], a[3]];
    let interest = filter::at_entry(process::current_task(), &args, slot, spec.entry_unknown);
    if interest == 0 {
        return Err(0);
    }
    syscall::save(w)?;
    copy_paths(ctx, &RAW_TAILS, spec, &w.pending, interest)
}

/// `raw_syscalls:sys_exit(struct pt_regs *regs, long ret)`.
#[inline(always)]
pub fn try_compat_exit(ctx: &RawTracePointContext) -> Result<(), i32> {
    if !in_compat() {
        return Err(0);
    }
    let pending = syscall::take(bpf_get_current_pid_tgid() as u32).ok_or(0)?;
    // As at a 64-bit exit: only this call's own entry counts.
    let regs: u64 = ctx.arg(0);
    let nr = read::<u64>(regs, off!(pt_regs_orig_ax))?;
    if pending.mark != MARK_COMPAT || pending.nr as u64 != nr {
        return Err(0);
    }
    pending.ret = ctx.arg::<u64>(1) as i64;
    let slot = I386_BASE + (pending.nr & (I386_BASE - 1));
    record(ctx, &RAW_TAILS, pending, ARCH_I386, slot)
}

/// Argument `i` of the call (0 for `NO_ARG`).
#[inline(always)]
fn arg_of(pending: &Pending, i: u32) -> u64 {
    pending.args.get(i as usize).copied().unwrap_or(0)
}

/// Copies the path arguments at entry, kept by thread until the exit,
/// with what a name the call removes or replaces led to before it (looked
/// up by `resolve`, which continues in `try_enter_finish`). Only when a
/// rule may record the call's success (`interest`, `filter::at_entry`):
/// a failed call changed nothing, and its exit looks the names up.
#[inline(always)]
fn copy_paths<C: EbpfContext>(
    ctx: &C,
    tails: &ProgramArray,
    spec: &SyscallSpec,
    pending: &Pending,
    interest: u32,
) -> Result<(), i32> {
    if spec.npaths == 0 {
        return Ok(());
    }
    let stage = PATH_STAGE.get_ptr_mut(0).ok_or(-1)?;
    let stage: &mut PathCopy = unsafe { &mut *stage };
    let task = process::current_task();
    let r = resolve::state()?;
    resolve::begin(r, task)?;
    for i in 0..PATHS_MAX {
        stage.len[i] = 0;
        stage.outcome[i] = 0;
        if (i as u32) < spec.npaths {
            let p = &spec.paths[i];
            let src = arg_of(pending, p.arg);
            let len = read_user_str(&mut stage.data[i], src);
            stage.len[i] = len;
            if len > 0 && interest & filter::IF_SUCCEEDS != 0 && looked_up_at_entry(pending, p) {
                let name = stage.data[i].as_ptr() as u64;
                if let Ok(start) = start_of(task, pending, p) {
                    resolve::queue(r, i, name, len as u64 - 1, start, follows(pending, p))?;
                }
            }
        }
    }
    if r.count > 0 {
        // Returns only if the tail call failed: keep the names anyway.
        let _ = resolve::run(ctx, tails, r, tail::SYSCALL_ENTER);
        stage.outcome = [outcome::BEFORE_INCOMPLETE; PATHS_MAX];
    }
    keep_paths(stage)
}

/// Whether path `p` is looked up at entry: every name the kernel looks
/// up, but an open's that cannot create (what it opens is known at exit,
/// from the descriptor).
#[inline(always)]
fn looked_up_at_entry(pending: &Pending, p: &PathSpec) -> bool {
    match p.kind {
        path_kind::LITERAL => false,
        path_kind::OPEN => arg_of(pending, p.arg + 1) & O_CREAT != 0,
        _ => true,
    }
}

/// The `syscall_enter` program: the lookups' findings into the entry's
/// copy, then the copy kept.
#[inline(always)]
pub fn try_enter_finish() -> Result<(), i32> {
    let stage = PATH_STAGE.get_ptr_mut(0).ok_or(-1)?;
    let stage: &mut PathCopy = unsafe { &mut *stage };
    let r = resolve::state()?;
    for job in r.jobs.iter().take(r.count as usize) {
        let i = (job.arg as usize) & (PATHS_MAX - 1);
        let mut o = 0;
        if job.outcome & outcome::PARENT as u64 != 0 {
            o |= outcome::PARENT;
            stage.parent[i] = job.parent;
        }
        if job.outcome & outcome::OBJECT as u64 != 0 {
            o |= outcome::BEFORE;
            stage.before[i] = job.object;
        }
        if job.outcome & outcome::ABSENT as u64 != 0 {
            o |= outcome::BEFORE_ABSENT;
        }
        if job.outcome & outcome::INCOMPLETE as u64 != 0 {
            o |= outcome::BEFORE_INCOMPLETE;
        }
        stage.outcome[i] = o;
    }
    keep_paths(stage)
}

#[inline(always)]
fn keep_paths(stage: &PathCopy) -> Result<(), i32> {
    let tid = bpf_get_current_pid_tgid() as u32;
    PATHS_PENDING.insert(tid, stage, 0)
}

/// Where a relative name of path `p` starts: the directory fd of an `*at`
/// call, else the cwd (a `struct path` address).
#[inline(always)]
fn start_of(task: u64, pending: &Pending, p: &PathSpec) -> Result<u64, i32> {
    let dirfd = arg_of(pending, p.dirfd) as i32;
    if p.dirfd != NO_ARG && dirfd != AT_FDCWD {
        return Ok(fd_file(task, dirfd as u32 as u64)? + off!(file_f_path));
    }
    let fs: u64 = read(task, off!(task_struct_fs))?;
    Ok(fs + off!(fs_struct_pwd))
}

/// Whether the call follows a symbolic link at the end of path `p`.
#[inline(always)]
fn follows(pending: &Pending, p: &PathSpec) -> bool {
    if p.flag_arg != NO_ARG && arg_of(pending, p.flag_arg) & p.flag_bits as u64 != 0 {
        p.flag_follows != 0
    } else {
        p.follow != 0
    }
}

/// A NUL-terminated user string into `dst`: its length, NUL included, 0
/// when it could not be read.
#[inline(always)]
fn read_user_str(dst: &mut [u8; PATH_ARG_CAP], src: u64) -> u32 {
    let n = unsafe {
        bpf_probe_read_user_str(
            dst.as_mut_ptr().cast(),
            PATH_ARG_CAP as u32,
            src as *const _,
        )
    };
    if n > 0 {
        n as u32
    } else {
        0
    }
}

/// The record of a call in this CPU's scratch area, its process and
/// syscall fields filled in and the rest cleared; `Err(0)` when no rule
/// can record it.
#[inline(always)]
fn assemble(
    pending: &Pending,
    arch: u32,
    slot: u32,
) -> Result<
    (
        &'static mut Scratch<GenericEvent>,
        &'static SyscallSpec,
        u64,
    ),
    i32,
> {
    let spec = spec(slot)?;
    let s: &mut Scratch<GenericEvent> = scratch()?;
    let task = process::current_task();
    process::fill(&mut s.event.process, task)?;
    s.event.syscall = syscall::info(pending);
    if !filter::keep(&s.event.process, &s.event.syscall, slot) {
        let _ = PATHS_PENDING.remove(bpf_get_current_pid_tgid() as u32);
        return Err(0);
    }
    let e = &mut s.event;
    e.arch = arch;
    e.family = spec.family;
    e.flags = 0;
    e.path_len = [0; PATHS_MAX];
    e.cwd_len = 0;
    e.outcome = [0; PATHS_MAX];
    e.extra = [0; 6];
    Ok((s, spec, task))
}

/// The syscalls that end their task and never return.
const UNRETURNED: [(u32, u32); 4] = [
    (ARCH_X86_64, syscalls::x86_64("exit")),
    (ARCH_X86_64, syscalls::x86_64("exit_group")),
    (ARCH_I386, syscalls::i386("exit")),
    (ARCH_I386, syscalls::i386("exit_group")),
];

/// At the exit of the current task (`sched_process_exit`): the record of
/// the exit or exit_group call it made, if a rule names it, written as the
/// kernel's audit writes it when the task goes (`audit_free`), without a
/// return value.
#[inline(always)]
pub fn record_unreturned() -> Result<(), i32> {
    let pending = syscall::take(bpf_get_current_pid_tgid() as u32).ok_or(0)?;
    let (arch, slot) = if pending.mark == MARK_COMPAT {
        (ARCH_I386, I386_BASE + (pending.nr & (I386_BASE - 1)))
    } else {
        (ARCH_X86_64, pending.nr)
    };
    if !UNRETURNED.contains(&(arch, pending.nr)) {
        return Err(0);
    }
    pending.ret = 0;
    let (s, _, _) = assemble(pending, arch, slot)?;
    s.event.flags = flags::UNRETURNED;
    emit::output(s, EventKind::Syscall, pending.ts_boot_ns, 0)
}

/// Writes the record of a call: `slot` is its syscall's, `arch` its
/// audit architecture. A call that names paths has them looked up
/// (`resolve`) and is written by `try_finish`.
#[inline(always)]
fn record<C: EbpfContext>(
    ctx: &C,
    tails: &ProgramArray,
    pending: &Pending,
    arch: u32,
    slot: u32,
) -> Result<(), i32> {
    let (s, spec, task) = assemble(pending, arch, slot)?;
    let pos = paths(s, spec, pending);
    path::set_position(s, pos);
    s.walk.ts_boot_ns = pending.ts_boot_ns;
    extras(&mut s.event, spec, pending, task)?;
    // The kernel's audit logs the cwd with the first PATH item it makes.
    let items = match spec.family {
        family::PATH => true,
        family::FD => s.event.outcome[0] & outcome::OBJECT != 0,
        _ => false,
    };
    if !items {
        return emit::output(s, EventKind::Syscall, pending.ts_boot_ns, pos as usize);
    }
    let fs: u64 = read(task, off!(task_struct_fs))?;
    let cwd = path::walk(s, fs + off!(fs_struct_pwd), process::root(task)?)?;
    let e = &mut s.event;
    e.cwd_len = cwd.len as u32;
    e.flags |= flags::HAS_CWD
        | if cwd.truncated {
            flags::CWD_TRUNCATED
        } else {
            0
        }
        | if cwd.deleted { flags::CWD_DELETED } else { 0 };

    let r = resolve::state()?;
    resolve::begin(r, task)?;
    let data = s.data.as_ptr() as u64;
    let mut at = 0;
    for i in 0..PATHS_MAX {
        let len = s.event.path_len[i] as u64;
        let p = &spec.paths[i];
        if (i as u32) < spec.npaths && len > 0 && p.kind != path_kind::LITERAL {
            let entry = s.event.outcome[i];
            let made = matches!(p.kind, path_kind::CREATE | path_kind::RENAME_TO);
            let known = entry & (outcome::BEFORE | outcome::BEFORE_ABSENT) != 0;
            if p.kind == path_kind::OPEN && pending.ret >= 0 {
                opened(&mut s.event, i, task, pending.ret as u64);
            } else if made || !known {
                match start_of(task, pending, p) {
                    Ok(start) => {
                        resolve::queue(r, i, data + at, len - 1, start, follows(pending, p))?
                    }
                    Err(_) => s.event.outcome[i] |= outcome::INCOMPLETE,
                }
            }
        }
        at += len;
    }
    if r.count > 0 {
        // Returns only if the tail call failed: the record without them.
        let _ = resolve::run(ctx, tails, r, tail::SYSCALL_FINISH);
        for o in s.event.outcome.iter_mut() {
            *o |= outcome::INCOMPLETE;
        }
    }
    let len = path::position(s) as usize;
    emit::output(s, EventKind::Syscall, pending.ts_boot_ns, len)
}

/// What an open made or opened, from the descriptor it returned: the
/// file, and the directory it is in.
#[inline(always)]
fn opened(e: &mut GenericEvent, i: usize, task: u64, fd: u64) {
    let Ok(file) = fd_file(task, fd) else {
        e.outcome[i] |= outcome::INCOMPLETE;
        return;
    };
    if path::inode(file, &mut e.object[i]).is_ok() {
        e.outcome[i] |= outcome::OBJECT;
    }
    let parent = read::<u64>(file, off!(file_f_path) + off!(path_dentry))
        .and_then(|d| read::<u64>(d, off!(dentry_d_parent)))
        .and_then(|d| read::<u64>(d, off!(dentry_d_inode)));
    if let Ok(inode) = parent {
        if path::inode_at(inode, &mut e.parent[i]).is_ok() {
            e.outcome[i] |= outcome::PARENT;
        }
    }
}

/// The `syscall_finish` program: the lookups' findings into the record,
/// and its output.
#[inline(always)]
pub fn try_finish() -> Result<(), i32> {
    let s: &mut Scratch<GenericEvent> = scratch()?;
    let r: &Resolve = resolve::state()?;
    for job in r.jobs.iter().take(r.count as usize) {
        let i = (job.arg as usize) & (PATHS_MAX - 1);
        s.event.outcome[i] |= job.outcome as u32;
        if job.outcome & outcome::PARENT as u64 != 0 {
            s.event.parent[i] = job.parent;
        }
        s.event.object[i] = job.object;
    }
    let len = path::position(s) as usize;
    let ts = s.walk.ts_boot_ns;
    emit::output(s, EventKind::Syscall, ts, len)
}

/// The path arguments into the record's data: the entry's copy, or the
/// caller's memory now for a name the entry could not read (its copy lost:
/// more calls in flight than the map holds; or the name on a page not yet
/// mapped in the caller, which the kernel faults in when it copies the
/// name but a tracepoint's read cannot: a string literal in a child just
/// forked). Returns the bytes written.
#[inline(always)]
fn paths(s: &mut Scratch<GenericEvent>, spec: &SyscallSpec, pending: &Pending) -> u64 {
    if spec.npaths == 0 {
        return 0;
    }
    let tid = bpf_get_current_pid_tgid() as u32;
    let copy = unsafe { PATHS_PENDING.get(tid) };
    match copy {
        Some(copy) => {
            s.event.outcome = copy.outcome;
            s.event.parent = copy.parent;
            s.event.before = copy.before;
        }
        None => s.event.outcome = [outcome::BEFORE_INCOMPLETE; PATHS_MAX],
    }
    // Written out, not a loop: with both copies in its body the compiler
    // keeps the loop, and verifiers before 6.x refuse its back-edge.
    const _: () = assert!(PATHS_MAX == 2);
    let pos = path_arg(s, spec, pending, copy, 0, 0);
    let pos = path_arg(s, spec, pending, copy, 1, pos);
    if copy.is_some() {
        let _ = PATHS_PENDING.remove(tid);
    }
    for i in 0..PATHS_MAX {
        if s.event.path_len[i] as usize == PATH_ARG_CAP {
            s.event.flags |= flags::PATH_CUT << i;
        }
    }
    pos
}

/// Path argument `i` into the record's data at `pos`: the entry's copy, or
/// the caller's memory now. Returns the position after it.
#[inline(always)]
fn path_arg(
    s: &mut Scratch<GenericEvent>,
    spec: &SyscallSpec,
    pending: &Pending,
    copy: Option<&PathCopy>,
    i: usize,
    pos: u64,
) -> u64 {
    if (i as u32) >= spec.npaths {
        return pos;
    }
    let data = s.data.as_mut_ptr();
    let kept = copy.map_or(0, |c| c.len[i] as u64);
    if let Some(copy) = copy.filter(|_| kept > 0) {
        let src = copy.data[i].as_ptr() as u64;
        if copy::to::<PATH_MASK, PATH_MASK>(From::Kernel, data, pos, kept, src) == 0 {
            s.event.path_len[i] = kept as u32;
            return pos + kept;
        }
        return pos;
    }
    s.event.flags |= flags::PATHS_AT_EXIT;
    s.event.outcome[i] = outcome::BEFORE_INCOMPLETE;
    let src = arg_of(pending, spec.paths[i].arg);
    let n = copy::to::<PATH_MASK, { PATH_ARG_CAP as u64 }>(
        From::UserStr,
        data,
        pos,
        PATH_ARG_CAP as u64,
        src,
    );
    if n > 0 {
        s.event.path_len[i] = n as u32;
        return pos + n as u64;
    }
    pos
}

/// socketcall's call number for socketpair (`SYS_SOCKETPAIR`).
const SYS_SOCKETPAIR: u64 = 8;

/// The two descriptors in the caller's `int[2]` at `at`.
#[inline(always)]
fn fd_pair(at: u64) -> Option<[u64; 2]> {
    let mut fds = [0i32; 2];
    let read = unsafe { bpf_probe_read_user(fds.as_mut_ptr().cast(), 8, at as *const _) };
    (read == 0).then(|| fds.map(|fd| fd as u32 as u64))
}

/// The family's values, read at exit.
#[inline(always)]
fn extras(
    e: &mut GenericEvent,
    spec: &SyscallSpec,
    pending: &Pending,
    task: u64,
) -> Result<(), i32> {
    let arg = arg_of(pending, spec.extra_arg);
    match spec.family {
        // The two descriptors made, from the caller's int[2].
        family::FD_PAIR if pending.ret == 0 => {
            if let Some(fds) = fd_pair(arg) {
                [e.extra[0], e.extra[1]] = fds;
                e.flags |= flags::HAS_EXTRA;
            }
        }
        // The process signalled or traced.
        family::KILL => {
            e.extra[0] = arg;
            e.flags |= flags::HAS_EXTRA;
        }
        // The sets as the call left them.
        family::CAPSET if pending.ret == 0 => {
            let [permitted, inheritable, effective, ambient] = creds::caps(task)?;
            e.extra[0] = inheritable;
            e.extra[1] = permitted;
            e.extra[2] = effective;
            e.extra[3] = ambient;
            e.flags |= flags::HAS_EXTRA;
        }
        // The descriptor's file, as `audit_file` logs it (an item without
        // a name); none for a descriptor that is not open.
        family::FD => {
            if let Ok(file) = fd_file(task, arg as u32 as u64) {
                if path::inode(file, &mut e.object[0]).is_ok() {
                    e.outcome[0] |= outcome::OBJECT;
                }
            }
        }
        // socketcall(call, unsigned long *args): 32-bit arguments.
        family::SOCKETCALL => {
            let mut args = [0u32; 6];
            let read =
                unsafe { bpf_probe_read_user(args.as_mut_ptr().cast(), 24, arg as *const _) };
            if read == 0 {
                for (to, from) in e.extra.iter_mut().zip(args) {
                    *to = from as u64;
                }
                e.flags |= flags::HAS_EXTRA;
                // socketpair(domain, type, protocol, int sv[2]): FD_PAIR.
                if pending.args[0] == SYS_SOCKETPAIR && pending.ret == 0 {
                    if let Some(fds) = fd_pair(args[3] as u64) {
                        [e.extra[4], e.extra[5]] = fds;
                        e.flags |= flags::HAS_FD_PAIR;
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

// Any other 64-bit syscall a rule names: attached to each one's
// `syscalls:sys_enter_*` and `sys_exit_*` tracepoints.
entry!(tracepoint program::sys_enter_generic, EventKind::Syscall, |ctx| try_enter(&ctx));
entry!(tracepoint program::sys_exit_generic, EventKind::Syscall, |ctx| try_exit(&ctx));

// 32-bit syscalls, which the per-syscall tracepoints never see.
entry!(raw_tracepoint program::compat_enter, EventKind::Syscall, |ctx| {
    try_compat_enter(&ctx)
});
entry!(raw_tracepoint program::compat_exit, EventKind::Syscall, |ctx| {
    try_compat_exit(&ctx)
});

// Keeps a syscall's entry once the names it removes are looked up
// (`sensor_common::tail`).
entry!(tracepoint program::syscall_enter, EventKind::Syscall, |ctx| try_enter_finish());
entry!(raw_tracepoint program::syscall_enter_raw, EventKind::Syscall, |ctx| {
    try_enter_finish()
});
// Writes a syscall's record once its names are looked up.
entry!(tracepoint program::syscall_finish, EventKind::Syscall, |ctx| try_finish());
entry!(raw_tracepoint program::syscall_finish_raw, EventKind::Syscall, |ctx| try_finish());
