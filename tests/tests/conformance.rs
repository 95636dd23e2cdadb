//! Conformance with the real kernel audit subsystem: auditd and the sensor
//! run side by side with the same rule file on the same workload; events are
//! matched by pid, syscall and order and compared field by field, both read
//! from auditd's text format (the sensor's `--format auditd`) with one
//! parser. Any difference not in `ALLOWED` fails the test.

use std::{collections::BTreeMap, path::Path, process::Command};

use sensor_tests::{
    audit_log::{self, Event},
    auditd::Auditd,
    marker, Sensor,
};

/// Differences that are known and justified: (record, field, syscalls it
/// applies to, why). The README's agreement table lists them.
const ALLOWED: &[(&str, &str, &[&str], &str)] = &[
    ("SYSCALL", "items", &["42", "49"], "a unix socket path: auditd logs the kernel's path lookup as a PATH item"),
    ("PATH", "*", &["42", "49"], "a unix socket path: auditd logs the kernel's path lookup as a PATH item (the sensor has the path in SOCKADDR)"),
    ("CWD", "*", &["42", "49"], "a unix socket path: auditd adds the CWD that goes with a PATH item"),
];

/// Records of events only auditd has, each with why.
const AUDITD_ONLY: &[(&str, &str)] = &[(
    "CONFIG_CHANGE",
    "the workload switching the kernel's TTY auditing on (AUDIT_TTY_SET): the audit \
     configuration is not one of the sensor's classes",
)];

const SYSCALL_FIELDS: &[&str] = &[
    "arch", "syscall", "success", "exit", "a0", "a1", "a2", "a3", "items", "ppid", "pid", "auid",
    "uid", "gid", "euid", "suid", "fsuid", "egid", "sgid", "fsgid", "tty", "ses", "comm", "exe",
    "key",
];

fn allowed(record: &str, field: &str, syscall: &str) -> bool {
    ALLOWED.iter().any(|(r, f, calls, _)| {
        *r == record && (*f == "*" || *f == field) && calls.contains(&syscall)
    })
}

/// Events of the workload process and its children, by (pid, syscall).
fn by_call(events: &[Event], workload: u32) -> BTreeMap<(String, String), Vec<Event>> {
    let mut calls: BTreeMap<(String, String), Vec<Event>> = BTreeMap::new();
    let w = workload.to_string();
    for e in events {
        if e.syscall("pid") == Some(&w) || e.syscall("ppid") == Some(&w) {
            let key = (
                e.syscall("pid").unwrap().to_owned(),
                e.syscall("syscall").unwrap().to_owned(),
            );
            calls.entry(key).or_default().push(e.clone());
        }
    }
    calls
}

