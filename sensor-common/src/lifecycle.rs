//! Process lifecycle: fork/clone and exit, from the sched tracepoints.

use crate::{event::EventHeader, process::ProcessInfo};

/// A new process (not a new thread). `parent` is the forking task.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ForkEvent {
    pub header: EventHeader,
    pub parent: ProcessInfo,
    pub child_pid: u32,
    pub _pad: u32,
}

const _: () = assert!(core::mem::size_of::<ForkEvent>() == 168);

/// A process's last thread exiting.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ExitEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    /// `task->exit_code`: status in bits 8–15, terminating signal in 0–6,
    /// core dump in bit 7 (as wait(2) reports it).
    pub exit_code: u32,
    pub _pad: u32,
}

const _: () = assert!(core::mem::size_of::<ExitEvent>() == 168);

/// The lifecycle programs (`sensor-ebpf/src/probes/lifecycle.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(sched_process_fork, sched_process_exit,);
}
