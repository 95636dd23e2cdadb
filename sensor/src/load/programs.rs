//! Every program the sensor has, with its attach point.

pub struct Program {
    /// Function name in sensor-ebpf.
    pub name: &'static str,
    pub category: &'static str,
    pub tracepoint: &'static str,
}

const fn tp(category: &'static str, name: &'static str) -> Program {
    Program {
        name,
        category,
        tracepoint: name,
    }
}

pub const PROGRAMS: &[Program] = &[
    tp("syscalls", "sys_enter_execve"),
    tp("syscalls", "sys_enter_execveat"),
    tp("syscalls", "sys_exit_execve"),
    tp("syscalls", "sys_exit_execveat"),
    tp("sched", "sched_process_exec"),
];
