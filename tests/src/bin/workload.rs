//! The conformance workload: one of each call the sensor records, with
//! known arguments, run under both auditd and the sensor.
//!
//! Usage: workload DIR PORT UNIX_PATH. Runs in DIR; PORT is a loopback port
//! nothing listens on; UNIX_PATH a socket path that does not exist.

use std::{
    ffi::CString,
    net::{Ipv4Addr, TcpListener, TcpStream},
    os::fd::AsRawFd,
};

fn exec_child(path: &CString, argv: &[&[u8]], fd: Option<i32>) {
    let args: Vec<CString> = argv.iter().map(|a| CString::new(*a).unwrap()).collect();
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let env: [*const libc::c_char; 1] = [std::ptr::null()];
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            match fd {
                Some(fd) => {
                    libc::syscall(
                        libc::SYS_execveat,
                        fd,
                        c"".as_ptr(),
                        ptrs.as_ptr(),
                        env.as_ptr(),
                        libc::AT_EMPTY_PATH,
                    );
                }
                None => {
                    libc::execve(path.as_ptr(), ptrs.as_ptr(), env.as_ptr());
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, port, unix_path) = (&args[1], args[2].parse::<u16>().unwrap(), &args[3]);
    std::env::set_current_dir(dir).unwrap();

    // Execs: a success with awkward argv, a failure, an fexecve.
    let long = "L".repeat(3000);
    let tru = CString::new("/bin/true").unwrap();
    exec_child(
        &tru,
        &[
            b"/bin/true",
            b"arg with space",
            b"bad\xffbyte",
            long.as_bytes(),
        ],
        None,
    );
    exec_child(
        &CString::new("/nonexistent/sensor-conformance").unwrap(),
        &[b"missing"],
        None,
    );
    let file = std::fs::File::open("/bin/true").unwrap();
    exec_child(&tru, &[b"fexecve"], Some(file.as_raw_fd()));

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
        connect_raw(
            (&v6 as *const libc::sockaddr_in6).cast(),
            std::mem::size_of_val(&v6),
            libc::AF_INET6,
        );
        let mut un: libc::sockaddr_un = std::mem::zeroed();
        un.sun_family = libc::AF_UNIX as u16;
        for (i, b) in unix_path.bytes().enumerate() {
            un.sun_path[i] = b as libc::c_char;
        }
        let un_len = 2 + unix_path.len() + 1;
        connect_raw(
            (&un as *const libc::sockaddr_un).cast(),
            un_len,
            libc::AF_UNIX,
        );
    }

    // bind, a connect that succeeds, accept.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let _peer = listener.accept().unwrap();
    drop(client);
}
