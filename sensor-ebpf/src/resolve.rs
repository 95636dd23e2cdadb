//! Path names looked up in the dcache, as the kernel's audit records what
//! a call's names led to (PATH items: the object, its parent directory)
//! and no tracepoint hands the programs: lookup helpers are for LSM and
//! fentry programs, which this kernel refuses.
//!
//! A name is followed component by component from its start (the task's
//! root, its cwd, or the directory fd of an `*at` call) through the
//! dentries the kernel's own lookup left in the dcache: a child is found
//! among its directory's children by length and name, a mount crossed
//! into by the mounts on its mount point, `..` taken as the kernel takes
//! it, a symbolic link followed when its target is in memory (fast links:
//! ext4, xfs, tmpfs). What is not in the dcache is not guessed: the lookup
//! stops and says it is incomplete (`outcome::INCOMPLETE`).
//!
//! The lookup runs in the `resolve` program, tail-called by the event's
//! program and then by itself: each run parses at most `PARSES` components
//! and examines at most `TICKS` children or mounts, so that it stays
//! within the oldest verifier's budget whatever the name. Its state is in
//! map memory (`Resolve`), for the same reason as a path walk's.

use aya_ebpf::{
    macros::map,
    maps::{PerCpuArray, ProgramArray},
    EbpfContext,
};
use sensor_common::{
    event::EventKind,
    generic::{outcome, PATHS_MAX},
    process::InodeInfo,
    tail::program,
};

use crate::{
    copy::{self, From},
    entry::entry,
    kernel::{off, read},
    maps::{get, set, RAW_TAILS, TAILS},
    path::{self, TAIL_CALL_FAILED},
    process,
};

/// Longest component (NAME_MAX), NUL included, as a power of two.
pub const NAME_BUF: usize = 256;
/// A name rewritten by a symbolic link (target, then the rest), and room
/// past it for the masked copies.
pub const SPLICE_CAP: usize = 4096;
/// Symbolic links followed per name (the kernel's MAXSYMLINKS is 40).
const LINKS_MAX: u64 = 8;
/// Components taken per run of the program.
const ROUNDS: usize = 1;
/// Children of a directory examined per run, mounts on a mount point,
/// mounts crossed up for a `..`.
const CHILDREN: usize = 128;
const MOUNTS: usize = 16;
const UPS: usize = 4;
/// `resolve` runs per chain: the kernel allows 32 tail calls from the
/// first program (33 from 5.18), and the continuation takes one more.
const CALLS_MAX: u64 = 30;
/// `S_IFMT` and `S_IFLNK` of `i_mode`.
const S_IFMT: u16 = 0o170000;
const S_IFLNK: u16 = 0o120000;

/// Where a lookup is.
pub mod phase {
    /// The next job, or the continuation when none is left.
    pub const START: u64 = 0;
    /// The next component of the name.
    pub const COMPONENT: u64 = 1;
    /// Looking for the component among the directory's children.
    pub const SCAN: u64 = 2;
    /// The component's dentry is found (`found`).
    pub const FOUND: u64 = 3;
    /// Looking for the mount on the found dentry.
    pub const MOUNT: u64 = 4;
    /// The found dentry is a symbolic link to follow.
    pub const LINK: u64 = 5;
    /// Moving up for `..` (crossing mounts first).
    pub const UP: u64 = 6;
    /// The job is over: `Resolve::outcome` says how.
    pub const DONE: u64 = 7;
}

/// One name to look up, and what was found.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Job {
    /// Kernel address of the name (in map memory), and its length
    /// without the NUL.
    pub name: u64,
    pub len: u64,
    /// The directory a relative name starts from: a `struct mount` and a
    /// dentry.
    pub mount: u64,
    pub dentry: u64,
    /// Non-zero: a symbolic link as the last component is followed.
    pub follow: u64,
    /// The path argument it is (its index in the record).
    pub arg: u64,
    pub outcome: u64,
    pub parent: InodeInfo,
    pub object: InodeInfo,
}

