//! The audit rules as the kernel programs use them: a conservative
//! prefilter. An event is kept when any `always` rule for its syscall has
//! all of its cheap fields (ids, success, exit, a0–a3) matching; fields the
//! kernel cannot see cheaply (exe, path, dir) count as matching and `never`
//! rules are left out, so the kernel only drops what userspace, which
//! applies the rules exactly, would drop too.

pub const KERNEL_RULES_MAX: usize = 16;
pub const KERNEL_FIELDS_MAX: usize = 8;

/// `KernelField::field`
pub mod field {
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
}

/// `KernelField::op`: the kernel's operators.
pub mod op {
    pub const EQ: u32 = 1;
    pub const NE: u32 = 2;
    pub const LT: u32 = 3;
    pub const GT: u32 = 4;
    pub const LE: u32 = 5;
    pub const GE: u32 = 6;
    /// `(left & right) != 0`
    pub const BIT_AND: u32 = 7;
    /// `(left & right) == right`
    pub const BIT_TEST: u32 = 8;
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelField {
    pub field: u32,
    pub op: u32,
    pub value: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelRule {
    /// Bit `i` set: the rule applies to syscall class `i` (see `syscall_bit`).
    pub syscalls: u32,
    pub nfields: u32,
    pub fields: [KernelField; KERNEL_FIELDS_MAX],
}

const _: () = assert!(core::mem::size_of::<KernelRule>() == 8 + 12 * KERNEL_FIELDS_MAX);

/// Whether the prefilter is on, and how many rules it has.
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
unsafe impl aya::Pod for KernelRule {}
#[cfg(feature = "user")]
unsafe impl aya::Pod for KernelRulesMeta {}
