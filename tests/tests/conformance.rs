//! Conformance with the real kernel audit subsystem (see
//! `sensor_tests::conformance`): the exec, socket, connection and mmap
//! workload, on the host and in a container, and every rule operator.

use std::{collections::BTreeMap, path::Path, process::Command};

use sensor_tests::{
    audit_log::{self, Event},
    conformance::{assert_agrees, run_both, Allowed, Run},
    marker,
};

/// Differences that are known and justified. The README's agreement table
/// lists them.
const ALLOWED: &[Allowed] = &[
    ("SYSCALL", "items", &["connect", "bind"], "a unix socket path: auditd logs the kernel's path lookup as a PATH item"),
    ("PATH", "*", &["connect", "bind"], "a unix socket path: auditd logs the kernel's path lookup as a PATH item (the sensor has the path in SOCKADDR)"),
    ("CWD", "*", &["connect", "bind"], "a unix socket path: auditd adds the CWD that goes with a PATH item"),
];

/// Where the workload runs.
enum Place {
    Host,
    /// A container made of namespaces: its own mount and pid namespaces and
    /// root directory (the host's /usr bound read-only inside), as a
    /// container runtime sets one up; no image needed.
    Container,
}

/// Starts the workload and waits for it; returns its host pid (for a
/// container, 0: it is found from the records).
fn start_workload(place: &Place, dir_name: &str, port: u16) -> u32 {
    let unix = format!("/tmp/{}", marker("nosock"));
    match place {
        Place::Host => {
            let dir = std::env::temp_dir().join(dir_name);
            std::fs::create_dir_all(&dir).unwrap();
            let child = Command::new(env!("CARGO_BIN_EXE_workload"))
                .arg(&dir)
                .arg(port.to_string())
                .arg(&unix)
                .spawn()
                .unwrap();
            let pid = child.id();
            assert!(child.wait_with_output().unwrap().status.success());
            pid
        }
        Place::Container => {
            let root = std::env::temp_dir().join(marker("rootfs"));
            for d in ["usr", "proc", "work", &format!("tmp/{dir_name}")] {
                std::fs::create_dir_all(root.join(d)).unwrap();
            }
            for (link, target) in [
                ("bin", "usr/bin"),
                ("lib", "usr/lib"),
                ("lib64", "usr/lib64"),
            ] {
                std::os::unix::fs::symlink(target, root.join(link)).unwrap();
            }
            std::fs::copy(env!("CARGO_BIN_EXE_workload"), root.join("work/workload")).unwrap();
            let script = format!(
                "mount --bind -o ro /usr {root}/usr && exec chroot {root} /work/workload '/tmp/{dir_name}' {port} {unix}",
                root = root.display()
            );
            // unshare forks the container's first process (pid 1 inside),
            // which becomes the workload.
            let status = Command::new("unshare")
                .args(["--mount", "--pid", "--fork", "sh", "-c", &script])
                .status()
                .unwrap();
            assert!(status.success());
            std::fs::remove_dir_all(&root).ok();
            0
        }
    }
}

/// Runs the workload at `place` with auditd and the sensor recording.
fn run_at(rules: &Path, place: Place) -> Run {
    let dir_name = format!("{} with spaces", marker("conformance"));
    let port = sensor_tests::free_port();
    let in_container = matches!(place, Place::Container);
    let run = run_both(
        rules,
        || start_workload(&place, &dir_name, port),
        // In a container the workload's host pid is found from what auditd
        // recorded: the process running /work/workload.
        |theirs: &[Event]| {
            theirs
                .iter()
                .find(|e| in_container && e.syscall("exe") == Some("/work/workload"))
                .and_then(|e| e.syscall("pid")?.parse().ok())
        },
    );
    let _ = std::fs::remove_dir(std::env::temp_dir().join(&dir_name));
    run
}