/// The lookups of one event. Everything a loop carries is here, in map
/// memory, never in registers: see `maps::WalkState`.
#[repr(C)]
pub struct Resolve {
    pub jobs: [Job; PATHS_MAX],
    pub count: u64,
    pub next: u64,
    /// The program to continue in (a `sensor_common::tail` slot).
    pub then: u64,
    /// `resolve` runs so far in this chain.
    pub calls: u64,
    pub root_mount: u64,
    pub root_dentry: u64,
    // The job under way.
    pub phase: u64,
    pub name: u64,
    pub pos: u64,
    pub end: u64,
    pub mount: u64,
    pub dentry: u64,
    pub follow: u64,
    pub outcome: u64,
    pub comp_len: u64,
    /// The component is the name's last.
    pub last: u64,
    /// The child (or mount) list's node being examined, and its head.
    pub cursor: u64,
    pub head: u64,
    pub found: u64,
    /// The found dentry's mount was looked for (and is `mount`).
    pub mounted: u64,
    pub links: u64,
    /// Which half of `spliced` holds the name now.
    pub which: u64,
    /// A name comparison's differing bits.
    pub diff: u64,
    /// The component and a child's name, each zero past its length (and
    /// room for the masked copies that make it so).
    pub comp: [u64; NAME_BUF / 4],
    pub cand: [u64; NAME_BUF / 4],
    /// Never written: what pads them.
    pub zeros: [u8; NAME_BUF],
    pub spliced: [[u8; 2 * SPLICE_CAP]; 2],
}

/// Where an event's path lookups are: this CPU's `Resolve`.
#[map]
static RESOLVE: PerCpuArray<Resolve> = PerCpuArray::with_max_entries(1, 0);

/// This CPU's lookup state.
#[inline(always)]
pub fn state() -> Result<&'static mut Resolve, i32> {
    let r = RESOLVE.get_ptr_mut(0).ok_or(-1)?;
    Ok(unsafe { &mut *r })
}

/// No jobs yet, for the task `task` (whose root absolute names start at).
#[inline(always)]
pub fn begin(r: &mut Resolve, task: u64) -> Result<(), i32> {
    let root = process::root(task)?;
    r.root_mount = read::<u64>(root, off!(path_mnt))? - off!(mount_mnt);
    r.root_dentry = read(root, off!(path_dentry))?;
    r.count = 0;
    r.next = 0;
    r.calls = 0;
    Ok(())
}

/// Queues the lookup of path argument `arg`, the `len`-byte name at
/// `name`, relative to the `struct path` at `start`.
#[inline(always)]
pub fn queue(
    r: &mut Resolve,
    arg: usize,
    name: u64,
    len: u64,
    start: u64,
    follow: bool,
) -> Result<(), i32> {
    let i = r.count as usize;
    if i >= PATHS_MAX {
        return Err(-7);
    }
    // Masked after an opaque copy: older verifiers lose the check's bound
    // when the compiler spills `i` before it and reloads it after.
    let i = core::hint::black_box(i) & (PATHS_MAX - 1);
    let job = &mut r.jobs[i];
    job.arg = arg as u64;
    job.name = name;
    job.len = len;
    job.mount = read::<u64>(start, off!(path_mnt))? - off!(mount_mnt);
    job.dentry = read(start, off!(path_dentry))?;
    job.follow = follow as u64;
    job.outcome = 0;
    r.count = i as u64 + 1;
    Ok(())
}

/// Runs the queued lookups, then continues in slot `then` of `tails`.
/// Returns only when a tail call failed.
#[inline(always)]
pub fn run<C: EbpfContext>(ctx: &C, tails: &ProgramArray, r: &mut Resolve, then: u32) -> i32 {
    r.then = then as u64;
    r.phase = phase::START;
    unsafe { tails.tail_call(ctx, sensor_common::tail::RESOLVE) };
    TAIL_CALL_FAILED
}

