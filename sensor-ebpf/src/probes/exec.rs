//! execve / execveat (see `sensor_common::exec` for where each part comes from).

use aya_ebpf::{
    helpers::bpf_ktime_get_boot_ns,
    programs::{RawTracePointContext, TracePointContext},
};
use sensor_common::{
    config::vma_lookup,
    event::EventKind,
    exec::{
        flags, program, ExecCreds, ExecEvent, ARGV_CAP_MAX, ENV_CAP, INTERP_CAP, PATH_CAP,
        PRE_ARGV_CAP, RECORD_MAX, TREE_ARGV_CAP,
    },
    process::{InodeInfo, SyscallInfo},
    syscalls, tail,
};

use crate::{
    copy::{self, From},
    creds, emit,
    entry::entry,
    filter,
    kernel::{off, read},
    maps::{get, global, scratch, set, work, Scratch, WalkJob, Work, RAW_TAILS, REGS_SLOTS, TAILS},
    path::{self, TAIL_CALL_FAILED},
    process, syscall,
};

pub const SYS_EXECVE: u32 = syscalls::x86_64("execve");
pub const SYS_EXECVEAT: u32 = syscalls::x86_64("execveat");

/// `sched_process_exec(struct task_struct *p, pid_t old_pid, struct
/// linux_binprm *bprm)`: the raw tracepoint's arguments.
const RAW_OLD_PID: usize = 1;
const RAW_BPRM: usize = 2;

/// Bounds the argv and environment positions and lengths, by masking
/// (see `DATA_CAP`).
const ARGV_POS_MASK: u64 = PRE_ARGV_CAP.next_power_of_two() as u64 - 1;
const ARGV_LEN_MASK: u64 = RECORD_MAX as u64 - 1;
const ENV_POS_MASK: u64 = RECORD_MAX as u64 - 1;
const ENV_LEN_MASK: u64 = 2 * ENV_CAP as u64 - 1;

/// `__FMODE_EXEC` in `file->f_flags`: a file the kernel opened to
/// execute it (`do_open_execat`).
const FMODE_EXEC: u32 = 1 << 5;
/// Pending task works looked at for a script's file; a longer list is not
/// trusted (its deepest entry, the script's, would be out of sight).
const TASK_WORKS_MAX: usize = 64;
/// Auxiliary vector words looked at for AT_BASE (the kernel puts it in
/// the first ten pairs).
const AUXV_WORDS: usize = 32;
const AT_NULL: u64 = 0;
const AT_BASE: u64 = 7;
/// VMAs of a fresh image looked at in the list (up to 6.0): a handful.
const VMAS_MAX: usize = 64;
/// Maple tree levels descended: a fresh image's tree has two.
const MAPLE_DEPTH: usize = 6;
/// `enum maple_type`: leaves and the two kinds of inner nodes.
const MAPLE_LEAF_64: u64 = 1;
const MAPLE_RANGE_64: u64 = 2;
const MAPLE_ARANGE_64: u64 = 3;
/// Slots of a `maple_range_64` and a `maple_arange_64` node.
const MAPLE_RANGE_SLOTS: u64 = 16;
const MAPLE_ARANGE_SLOTS: u64 = 10;

#[inline(always)]
pub fn try_enter(ctx: &TracePointContext, nr: u32, declared_args: usize) -> Result<(), i32> {
    let task = process::current_task();
    // The credentials before the exec, for its BPRM_FCAPS record.
    syscall::enter_with(ctx, task, nr, declared_args, 0, 0, |p| {
        p.caps = creds::caps(task)?;
        p.uid = creds::uid(task)?;
        Ok(())
    })
}

