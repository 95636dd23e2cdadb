//! Every program the sensor has, with its attach point and what it serves.

use std::collections::BTreeSet;

use sensor_common::tail;

pub enum Attach {
    /// `syscalls:*`, `sched:*`: category and name.
    Tracepoint(&'static str),
    /// A raw tracepoint, for programs that need the tracepoint's pointers.
    RawTracepoint,
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

pub struct Program {
    /// Function name in sensor-ebpf, which is also the tracepoint's name.
    pub name: &'static str,
    pub attach: Attach,
    /// The syscalls it records: it is attached only when a rule can record
    /// one of them. Empty: always attached (terminals, logins, lifecycle).
    pub serves: &'static [u32],
}

impl Program {
    /// Where it attaches, as `sensor check` reports it.
    pub fn point(&self) -> String {
        match self.attach {
            Attach::Tracepoint(category) => format!("tracepoint {category}:{}", self.name),
            Attach::RawTracepoint => format!("raw tracepoint {}", self.name),
            Attach::Tail(tails, slot) => format!("slot {slot} of {}", tails.map()),
        }
    }

    /// Whether it continues other programs rather than being attached.
    pub fn is_continuation(&self) -> bool {
        matches!(self.attach, Attach::Tail(..))
    }

    /// Whether the rules (which can record `syscalls`) need it attached.
    pub fn needed(&self, syscalls: &BTreeSet<u32>) -> bool {
        !self.is_continuation()
            && (self.serves.is_empty() || self.serves.iter().any(|nr| syscalls.contains(nr)))
    }
}

const fn syscall(name: &'static str, serves: &'static [u32]) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("syscalls"),
        serves,
    }
}

const fn sched(name: &'static str, serves: &'static [u32]) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("sched"),
        serves,
    }
}

const EXECVE: &[u32] = &[59];
const EXECVEAT: &[u32] = &[322];
const SOCKET: &[u32] = &[41];
const SETSOCKOPT: &[u32] = &[54];
const CONNECT: &[u32] = &[42];
const ACCEPT: &[u32] = &[43];
const ACCEPT4: &[u32] = &[288];
const BIND: &[u32] = &[49];
const MMAP: &[u32] = &[9];
const ALWAYS: &[u32] = &[];

pub const PROGRAMS: &[Program] = &[
    syscall("sys_enter_execve", EXECVE),
    syscall("sys_enter_execveat", EXECVEAT),
    syscall("sys_exit_execve", EXECVE),
    syscall("sys_exit_execveat", EXECVEAT),
    // Every exec, whatever the rules: the process table (exe, comm and
    // PROCTITLE of every record) learns of it here.
    Program {
        name: "sched_process_exec",
        attach: Attach::RawTracepoint,
        serves: ALWAYS,
    },
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
    syscall("sys_enter_write", ALWAYS),
    syscall("sys_exit_write", ALWAYS),
    syscall("sys_enter_read", ALWAYS),
    syscall("sys_exit_read", ALWAYS),
    Program {
        name: "sched_process_fork",
        attach: Attach::RawTracepoint,
        serves: ALWAYS,
    },
    sched("sched_process_exit", ALWAYS),
    Program {
        name: "cgroup_mkdir",
        attach: Attach::RawTracepoint,
        serves: ALWAYS,
    },
    continuation(Tails::Tracepoint, tail::WALK),
    continuation(Tails::Tracepoint, tail::EXEC_FINISH),
    continuation(Tails::Raw, tail::WALK),
    continuation(Tails::Raw, tail::EXEC_FINISH),
    continuation(Tails::Raw, tail::EXEC_FILES),
];

const fn continuation(tails: Tails, slot: u32) -> Program {
    let name = match tails {
        Tails::Tracepoint => tail::PROGRAMS[slot as usize],
        Tails::Raw => tail::RAW_PROGRAMS[slot as usize],
    };
    Program {
        name,
        attach: Attach::Tail(tails, slot),
        serves: ALWAYS,
    }
}
