//! Any syscall a rule names that no family of its own records (exec,
//! sockets, mmap): the SYSCALL record, and what the kernel's audit adds
//! for the syscall's family (`syscalls::Family`): the paths it names, with
//! CWD, the descriptors a pipe made, the capabilities set, the process
//! signalled.
//!
//! 64-bit calls are caught by their own `syscalls:` tracepoints; 32-bit
//! ones (`int 0x80`, i386 binaries), which those never see, by the
//! `raw_syscalls` tracepoints, which see every call.
//!
//! The objects the path arguments name are looked up in the dcache by the
//! `resolve` program (`sensor-ebpf/src/resolve.rs`): at entry, as the
//! kernel's audit sees them (it copies an inode's facts when its lookup
//! reaches it, before the call changes them), and at exit for what the
//! call made, what an open returned, and what the entry's lookup could
//! not reach (not yet in the dcache: its facts are then as the call left
//! them).
//!
//! The record is followed by `path_len[0]` and `path_len[1]` bytes of the
//! path arguments (each NUL-terminated) and the cwd's components (leaf
//! first, each NUL-terminated).

use crate::{
    event::EventHeader,
    process::{InodeInfo, ProcessInfo, SyscallInfo},
};

/// Path arguments kept per call.
pub const PATHS_MAX: usize = 2;
/// Bytes kept of a path argument, NUL included (PATH_MAX).
pub const PATH_ARG_CAP: usize = 4096;

/// The path arguments a call's entry copied, kept until its exit, with
/// the objects they named before the call.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PathCopy {
    /// Bytes of each, NUL included (0: none).
    pub len: [u32; PATHS_MAX],
    /// What the lookups at entry found (`outcome`: `PARENT` and the
    /// `BEFORE` bits), and the inodes they say were found.
    pub outcome: [u32; PATHS_MAX],
    pub parent: [InodeInfo; PATHS_MAX],
    pub before: [InodeInfo; PATHS_MAX],
    pub data: [[u8; PATH_ARG_CAP]; PATHS_MAX],
}

/// What the programs do for a syscall, by slot (`rules::SLOTS`), written
/// by userspace from `syscalls::SYSCALLS` for the syscalls the rules name.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyscallSpec {
    /// Non-zero: a rule may record it.
    pub audited: u32,
    /// Arguments its tracepoint declares (to recognise the saved
    /// registers by the first).
    pub arity: u32,
    pub family: u32,
    /// The argument the family's values come from (the fd pair's array,
    /// the target pid, socketcall's arguments), or `NO_ARG`.
    pub extra_arg: u32,
    pub npaths: u32,
    pub paths: [PathSpec; PATHS_MAX],
    /// The rule fields (bits by `rules::field` id) a call's entry cannot
    /// know, which its prefilter takes to hold: the return value, the
    /// arguments its tracepoint does not carry, the ids a set*id call
    /// changes.
    pub entry_unknown: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathSpec {
    /// The argument holding the path.
    pub arg: u32,
    /// The argument holding its directory fd, or `NO_ARG`.
    pub dirfd: u32,
    /// `syscalls::PathKind` as a number (`path_kind`).
    pub kind: u32,
    /// Non-zero: a symbolic link as the last component is followed…
    pub follow: u32,
    /// …unless (or, with `flag_follows`, only if) the argument `flag_arg`
    /// (or `NO_ARG`) has one of `flag_bits`.
    pub flag_arg: u32,
    pub flag_bits: u32,
    pub flag_follows: u32,
}

pub const NO_ARG: u32 = u32::MAX;

/// `SyscallSpec::family`
pub mod family {
    pub const PLAIN: u32 = 0;
    pub const PATH: u32 = 1;
    pub const KILL: u32 = 2;
    pub const FD_PAIR: u32 = 3;
    pub const MODULE: u32 = 4;
    pub const CAPSET: u32 = 5;
    pub const TIME: u32 = 6;
    pub const SOCKETCALL: u32 = 7;
    pub const FD: u32 = 8;
    /// The last.
    pub const LAST: u32 = FD;
}