/// Every difference between auditd's and the sensor's version of one event.
/// `cached_proctitle` is the PROCTITLE of the pid's first event in auditd's
/// log: the kernel keeps that one for the task's life, even across exec, so
/// auditd's later records can show a command line the process no longer
/// has. The sensor writes the current one; only that case is excused.
fn compare(
    theirs: &Event,
    ours: &Event,
    cached_proctitle: Option<&str>,
    out: &mut Vec<String>,
    compared: &mut BTreeMap<String, usize>,
) {
    let syscall = theirs.syscall("syscall").unwrap_or("");
    let mut check = |record: &str, field: &str, a: Option<&str>, b: Option<&str>| {
        *compared.entry(record.to_owned()).or_default() += 1;
        let stale_proctitle = record == "PROCTITLE" && a.is_some() && a == cached_proctitle;
        if a != b && !allowed(record, field, syscall) && !stale_proctitle {
            out.push(format!(
                "syscall {syscall} {record}.{field}: auditd {a:?}, sensor {b:?} (auditd event {}, exe {:?})",
                theirs.id,
                theirs.syscall("exe").unwrap_or_default()
            ));
        }
    };
    for f in SYSCALL_FIELDS {
        check("SYSCALL", f, theirs.syscall(f), ours.syscall(f));
    }
    for kind in [
        "EXECVE",
        "CWD",
        "PROCTITLE",
        "SOCKADDR",
        "MMAP",
        "BPRM_FCAPS",
        "LOGIN",
        "TTY",
    ] {
        match (theirs.record(kind), ours.record(kind)) {
            (Some(t), Some(o)) => {
                for (field, value) in &t.fields {
                    check(kind, field, Some(value), o.get(field));
                }
            }
            (None, None) => {}
            (t, o) => check(kind, "*", t.map(|_| "present"), o.map(|_| "present")),
        }
    }
    let (t_paths, o_paths): (Vec<_>, Vec<_>) = (
        theirs.records("PATH").collect(),
        ours.records("PATH").collect(),
    );
    for item in 0..t_paths.len().max(o_paths.len()) {
        let record = if item == 0 {
            "PATH".to_owned()
        } else {
            format!("PATH[{item}]")
        };
        match (t_paths.get(item), o_paths.get(item)) {
            (Some(t), Some(o)) => {
                for field in [
                    "item",
                    "name",
                    "inode",
                    "dev",
                    "mode",
                    "ouid",
                    "ogid",
                    "rdev",
                    "nametype",
                    "cap_fp",
                    "cap_fi",
                    "cap_fe",
                    "cap_fver",
                    "cap_frootid",
                ] {
                    check(&record, field, t.get(field), o.get(field));
                }
            }
            (t, o) => check(&record, "*", t.map(|_| "present"), o.map(|_| "present")),
        }
    }
}

/// The events auditd and the sensor recorded for the workload under
/// `rules`, by (pid, syscall), both read from auditd's text format; and the
/// sensor's text.
struct Run {
    theirs: BTreeMap<(String, String), Vec<Event>>,
    ours: BTreeMap<(String, String), Vec<Event>>,
    workload: u32,
    text: String,
}

/// Where the workload runs.
enum Place {
    Host,
    /// A container made of namespaces: its own mount and pid namespaces and
    /// root directory (the host's /usr bound read-only inside), as a
    /// container runtime sets one up; no image needed.
    Container,
}

