//! The header every ring-buffer record starts with, and the stable event kinds.

/// Stable numeric kinds: never renumber, only append.
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Exec = 1,
}

impl EventKind {
    pub const fn from_u16(raw: u16) -> Option<Self> {
        match raw {
            1 => Some(Self::Exec),
            _ => None,
        }
    }
}

/// At offset 0 of every record.
///
/// `seq` is a per-CPU sequence number taken for every record the kernel tried
/// to emit, so a gap seen by the reader is an exact count of records lost.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct EventHeader {
    pub kind: u16,
    pub flags: u16,
    /// Size of the whole record, header included.
    pub size: u32,
    pub cpu: u32,
    pub _pad: u32,
    pub seq: u64,
    /// `bpf_ktime_get_boot_ns()` at syscall entry; userspace adds the boot time.
    pub ts_boot_ns: u64,
}

const _: () = assert!(core::mem::size_of::<EventHeader>() == 32);