/// The `resolve` program: a share of the lookups, then itself again, or
/// the continuation once every job is done.
///
/// A run takes one component through its phases in a fixed order, each
/// phase's loop on its own (a loop dispatching on the phase would let the
/// verifier follow every order of phases, turn after turn).
#[inline(always)]
pub fn try_resolve<C: EbpfContext>(ctx: &C, tails: &ProgramArray) -> Result<(), i32> {
    let r: *mut Resolve = state()?;
    let phase = || phase_of(r);
    // A kernel read that fails ends the job, never the record.
    let step = |result: Result<(), i32>| {
        if result.is_err() {
            finish(r, outcome::INCOMPLETE as u64);
        }
    };
    for _ in 0..ROUNDS {
        // What the last scan found (or a mount on it, or a link).
        if phase() == phase::FOUND {
            step(found(r));
        }
        for _ in 0..MOUNTS {
            if phase() != phase::MOUNT {
                break;
            }
            step(mount(r));
        }
        if phase() == phase::FOUND {
            step(found(r));
        }
        if phase() == phase::LINK {
            step(link(r));
        }
        if phase() == phase::DONE {
            done(r);
        }
        if phase() == phase::START {
            let next = unsafe { get(&raw const (*r).next) };
            if next >= unsafe { get(&raw const (*r).count) } {
                return continue_with(ctx, tails, r);
            }
            start(r, next as usize);
        }
        // The next component, then its directory's children: however far
        // the scan gets, the round ends the same way.
        if phase() == phase::COMPONENT {
            step(component(r));
        }
        for _ in 0..UPS {
            if phase() != phase::UP {
                break;
            }
            step(up(r));
        }
        for _ in 0..CHILDREN {
            if phase() != phase::SCAN {
                break;
            }
            step(scan(r));
        }
    }
    let calls = unsafe { get(&raw const (*r).calls) } + 1;
    unsafe { set(&raw mut (*r).calls, calls) };
    if calls >= CALLS_MAX {
        // Out of tail calls: the jobs left are incomplete, the record
        // still goes out.
        give_up(r);
        return continue_with(ctx, tails, r);
    }
    unsafe { tails.tail_call(ctx, sensor_common::tail::RESOLVE) };
    Err(TAIL_CALL_FAILED)
}

/// Tail-calls the continuation; returns only when that failed.
#[inline(always)]
fn continue_with<C: EbpfContext>(
    ctx: &C,
    tails: &ProgramArray,
    r: *mut Resolve,
) -> Result<(), i32> {
    let then = unsafe { get(&raw const (*r).then) } as u32;
    unsafe { tails.tail_call(ctx, then) };
    Err(TAIL_CALL_FAILED)
}

/// Marks the job under way and every later one incomplete.
#[inline(always)]
fn give_up(r: *mut Resolve) {
    let (next, count) = unsafe { (get(&raw const (*r).next), get(&raw const (*r).count)) };
    for i in 0..PATHS_MAX {
        if (i as u64) < next || (i as u64) >= count {
            continue;
        }
        let bits = if i as u64 == next && phase_of(r) != phase::START {
            unsafe { get(&raw const (*r).outcome) }
        } else {
            0
        };
        unsafe { (*r).jobs[i].outcome = bits | outcome::INCOMPLETE as u64 };
    }
    unsafe { set(&raw mut (*r).next, count) };
}

#[inline(always)]
fn phase_of(r: *mut Resolve) -> u64 {
    unsafe { get(&raw const (*r).phase) }
}

/// Sets up job `i`.
#[inline(always)]
fn start(r: *mut Resolve, i: usize) {
    let Some(job) = (unsafe { (*r).jobs.get(i) }) else {
        return;
    };
    let (name, len, follow) = (job.name, job.len, job.follow);
    // An absolute name starts at the task's root, whatever the call's
    // directory.
    let absolute = read::<u8>(name, 0).is_ok_and(|c| c == b'/');
    let (mount, dentry) = if absolute {
        unsafe {
            (
                get(&raw const (*r).root_mount),
                get(&raw const (*r).root_dentry),
            )
        }
    } else {
        (job.mount, job.dentry)
    };
    unsafe {
        set(&raw mut (*r).name, name);
        set(&raw mut (*r).end, len);
        set(&raw mut (*r).pos, 0);
        set(&raw mut (*r).mount, mount);
        set(&raw mut (*r).dentry, dentry);
        set(&raw mut (*r).follow, follow);
        set(&raw mut (*r).outcome, 0);
        set(&raw mut (*r).links, 0);
        set(&raw mut (*r).which, 0);
        set(&raw mut (*r).phase, phase::COMPONENT);
    }
}

