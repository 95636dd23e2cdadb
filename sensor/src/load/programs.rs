//! Every program the sensor has, with its attach point and what it serves.

use std::collections::BTreeSet;

use sensor_common::tail;

pub enum Attach {
    /// `syscalls:*`, `sched:*`: category and name.
    Tracepoint(&'static str),
    /// A second program on one tracepoint: category and the tracepoint's
    /// name, which is not the program's.
    TracepointAs(&'static str, &'static str),
    /// A raw tracepoint, for programs that need the tracepoint's task pointers.
    RawTracepoint,
    /// Never attached: a tracepoint program the others continue in, put in
    /// this slot of the program array (`sensor_common::tail`).
    Tail(u32),
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
            Attach::TracepointAs(category, name) => format!("tracepoint {category}:{name}"),
            Attach::RawTracepoint => format!("raw tracepoint {}", self.name),
            Attach::Tail(slot) => format!("slot {slot} of {}", tail::TAILS_MAP),
        }
    }

    /// Whether it continues other programs rather than being attached.
    pub fn is_continuation(&self) -> bool {
        matches!(self.attach, Attach::Tail(_))
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
const EXEC: &[u32] = &[59, 322];
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
    // Before the exec program on the same tracepoint: programs run in the
    // order they were attached, so a session's root is known before its
    // exec's record is read (it carries the session too).
    Program {
        name: "session_exec",
        attach: Attach::TracepointAs("sched", "sched_process_exec"),
        serves: ALWAYS,
    },
    sched("sched_process_exec", EXEC),
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
    // Audit netlink messages: always, as auditd records user messages
    // whatever its syscall rules.
    syscall("sys_exit_sendto", ALWAYS),
    syscall("sys_exit_sendmsg", ALWAYS),
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
    continuation(tail::WALK),
    continuation(tail::EXEC_FINISH),
];

const fn continuation(slot: u32) -> Program {
    Program {
        name: tail::PROGRAMS[slot as usize],
        attach: Attach::Tail(slot),
        serves: ALWAYS,
    }
}