/// A failed exec: the successful ones were recorded, and their saved
/// arguments taken, at `sched_process_exec`.
#[inline(always)]
pub fn try_exit(ctx: &TracePointContext) -> Result<(), i32> {
    let pending = syscall::take_exit(ctx)?;
    if pending.ret >= 0 {
        return Ok(());
    }
    let filename = if pending.nr == SYS_EXECVEAT {
        pending.args[1]
    } else {
        pending.args[0]
    };
    let s: &mut Scratch<ExecEvent> = scratch()?;
    let task = process::current_task();
    process::fill(&mut s.event.process, task)?;
    s.event.syscall = syscall::info(pending);
    if !filter::keep(&s.event.process, &s.event.syscall, pending.nr) {
        return Err(0);
    }
    s.event.creds = ExecCreds::default();
    s.event.flags = 0;
    // The caller's memory is intact: the name as passed is in it.
    let name = (From::UserStr, filename);
    let then = begin(s, task, name, 0, pending.ts_boot_ns)?;
    path::run_queue(ctx, s, &TAILS, then)
}

/// A successful exec, in the new image. A multi-threaded process's exec
/// runs on as the thread group leader, so the saved arguments are under
/// `old_pid`. With none (no rule names exec, or the prefilter refused the
/// call) the record is `TREE_ONLY`: the process table still learns of it.
#[inline(always)]
pub fn try_sched_process_exec(ctx: &RawTracePointContext) -> Result<(), i32> {
    if syscall::is_self() {
        return Ok(());
    }
    let old_pid = ctx.arg::<u64>(RAW_OLD_PID) as u32;
    let bprm: u64 = ctx.arg(RAW_BPRM);
    let task = process::current_task();
    let pending = syscall::take(old_pid);
    let s: &mut Scratch<ExecEvent> = scratch()?;
    process::fill(&mut s.event.process, task)?;
    s.event.creds = ExecCreds::default();
    let mut fl = flags::SUCCESS;
    let ts = match pending {
        Some(p) => {
            s.event.syscall = syscall::info(p);
            if !filter::keep(&s.event.process, &s.event.syscall, p.nr) {
                fl |= flags::TREE_ONLY;
            }
            s.event.creds.old_caps = p.caps;
            s.event.creds.old_uid = p.uid;
            fl |= flags::OLD_CREDS;
            p.ts_boot_ns
        }
        None => {
            s.event.syscall = SyscallInfo {
                nr: 0,
                regs_ok: 0,
                ret: 0,
                args: [0; 6],
            };
            fl |= flags::TREE_ONLY;
            unsafe { bpf_ktime_get_boot_ns() }
        }
    };
    // `bprm->filename`: the name as passed (execveat's `/dev/fd/N/NAME`).
    let filename: u64 = read(bprm, off!(linux_binprm_filename))?;
    if fl & flags::TREE_ONLY == 0 {
        creds::after(task, &mut s.event.creds)?;
        // `bprm->interp` is the filename itself unless a `#!` script (or
        // binfmt_misc) handed the exec to an interpreter.
        let interp: u64 = read(bprm, off!(linux_binprm_interp))?;
        if interp != filename {
            fl |= flags::SCRIPT;
        }
    }
    s.event.flags = fl;
    let script_bprm = if fl & flags::SCRIPT != 0 { bprm } else { 0 };
    let then = begin(s, task, (From::KernelStr, filename), script_bprm, ts)?;
    path::run_queue(ctx, s, &RAW_TAILS, then)
}

