//! The conformance workload: one of each call the sensor records, with
//! known arguments, run under both auditd (and laurel) and the sensor.
//!
//! Usage: workload DIR PORT UNIX_PATH [every]. Runs in DIR; PORT is a
//! loopback port nothing listens on; UNIX_PATH a socket path that does not
//! exist. With `every`, also every other kind of record the kernel writes
//! for the sensor's classes: a `#!` script, a file with capabilities, a
//! memfd, the loader's environment, unix addresses passed whole and
//! abstract, netlink, a flow label, terminal input with the kernel's TTY
//! auditing on, and a login.

use std::{
    ffi::CString,
    io::Write,
    net::{Ipv4Addr, TcpListener, TcpStream},
    os::{fd::AsRawFd, unix::fs::PermissionsExt},
    process::Command,
};

fn cstrings(items: &[&[u8]]) -> (Vec<CString>, Vec<*const libc::c_char>) {
    let owned: Vec<CString> = items.iter().map(|a| CString::new(*a).unwrap()).collect();
    let mut ptrs: Vec<*const libc::c_char> = owned.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    (owned, ptrs)
}

/// How a child execs.
enum Exec<'a> {
    Path(&'a CString),
    /// execveat(fd, "", AT_EMPTY_PATH): fexecve.
    Fd(i32),
}

fn exec_child(how: Exec, argv: &[&[u8]], env: &[&[u8]]) {
    let (_args, argv) = cstrings(argv);
    let (_env, envp) = cstrings(env);
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            match how {
                Exec::Fd(fd) => {
                    libc::syscall(
                        libc::SYS_execveat,
                        fd,
                        c"".as_ptr(),
                        argv.as_ptr(),
                        envp.as_ptr(),
                        libc::AT_EMPTY_PATH,
                    );
                }
                Exec::Path(path) => {
                    libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
                }
            }
            libc::_exit(127);
        }
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}

fn connect_raw(addr: *const libc::sockaddr, len: usize, family: i32) {
    unsafe {
        let fd = libc::socket(family, libc::SOCK_STREAM, 0);
        libc::connect(fd, addr, len as u32);
        libc::close(fd);
    }
}

fn unix_addr(name: &[u8]) -> libc::sockaddr_un {
    let mut un: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    un.sun_family = libc::AF_UNIX as u16;
    for (i, b) in name.iter().enumerate() {
        un.sun_path[i] = *b as libc::c_char;
    }
    un
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, port, unix_path) = (&args[1], args[2].parse::<u16>().unwrap(), &args[3]);
    let every = args.get(4).is_some_and(|a| a == "every");
    std::env::set_current_dir(dir).unwrap();

    // Execs: a success with awkward argv, a failure, an fexecve.
    let long = "L".repeat(3000);
    let tru = CString::new("/bin/true").unwrap();
    exec_child(
        Exec::Path(&tru),
        &[
            b"/bin/true",
            b"arg with space",
            b"bad\xffbyte",
            long.as_bytes(),
            b"a+b 100%",
        ],
        &[],
    );
    exec_child(
        Exec::Path(&CString::new("/nonexistent/sensor-conformance").unwrap()),
        &[b"missing"],
        &[],
    );
    let file = std::fs::File::open("/bin/true").unwrap();
    exec_child(Exec::Fd(file.as_raw_fd()), &[b"fexecve"], &[]);
    if every {
        more_execs();
    }

    unsafe {
        // socket + setsockopt
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        let value: i32 = 54321;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&value as *const i32).cast(),
            4,
        );
        libc::close(fd);

        // An executable file mapping.
        let addr = libc::mmap(
            std::ptr::null_mut(),
            8192,
            libc::PROT_READ | libc::PROT_EXEC,
            libc::MAP_PRIVATE,
            file.as_raw_fd(),
            0,
        );
        libc::munmap(addr, 8192);

        // Refused connects: inet, inet6; a unix socket that does not exist.
        let v4 = libc::sockaddr_in {
            sin_family: libc::AF_INET as u16,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be(),
            },
            sin_zero: [0; 8],
        };
        connect_raw(
            (&v4 as *const libc::sockaddr_in).cast(),
            std::mem::size_of_val(&v4),
            libc::AF_INET,
        );
        let mut v6: libc::sockaddr_in6 = std::mem::zeroed();
        v6.sin6_family = libc::AF_INET6 as u16;
        v6.sin6_port = port.to_be();
        v6.sin6_addr.s6_addr[15] = 1;
        if every {
            v6.sin6_flowinfo = 5u32.to_be();
        }
        connect_raw(
            (&v6 as *const libc::sockaddr_in6).cast(),
            std::mem::size_of_val(&v6),
            libc::AF_INET6,
        );
        let un = unix_addr(unix_path.as_bytes());
        let un_len = 2 + unix_path.len() + 1;
        connect_raw(
            (&un as *const libc::sockaddr_un).cast(),
            un_len,
            libc::AF_UNIX,
        );
        if every {
            more_addresses(unix_path);
        }
    }

    // bind, a connect that succeeds, accept.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let _peer = listener.accept().unwrap();
    drop(client);

    if every {
        terminal_input();
        login();
    }
    // What the kernel cannot give a tracepoint is read from the files
    // themselves while a process that ran them lives (the sensor, and
    // laurel, which names a script from its parent's /proc entry once the
    // script has exited): stay until both have handled the events, as
    // they would on a machine less loaded than a CI runner.
    std::thread::sleep(std::time::Duration::from_secs(2));
}