#[test]
fn the_sensor_agrees_with_auditd_field_by_field() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/default.rules");
    let run = run_at(&rules, Place::Host);
    assert!(
        run.theirs.len() >= 10,
        "auditd recorded too little: {:#?}",
        run.theirs
    );
    assert_agrees(&run, ALLOWED);

    // auditd's own tools read the sensor's output.
    let log = std::env::temp_dir().join(marker("sensor-audit.log"));
    std::fs::write(&log, &run.text).unwrap();
    let tool = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .args(["-if", log.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let pid = run.workload.to_string();
    let by_key = tool("ausearch", &["-k", "network", "--format", "raw"]);
    assert!(audit_log::parse(&by_key)
        .iter()
        .all(|e| e.syscall("key") == Some("network")));
    assert!(by_key.contains(&format!("pid={pid} ")));
    let by_pid = audit_log::parse(&tool("ausearch", &["-p", &pid, "--format", "raw"]));
    assert!(
        !by_pid.is_empty()
            && by_pid
                .iter()
                .all(|e| e.syscall("pid") == Some(pid.as_str()))
    );
    let execs = audit_log::parse(&tool("ausearch", &["-sc", "execve", "--format", "raw"]));
    assert!(!execs.is_empty() && execs.iter().all(|e| e.syscall("syscall") == Some("59")));
    let interpreted = tool("ausearch", &["-i", "-sc", "connect", "-p", &pid]);
    assert!(interpreted.contains("syscall=connect"), "{interpreted}");
    assert!(
        interpreted.contains("saddr_fam=inet laddr=127.0.0.1"),
        "{interpreted}"
    );
    let report = tool("aureport", &["-x", "--summary"]);
    assert!(report.contains("/usr/bin/true"), "{report}");
    std::fs::remove_file(log).unwrap();
}

#[test]
fn the_sensor_records_exactly_what_auditd_records_for_each_operator() {
    let template = include_str!("../rules/semantics.rules");
    let rules = std::env::temp_dir().join(marker("semantics.rules"));
    std::fs::write(
        &rules,
        template.replace("WORKLOAD", env!("CARGO_BIN_EXE_workload")),
    )
    .unwrap();
    let run = run_at(&rules, Place::Host);
    let keys = |calls: &BTreeMap<(String, String), Vec<Event>>| -> Vec<String> {
        let keys: std::collections::BTreeSet<String> = calls
            .values()
            .flatten()
            .map(|e| {
                format!(
                    "{}/{}",
                    e.syscall("syscall").unwrap(),
                    e.syscall("key").unwrap_or("-")
                )
            })
            .collect();
        keys.into_iter().collect()
    };
    // Every rule matched something, so none of them passes by matching nothing.
    assert_eq!(
        keys(&run.theirs),
        [
            "288/accept4",
            "322/fexecve",
            "41/dgram",
            "42/connected",
            "42/refused",
            "49/bind_by_workload",
            "54/sockopt",
            "59/enoent",
            "59/root_exec",
            "9/rx_8k"
        ]
    );
    assert_agrees(&run, ALLOWED);
    std::fs::remove_file(rules).unwrap();
}

#[test]
fn inside_a_container_paths_are_the_containers_as_auditd_has_them() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/default.rules");
    let run = run_at(&rules, Place::Container);
    assert!(
        run.theirs.len() >= 10,
        "auditd recorded too little: {:#?}",
        run.theirs
    );
    // The exe and cwd as the containerised process sees them.
    let workload_exe = run
        .ours
        .values()
        .flatten()
        .find_map(|e| e.syscall("exe").filter(|x| x.contains("workload")));
    assert_eq!(workload_exe, Some("/work/workload"));
    // The children's execs ran in the container's /tmp directory.
    let cwds: Vec<&str> = run
        .ours
        .values()
        .flatten()
        .filter_map(|e| e.record("CWD").and_then(|c| c.get("cwd")))
        .collect();
    assert!(
        cwds.iter()
            .any(|c| c.starts_with("/tmp/") && c.ends_with(" with spaces")),
        "{cwds:?}"
    );
    assert_agrees(&run, ALLOWED);
}
