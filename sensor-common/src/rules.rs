//! The audit rules as the kernel programs use them: a conservative
//! prefilter. An event is kept when any `always` rule for its syscall has
//! all of its cheap fields (ids, success, exit, a0–a3) matching; fields the
//! kernel cannot see cheaply (exe, path, dir) count as matching and `never`
//! rules are left out, so the kernel only drops what userspace, which
//! applies the rules exactly, would drop too.

/// Predicates the kernel holds, over all rules.
pub const KERNEL_PREDICATES_MAX: usize = 128;

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
    /// `A0 + n` is the low 32 bits of argument n (n < 4).
    pub const A0: u32 = 15;
    /// One past the last field id.
    pub const COUNT: usize = 19;
    /// The field values the programs fill: `COUNT` rounded up to a power of
    /// two, so a field id is bounded by masking.
    pub const SLOTS: usize = 32;
    const _: () = assert!(COUNT <= SLOTS && SLOTS.is_power_of_two());
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

/// The rules are a flat list of predicates; a rule is the run of them from
/// one with `first` set to the next. A rule records an event when its
/// syscalls include the event's and all its predicates hold.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelPredicate {
    /// Non-zero on a rule's first predicate.
    pub first: u32,
    /// On a rule's first predicate: bit `i` set when the rule applies to
    /// syscall class `i` (see `syscall_bit`).
    pub syscalls: u32,
    pub field: u32,
    pub accept: u32,
    pub value: u32,
}

const _: () = assert!(core::mem::size_of::<KernelPredicate>() == 20);

/// Whether the prefilter is on, and how many predicates it has.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelRulesMeta {
    /// 0: keep every event (rules too many or too wide for the kernel).
    pub enabled: u32,
    pub count: u32,
}

/// The traced syscalls, by bit.
pub const TRACED_SYSCALLS: [u32; 9] = [59, 322, 41, 42, 43, 49, 54, 288, 9];

pub const fn syscall_bit(nr: u32) -> u32 {
    let mut i = 0;
    while i < TRACED_SYSCALLS.len() {
        if TRACED_SYSCALLS[i] == nr {
            return 1 << i;
        }
        i += 1;
    }
    0
}

#[cfg(feature = "user")]
unsafe impl aya::Pod for KernelPredicate {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for KernelRulesMeta {}