/// The common part of both: the name as passed (copied from `name`:
/// where it is, and its address), for a script its interpreter's name
/// (from `bprm`), the exe's inode, and the exe and (unless `TREE_ONLY`)
/// cwd walks queued. Returns the program to continue in after the walks.
#[inline(always)]
fn begin(
    s: &mut Scratch<ExecEvent>,
    task: u64,
    name: (From, u64),
    bprm: u64,
    ts: u64,
) -> Result<u32, i32> {
    let mut fl = s.event.flags;
    let n = copy::to::<0, { 2 * PATH_CAP as u64 - 1 }>(
        name.0,
        s.data.as_mut_ptr(),
        0,
        PATH_CAP as u64,
        name.1,
    );
    let filename_len = if n > 0 { n as u64 } else { 0 };
    if filename_len == PATH_CAP as u64 {
        fl |= flags::FILENAME_TRUNCATED;
    }
    let mut interp_len = 0;
    if bprm != 0 {
        let interp: u64 = read(bprm, off!(linux_binprm_interp))?;
        let n = copy::to::<{ 2 * PATH_CAP as u64 - 1 }, { 2 * INTERP_CAP as u64 - 1 }>(
            From::KernelStr,
            s.data.as_mut_ptr(),
            filename_len,
            INTERP_CAP as u64,
            interp,
        );
        interp_len = if n > 0 { n as u64 } else { 0 };
    }
    s.event.filename_len = filename_len as u32;
    s.event.interp_len = interp_len as u32;
    path::set_position(s, filename_len + interp_len);
    path::new_queue(s, EventKind::Exec, ts);

    let root = process::root(task)?;
    let mm: u64 = read(task, off!(task_struct_mm))?;
    s.event.exe_inode = InodeInfo::default();
    s.event.script_inode = InodeInfo::default();
    s.event.elf_interp_inode = InodeInfo::default();
    let exe_file: u64 = read(mm, off!(mm_struct_exe_file)).unwrap_or(0);
    if exe_file != 0 {
        path::inode(exe_file, &mut s.event.exe_inode)?;
        let mnt: u64 = read(exe_file, off!(file_f_path) + off!(path_mnt))?;
        s.event.creds.exe_mnt_flags = read(mnt, off!(vfsmount_mnt_flags))?;
        path::queue(s, exe_file + off!(file_f_path), root)?;
        fl |= flags::HAS_INODE;
    }
    s.event.flags = fl;
    if fl & flags::TREE_ONLY != 0 {
        return Ok(tail::EXEC_FINISH);
    }
    let fs: u64 = read(task, off!(task_struct_fs))?;
    path::queue(s, fs + off!(fs_struct_pwd), root)?;
    Ok(if fl & flags::SUCCESS != 0 {
        tail::EXEC_FILES
    } else {
        tail::EXEC_FINISH
    })
}

/// The `exec_files` program, after a successful exec's walks: the files
/// the kernel opened for it besides the executable, then `exec_finish`.
#[inline(always)]
pub fn try_files(ctx: &RawTracePointContext) -> Result<(), i32> {
    let s: &mut Scratch<ExecEvent> = scratch()?;
    let task = process::current_task();
    let w = work()?;
    if s.event.flags & flags::SCRIPT != 0 {
        if let Some(file) = script_file(w, task)? {
            path::inode(file, &mut s.event.script_inode)?;
            s.event.flags |= flags::HAS_SCRIPT_INODE;
        }
    }
    match elf_interp(w, task)? {
        ElfInterp::None => {}
        ElfInterp::Missed => s.event.flags |= flags::ELF_INTERP_MISSED,
        ElfInterp::Found(file) => {
            path::inode(file, &mut s.event.elf_interp_inode)?;
            s.event.flags |= flags::HAS_ELF_INTERP;
        }
    }
    unsafe { RAW_TAILS.tail_call(ctx, tail::EXEC_FINISH) };
    Err(TAIL_CALL_FAILED)
}

/// A `#!` script's own file. The exec closed it before loading the
/// interpreter (`exec_binprm`), and the last `fput` of a file only queues
/// its release (`____fput`) on the task, to run on the way back to user
/// space: it is the deepest entry of the task's pending works that is a
/// file opened for exec (the old image's files, released later, sit above
/// it). `None` when `____fput`'s address is not known or the list is not
/// seen to its end.
#[inline(always)]
fn script_file(w: &mut Work, task: u64) -> Result<Option<u64>, i32> {
    let fput = global!(CONFIG.fput_fn);
    if fput == 0 {
        return Ok(None);
    }
    let c = w.cursor.as_mut_ptr();
    let (head, found, ended) = unsafe { (c, c.add(1), c.add(2)) };
    set(head, read(task, off!(task_struct_task_works))?);
    set(found, 0);
    set(ended, 0);
    for _ in 0..TASK_WORKS_MAX {
        let work = get(head);
        // NULL, or the `work_exited` marker (whose next is NULL).
        if work == 0 {
            set(ended, 1);
            break;
        }
        let func: u64 = read(work, off!(callback_head_func))?;
        if func == fput {
            let file = work - off!(file_f_task_work);
            let open_flags: u32 = read(file, off!(file_f_flags))?;
            if open_flags & FMODE_EXEC != 0 {
                set(found, file);
            }
        }
        // `struct callback_head` starts with `next`.
        set(head, read(work, 0)?);
    }
    let file = get(found);
    Ok((get(ended) != 0 && file != 0).then_some(file))
}

