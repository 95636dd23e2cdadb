//! Sessions entered through the container runtime (issue 18): a command
//! run in a running container through the CRI's `Exec` and the runtime's
//! streaming server, as `kubectl exec` runs one (real containerd and
//! runc), with and without a terminal. The session's root and every
//! process below it carry `K8S.EXEC` (and the auditd format's `exec_*`
//! origin fields); the container's own processes do not.

use sensor_tests::{
    containerd::{Containerd, Pod},
    marker, wait_until, Sensor,
};
use serde_json::Value;

fn argv_has(e: &Value, tag: &str) -> bool {
    e["EXECVE"]["ARGV"].as_array().is_some_and(|argv| {
        argv.iter()
            .any(|a| a.as_str().is_some_and(|a| a.contains(tag)))
    })
}

fn session_of(e: &Value) -> &Value {
    &e["K8S"]["EXEC"]
}

#[test]
fn a_kubectl_exec_session_marks_its_process_tree_and_only_it() {
    let containerd = Containerd::start().unwrap();
    let endpoint = containerd.endpoint();
    let json = Sensor::start(&["--runtime-endpoint", &endpoint]).unwrap();
    let text = Sensor::start(&["--runtime-endpoint", &endpoint, "--format", "auditd"]).unwrap();
    let pod = Pod::new("shell", "ops");
    let sandbox = containerd.run_pod(&pod).unwrap();
    // The container's own work: an exec every 200 ms, forever.
    let own = marker("own");
    let audit_id = marker("audit-id");
    let container = containerd
        .run_container_with_env(
            &sandbox,
            &pod,
            "app",
            &[
                "/bin/sh",
                "-c",
                &format!("while true; do /bin/true {own}; sleep 0.2; done"),
            ],
            &[("KUBERNETES_EXEC_AUDIT_ID", &audit_id)],
        )
        .unwrap();
    json.wait_for("the container's own exec", |e| argv_has(e, &own))
        .unwrap();

    // Without a terminal: a process below the root, and a refused connect.
    let plain = marker("plain");
    let out = containerd
        .exec_stream(
            &container,
            &[
                "/bin/sh",
                "-c",
                &format!("echo {plain}; /bin/true {plain}; /bin/nc 127.0.0.1 1 || true"),
            ],
            false,
        )
        .unwrap();
    assert!(out.contains(&plain), "exec output: {out}");
    // With one: what it writes is terminal output.
    let tty = marker("tty");
    let out = containerd
        .exec_stream(
            &container,
            // The shim copies the terminal's output once it is attached:
            // a moment's wait, so that none is written before.
            &[
                "/bin/sh",
                "-c",
                &format!("sleep 1; echo {tty}; /bin/tty; /bin/true {tty}"),
            ],
            true,
        )
        .unwrap();
    assert!(
        out.contains(&tty) && out.contains("/dev/pts/"),
        "exec output: {out}"
    );
    json.wait_for("the tty session's last exec", |e| {
        argv_has(e, &tty) && e["EXECVE"]["ARGV"][0] == "/bin/true"
    })
    .unwrap();
    assert!(wait_until(10, || text
        .text()
        .matches("exec_session=")
        .count()
        >= 4));
    std::thread::sleep(std::time::Duration::from_secs(1));
    let events = json.stop().unwrap();
    let auditd_text = text.stop_text().unwrap();

    // Each session's start record and root.
    let starts: Vec<&Value> = events
        .iter()
        .filter(|e| e["SESSION_START"].is_object())
        .collect();
    let start_of = |tag: &str| -> &Value {
        let found: Vec<&&Value> = starts
            .iter()
            .filter(|e| {
                session_of(e)["COMMAND"].as_array().is_some_and(|c| {
                    c.iter()
                        .any(|a| a.as_str().is_some_and(|a| a.contains(tag)))
                })
            })
            .collect();
        assert_eq!(found.len(), 1, "session starts for {tag}: {starts:#?}");
        found[0]
    };
    for (tag, tty) in [(&plain, false), (&tty, true)] {
        let start = start_of(tag);
        let s = session_of(start);
        assert_eq!(start["CONTAINER"]["ID"], container.as_str(), "{start}");
        assert_eq!(start["K8S"]["POD"], pod.name.as_str(), "{start}");
        assert_eq!(s["COMMAND"][0], "/bin/sh", "{start}");
        assert_eq!(s["AUDIT_ID"], audit_id.as_str(), "{start}");
        let terminal = s["TTY"].as_str().unwrap();
        assert_eq!(terminal != "(none)", tty, "{start}");
        let id = s["SESSION"].as_str().unwrap();
        let pid = &start["SESSION_START"]["pid"];
        assert!(id.starts_with(&format!("{pid}@")), "{start}");

        // Every event of the session's processes carries it.
        let of_session: Vec<&Value> = events
            .iter()
            .filter(|e| session_of(e)["SESSION"] == id)
            .collect();
        let root_exec = of_session
            .iter()
            .find(|e| e["SYSCALL"]["syscall"] == 59 && e["SYSCALL"]["pid"] == *pid);
        assert!(root_exec.is_some(), "the root's own exec: {of_session:#?}");
        let child = events
            .iter()
            .find(|e| argv_has(e, tag) && e["EXECVE"]["ARGV"][0] == "/bin/true")
            .unwrap_or_else(|| panic!("no exec of /bin/true {tag}"));
        assert_eq!(
            session_of(child)["SESSION"],
            id,
            "a process below the root: {child}"
        );
        if tty {
            let output = events
                .iter()
                .find(|e| {
                    e["TTY"][0]["DIRECTION"] == "output"
                        && e["TTY"][0]["data"]
                            .as_str()
                            .is_some_and(|d| d.contains(tag.as_str()))
                })
                .unwrap_or_else(|| panic!("no TTY record of the session"));
            assert_eq!(session_of(output)["SESSION"], id, "{output}");
        } else {
            let connect = events
                .iter()
                .find(|e| {
                    e["SYSCALL"]["syscall"] == 42
                        && e["SOCKADDR"][0]["SADDR"]["port"] == 1
                        && e["CONTAINER"]["ID"] == container.as_str()
                })
                .unwrap_or_else(|| panic!("no connect of the session"));
            assert_eq!(session_of(connect)["SESSION"], id, "{connect}");
        }
        // The auditd format's origin records name it too.
        assert!(
            auditd_text
                .lines()
                .any(|l| l.contains("type=UNKNOWN[2092]") && l.contains(&format!("pid={pid} "))),
            "no session start record in the auditd format"
        );
    }
    // The container's own processes are in no session.
    let own_execs: Vec<&Value> = events.iter().filter(|e| argv_has(e, &own)).collect();
    assert!(!own_execs.is_empty());
    for e in own_execs {
        assert!(session_of(e).is_null(), "the container's own exec: {e}");
    }
    assert!(
        auditd_text
            .lines()
            .filter(|l| l.contains("type=UNKNOWN[2094]") && l.contains("exec_session="))
            .all(|l| l.contains(&format!("exec_audit_id=\"{audit_id}\""))),
        "origin records with a session and no audit id"
    );
    containerd.remove_pod(&sandbox).unwrap();
}
