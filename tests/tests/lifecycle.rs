//! The fork and exit programs (sched_process_fork, sched_process_exit).

use sensor_tests::{fork_and, marker, record, with, CArgv, Sensor};
use serde_json::json;

#[test]
fn a_fork_tree_and_its_exit_statuses_are_recorded() {
    let sensor = Sensor::start(&["--process-events"]).unwrap();
    let tag = marker("tree");
    let argv = CArgv::new(&[b"/bin/true", tag.as_bytes()]);
    // child: forks a grandchild that execs /bin/true, waits, exits 42.
    let child = fork_and(|| unsafe {
        let grandchild = libc::fork();
        if grandchild == 0 {
            libc::execv(c"/bin/true".as_ptr(), argv.ptrs.as_ptr());
            libc::_exit(127);
        }
        libc::waitpid(grandchild, std::ptr::null_mut(), 0);
        libc::_exit(42);
    });
    let killed = fork_and(|| unsafe {
        libc::raise(libc::SIGKILL);
    });
    sensor
        .wait_for("the killed child's exit", |e| {
            record(e, "EXIT")["pid"] == killed
        })
        .unwrap();
    let events = sensor.stop().unwrap();
    let me = std::process::id();

    let forks = with(&events, "FORK", "ppid", me);
    assert!(
        forks.iter().any(|f| record(f, "FORK")["pid"] == child),
        "no FORK of {child}"
    );
    let exec = events
        .iter()
        .find(|e| e["EXECVE"]["ARGV"] == json!(["/bin/true", tag]))
        .expect("the grandchild's exec");
    let grandchild = exec["SYSCALL"]["pid"].as_u64().unwrap();
    assert_eq!(exec["SYSCALL"]["ppid"], child);
    let fork = with(&events, "FORK", "pid", grandchild);
    assert_eq!(fork.len(), 1);
    assert_eq!(record(&fork[0], "FORK")["ppid"], child);

    let exit = |pid| {
        let found = with(&events, "EXIT", "pid", pid);
        assert_eq!(found.len(), 1, "one EXIT for {pid}: {found:#?}");
        record(&found[0], "EXIT").clone()
    };
    assert_eq!(exit(grandchild)["status"], 0);
    assert_eq!(exit(grandchild)["ppid"], child);
    assert_eq!(exit(child as u64)["status"], 42);
    assert_eq!(exit(killed as u64)["signal"], 9);
    assert!(exit(killed as u64).get("status").is_none());
}

#[test]
fn without_process_events_forks_and_exits_are_not_written() {
    let sensor = Sensor::start(&[]).unwrap();
    let tag = marker("quiet");
    let argv = CArgv::new(&[b"/bin/true", tag.as_bytes()]);
    let child = fork_and(|| unsafe {
        libc::execv(c"/bin/true".as_ptr(), argv.ptrs.as_ptr());
    });
    sensor
        .wait_for("the exec", |e| e["SYSCALL"]["pid"] == child)
        .unwrap();
    let events = sensor.stop().unwrap();
    assert!(events
        .iter()
        .all(|e| e.get("FORK").is_none() && e.get("EXIT").is_none()));
    // The process tree is still kept: the exec's parent is known.
    let exec = events
        .iter()
        .find(|e| e["SYSCALL"]["pid"] == child)
        .unwrap();
    assert_eq!(
        exec["SYSCALL"]["PPID"]["exe"],
        std::env::current_exe().unwrap().to_str().unwrap()
    );
}