enum ElfInterp {
    /// A statically linked executable, or a kernel where VMAs cannot be
    /// looked up (`vma_lookup::NONE`).
    None,
    /// It has one, but its mapping was not found.
    Missed,
    Found(u64),
}

/// The ELF interpreter's file: the one mapped at AT_BASE of the new
/// image's auxiliary vector (0 there: statically linked). The kernel
/// closed its own reference after mapping it, so the mapping is where it
/// is left.
#[inline(always)]
fn elf_interp(w: &mut Work, task: u64) -> Result<ElfInterp, i32> {
    let how = global!(CONFIG.vma_lookup);
    if how == vma_lookup::NONE {
        return Ok(ElfInterp::None);
    }
    let mm: u64 = read(task, off!(task_struct_mm))?;
    let buf = w.regs.as_mut_ptr().cast();
    let auxv = mm + off!(mm_struct_saved_auxv);
    let len = AUXV_WORDS as u64 * 8;
    if copy::to::<0, { REGS_SLOTS as u64 * 8 - 1 }>(From::Kernel, buf, 0, len, auxv) != 0 {
        return Err(-14);
    }
    let mut base = 0;
    for i in 0..AUXV_WORDS / 2 {
        let kind = w.regs[(2 * i) & (REGS_SLOTS - 1)];
        if kind == AT_NULL {
            break;
        }
        if kind == AT_BASE {
            base = w.regs[(2 * i + 1) & (REGS_SLOTS - 1)];
            break;
        }
    }
    if base == 0 {
        return Ok(ElfInterp::None);
    }
    let vma = if how == vma_lookup::LIST {
        vma_in_list(w, mm, base)?
    } else {
        vma_in_maple_tree(w, mm, base)?
    };
    if vma == 0 {
        return Ok(ElfInterp::Missed);
    }
    let start: u64 = read(vma, off!(vm_area_struct_vm_start))?;
    let end: u64 = read(vma, off!(vm_area_struct_vm_end))?;
    let file: u64 = read(vma, off!(vm_area_struct_vm_file))?;
    if base < start || base >= end || file == 0 {
        return Ok(ElfInterp::Missed);
    }
    Ok(ElfInterp::Found(file))
}

/// The VMA holding `addr`, from `mm->mmap`'s address-ordered list; 0 if none.
#[inline(always)]
fn vma_in_list(w: &mut Work, mm: u64, addr: u64) -> Result<u64, i32> {
    let c = w.cursor.as_mut_ptr();
    let (next, found) = unsafe { (c, c.add(1)) };
    set(next, read(mm, off!(mm_struct_mmap))?);
    set(found, 0);
    for _ in 0..VMAS_MAX {
        let vma = get(next);
        if vma == 0 {
            break;
        }
        let end: u64 = read(vma, off!(vm_area_struct_vm_end))?;
        if addr < end {
            set(found, vma);
            break;
        }
        set(next, read(vma, off!(vm_area_struct_vm_next))?);
    }
    Ok(get(found))
}

