//! execve / execveat.
//!
//! A successful exec is emitted from `sched_process_exec`, where the new image
//! is in place: argv and the environment are read from the new mm (never
//! from the caller's memory, so there is no time-of-check/time-of-use
//! window), exe and cwd are walked from the new task, and the files the
//! kernel opened for the exec (a `#!` script, its interpreter, the ELF
//! interpreter) are read from the exec's own state. A failed exec is
//! emitted from the syscall's exit.
//!
//! Every successful exec is emitted, whatever the rules: one whose syscall
//! entry saved nothing (no rule names exec) is a `TREE_ONLY` record, with
//! the exe and the start of argv only, which keeps the process table (exe,
//! comm, PROCTITLE of later records) exact and is never written.
//!
//! The fixed [`ExecEvent`] is followed by variable data, in this order:
//! filename as passed (NUL-terminated), a script's interpreter name as its
//! `#!` line gives it (NUL-terminated; none for a binary), exe path
//! components, cwd path components (both leaf first, each NUL-terminated),
//! argv as the kernel lays it out (NUL-separated), then the environment
//! likewise.

use crate::{
    event::EventHeader,
    process::{InodeInfo, ProcessInfo, SyscallInfo},
};

/// Longest filename, exe or cwd kept (PATH_MAX).
pub const PATH_CAP: usize = 4096;
/// Longest single path component read (NAME_MAX + NUL).
pub const NAME_CAP: usize = 256;
/// Longest `#!` interpreter name: the kernel reads the `#!` line into a
/// buffer of this size (BINPRM_BUF_SIZE).
pub const INTERP_CAP: usize = 256;
/// Deepest path walked.
pub const PATH_DEPTH: u32 = 64;
/// Hard ceiling of the argv cap; the configured cap is at most this.
pub const ARGV_CAP_MAX: usize = 128 * 1024;
/// Default argv cap: as much as auditd keeps for ordinary commands.
pub const ARGV_CAP_DEFAULT: usize = 64 * 1024;
/// argv kept by a `TREE_ONLY` record: what PROCTITLE holds
/// (MAX_PROCTITLE_AUDIT_LEN).
pub const TREE_ARGV_CAP: usize = 128;
/// The environment kept per exec. Variables past it are not seen; the
/// record says so (`ENV_TRUNCATED`).
pub const ENV_CAP: usize = 32 * 1024;
const _: () = assert!(ENV_CAP.is_power_of_two());
/// Bytes of variable data before argv at most.
pub const PRE_ARGV_CAP: usize = 3 * PATH_CAP + INTERP_CAP;
/// More bytes than any record has: a power of two, so that the programs
/// bound lengths by masking them, which even the oldest verifiers follow
/// (they may lose track of a comparison made on a copy of the value).
pub const RECORD_MAX: usize = 1 << 18;
const _: () =
    assert!(core::mem::size_of::<ExecEvent>() + PRE_ARGV_CAP + ARGV_CAP_MAX + ENV_CAP < RECORD_MAX);
/// The scratch area's data: room for a write at any masked position before
/// argv of any masked length, and for the environment (its length masked
/// by `2 * ENV_CAP - 1`) at any masked position after it.
pub const DATA_CAP: usize = {
    let before_argv = PRE_ARGV_CAP.next_power_of_two() + RECORD_MAX;
    let env = RECORD_MAX + 2 * ENV_CAP;
    if before_argv > env {
        before_argv
    } else {
        env
    }
};

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
    /// A `#!` script ran (`bprm->interp` is not the filename): the
    /// interpreter's name follows the filename, and the exe is the
    /// interpreter.
    pub const SCRIPT: u32 = 1 << 8;
    /// `script_inode` is valid: the script's own file.
    pub const HAS_SCRIPT_INODE: u32 = 1 << 9;
    /// `elf_interp_inode` is valid: the ELF interpreter (ld.so) the
    /// kernel loaded for a dynamically linked executable.
    pub const HAS_ELF_INTERP: u32 = 1 << 10;
    /// The executable has an ELF interpreter, but its file was not found
    /// (see `ELF_INTERP_*` in the programs).
    pub const ELF_INTERP_MISSED: u32 = 1 << 11;
    /// The environment was longer than `ENV_CAP`.
    pub const ENV_TRUNCATED: u32 = 1 << 12;
    /// `creds.old_*` are valid: the syscall's entry read them.
    pub const OLD_CREDS: u32 = 1 << 13;
    /// No syscall entry was saved (no rule names exec): for the process
    /// table only, never written.
    pub const TREE_ONLY: u32 = 1 << 14;
}

/// The credentials around the exec: what the kernel's `BPRM_FCAPS`
/// record holds and what decides whether it writes one
/// (`cap_bprm_creds_from_file`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ExecCreds {
    /// Before the exec (read at the syscall's entry) and after:
    /// permitted, inheritable, effective, ambient.
    pub old_caps: [u64; 4],
    pub new_caps: [u64; 4],
    /// The real uid before the exec.
    pub old_uid: u32,
    /// `cred->securebits` after.
    pub securebits: u32,
    /// The kernel uid that is root in the process's user namespace;
    /// `u32::MAX` when not known (a map of more than one extent).
    pub root_uid: u32,
    /// The executable's mount's flags: file capabilities do not apply on
    /// a `nosuid` mount (MNT_NOSUID).
    pub exe_mnt_flags: u32,
}

/// Index of each set in `ExecCreds::old_caps` and `new_caps`.
pub mod caps {
    pub const PERMITTED: usize = 0;
    pub const INHERITABLE: usize = 1;
    pub const EFFECTIVE: usize = 2;
    pub const AMBIENT: usize = 3;
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ExecEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
    /// The executable: the new image's `mm->exe_file` (for a script, its
    /// interpreter), or for a failed exec the caller's.
    pub exe_inode: InodeInfo,
    /// A script's own file (`HAS_SCRIPT_INODE`).
    pub script_inode: InodeInfo,
    /// The ELF interpreter (`HAS_ELF_INTERP`).
    pub elf_interp_inode: InodeInfo,
    pub creds: ExecCreds,
    pub flags: u32,
    pub filename_len: u32,
    pub interp_len: u32,
    pub exe_len: u32,
    pub cwd_len: u32,
    /// Bytes of argv in the record.
    pub argv_len: u32,
    /// Bytes of argv in the process (`arg_end - arg_start`).
    pub argv_total: u32,
    /// Bytes of the environment in the record, and in the process.
    pub env_len: u32,
    pub env_total: u32,
    pub _pad: u32,
}

const _: () = assert!(core::mem::size_of::<ExecEvent>() == 464);

/// The exec programs (`sensor-ebpf/src/probes/exec.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(
        sys_enter_execve,
        sys_enter_execveat,
        sys_exit_execve,
        sys_exit_execveat,
        sched_process_exec,
        exec_finish,
        exec_finish_raw,
        exec_files,
    );
}
