//! `sensor check` and the start-up errors it shares with the daemon.

use std::process::Command;

use sensor_tests::sensor_bin;

const ATTACH_POINTS: &[&str] = &[
    "syscalls:sys_enter_execve",
    "syscalls:sys_enter_execveat",
    "syscalls:sys_exit_execve",
    "syscalls:sys_exit_execveat",
    "raw tracepoint sched_process_exec",
];

#[test]
fn check_loads_and_attaches_every_program() {
    let out = Command::new(sensor_bin()).arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for point in ATTACH_POINTS {
        assert!(
            text.lines().any(|l| l.contains(point) && l.contains("ok")),
            "{point} not reported attached:\n{text}"
        );
    }
}

#[test]
fn a_file_that_is_not_btf_gives_the_documented_error() {
    let check = Command::new(sensor_bin())
        .args(["check", "--btf", "/etc/hostname"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(!check.status.success());
    assert!(text.contains("btf          MISSING"), "{text}");
    assert!(text.contains("CONFIG_DEBUG_INFO_BTF"), "{text}");
    assert!(text.contains("not tried"), "{text}");

    let run = Command::new(sensor_bin())
        .args(["--btf", "/etc/hostname"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("cannot read kernel BTF from /etc/hostname"),
        "{err}"
    );
    assert!(err.contains("CONFIG_DEBUG_INFO_BTF"), "{err}");
}

#[test]
fn without_privileges_the_error_names_the_missing_capabilities() {
    // setpriv drops every capability as it changes to an unprivileged user.
    let run = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(sensor_bin())
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("missing capabilities CAP_BPF, CAP_PERFMON"),
        "{err}"
    );
    assert!(err.contains("Run it as root"), "{err}");
}

#[test]
fn a_missing_tracefs_is_mounted_by_the_sensor() {
    // Detach whatever is mounted (lazily, so a tracer using it is not
    // disturbed): the sensor must mount tracefs itself, as in a fresh
    // DaemonSet container.
    for dir in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        let dir = std::ffi::CString::new(dir).unwrap();
        while unsafe { libc::umount2(dir.as_ptr(), libc::MNT_DETACH) } == 0 {}
    }
    assert!(!std::path::Path::new("/sys/kernel/tracing/events").exists());
    let out = Command::new(sensor_bin()).arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(
            "tracefs      ok: was not mounted; the sensor mounted it at /sys/kernel/tracing"
        ),
        "{text}"
    );
    assert!(std::path::Path::new("/sys/kernel/tracing/events").is_dir());
}
