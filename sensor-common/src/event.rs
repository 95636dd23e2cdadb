//! The header every ring-buffer record starts with, and the stable event kinds.

/// Stable numeric kinds: never renumber, only append.
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Exec = 1,
    /// socket(2): a SYSCALL record only.
    Socket = 2,
    Setsockopt = 3,
    Mmap = 4,
    /// connect, accept, accept4, bind: a SYSCALL and a SOCKADDR record.
    Sockaddr = 5,
    Fork = 6,
    Exit = 7,
    Tty = 8,
    Login = 9,
    /// A cgroup made: never written, it tells userspace a cgroup's path.
    Cgroup = 10,
    /// Any other syscall a rule names (`generic`).
    Syscall = 11,
}

/// Kinds, in number order, for per-kind counters.
pub const KINDS: [EventKind; 11] = [
    EventKind::Exec,
    EventKind::Socket,
    EventKind::Setsockopt,
    EventKind::Mmap,
    EventKind::Sockaddr,
    EventKind::Fork,
    EventKind::Exit,
    EventKind::Tty,
    EventKind::Login,
    EventKind::Cgroup,
    EventKind::Syscall,
];

/// Size of per-kind counter arrays (indexed by the kind's number).
pub const KIND_SLOTS: u32 = KINDS.len() as u32 + 1;

impl EventKind {
    pub const fn from_u16(raw: u16) -> Option<Self> {
        if raw == 0 || raw as usize > KINDS.len() {
            return None;
        }
        Some(KINDS[raw as usize - 1])
    }

    /// The name used in LOST records and metrics.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Exec => "exec",
            Self::Socket => "socket",
            Self::Setsockopt => "setsockopt",
            Self::Mmap => "mmap",
            Self::Sockaddr => "sockaddr",
            Self::Fork => "fork",
            Self::Exit => "exit",
            Self::Tty => "tty",
            Self::Login => "login",
            Self::Cgroup => "cgroup",
            Self::Syscall => "syscall",
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
    /// `bpf_ktime_get_boot_ns()` at syscall entry (at exit for the calls that
    /// are read at exit alone and do not block: socket, setsockopt, bind,
    /// mmap); userspace adds the boot time.
    pub ts_boot_ns: u64,
}

const _: () = assert!(core::mem::size_of::<EventHeader>() == 32);
