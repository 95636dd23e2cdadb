//! The syscall families workload (tests/tests/syscalls.rs): each family
//! whose calls the kernel's audit writes records of its own for, each call
//! succeeding and failing (ENOENT as root; EACCES and EPERM from a child
//! that became `nobody`), then the same kinds of calls made 32-bit through
//! `int 0x80`. Every call is made with `syscall(2)` so that it is the
//! syscall named, not whatever libc wraps it in (glibc's open() is openat).
//!
//! Usage: families DIR. DIR is an empty directory on a disk filesystem (one
//! that takes `user.*` extended attributes), searchable by `nobody`.

use std::ffi::CString;

use libc::{c_char, c_long};

/// `nobody`'s uid and gid (Debian's).
const NOBODY: u32 = 65534;

/// `syscall(SYS_name, args…)`, the result as the kernel returned it
/// (`-1` and errno on failure: the tests read results from the records).
macro_rules! sys {
    ($name:ident $(, $arg:expr)* $(,)?) => {
        unsafe { libc::syscall(libc::$name $(, $arg as c_long)*) }
    };
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A C string literal's pointer.
macro_rules! p {
    ($s:literal) => {
        concat!($s, "\0").as_ptr() as *const c_char
    };
}

/// Runs `f` in a child process that dropped root for `nobody`, and waits.
fn as_nobody(f: impl FnOnce()) {
    in_child(|| unsafe {
        assert_eq!(libc::setgroups(0, std::ptr::null()), 0);
        assert_eq!(libc::setgid(NOBODY), 0);
        assert_eq!(libc::setuid(NOBODY), 0);
        f();
    })
}

/// Runs `f` in a child process, and waits for it. The workload has one
/// thread, so the child may allocate.
fn in_child(f: impl FnOnce()) {
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            f();
            libc::_exit(0);
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "a child of the workload failed: status {status:#x}"
        );
    }
}

/// A child that waits to be signalled or traced; its pid.
fn sleeper() -> libc::pid_t {
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            loop {
                libc::pause();
            }
        }
        pid
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: families DIR");
    std::env::set_current_dir(&dir).unwrap();
    setup();
    let abs = |name: &str| c(&format!("{dir}/{name}"));

    opens(&abs("file"));
    truncates();
    deletes();
    renames();
    links(&abs("file"));
    creates();
    attributes();
    xattrs(&abs("file"));
    mounts();
    chroots();
    signals();
    fd_pairs();
    capabilities();
    time();
    modules();
    compat::calls();
}

/// The tree the calls work on, made by root: `nobody` may read `file`,
/// not `secret`, nor anything under `private`; `sticky` is writable by all,
/// with a file of root's in it.
fn setup() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let mode = |path: &str, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    std::fs::write("file", "data").unwrap();
    mode("file", 0o644);
    std::fs::write("secret", "data").unwrap();
    mode("secret", 0o600);
    std::fs::create_dir("private").unwrap();
    std::fs::write("private/f", "").unwrap();
    mode("private", 0o700);
    std::fs::create_dir("sticky").unwrap();
    mode("sticky", 0o1777);
    std::fs::write("sticky/rootfile", "").unwrap();
    mode("sticky/rootfile", 0o644);
    std::fs::create_dir("mnt").unwrap();
    symlink("file", "symlink").unwrap();
}