/// Starts the workload and waits for it; returns its host pid (for a
/// container, 0: it is found from the records). On the host with
/// `every`, it makes every kind of record (a script, a file with
/// capabilities, terminal input, a login…).
fn start_workload(place: &Place, dir_name: &str, port: u16, every: bool) -> u32 {
    let unix = format!("/tmp/{}", marker("nosock"));
    match place {
        Place::Host => {
            let dir = std::env::temp_dir().join(dir_name);
            std::fs::create_dir_all(&dir).unwrap();
            let child = Command::new(env!("CARGO_BIN_EXE_workload"))
                .arg(&dir)
                .arg(port.to_string())
                .arg(&unix)
                .args(every.then_some("every"))
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

fn run_both(rules: &Path, place: Place, every: bool) -> Run {
    let dir_name = format!("{} with spaces", marker("conformance"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let auditd = Auditd::start(rules).unwrap();
    let audit_config = auditctl_state();
    let sensor =
        Sensor::start(&["--rules", rules.to_str().unwrap(), "--format", "auditd"]).unwrap();
    let workload = start_workload(&place, &dir_name, port, every);
    // Until both recordings stop growing: on a loaded machine kauditd and
    // auditd may be seconds behind the workload.
    auditd.wait_until_quiet(|| sensor.text().len());
    let text = sensor.stop_text().unwrap();
    // The sensor never touches the kernel's audit configuration.
    assert_eq!(auditctl_state(), audit_config);
    let theirs = audit_log::parse(&auditd.stop().unwrap());
    let _ = std::fs::remove_dir(std::env::temp_dir().join(&dir_name));
    // In a container the workload's host pid is found from what auditd
    // recorded: the process running /work/workload.
    let workload = match place {
        Place::Host => workload,
        Place::Container => theirs
            .iter()
            .find(|e| e.syscall("exe") == Some("/work/workload"))
            .and_then(|e| e.syscall("pid"))
            .expect("auditd saw the workload in the container")
            .parse()
            .unwrap(),
    };
    Run {
        theirs: by_call(&theirs, workload),
        ours: by_call(&audit_log::parse(&text), workload),
        workload,
        text,
    }
}

/// The kernel's audit rules and status (auditd's pid, enabled…), less the
/// counters that move by themselves.
fn auditctl_state() -> String {
    let run = |args: &[&str]| {
        String::from_utf8(Command::new("auditctl").args(args).output().unwrap().stdout).unwrap()
    };
    let status: Vec<String> = run(&["-s"])
        .lines()
        // Counters, not configuration: they move with load.
        .filter(|l| {
            !l.starts_with("lost")
                && !l.starts_with("backlog ")
                && !l.starts_with("backlog_wait_time_actual")
        })
        .map(str::to_owned)
        .collect();
    format!("{}{}", run(&["-l"]), status.join("\n"))
}

/// Every difference between the two recordings, beyond `ALLOWED`, and how
/// many fields of each record were compared.
fn differences(run: &Run) -> (Vec<String>, BTreeMap<String, usize>) {
    let (theirs, ours) = (&run.theirs, &run.ours);
    // Each pid's first event in auditd's log, by serial.
    let serial = |e: &Event| e.id.rsplit(':').next().unwrap().parse::<u64>().unwrap();
    let mut first: BTreeMap<&str, &Event> = BTreeMap::new();
    for e in theirs.values().flatten() {
        let pid = e.syscall("pid").unwrap();
        if first.get(pid).is_none_or(|f| serial(e) < serial(f)) {
            first.insert(pid, e);
        }
    }
    let mut differences = Vec::new();
    let mut compared = BTreeMap::new();
    for (call, t_events) in theirs {
        let only_theirs = t_events
            .iter()
            .all(|e| AUDITD_ONLY.iter().any(|(kind, _)| e.record(kind).is_some()));
        if only_theirs {
            continue;
        }
        let o_events = ours.get(call).map_or(&[][..], |v| &v[..]);
        if t_events.len() != o_events.len() {
            differences.push(format!(
                "pid {} syscall {}: auditd has {} events, the sensor {}",
                call.0,
                call.1,
                t_events.len(),
                o_events.len()
            ));
        }
        let cached = first
            .get(call.0.as_str())
            .and_then(|e| e.record("PROCTITLE"))
            .and_then(|p| p.get("proctitle"));
        for (t, o) in t_events.iter().zip(o_events) {
            compare(t, o, cached, &mut differences, &mut compared);
        }
    }
    for call in ours.keys().filter(|c| !theirs.contains_key(*c)) {
        differences.push(format!(
            "pid {} syscall {}: only the sensor has events",
            call.0, call.1
        ));
    }
    (differences, compared)
}

/// Fails on any difference beyond `ALLOWED`, listing them all.
fn assert_agrees(run: &Run) {
    let (differences, compared) = differences(run);
    println!("fields compared, by record: {compared:?}");
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

#[test]
fn the_sensor_agrees_with_auditd_field_by_field() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/default.rules");
    let run = run_both(&rules, Place::Host, true);
    assert!(
        run.theirs.len() >= 10,
        "auditd recorded too little: {:#?}",
        run.theirs
    );
    // The kinds of event the kernel writes for the workload, all there.
    let kinds: std::collections::BTreeSet<&str> = run
        .theirs
        .values()
        .flatten()
        .flat_map(|e| e.records.iter().map(|r| r.kind.as_str()))
        .collect();
    for kind in [
        "EXECVE",
        "BPRM_FCAPS",
        "PATH",
        "SOCKADDR",
        "MMAP",
        "TTY",
        "LOGIN",
    ] {
        assert!(kinds.contains(kind), "auditd wrote no {kind}: {kinds:?}");
    }
    assert_agrees(&run);

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
    let run = run_both(&rules, Place::Host, false);
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
    assert_agrees(&run);
    std::fs::remove_file(rules).unwrap();
}

#[test]
fn inside_a_container_paths_are_the_containers_as_auditd_has_them() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/default.rules");
    let run = run_both(&rules, Place::Container, false);
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
    assert_agrees(&run);
}
