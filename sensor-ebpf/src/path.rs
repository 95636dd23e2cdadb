//! `d_path` for tracepoints: bpf_d_path is only for fentry/LSM programs,
//! which this kernel refuses, so walk dentries and mounts by hand.

use aya_ebpf::{maps::ProgramArray, EbpfContext};
use sensor_common::{
    event::EventKind,
    exec::{NAME_CAP, PATH_CAP, PATH_DEPTH, PRE_ARGV_CAP},
    process::InodeInfo,
    tail::{self, program, WALKS_MAX},
};

use crate::{
    copy::{self, From},
    entry::entry,
    kernel::{off, read},
    maps::{get, scratch, set, Scratch, WalkJob, WalkState, HEAD_MAX, RAW_TAILS, TAILS},
};

/// ENOEXEC: a tail call failed (its program is not in `TAILS`).
pub const TAIL_CALL_FAILED: i32 = -8;

/// Bounds a write position in the scratch value (the data's start plus a
/// position in the data before argv), by masking.
const POS_MASK: u64 =
    (HEAD_MAX + size_of::<WalkState>() + PRE_ARGV_CAP).next_power_of_two() as u64 - 1;

/// What a walk wrote.
#[derive(Default, Clone, Copy)]
pub struct Walked {
    /// Bytes written: the components, leaf first, each NUL-terminated.
    pub len: u64,
    /// The walk stopped before the root (too deep or too long): the
    /// components are the leaf's end of the path, not all of it.
    pub truncated: bool,
    /// The leaf is unhashed (unlinked file, memfd): d_path's " (deleted)".
    pub deleted: bool,
}

/// The write position in the scratch data, where the next walk writes.
/// (In map memory, like the walk's state: a position carried in a register
/// from one walk to the next would make the verifier walk the second once
/// for every way the first can end.)
#[inline(always)]
pub fn position<T>(s: &Scratch<T>) -> u64 {
    get(&raw const s.walk.pos)
}

/// Sets the position, in the data of a `T` record.
#[inline(always)]
pub fn set_position<T>(s: &mut Scratch<T>, pos: u64) {
    set(&raw mut s.walk.pos, pos);
    set(
        &raw mut s.walk.data_at,
        core::mem::offset_of!(Scratch<T>, data) as u64,
    );
}

/// Writes the components of the `struct path` at `path` into the scratch
/// data from `position(s)`, leaf first, stopping at the task's root `root`
/// (a `struct path` too) as d_path does, so a containerised process sees
/// paths in its own mount namespace. Writes at most `PATH_CAP` bytes and
/// leaves the position after them.
#[inline(always)]
pub fn walk<T>(s: &mut Scratch<T>, path: u64, root: u64) -> Result<Walked, i32> {
    let start = position(s);
    let limit = start + PATH_CAP as u64 - NAME_CAP as u64;
    let root_dentry: u64 = read(root, off!(path_dentry))?;
    let root_mnt: u64 = read(root, off!(path_mnt))?;
    let dentry: u64 = read(path, off!(path_dentry))?;
    let vfsmnt: u64 = read(path, off!(path_mnt))?;
    let leaf_mnt_root: u64 = read(vfsmnt, off!(vfsmount_mnt_root))?;
    let leaf_hash: u64 = read(dentry, off!(dentry_d_hash_pprev))?;
    let deleted = leaf_hash == 0 && dentry != leaf_mnt_root;

    // Everything the loop carries from one turn to the next, and how it
    // ended, is in map memory: see `WalkState`.
    let w: *mut WalkState = &mut s.walk;
    let value = (s as *mut Scratch<T>).cast::<u8>();
    let data_at = get(&raw const s.walk.data_at);
    let mount = vfsmnt - off!(mount_mnt);
    unsafe {
        set(&raw mut (*w).dentry, dentry);
        set(&raw mut (*w).vfsmnt, vfsmnt);
        set(&raw mut (*w).mount, mount);
        set(&raw mut (*w).complete, 0);
    }
    for _ in 0..PATH_DEPTH {
        let (dentry, vfsmnt) =
            unsafe { (get(&raw const (*w).dentry), get(&raw const (*w).vfsmnt)) };
        if dentry == root_dentry && vfsmnt == root_mnt {
            unsafe { set(&raw mut (*w).complete, 1) };
            break;
        }
        let mnt_root: u64 = read(vfsmnt, off!(vfsmount_mnt_root))?;
        if dentry == mnt_root {
            let mount = unsafe { get(&raw const (*w).mount) };
            let mnt_parent: u64 = read(mount, off!(mount_mnt_parent))?;
            if mnt_parent == mount {
                unsafe { set(&raw mut (*w).complete, 1) }; // the global root
                break;
            }
            // Cross to the mount point in the parent mount.
            let mountpoint: u64 = read(mount, off!(mount_mnt_mountpoint))?;
            let parent_vfsmnt = mnt_parent + off!(mount_mnt);
            unsafe {
                set(&raw mut (*w).dentry, mountpoint);
                set(&raw mut (*w).mount, mnt_parent);
                set(&raw mut (*w).vfsmnt, parent_vfsmnt);
            }
            continue;
        }
        let pos = unsafe { get(&raw const (*w).pos) };
        if pos > limit {
            break;
        }
        let parent: u64 = read(dentry, off!(dentry_d_parent))?;
        let name: u64 = read(dentry, off!(dentry_d_name) + off!(qstr_name))?;
        let n = copy::to::<POS_MASK, { 2 * NAME_CAP as u64 - 1 }>(
            From::KernelStr,
            value,
            data_at + pos,
            NAME_CAP as u64,
            name,
        );
        if n < 0 {
            return Err(n as i32);
        }
        unsafe { set(&raw mut (*w).pos, pos + n as u64) };
        if parent == dentry {
            // A pseudo file (memfd, pipe) names itself: "/memfd:x".
            unsafe { set(&raw mut (*w).complete, 1) };
            break;
        }
        unsafe { set(&raw mut (*w).dentry, parent) };
    }
    Ok(Walked {
        len: position(s) - start,
        truncated: unsafe { get(&raw const (*w).complete) } == 0,
        deleted,
    })
}

