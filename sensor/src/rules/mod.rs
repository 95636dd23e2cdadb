//! auditctl rules: which syscall events become records, and with which key.
//!
//! Users bring the rule files they already have for auditd (`audit.rules`,
//! `/etc/audit/rules.d`), so this module reads auditctl's syntax ([`load`])
//! and decides as the kernel's exit filter does ([`RuleFile::evaluate`]):
//! rules in order, the first whose syscalls and fields all match wins,
//! `always` records with that rule's key, `never` or no match records nothing.
//!
//! What the sensor cannot honour (file watches, other filter lists,
//! syscalls it does not trace, 32-bit syscalls, LSM fields…) is *unsupported*:
//! an error, or with `skip_unsupported` a warning naming the line, the rest of
//! the file being honoured. Control lines (`-D`, `-b`, `-e`…) configure the
//! kernel's audit and are only noted.
//!
//! The rule file lives in `parse.rs`, the kernel's comparisons in `eval.rs`,
//! the generated syscall and errno names in `tables.rs`.

use std::collections::BTreeSet;

mod eval;
pub mod kernel;
mod parse;
pub(crate) mod tables;
#[cfg(test)]
mod tests;

pub use eval::RuleInput;
pub use parse::load;

/// The syscalls the sensor traces (x86_64 numbers). Rules may only ask to
/// record these; `never` rules and `-S all` apply to them.
pub const TRACED: [(&str, u32); 9] = [
    ("execve", 59),
    ("execveat", 322),
    ("socket", 41),
    ("connect", 42),
    ("accept", 43),
    ("bind", 49),
    ("setsockopt", 54),
    ("accept4", 288),
    ("mmap", 9),
];

/// `AUDIT_ARCH_X86_64` (`EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`):
/// the `arch` of every event the sensor sees.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

const MMAP: u32 = 9;
const PROT_EXEC: u32 = 0x4;

/// A loaded rule set: the rules in evaluation order (`-A` rules first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleFile {
    pub rules: Vec<Rule>,
    /// `"{file}:{line}: rule skipped: {why}"`, one per unsupported rule
    /// skipped (only with `skip_unsupported`).
    pub warnings: Vec<String>,
    /// `"{file}:{line}: …"`, one per control option that does not apply to
    /// the sensor (`-D`, `-b`, `-e`…).
    pub notes: Vec<String>,
}

/// One `-a`/`-A` exit rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub action: Action,
    pub syscalls: Syscalls,
    /// All must match (the key is not a field: the kernel ignores it when
    /// filtering).
    pub fields: Vec<Field>,
    /// Every `-k` and `-F key=` in order, joined with `\x01` as auditctl
    /// sends them to the kernel (`AUDIT_KEY_SEPARATOR`) and auditd writes them.
    pub key: Option<String>,
    /// `"{file}:{line}"`, for diagnostics.
    pub origin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Always,
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Syscalls {
    /// `-S all`, or no `-S` at all (auditctl then adds every syscall).
    All,
    Only(BTreeSet<u32>),
}

impl Syscalls {
    pub fn contains(&self, nr: u32) -> bool {
        match self {
            Syscalls::All => true,
            Syscalls::Only(set) => set.contains(&nr),
        }
    }
}

/// `-F name op value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: FieldName,
    pub op: Op,
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldName {
    Arch,
    Pid,
    Ppid,
    Uid,
    Euid,
    Suid,
    Fsuid,
    Gid,
    Egid,
    Sgid,
    Fsgid,
    /// `auid` or `loginuid`.
    Auid,
    /// `ses` or `sessionid`.
    Ses,
    Success,
    Exit,
    /// `a0`…`a3`.
    Arg(usize),
    Exe,
    Path,
    Dir,
}

/// The kernel's operators (`Audit_equal`…`Audit_bittest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    /// `&`: `(field & value) != 0` (`Audit_bitmask`).
    BitAnd,
    /// `&=`: `(field & value) == value` (`Audit_bittest`).
    BitTest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A 32-bit value, as the kernel's rule format holds every number.
    Num(u32),
    /// An absolute path (`exe`, `path`, `dir`; `dir` without a trailing `/`).
    Path(Vec<u8>),
}

/// The sensor's own rule set, `rules/default.rules`: every traced class,
/// with readable keys.
pub fn builtin_default() -> RuleFile {
    parse::parse_text(
        "rules/default.rules",
        include_str!("../../../rules/default.rules"),
        &parse::Names::default(),
        false,
    )
    .expect("rules/default.rules is valid (a unit test loads it)")
}
