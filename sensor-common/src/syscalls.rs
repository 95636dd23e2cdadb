//! Every syscall, once: its name, its number on each architecture the
//! kernel's audit tells apart (x86_64, i386: what `-F arch=b64`/`b32`
//! select), its tracepoint where the name differs, and the records the
//! kernel's audit writes for it (its family, with the arguments that
//! matter). The rule parser's names, the renderer's names, the programs
//! attached and the decoders derive from this table: adding a syscall to
//! an existing family is one row.
//!
//! Generated from the system call headers of Debian's linux-libc-dev 7.2
//! (`asm/unistd_64.h`, `asm/unistd_32.h`), rows in x86_64 number order then
//! the i386-only ones; families and path arguments added by hand after the
//! kernel's audit (`auditsc.c`, `audit_inode*` callers in `fs/namei.c`).

/// No number on this architecture.
pub const NONE: u16 = u16::MAX;
/// No such argument.
pub const NO_ARG: u8 = u8::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Syscall {
    pub name: &'static str,
    pub x86_64: u16,
    pub i386: u16,
    /// `syscalls:sys_enter_NAME` when NAME is not the syscall's own.
    pub tracepoint: Option<&'static str>,
    pub family: Family,
}

/// The records the kernel's audit writes for a syscall, beside SYSCALL
/// (and PROCTITLE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Nothing more.
    Plain,
    /// EXECVE, CWD, PATH (the programs of `exec`).
    Exec,
    /// The socket's domain, type and protocol are a0-a2.
    Socket,
    /// The option's value (the sensor's SOCKOPT).
    Setsockopt,
    /// SOCKADDR.
    Sockaddr,
    /// MMAP.
    Mmap,
    /// CWD and a PATH item per path argument (and its parent where the
    /// call creates or deletes a name).
    Path(&'static [PathArg]),
    /// OBJ_PID: the process signalled or traced (its pid is this argument).
    Kill(u8),
    /// FD_PAIR: the two descriptors made (in the int[2] this argument
    /// points to).
    FdPair(u8),
    /// KERN_MODULE: the module loaded.
    Module,
    /// CAPSET: the capabilities set.
    Capset,
    /// TIME_INJOFFSET / TIME_ADJNTPVAL, when the time changed.
    Time,
    /// SOCKETCALL: the socket call and its arguments (i386).
    Socketcall,
    /// CWD and a PATH item without a name for the file of the descriptor
    /// in this argument (`audit_file`), when it is one.
    Fd(u8),
}

/// A path argument: which argument, the directory fd it is relative to,
/// and what the call does to the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathArg {
    pub arg: u8,
    pub dirfd: u8,
    pub kind: PathKind,
    /// Whether a symbolic link as the name's last component is followed.
    pub follow: Follow,
}

/// Whether a call follows a symbolic link at the end of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    Never,
    Always,
    /// Unless the argument has one of `bits` (`AT_SYMLINK_NOFOLLOW`…).
    UnlessFlag {
        arg: u8,
        bits: u32,
    },
    /// Only when the argument has one of `bits` (`AT_SYMLINK_FOLLOW`).
    IfFlag {
        arg: u8,
        bits: u32,
    },
}

pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const UMOUNT_NOFOLLOW: u32 = 0x8;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const FAN_MARK_DONT_FOLLOW: u32 = 0x4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    /// An existing object (nametype NORMAL).
    Normal,
    /// Created: its parent (PARENT) and itself (CREATE).
    Create,
    /// Removed: its parent (PARENT) and itself (DELETE).
    Delete,
    /// Opened: created (as `Create`) when the flags (the next argument)
    /// hold O_CREAT and it did not exist, else `Normal`.
    Open,
    /// A rename's source (PARENT, DELETE).
    RenameFrom,
    /// A rename's target (PARENT, CREATE, and DELETE for what it replaced).
    RenameTo,
    /// A name the call takes but does not look up (a symlink's target):
    /// its name only (nametype UNKNOWN). A mount's source is no name to
    /// the kernel's audit (copied as a plain string) and not listed.
    Literal,
}

impl Syscall {
    pub const fn number(&self, arch: Arch) -> Option<u32> {
        let nr = match arch {
            Arch::X86_64 => self.x86_64,
            Arch::I386 => self.i386,
        };
        if nr == NONE {
            None
        } else {
            Some(nr as u32)
        }
    }

    /// Whether the call changes the caller's ids (the set*id calls, and
    /// their 16-bit i386 forms): a rule on them is decided after the call,
    /// as the kernel's audit decides it.
    pub fn changes_ids(&self) -> bool {
        matches!(
            self.name.strip_suffix("32").unwrap_or(self.name),
            "setuid"
                | "setgid"
                | "setreuid"
                | "setregid"
                | "setresuid"
                | "setresgid"
                | "setfsuid"
                | "setfsgid"
        )
    }

    /// Its `syscalls:sys_enter_*`/`sys_exit_*` tracepoints' name part.
    pub const fn tracepoint(&self) -> &'static str {
        match self.tracepoint {
            Some(t) => t,
            None => self.name,
        }
    }
}

/// The architectures a rule's `arch` tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    X86_64,
    I386,
}

/// The syscall named `name`, by its own name.
pub fn by_name(name: &str) -> Option<&'static Syscall> {
    SYSCALLS.iter().find(|s| s.name == name)
}

/// The syscall numbered `nr` on `arch`.
pub fn by_number(arch: Arch, nr: u32) -> Option<&'static Syscall> {
    SYSCALLS.iter().find(|s| s.number(arch) == Some(nr))
}

/// The x86_64 number of `name`, at compile time (for the programs' own
/// families): a name not in the table does not compile.
pub const fn x86_64(name: &str) -> u32 {
    match number_of(name, Arch::X86_64) {
        Some(nr) => nr,
        None => panic!("no such x86_64 syscall"),
    }
}

/// The i386 number of `name`, at compile time, likewise.
pub const fn i386(name: &str) -> u32 {
    match number_of(name, Arch::I386) {
        Some(nr) => nr,
        None => panic!("no such i386 syscall"),
    }
}