fn opens(file: &CString) {
    use libc::{AT_FDCWD, O_CREAT, O_EXCL, O_RDONLY, O_WRONLY};
    let close = |fd: c_long| unsafe {
        libc::close(fd as i32);
    };
    close(sys!(SYS_open, file.as_ptr(), O_RDONLY));
    close(sys!(SYS_open, p!("new-open"), O_CREAT | O_WRONLY, 0o644));
    close(sys!(SYS_open, p!("new-open"), O_CREAT | O_WRONLY, 0o644)); // it exists now
    sys!(SYS_open, p!("missing"), O_RDONLY);
    let dirfd = sys!(SYS_open, p!("."), libc::O_DIRECTORY);
    close(sys!(SYS_openat, dirfd, p!("file"), O_RDONLY));
    close(sys!(
        SYS_openat,
        AT_FDCWD,
        p!("new-openat"),
        O_CREAT | O_EXCL | O_WRONLY,
        0o600
    ));
    sys!(SYS_openat, dirfd, p!("missing"), O_RDONLY);
    let how = |flags: i32, mode: u64| OpenHow {
        flags: flags as u64,
        mode,
        resolve: 0,
    };
    let openat2 = |dirfd: c_long, name: *const c_char, how: OpenHow| {
        sys!(
            SYS_openat2,
            dirfd,
            name,
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>()
        )
    };
    close(openat2(AT_FDCWD as c_long, p!("file"), how(O_RDONLY, 0)));
    close(openat2(
        dirfd,
        p!("new-openat2"),
        how(O_CREAT | O_WRONLY, 0o640),
    ));
    openat2(dirfd, p!("missing/x"), how(O_RDONLY, 0));
    close(sys!(SYS_creat, p!("new-creat"), 0o644));
    close(sys!(SYS_creat, p!("new-creat"), 0o644)); // it exists now
    sys!(SYS_creat, p!("missing/x"), 0o644);
    close(dirfd);
    as_nobody(|| {
        sys!(SYS_open, p!("secret"), O_RDONLY); // EACCES
        sys!(SYS_openat, AT_FDCWD, p!("private/f"), O_RDONLY); // EACCES
        sys!(SYS_creat, p!("nobody-creat"), 0o644); // EACCES: the directory is root's
        sys!(SYS_open, p!("sticky/rootfile"), O_WRONLY | libc::O_TRUNC); // EACCES
    });
}

/// `struct open_how` (linux/openat2.h).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

fn truncates() {
    sys!(SYS_truncate, p!("new-open"), 0);
    sys!(SYS_truncate, p!("missing"), 0);
    let fd = sys!(SYS_open, p!("new-creat"), libc::O_WRONLY);
    sys!(SYS_ftruncate, fd, 0);
    let ro = sys!(SYS_open, p!("file"), libc::O_RDONLY);
    sys!(SYS_ftruncate, ro, 0); // EINVAL: not open for writing
    unsafe {
        libc::close(fd as i32);
        libc::close(ro as i32);
    }
    as_nobody(|| {
        sys!(SYS_truncate, p!("file"), 0); // EACCES
        sys!(SYS_ftruncate, 1000, 0); // EBADF
    });
}

fn deletes() {
    std::fs::write("unlink-me", "").unwrap();
    std::fs::write("unlinkat-me", "").unwrap();
    std::fs::create_dir("rmdir-me").unwrap();
    std::fs::create_dir("unlinkat-dir").unwrap();
    sys!(SYS_unlink, p!("unlink-me"));
    sys!(SYS_unlink, p!("missing"));
    sys!(SYS_unlinkat, libc::AT_FDCWD, p!("unlinkat-me"), 0);
    sys!(
        SYS_unlinkat,
        libc::AT_FDCWD,
        p!("unlinkat-dir"),
        libc::AT_REMOVEDIR
    );
    sys!(SYS_rmdir, p!("rmdir-me"));
    sys!(SYS_rmdir, p!("missing"));
    sys!(SYS_rmdir, p!("private")); // ENOTEMPTY
    as_nobody(|| {
        sys!(SYS_unlink, p!("file")); // EACCES
        sys!(SYS_unlink, p!("sticky/rootfile")); // EPERM: sticky, not its own
        sys!(SYS_unlinkat, libc::AT_FDCWD, p!("private/f"), 0); // EACCES
        sys!(SYS_rmdir, p!("mnt")); // EACCES
    });
}

fn renames() {
    std::fs::write("rename-a", "").unwrap();
    std::fs::write("rename-c", "").unwrap();
    sys!(SYS_rename, p!("rename-a"), p!("rename-b")); // the target absent
    sys!(SYS_rename, p!("rename-c"), p!("rename-b")); // the target present
    sys!(SYS_rename, p!("missing"), p!("rename-z"));
    let dirfd = sys!(SYS_open, p!("."), libc::O_DIRECTORY);
    sys!(SYS_renameat, dirfd, p!("rename-b"), dirfd, p!("rename-d"));
    std::fs::write("rename-e", "").unwrap();
    sys!(
        SYS_renameat2,
        libc::AT_FDCWD,
        p!("rename-e"),
        dirfd,
        p!("rename-d"),
        libc::RENAME_NOREPLACE
    ); // EEXIST
    sys!(
        SYS_renameat2,
        libc::AT_FDCWD,
        p!("rename-e"),
        dirfd,
        p!("rename-d"),
        0
    ); // replaces
    unsafe { libc::close(dirfd as i32) };
    as_nobody(|| {
        sys!(SYS_rename, p!("file"), p!("nobody-file")); // EACCES
        sys!(SYS_rename, p!("sticky/rootfile"), p!("sticky/moved")); // EPERM
        sys!(
            SYS_renameat,
            libc::AT_FDCWD,
            p!("private/f"),
            libc::AT_FDCWD,
            p!("sticky/f")
        ); // EACCES
    });
}

