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
//! in place (any denial fails the test that met it: `tests/src/lib.rs`),
//! and a run with every kind of sink, SIGHUP and SIGUSR1 under strace
//! (which found `restart_syscall`).

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
    // A spool directory left empty goes at a clean stop.
    libc::SYS_rmdir,
    libc::SYS_mkdir, libc::SYS_mkdirat, libc::SYS_fchmod, libc::SYS_access, libc::SYS_faccessat,
    libc::SYS_faccessat2, libc::SYS_statfs, libc::SYS_fstatfs, libc::SYS_getcwd, libc::SYS_dup,
    libc::SYS_dup3, libc::SYS_pipe2, libc::SYS_eventfd2,
    // Containers: a cgroup by its id.
    libc::SYS_open_by_handle_at,
    // Sockets: sinks, container runtimes, metrics clients.
    libc::SYS_socket, libc::SYS_connect, libc::SYS_accept4, libc::SYS_accept, libc::SYS_bind,
    libc::SYS_setsockopt, libc::SYS_getsockopt, libc::SYS_getsockname,
    libc::SYS_getpeername, libc::SYS_shutdown,
    // SIGHUP: programs attached (bpf(2) is checked apart).
    libc::SYS_perf_event_open,
    // Threads (clone is checked apart), signals, the process.
    libc::SYS_set_robust_list, libc::SYS_rseq, libc::SYS_sched_getaffinity, libc::SYS_gettid,
    libc::SYS_getpid, libc::SYS_exit, libc::SYS_exit_group, libc::SYS_tgkill,
    libc::SYS_rt_sigaction, libc::SYS_rt_sigprocmask, libc::SYS_rt_sigreturn,
    // A sleep interrupted by a signal (SIGHUP, SIGSTOP/SIGCONT, a tracer)
    // resumes through it: denied, std's sleep would panic on EPERM.
    libc::SYS_restart_syscall,
    libc::SYS_sigaltstack, libc::SYS_prctl, libc::SYS_set_tid_address, libc::SYS_getrandom,
    libc::SYS_prlimit64, libc::SYS_getuid, libc::SYS_geteuid, libc::SYS_getgid,
    libc::SYS_getegid, libc::SYS_uname,
];

