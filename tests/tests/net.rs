//! The socket programs: socket, setsockopt, connect, accept, accept4, bind.

use std::{
    io::ErrorKind,
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket},
    os::{fd::AsRawFd, unix::net::UnixStream},
};

use sensor_tests::{by_pid, marker, record, Sensor};
use serde_json::Value;

const SOCKET: u64 = 41;
const CONNECT: u64 = 42;
const ACCEPT: u64 = 43;
const BIND: u64 = 49;
const ACCEPT4: u64 = 288;

fn me() -> u32 {
    std::process::id()
}

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn saddr(e: &Value) -> &Value {
    &e["SOCKADDR"][0]["SADDR"]
}

/// Stops the sensor once it has this process's connect to `port`; returns it.
fn connect_to(sensor: Sensor, port: u16) -> Value {
    sensor
        .wait_for("the connect", |e| {
            saddr(e)["port"] == port && e["SYSCALL"]["syscall"] == CONNECT
        })
        .unwrap();
    let events = sensor.stop().unwrap();
    by_pid(&events, CONNECT, me())
        .into_iter()
        .find(|e| saddr(e)["port"] == port)
        .unwrap()
}

#[test]
fn socket_and_setsockopt_record_their_arguments() {
    let sensor = Sensor::start(&[]).unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let fd = udp.as_raw_fd();
    // A value no one else sets: the test's pid in the high bits.
    let value: i32 = 0x1000_0000 | (me() as i32 & 0xfff_ffff);
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&value as *const i32).cast(),
            4,
        )
    };
    assert_eq!(rc, 0);
    let hex: String = value
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    sensor
        .wait_for("the setsockopt", |e| {
            record(e, "SOCKOPT")["OPTVAL"] == hex.as_str()
        })
        .unwrap();
    let events = sensor.stop().unwrap();

    let socket: Vec<Value> = by_pid(&events, SOCKET, me())
        .into_iter()
        .filter(|e| e["SYSCALL"]["exit"] == fd)
        .collect();
    let socket = socket.last().expect("the socket() call");
    let s = &socket["SYSCALL"];
    assert_eq!(s["success"], "yes");
    assert_eq!(s["DOMAIN"], "AF_INET");
    assert_eq!(s["TYPE"], "SOCK_DGRAM|SOCK_CLOEXEC");
    assert_eq!(s["PROTOCOL"], "IPPROTO_IP");
    assert_eq!(s["key"], "socket");

    let opt = events
        .iter()
        .find(|e| record(e, "SOCKOPT")["OPTVAL"] == hex.as_str())
        .unwrap();
    let sockopt = record(opt, "SOCKOPT");
    assert_eq!(opt["SYSCALL"]["pid"], me());
    assert_eq!(opt["SYSCALL"]["SYSCALL"], "setsockopt");
    assert_eq!(opt["SYSCALL"]["ARGV"][0], format!("0x{fd:x}"));
    assert_eq!(sockopt["LEVEL"], "SOL_SOCKET");
    assert_eq!(sockopt["OPTNAME"], "SO_RCVBUF");
    assert_eq!(sockopt["OPTLEN"], 4);
}

#[test]
fn a_refused_inet_connect_has_its_address() {
    let sensor = Sensor::start(&[]).unwrap();
    let port = free_port();
    let err = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    let e = connect_to(sensor, port);
    assert_eq!(e["SYSCALL"]["success"], "no");
    assert_eq!(e["SYSCALL"]["exit"], -libc::ECONNREFUSED as i64);
    assert_eq!(e["SYSCALL"]["key"], "network");
    assert_eq!(saddr(&e)["saddr_fam"], "inet");
    assert_eq!(saddr(&e)["addr"], "127.0.0.1");
    // As laurel: the raw address only when it is not interpreted.
    assert!(e["SOCKADDR"][0].get("saddr").is_none());
}

#[test]
fn a_non_blocking_connect_in_progress_is_recorded() {
    let sensor = Sensor::start(&[]).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0) };
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    };
    let rc = unsafe {
        libc::connect(
            fd,
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of_val(&addr) as u32,
        )
    };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap();
    unsafe { libc::close(fd) };
    let e = connect_to(sensor, port);
    // A non-blocking TCP connect returns before the handshake, even on loopback.
    assert_eq!((rc, errno), (-1, libc::EINPROGRESS));
    assert_eq!(e["SYSCALL"]["exit"], -libc::EINPROGRESS as i64);
    assert_eq!(e["SYSCALL"]["success"], "no");
    assert_eq!(e["SYSCALL"]["ARGV"][0], format!("0x{fd:x}"));
}