fn links(file: &CString) {
    sys!(SYS_link, file.as_ptr(), p!("link"));
    sys!(SYS_link, p!("missing"), p!("link-missing"));
    sys!(
        SYS_linkat,
        libc::AT_FDCWD,
        p!("file"),
        libc::AT_FDCWD,
        p!("linkat"),
        0
    );
    sys!(SYS_symlink, p!("file"), p!("symlink-new"));
    sys!(SYS_symlink, p!("file"), p!("symlink-new")); // EEXIST
    sys!(
        SYS_symlinkat,
        p!("no/such/target"),
        libc::AT_FDCWD,
        p!("symlinkat")
    );
    sys!(SYS_symlinkat, p!("file"), libc::AT_FDCWD, p!("missing/x"));
    as_nobody(|| {
        sys!(SYS_link, p!("file"), p!("nobody-link")); // EACCES
        sys!(SYS_link, p!("secret"), p!("sticky/hardlink")); // EPERM: protected_hardlinks
        sys!(SYS_symlink, p!("file"), p!("private/s")); // EACCES
    });
}

fn creates() {
    sys!(SYS_mkdir, p!("mkdir"), 0o755);
    sys!(SYS_mkdir, p!("mkdir"), 0o755); // EEXIST
    sys!(SYS_mkdir, p!("missing/x"), 0o755);
    sys!(SYS_mkdirat, libc::AT_FDCWD, p!("mkdirat"), 0o700);
    sys!(SYS_mknod, p!("fifo"), libc::S_IFIFO | 0o644, 0);
    sys!(
        SYS_mknod,
        p!("null-device"),
        libc::S_IFCHR | 0o600,
        libc::makedev(1, 3)
    );
    sys!(
        SYS_mknodat,
        libc::AT_FDCWD,
        p!("mknodat"),
        libc::S_IFREG | 0o600,
        0
    );
    sys!(
        SYS_mknodat,
        libc::AT_FDCWD,
        p!("missing/x"),
        libc::S_IFIFO | 0o600,
        0
    );
    as_nobody(|| {
        sys!(SYS_mkdir, p!("nobody-dir"), 0o755); // EACCES
        sys!(
            SYS_mknod,
            p!("sticky/dev"),
            libc::S_IFCHR | 0o600,
            libc::makedev(1, 3)
        ); // EPERM
        sys!(SYS_mkdirat, libc::AT_FDCWD, p!("private/d"), 0o755); // EACCES
    });
}

/// chmod and chown families.
fn attributes() {
    let fd = sys!(SYS_open, p!("file"), libc::O_RDONLY);
    sys!(SYS_chmod, p!("file"), 0o644);
    sys!(SYS_chmod, p!("missing"), 0o644);
    sys!(SYS_fchmod, fd, 0o644);
    sys!(SYS_fchmodat, libc::AT_FDCWD, p!("file"), 0o644);
    sys!(SYS_chown, p!("file"), 0, 0);
    sys!(SYS_chown, p!("missing"), 0, 0);
    sys!(SYS_fchown, fd, 0, 0);
    sys!(SYS_lchown, p!("symlink"), 0, 0);
    sys!(SYS_fchownat, libc::AT_FDCWD, p!("file"), 0, 0, 0);
    as_nobody(|| {
        sys!(SYS_chmod, p!("file"), 0o666); // EPERM
        sys!(SYS_chmod, p!("private/f"), 0o666); // EACCES
        sys!(SYS_fchmod, fd, 0o666); // EPERM
        sys!(SYS_fchmodat, libc::AT_FDCWD, p!("private/f"), 0o666); // EACCES
        sys!(SYS_chown, p!("file"), NOBODY, NOBODY); // EPERM
        sys!(SYS_fchown, fd, NOBODY, NOBODY); // EPERM
        sys!(SYS_lchown, p!("private/f"), NOBODY, NOBODY); // EACCES
        sys!(SYS_fchownat, libc::AT_FDCWD, p!("file"), NOBODY, NOBODY, 0); // EPERM
    });
    unsafe { libc::close(fd as i32) };
    // utimensat: now, explicit times, a missing file.
    let times = [
        libc::timespec {
            tv_sec: 1_000_000_000,
            tv_nsec: 0,
        },
        libc::timespec {
            tv_sec: 1_000_000_000,
            tv_nsec: 0,
        },
    ];
    sys!(SYS_utimensat, libc::AT_FDCWD, p!("file"), 0, 0);
    sys!(SYS_utimensat, libc::AT_FDCWD, p!("file"), times.as_ptr(), 0);
    sys!(SYS_utimensat, libc::AT_FDCWD, p!("missing"), 0, 0);
    as_nobody(|| {
        sys!(SYS_utimensat, libc::AT_FDCWD, p!("file"), 0, 0); // EACCES
        sys!(SYS_utimensat, libc::AT_FDCWD, p!("file"), times.as_ptr(), 0); // EPERM
    });
}

