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

use std::{collections::BTreeSet, os::unix::ffi::OsStrExt};

mod eval;
pub mod kernel;
mod parse;
pub(crate) mod tables;
#[cfg(test)]
mod tests;

pub use eval::{Object, RuleInput};
pub use parse::load;
pub use sensor_common::syscalls::Arch;

/// `AUDIT_ARCH_X86_64` (`EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`)
/// and `AUDIT_ARCH_I386` (`EM_386 | __AUDIT_ARCH_LE`): the `arch` of a
/// 64-bit syscall and of a 32-bit one (an i386 binary's, or `int 0x80`).
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;

/// The `arch` value of events of `arch`.
pub const fn audit_arch(arch: Arch) -> u32 {
    match arch {
        Arch::X86_64 => AUDIT_ARCH_X86_64,
        Arch::I386 => AUDIT_ARCH_I386,
    }
}

/// A syscall as the kernel's audit tells them apart: its architecture and
/// its number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SyscallId {
    pub arch: Arch,
    pub nr: u32,
}

impl SyscallId {
    pub const fn x86_64(nr: u32) -> Self {
        Self {
            arch: Arch::X86_64,
            nr,
        }
    }

    /// Its slot in the kernel side's per-syscall tables.
    pub const fn slot(&self) -> u32 {
        match self.arch {
            Arch::X86_64 => self.nr,
            Arch::I386 => sensor_common::rules::I386_BASE + self.nr,
        }
    }
}

/// `b64:openat`, `b32:socketcall`: as `-F arch=` and `-S` name it.
impl std::fmt::Display for SyscallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let arch = match self.arch {
            Arch::X86_64 => "b64",
            Arch::I386 => "b32",
        };
        match sensor_common::syscalls::by_number(self.arch, self.nr) {
            Some(s) => write!(f, "{arch}:{}", s.name),
            None => write!(f, "{arch}:{}", self.nr),
        }
    }
}

const MMAP: u32 = sensor_common::syscalls::x86_64("mmap");
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

/// `-F name op value`, or `-C name op name`.
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
    Path(PathValue),
    /// Another field of the same event (`-C uid!=euid`).
    Field(FieldName),
}

/// A rule's path, and the identity of the file there when the rules were
/// loaded or last refreshed ([`RuleFile::refresh_identities`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathValue {
    pub name: Vec<u8>,
    pub identity: Option<Identity>,
}

/// A file's identity as the kernel's audit matches `exe` and `path`: its
/// device (the kernel's encoding, `major << 20 | minor`) and inode. Names
/// can be forged (a mount namespace, a chroot, a bind mount, a path too
/// deep to walk); identities cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub dev: u32,
    pub ino: u64,
}

impl Identity {
    /// The file at `path` (symlinks followed, as the kernel resolves them).
    pub fn of(path: &std::path::Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        let dev = meta.dev();
        Some(Self {
            dev: libc::major(dev) << 20 | libc::minor(dev),
            ino: meta.ino(),
        })
    }

    /// An inode as the kernel programs read it.
    pub fn of_inode(inode: &sensor_common::process::InodeInfo) -> Self {
        Self {
            dev: inode.dev,
            ino: inode.ino,
        }
    }
}

impl RuleFile {
    /// Looks up again the identity of every rule path: the file at a path
    /// may be replaced (a package upgrade) or appear later, and the kernel's
    /// audit follows it there.
    pub fn refresh_identities(&mut self) {
        for field in self.rules.iter_mut().flat_map(|r| r.fields.iter_mut()) {
            if let Value::Path(p) = &mut field.value {
                let name = std::ffi::OsStr::from_bytes(&p.name);
                p.identity = Identity::of(std::path::Path::new(name));
            }
        }
    }
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
