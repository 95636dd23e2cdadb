//! The audit rules as the kernel programs use them: a conservative
//! prefilter. An event is kept when any `always` rule for its syscall has
//! all of its cheap fields (ids, success, exit, a0–a3) matching; fields the
//! kernel cannot see cheaply (exe, path, dir) count as matching and `never`
//! rules are left out, so the kernel only drops what userspace, which
//! applies the rules exactly, would drop too.

/// Predicates the kernel holds, over all syscalls: a power of two, so an
/// index is bounded by masking.
pub const KERNEL_PREDICATES_MAX: usize = 4096;
/// Most predicates tested for one syscall (the programs' loop bound); a
/// syscall whose rules have more keeps every event for userspace.
pub const SLOT_PREDICATES_MAX: u32 = 128;

/// Syscalls by slot: an x86_64 syscall's slot is its number, an i386
/// one's `I386_BASE` plus its number.
pub const SLOTS: u32 = 1024;
pub const I386_BASE: u32 = 512;

// Every syscall of the table has a slot of its own on each architecture.
const _: () = {
    use crate::syscalls::{Arch, SYSCALLS};
    let mut i = 0;
    while i < SYSCALLS.len() {
        if let Some(nr) = SYSCALLS[i].number(Arch::X86_64) {
            assert!(nr < I386_BASE, "an x86_64 number reaches the i386 slots");
        }
        if let Some(nr) = SYSCALLS[i].number(Arch::I386) {
            assert!(I386_BASE + nr < SLOTS, "an i386 number is past the slots");
        }
        i += 1;
    }
};

/// The predicates of the rules that may record a syscall
/// (`KernelRulesMeta` says where the table is on).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelRange {
    pub start: u32,
    /// How many; `KEEP_ALL` keeps every event of the syscall.
    pub count: u32,
}

/// `KernelRange::count`: too many predicates to test in the kernel.
pub const KEEP_ALL: u32 = u32::MAX;

/// `KernelPredicate::field`
pub mod field {
    /// No field: the predicate only opens a rule (it always holds).
    pub const NONE: u32 = 0;
    pub const PID: u32 = 1;
    pub const PPID: u32 = 2;
    pub const UID: u32 = 3;
    pub const EUID: u32 = 4;
    pub const SUID: u32 = 5;
    pub const FSUID: u32 = 6;
    pub const GID: u32 = 7;
    pub const EGID: u32 = 8;
    pub const SGID: u32 = 9;
    pub const FSGID: u32 = 10;
    pub const AUID: u32 = 11;
    pub const SES: u32 = 12;
    /// Compared as the kernel does: 1 for a success, 2 for a failure.
    pub const SUCCESS: u32 = 13;
    /// The low 32 bits of the return value.
    pub const EXIT: u32 = 14;
    /// `A0 + n` is the low 32 bits of argument n (n < `ARGS`).
    pub const A0: u32 = 15;
    pub const ARGS: u32 = 4;
    /// The ids of the credentials, in `struct cred`'s order (uid, euid,
    /// suid, fsuid, gid, egid, sgid, fsgid).
    pub const CREDENTIALS: [u32; 8] = [UID, EUID, SUID, FSUID, GID, EGID, SGID, FSGID];
    /// One past the last field id: the arguments are the last fields.
    pub const COUNT: usize = (A0 + ARGS) as usize;
    /// The field values the programs fill: `COUNT` rounded up to a power of
    /// two, so a field id is bounded by masking.
    pub const SLOTS: usize = 32;
    const _: () = assert!(COUNT <= SLOTS && SLOTS.is_power_of_two());
    // `generic::SyscallSpec::entry_unknown` holds a bit per field id.
    const _: () = assert!(COUNT <= u32::BITS as usize);
}

/// `KernelPredicate::accept`: the outcomes of comparing a field's value
/// (left) with the predicate's (right) that satisfy the predicate. Each
/// operator of the rules is a set of them, so the programs compare once,
/// without branching on the operator.
pub mod outcome {
    pub const LESS: u32 = 1 << 0;
    pub const EQUAL: u32 = 1 << 1;
    pub const GREATER: u32 = 1 << 2;
    /// `(left & right) != 0`
    pub const SOME_BITS: u32 = 1 << 3;
    /// `(left & right) == right`
    pub const ALL_BITS: u32 = 1 << 4;
    /// Every comparison has one of these: a predicate that always holds.
    pub const ANY: u32 = LESS | EQUAL | GREATER;
}

/// A syscall's rules are a run of predicates (`KernelRange`); a rule is
/// the run of them from one with `first` set to the next. A rule records
/// an event when all its predicates hold.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelPredicate {
    /// Non-zero on a rule's first predicate.
    pub first: u32,
    pub field: u32,
    pub accept: u32,
    pub value: u32,
}

const _: () = assert!(core::mem::size_of::<KernelPredicate>() == 16);

/// Whether the prefilter is on.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelRulesMeta {
    /// 0: keep every event (rules too many or too wide for the kernel).
    pub enabled: u32,
    /// Predicates written, for diagnostics.
    pub count: u32,
}

#[cfg(feature = "user")]
unsafe impl aya::Pod for KernelPredicate {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for KernelRange {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for KernelRulesMeta {}
