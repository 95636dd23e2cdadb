//! mmap. When the rules only record mappings with PROT_EXEC (the default,
//! `-F a2&0x4`) the kernel drops the rest before any other work; otherwise
//! `SensorConfig::mmap_all` lets every one through to the rules.
//!
//! A file-backed mapping's record is followed by the file's path
//! components, leaf first, each NUL-terminated (as exec's exe).

use crate::{
    event::EventHeader,
    process::{InodeInfo, ProcessInfo, SyscallInfo},
};

pub const PROT_EXEC: u64 = 0x4;
pub const MAP_ANONYMOUS: u64 = 0x20;

/// `MmapEvent::flags`
pub mod flags {
    /// A file is mapped: `inode` and the path are valid.
    pub const HAS_FILE: u32 = 1 << 0;
    pub const PATH_TRUNCATED: u32 = 1 << 1;
    pub const DELETED: u32 = 1 << 2;
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MmapEvent {
    pub header: EventHeader,
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
    pub inode: InodeInfo,
    pub flags: u32,
    pub path_len: u32,
}

const _: () = assert!(core::mem::size_of::<MmapEvent>() == 272);

/// The mmap program (`sensor-ebpf/src/probes/mmap.rs`),
/// by the names the loader finds them by.
pub mod program {
    names!(sys_exit_mmap,);
}
