//! The header every ring-buffer record starts with, and the stable event kinds.

/// Declares the kinds once: the enum, `KINDS` in number order and each
/// kind's name, so that no table of kinds can miss one or list it out of
/// place.
macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident = $n:literal, $name:literal;)*) => {
        /// Stable numeric kinds: never renumber, only append.
        #[repr(u16)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum EventKind {
            $($(#[$doc])* $kind = $n,)*
        }

        /// Kinds, in number order, for per-kind counters.
        pub const KINDS: [EventKind; [$($n),*].len()] = [$(EventKind::$kind),*];

        impl EventKind {
            /// The name used in LOST records and metrics.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$kind => $name,)*
                }
            }
        }
    };
}

kinds! {
    Exec = 1, "exec";
    /// socket(2): a SYSCALL record only.
    Socket = 2, "socket";
    Setsockopt = 3, "setsockopt";
    Mmap = 4, "mmap";
    /// connect, accept, accept4, bind: a SYSCALL and a SOCKADDR record.
    Sockaddr = 5, "sockaddr";
    Fork = 6, "fork";
    Exit = 7, "exit";
    Tty = 8, "tty";
    Login = 9, "login";
    /// A cgroup made: never written, it tells userspace a cgroup's path.
    Cgroup = 10, "cgroup";
    /// Any other syscall a rule names (`generic`).
    Syscall = 11, "syscall";
    /// A message sent to the kernel's audit netlink socket.
    UserMsg = 12, "usermsg";
    /// An exec that entered namespaces: a possible runtime session's root.
    SessionCandidate = 13, "session";
    /// One of the kernel's own audit records, read from the audit netlink
    /// multicast group (never from the ring: the kind names its loss and
    /// metrics).
    KernelRecord = 14, "kernel_record";
}

// `from_u16` and the per-kind counters index by number: kind n is
// `KINDS[n - 1]`.
const _: () = {
    let mut i = 0;
    while i < KINDS.len() {
        assert!(
            KINDS[i] as usize == i + 1,
            "kinds are numbered 1, 2, 3… in order"
        );
        i += 1;
    }
};

/// Size of per-kind counter arrays (indexed by the kind's number).
pub const KIND_SLOTS: u32 = KINDS.len() as u32 + 1;

impl EventKind {
    pub const fn from_u16(raw: u16) -> Option<Self> {
        if raw == 0 || raw as usize > KINDS.len() {
            return None;
        }
        Some(KINDS[raw as usize - 1])
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
