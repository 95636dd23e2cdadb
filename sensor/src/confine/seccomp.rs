//! The seccomp filter of the running daemon: the system calls it makes
//! once its programs are attached, and no others.
//!
//! A call outside the list is trapped (SECCOMP_RET_TRAP): the SIGSYS
//! handler writes `seccomp: denied syscall NAME (NR)` to stderr and the call
//! fails with EPERM, which the code that made it reports as an error. The
//! alternative, killing the process, would be as loud, but would also stop
//! the audit: a crash of the sensor is what an attacker who made it misstep
//! would want, and a missing entry in this list (a path no test took)
//! should cost one operation, not the node's audit trail. No new process:
//! `clone` only with CLONE_THREAD, `clone3` (whose flags a filter cannot
//! read) answers ENOSYS so the C library falls back to `clone`, and there
//! is no execve.
//!
//! The list was found by running every integration test with the filter
//! in place (any denial fails the test that met it: `tests/src/lib.rs`).

use std::io;

use anyhow::{bail, Context, Result};

/// The calls, hottest first (the filter compares them in order).
#[rustfmt::skip]
const ALLOWED: &[libc::c_long] = &[
    // The event loop, the sinks, the metrics server.
    libc::SYS_epoll_wait, libc::SYS_epoll_pwait, libc::SYS_epoll_pwait2, libc::SYS_epoll_ctl,
    libc::SYS_read, libc::SYS_write, libc::SYS_writev, libc::SYS_readv, libc::SYS_futex,
    libc::SYS_clock_gettime, libc::SYS_clock_nanosleep, libc::SYS_nanosleep, libc::SYS_sched_yield,
    libc::SYS_recvfrom, libc::SYS_sendto, libc::SYS_recvmsg, libc::SYS_sendmsg, libc::SYS_sendmmsg,
    libc::SYS_poll, libc::SYS_ppoll,
    // Memory.
    libc::SYS_mmap, libc::SYS_munmap, libc::SYS_mprotect, libc::SYS_madvise, libc::SYS_mremap,
    libc::SYS_brk,
    // Files: outputs, spool, /proc, the rules and configuration on SIGHUP.
    libc::SYS_openat, libc::SYS_close, libc::SYS_lseek, libc::SYS_pread64, libc::SYS_pwrite64,
    libc::SYS_fstat, libc::SYS_newfstatat, libc::SYS_statx, libc::SYS_fcntl, libc::SYS_ioctl,
    libc::SYS_flock, libc::SYS_fsync, libc::SYS_fdatasync, libc::SYS_ftruncate,
    libc::SYS_getdents64, libc::SYS_readlink, libc::SYS_readlinkat, libc::SYS_rename,
    libc::SYS_renameat, libc::SYS_renameat2, libc::SYS_unlink, libc::SYS_unlinkat,
    libc::SYS_mkdir, libc::SYS_mkdirat, libc::SYS_fchmod, libc::SYS_access, libc::SYS_faccessat,
    libc::SYS_faccessat2, libc::SYS_statfs, libc::SYS_fstatfs, libc::SYS_getcwd, libc::SYS_dup,
    libc::SYS_dup3, libc::SYS_pipe2, libc::SYS_eventfd2,
    // Containers: a cgroup by its id.
    libc::SYS_open_by_handle_at,
    // Sockets: sinks, container runtimes, metrics clients.
    libc::SYS_socket, libc::SYS_connect, libc::SYS_accept4, libc::SYS_accept, libc::SYS_bind,
    libc::SYS_listen, libc::SYS_setsockopt, libc::SYS_getsockopt, libc::SYS_getsockname,
    libc::SYS_getpeername, libc::SYS_shutdown, libc::SYS_socketpair,
    // SIGHUP: maps rewritten, programs attached and detached.
    libc::SYS_bpf, libc::SYS_perf_event_open,
    // Threads (clone is checked apart), signals, the process.
    libc::SYS_set_robust_list, libc::SYS_rseq, libc::SYS_sched_getaffinity, libc::SYS_gettid,
    libc::SYS_getpid, libc::SYS_exit, libc::SYS_exit_group, libc::SYS_tgkill,
    libc::SYS_rt_sigaction, libc::SYS_rt_sigprocmask, libc::SYS_rt_sigreturn,
    libc::SYS_sigaltstack, libc::SYS_prctl, libc::SYS_set_tid_address, libc::SYS_getrandom,
    libc::SYS_prlimit64, libc::SYS_getuid, libc::SYS_geteuid, libc::SYS_getgid,
    libc::SYS_getegid, libc::SYS_uname, libc::SYS_capget,
];

// Classic BPF, as seccomp runs it (linux/filter.h, linux/seccomp.h).
/// BPF_LD | BPF_W | BPF_ABS (the first two are 0).
const LD_W_ABS: u16 = 0x20;
const JEQ_K: u16 = 0x05 | 0x10;
const JGE_K: u16 = 0x05 | 0x30;
const JSET_K: u16 = 0x05 | 0x40;
const RET_K: u16 = 0x06;

const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_TRAP: u32 = 0x0003_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_ALLOW: u32 = 0x7fff_0000;

