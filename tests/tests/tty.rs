//! The terminal programs (read and write on a tty): output, input, and
//! input typed with echo off, which must never be recorded.

use std::time::Duration;

use sensor_tests::{fork_and_wait, marker, with, Sensor};

fn write_all(fd: i32, data: &[u8]) {
    assert_eq!(
        unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) },
        data.len() as isize
    );
}

/// Reads from the pty master until `needle` has been seen.
fn read_until(master: i32, needle: &[u8]) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !seen.windows(needle.len()).any(|w| w == needle) {
        let n = unsafe { libc::read(master, buf.as_mut_ptr().cast(), buf.len()) };
        assert!(
            n > 0,
            "the pty closed before {:?}",
            String::from_utf8_lossy(needle)
        );
        seen.extend_from_slice(&buf[..n as usize]);
    }
}

fn set_echo(fd: i32, on: bool) {
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0);
    if on {
        t.c_lflag |= libc::ECHO;
    } else {
        t.c_lflag &= !libc::ECHO;
    }
    assert_eq!(unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) }, 0);
}

#[test]
fn terminal_output_and_input_are_recorded_but_not_passwords() {
    let sensor = Sensor::start(&[]).unwrap();
    let (master, slave) = sensor_tests::open_pty();
    let minor = {
        let pts = std::fs::read_link(format!("/proc/self/fd/{slave}")).unwrap();
        pts.to_str()
            .unwrap()
            .trim_start_matches("/dev/pts/")
            .parse::<u32>()
            .unwrap()
    };
    let shown = marker("shown");
    let typed = marker("typed");
    let secret = marker("password");
    let out_line = format!("{shown}\n");

    // The child, on the terminal: shows a line, reads two (the second with
    // echo off, as a password prompt does), then exits.
    let child = fork_and_wait(
        || unsafe {
            libc::setsid();
            libc::ioctl(slave, libc::TIOCSCTTY, 0);
            let mut buf = [0u8; 256];
            libc::write(slave, out_line.as_ptr().cast(), out_line.len());
            libc::read(slave, buf.as_mut_ptr().cast(), buf.len());
            libc::read(slave, buf.as_mut_ptr().cast(), buf.len());
        },
        |_| {
            read_until(master, shown.as_bytes());
            write_all(master, format!("{typed}\n").as_bytes());
            read_until(master, typed.as_bytes()); // its echo: the child got it
            std::thread::sleep(Duration::from_millis(200));
            set_echo(slave, false);
            write_all(master, format!("{secret}\n").as_bytes());
        },
    );
    sensor
        .wait_for("the typed line", |e| {
            e["TTY"][0]["data"]
                .as_str()
                .is_some_and(|d| d.contains(&typed))
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let (events, _) = sensor.stop_with_log(libc::SIGINT).unwrap();

    let tty = with(&events, "TTY", "pid", child);
    let output = tty
        .iter()
        .find(|e| e["TTY"][0]["DIRECTION"] == "output")
        .expect("the output");
    let t = &output["TTY"][0];
    assert_eq!(t["data"], format!("{shown}%0a"));
    assert_eq!(t["major"], 136);
    assert_eq!(t["minor"], minor);
    assert_eq!(t["TTY"], format!("pts{minor}"));
    // The write's own SYSCALL record, which no rule chose.
    assert_eq!(output["SYSCALL"]["SYSCALL"], "write");
    assert!(output["SYSCALL"]["key"].is_null());
    let input = tty
        .iter()
        .find(|e| e["TTY"][0]["DIRECTION"] == "input")
        .expect("the input");
    assert_eq!(input["TTY"][0]["data"], format!("{typed}%0a"));
    assert_eq!(input["SYSCALL"]["SYSCALL"], "read");

    let everything = serde_json::to_string(&events).unwrap();
    assert!(
        !everything.contains(&secret),
        "the password typed with echo off was recorded"
    );
    unsafe {
        libc::close(master);
        libc::close(slave);
    }
}

#[test]
fn terminal_data_is_cut_per_record_and_says_so() {
    let sensor = Sensor::start(&["--tty-max-record", "16"]).unwrap();
    let (master, slave) = sensor_tests::open_pty();
    let long = format!("{}-{}\n", marker("long"), "z".repeat(100));
    let child = fork_and_wait(
        || unsafe {
            libc::write(slave, long.as_ptr().cast(), long.len());
        },
        |_| read_until(master, b"zzz\r\n"),
    );
    sensor
        .wait_for("the long write", |e| e["TTY"][0]["pid"] == child)
        .unwrap();
    let events = sensor.stop().unwrap();
    let t = &with(&events, "TTY", "pid", child)[0]["TTY"][0];
    assert_eq!(t["TRUNCATED"]["KEPT"], 16);
    assert_eq!(t["TRUNCATED"]["TOTAL"], long.len());
    assert_eq!(t["data"].as_str().unwrap(), &long[..16]);
    unsafe {
        libc::close(master);
        libc::close(slave);
    }
}

#[test]
fn terminal_data_beyond_the_per_session_rate_is_cut_and_counted() {
    let sensor = Sensor::start(&["--tty-rate", "30"]).unwrap();
    let (master, slave) = sensor_tests::open_pty();
    let line = format!("{:0>19}\n", std::process::id()); // 20 bytes
    let child = fork_and_wait(
        || unsafe {
            libc::setsid();
            for _ in 0..2 {
                libc::write(slave, line.as_ptr().cast(), line.len());
            }
        },
        |_| read_until(master, b"\n"),
    );
    std::thread::sleep(Duration::from_millis(500));
    let (events, log) = sensor.stop_with_log(libc::SIGINT).unwrap();
    let records: Vec<_> = with(&events, "TTY", "pid", child)
        .into_iter()
        .map(|e| e["TTY"][0].clone())
        .collect();
    assert_eq!(records.len(), 2, "{records:#?}");
    // The two writes are microseconds apart: one second's budget of 30.
    assert!(records[0].get("TRUNCATED").is_none());
    assert_eq!(records[1]["TRUNCATED"]["KEPT"], 10);
    assert_eq!(records[1]["TRUNCATED"]["TOTAL"], 20);
    assert_eq!(records[1]["data"], &line[..10]);
    assert!(log.contains("10 TTY bytes cut by --tty-rate"), "{log}");
    unsafe {
        libc::close(master);
        libc::close(slave);
    }
}
