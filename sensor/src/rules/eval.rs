//! The kernel's exit filter over a sensor event.
//!
//! Mirrors `audit_filter_syscall` and `audit_filter_rules` (kernel/auditsc.c):
//! the first rule whose syscall mask holds the event's syscall and all of
//! whose fields match decides; `always` records with that rule's key,
//! `never` does not record; no match does not record either (the sensor has
//! no other list that could ask for the event).

use std::collections::BTreeSet;
use std::iter;

use sensor_common::syscalls::{Arch, SYSCALLS};

use super::{
    audit_arch, Action, Field, FieldName, Identity, Op, PathValue, Rule, RuleFile, SyscallId,
    Value, MMAP, PROT_EXEC,
};

/// execve and execveat: the calls the process table follows (see
/// [`RuleFile::traced`]).
pub(super) const PROCESS_TABLE_EXECS: [u32; 2] = [
    sensor_common::syscalls::x86_64("execve"),
    sensor_common::syscalls::x86_64("execveat"),
];

/// `ctx->return_valid` as the kernel compares it for `success`.
const AUDITSC_SUCCESS: u32 = 1;
const AUDITSC_FAILURE: u32 = 2;

/// What the rules look at in a syscall event (all from the kernel, at exit).
#[derive(Debug, Clone, Copy)]
pub struct RuleInput<'a> {
    /// The syscall's architecture (an i386 one: a 32-bit process, or
    /// `int 0x80`) and its number there.
    pub arch: Arch,
    pub syscall: u32,
    pub success: bool,
    pub exit: i64,
    /// False for a call that never returns: `success` and `exit` match
    /// nothing, as in the kernel (its return is AUDITSC_INVALID).
    pub returned: bool,
    pub args: [u64; 4],
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    /// u32::MAX when unset.
    pub auid: u32,
    pub ses: u32,
    /// The running image.
    pub exe: Object<'a>,
    /// The files the event names (its PATH items).
    pub paths: &'a [Object<'a>],
}

/// A file an event names: its name as written, and its identity when the
/// kernel side read its inode.
#[derive(Debug, Clone, Copy, Default)]
pub struct Object<'a> {
    /// Absolute when the kernel side walked it to the root; a name that
    /// does not start with `/` is the end of a path (`.../bin/true`, cut
    /// by the walk) or a name as passed (relative), never a whole path.
    pub name: &'a [u8],
    pub identity: Option<Identity>,
}

impl Object<'_> {
    /// Whether this is the file at the rule's path: by identity, as the
    /// kernel matches; by name only where an identity is missing, and then
    /// only a whole absolute name.
    fn is(&self, rule: &PathValue) -> bool {
        match (self.identity, rule.identity) {
            (Some(object), Some(file)) => object == file,
            _ => self.whole() && self.name == rule.name.as_slice(),
        }
    }

    fn whole(&self) -> bool {
        self.name.starts_with(b"/")
    }
}

impl RuleFile {
    /// None: do not record. Some(key): record, with the deciding rule's key.
    pub fn evaluate(&self, input: &RuleInput) -> Option<Option<&str>> {
        let rule = self.rules.iter().find(|rule| {
            rule.syscalls.contains(input.syscall) && rule.fields.iter().all(|f| f.matches(input))
        })?;
        // The kernel's rule holds syscall numbers whatever their arch: a
        // rule without `arch` matches number N of either table (auditctl
        // warns about it), as here.
        match rule.action {
            Action::Always => Some(rule.key.as_deref()),
            Action::Never => None,
        }
    }

    /// The syscalls some `always` rule can record, by arch: the programs
    /// worth attaching. A syscall is left out when no `always` rule names
    /// it, or a `never` rule that always matches it (no fields, or only
    /// `arch`) comes first.
    pub fn syscalls(&self) -> BTreeSet<SyscallId> {
        let every = SYSCALLS.iter().flat_map(|s| {
            [Arch::X86_64, Arch::I386].into_iter().filter_map(|arch| {
                Some(SyscallId {
                    arch,
                    nr: s.number(arch)?,
                })
            })
        });
        every
            .filter(|&id| {
                for rule in self.deciding(id) {
                    match (rule.action, rule.constant(id.arch)) {
                        (Action::Always, _) => return true,
                        (Action::Never, Some(true)) => return false,
                        (Action::Never, _) => {}
                    }
                }
                false
            })
            .collect()
    }

    /// The syscalls whose events the kernel programs must deliver: those
    /// some rule can record ([`Self::syscalls`]) and, when there are any,
    /// the 64-bit execs, recorded or not. The process table learns a
    /// process's new image from them, and every later record of the
    /// process takes its `exe` and PROCTITLE from there, as `-F exe=`
    /// matches against it: without them a process that exec'd after the
    /// sensor started would keep its parent's.
    pub fn traced(&self) -> BTreeSet<SyscallId> {
        let mut ids = self.syscalls();
        if !ids.is_empty() {
            ids.extend(PROCESS_TABLE_EXECS.iter().map(|&nr| SyscallId::x86_64(nr)));
        }
        ids
    }

    /// True when no mmap without PROT_EXEC can be recorded: every `always`
    /// rule an mmap can reach requires PROT_EXEC in a2 (`-F a2&0x4`,
    /// `-F a2&=0x4`, or `-F a2=N` with N executable). The kernel side may
    /// then drop other mmaps before they reach the ring buffer.
    pub fn mmap_needs_only_exec(&self) -> bool {
        let mmap = SyscallId::x86_64(MMAP);
        for rule in self.deciding(mmap) {
            match (rule.action, rule.constant(mmap.arch)) {
                (Action::Always, _) => {
                    if !rule.fields.iter().any(Field::requires_prot_exec) {
                        return false;
                    }
                }
                (Action::Never, Some(true)) => return true,
                (Action::Never, _) => {}
            }
        }
        true
    }

