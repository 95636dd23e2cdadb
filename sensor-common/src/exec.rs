//! execve / execveat.
//!
//! A successful exec is emitted from `sched_process_exec`, where the new image
//! is in place: argv is read from the new mm (never from the caller's memory,
//! so there is no time-of-check/time-of-use window), exe and cwd are walked
//! from the new task. A failed exec is emitted from the syscall's exit.
//!
//! The fixed [`ExecEvent`] is followed by variable data, in this order:
//! filename as passed (NUL-terminated), exe path components, cwd path
//! components (both leaf first, each NUL-terminated), then argv as the kernel
//! lays it out (NUL-separated).

use crate::{
    event::EventHeader,
    process::{InodeInfo, ProcessInfo, SyscallInfo},
};

/// Longest filename, exe or cwd kept (PATH_MAX).
pub const PATH_CAP: usize = 4096;
/// Longest single path component read (NAME_MAX + NUL).
pub const NAME_CAP: usize = 256;
/// Deepest path walked.
pub const PATH_DEPTH: u32 = 64;
/// Hard ceiling of the argv cap; the configured cap is at most this.
pub const ARGV_CAP_MAX: usize = 128 * 1024;
/// Default argv cap: as much as auditd keeps for ordinary commands.
pub const ARGV_CAP_DEFAULT: usize = 64 * 1024;
/// Bytes of variable data before argv at most.
pub const PRE_ARGV_CAP: usize = 3 * PATH_CAP;
/// More bytes than any record has: a power of two, so that the programs
/// bound lengths by masking them, which even the oldest verifiers follow
/// (they may lose track of a comparison made on a copy of the value).
pub const RECORD_MAX: usize = 1 << 18;
const _: () = assert!(core::mem::size_of::<ExecEvent>() + PRE_ARGV_CAP + ARGV_CAP_MAX < RECORD_MAX);
/// The scratch area's data: room for a write at any masked position before
/// argv of any masked length.
pub const DATA_CAP: usize = PRE_ARGV_CAP.next_power_of_two() + RECORD_MAX;

/// `ExecEvent::flags`
pub mod flags {
    /// argv was longer than the cap; `argv_len < argv_total`.
    pub const ARGV_TRUNCATED: u32 = 1 << 0;
    pub const EXE_TRUNCATED: u32 = 1 << 1;
    pub const CWD_TRUNCATED: u32 = 1 << 2;
    /// The exe's dentry is unhashed: d_path appends " (deleted)" (memfd, unlinked).
    pub const EXE_DELETED: u32 = 1 << 3;
    pub const CWD_DELETED: u32 = 1 << 4;
    /// The exec succeeded (emitted from sched_process_exec).
    pub const SUCCESS: u32 = 1 << 5;
    /// `exe_inode` is valid.
    pub const HAS_INODE: u32 = 1 << 6;
    pub const FILENAME_TRUNCATED: u32 = 1 << 7;
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ExecEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
    pub exe_inode: InodeInfo,
    pub flags: u32,
    pub filename_len: u32,
    pub exe_len: u32,
    pub cwd_len: u32,
    /// Bytes of argv in the record.
    pub argv_len: u32,
    /// Bytes of argv in the process (`arg_end - arg_start`).
    pub argv_total: u32,
}

const _: () = assert!(core::mem::size_of::<ExecEvent>() == 272);