/// The VMA holding `addr`, from `mm->mm_mt`: a descent of the maple tree
/// (a B-tree of address ranges), one node a level, in each the first
/// slot up to the node's last one whose pivot (the range's last address)
/// is at least `addr`, else its last (`mas_data_end`: the metadata's `end`
/// for an inner node, and for a leaf whose last pivot is 0; the last slot
/// for a full leaf). A node pointer carries its type in bits 3–6; the
/// root's is marked by bit 1 too (MAPLE_ROOT_NODE: else the tree holds
/// one entry, or none). Returns 0 if none.
#[inline(always)]
fn vma_in_maple_tree(w: &mut Work, mm: u64, addr: u64) -> Result<u64, i32> {
    let c = w.cursor.as_mut_ptr();
    let (enode, found, slot, last) = unsafe { (c, c.add(1), c.add(2), c.add(3)) };
    let root: u64 = read(mm, off!(mm_struct_mm_mt) + off!(maple_tree_ma_root))?;
    set(found, 0);
    if root & 3 != 2 {
        return Ok(0);
    }
    set(enode, root);
    for _ in 0..MAPLE_DEPTH {
        let e = get(enode);
        if e < 4096 {
            break;
        }
        let kind = (e >> 3) & 0xf;
        let node = e & !0xff;
        let (pivots, slots, meta, count) = match kind {
            MAPLE_LEAF_64 | MAPLE_RANGE_64 => (
                node + off!(maple_range_64_pivot),
                node + off!(maple_range_64_slot),
                node + off!(maple_range_64_meta),
                MAPLE_RANGE_SLOTS,
            ),
            MAPLE_ARANGE_64 => (
                node + off!(maple_arange_64_pivot),
                node + off!(maple_arange_64_slot),
                node + off!(maple_arange_64_meta),
                MAPLE_ARANGE_SLOTS,
            ),
            _ => break,
        };
        let buf = w.regs.as_mut_ptr().cast();
        let len = (count - 1) * 8;
        if copy::to::<0, { REGS_SLOTS as u64 * 8 - 1 }>(From::Kernel, buf, 0, len, pivots) != 0 {
            return Err(-14);
        }
        let last_pivot = w.regs[(count as usize - 2) & (REGS_SLOTS - 1)];
        let end = if kind == MAPLE_ARANGE_64 || last_pivot == 0 {
            read::<u8>(meta, 0)? as u64
        } else {
            count - 1
        };
        let end = if end > count - 1 { count - 1 } else { end };
        set(slot, end);
        // The end goes through map memory: a compiler that knew it below
        // 16 would drop the loop's own bound, and 6.1's verifier, unable to
        // follow `j != end`, would walk past the node's pivots.
        set(last, end);
        for j in 0..MAPLE_RANGE_SLOTS as usize - 1 {
            if j as u64 >= get(last) {
                break;
            }
            if addr <= w.regs[j & (REGS_SLOTS - 1)] {
                set(slot, j as u64);
                break;
            }
        }
        let entry: u64 = read(slots, (get(slot) & (MAPLE_RANGE_SLOTS - 1)) * 8)?;
        if kind == MAPLE_LEAF_64 {
            set(found, entry);
            break;
        }
        set(enode, entry);
    }
    Ok(get(found))
}

