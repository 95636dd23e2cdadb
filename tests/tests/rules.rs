//! Audit rules: reload on SIGHUP, and rules the sensor cannot honour.

use std::{fs, process::Command, time::Duration};

use sensor_tests::{marker, sensor_bin, Sensor};
use serde_json::Value;

fn exec_marked(tag: &str) -> u32 {
    let mut child = Command::new("/bin/true").arg(tag).spawn().unwrap();
    child.wait().unwrap();
    child.id()
}

fn wait_log(sensor: &Sensor, needle: &str) {
    for _ in 0..100 {
        if sensor.stderr().contains(needle) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no {needle:?} in the log:\n{}", sensor.stderr());
}

fn key_of(events: &[Value], pid: u32) -> Value {
    events
        .iter()
        .find(|e| e["SYSCALL"]["pid"] == pid && e["SYSCALL"]["syscall"] == 59)
        .map(|e| e["SYSCALL"]["key"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn sighup_reloads_the_rules_without_losing_events() {
    let path = std::env::temp_dir().join(marker("reload.rules"));
    fs::write(&path, "-a always,exit -F arch=b64 -S execve -k before\n").unwrap();
    let sensor = Sensor::start(&["--rules", path.to_str().unwrap()]).unwrap();
    let before = exec_marked("before");
    sensor
        .wait_for("the first exec", |e| e["SYSCALL"]["pid"] == before)
        .unwrap();

    fs::write(
        &path,
        "-a always,exit -F arch=b64 -S execve -k after\n-a always,exit -F arch=b64 -S socket -k sockets\n",
    )
    .unwrap();
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGHUP) };
    wait_log(&sensor, "rules reloaded");
    let after = exec_marked("after");
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sensor
        .wait_for("the second exec", |e| e["SYSCALL"]["pid"] == after)
        .unwrap();

    // Bad rules on SIGHUP: refused, the current ones stay.
    fs::write(
        &path,
        "-a always,exit -F arch=b64 -S execve -F nosuchfield=1\n",
    )
    .unwrap();
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGHUP) };
    wait_log(&sensor, "keeping the current rules");
    let kept = exec_marked("kept");
    sensor
        .wait_for("the third exec", |e| e["SYSCALL"]["pid"] == kept)
        .unwrap();
    let (events, log) = sensor.stop_with_log(libc::SIGINT).unwrap();

    assert_eq!(key_of(&events, before), "before");
    assert_eq!(key_of(&events, after), "after");
    assert_eq!(key_of(&events, kept), "after");
    assert!(
        log.contains(&format!("{}:1: unknown field", path.display())),
        "{log}"
    );
    let me = std::process::id();
    let sockets: Vec<_> = events
        .iter()
        .filter(|e| e["SYSCALL"]["syscall"] == 41 && e["SYSCALL"]["pid"] == me)
        .collect();
    assert!(!sockets.is_empty() && sockets.iter().all(|e| e["SYSCALL"]["key"] == "sockets"));
    assert!(
        log.contains("lost: 0 in the ring buffer, 0 in the kernel"),
        "{log}"
    );
    assert!(log.contains("the reader saw 0 missing"), "{log}");
    drop(udp);
    fs::remove_file(path).unwrap();
}

#[test]
fn rules_the_sensor_cannot_honour_are_errors_unless_skipped() {
    let path = std::env::temp_dir().join(marker("cis.rules"));
    fs::write(
        &path,
        "# from a CIS baseline\n-D\n-b 8192\n-w /etc/passwd -p wa -k identity\n\
         -a always,exit -F arch=b64 -S openat -F obj_uid=0 -k access\n\
         -a always,exit -F arch=b64 -S execve -k exec\n",
    )
    .unwrap();
    let refused = Command::new(sensor_bin())
        .args(["--rules", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(&format!("{}:4: unsupported: file watch", path.display())),
        "{err}"
    );
    assert!(err.contains("--skip-unsupported-rules"), "{err}");

    let check = Command::new(sensor_bin())
        .args([
            "check",
            "--rules",
            path.to_str().unwrap(),
            "--skip-unsupported-rules",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}");
    assert!(
        text.contains(&format!("{}:4: rule skipped: file watch", path.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}:5: rule skipped", path.display())),
        "{text}"
    );
    assert!(text.contains("field obj_uid is not supported"), "{text}");
    assert!(text.contains("rules        ok: 1 rules"), "{text}");

    // Only what the remaining rule needs is attached: exec, not sockets.
    let sensor = Sensor::start(&[
        "--rules",
        path.to_str().unwrap(),
        "--skip-unsupported-rules",
    ])
    .unwrap();
    let log = sensor.stderr();
    sensor.stop().unwrap();
    assert!(
        log.contains("-b 8192") && log.contains("does not apply"),
        "{log}"
    );
    let attached: usize = log
        .lines()
        .find_map(|l| l.split("ready: ").nth(1))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(
        attached,
        4 + 11,
        "the four programs of execve and execveat (every exec is followed once a rule \
         records, for the process table) and the eleven always on (write and read, each \
         at entry and exit; fork, exit, cgroup_mkdir; sendto and sendmsg at exit; the \
         session candidates' exec and the raw sched_process_exec): {log}"
    );
    fs::remove_file(path).unwrap();
}

/// Records the reader received (before userspace filtering), from the
/// final report.
fn received(log: &str) -> u64 {
    let line = log.lines().find(|l| l.contains("stopped:")).unwrap();
    line.split("stopped: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn cheap_rule_fields_are_filtered_in_the_kernel() {
    let path = std::env::temp_dir().join(marker("kernel.rules"));
    // No socket() of this flood matches: the test runs as root, auid unset.
    fs::write(
        &path,
        "-a always,exit -F arch=b64 -S socket -F auid>=1000 -F auid!=unset -k user_sockets\n\
         -a always,exit -F arch=b64 -S socket -F a0=10 -F uid=0 -k inet6_sockets\n",
    )
    .unwrap();
    let sensor = Sensor::start(&["--rules", path.to_str().unwrap()]).unwrap();
    let flood = sensor_tests::fork_and(|| unsafe {
        for _ in 0..5000 {
            libc::close(libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0));
        }
        libc::close(libc::socket(libc::AF_INET6, libc::SOCK_DGRAM, 0));
    });
    sensor
        .wait_for("the inet6 socket", |e| e["SYSCALL"]["pid"] == flood)
        .unwrap();
    let (events, log) = sensor.stop_with_log(libc::SIGINT).unwrap();
    let from_flood: Vec<&Value> = events
        .iter()
        .filter(|e| e["SYSCALL"]["pid"] == flood)
        .collect();
    assert_eq!(from_flood.len(), 1, "{from_flood:#?}");
    assert_eq!(from_flood[0]["SYSCALL"]["key"], "inet6_sockets");
    // The 5000 others never left the kernel.
    assert!(received(&log) < 1000, "{log}");
    fs::remove_file(path).unwrap();
}
