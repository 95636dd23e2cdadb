//! The kernel/user ABI of sensor.
//!
//! Every record the eBPF programs write to the ring buffer starts with an
//! [`event::EventHeader`] and is defined once here, `#[repr(C)]`, with its size
//! asserted, so both sides agree on the layout by construction. Kernel struct
//! offsets are never compiled in: userspace resolves them from the running
//! kernel's BTF and hands them to the programs as the [`offsets::KernelOffsets`]
//! global before load.
#![no_std]

/// Names the loader finds parts of the eBPF object by (programs, maps,
/// globals): each a constant spelled as the part is named, whose value is
/// that spelling. `sensor-ebpf` names each part after its constant (its
/// `entry!` programs and `shared!` maps refer to it by the part's own
/// identifier, so a part without its constant does not compile) and the
/// loader refers to the constant: the two sides cannot spell a name
/// differently. `LIST => a, b` also gives the list of them as `LIST`.
macro_rules! names {
    ($list:ident => $($(#[$doc:meta])* $name:ident),* $(,)?) => {
        names!($($(#[$doc])* $name),*);
        pub const $list: &[&str] = &[$($name),*];
    };
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            #[allow(non_upper_case_globals)]
            pub const $name: &str = stringify!($name);
        )*
    };
}

pub mod cgroup;
pub mod config;
pub mod event;
pub mod exec;
pub mod generic;
pub mod lifecycle;
pub mod login;
pub mod maps;
pub mod mmap;
pub mod net;
pub mod offsets;
pub mod process;
pub mod rules;
pub mod scope;
pub mod session;
pub mod syscalls;
pub mod tail;
pub mod tty;
pub mod usermsg;