/// bpf(2) commands, after start-up: the maps read and written, programs
/// attached (a tracepoint's link, a raw tracepoint) and detached. No
/// program loaded and no map made: even a compromised sensor cannot put
/// new code in the kernel.
const BPF_COMMANDS: &[u32] = &[
    1,  // BPF_MAP_LOOKUP_ELEM
    2,  // BPF_MAP_UPDATE_ELEM
    3,  // BPF_MAP_DELETE_ELEM
    4,  // BPF_MAP_GET_NEXT_KEY
    15, // BPF_OBJ_GET_INFO_BY_FD
    17, // BPF_RAW_TRACEPOINT_OPEN
    28, // BPF_LINK_CREATE
    34, // BPF_LINK_DETACH
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

/// Where a jump goes: the next instruction, or a label.
#[derive(Clone, Copy)]
enum To {
    Next,
    Label(&'static str),
}

/// A program with forward jumps to labels, resolved by [`Asm::finish`].
#[derive(Default)]
struct Asm {
    code: Vec<(u16, u32, To, To)>,
    labels: Vec<(&'static str, usize)>,
}

impl Asm {
    fn stmt(&mut self, code: u16, k: u32) {
        self.code.push((code, k, To::Next, To::Next));
    }
    fn jump(&mut self, code: u16, k: u32, yes: To, no: To) {
        self.code.push((code, k, yes, no));
    }
    fn label(&mut self, name: &'static str) {
        self.labels.push((name, self.code.len()));
    }
    fn finish(self) -> Vec<libc::sock_filter> {
        let offset = |i: usize, to: To| -> u8 {
            let target = match to {
                To::Next => return 0,
                To::Label(name) => {
                    self.labels
                        .iter()
                        .find(|(n, _)| *n == name)
                        .expect("a defined label")
                        .1
                }
            };
            u8::try_from(target - (i + 1)).expect("a short forward jump")
        };
        self.code
            .iter()
            .enumerate()
            .map(|(i, &(code, k, yes, no))| libc::sock_filter {
                code,
                jt: offset(i, yes),
                jf: offset(i, no),
                k,
            })
            .collect()
    }
}

/// The filter program.
fn program() -> Vec<libc::sock_filter> {
    use To::{Label, Next};
    let mut a = Asm::default();
    a.stmt(LD_W_ABS, ARCH);
    a.jump(JEQ_K, AUDIT_ARCH_X86_64, Next, Label("kill"));
    a.stmt(LD_W_ABS, NR);
    a.jump(JGE_K, X32_SYSCALL_BIT, Label("trap"), Next);
    a.jump(JEQ_K, libc::SYS_clone3 as u32, Label("enosys"), Next);
    a.jump(JEQ_K, libc::SYS_clone as u32, Label("clone"), Next);
    a.jump(JEQ_K, libc::SYS_bpf as u32, Label("bpf"), Next);
    for nr in ALLOWED {
        a.jump(JEQ_K, *nr as u32, Label("allow"), Next);
    }
    a.label("trap");
    a.stmt(RET_K, RET_TRAP);
    a.label("clone");
    a.stmt(LD_W_ABS, ARG0_LOW);
    a.jump(
        JSET_K,
        libc::CLONE_THREAD as u32,
        Label("allow"),
        Label("trap_arg"),
    );
    a.label("bpf");
    a.stmt(LD_W_ABS, ARG0_LOW);
    for cmd in BPF_COMMANDS {
        a.jump(JEQ_K, *cmd, Label("allow"), Next);
    }
    a.label("trap_arg");
    a.stmt(RET_K, RET_TRAP);
    a.label("enosys");
    a.stmt(RET_K, RET_ERRNO | libc::ENOSYS as u32);
    a.label("kill");
    a.stmt(RET_K, RET_KILL_PROCESS);
    a.label("allow");
    a.stmt(RET_K, RET_ALLOW);
    a.finish()
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
    let name = u32::try_from(nr)
        .ok()
        .and_then(|nr| {
            sensor_common::syscalls::by_number(sensor_common::syscalls::Arch::X86_64, nr)
        })
        .map_or("?", |s| s.name);
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

    /// Runs `program` as the kernel would on (nr, arg0).
    fn verdict(program: &[libc::sock_filter], nr: libc::c_long, arg0: u32) -> u32 {
        let (mut acc, mut pc) = (0u32, 0usize);
        loop {
            let insn = program[pc];
            pc += 1;
            match insn.code {
                LD_W_ABS => {
                    acc = match insn.k {
                        NR => nr as u32,
                        ARCH => AUDIT_ARCH_X86_64,
                        ARG0_LOW => arg0,
                        k => panic!("load of {k}"),
                    }
                }
                RET_K => return insn.k,
                code => {
                    let taken = match code {
                        JEQ_K => acc == insn.k,
                        JGE_K => acc >= insn.k,
                        JSET_K => acc & insn.k != 0,
                        c => panic!("code {c:#x}"),
                    };
                    pc += usize::from(if taken { insn.jt } else { insn.jf });
                }
            }
        }
    }

    #[test]
    fn the_filter_allows_the_list_and_traps_the_rest() {
        let p = program();
        for nr in ALLOWED {
            assert_eq!(verdict(&p, *nr, 0), RET_ALLOW, "{nr}");
        }
        for nr in [
            libc::SYS_execve,
            libc::SYS_ptrace,
            libc::SYS_mount,
            libc::SYS_fork,
        ] {
            assert_eq!(verdict(&p, nr, 0), RET_TRAP, "{nr}");
        }
        let thread = libc::CLONE_THREAD as u32 | libc::CLONE_VM as u32;
        assert_eq!(verdict(&p, libc::SYS_clone, thread), RET_ALLOW);
        assert_eq!(verdict(&p, libc::SYS_clone, libc::SIGCHLD as u32), RET_TRAP);
        assert_eq!(
            verdict(&p, libc::SYS_clone3, 0),
            RET_ERRNO | libc::ENOSYS as u32
        );
        assert_eq!(verdict(&p, libc::SYS_bpf, 2), RET_ALLOW);
        for load in [0, 5] {
            // BPF_MAP_CREATE, BPF_PROG_LOAD
            assert_eq!(verdict(&p, libc::SYS_bpf, load), RET_TRAP);
        }
        assert_eq!(verdict(&p, 0x4000_0000, 0), RET_TRAP);
        let mut sorted = ALLOWED.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ALLOWED.len(), "a call listed twice");
    }
}
