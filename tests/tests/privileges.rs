//! Least privilege at run time: once `ready`, every thread of the sensor
//! holds only CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE,
//! with no_new_privs and its seccomp filter; and what each kept capability
//! is for still works: a SIGHUP that attaches a new program (BPF,
//! PERFMON), the cgroup of a process older than the sensor
//! (DAC_READ_SEARCH: open_by_handle_at), the exe of a parent older than
//! the sensor (SYS_PTRACE: /proc/PID/exe).

use std::{fs, process::Command};

use sensor_tests::{marker, temp_dir, wait_until, Sensor};

const CAP_DAC_READ_SEARCH: u32 = 2;
const CAP_SYS_PTRACE: u32 = 19;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// `field`'s value in a /proc status file.
fn field<'a>(status: &'a str, field: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in {status}"))
        .trim()
}

#[test]
fn after_ready_only_the_needed_capabilities_remain_and_they_still_serve() {
    let dir = temp_dir("privileges");
    let rules = dir.join("exec.rules");
    fs::write(&rules, "-a always,exit -F arch=b64 -S execve -k exec\n").unwrap();
    let sensor = Sensor::start(&[
        "--rules",
        rules.to_str().unwrap(),
        "--spool-dir",
        dir.join("spool").to_str().unwrap(),
    ])
    .unwrap();
    let kept: u64 = [CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE]
        .iter()
        .map(|c| 1u64 << c)
        .sum();
    let tasks: Vec<_> = fs::read_dir(format!("/proc/{}/task", sensor.pid()))
        .unwrap()
        .map(|t| t.unwrap().path())
        .collect();
    assert!(tasks.len() > 1, "the sensor has threads: {tasks:?}");
    for task in &tasks {
        let status = fs::read_to_string(task.join("status")).unwrap();
        for (name, expected) in [
            ("CapEff", kept),
            ("CapPrm", kept),
            ("CapInh", 0),
            ("CapAmb", 0),
        ] {
            let value = u64::from_str_radix(field(&status, name), 16).unwrap();
            assert_eq!(value, expected, "{name} of {}:\n{status}", task.display());
        }
        assert_eq!(field(&status, "NoNewPrivs"), "1", "{}", task.display());
        assert_eq!(field(&status, "Seccomp"), "2", "{}", task.display());
    }

    // DAC_READ_SEARCH and SYS_PTRACE: this test process and its cgroup are
    // older than the sensor.
    let before = marker("before-reload");
    let child = Command::new("/bin/true").arg(&before).spawn().unwrap().id();
    let exec = sensor
        .wait_for("the exec", |e| e["SYSCALL"]["pid"] == child)
        .unwrap();
    let me = std::env::current_exe().unwrap();
    assert_eq!(
        exec["SYSCALL"]["PPID"]["exe"],
        me.to_str().unwrap(),
        "{exec:#}"
    );
    assert!(exec["HOST"]["CGROUP"].is_string(), "{exec:#}");

    // Stopped and continued (a debugger, `kill -STOP`): sleeps and timed
    // waits resume through restart_syscall, which the filter must allow
    // (a denial fails the test when the sensor stops).
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGSTOP) };
    std::thread::sleep(std::time::Duration::from_millis(300));
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGCONT) };

    // BPF and PERFMON: a reload that needs a program attached.
    fs::write(
        &rules,
        "-a always,exit -F arch=b64 -S execve -k exec\n\
         -a always,exit -F arch=b64 -S socket -k sockets\n",
    )
    .unwrap();
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGHUP) };
    assert!(wait_until(20, || sensor
        .stderr()
        .contains("rules reloaded")));
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let me = std::process::id();
    sensor
        .wait_for("the socket after the reload", |e| {
            e["SYSCALL"]["syscall"] == 41 && e["SYSCALL"]["pid"] == me
        })
        .unwrap();
    drop(socket);
    let (_, log) = sensor.stop_with_log(libc::SIGINT).unwrap();
    assert!(
        log.contains("confined: capabilities BPF, PERFMON, DAC_READ_SEARCH, SYS_PTRACE"),
        "{log}"
    );
    assert!(!log.contains("SIGHUP: applying the new rules"), "{log}");
    fs::remove_dir_all(dir).unwrap();
}