/// Ends the job with `bits` added to its outcome.
#[inline(always)]
fn finish(r: *mut Resolve, bits: u64) {
    unsafe {
        let o = get(&raw const (*r).outcome);
        set(&raw mut (*r).outcome, o | bits);
        set(&raw mut (*r).phase, phase::DONE);
    }
}

/// Reads `inode`'s facts into the current job's `parent` or `object`.
#[inline(always)]
fn record(r: *mut Resolve, inode: u64, object: bool) -> Result<(), i32> {
    let i = unsafe { get(&raw const (*r).next) } as usize;
    let job = unsafe { (*r).jobs.get_mut(i & (PATHS_MAX - 1)) }.ok_or(-1)?;
    let to = if object {
        &mut job.object
    } else {
        &mut job.parent
    };
    path::inode_at(inode, to)
}

/// Parses the next component of the name into `comp` (leading slashes
/// skipped): its length, and whether only slashes follow it. A name with
/// nothing left ends at the current directory.
#[inline(always)]
fn component(r: *mut Resolve) -> Result<(), i32> {
    let (name, pos, end) = unsafe {
        (
            get(&raw const (*r).name),
            get(&raw const (*r).pos),
            get(&raw const (*r).end),
        )
    };
    let comp = unsafe { (*r).comp.as_mut_ptr() }.cast::<u8>();
    let n = if pos < end {
        copy::to::<0, { NAME_BUF as u64 - 1 }>(
            From::KernelStr,
            comp,
            0,
            NAME_BUF as u64 - 1,
            name + pos,
        )
    } else {
        1
    };
    if n <= 0 {
        finish(r, outcome::INCOMPLETE as u64);
        return Ok(());
    }
    // One pass: where the component starts (after slashes), its length
    // (to the next slash or NUL), whether anything but slashes follows.
    const UNSET: u64 = NAME_BUF as u64;
    unsafe {
        set(&raw mut (*r).cursor, UNSET);
        set(&raw mut (*r).comp_len, UNSET);
        set(&raw mut (*r).last, 1);
    }
    if pos < end {
        for i in 0..NAME_BUF - 1 {
            let c = unsafe { *(*r).comp.as_ptr().cast::<u8>().add(i) };
            let from = unsafe { get(&raw const (*r).cursor) };
            let len = unsafe { get(&raw const (*r).comp_len) };
            if c == 0 {
                if from != UNSET && len == UNSET {
                    unsafe { set(&raw mut (*r).comp_len, i as u64 - from) };
                }
                break;
            }
            if c == b'/' {
                if from != UNSET && len == UNSET {
                    unsafe { set(&raw mut (*r).comp_len, i as u64 - from) };
                }
            } else if from == UNSET {
                unsafe { set(&raw mut (*r).cursor, i as u64) };
            } else if len != UNSET {
                unsafe { set(&raw mut (*r).last, 0) };
                break;
            }
        }
    }
    let (from, len) = unsafe { (get(&raw const (*r).cursor), get(&raw const (*r).comp_len)) };
    if from == UNSET {
        // Nothing left ("/", "dir/", ""): the name is the directory reached.
        let dentry = unsafe { get(&raw const (*r).dentry) };
        record(r, read(dentry, off!(dentry_d_inode))?, true)?;
        finish(r, outcome::OBJECT as u64);
        return Ok(());
    }
    if len >= UNSET - 1 || from + len >= UNSET - 1 {
        // Longer than NAME_MAX (refused by the kernel), or past what one
        // read holds: not followed.
        finish(r, outcome::INCOMPLETE as u64);
        return Ok(());
    }
    // The component at the buffer's start, for the comparisons.
    if from > 0 {
        let n =
            copy::to::<0, { NAME_BUF as u64 - 1 }>(From::Kernel, comp, 0, len, name + pos + from);
        if n != 0 {
            finish(r, outcome::INCOMPLETE as u64);
            return Ok(());
        }
    }
    let zeros = unsafe { (*r).zeros.as_ptr() } as u64;
    let pad = NAME_BUF as u64 - len;
    if copy::to::<{ NAME_BUF as u64 - 1 }, { NAME_BUF as u64 - 1 }>(
        From::Kernel,
        comp,
        len,
        pad,
        zeros,
    ) != 0
    {
        finish(r, outcome::INCOMPLETE as u64);
        return Ok(());
    }
    unsafe { set(&raw mut (*r).pos, pos + from + len) };
    let (c0, c1) = {
        let comp = unsafe { (*r).comp.as_ptr().cast::<u8>() };
        unsafe { (*comp, *comp.add(1)) }
    };
    let last = unsafe { get(&raw const (*r).last) } != 0;
    if c0 == b'.' && len == 1 {
        if last {
            let dentry = unsafe { get(&raw const (*r).dentry) };
            record(r, read(dentry, off!(dentry_d_inode))?, true)?;
            finish(r, outcome::OBJECT as u64);
        }
        return Ok(());
    }
    if c0 == b'.' && c1 == b'.' && len == 2 {
        unsafe { set(&raw mut (*r).phase, phase::UP) };
        return Ok(());
    }
    let dentry = unsafe { get(&raw const (*r).dentry) };
    if last {
        record(r, read(dentry, off!(dentry_d_inode))?, false)?;
        let o = unsafe { get(&raw const (*r).outcome) };
        unsafe { set(&raw mut (*r).outcome, o | outcome::PARENT as u64) };
    }
    let head = dentry + off!(dentry_children);
    let first: u64 = read(head, 0)?;
    unsafe {
        set(&raw mut (*r).head, head);
        set(&raw mut (*r).cursor, first);
        set(&raw mut (*r).phase, phase::SCAN);
    }
    Ok(())
}