const fn number_of(name: &str, arch: Arch) -> Option<u32> {
    let mut i = 0;
    while i < SYSCALLS.len() {
        if str_eq(SYSCALLS[i].name, name) {
            if let Some(nr) = SYSCALLS[i].number(arch) {
                return Some(nr);
            }
        }
        i += 1;
    }
    None
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[rustfmt::skip]
pub const SYSCALLS: &[Syscall] = &[
    Syscall { name: "read", x86_64: 0, i386: 3, tracepoint: None, family: Family::Plain },
    Syscall { name: "write", x86_64: 1, i386: 4, tracepoint: None, family: Family::Plain },
    Syscall { name: "open", x86_64: 2, i386: 5, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Open, follow: Follow::UnlessFlag { arg: 1, bits: O_NOFOLLOW } }]) },
    Syscall { name: "close", x86_64: 3, i386: 6, tracepoint: None, family: Family::Plain },
    Syscall { name: "stat", x86_64: 4, i386: 106, tracepoint: Some("newstat"), family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "fstat", x86_64: 5, i386: 108, tracepoint: Some("newfstat"), family: Family::Plain },
    Syscall { name: "lstat", x86_64: 6, i386: 107, tracepoint: Some("newlstat"), family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "poll", x86_64: 7, i386: 168, tracepoint: None, family: Family::Plain },
    Syscall { name: "lseek", x86_64: 8, i386: 19, tracepoint: None, family: Family::Plain },
    Syscall { name: "mmap", x86_64: 9, i386: 90, tracepoint: None, family: Family::Mmap },
    Syscall { name: "mprotect", x86_64: 10, i386: 125, tracepoint: None, family: Family::Plain },
    Syscall { name: "munmap", x86_64: 11, i386: 91, tracepoint: None, family: Family::Plain },
    Syscall { name: "brk", x86_64: 12, i386: 45, tracepoint: None, family: Family::Plain },
    Syscall { name: "rt_sigaction", x86_64: 13, i386: 174, tracepoint: None, family: Family::Plain },
    Syscall { name: "rt_sigprocmask", x86_64: 14, i386: 175, tracepoint: None, family: Family::Plain },
    Syscall { name: "rt_sigreturn", x86_64: 15, i386: 173, tracepoint: None, family: Family::Plain },
    Syscall { name: "ioctl", x86_64: 16, i386: 54, tracepoint: None, family: Family::Plain },
    Syscall { name: "pread64", x86_64: 17, i386: 180, tracepoint: None, family: Family::Plain },
    Syscall { name: "pwrite64", x86_64: 18, i386: 181, tracepoint: None, family: Family::Plain },
    Syscall { name: "readv", x86_64: 19, i386: 145, tracepoint: None, family: Family::Plain },
    Syscall { name: "writev", x86_64: 20, i386: 146, tracepoint: None, family: Family::Plain },
    Syscall { name: "access", x86_64: 21, i386: 33, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "pipe", x86_64: 22, i386: 42, tracepoint: None, family: Family::FdPair(0) },
    Syscall { name: "select", x86_64: 23, i386: 82, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_yield", x86_64: 24, i386: 158, tracepoint: None, family: Family::Plain },
    Syscall { name: "mremap", x86_64: 25, i386: 163, tracepoint: None, family: Family::Plain },
    Syscall { name: "msync", x86_64: 26, i386: 144, tracepoint: None, family: Family::Plain },
    Syscall { name: "mincore", x86_64: 27, i386: 218, tracepoint: None, family: Family::Plain },
    Syscall { name: "madvise", x86_64: 28, i386: 219, tracepoint: None, family: Family::Plain },
    Syscall { name: "shmget", x86_64: 29, i386: 395, tracepoint: None, family: Family::Plain },
    Syscall { name: "shmat", x86_64: 30, i386: 397, tracepoint: None, family: Family::Plain },
    Syscall { name: "shmctl", x86_64: 31, i386: 396, tracepoint: None, family: Family::Plain },
    Syscall { name: "dup", x86_64: 32, i386: 41, tracepoint: None, family: Family::Plain },
    Syscall { name: "dup2", x86_64: 33, i386: 63, tracepoint: None, family: Family::Plain },
    Syscall { name: "pause", x86_64: 34, i386: 29, tracepoint: None, family: Family::Plain },
    Syscall { name: "nanosleep", x86_64: 35, i386: 162, tracepoint: None, family: Family::Plain },
    Syscall { name: "getitimer", x86_64: 36, i386: 105, tracepoint: None, family: Family::Plain },
    Syscall { name: "alarm", x86_64: 37, i386: 27, tracepoint: None, family: Family::Plain },
    Syscall { name: "setitimer", x86_64: 38, i386: 104, tracepoint: None, family: Family::Plain },
    Syscall { name: "getpid", x86_64: 39, i386: 20, tracepoint: None, family: Family::Plain },
    Syscall { name: "sendfile", x86_64: 40, i386: 187, tracepoint: Some("sendfile64"), family: Family::Plain },
    Syscall { name: "socket", x86_64: 41, i386: 359, tracepoint: None, family: Family::Socket },
    Syscall { name: "connect", x86_64: 42, i386: 362, tracepoint: None, family: Family::Sockaddr },
    Syscall { name: "accept", x86_64: 43, i386: NONE, tracepoint: None, family: Family::Sockaddr },
    Syscall { name: "sendto", x86_64: 44, i386: 369, tracepoint: None, family: Family::Plain },
    Syscall { name: "recvfrom", x86_64: 45, i386: 371, tracepoint: None, family: Family::Plain },
    Syscall { name: "sendmsg", x86_64: 46, i386: 370, tracepoint: None, family: Family::Plain },
    Syscall { name: "recvmsg", x86_64: 47, i386: 372, tracepoint: None, family: Family::Plain },
    Syscall { name: "shutdown", x86_64: 48, i386: 373, tracepoint: None, family: Family::Plain },
    Syscall { name: "bind", x86_64: 49, i386: 361, tracepoint: None, family: Family::Sockaddr },
    Syscall { name: "listen", x86_64: 50, i386: 363, tracepoint: None, family: Family::Plain },
    Syscall { name: "getsockname", x86_64: 51, i386: 367, tracepoint: None, family: Family::Plain },
    Syscall { name: "getpeername", x86_64: 52, i386: 368, tracepoint: None, family: Family::Plain },
    Syscall { name: "socketpair", x86_64: 53, i386: 360, tracepoint: None, family: Family::FdPair(3) },
    Syscall { name: "setsockopt", x86_64: 54, i386: 366, tracepoint: None, family: Family::Setsockopt },
    Syscall { name: "getsockopt", x86_64: 55, i386: 365, tracepoint: None, family: Family::Plain },
    Syscall { name: "clone", x86_64: 56, i386: 120, tracepoint: None, family: Family::Plain },
    Syscall { name: "fork", x86_64: 57, i386: 2, tracepoint: None, family: Family::Plain },
    Syscall { name: "vfork", x86_64: 58, i386: 190, tracepoint: None, family: Family::Plain },
    Syscall { name: "execve", x86_64: 59, i386: 11, tracepoint: None, family: Family::Exec },
    Syscall { name: "exit", x86_64: 60, i386: 1, tracepoint: None, family: Family::Plain },
    Syscall { name: "wait4", x86_64: 61, i386: 114, tracepoint: None, family: Family::Plain },
    Syscall { name: "kill", x86_64: 62, i386: 37, tracepoint: None, family: Family::Kill(0) },
    Syscall { name: "uname", x86_64: 63, i386: 122, tracepoint: Some("newuname"), family: Family::Plain },
    Syscall { name: "semget", x86_64: 64, i386: 393, tracepoint: None, family: Family::Plain },
    Syscall { name: "semop", x86_64: 65, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "semctl", x86_64: 66, i386: 394, tracepoint: None, family: Family::Plain },
    Syscall { name: "shmdt", x86_64: 67, i386: 398, tracepoint: None, family: Family::Plain },
    Syscall { name: "msgget", x86_64: 68, i386: 399, tracepoint: None, family: Family::Plain },
    Syscall { name: "msgsnd", x86_64: 69, i386: 400, tracepoint: None, family: Family::Plain },
    Syscall { name: "msgrcv", x86_64: 70, i386: 401, tracepoint: None, family: Family::Plain },
    Syscall { name: "msgctl", x86_64: 71, i386: 402, tracepoint: None, family: Family::Plain },
    Syscall { name: "fcntl", x86_64: 72, i386: 55, tracepoint: None, family: Family::Plain },
    Syscall { name: "flock", x86_64: 73, i386: 143, tracepoint: None, family: Family::Plain },
    Syscall { name: "fsync", x86_64: 74, i386: 118, tracepoint: None, family: Family::Plain },
    Syscall { name: "fdatasync", x86_64: 75, i386: 148, tracepoint: None, family: Family::Plain },
    Syscall { name: "truncate", x86_64: 76, i386: 92, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "ftruncate", x86_64: 77, i386: 93, tracepoint: None, family: Family::Plain },
    Syscall { name: "getdents", x86_64: 78, i386: 141, tracepoint: None, family: Family::Plain },
    Syscall { name: "getcwd", x86_64: 79, i386: 183, tracepoint: None, family: Family::Plain },
    Syscall { name: "chdir", x86_64: 80, i386: 12, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "fchdir", x86_64: 81, i386: 133, tracepoint: None, family: Family::Plain },
    Syscall { name: "rename", x86_64: 82, i386: 38, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::RenameFrom, follow: Follow::Never }, PathArg { arg: 1, dirfd: NO_ARG, kind: PathKind::RenameTo, follow: Follow::Never }]) },
    Syscall { name: "mkdir", x86_64: 83, i386: 39, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "rmdir", x86_64: 84, i386: 40, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Delete, follow: Follow::Never }]) },
    Syscall { name: "creat", x86_64: 85, i386: 8, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "link", x86_64: 86, i386: 9, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }, PathArg { arg: 1, dirfd: NO_ARG, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "unlink", x86_64: 87, i386: 10, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Delete, follow: Follow::Never }]) },
    Syscall { name: "symlink", x86_64: 88, i386: 83, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Literal, follow: Follow::Never }, PathArg { arg: 1, dirfd: NO_ARG, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "readlink", x86_64: 89, i386: 85, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "chmod", x86_64: 90, i386: 15, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "fchmod", x86_64: 91, i386: 94, tracepoint: None, family: Family::Fd(0) },
    Syscall { name: "chown", x86_64: 92, i386: 182, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "fchown", x86_64: 93, i386: 95, tracepoint: None, family: Family::Fd(0) },
    Syscall { name: "lchown", x86_64: 94, i386: 16, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "umask", x86_64: 95, i386: 60, tracepoint: None, family: Family::Plain },
    Syscall { name: "gettimeofday", x86_64: 96, i386: 78, tracepoint: None, family: Family::Plain },
    Syscall { name: "getrlimit", x86_64: 97, i386: 76, tracepoint: None, family: Family::Plain },
    Syscall { name: "getrusage", x86_64: 98, i386: 77, tracepoint: None, family: Family::Plain },
    Syscall { name: "sysinfo", x86_64: 99, i386: 116, tracepoint: None, family: Family::Plain },
    Syscall { name: "times", x86_64: 100, i386: 43, tracepoint: None, family: Family::Plain },
    Syscall { name: "ptrace", x86_64: 101, i386: 26, tracepoint: None, family: Family::Kill(1) },
    Syscall { name: "getuid", x86_64: 102, i386: 24, tracepoint: None, family: Family::Plain },
    Syscall { name: "syslog", x86_64: 103, i386: 103, tracepoint: None, family: Family::Plain },
    Syscall { name: "getgid", x86_64: 104, i386: 47, tracepoint: None, family: Family::Plain },
    Syscall { name: "setuid", x86_64: 105, i386: 23, tracepoint: None, family: Family::Plain },
    Syscall { name: "setgid", x86_64: 106, i386: 46, tracepoint: None, family: Family::Plain },
    Syscall { name: "geteuid", x86_64: 107, i386: 49, tracepoint: None, family: Family::Plain },
    Syscall { name: "getegid", x86_64: 108, i386: 50, tracepoint: None, family: Family::Plain },
    Syscall { name: "setpgid", x86_64: 109, i386: 57, tracepoint: None, family: Family::Plain },
    Syscall { name: "getppid", x86_64: 110, i386: 64, tracepoint: None, family: Family::Plain },
    Syscall { name: "getpgrp", x86_64: 111, i386: 65, tracepoint: None, family: Family::Plain },
    Syscall { name: "setsid", x86_64: 112, i386: 66, tracepoint: None, family: Family::Plain },
    Syscall { name: "setreuid", x86_64: 113, i386: 70, tracepoint: None, family: Family::Plain },
    Syscall { name: "setregid", x86_64: 114, i386: 71, tracepoint: None, family: Family::Plain },
    Syscall { name: "getgroups", x86_64: 115, i386: 80, tracepoint: None, family: Family::Plain },
    Syscall { name: "setgroups", x86_64: 116, i386: 81, tracepoint: None, family: Family::Plain },
    Syscall { name: "setresuid", x86_64: 117, i386: 164, tracepoint: None, family: Family::Plain },
    Syscall { name: "getresuid", x86_64: 118, i386: 165, tracepoint: None, family: Family::Plain },
    Syscall { name: "setresgid", x86_64: 119, i386: 170, tracepoint: None, family: Family::Plain },
    Syscall { name: "getresgid", x86_64: 120, i386: 171, tracepoint: None, family: Family::Plain },
    Syscall { name: "getpgid", x86_64: 121, i386: 132, tracepoint: None, family: Family::Plain },
    Syscall { name: "setfsuid", x86_64: 122, i386: 138, tracepoint: None, family: Family::Plain },
    Syscall { name: "setfsgid", x86_64: 123, i386: 139, tracepoint: None, family: Family::Plain },
    Syscall { name: "getsid", x86_64: 124, i386: 147, tracepoint: None, family: Family::Plain },
    Syscall { name: "capget", x86_64: 125, i386: 184, tracepoint: None, family: Family::Plain },
    Syscall { name: "capset", x86_64: 126, i386: 185, tracepoint: None, family: Family::Capset },
    Syscall { name: "rt_sigpending", x86_64: 127, i386: 176, tracepoint: None, family: Family::Plain },
    Syscall { name: "rt_sigtimedwait", x86_64: 128, i386: 177, tracepoint: None, family: Family::Plain },
    Syscall { name: "rt_sigqueueinfo", x86_64: 129, i386: 178, tracepoint: None, family: Family::Plain },
    Syscall { name: "rt_sigsuspend", x86_64: 130, i386: 179, tracepoint: None, family: Family::Plain },
    Syscall { name: "sigaltstack", x86_64: 131, i386: 186, tracepoint: None, family: Family::Plain },
    Syscall { name: "utime", x86_64: 132, i386: 30, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "mknod", x86_64: 133, i386: 14, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "uselib", x86_64: 134, i386: 86, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "personality", x86_64: 135, i386: 136, tracepoint: None, family: Family::Plain },
    Syscall { name: "ustat", x86_64: 136, i386: 62, tracepoint: None, family: Family::Plain },
    Syscall { name: "statfs", x86_64: 137, i386: 99, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "fstatfs", x86_64: 138, i386: 100, tracepoint: None, family: Family::Plain },
    Syscall { name: "sysfs", x86_64: 139, i386: 135, tracepoint: None, family: Family::Plain },
    Syscall { name: "getpriority", x86_64: 140, i386: 96, tracepoint: None, family: Family::Plain },
    Syscall { name: "setpriority", x86_64: 141, i386: 97, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_setparam", x86_64: 142, i386: 154, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_getparam", x86_64: 143, i386: 155, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_setscheduler", x86_64: 144, i386: 156, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_getscheduler", x86_64: 145, i386: 157, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_get_priority_max", x86_64: 146, i386: 159, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_get_priority_min", x86_64: 147, i386: 160, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_rr_get_interval", x86_64: 148, i386: 161, tracepoint: None, family: Family::Plain },
    Syscall { name: "mlock", x86_64: 149, i386: 150, tracepoint: None, family: Family::Plain },
    Syscall { name: "munlock", x86_64: 150, i386: 151, tracepoint: None, family: Family::Plain },
    Syscall { name: "mlockall", x86_64: 151, i386: 152, tracepoint: None, family: Family::Plain },
    Syscall { name: "munlockall", x86_64: 152, i386: 153, tracepoint: None, family: Family::Plain },
    Syscall { name: "vhangup", x86_64: 153, i386: 111, tracepoint: None, family: Family::Plain },
    Syscall { name: "modify_ldt", x86_64: 154, i386: 123, tracepoint: None, family: Family::Plain },
    Syscall { name: "pivot_root", x86_64: 155, i386: 217, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }, PathArg { arg: 1, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "_sysctl", x86_64: 156, i386: 149, tracepoint: None, family: Family::Plain },
    Syscall { name: "prctl", x86_64: 157, i386: 172, tracepoint: None, family: Family::Plain },
    Syscall { name: "arch_prctl", x86_64: 158, i386: 384, tracepoint: None, family: Family::Plain },
    Syscall { name: "adjtimex", x86_64: 159, i386: 124, tracepoint: None, family: Family::Time },
    Syscall { name: "setrlimit", x86_64: 160, i386: 75, tracepoint: None, family: Family::Plain },
    Syscall { name: "chroot", x86_64: 161, i386: 61, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "sync", x86_64: 162, i386: 36, tracepoint: None, family: Family::Plain },
    Syscall { name: "acct", x86_64: 163, i386: 51, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "settimeofday", x86_64: 164, i386: 79, tracepoint: None, family: Family::Time },
    Syscall { name: "mount", x86_64: 165, i386: 21, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "umount2", x86_64: 166, i386: 52, tracepoint: Some("umount"), family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 1, bits: UMOUNT_NOFOLLOW } }]) },
    Syscall { name: "swapon", x86_64: 167, i386: 87, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "swapoff", x86_64: 168, i386: 115, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "reboot", x86_64: 169, i386: 88, tracepoint: None, family: Family::Plain },
    Syscall { name: "sethostname", x86_64: 170, i386: 74, tracepoint: None, family: Family::Plain },
    Syscall { name: "setdomainname", x86_64: 171, i386: 121, tracepoint: None, family: Family::Plain },
    Syscall { name: "iopl", x86_64: 172, i386: 110, tracepoint: None, family: Family::Plain },
    Syscall { name: "ioperm", x86_64: 173, i386: 101, tracepoint: None, family: Family::Plain },
    Syscall { name: "create_module", x86_64: 174, i386: 127, tracepoint: None, family: Family::Plain },
    Syscall { name: "init_module", x86_64: 175, i386: 128, tracepoint: None, family: Family::Module },
    Syscall { name: "delete_module", x86_64: 176, i386: 129, tracepoint: None, family: Family::Plain },
    Syscall { name: "get_kernel_syms", x86_64: 177, i386: 130, tracepoint: None, family: Family::Plain },
    Syscall { name: "query_module", x86_64: 178, i386: 167, tracepoint: None, family: Family::Plain },
    Syscall { name: "quotactl", x86_64: 179, i386: 131, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "nfsservctl", x86_64: 180, i386: 169, tracepoint: None, family: Family::Plain },
    Syscall { name: "getpmsg", x86_64: 181, i386: 188, tracepoint: None, family: Family::Plain },
    Syscall { name: "putpmsg", x86_64: 182, i386: 189, tracepoint: None, family: Family::Plain },
    Syscall { name: "afs_syscall", x86_64: 183, i386: 137, tracepoint: None, family: Family::Plain },
    Syscall { name: "tuxcall", x86_64: 184, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "security", x86_64: 185, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "gettid", x86_64: 186, i386: 224, tracepoint: None, family: Family::Plain },
    Syscall { name: "readahead", x86_64: 187, i386: 225, tracepoint: None, family: Family::Plain },
    Syscall { name: "setxattr", x86_64: 188, i386: 226, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "lsetxattr", x86_64: 189, i386: 227, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "fsetxattr", x86_64: 190, i386: 228, tracepoint: None, family: Family::Fd(0) },
    Syscall { name: "getxattr", x86_64: 191, i386: 229, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "lgetxattr", x86_64: 192, i386: 230, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "fgetxattr", x86_64: 193, i386: 231, tracepoint: None, family: Family::Fd(0) },
    Syscall { name: "listxattr", x86_64: 194, i386: 232, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "llistxattr", x86_64: 195, i386: 233, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "flistxattr", x86_64: 196, i386: 234, tracepoint: None, family: Family::Fd(0) },
    Syscall { name: "removexattr", x86_64: 197, i386: 235, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "lremovexattr", x86_64: 198, i386: 236, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "fremovexattr", x86_64: 199, i386: 237, tracepoint: None, family: Family::Fd(0) },
    Syscall { name: "tkill", x86_64: 200, i386: 238, tracepoint: None, family: Family::Kill(0) },
    Syscall { name: "time", x86_64: 201, i386: 13, tracepoint: None, family: Family::Plain },
    Syscall { name: "futex", x86_64: 202, i386: 240, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_setaffinity", x86_64: 203, i386: 241, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_getaffinity", x86_64: 204, i386: 242, tracepoint: None, family: Family::Plain },
    Syscall { name: "set_thread_area", x86_64: 205, i386: 243, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_setup", x86_64: 206, i386: 245, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_destroy", x86_64: 207, i386: 246, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_getevents", x86_64: 208, i386: 247, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_submit", x86_64: 209, i386: 248, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_cancel", x86_64: 210, i386: 249, tracepoint: None, family: Family::Plain },
    Syscall { name: "get_thread_area", x86_64: 211, i386: 244, tracepoint: None, family: Family::Plain },
    Syscall { name: "lookup_dcookie", x86_64: 212, i386: 253, tracepoint: None, family: Family::Plain },
    Syscall { name: "epoll_create", x86_64: 213, i386: 254, tracepoint: None, family: Family::Plain },
    Syscall { name: "epoll_ctl_old", x86_64: 214, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "epoll_wait_old", x86_64: 215, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "remap_file_pages", x86_64: 216, i386: 257, tracepoint: None, family: Family::Plain },
    Syscall { name: "getdents64", x86_64: 217, i386: 220, tracepoint: None, family: Family::Plain },
    Syscall { name: "set_tid_address", x86_64: 218, i386: 258, tracepoint: None, family: Family::Plain },
    Syscall { name: "restart_syscall", x86_64: 219, i386: 0, tracepoint: None, family: Family::Plain },
    Syscall { name: "semtimedop", x86_64: 220, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "fadvise64", x86_64: 221, i386: 250, tracepoint: None, family: Family::Plain },
    Syscall { name: "timer_create", x86_64: 222, i386: 259, tracepoint: None, family: Family::Plain },
    Syscall { name: "timer_settime", x86_64: 223, i386: 260, tracepoint: None, family: Family::Plain },
    Syscall { name: "timer_gettime", x86_64: 224, i386: 261, tracepoint: None, family: Family::Plain },
    Syscall { name: "timer_getoverrun", x86_64: 225, i386: 262, tracepoint: None, family: Family::Plain },
    Syscall { name: "timer_delete", x86_64: 226, i386: 263, tracepoint: None, family: Family::Plain },
    Syscall { name: "clock_settime", x86_64: 227, i386: 264, tracepoint: None, family: Family::Time },
    Syscall { name: "clock_gettime", x86_64: 228, i386: 265, tracepoint: None, family: Family::Plain },
    Syscall { name: "clock_getres", x86_64: 229, i386: 266, tracepoint: None, family: Family::Plain },
    Syscall { name: "clock_nanosleep", x86_64: 230, i386: 267, tracepoint: None, family: Family::Plain },
    Syscall { name: "exit_group", x86_64: 231, i386: 252, tracepoint: None, family: Family::Plain },
    Syscall { name: "epoll_wait", x86_64: 232, i386: 256, tracepoint: None, family: Family::Plain },
    Syscall { name: "epoll_ctl", x86_64: 233, i386: 255, tracepoint: None, family: Family::Plain },
    Syscall { name: "tgkill", x86_64: 234, i386: 270, tracepoint: None, family: Family::Kill(1) },
    Syscall { name: "utimes", x86_64: 235, i386: 271, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "vserver", x86_64: 236, i386: 273, tracepoint: None, family: Family::Plain },
    Syscall { name: "mbind", x86_64: 237, i386: 274, tracepoint: None, family: Family::Plain },
    Syscall { name: "set_mempolicy", x86_64: 238, i386: 276, tracepoint: None, family: Family::Plain },
    Syscall { name: "get_mempolicy", x86_64: 239, i386: 275, tracepoint: None, family: Family::Plain },
    Syscall { name: "mq_open", x86_64: 240, i386: 277, tracepoint: None, family: Family::Plain },
    Syscall { name: "mq_unlink", x86_64: 241, i386: 278, tracepoint: None, family: Family::Plain },
    Syscall { name: "mq_timedsend", x86_64: 242, i386: 279, tracepoint: None, family: Family::Plain },
    Syscall { name: "mq_timedreceive", x86_64: 243, i386: 280, tracepoint: None, family: Family::Plain },
    Syscall { name: "mq_notify", x86_64: 244, i386: 281, tracepoint: None, family: Family::Plain },
    Syscall { name: "mq_getsetattr", x86_64: 245, i386: 282, tracepoint: None, family: Family::Plain },
    Syscall { name: "kexec_load", x86_64: 246, i386: 283, tracepoint: None, family: Family::Plain },
    Syscall { name: "waitid", x86_64: 247, i386: 284, tracepoint: None, family: Family::Plain },
    Syscall { name: "add_key", x86_64: 248, i386: 286, tracepoint: None, family: Family::Plain },
    Syscall { name: "request_key", x86_64: 249, i386: 287, tracepoint: None, family: Family::Plain },
    Syscall { name: "keyctl", x86_64: 250, i386: 288, tracepoint: None, family: Family::Plain },
    Syscall { name: "ioprio_set", x86_64: 251, i386: 289, tracepoint: None, family: Family::Plain },
    Syscall { name: "ioprio_get", x86_64: 252, i386: 290, tracepoint: None, family: Family::Plain },
    Syscall { name: "inotify_init", x86_64: 253, i386: 291, tracepoint: None, family: Family::Plain },
    Syscall { name: "inotify_add_watch", x86_64: 254, i386: 292, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: IN_DONT_FOLLOW } }]) },
    Syscall { name: "inotify_rm_watch", x86_64: 255, i386: 293, tracepoint: None, family: Family::Plain },
    Syscall { name: "migrate_pages", x86_64: 256, i386: 294, tracepoint: None, family: Family::Plain },
    Syscall { name: "openat", x86_64: 257, i386: 295, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Open, follow: Follow::UnlessFlag { arg: 2, bits: O_NOFOLLOW } }]) },
    Syscall { name: "mkdirat", x86_64: 258, i386: 296, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "mknodat", x86_64: 259, i386: 297, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "fchownat", x86_64: 260, i386: 298, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 4, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "futimesat", x86_64: 261, i386: 299, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "newfstatat", x86_64: 262, i386: NONE, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 3, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "unlinkat", x86_64: 263, i386: 301, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Delete, follow: Follow::Never }]) },
    Syscall { name: "renameat", x86_64: 264, i386: 302, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::RenameFrom, follow: Follow::Never }, PathArg { arg: 3, dirfd: 2, kind: PathKind::RenameTo, follow: Follow::Never }]) },
    Syscall { name: "linkat", x86_64: 265, i386: 303, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::IfFlag { arg: 4, bits: AT_SYMLINK_FOLLOW } }, PathArg { arg: 3, dirfd: 2, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "symlinkat", x86_64: 266, i386: 304, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Literal, follow: Follow::Never }, PathArg { arg: 2, dirfd: 1, kind: PathKind::Create, follow: Follow::Never }]) },
    Syscall { name: "readlinkat", x86_64: 267, i386: 305, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "fchmodat", x86_64: 268, i386: 306, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "faccessat", x86_64: 269, i386: 307, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "pselect6", x86_64: 270, i386: 308, tracepoint: None, family: Family::Plain },
    Syscall { name: "ppoll", x86_64: 271, i386: 309, tracepoint: None, family: Family::Plain },
    Syscall { name: "unshare", x86_64: 272, i386: 310, tracepoint: None, family: Family::Plain },
    Syscall { name: "set_robust_list", x86_64: 273, i386: 311, tracepoint: None, family: Family::Plain },
    Syscall { name: "get_robust_list", x86_64: 274, i386: 312, tracepoint: None, family: Family::Plain },
    Syscall { name: "splice", x86_64: 275, i386: 313, tracepoint: None, family: Family::Plain },
    Syscall { name: "tee", x86_64: 276, i386: 315, tracepoint: None, family: Family::Plain },
    Syscall { name: "sync_file_range", x86_64: 277, i386: 314, tracepoint: None, family: Family::Plain },
    Syscall { name: "vmsplice", x86_64: 278, i386: 316, tracepoint: None, family: Family::Plain },
    Syscall { name: "move_pages", x86_64: 279, i386: 317, tracepoint: None, family: Family::Plain },
    Syscall { name: "utimensat", x86_64: 280, i386: 320, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 3, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "epoll_pwait", x86_64: 281, i386: 319, tracepoint: None, family: Family::Plain },
    Syscall { name: "signalfd", x86_64: 282, i386: 321, tracepoint: None, family: Family::Plain },
    Syscall { name: "timerfd_create", x86_64: 283, i386: 322, tracepoint: None, family: Family::Plain },
    Syscall { name: "eventfd", x86_64: 284, i386: 323, tracepoint: None, family: Family::Plain },
    Syscall { name: "fallocate", x86_64: 285, i386: 324, tracepoint: None, family: Family::Plain },
    Syscall { name: "timerfd_settime", x86_64: 286, i386: 325, tracepoint: None, family: Family::Plain },
    Syscall { name: "timerfd_gettime", x86_64: 287, i386: 326, tracepoint: None, family: Family::Plain },
    Syscall { name: "accept4", x86_64: 288, i386: 364, tracepoint: None, family: Family::Sockaddr },
    Syscall { name: "signalfd4", x86_64: 289, i386: 327, tracepoint: None, family: Family::Plain },
    Syscall { name: "eventfd2", x86_64: 290, i386: 328, tracepoint: None, family: Family::Plain },
    Syscall { name: "epoll_create1", x86_64: 291, i386: 329, tracepoint: None, family: Family::Plain },
    Syscall { name: "dup3", x86_64: 292, i386: 330, tracepoint: None, family: Family::Plain },
    Syscall { name: "pipe2", x86_64: 293, i386: 331, tracepoint: None, family: Family::FdPair(0) },
    Syscall { name: "inotify_init1", x86_64: 294, i386: 332, tracepoint: None, family: Family::Plain },
    Syscall { name: "preadv", x86_64: 295, i386: 333, tracepoint: None, family: Family::Plain },
    Syscall { name: "pwritev", x86_64: 296, i386: 334, tracepoint: None, family: Family::Plain },
    Syscall { name: "rt_tgsigqueueinfo", x86_64: 297, i386: 335, tracepoint: None, family: Family::Plain },
    Syscall { name: "perf_event_open", x86_64: 298, i386: 336, tracepoint: None, family: Family::Plain },
    Syscall { name: "recvmmsg", x86_64: 299, i386: 337, tracepoint: None, family: Family::Plain },
    Syscall { name: "fanotify_init", x86_64: 300, i386: 338, tracepoint: None, family: Family::Plain },
    Syscall { name: "fanotify_mark", x86_64: 301, i386: 339, tracepoint: None, family: Family::Path(&[PathArg { arg: 4, dirfd: 3, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 1, bits: FAN_MARK_DONT_FOLLOW } }]) },
    Syscall { name: "prlimit64", x86_64: 302, i386: 340, tracepoint: None, family: Family::Plain },
    Syscall { name: "name_to_handle_at", x86_64: 303, i386: 341, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::IfFlag { arg: 4, bits: AT_SYMLINK_FOLLOW } }]) },
    Syscall { name: "open_by_handle_at", x86_64: 304, i386: 342, tracepoint: None, family: Family::Plain },
    Syscall { name: "clock_adjtime", x86_64: 305, i386: 343, tracepoint: None, family: Family::Time },
    Syscall { name: "syncfs", x86_64: 306, i386: 344, tracepoint: None, family: Family::Plain },
    Syscall { name: "sendmmsg", x86_64: 307, i386: 345, tracepoint: None, family: Family::Plain },
    Syscall { name: "setns", x86_64: 308, i386: 346, tracepoint: None, family: Family::Plain },
    Syscall { name: "getcpu", x86_64: 309, i386: 318, tracepoint: None, family: Family::Plain },
    Syscall { name: "process_vm_readv", x86_64: 310, i386: 347, tracepoint: None, family: Family::Plain },
    Syscall { name: "process_vm_writev", x86_64: 311, i386: 348, tracepoint: None, family: Family::Plain },
    Syscall { name: "kcmp", x86_64: 312, i386: 349, tracepoint: None, family: Family::Plain },
    Syscall { name: "finit_module", x86_64: 313, i386: 350, tracepoint: None, family: Family::Module },
    Syscall { name: "sched_setattr", x86_64: 314, i386: 351, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_getattr", x86_64: 315, i386: 352, tracepoint: None, family: Family::Plain },
    Syscall { name: "renameat2", x86_64: 316, i386: 353, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::RenameFrom, follow: Follow::Never }, PathArg { arg: 3, dirfd: 2, kind: PathKind::RenameTo, follow: Follow::Never }]) },
    Syscall { name: "seccomp", x86_64: 317, i386: 354, tracepoint: None, family: Family::Plain },
    Syscall { name: "getrandom", x86_64: 318, i386: 355, tracepoint: None, family: Family::Plain },
    Syscall { name: "memfd_create", x86_64: 319, i386: 356, tracepoint: None, family: Family::Plain },
    Syscall { name: "kexec_file_load", x86_64: 320, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "bpf", x86_64: 321, i386: 357, tracepoint: None, family: Family::Plain },
    Syscall { name: "execveat", x86_64: 322, i386: 358, tracepoint: None, family: Family::Exec },
    Syscall { name: "userfaultfd", x86_64: 323, i386: 374, tracepoint: None, family: Family::Plain },
    Syscall { name: "membarrier", x86_64: 324, i386: 375, tracepoint: None, family: Family::Plain },
    Syscall { name: "mlock2", x86_64: 325, i386: 376, tracepoint: None, family: Family::Plain },
    Syscall { name: "copy_file_range", x86_64: 326, i386: 377, tracepoint: None, family: Family::Plain },
    Syscall { name: "preadv2", x86_64: 327, i386: 378, tracepoint: None, family: Family::Plain },
    Syscall { name: "pwritev2", x86_64: 328, i386: 379, tracepoint: None, family: Family::Plain },
    Syscall { name: "pkey_mprotect", x86_64: 329, i386: 380, tracepoint: None, family: Family::Plain },
    Syscall { name: "pkey_alloc", x86_64: 330, i386: 381, tracepoint: None, family: Family::Plain },
    Syscall { name: "pkey_free", x86_64: 331, i386: 382, tracepoint: None, family: Family::Plain },
    Syscall { name: "statx", x86_64: 332, i386: 383, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "io_pgetevents", x86_64: 333, i386: 385, tracepoint: None, family: Family::Plain },
    Syscall { name: "rseq", x86_64: 334, i386: 386, tracepoint: None, family: Family::Plain },
    Syscall { name: "uretprobe", x86_64: 335, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "uprobe", x86_64: 336, i386: NONE, tracepoint: None, family: Family::Plain },
    Syscall { name: "pidfd_send_signal", x86_64: 424, i386: 424, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_uring_setup", x86_64: 425, i386: 425, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_uring_enter", x86_64: 426, i386: 426, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_uring_register", x86_64: 427, i386: 427, tracepoint: None, family: Family::Plain },
    Syscall { name: "open_tree", x86_64: 428, i386: 428, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "move_mount", x86_64: 429, i386: 429, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::Always }, PathArg { arg: 3, dirfd: 2, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "fsopen", x86_64: 430, i386: 430, tracepoint: None, family: Family::Plain },
    Syscall { name: "fsconfig", x86_64: 431, i386: 431, tracepoint: None, family: Family::Plain },
    Syscall { name: "fsmount", x86_64: 432, i386: 432, tracepoint: None, family: Family::Plain },
    Syscall { name: "fspick", x86_64: 433, i386: 433, tracepoint: None, family: Family::Plain },
    Syscall { name: "pidfd_open", x86_64: 434, i386: 434, tracepoint: None, family: Family::Plain },
    Syscall { name: "clone3", x86_64: 435, i386: 435, tracepoint: None, family: Family::Plain },
    Syscall { name: "close_range", x86_64: 436, i386: 436, tracepoint: None, family: Family::Plain },
    Syscall { name: "openat2", x86_64: 437, i386: 437, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Open, follow: Follow::Always }]) },
    Syscall { name: "pidfd_getfd", x86_64: 438, i386: 438, tracepoint: None, family: Family::Plain },
    Syscall { name: "faccessat2", x86_64: 439, i386: 439, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 3, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "process_madvise", x86_64: 440, i386: 440, tracepoint: None, family: Family::Plain },
    Syscall { name: "epoll_pwait2", x86_64: 441, i386: 441, tracepoint: None, family: Family::Plain },
    Syscall { name: "mount_setattr", x86_64: 442, i386: 442, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "quotactl_fd", x86_64: 443, i386: 443, tracepoint: None, family: Family::Plain },
    Syscall { name: "landlock_create_ruleset", x86_64: 444, i386: 444, tracepoint: None, family: Family::Plain },
    Syscall { name: "landlock_add_rule", x86_64: 445, i386: 445, tracepoint: None, family: Family::Plain },
    Syscall { name: "landlock_restrict_self", x86_64: 446, i386: 446, tracepoint: None, family: Family::Plain },
    Syscall { name: "memfd_secret", x86_64: 447, i386: 447, tracepoint: None, family: Family::Plain },
    Syscall { name: "process_mrelease", x86_64: 448, i386: 448, tracepoint: None, family: Family::Plain },
    Syscall { name: "futex_waitv", x86_64: 449, i386: 449, tracepoint: None, family: Family::Plain },
    Syscall { name: "set_mempolicy_home_node", x86_64: 450, i386: 450, tracepoint: None, family: Family::Plain },
    Syscall { name: "cachestat", x86_64: 451, i386: 451, tracepoint: None, family: Family::Plain },
    Syscall { name: "fchmodat2", x86_64: 452, i386: 452, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 3, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "map_shadow_stack", x86_64: 453, i386: 453, tracepoint: None, family: Family::Plain },
    Syscall { name: "futex_wake", x86_64: 454, i386: 454, tracepoint: None, family: Family::Plain },
    Syscall { name: "futex_wait", x86_64: 455, i386: 455, tracepoint: None, family: Family::Plain },
    Syscall { name: "futex_requeue", x86_64: 456, i386: 456, tracepoint: None, family: Family::Plain },
    Syscall { name: "statmount", x86_64: 457, i386: 457, tracepoint: None, family: Family::Plain },
    Syscall { name: "listmount", x86_64: 458, i386: 458, tracepoint: None, family: Family::Plain },
    Syscall { name: "lsm_get_self_attr", x86_64: 459, i386: 459, tracepoint: None, family: Family::Plain },
    Syscall { name: "lsm_set_self_attr", x86_64: 460, i386: 460, tracepoint: None, family: Family::Plain },
    Syscall { name: "lsm_list_modules", x86_64: 461, i386: 461, tracepoint: None, family: Family::Plain },
    Syscall { name: "mseal", x86_64: 462, i386: 462, tracepoint: None, family: Family::Plain },
    Syscall { name: "setxattrat", x86_64: 463, i386: 463, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "getxattrat", x86_64: 464, i386: 464, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "listxattrat", x86_64: 465, i386: 465, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "removexattrat", x86_64: 466, i386: 466, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "open_tree_attr", x86_64: 467, i386: 467, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 2, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "file_getattr", x86_64: 468, i386: 468, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 4, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "file_setattr", x86_64: 469, i386: 469, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 4, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "listns", x86_64: 470, i386: 470, tracepoint: None, family: Family::Plain },
    Syscall { name: "rseq_slice_yield", x86_64: 471, i386: 471, tracepoint: None, family: Family::Plain },
    Syscall { name: "waitpid", x86_64: NONE, i386: 7, tracepoint: None, family: Family::Plain },
    Syscall { name: "break", x86_64: NONE, i386: 17, tracepoint: None, family: Family::Plain },
    Syscall { name: "oldstat", x86_64: NONE, i386: 18, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "umount", x86_64: NONE, i386: 22, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "stime", x86_64: NONE, i386: 25, tracepoint: None, family: Family::Time },
    Syscall { name: "oldfstat", x86_64: NONE, i386: 28, tracepoint: None, family: Family::Plain },
    Syscall { name: "stty", x86_64: NONE, i386: 31, tracepoint: None, family: Family::Plain },
    Syscall { name: "gtty", x86_64: NONE, i386: 32, tracepoint: None, family: Family::Plain },
    Syscall { name: "nice", x86_64: NONE, i386: 34, tracepoint: None, family: Family::Plain },
    Syscall { name: "ftime", x86_64: NONE, i386: 35, tracepoint: None, family: Family::Plain },
    Syscall { name: "prof", x86_64: NONE, i386: 44, tracepoint: None, family: Family::Plain },
    Syscall { name: "signal", x86_64: NONE, i386: 48, tracepoint: None, family: Family::Plain },
    Syscall { name: "lock", x86_64: NONE, i386: 53, tracepoint: None, family: Family::Plain },
    Syscall { name: "mpx", x86_64: NONE, i386: 56, tracepoint: None, family: Family::Plain },
    Syscall { name: "ulimit", x86_64: NONE, i386: 58, tracepoint: None, family: Family::Plain },
    Syscall { name: "oldolduname", x86_64: NONE, i386: 59, tracepoint: None, family: Family::Plain },
    Syscall { name: "sigaction", x86_64: NONE, i386: 67, tracepoint: None, family: Family::Plain },
    Syscall { name: "sgetmask", x86_64: NONE, i386: 68, tracepoint: None, family: Family::Plain },
    Syscall { name: "ssetmask", x86_64: NONE, i386: 69, tracepoint: None, family: Family::Plain },
    Syscall { name: "sigsuspend", x86_64: NONE, i386: 72, tracepoint: None, family: Family::Plain },
    Syscall { name: "sigpending", x86_64: NONE, i386: 73, tracepoint: None, family: Family::Plain },
    Syscall { name: "oldlstat", x86_64: NONE, i386: 84, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "readdir", x86_64: NONE, i386: 89, tracepoint: None, family: Family::Plain },
    Syscall { name: "profil", x86_64: NONE, i386: 98, tracepoint: None, family: Family::Plain },
    Syscall { name: "socketcall", x86_64: NONE, i386: 102, tracepoint: None, family: Family::Socketcall },
    Syscall { name: "olduname", x86_64: NONE, i386: 109, tracepoint: None, family: Family::Plain },
    Syscall { name: "idle", x86_64: NONE, i386: 112, tracepoint: None, family: Family::Plain },
    Syscall { name: "vm86old", x86_64: NONE, i386: 113, tracepoint: None, family: Family::Plain },
    Syscall { name: "ipc", x86_64: NONE, i386: 117, tracepoint: None, family: Family::Plain },
    Syscall { name: "sigreturn", x86_64: NONE, i386: 119, tracepoint: None, family: Family::Plain },
    Syscall { name: "sigprocmask", x86_64: NONE, i386: 126, tracepoint: None, family: Family::Plain },
    Syscall { name: "bdflush", x86_64: NONE, i386: 134, tracepoint: None, family: Family::Plain },
    Syscall { name: "_llseek", x86_64: NONE, i386: 140, tracepoint: None, family: Family::Plain },
    Syscall { name: "_newselect", x86_64: NONE, i386: 142, tracepoint: None, family: Family::Plain },
    Syscall { name: "vm86", x86_64: NONE, i386: 166, tracepoint: None, family: Family::Plain },
    Syscall { name: "ugetrlimit", x86_64: NONE, i386: 191, tracepoint: None, family: Family::Plain },
    Syscall { name: "mmap2", x86_64: NONE, i386: 192, tracepoint: None, family: Family::Plain },
    Syscall { name: "truncate64", x86_64: NONE, i386: 193, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "ftruncate64", x86_64: NONE, i386: 194, tracepoint: None, family: Family::Plain },
    Syscall { name: "stat64", x86_64: NONE, i386: 195, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "lstat64", x86_64: NONE, i386: 196, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "fstat64", x86_64: NONE, i386: 197, tracepoint: None, family: Family::Plain },
    Syscall { name: "lchown32", x86_64: NONE, i386: 198, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Never }]) },
    Syscall { name: "getuid32", x86_64: NONE, i386: 199, tracepoint: None, family: Family::Plain },
    Syscall { name: "getgid32", x86_64: NONE, i386: 200, tracepoint: None, family: Family::Plain },
    Syscall { name: "geteuid32", x86_64: NONE, i386: 201, tracepoint: None, family: Family::Plain },
    Syscall { name: "getegid32", x86_64: NONE, i386: 202, tracepoint: None, family: Family::Plain },
    Syscall { name: "setreuid32", x86_64: NONE, i386: 203, tracepoint: None, family: Family::Plain },
    Syscall { name: "setregid32", x86_64: NONE, i386: 204, tracepoint: None, family: Family::Plain },
    Syscall { name: "getgroups32", x86_64: NONE, i386: 205, tracepoint: None, family: Family::Plain },
    Syscall { name: "setgroups32", x86_64: NONE, i386: 206, tracepoint: None, family: Family::Plain },
    Syscall { name: "fchown32", x86_64: NONE, i386: 207, tracepoint: None, family: Family::Plain },
    Syscall { name: "setresuid32", x86_64: NONE, i386: 208, tracepoint: None, family: Family::Plain },
    Syscall { name: "getresuid32", x86_64: NONE, i386: 209, tracepoint: None, family: Family::Plain },
    Syscall { name: "setresgid32", x86_64: NONE, i386: 210, tracepoint: None, family: Family::Plain },
    Syscall { name: "getresgid32", x86_64: NONE, i386: 211, tracepoint: None, family: Family::Plain },
    Syscall { name: "chown32", x86_64: NONE, i386: 212, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "setuid32", x86_64: NONE, i386: 213, tracepoint: None, family: Family::Plain },
    Syscall { name: "setgid32", x86_64: NONE, i386: 214, tracepoint: None, family: Family::Plain },
    Syscall { name: "setfsuid32", x86_64: NONE, i386: 215, tracepoint: None, family: Family::Plain },
    Syscall { name: "setfsgid32", x86_64: NONE, i386: 216, tracepoint: None, family: Family::Plain },
    Syscall { name: "fcntl64", x86_64: NONE, i386: 221, tracepoint: None, family: Family::Plain },
    Syscall { name: "sendfile64", x86_64: NONE, i386: 239, tracepoint: None, family: Family::Plain },
    Syscall { name: "statfs64", x86_64: NONE, i386: 268, tracepoint: None, family: Family::Path(&[PathArg { arg: 0, dirfd: NO_ARG, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "fstatfs64", x86_64: NONE, i386: 269, tracepoint: None, family: Family::Plain },
    Syscall { name: "fadvise64_64", x86_64: NONE, i386: 272, tracepoint: None, family: Family::Plain },
    Syscall { name: "fstatat64", x86_64: NONE, i386: 300, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::UnlessFlag { arg: 3, bits: AT_SYMLINK_NOFOLLOW } }]) },
    Syscall { name: "clock_gettime64", x86_64: NONE, i386: 403, tracepoint: None, family: Family::Plain },
    Syscall { name: "clock_settime64", x86_64: NONE, i386: 404, tracepoint: None, family: Family::Time },
    Syscall { name: "clock_adjtime64", x86_64: NONE, i386: 405, tracepoint: None, family: Family::Time },
    Syscall { name: "clock_getres_time64", x86_64: NONE, i386: 406, tracepoint: None, family: Family::Plain },
    Syscall { name: "clock_nanosleep_time64", x86_64: NONE, i386: 407, tracepoint: None, family: Family::Plain },
    Syscall { name: "timer_gettime64", x86_64: NONE, i386: 408, tracepoint: None, family: Family::Plain },
    Syscall { name: "timer_settime64", x86_64: NONE, i386: 409, tracepoint: None, family: Family::Plain },
    Syscall { name: "timerfd_gettime64", x86_64: NONE, i386: 410, tracepoint: None, family: Family::Plain },
    Syscall { name: "timerfd_settime64", x86_64: NONE, i386: 411, tracepoint: None, family: Family::Plain },
    Syscall { name: "utimensat_time64", x86_64: NONE, i386: 412, tracepoint: None, family: Family::Path(&[PathArg { arg: 1, dirfd: 0, kind: PathKind::Normal, follow: Follow::Always }]) },
    Syscall { name: "pselect6_time64", x86_64: NONE, i386: 413, tracepoint: None, family: Family::Plain },
    Syscall { name: "ppoll_time64", x86_64: NONE, i386: 414, tracepoint: None, family: Family::Plain },
    Syscall { name: "io_pgetevents_time64", x86_64: NONE, i386: 416, tracepoint: None, family: Family::Plain },
    Syscall { name: "recvmmsg_time64", x86_64: NONE, i386: 417, tracepoint: None, family: Family::Plain },
    Syscall { name: "mq_timedsend_time64", x86_64: NONE, i386: 418, tracepoint: None, family: Family::Plain },
    Syscall { name: "mq_timedreceive_time64", x86_64: NONE, i386: 419, tracepoint: None, family: Family::Plain },
    Syscall { name: "semtimedop_time64", x86_64: NONE, i386: 420, tracepoint: None, family: Family::Plain },
    Syscall { name: "rt_sigtimedwait_time64", x86_64: NONE, i386: 421, tracepoint: None, family: Family::Plain },
    Syscall { name: "futex_time64", x86_64: NONE, i386: 422, tracepoint: None, family: Family::Plain },
    Syscall { name: "sched_rr_get_interval_time64", x86_64: NONE, i386: 423, tracepoint: None, family: Family::Plain },
];

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn names_and_numbers_are_unique_per_architecture() {
        for arch in [Arch::X86_64, Arch::I386] {
            let mut seen = std::collections::BTreeSet::new();
            for s in SYSCALLS {
                if let Some(nr) = s.number(arch) {
                    assert!(seen.insert(nr), "{arch:?} {nr} twice ({})", s.name);
                }
            }
        }
        let mut names = std::collections::BTreeSet::new();
        assert!(SYSCALLS.iter().all(|s| names.insert(s.name)));
    }

    #[test]
    fn lookups_by_name_number_and_at_compile_time() {
        assert_eq!(x86_64("execve"), 59);
        assert_eq!(by_number(Arch::I386, 11).unwrap().name, "execve");
        assert_eq!(by_name("stime").unwrap().number(Arch::X86_64), None);
        assert_eq!(by_name("stat").unwrap().tracepoint(), "newstat");
        assert!(matches!(by_name("renameat2").unwrap().family, Family::Path(p) if p.len() == 2));
    }
}