fn xattrs(file: &CString) {
    let (name, value) = (p!("user.sensor"), b"value");
    let set = |call: c_long, target: c_long| unsafe {
        libc::syscall(call, target, name, value.as_ptr(), value.len(), 0)
    };
    set(libc::SYS_setxattr, file.as_ptr() as c_long);
    set(libc::SYS_setxattr, p!("missing") as c_long);
    set(libc::SYS_lsetxattr, p!("file") as c_long);
    set(libc::SYS_lsetxattr, p!("symlink") as c_long); // EPERM: user.* on a symlink
    let fd = sys!(SYS_open, p!("file"), libc::O_RDONLY);
    set(libc::SYS_fsetxattr, fd);
    sys!(SYS_removexattr, p!("file"), name);
    sys!(SYS_removexattr, p!("file"), name); // ENODATA: already removed
    as_nobody(|| {
        set(libc::SYS_setxattr, p!("file") as c_long); // EACCES
        set(libc::SYS_fsetxattr, fd); // EACCES
        let trusted = p!("trusted.sensor");
        sys!(
            SYS_setxattr,
            p!("sticky"),
            trusted,
            value.as_ptr(),
            value.len(),
            0
        ); // EPERM
        sys!(SYS_removexattr, p!("private/f"), name); // EACCES
    });
    unsafe { libc::close(fd as i32) };
}

fn mounts() {
    let tmpfs = p!("tmpfs");
    sys!(
        SYS_mount,
        p!("sensor-test"),
        p!("mnt"),
        tmpfs,
        0,
        p!("size=1m")
    );
    sys!(SYS_umount2, p!("mnt"), 0);
    sys!(SYS_mount, p!("sensor-test"), p!("missing"), tmpfs, 0, 0);
    sys!(SYS_umount2, p!("missing"), 0);
    sys!(SYS_umount2, p!("file"), 0); // EINVAL: not a mount point
    as_nobody(|| {
        sys!(SYS_mount, p!("sensor-test"), p!("mnt"), tmpfs, 0, 0); // EPERM
        sys!(SYS_umount2, p!("mnt"), 0); // EPERM
    });
}

fn chroots() {
    in_child(|| {
        sys!(SYS_chroot, p!("missing"));
        sys!(SYS_chroot, p!("file")); // ENOTDIR
        sys!(SYS_chroot, p!("mkdir"));
    });
    as_nobody(|| {
        sys!(SYS_chroot, p!("mkdir")); // EPERM
        sys!(SYS_chroot, p!("private/x")); // EACCES
    });
}

fn signals() {
    let child = sleeper();
    sys!(SYS_kill, child, 0);
    sys!(SYS_tkill, child, 0);
    sys!(SYS_tgkill, child, child, 0);
    // A successful attach, and one to a process already traced.
    sys!(SYS_ptrace, libc::PTRACE_ATTACH, child, 0, 0);
    unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
    sys!(SYS_ptrace, libc::PTRACE_DETACH, child, 0, 0);
    as_nobody(|| {
        sys!(SYS_kill, 1, 0); // EPERM
        sys!(SYS_kill, child, libc::SIGTERM); // EPERM
        sys!(SYS_tgkill, child, child, libc::SIGTERM); // EPERM
        sys!(SYS_ptrace, libc::PTRACE_ATTACH, child, 0, 0); // EPERM
    });
    sys!(SYS_kill, child, libc::SIGKILL);
    unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
    sys!(SYS_kill, child, 0); // ESRCH: reaped
    sys!(SYS_ptrace, libc::PTRACE_ATTACH, child, 0, 0); // ESRCH
}