/// `struct seccomp_data`: nr, arch, then the arguments from offset 16.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARG0_LOW: u32 = 16;
const AUDIT_ARCH_X86_64: u32 = crate::rules::AUDIT_ARCH_X86_64;
/// x32 calls: same table, other numbers; none is ours.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: usize, jf: usize) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: u8::try_from(jt).expect("a short forward jump"),
        jf: u8::try_from(jf).expect("a short forward jump"),
        k,
    }
}

/// The filter program. Jumps are forward and relative: from instruction
/// i, `n` lands on i + 1 + n.
fn program() -> Vec<libc::sock_filter> {
    let n = ALLOWED.len();
    // Where each ending is: after the 7 checks, the list, the trap, the
    // clone check (2), a second trap, ENOSYS, and allow.
    let trap = 7 + n;
    let clone_check = trap + 1;
    let trap_clone = clone_check + 2;
    let enosys = trap_clone + 1;
    let allow = enosys + 1;
    let mut p = vec![
        stmt(LD_W_ABS, ARCH),
        jump(JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        stmt(RET_K, RET_KILL_PROCESS),
        stmt(LD_W_ABS, NR),
        jump(JGE_K, X32_SYSCALL_BIT, trap - 5, 0),
        jump(JEQ_K, libc::SYS_clone3 as u32, enosys - 6, 0),
        jump(JEQ_K, libc::SYS_clone as u32, clone_check - 7, 0),
    ];
    for (i, nr) in ALLOWED.iter().enumerate() {
        p.push(jump(JEQ_K, *nr as u32, allow - (7 + i + 1), 0));
    }
    p.push(stmt(RET_K, RET_TRAP));
    p.push(stmt(LD_W_ABS, ARG0_LOW));
    p.push(jump(
        JSET_K,
        libc::CLONE_THREAD as u32,
        allow - (trap_clone),
        0,
    ));
    p.push(stmt(RET_K, RET_TRAP));
    p.push(stmt(RET_K, RET_ERRNO | libc::ENOSYS as u32));
    p.push(stmt(RET_K, RET_ALLOW));
    debug_assert_eq!(p.len(), allow + 1);
    p
}

/// Installs the filter on every thread (SECCOMP_FILTER_FLAG_TSYNC, which
/// also gives each no_new_privs), after the SIGSYS handler.
pub fn install() -> Result<()> {
    // SAFETY: the handler only writes to stderr and edits the context.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigsys as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        if libc::sigaction(libc::SIGSYS, &action, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error()).context("installing the SIGSYS handler");
        }
    }
    let filter = program();
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut _,
    };
    const SECCOMP_SET_MODE_FILTER: libc::c_long = 1;
    const SECCOMP_FILTER_FLAG_TSYNC: libc::c_long = 1;
    // SAFETY: a valid program that outlives the call (the kernel copies it).
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            SECCOMP_FILTER_FLAG_TSYNC,
            &prog as *const libc::sock_fprog,
        )
    };
    match r {
        0 => Ok(()),
        r if r > 0 => bail!("thread {r} could not take the seccomp filter"),
        _ => Err(io::Error::last_os_error()).context("installing the seccomp filter"),
    }
}

/// A trapped call: say which, and make it fail with EPERM.
extern "C" fn on_sigsys(_: libc::c_int, _: *mut libc::siginfo_t, context: *mut libc::c_void) {
    // SAFETY: the kernel passes the interrupted thread's context; at a
    // seccomp trap RAX holds the call's number and becomes its result.
    let nr = unsafe {
        let gregs = &mut (*context.cast::<libc::ucontext_t>()).uc_mcontext.gregs;
        let nr = gregs[libc::REG_RAX as usize];
        gregs[libc::REG_RAX as usize] = -(libc::EPERM as i64);
        nr
    };
    let name = crate::rules::tables::SYSCALLS
        .iter()
        .find(|(_, n)| i64::from(*n) == nr)
        .map_or("?", |(name, _)| name);
    // No allocation, no lock: a fixed buffer written with one write(2).
    let mut line = [0u8; 96];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        let n = bytes.len().min(line.len() - len);
        line[len..len + n].copy_from_slice(&bytes[..n]);
        len += n;
    };
    put(b"ERROR seccomp: denied syscall ");
    put(name.as_bytes());
    put(b" (");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = nr.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    put(&digits[i..]);
    put(b"): it failed with EPERM\n");
    // SAFETY: writing a valid buffer to stderr.
    unsafe { libc::write(2, line.as_ptr().cast(), len) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_jump_lands_inside_the_program() {
        let p = program();
        for (i, insn) in p.iter().enumerate() {
            if insn.code & 0x07 == 0x05 {
                assert!(i + 1 + (insn.jt as usize) < p.len(), "{i}");
                assert!(i + 1 + (insn.jf as usize) < p.len(), "{i}");
            }
        }
        assert_eq!(p.last().unwrap().k, RET_ALLOW);
        // The list's entries all land on allow.
        for i in 7..7 + ALLOWED.len() {
            assert_eq!(p[i + 1 + p[i].jt as usize].k, RET_ALLOW);
        }
        let mut sorted = ALLOWED.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ALLOWED.len(), "a call listed twice");
    }
}