#[test]
fn inet6_and_unix_connects_have_their_addresses() {
    let sensor = Sensor::start(&[]).unwrap();
    let port = free_port();
    assert!(TcpStream::connect(SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port))).is_err());
    let path = std::env::temp_dir().join(marker("unix"));
    // std passes the length of the path (and its NUL): laurel does not
    // read such an address, and writes it raw.
    assert!(UnixStream::connect(&path).is_err());
    let path = path.to_str().unwrap();
    let raw = format!("%01%00{path}%00");
    // A whole struct sockaddr_un, which laurel reads.
    let mut whole: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    whole.sun_family = libc::AF_UNIX as u16;
    for (i, b) in path.bytes().enumerate() {
        whole.sun_path[i] = b as libc::c_char;
    }
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
        let len = std::mem::size_of_val(&whole) as u32;
        libc::connect(fd, (&whole as *const libc::sockaddr_un).cast(), len);
        libc::close(fd);
    }
    sensor
        .wait_for("the unix connect", |e| saddr(e)["path"] == path)
        .unwrap();
    let events = sensor.stop().unwrap();
    let calls = by_pid(&events, CONNECT, me());

    let v6 = calls.iter().find(|e| saddr(e)["port"] == port).unwrap();
    assert_eq!(saddr(v6)["saddr_fam"], "inet6");
    assert_eq!(saddr(v6)["addr"], "::1");
    assert_eq!(saddr(v6)["flowinfo"], 0);
    assert_eq!(v6["SYSCALL"]["exit"], -libc::ECONNREFUSED as i64);

    let unix = calls.iter().find(|e| saddr(e)["path"] == path).unwrap();
    assert_eq!(saddr(unix)["saddr_fam"], "local");
    assert_eq!(unix["SYSCALL"]["exit"], -libc::ENOENT as i64);
    let short = calls
        .iter()
        .find(|e| e["SOCKADDR"][0]["saddr"] == raw.as_str())
        .expect("the connect with the path's length, raw");
    assert_eq!(short["SYSCALL"]["exit"], -libc::ENOENT as i64);
}

#[test]
fn bind_has_the_local_address_and_accept_the_peers() {
    let sensor = Sensor::start(&[]).unwrap();
    let port = free_port();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();

    // accept4 (what std uses) and plain accept(2).
    let first = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    let (_accepted, _) = listener.accept().unwrap();
    let second = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    let mut peer: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of_val(&peer) as libc::socklen_t;
    let fd = unsafe {
        libc::accept(
            listener.as_raw_fd(),
            (&mut peer as *mut libc::sockaddr_in).cast(),
            &mut len,
        )
    };
    assert!(fd >= 0);
    unsafe { libc::close(fd) };
    let (p1, p2) = (
        first.local_addr().unwrap().port(),
        second.local_addr().unwrap().port(),
    );
    sensor
        .wait_for("the accept", |e| {
            e["SYSCALL"]["syscall"] == ACCEPT && saddr(e)["port"] == p2
        })
        .unwrap();
    let events = sensor.stop().unwrap();

    let bind = by_pid(&events, BIND, me())
        .into_iter()
        .find(|e| saddr(e)["port"] == port)
        .expect("the bind");
    assert_eq!(bind["SYSCALL"]["success"], "yes");
    assert_eq!(saddr(&bind)["addr"], "127.0.0.1");

    let accept4 = by_pid(&events, ACCEPT4, me());
    assert!(
        accept4
            .iter()
            .any(|e| saddr(e)["port"] == p1 && saddr(e)["addr"] == "127.0.0.1"),
        "no accept4 with the peer 127.0.0.1:{p1}: {accept4:#?}"
    );
    let accept = by_pid(&events, ACCEPT, me());
    assert!(accept
        .iter()
        .any(|e| saddr(e)["port"] == p2 && e["SYSCALL"]["exit"] == fd));
}

/// socket, setsockopt and bind have no entry program: their arguments come
/// from the caller's saved registers at exit. A failed call (its return
/// value an errno) from a second thread still has them.
#[test]
fn calls_read_at_exit_alone_keep_their_arguments() {
    let sensor = Sensor::start(&[]).unwrap();
    // No protocol has this number: the test's pid marks it.
    let protocol = 0x10000 | (me() as i32 & 0xffff);
    let port = free_port();
    let (socket_rc, bind_rc) = std::thread::spawn(move || {
        let socket_rc = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, protocol) };
        let socket_err = std::io::Error::last_os_error().raw_os_error();
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be(),
            },
            sin_zero: [0; 8],
        };
        let bind_rc = unsafe {
            libc::bind(
                -1,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of_val(&addr) as libc::socklen_t,
            )
        };
        let bind_err = std::io::Error::last_os_error().raw_os_error();
        ((socket_rc, socket_err), (bind_rc, bind_err))
    })
    .join()
    .unwrap();
    assert_eq!(socket_rc.0, -1);
    assert_eq!(bind_rc, (-1, Some(libc::EBADF)));
    sensor
        .wait_for("the failed bind", |e| {
            e["SYSCALL"]["syscall"] == BIND && saddr(e)["port"] == port
        })
        .unwrap();
    let events = sensor.stop().unwrap();

    let socket = by_pid(&events, SOCKET, me())
        .into_iter()
        .find(|e| e["SYSCALL"]["ARGV"][2] == format!("0x{protocol:x}"))
        .expect("the failed socket() with its protocol");
    assert_eq!(socket["SYSCALL"]["success"], "no");
    assert_eq!(
        socket["SYSCALL"]["exit"],
        -(socket_rc.1.expect("an errno") as i64)
    );
    assert_eq!(socket["SYSCALL"]["DOMAIN"], "AF_INET");

    let bind = by_pid(&events, BIND, me())
        .into_iter()
        .find(|e| saddr(e)["port"] == port)
        .expect("the failed bind");
    assert_eq!(bind["SYSCALL"]["success"], "no");
    assert_eq!(bind["SYSCALL"]["exit"], -libc::EBADF as i64);
    assert_eq!(bind["SYSCALL"]["ARGV"][0], "0xffffffff");
    assert_eq!(saddr(&bind)["addr"], "127.0.0.1");
}