const CTIME_NSEC_MASK: u32 = (1 << 30) - 1;

/// Reads the inode of `struct file *file` into `inode`.
#[inline(always)]
pub fn inode(file: u64, inode: &mut InodeInfo) -> Result<(), i32> {
    inode_at(read(file, off!(file_f_inode))?, inode)
}

/// Reads `struct inode *i` into `inode`.
#[inline(always)]
pub fn inode_at(i: u64, inode: &mut InodeInfo) -> Result<(), i32> {
    inode.ino = read(i, off!(inode_i_ino))?;
    inode.mode = read::<u16>(i, off!(inode_i_mode))? as u32;
    inode.uid = read(i, off!(inode_i_uid))?;
    inode.gid = read(i, off!(inode_i_gid))?;
    inode.rdev = read(i, off!(inode_i_rdev))?;
    inode.ctime_sec = read(i, off!(inode_i_ctime_sec))?;
    // Since 6.13 the top bit is a flag (I_CTIME_QUERIED, multigrain
    // timestamps); nanoseconds need 30 bits.
    inode.ctime_nsec = read::<u32>(i, off!(inode_i_ctime_nsec))? & CTIME_NSEC_MASK;
    let sb: u64 = read(i, off!(inode_i_sb))?;
    inode.dev = read(sb, off!(super_block_s_dev))?;
    Ok(())
}

/// Walks the path of `struct file *file` into the scratch from its
/// position, and reads its inode into `inode`.
#[inline(always)]
pub fn file<T>(
    s: &mut Scratch<T>,
    file: u64,
    root: u64,
    inode_info: &mut InodeInfo,
) -> Result<Walked, i32> {
    let walked = walk(s, file + off!(file_f_path), root)?;
    inode(file, inode_info)?;
    Ok(walked)
}

/// Queues a walk of the `struct path` at `path`, stopping at `root`, for
/// the `walk` program (`run_queue`). Returns its index in the queue.
#[inline(always)]
pub fn queue<T>(s: &mut Scratch<T>, path: u64, root: u64) -> Result<usize, i32> {
    let i = s.walk.count as usize;
    if i >= WALKS_MAX {
        return Err(-7);
    }
    s.walk.jobs[i] = WalkJob {
        path,
        root,
        len: 0,
        truncated: 0,
        deleted: 0,
    };
    s.walk.count = i as u64 + 1;
    Ok(i)
}

/// An empty queue, for an event of `kind` stamped `ts_boot_ns`.
#[inline(always)]
pub fn new_queue<T>(s: &mut Scratch<T>, kind: EventKind, ts_boot_ns: u64) {
    s.walk.count = 0;
    s.walk.next = 0;
    s.walk.kind = kind as u64;
    s.walk.ts_boot_ns = ts_boot_ns;
}

/// Walks the queued paths (each in a run of the `walk` program of
/// `tails`, so that each has the verifier's whole budget) from the
/// position in the data, then continues in the program in slot `then` of
/// `tails`. Returns only when a tail call failed.
#[inline(always)]
pub fn run_queue<C: EbpfContext, T>(
    ctx: &C,
    s: &mut Scratch<T>,
    tails: &ProgramArray,
    then: u32,
) -> Result<(), i32> {
    s.walk.then = then as u64;
    unsafe { tails.tail_call(ctx, tail::WALK) };
    Err(TAIL_CALL_FAILED)
}

/// The `walk` programs: the next queued walk, then the same program
/// again for the one after, or the event's continuation in `tails` once
/// none is left. Returns the event's kind (its error counter's slot) with
/// the result.
#[inline(always)]
pub fn try_walk_next<C: EbpfContext>(ctx: &C, tails: &ProgramArray) -> (u32, Result<(), i32>) {
    let Ok(s) = scratch::<[u64; HEAD_MAX / 8]>() else {
        return (EventKind::Exec as u32, Err(-1));
    };
    (s.walk.kind as u32, walk_next(ctx, s, tails))
}

#[inline(always)]
fn walk_next<C: EbpfContext, T>(
    ctx: &C,
    s: &mut Scratch<T>,
    tails: &ProgramArray,
) -> Result<(), i32> {
    let i = get(&raw const s.walk.next) as usize;
    if i < get(&raw const s.walk.count) as usize {
        let i = i & (WALKS_MAX - 1);
        let job = s.walk.jobs[i];
        let walked = walk(s, job.path, job.root)?;
        let done = &mut s.walk.jobs[i];
        done.len = walked.len;
        done.truncated = walked.truncated as u64;
        done.deleted = walked.deleted as u64;
        set(&raw mut s.walk.next, i as u64 + 1);
        unsafe { tails.tail_call(ctx, tail::WALK) };
    } else {
        let then = s.walk.then as u32;
        unsafe { tails.tail_call(ctx, then) };
    }
    Err(TAIL_CALL_FAILED)
}

// Continues an event in its next path walk (`sensor_common::tail`); its
// kind is the event's.
entry!(tracepoint program::walk, |ctx| try_walk_next(&ctx, &TAILS));
entry!(raw_tracepoint program::walk_raw, |ctx| try_walk_next(&ctx, &RAW_TAILS));
