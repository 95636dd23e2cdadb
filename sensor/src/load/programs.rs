//! Every program the sensor has, with its attach point and what it serves.

use std::collections::BTreeSet;

use sensor_common::{syscalls::Arch, tail};

use crate::rules::SyscallId;

pub enum Attach {
    /// `category:NAME`, the program's own name.
    Tracepoint(&'static str),
    /// The raw tracepoint of this name, for programs that need the
    /// tracepoint's task pointers, or see every syscall.
    RawTracepoint(&'static str),
    /// `syscalls:PREFIX_NAME` (`sys_enter`, `sys_exit`) of every 64-bit
    /// syscall the rules name that no other program records.
    EachSyscall(&'static str),
    /// Never attached: a program the others of its type continue in, put
    /// in this slot of that type's program array (`sensor_common::tail`).
    Tail(Tails, u32),
}

/// The program arrays, one per program type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tails {
    /// `TAILS`: tracepoint programs.
    Tracepoint,
    /// `RAW_TAILS`: raw tracepoint programs.
    Raw,
}

impl Tails {
    pub fn map(self) -> &'static str {
        match self {
            Tails::Tracepoint => tail::TAILS_MAP,
            Tails::Raw => tail::RAW_TAILS_MAP,
        }
    }
}

/// When a program is attached.
pub enum Serves {
    /// Whatever the rules say (terminals, logins, the process tree).
    Always,
    /// When a rule can record one of these x86_64 syscalls.
    Syscalls(&'static [u32]),
    /// For the 64-bit syscalls no `Syscalls` program records.
    Generic,
    /// When a rule can record a 32-bit (i386) syscall.
    I386,
}

pub struct Program {
    /// Function name in sensor-ebpf.
    pub name: &'static str,
    pub attach: Attach,
    pub serves: Serves,
}

impl Program {
    /// Where it attaches, as `sensor check` reports it.
    pub fn point(&self) -> String {
        match self.attach {
            Attach::Tracepoint(category) => format!("tracepoint {category}:{}", self.name),
            Attach::RawTracepoint(point) => format!("raw tracepoint {point}"),
            Attach::EachSyscall(prefix) => {
                format!("tracepoints syscalls:{prefix}_* of the syscalls the rules name")
            }
            Attach::Tail(tails, slot) => format!("slot {slot} of {}", tails.map()),
        }
    }

    /// Whether it continues other programs rather than being attached.
    pub fn is_continuation(&self) -> bool {
        matches!(self.attach, Attach::Tail(..))
    }

    /// Whether the rules (which can record `syscalls`) need it attached.
    pub fn needed(&self, syscalls: &BTreeSet<SyscallId>) -> bool {
        if self.is_continuation() {
            return false;
        }
        match self.serves {
            Serves::Always => true,
            Serves::Syscalls(served) => served
                .iter()
                .any(|nr| syscalls.contains(&SyscallId::x86_64(*nr))),
            Serves::Generic => !generic(syscalls).is_empty(),
            Serves::I386 => syscalls.iter().any(|id| id.arch == Arch::I386),
        }
    }
}

/// The 64-bit syscalls of `syscalls` that no program of their own
/// records: the generic programs' (`Attach::EachSyscall`).
pub fn generic(syscalls: &BTreeSet<SyscallId>) -> Vec<SyscallId> {
    syscalls
        .iter()
        .filter(|id| id.arch == Arch::X86_64)
        .filter(|id| {
            !PROGRAMS.iter().any(|p| match p.serves {
                Serves::Syscalls(served) => served.contains(&id.nr),
                _ => false,
            })
        })
        .copied()
        .collect()
}

const fn syscall(name: &'static str, served: &'static [u32]) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("syscalls"),
        serves: Serves::Syscalls(served),
    }
}

const fn sched(name: &'static str, serves: Serves) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("sched"),
        serves,
    }
}

const fn raw(name: &'static str, point: &'static str, serves: Serves) -> Program {
    Program {
        name,
        attach: Attach::RawTracepoint(point),
        serves,
    }
}