/// `PathSpec::kind`
pub mod path_kind {
    pub const NORMAL: u32 = 0;
    pub const CREATE: u32 = 1;
    pub const DELETE: u32 = 2;
    pub const OPEN: u32 = 3;
    pub const RENAME_FROM: u32 = 4;
    pub const RENAME_TO: u32 = 5;
    pub const LITERAL: u32 = 6;
}

/// `GenericEvent::flags`
pub mod flags {
    pub const CWD_TRUNCATED: u32 = 1 << 0;
    pub const CWD_DELETED: u32 = 1 << 1;
    /// A path argument was longer than `PATH_ARG_CAP` (bit + index).
    pub const PATH_CUT: u32 = 1 << 3;
    /// A path was read at exit, not at entry (the entry's copy was lost,
    /// or the name was on a page the caller had not mapped yet).
    pub const PATHS_AT_EXIT: u32 = 1 << 5;
    /// `extra` holds the family's values.
    pub const HAS_EXTRA: u32 = 1 << 6;
    /// The cwd was walked.
    pub const HAS_CWD: u32 = 1 << 7;
    /// A call that never returns (exit, exit_group), written when its task
    /// exits, as the kernel's audit writes it: no return value.
    pub const UNRETURNED: u32 = 1 << 8;
    /// A socketcall's SYS_SOCKETPAIR made the descriptors in `extra[4]`
    /// and `extra[5]` (which its four arguments leave free).
    pub const HAS_FD_PAIR: u32 = 1 << 9;
}

/// What the lookups found of a path argument (`GenericEvent::outcome`).
pub mod outcome {
    /// `parent` holds the directory of the name's last component.
    pub const PARENT: u32 = 1 << 0;
    /// `object` holds what the name led to after the call.
    pub const OBJECT: u32 = 1 << 1;
    /// Nothing by that name after the call (a negative dentry).
    pub const ABSENT: u32 = 1 << 2;
    /// `before` holds what the name led to before the call.
    pub const BEFORE: u32 = 1 << 3;
    /// Nothing by that name before the call.
    pub const BEFORE_ABSENT: u32 = 1 << 4;
    /// The lookup stopped short: a name not in the dcache, a link whose
    /// target is not in memory, more components or links than it follows.
    /// What it did not reach is unknown, not absent.
    pub const INCOMPLETE: u32 = 1 << 5;
    /// The same, for the lookup before the call.
    pub const BEFORE_INCOMPLETE: u32 = 1 << 6;
}

/// `GenericEvent::arch`: the audit's architecture of the call.
pub const ARCH_X86_64: u32 = 0xc000_003e;
pub const ARCH_I386: u32 = 0x4000_0003;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GenericEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
    pub arch: u32,
    pub family: u32,
    pub path_len: [u32; PATHS_MAX],
    pub cwd_len: u32,
    pub flags: u32,
    /// Each path argument's `outcome` bits, and what they say was found.
    pub outcome: [u32; PATHS_MAX],
    pub parent: [InodeInfo; PATHS_MAX],
    pub object: [InodeInfo; PATHS_MAX],
    pub before: [InodeInfo; PATHS_MAX],
    /// The family's values: FD_PAIR's two descriptors; CAPSET's
    /// inheritable, permitted, effective and ambient sets; KILL's target
    /// pid; SOCKETCALL's call arguments (and a socketpair's descriptors:
    /// `flags::HAS_FD_PAIR`).
    pub extra: [u64; 6],
}

const _: () = assert!(core::mem::size_of::<GenericEvent>() == 544);

#[cfg(feature = "user")]
unsafe impl aya::Pod for SyscallSpec {}

/// The generic programs (`sensor-ebpf/src/probes/generic.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(
        sys_enter_generic,
        sys_exit_generic,
        compat_enter,
        compat_exit,
        syscall_enter,
        syscall_enter_raw,
        syscall_finish,
        syscall_finish_raw,
    );
}
