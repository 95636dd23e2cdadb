//! The kernel/user ABI of sensor.
//!
//! Every record the eBPF programs write to the ring buffer starts with an
//! [`event::EventHeader`] and is defined once here, `#[repr(C)]`, with its size
//! asserted, so both sides agree on the layout by construction. Kernel struct
//! offsets are never compiled in: userspace resolves them from the running
//! kernel's BTF and hands them to the programs as the [`offsets::KernelOffsets`]
//! global before load.
#![no_std]

pub mod cgroup;
pub mod config;
pub mod event;
pub mod exec;
pub mod generic;
pub mod lifecycle;
pub mod login;
pub mod mmap;
pub mod net;
pub mod offsets;
pub mod process;
pub mod rules;
pub mod scope;
pub mod syscalls;
pub mod tail;
pub mod tty;
