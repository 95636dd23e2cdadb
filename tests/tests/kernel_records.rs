//! The kernel's own records (issue 18), read from the audit netlink's
//! read-only multicast group beside (or without) auditd: a seccomp kill is
//! made by the kernel with its audit disabled and written by the sensor
//! alone; an abnormal end (ANOM_ABEND) only while the kernel's audit is
//! enabled, where the sensor's record equals auditd's. `sensor check`
//! says which records need the kernel's audit enabled.

use std::process::Command;

use sensor_tests::{
    auditd::{self, Auditd},
    fork_and, wait_until, Sensor,
};
use serde_json::Value;

/// A child killed by seccomp's strict mode at its first other syscall.
fn seccomp_kill() -> u32 {
    fork_and(|| unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            1, /* SECCOMP_MODE_STRICT */
            0,
            0,
            0,
        );
        libc::syscall(libc::SYS_getpid);
    })
}

/// A child that dies of SIGSEGV (no core file: the limit is 0).
fn abnormal_end() -> u32 {
    fork_and(|| unsafe {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &none);
        // Rust's own SIGSEGV handler (stack overflow detection) is inherited.
        libc::signal(libc::SIGSEGV, libc::SIG_DFL);
        libc::raise(libc::SIGSEGV);
    })
}

fn record<'a>(events: &'a [Value], kind: &str, pid: u32) -> Option<&'a Value> {
    events.iter().find(|e| e[kind][0]["pid"] == pid)
}

#[test]
fn seccomp_is_written_without_auditd_and_abnormal_ends_need_the_kernels_audit() {
    let _lock = auditd::audit_lock().unwrap();
    let status =
        String::from_utf8(Command::new("auditctl").arg("-s").output().unwrap().stdout).unwrap();
    assert!(
        status.contains("enabled 0"),
        "the kernel's audit should be off:\n{status}"
    );
    let check = Command::new(sensor_tests::sensor_bin())
        .args(["check", "--runtime-endpoint", "none"])
        .output()
        .unwrap();
    let check = String::from_utf8_lossy(&check.stdout);
    let line = check
        .lines()
        .find(|l| l.starts_with("kernel recs"))
        .expect("a kernel recs line");
    assert!(
        line.contains("disabled") && line.contains("ANOM_ABEND") && line.contains("SECCOMP"),
        "{line}"
    );

    let sensor = Sensor::start(&["--runtime-endpoint", "none"]).unwrap();
    let killed = seccomp_kill();
    let crashed = abnormal_end();
    sensor
        .wait_for("the seccomp kill", |e| e["SECCOMP"][0]["pid"] == killed)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let events = sensor.stop().unwrap();
    let s = record(&events, "SECCOMP", killed).unwrap();
    let r = &s["SECCOMP"][0];
    assert_eq!(r["sig"], 9, "{s}");
    assert_eq!(r["syscall"], libc::SYS_getpid, "{s}");
    assert_eq!(r["arch"], "0xc000003e", "{s}");
    assert_eq!(r["GID"], "root", "laurel names every ...gid: {s}");
    assert!(
        r["KERNEL_ID"].as_str().is_some_and(|id| id.contains(':')),
        "{s}"
    );
    assert!(s["HOST"].is_object(), "attributed to where it ran: {s}");
    assert!(
        record(&events, "ANOM_ABEND", crashed).is_none(),
        "the kernel makes no ANOM_ABEND with its audit disabled"
    );
    drop(_lock);

    // Beside auditd: the kernel's audit enabled, the same records in both.
    let dir = sensor_tests::temp_dir("kernel-records");
    let rules = dir.join("none.rules");
    std::fs::write(&rules, "## none\n").unwrap();
    let auditd = Auditd::start(&rules).unwrap();
    let sensor = Sensor::start(&["--runtime-endpoint", "none", "--format", "auditd"]).unwrap();
    let killed = seccomp_kill();
    let crashed = abnormal_end();
    let both = wait_until(20, || {
        let t = sensor.text();
        t.contains(&format!("pid={crashed} ")) && t.contains(&format!("pid={killed} "))
    });
    assert!(
        both,
        "no records of {crashed} and {killed}:\n{}",
        sensor.text()
    );
    auditd.wait_until_quiet(|| sensor.text().len());
    let ours = sensor.stop_text().unwrap();
    let theirs = auditd.stop().unwrap();
    for (kind, pid) in [("ANOM_ABEND", crashed), ("SECCOMP", killed)] {
        let body = |text: &str| -> String {
            let line = text
                .lines()
                .find(|l| {
                    l.contains(&format!("type={kind} ")) && l.contains(&format!(" pid={pid} "))
                })
                .unwrap_or_else(|| panic!("no {kind} of {pid} in:\n{text}"));
            line.split_once("): ").unwrap().1.to_owned()
        };
        assert_eq!(
            body(&ours),
            body(&theirs),
            "{kind}: the sensor's and auditd's"
        );
    }
}