/// A `#!` script run by a relative name, a file with capabilities, a
/// memfd, and an exec with the loader's variables set.
fn more_execs() {
    std::fs::write("script.sh", "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions("script.sh", std::fs::Permissions::from_mode(0o755)).unwrap();
    exec_child(
        Exec::Path(&CString::new("./script.sh").unwrap()),
        &[b"./script.sh", b"an argument"],
        &[],
    );

    std::fs::copy("/bin/true", "capable").unwrap();
    let setcap = Command::new("setcap")
        .args(["cap_net_raw+ep", "capable"])
        .status()
        .expect("setcap (Debian's libcap2-bin) is needed");
    assert!(setcap.success());
    exec_child(
        Exec::Path(&CString::new("./capable").unwrap()),
        &[b"capable"],
        &[],
    );

    let memfd = unsafe { libc::memfd_create(c"workload-memfd".as_ptr(), 0) };
    assert!(memfd >= 0);
    let mut f = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(memfd) };
    f.write_all(&std::fs::read("/bin/true").unwrap()).unwrap();
    exec_child(Exec::Fd(memfd), &[b"memfd"], &[]);

    // Alive a second: laurel reads the environment from /proc.
    exec_child(
        Exec::Path(&CString::new("/bin/sleep").unwrap()),
        &[b"sleep", b"1"],
        &[
            b"HOME=/",
            b"LD_LIBRARY_PATH=/nonexistent/lib",
            b"LD_PRELOAD=",
        ],
    );
}

/// Unix addresses passed as a whole `struct sockaddr_un` (a path and an
/// abstract name, NUL-padded), an abstract name passed with its length,
/// and a netlink socket bound.
unsafe fn more_addresses(unix_path: &str) {
    let whole = std::mem::size_of::<libc::sockaddr_un>();
    let un = unix_addr(unix_path.as_bytes());
    connect_raw(
        (&un as *const libc::sockaddr_un).cast(),
        whole,
        libc::AF_UNIX,
    );
    let name = b"\0sensor-workload-abstract";
    let abs = unix_addr(name);
    connect_raw(
        (&abs as *const libc::sockaddr_un).cast(),
        whole,
        libc::AF_UNIX,
    );
    connect_raw(
        (&abs as *const libc::sockaddr_un).cast(),
        2 + name.len(),
        libc::AF_UNIX,
    );
    let fd = libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE);
    let mut nl: libc::sockaddr_nl = std::mem::zeroed();
    nl.nl_family = libc::AF_NETLINK as u16;
    libc::bind(
        fd,
        (&nl as *const libc::sockaddr_nl).cast(),
        std::mem::size_of_val(&nl) as u32,
    );
    libc::close(fd);
}

/// AUDIT_TTY_SET: the kernel's TTY auditing, for this process.
const AUDIT_TTY_SET: u16 = 1017;

/// In a child: the kernel's TTY auditing turned on (what pam_tty_audit
/// does), then a line typed into a pseudo-terminal and read from it.
fn terminal_input() {
    unsafe {
        let pid = libc::fork();
        if pid != 0 {
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            return;
        }
        let nl = libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_AUDIT);
        // struct nlmsghdr, then struct audit_tty_status { enabled, log_passwd }.
        let mut msg = [0u8; 24];
        msg[..4].copy_from_slice(&24u32.to_ne_bytes());
        msg[4..6].copy_from_slice(&AUDIT_TTY_SET.to_ne_bytes());
        msg[6..8].copy_from_slice(&((libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16).to_ne_bytes());
        msg[16..20].copy_from_slice(&1u32.to_ne_bytes());
        let mut kernel: libc::sockaddr_nl = std::mem::zeroed();
        kernel.nl_family = libc::AF_NETLINK as u16;
        libc::sendto(
            nl,
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            std::mem::size_of_val(&kernel) as u32,
        );
        let mut ack = [0u8; 64];
        libc::recv(nl, ack.as_mut_ptr().cast(), ack.len(), 0);
        libc::close(nl);
        let (master, slave) = sensor_tests::open_pty();
        let line = b"typed line\n";
        libc::write(master, line.as_ptr().cast(), line.len());
        let mut buf = [0u8; 64];
        libc::read(slave, buf.as_mut_ptr().cast(), buf.len());
        libc::_exit(0);
    }
}

/// In a child: a write to /proc/self/loginuid, as pam_loginuid's.
fn login() {
    unsafe {
        let pid = libc::fork();
        if pid != 0 {
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            return;
        }
        let fd = libc::open(c"/proc/self/loginuid".as_ptr(), libc::O_WRONLY);
        libc::write(fd, b"4242".as_ptr().cast(), 4);
        libc::_exit(0);
    }
}
