//! Paths an unprivileged user controls (mounts in a user namespace) must
//! not make a record say something false or let a rule be evaded: `exe`
//! and `path` rules match the file, not its name, and a path the kernel
//! side could not walk to the root is marked as the end of one.

use std::{fs, os::unix::fs::MetadataExt, path::Path, process::Command};

use sensor_tests::{temp_dir, Sensor};
use serde_json::Value;

/// Runs `script` with sh as the unprivileged user `nobody`, inside a new
/// user and mount namespace where it is root (`unshare -Urm`): what any
/// user can do where unprivileged user namespaces are allowed, as they are
/// on the nodes of every major distribution. Returns its pid (it execs).
fn as_nobody_in_a_namespace(script: &str) -> u32 {
    let mut child = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args(["unshare", "-Urm", "sh", "-c", script])
        .spawn()
        .expect("setpriv and unshare (util-linux)");
    let pid = child.id();
    let status = child.wait().unwrap();
    assert!(status.code().is_some(), "{script}: {status}");
    pid
}

fn rules(dir: &Path, text: &str) -> String {
    let path = dir.join("audit.rules");
    fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The execve records of `pid` whose comm is `comm`.
fn execs(events: &[Value], pid: u32, comm: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| {
            e["SYSCALL"]["syscall"] == 59
                && e["SYSCALL"]["pid"] == pid
                && e["SYSCALL"]["comm"] == comm
        })
        .cloned()
        .collect()
}

/// A directory `nobody` can write to.
fn shared_dir(tag: &str) -> std::path::PathBuf {
    let dir = temp_dir(tag);
    Command::new("chmod")
        .arg("1777")
        .arg(&dir)
        .status()
        .unwrap();
    dir
}

#[test]
fn another_file_mounted_at_an_excluded_exe_is_still_recorded() {
    let dir = shared_dir("bind-exe");
    let rules = rules(
        &dir,
        "-a never,exit -F arch=b64 -S execve -F exe=/usr/bin/true\n\
         -a always,exit -F arch=b64 -S execve -k exec\n",
    );
    let sensor = Sensor::start(&["--rules", &rules]).unwrap();
    let fake = dir.join("fake");
    // A copy of false, bind-mounted over true in the user's own namespace:
    // there it is /usr/bin/true, and its name says so.
    let pid = as_nobody_in_a_namespace(&format!(
        "cp /usr/bin/false {fake} && mount --bind {fake} /usr/bin/true && exec /usr/bin/true",
        fake = fake.display()
    ));
    // The real /usr/bin/true stays excluded.
    let real = Command::new("/usr/bin/true").spawn().unwrap();
    let real_pid = real.id();
    real.wait_with_output().unwrap();
    sensor
        .wait_for("the fake's exec", |e| {
            e["SYSCALL"]["pid"] == pid && e["SYSCALL"]["comm"] == "true"
        })
        .unwrap();
    let events = sensor.stop().unwrap();

    let fake_exec = execs(&events, pid, "true");
    assert_eq!(fake_exec.len(), 1, "{events:?}");
    let e = &fake_exec[0];
    assert_eq!(
        e["SYSCALL"]["exe"], "/usr/bin/true",
        "the name as the process sees it"
    );
    assert_eq!(e["PATH"][0]["inode"], fs::metadata(&fake).unwrap().ino());
    assert_ne!(
        e["PATH"][0]["inode"],
        fs::metadata("/usr/bin/true").unwrap().ino()
    );
    assert!(
        execs(&events, real_pid, "true").is_empty(),
        "the real /usr/bin/true is excluded by the never rule"
    );
}

#[test]
fn a_path_deeper_than_the_walk_is_marked_and_never_matched_whole() {
    let dir = shared_dir("deep-path");
    let rules = rules(
        &dir,
        "-a never,exit -F arch=b64 -S execve -F dir=/usr/bin\n\
         -a always,exit -F arch=b64 -S execve -k exec\n",
    );
    let sensor = Sensor::start(&["--rules", &rules]).unwrap();
    let stack = dir.join("stack");
    // 70 bind mounts stacked on one directory: more mount crossings than
    // the kernel side walks, so that the walk stops at usr/bin/true.
    let pid = as_nobody_in_a_namespace(&format!(
        "mkdir {stack} && for i in $(seq 70); do mount --bind {stack} {stack} || exit 1; done && \
         mkdir -p {stack}/usr/bin && cp /usr/bin/true {stack}/usr/bin/true && \
         cd {stack} && exec {stack}/usr/bin/true",
        stack = stack.display()
    ));
    sensor
        .wait_for("the exec in the mount stack", |e| {
            e["SYSCALL"]["pid"] == pid && e["SYSCALL"]["comm"] == "true"
        })
        .unwrap();
    let events = sensor.stop().unwrap();

    let e = &execs(&events, pid, "true")[0];
    // Recorded (a cut name never matches dir=/usr/bin as a whole one), and
    // marked as the end of a path, never a whole one.
    assert_eq!(e["SYSCALL"]["exe"], ".../usr/bin/true", "{e}");
    let cwd = e["CWD"]["cwd"].as_str().unwrap();
    assert!(cwd.starts_with("..."), "{cwd}");
}

#[test]
fn argv_cut_at_the_cap_is_marked_in_the_auditd_format() {
    let sensor = Sensor::start(&["--format", "auditd", "--argv-max", "4096"]).unwrap();
    let long = "x".repeat(100);
    let args: Vec<String> = (0..100).map(|i| format!("{i}{long}")).collect();
    let child = Command::new("/usr/bin/true").args(&args).spawn().unwrap();
    let pid = child.id();
    child.wait_with_output().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let text = sensor.stop_text().unwrap();
    let serial = text
        .lines()
        .find(|l| l.contains("type=SYSCALL") && l.contains(&format!(" pid={pid} ")))
        .and_then(sensor_tests::serial)
        .expect("the exec's SYSCALL record");
    let execve: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("type=EXECVE") && sensor_tests::serial(l) == Some(serial))
        .collect();
    let last = execve.last().expect("EXECVE records");
    let total: usize = 1 + "/usr/bin/true".len() + args.iter().map(|a| a.len() + 1).sum::<usize>();
    assert!(
        last.ends_with(&format!(" argv_kept=4096 argv_total={total}")),
        "{last}"
    );
}