/// The `exec_finish` programs: the walked paths' lengths and flags, argv,
/// the environment, and the output.
#[inline(always)]
pub fn try_finish() -> Result<(), i32> {
    let s: &mut Scratch<ExecEvent> = scratch()?;
    let mut fl = s.event.flags;
    let mut jobs = s.walk.jobs.iter();
    // What a walk wrote, and its flags among `truncated` and `deleted`.
    let walked = |job: &WalkJob, truncated: u32, deleted: u32| {
        let mut f = 0;
        if job.truncated != 0 {
            f |= truncated;
        }
        if job.deleted != 0 {
            f |= deleted;
        }
        (job.len as u32, f)
    };
    s.event.exe_len = 0;
    s.event.cwd_len = 0;
    if fl & flags::HAS_INODE != 0 {
        let exe = jobs.next().ok_or(-1)?;
        let (len, f) = walked(exe, flags::EXE_TRUNCATED, flags::EXE_DELETED);
        s.event.exe_len = len;
        fl |= f;
    }
    if fl & flags::TREE_ONLY == 0 {
        let cwd = jobs.next().ok_or(-1)?;
        let (len, f) = walked(cwd, flags::CWD_TRUNCATED, flags::CWD_DELETED);
        s.event.cwd_len = len;
        fl |= f;
    }
    let pos = path::position(s);
    if pos > PRE_ARGV_CAP as u64 {
        return Err(-7);
    }

    // argv as the kernel laid it out in the (new) image: NUL-separated.
    let mm: u64 = read(process::current_task(), off!(task_struct_mm))?;
    let arg_start: u64 = read(mm, off!(mm_struct_arg_start))?;
    let arg_end: u64 = read(mm, off!(mm_struct_arg_end))?;
    let total = arg_end.saturating_sub(arg_start) as usize;
    let mut cap = if fl & flags::TREE_ONLY != 0 {
        TREE_ARGV_CAP
    } else {
        global!(CONFIG.argv_cap) as usize
    };
    if cap > ARGV_CAP_MAX {
        cap = ARGV_CAP_MAX;
    }
    let argv_len = if total < cap { total } else { cap };
    if argv_len < total {
        fl |= flags::ARGV_TRUNCATED;
    }
    let read_argv = argv_len > 0
        && copy::to::<ARGV_POS_MASK, ARGV_LEN_MASK>(
            From::User,
            s.data.as_mut_ptr(),
            pos,
            argv_len as u64,
            arg_start,
        ) == 0;
    let argv_len = if read_argv { argv_len } else { 0 };

    // The environment, likewise, for a written successful exec.
    let mut env_total = 0;
    let mut env_len = 0;
    if fl & flags::SUCCESS != 0 && fl & flags::TREE_ONLY == 0 {
        let env_start: u64 = read(mm, off!(mm_struct_env_start))?;
        let env_end: u64 = read(mm, off!(mm_struct_env_end))?;
        env_total = env_end.saturating_sub(env_start) as usize;
        env_len = if env_total < ENV_CAP {
            env_total
        } else {
            ENV_CAP
        };
        if env_len < env_total {
            fl |= flags::ENV_TRUNCATED;
        }
        let read_env = env_len > 0
            && copy::to::<ENV_POS_MASK, ENV_LEN_MASK>(
                From::User,
                s.data.as_mut_ptr(),
                pos + argv_len as u64,
                env_len as u64,
                env_start,
            ) == 0;
        if !read_env {
            env_len = 0;
        }
    }

    let e = &mut s.event;
    e.flags = fl;
    e.argv_len = argv_len as u32;
    e.argv_total = total as u32;
    e.env_len = env_len as u32;
    e.env_total = env_total as u32;
    e._pad = 0;
    let ts = s.walk.ts_boot_ns;
    emit::output(s, EventKind::Exec, ts, pos as usize + argv_len + env_len)
}

entry!(tracepoint program::sys_enter_execve, EventKind::Exec, |ctx| {
    try_enter(&ctx, SYS_EXECVE, 3)
});
entry!(tracepoint program::sys_enter_execveat, EventKind::Exec, |ctx| {
    try_enter(&ctx, SYS_EXECVEAT, 5)
});
entry!(tracepoint program::sys_exit_execve, EventKind::Exec, |ctx| try_exit(&ctx));
entry!(tracepoint program::sys_exit_execveat, EventKind::Exec, |ctx| try_exit(&ctx));

// Every successful exec, whatever the rules: the process table needs it.
// A raw tracepoint, for the exec's `linux_binprm`.
entry!(raw_tracepoint program::sched_process_exec, EventKind::Exec, |ctx| {
    try_sched_process_exec(&ctx)
});

// Finishes a failed exec once its paths are walked (`sensor_common::tail`).
entry!(tracepoint program::exec_finish, EventKind::Exec, |ctx| try_finish());
// Finishes a successful exec.
entry!(raw_tracepoint program::exec_finish_raw, EventKind::Exec, |ctx| try_finish());
// A successful exec's script and ELF interpreter.
entry!(raw_tracepoint program::exec_files, EventKind::Exec, |ctx| try_files(&ctx));
