//! Logins: a write to /proc/<pid>/loginuid (what PAM's pam_loginuid and
//! sshd do) sets the task's loginuid and a new session id; the kernel's
//! LOGIN record says what changed.

//!
//! The kernel writes the LOGIN record from inside the write(2), so its
//! event also holds that call's SYSCALL record (and PROCTITLE): the
//! record carries the call too.

use crate::{
    event::EventHeader,
    process::{ProcessInfo, SyscallInfo},
};

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LoginEvent {
    pub header: EventHeader,
    /// After the write: `auid` and `ses` are the new values.
    pub process: ProcessInfo,
    /// The write: its arguments and return value (the kernel refused
    /// when negative).
    pub syscall: SyscallInfo,
    pub old_auid: u32,
    pub old_ses: u32,
}

const _: () = assert!(core::mem::size_of::<LoginEvent>() == 232);
