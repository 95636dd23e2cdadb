//! Logins: a write to /proc/<pid>/loginuid (what PAM's pam_loginuid and
//! sshd do) sets the task's loginuid and a new session id; the kernel's
//! LOGIN record says what changed.

use crate::{event::EventHeader, process::ProcessInfo};

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LoginEvent {
    pub header: EventHeader,
    /// After the write: `auid` and `ses` are the new values.
    pub process: ProcessInfo,
    pub old_auid: u32,
    pub old_ses: u32,
    /// The write's return value: the kernel refused when negative.
    pub ret: i64,
}

const _: () = assert!(core::mem::size_of::<LoginEvent>() == 176);