const fn always(name: &'static str) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("syscalls"),
        serves: Serves::Always,
    }
}

const EXECVE: &[u32] = &[59];
const EXECVEAT: &[u32] = &[322];
const EXEC: &[u32] = &[59, 322];
const SOCKET: &[u32] = &[41];
const SETSOCKOPT: &[u32] = &[54];
const CONNECT: &[u32] = &[42];
const ACCEPT: &[u32] = &[43];
const ACCEPT4: &[u32] = &[288];
const BIND: &[u32] = &[49];
const MMAP: &[u32] = &[9];

pub const PROGRAMS: &[Program] = &[
    syscall("sys_enter_execve", EXECVE),
    syscall("sys_enter_execveat", EXECVEAT),
    syscall("sys_exit_execve", EXECVE),
    syscall("sys_exit_execveat", EXECVEAT),
    sched("sched_process_exec", Serves::Syscalls(EXEC)),
    syscall("sys_exit_socket", SOCKET),
    syscall("sys_exit_setsockopt", SETSOCKOPT),
    syscall("sys_enter_connect", CONNECT),
    syscall("sys_exit_connect", CONNECT),
    syscall("sys_enter_accept", ACCEPT),
    syscall("sys_exit_accept", ACCEPT),
    syscall("sys_enter_accept4", ACCEPT4),
    syscall("sys_exit_accept4", ACCEPT4),
    syscall("sys_exit_bind", BIND),
    syscall("sys_exit_mmap", MMAP),
    always("sys_enter_write"),
    always("sys_exit_write"),
    always("sys_enter_read"),
    always("sys_exit_read"),
    raw("sched_process_fork", "sched_process_fork", Serves::Always),
    sched("sched_process_exit", Serves::Always),
    raw("cgroup_mkdir", "cgroup_mkdir", Serves::Always),
    Program {
        name: "sys_enter_generic",
        attach: Attach::EachSyscall("sys_enter"),
        serves: Serves::Generic,
    },
    Program {
        name: "sys_exit_generic",
        attach: Attach::EachSyscall("sys_exit"),
        serves: Serves::Generic,
    },
    raw("compat_enter", "sys_enter", Serves::I386),
    raw("compat_exit", "sys_exit", Serves::I386),
    continuation(Tails::Tracepoint, tail::WALK),
    continuation(Tails::Tracepoint, tail::EXEC_FINISH),
    continuation(Tails::Tracepoint, tail::RESOLVE),
    continuation(Tails::Tracepoint, tail::SYSCALL_FINISH),
    continuation(Tails::Tracepoint, tail::SYSCALL_ENTER),
    continuation(Tails::Raw, tail::RESOLVE),
    continuation(Tails::Raw, tail::SYSCALL_FINISH),
    continuation(Tails::Raw, tail::SYSCALL_ENTER),
];

const fn continuation(tails: Tails, slot: u32) -> Program {
    let name = match tails {
        Tails::Tracepoint => tail::PROGRAMS[slot as usize],
        Tails::Raw => tail::RAW_PROGRAMS[slot as usize],
    };
    Program {
        name,
        attach: Attach::Tail(tails, slot),
        serves: Serves::Always,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_programs_take_what_no_family_program_records() {
        let ids: BTreeSet<SyscallId> = [59, 2, 263].into_iter().map(SyscallId::x86_64).collect();
        assert_eq!(
            generic(&ids),
            [SyscallId::x86_64(2), SyscallId::x86_64(263)]
        );
        let compat = SyscallId {
            arch: Arch::I386,
            nr: 11,
        };
        let ids: BTreeSet<SyscallId> = [compat].into();
        assert!(generic(&ids).is_empty());
        let needed: Vec<&str> = PROGRAMS
            .iter()
            .filter(|p| p.needed(&ids) && !matches!(p.serves, Serves::Always))
            .map(|p| p.name)
            .collect();
        assert_eq!(needed, ["compat_enter", "compat_exit"]);
    }
}