/// Examines one child of the directory: the component's, if its name is
/// the component and it is hashed (a dentry being dropped may linger in
/// the list under the same name).
#[inline(always)]
fn scan(r: *mut Resolve) -> Result<(), i32> {
    let (node, head) = unsafe { (get(&raw const (*r).cursor), get(&raw const (*r).head)) };
    let circular = off!(dentry_children_circular) != 0;
    if node == 0 || (circular && node == head) {
        // Not in the dcache: after the kernel's own lookup, that means it
        // let the dentry go; nothing is known of it.
        finish(r, outcome::INCOMPLETE as u64);
        return Ok(());
    }
    let child = node - off!(dentry_sibling);
    let len = unsafe { get(&raw const (*r).comp_len) };
    let child_len: u32 = read(child, off!(dentry_d_name) + off!(qstr_len))?;
    if child_len as u64 == len && same_name(r, child, len)? {
        let hashed: u64 = read(child, off!(dentry_d_hash_pprev))?;
        if hashed != 0 {
            found_next(r, child);
            return Ok(());
        }
    }
    unsafe { set(&raw mut (*r).cursor, read(node, 0)?) };
    Ok(())
}

/// `dentry` is what the component names: `found` looks at it next, mounts
/// on it not yet looked for.
#[inline(always)]
fn found_next(r: *mut Resolve, dentry: u64) {
    unsafe {
        set(&raw mut (*r).found, dentry);
        set(&raw mut (*r).mounted, 0);
        set(&raw mut (*r).phase, phase::FOUND);
    }
}

/// Whether the `len`-byte name of dentry `child` is the component.
#[inline(always)]
fn same_name(r: *mut Resolve, child: u64, len: u64) -> Result<bool, i32> {
    let name: u64 = read(child, off!(dentry_d_name) + off!(qstr_name))?;
    let cand = unsafe { (*r).cand.as_mut_ptr() }.cast::<u8>();
    let zeros = unsafe { (*r).zeros.as_ptr() } as u64;
    if copy::to::<0, { 2 * NAME_BUF as u64 - 1 }>(From::Kernel, cand, 0, NAME_BUF as u64, zeros)
        != 0
        || copy::to::<0, { NAME_BUF as u64 - 1 }>(From::Kernel, cand, 0, len, name) != 0
    {
        return Ok(false);
    }
    // Both names are zero past their (equal) lengths: every word
    // compared, no branch.
    let (comp, cand) = unsafe { (&(*r).comp, &(*r).cand) };
    let mut diff = 0;
    for w in 0..NAME_BUF / 8 {
        diff |= comp[w] ^ cand[w];
    }
    Ok(diff == 0)
}