fn fd_pairs() {
    let mut fds = [0i32; 2];
    let close = |fds: &[i32; 2]| unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    };
    sys!(SYS_pipe, fds.as_mut_ptr());
    close(&fds);
    sys!(SYS_pipe2, fds.as_mut_ptr(), libc::O_CLOEXEC);
    close(&fds);
    sys!(SYS_pipe2, fds.as_mut_ptr(), 0x7fff_0000); // EINVAL
    sys!(
        SYS_socketpair,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0,
        fds.as_mut_ptr()
    );
    close(&fds);
    sys!(
        SYS_socketpair,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0,
        fds.as_mut_ptr()
    ); // EOPNOTSUPP
}

/// `struct __user_cap_header_struct` and `__user_cap_data_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}
const CAP_V3: u32 = 0x2008_0522;
const CAP_SYS_ADMIN: u32 = 21;

fn capabilities() {
    let mut header = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    sys!(SYS_capget, &mut header as *mut CapHeader, data.as_mut_ptr());
    sys!(SYS_capset, &mut header as *mut CapHeader, data.as_ptr()); // the same sets
    as_nobody(|| {
        let mut header = CapHeader {
            version: CAP_V3,
            pid: 0,
        };
        let mut data = [CapData::default(); 2];
        data[0].permitted = 1 << CAP_SYS_ADMIN;
        sys!(SYS_capset, &mut header as *mut CapHeader, data.as_ptr()); // EPERM
    });
}

/// Time reads only: a changed clock would disturb the machine.
fn time() {
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    sys!(SYS_adjtimex, &mut tx as *mut libc::timex);
    sys!(
        SYS_clock_adjtime,
        libc::CLOCK_REALTIME,
        &mut tx as *mut libc::timex
    );
    as_nobody(|| {
        let mut tx: libc::timex = unsafe { std::mem::zeroed() };
        tx.modes = libc::ADJ_OFFSET;
        sys!(SYS_adjtimex, &mut tx as *mut libc::timex); // EPERM
        let now = libc::timespec {
            tv_sec: 2_000_000_000,
            tv_nsec: 0,
        };
        sys!(
            SYS_clock_settime,
            libc::CLOCK_REALTIME,
            &now as *const libc::timespec
        ); // EPERM
        let tv = libc::timeval {
            tv_sec: 2_000_000_000,
            tv_usec: 0,
        };
        sys!(SYS_settimeofday, &tv as *const libc::timeval, 0); // EPERM
    });
}

fn modules() {
    let image = b"\x7fELF not a module";
    sys!(SYS_init_module, image.as_ptr(), image.len(), p!(""));
    let fd = sys!(SYS_open, p!("file"), libc::O_RDONLY);
    sys!(SYS_finit_module, fd, p!(""), 0);
    unsafe { libc::close(fd as i32) };
    as_nobody(|| {
        sys!(SYS_init_module, image.as_ptr(), image.len(), p!("")); // EPERM
    });
}

/// 32-bit calls through `int 0x80` from this 64-bit process: the i386
/// table's numbers, arguments in ebx, ecx, edx, esi, edi, pointers below
/// 4 GiB.
mod compat {
    use super::*;

    /// i386 syscall numbers (asm/unistd_32.h).
    const OPEN: u32 = 5;
    const CREAT: u32 = 8;
    const UNLINK: u32 = 10;
    const CHMOD: u32 = 15;
    const STIME: u32 = 25;
    const KILL: u32 = 37;
    const RENAME: u32 = 38;
    const MKDIR: u32 = 39;
    const PIPE: u32 = 42;
    const SOCKETCALL: u32 = 102;
    const CLOSE: u32 = 6;
    /// socketcall's calls (linux/net.h).
    const SYS_SOCKET: u32 = 1;
    const SYS_SOCKETPAIR: u32 = 8;

    /// One 32-bit syscall; the result as the kernel returned it (-errno).
    ///
    /// LLVM reserves rbx, which holds the first argument: it goes in r12
    /// (which `int 0x80` preserves) and is swapped in around the call. The
    /// kernel zeroes r8-r11 on the way back from `int 0x80` on some versions.
    fn int80(nr: u32, args: &[u32]) -> i32 {
        let mut a = [0u32; 5];
        a[..args.len()].copy_from_slice(args);
        let ret: u32;
        unsafe {
            std::arch::asm!(
                "xchg r12, rbx",
                "int 0x80",
                "xchg r12, rbx",
                inlateout("eax") nr => ret,
                in("r12") a[0] as u64,
                in("ecx") a[1],
                in("edx") a[2],
                in("esi") a[3],
                in("edi") a[4],
                out("r8") _,
                out("r9") _,
                out("r10") _,
                out("r11") _,
            );
        }
        ret as i32
    }

