//! Every program the sensor has, with its attach point.

pub enum Attach {
    /// `syscalls:*`, `sched:*`: category and name.
    Tracepoint(&'static str),
    /// A raw tracepoint, for programs that need the tracepoint's task pointers.
    RawTracepoint,
}

pub struct Program {
    /// Function name in sensor-ebpf, which is also the tracepoint's name.
    pub name: &'static str,
    pub attach: Attach,
}

impl Program {
    /// Where it attaches, as `sensor check` reports it.
    pub fn point(&self) -> String {
        match self.attach {
            Attach::Tracepoint(category) => format!("tracepoint {category}:{}", self.name),
            Attach::RawTracepoint => format!("raw tracepoint {}", self.name),
        }
    }
}

const fn syscall(name: &'static str) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("syscalls"),
    }
}

const fn sched(name: &'static str) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("sched"),
    }
}

pub const PROGRAMS: &[Program] = &[
    syscall("sys_enter_execve"),
    syscall("sys_enter_execveat"),
    syscall("sys_exit_execve"),
    syscall("sys_exit_execveat"),
    sched("sched_process_exec"),
    syscall("sys_enter_socket"),
    syscall("sys_exit_socket"),
    syscall("sys_enter_setsockopt"),
    syscall("sys_exit_setsockopt"),
    syscall("sys_enter_connect"),
    syscall("sys_exit_connect"),
    syscall("sys_enter_accept"),
    syscall("sys_exit_accept"),
    syscall("sys_enter_accept4"),
    syscall("sys_exit_accept4"),
    syscall("sys_enter_bind"),
    syscall("sys_exit_bind"),
    syscall("sys_enter_mmap"),
    syscall("sys_exit_mmap"),
    syscall("sys_enter_write"),
    syscall("sys_exit_write"),
    syscall("sys_enter_read"),
    syscall("sys_exit_read"),
    Program {
        name: "sched_process_fork",
        attach: Attach::RawTracepoint,
    },
    sched("sched_process_exit"),
];