/// The component's dentry is found: a mount on it is crossed into, a link
/// followed, a negative dentry ends the lookup, anything else is the next
/// directory or, last, the object.
#[inline(always)]
fn found(r: *mut Resolve) -> Result<(), i32> {
    let child = unsafe { get(&raw const (*r).found) };
    let last = unsafe { get(&raw const (*r).last) } != 0;
    let inode: u64 = read(child, off!(dentry_d_inode))?;
    if inode == 0 {
        // A negative dentry: the kernel's lookup found no such name.
        finish(
            r,
            if last {
                outcome::ABSENT
            } else {
                outcome::INCOMPLETE
            } as u64,
        );
        return Ok(());
    }
    let flags: u32 = read(child, off!(dentry_d_flags))?;
    if flags & off!(dcache_mounted) as u32 != 0 && unsafe { get(&raw const (*r).mounted) } == 0 {
        let mount = unsafe { get(&raw const (*r).mount) };
        let head = mount + off!(mount_mnt_mounts);
        unsafe {
            set(&raw mut (*r).head, head);
            set(&raw mut (*r).cursor, read(head, 0)?);
            set(&raw mut (*r).phase, phase::MOUNT);
        }
        return Ok(());
    }
    let mode: u16 = read(inode, off!(inode_i_mode))?;
    let follow = unsafe { get(&raw const (*r).follow) } != 0;
    if mode & S_IFMT == S_IFLNK && (!last || follow) {
        unsafe { set(&raw mut (*r).phase, phase::LINK) };
        return Ok(());
    }
    unsafe { set(&raw mut (*r).dentry, child) };
    if last {
        record(r, inode, true)?;
        finish(r, outcome::OBJECT as u64);
    } else {
        unsafe { set(&raw mut (*r).phase, phase::COMPONENT) };
    }
    Ok(())
}

/// Examines one mount below the current one: the one on the found dentry
/// is entered at its root (which may have a mount of its own: `found`
/// looks again).
#[inline(always)]
fn mount(r: *mut Resolve) -> Result<(), i32> {
    let (node, head) = unsafe { (get(&raw const (*r).cursor), get(&raw const (*r).head)) };
    if node == 0 || node == head {
        // Flagged but not below this mount (another namespace's): the
        // dentry itself, as the kernel's lookup sees it from here.
        unsafe {
            set(&raw mut (*r).mounted, 1);
            set(&raw mut (*r).phase, phase::FOUND);
        }
        return Ok(());
    }
    let m = node - off!(mount_mnt_child);
    let mountpoint: u64 = read(m, off!(mount_mnt_mountpoint))?;
    if mountpoint == unsafe { get(&raw const (*r).found) } {
        let root: u64 = read(m, off!(mount_mnt) + off!(vfsmount_mnt_root))?;
        unsafe { set(&raw mut (*r).mount, m) };
        found_next(r, root);
        return Ok(());
    }
    unsafe { set(&raw mut (*r).cursor, read(node, 0)?) };
    Ok(())
}