    /// Memory below 2 GiB (MAP_32BIT) for the calls' strings and arrays.
    struct Low {
        base: *mut u8,
        used: usize,
    }

    impl Low {
        fn new() -> Self {
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    1 << 16,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT,
                    -1,
                    0,
                )
            };
            assert_ne!(base, libc::MAP_FAILED);
            assert!((base as usize) < 1 << 32);
            Self {
                base: base.cast(),
                used: 0,
            }
        }

        /// Copies `bytes` in (4-byte aligned); their 32-bit address.
        fn put(&mut self, bytes: &[u8]) -> u32 {
            assert!(self.used + bytes.len() <= 1 << 16);
            let at = unsafe { self.base.add(self.used) };
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), at, bytes.len()) };
            self.used = (self.used + bytes.len()).next_multiple_of(4);
            at as u32
        }

        fn str(&mut self, s: &str) -> u32 {
            self.put(c(s).as_bytes_with_nul())
        }

        fn words(&mut self, words: &[u32]) -> u32 {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
            self.put(&bytes)
        }

        fn read_words<const N: usize>(&self, at: u32) -> [u32; N] {
            unsafe { std::ptr::read_unaligned(at as usize as *const [u32; N]) }
        }
    }

    pub fn calls() {
        let mut low = Low::new();
        let file = low.str("file");
        let missing = low.str("missing");
        let fd = int80(OPEN, &[file, libc::O_RDONLY as u32]);
        int80(CLOSE, &[fd as u32]);
        int80(OPEN, &[missing, libc::O_RDONLY as u32]);
        let created = low.str("new-open32");
        let fd = int80(
            OPEN,
            &[created, (libc::O_CREAT | libc::O_WRONLY) as u32, 0o644],
        );
        int80(CLOSE, &[fd as u32]);
        let fd = int80(CREAT, &[low.str("new-creat32"), 0o600]);
        int80(CLOSE, &[fd as u32]);
        int80(CHMOD, &[created, 0o640]);
        int80(CHMOD, &[missing, 0o640]);
        let dir = low.str("mkdir32");
        int80(MKDIR, &[dir, 0o755]);
        int80(MKDIR, &[dir, 0o755]); // EEXIST
        int80(RENAME, &[created, low.str("renamed32")]);
        int80(UNLINK, &[low.str("renamed32")]);
        int80(UNLINK, &[missing]);
        int80(STIME, &[0]); // EFAULT: read-only, the clock stays
                            // FD_PAIR from pipe and from socketcall's socketpair; SOCKETCALL.
        let pair = low.words(&[u32::MAX, u32::MAX]);
        int80(PIPE, &[pair]);
        for fd in low.read_words::<2>(pair) {
            int80(CLOSE, &[fd]);
        }
        let args = low.words(&[libc::AF_INET as u32, libc::SOCK_DGRAM as u32, 0]);
        let fd = int80(SOCKETCALL, &[SYS_SOCKET, args]);
        int80(CLOSE, &[fd as u32]);
        let args = low.words(&[12345, libc::SOCK_DGRAM as u32, 0]);
        int80(SOCKETCALL, &[SYS_SOCKET, args]); // EAFNOSUPPORT
        let pair = low.words(&[u32::MAX, u32::MAX]);
        let args = low.words(&[libc::AF_UNIX as u32, libc::SOCK_STREAM as u32, 0, pair]);
        int80(SOCKETCALL, &[SYS_SOCKETPAIR, args]);
        for fd in low.read_words::<2>(pair) {
            int80(CLOSE, &[fd]);
        }
        // OBJ_PID from a 32-bit kill.
        let child = sleeper();
        int80(KILL, &[child as u32, 0]);
        int80(KILL, &[child as u32, libc::SIGKILL as u32]);
        unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
        as_nobody(|| {
            let mut low = Low::new();
            int80(OPEN, &[low.str("secret"), libc::O_RDONLY as u32]); // EACCES
            int80(CHMOD, &[low.str("file"), 0o666]); // EPERM
            int80(KILL, &[1, 0]); // EPERM
        });
    }
}