    /// The rules an event of syscall `id` can reach, in order, without
    /// those that can never match it.
    pub fn deciding(&self, id: SyscallId) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |rule| {
            rule.syscalls.contains(id.nr) && rule.constant(id.arch) != Some(false)
        })
    }
}

impl Rule {
    /// Some(result) when the fields match every event of `arch`, or none.
    pub fn constant(&self, arch: Arch) -> Option<bool> {
        let mut all = Some(true);
        for field in &self.fields {
            match field.constant(arch) {
                Some(false) => return Some(false),
                Some(true) => {}
                None => all = None,
            }
        }
        all
    }
}

impl Field {
    fn matches(&self, input: &RuleInput) -> bool {
        use FieldName::*;
        match &self.value {
            // The kernel's AUDIT_COMPARE_*: two ids of the event.
            Value::Field(other) => match (id(self.name, input), id(*other, input)) {
                (Some(left), Some(right)) => compare(left, self.op, right),
                _ => false,
            },
            Value::Num(value) => {
                let left = match self.name {
                    Arch => audit_arch(input.arch),
                    Pid => input.pid,
                    Ppid => input.ppid,
                    // audit_uid_comparator/audit_gid_comparator compare kuids
                    // unsigned. The kernel's gid= and egid= also match a
                    // supplementary group (groups_search); events do not carry
                    // those, so only the gid itself is compared. auid=unset
                    // becomes loginuid_set=0 in the kernel, i.e. auid ==
                    // u32::MAX: the plain comparison (only = and != are
                    // accepted for it).
                    Uid | Euid | Suid | Fsuid | Gid | Egid | Sgid | Fsgid | Auid => {
                        id(self.name, input).unwrap_or_default()
                    }
                    Ses => input.ses,
                    Success | Exit if !input.returned => return false,
                    Success => match input.success {
                        true => AUDITSC_SUCCESS,
                        false => AUDITSC_FAILURE,
                    },
                    // audit_comparator(u32 left, …) receives the long
                    // ctx->return_code: the low 32 bits, unsigned. -F exit=-13
                    // matches -13, but -F exit<0 matches nothing.
                    Exit => input.exit as u32,
                    // Likewise ctx->argv[n] (unsigned long): the low 32 bits.
                    Arg(n) => input.args[n] as u32,
                    Exe | Path | Dir => return false,
                };
                // success=N compares return_valid with SUCCESS when N != 0,
                // else with FAILURE.
                let right = match (self.name, *value) {
                    (Success, 0) => AUDITSC_FAILURE,
                    (Success, _) => AUDITSC_SUCCESS,
                    (_, v) => v,
                };
                compare(left, self.op, right)
            }
            Value::Path(path) => {
                // The kernel matches exe and watches (path) by inode, and
                // so does the sensor, where the kernel side read the inode;
                // trees (dir) by the names of the PATH items and the exe,
                // whole ones only, so that a path cut by the walk never
                // counts as one it is the end of.
                let mut objects = input.paths.iter().chain(iter::once(&input.exe));
                let hit = match self.name {
                    Exe => input.exe.is(path),
                    Path => objects.any(|o| o.is(path)),
                    Dir => objects.any(|o| o.whole() && inside(o.name, &path.name)),
                    _ => false,
                };
                // != negates, as the kernel does for these fields.
                hit != (self.op == Op::Ne)
            }
        }
    }

    /// Some(result) for a field with the same result on every event of
    /// `arch`.
    fn constant(&self, arch: Arch) -> Option<bool> {
        match (self.name, &self.value) {
            (FieldName::Arch, Value::Num(v)) => Some(compare(audit_arch(arch), self.op, *v)),
            _ => None,
        }
    }

    /// Whether the field matches only mmaps whose prot (a2) has PROT_EXEC.
    fn requires_prot_exec(&self) -> bool {
        let (FieldName::Arg(2), Value::Num(v)) = (self.name, &self.value) else {
            return false;
        };
        match self.op {
            Op::BitAnd => *v == PROT_EXEC,
            Op::BitTest | Op::Eq => v & PROT_EXEC != 0,
            _ => false,
        }
    }
}

/// An id field's value in `input` (the fields `-C` compares).
fn id(name: FieldName, input: &RuleInput) -> Option<u32> {
    use FieldName::*;
    Some(match name {
        Uid => input.uid,
        Euid => input.euid,
        Suid => input.suid,
        Fsuid => input.fsuid,
        Gid => input.gid,
        Egid => input.egid,
        Sgid => input.sgid,
        Fsgid => input.fsgid,
        Auid => input.auid,
        _ => return None,
    })
}

/// `dir` holds `name`: equal, or a prefix followed by `/`.
fn inside(name: &[u8], dir: &[u8]) -> bool {
    if dir == b"/" {
        return name.starts_with(b"/");
    }
    name.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"/"))
}

/// The kernel's audit_comparator: both sides unsigned 32-bit.
pub(super) fn compare(left: u32, op: Op, right: u32) -> bool {
    match op {
        Op::Eq => left == right,
        Op::Ne => left != right,
        Op::Lt => left < right,
        Op::Gt => left > right,
        Op::Le => left <= right,
        Op::Ge => left >= right,
        Op::BitAnd => left & right != 0,
        Op::BitTest => left & right == right,
    }
}
