//! The process context every syscall event carries (auditd's SYSCALL fields).

pub const COMM_LEN: usize = 16;
/// `tty_struct.name` is 64 bytes; real names (pts12, ttyS0, console) are short.
pub const TTY_NAME_LEN: usize = 32;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ProcessInfo {
    /// cgroup v2 id of the task (inode number of its cgroup directory).
    pub cgroup_id: u64,
    /// The id of the task's cgroup in the hierarchy of one controller
    /// (memory, else pids or cpu): on hybrid and v1-only hosts that is where
    /// container runtimes put their processes.
    pub cgroup_ctl_id: u64,
    /// Thread group id (auditd's pid), in the initial pid namespace.
    pub pid: u32,
    pub tid: u32,
    /// `real_parent->tgid`, as auditd's `task_ppid_nr`.
    pub ppid: u32,
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    /// `task->loginuid`; `u32::MAX` when unset.
    pub auid: u32,
    /// `task->sessionid`; `u32::MAX` when unset.
    pub ses: u32,
    /// Inode numbers of the task's mount and pid namespaces.
    pub mntns: u32,
    pub pidns: u32,
    pub _pad: u32,
    pub comm: [u8; COMM_LEN],
    /// Controlling terminal (`signal->tty->name`), empty when none.
    pub tty: [u8; TTY_NAME_LEN],
}

const _: () = assert!(core::mem::size_of::<ProcessInfo>() == 128);

/// The syscall part of a SYSCALL record.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SyscallInfo {
    /// x86_64 syscall number.
    pub nr: u32,
    /// Set when the arguments came from the task's saved user registers (all six);
    /// clear when only the tracepoint's declared arguments were available.
    pub regs_ok: u32,
    /// Return value (`exit` in auditd's terms).
    pub ret: i64,
    /// a0–a5; auditd shows a0–a3, some classes read the rest (mmap's fd and
    /// offset, setsockopt's optlen).
    pub args: [u64; 6],
}

const _: () = assert!(core::mem::size_of::<SyscallInfo>() == 64);

/// What auditd's PATH record says of an inode, and its change time.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InodeInfo {
    pub ino: u64,
    /// Kernel-internal dev_t: `major << 20 | minor`.
    pub dev: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// The device a device file stands for (kernel-internal dev_t).
    pub rdev: u32,
    /// `i_ctime`: every change to the file's data, owner, mode or extended
    /// attributes moves it, and nobody can set it back. Userspace reads
    /// what the kernel cannot (file capabilities, an ELF's interpreter)
    /// from a file only while its inode and ctime are still these.
    pub ctime_nsec: u32,
    pub ctime_sec: i64,
}

const _: () = assert!(core::mem::size_of::<InodeInfo>() == 40);