/// Follows the symbolic link found: the name becomes its target followed
/// by the rest of the name, looked up from the root for an absolute
/// target, else from the link's directory.
#[inline(always)]
fn link(r: *mut Resolve) -> Result<(), i32> {
    let links = unsafe { get(&raw const (*r).links) } + 1;
    let inode: u64 = read(unsafe { get(&raw const (*r).found) }, off!(dentry_d_inode))?;
    let target: u64 = read(inode, off!(inode_i_link))?;
    if target == 0 || links > LINKS_MAX {
        finish(r, outcome::INCOMPLETE as u64);
        return Ok(());
    }
    let which = unsafe { get(&raw const (*r).which) } ^ 1;
    let dst = unsafe { (*r).spliced[(which & 1) as usize].as_mut_ptr() };
    // Target plus rest stay under SPLICE_CAP; masked to that, position and
    // length keep the copy inside the half's 2 * SPLICE_CAP bytes.
    const MASK: u64 = SPLICE_CAP as u64 - 1;
    let n = copy::to::<0, { SPLICE_CAP as u64 - 1 }>(
        From::KernelStr,
        dst,
        0,
        SPLICE_CAP as u64 - 1,
        target,
    );
    let (name, pos, end) = unsafe {
        (
            get(&raw const (*r).name),
            get(&raw const (*r).pos),
            get(&raw const (*r).end),
        )
    };
    let target_len = if n > 0 { n as u64 - 1 } else { 0 };
    let rest = end.saturating_sub(pos);
    if target_len == 0 || target_len + rest >= SPLICE_CAP as u64 {
        finish(r, outcome::INCOMPLETE as u64);
        return Ok(());
    }
    if rest > 0
        && copy::to::<MASK, { SPLICE_CAP as u64 - 1 }>(
            From::Kernel,
            dst,
            target_len,
            rest,
            name + pos,
        ) != 0
    {
        finish(r, outcome::INCOMPLETE as u64);
        return Ok(());
    }
    // Ended where the name ends: the half may hold a longer earlier name.
    let end = (target_len + rest) as usize & (SPLICE_CAP - 1);
    unsafe { (*r).spliced[(which & 1) as usize][end] = 0 };
    let absolute = unsafe { (*r).spliced[(which & 1) as usize][0] } == b'/';
    unsafe {
        set(&raw mut (*r).name, dst as u64);
        set(&raw mut (*r).pos, 0);
        set(&raw mut (*r).end, target_len + rest);
        set(&raw mut (*r).which, which);
        set(&raw mut (*r).links, links);
        if absolute {
            set(&raw mut (*r).mount, get(&raw const (*r).root_mount));
            set(&raw mut (*r).dentry, get(&raw const (*r).root_dentry));
        }
        set(&raw mut (*r).phase, phase::COMPONENT);
    }
    Ok(())
}

/// `..`: nothing above the task's root; at a mount's root, first to its
/// mount point in the parent mount (once per step, for stacked mounts);
/// then the parent directory.
#[inline(always)]
fn up(r: *mut Resolve) -> Result<(), i32> {
    let (dentry, m) = unsafe { (get(&raw const (*r).dentry), get(&raw const (*r).mount)) };
    let at_root = unsafe {
        dentry == get(&raw const (*r).root_dentry) && m == get(&raw const (*r).root_mount)
    };
    if !at_root {
        let mnt_root: u64 = read(m, off!(mount_mnt) + off!(vfsmount_mnt_root))?;
        let parent: u64 = read(m, off!(mount_mnt_parent))?;
        if dentry == mnt_root && parent != m {
            let mountpoint: u64 = read(m, off!(mount_mnt_mountpoint))?;
            unsafe {
                set(&raw mut (*r).dentry, mountpoint);
                set(&raw mut (*r).mount, parent);
            }
            return Ok(());
        }
        if dentry != mnt_root {
            let parent_dentry: u64 = read(dentry, off!(dentry_d_parent))?;
            unsafe { set(&raw mut (*r).dentry, parent_dentry) };
        }
    }
    if unsafe { get(&raw const (*r).last) } != 0 {
        let dentry = unsafe { get(&raw const (*r).dentry) };
        record(r, read(dentry, off!(dentry_d_inode))?, true)?;
        finish(r, outcome::OBJECT as u64);
    } else {
        unsafe { set(&raw mut (*r).phase, phase::COMPONENT) };
    }
    Ok(())
}

/// Writes the job's outcome and moves to the next.
#[inline(always)]
fn done(r: *mut Resolve) {
    unsafe {
        let next = get(&raw const (*r).next);
        let i = (next as usize) & (PATHS_MAX - 1);
        (*r).jobs[i].outcome = get(&raw const (*r).outcome);
        set(&raw mut (*r).next, next + 1);
        set(&raw mut (*r).phase, phase::START);
    }
}

// Looks up an event's path names (`sensor_common::tail`).
entry!(tracepoint program::resolve, EventKind::Syscall, |ctx| {
    try_resolve(&ctx, &TAILS)
});
entry!(raw_tracepoint program::resolve_raw, EventKind::Syscall, |ctx| {
    try_resolve(&ctx, &RAW_TAILS)
});
