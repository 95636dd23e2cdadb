//! Terminal I/O: what is written to a terminal (what the user sees) and
//! what is read from it (what the user typed), except input read while the
//! terminal has echo off (passwords).
//!
//! The record is followed by `data_len` bytes of the data.

use crate::{
    event::EventHeader,
    process::{ProcessInfo, SyscallInfo},
};

/// Most data bytes per record (the configured cap is at most this).
pub const TTY_DATA_CAP: usize = 4096;
pub const TTY_DATA_DEFAULT: usize = 1024;

pub const OUTPUT: u32 = 0;
pub const INPUT: u32 = 1;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TtyEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
    pub major: u32,
    pub minor: u32,
    /// `OUTPUT` or `INPUT`.
    pub direction: u32,
    pub data_len: u32,
    /// Bytes the call transferred (more than `data_len` when cut).
    pub data_total: u32,
    pub _pad: u32,
}

const _: () = assert!(core::mem::size_of::<TtyEvent>() == 248);

/// The terminal programs (`sensor-ebpf/src/probes/tty.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(
        sys_enter_write,
        sys_exit_write,
        sys_enter_read,
        sys_exit_read,
    );
}
