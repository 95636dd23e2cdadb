//! The configuration file: bad keys stop start-up before anything is
//! attached; the file sets what flags set and flags win; SIGHUP reloads
//! the rules and the outputs without a gap in the records; settings that
//! cannot work are refused at start with their real cause, secrets unsaid.

use std::{fs, process::Command, thread, time::Duration};

use sensor_tests::{
    assert_serials_contiguous, file_lines, marker, refusal, sensor_bin, temp_dir, wait_until,
    Sensor,
};
use serde_json::Value;

fn run_with_config(yaml: &str) -> (bool, String) {
    let dir = temp_dir("bad-config");
    let path = dir.join("sensor.yaml");
    fs::write(&path, yaml).unwrap();
    let out = Command::new(sensor_bin())
        .args(["--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    fs::remove_dir_all(dir).unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_configuration_names_the_key_and_stops_before_attaching() {
    for (yaml, expected) in [
        (
            "format: json\nring_buffer_sise: 65536\n",
            "unknown field `ring_buffer_sise`",
        ),
        (
            "format: json\nring_buffer_size: 1000\n",
            "`ring_buffer_size` (line 2)",
        ),
        ("format: xml\n", "`format` (line 1)"),
        (
            "outputs:\n  - url: syslog+tcp://collector:514\n    keep: 3\n",
            "`keep` does not apply",
        ),
        (
            "outputs:\n  - url: gopher://collector\n",
            "unknown scheme \"gopher\"",
        ),
        (
            "outputs:\n  - url: syslog+tls://collector:6514\n    ca: /nonexistent/ca.pem\n",
            "option `ca`",
        ),
        ("metrics_addr: nowhere\n", "`metrics_addr` (line 1)"),
        ("outputs: [\n", "line"),
    ] {
        let (ok, err) = run_with_config(yaml);
        assert!(!ok, "{yaml} was accepted");
        assert!(err.contains(expected), "{yaml}: no {expected:?} in:\n{err}");
        assert!(
            !err.contains("attached"),
            "{yaml}: attached before failing:\n{err}"
        );
    }
}

#[test]
fn the_file_sets_what_flags_set_and_flags_win() {
    let dir = temp_dir("config");
    let rules = dir.join("exec.rules");
    fs::write(
        &rules,
        "-a always,exit -F arch=b64 -S execve -k from_config\n",
    )
    .unwrap();
    let file = dir.join("audit.log");
    let config = dir.join("sensor.yaml");
    fs::write(
        &config,
        format!(
            "format: auditd\nrules: {}\nnode_name: from-config\noutputs:\n  - url: file://{}\n",
            rules.display(),
            file.display()
        ),
    )
    .unwrap();
    // The flags replace the file's outputs and its format, not its rules or node.
    let sensor = Sensor::start(&[
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        "stdout",
    ])
    .unwrap();
    let tag = marker("config");
    Command::new("/bin/true").arg(&tag).status().unwrap();
    let event = sensor
        .wait_for("the exec", |e| e["EXECVE"]["ARGV"][1] == tag.as_str())
        .unwrap();
    sensor.stop().unwrap();
    assert_eq!(event["NODE"], "from-config");
    assert_eq!(event["SYSCALL"]["key"], "from_config");
    assert!(!file.exists());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sighup_reloads_rules_and_outputs_without_a_gap() {
    let dir = temp_dir("config-reload");
    let rules = dir.join("exec.rules");
    fs::write(&rules, "-a always,exit -F arch=b64 -S execve -k before\n").unwrap();
    let (first, second) = (dir.join("first.json"), dir.join("second.json"));
    let config = dir.join("sensor.yaml");
    let write_config = |outputs: &[&std::path::Path]| {
        let list: String = outputs
            .iter()
            .map(|p| format!("  - url: file://{}\n", p.display()))
            .collect();
        fs::write(
            &config,
            format!("rules: {}\noutputs:\n{list}", rules.display()),
        )
        .unwrap();
    };
    write_config(&[&first]);
    let sensor = Sensor::start(&["--config", config.to_str().unwrap()]).unwrap();
    // A steady stream of execs across the reload.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let load = thread::spawn(move || {
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            Command::new("/bin/true").status().unwrap();
            thread::sleep(Duration::from_millis(10));
        }
    });
    thread::sleep(Duration::from_secs(1));
    fs::write(&rules, "-a always,exit -F arch=b64 -S execve -k after\n").unwrap();
    write_config(&[&first, &second]);
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGHUP) };
    assert!(wait_until(20, || sensor
        .stderr()
        .contains("rules reloaded")));
    let tag = marker("after-reload");
    Command::new("/bin/true").arg(&tag).status().unwrap();
    assert!(wait_until(20, || file_lines(&second)
        .iter()
        .any(|l| l.contains(&tag))));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    load.join().unwrap();
    let log = sensor.stderr();
    sensor.stop().unwrap();

    let all = file_lines(&first);
    assert_serials_contiguous(&all);
    let keys: Vec<String> = all
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["SYSCALL"]["key"].as_str().map(String::from))
        .collect();
    // Keys switch once, from before to after, with nothing in between lost.
    let switch = keys
        .iter()
        .position(|k| k == "after")
        .expect("no event after the reload");
    assert!(
        switch > 0 && keys[..switch].iter().all(|k| k == "before"),
        "{keys:?}"
    );
    assert!(keys[switch..].iter().all(|k| k == "after"), "{keys:?}");
    // The new output got the records from its start on, the same as the first.
    let added = file_lines(&second);
    assert!(!added.is_empty() && all.ends_with(&added), "{log}");
    fs::remove_dir_all(dir).unwrap();
}

/// A file system mounted read-only at `dir`, unmounted on drop.
struct ReadOnly(std::path::PathBuf);

impl ReadOnly {
    fn mount(dir: &std::path::Path) -> Self {
        fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"])
            .arg(dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mounting a read-only tmpfs at {}", dir.display());
        Self(dir.to_path_buf())
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn bad_settings_are_refused_with_the_real_cause() {
    let dir = temp_dir("bad-settings");
    let spool = dir.join("spool");
    let spool = spool.to_str().unwrap();
    let refused = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--spool-dir", spool];
        all.extend_from_slice(args);
        let log = refusal(&all, env).unwrap_or_else(|e| panic!("{args:?}: {e:#}"));
        assert!(
            !log.contains("attached"),
            "{args:?}: attached first:\n{log}"
        );
        log
    };
    let expect = |log: &str, what: &str| assert!(log.contains(what), "no {what:?} in:\n{log}");

    // Sizes that would drop every record, or take all memory.
    let log = refused(&["--queue-size", "0", "--spool-size", "0"], &[]);
    expect(&log, "--queue-size");
    expect(&log, "out of range");
    expect(&refused(&["--spool-size", "0"], &[]), "--spool-size");
    expect(&refused(&["--queue-size", "64G"], &[]), "out of range");
    let log = refused(&["--output", "stdout?queue_size=0"], &[]);
    expect(&log, "option `queue_size`");
    expect(
        &refused(&["--output", "stdout?spool_size=0"], &[]),
        "option `spool_size`",
    );
    expect(
        &refused(&["--ring-buffer-size", "2147483648"], &[]),
        "more than",
    );

    // Node and cluster names: bounded, never echoed.
    let huge = "n".repeat(50 << 20);
    let config = dir.join("huge.yaml");
    fs::write(&config, format!("node_name: {huge}\n")).unwrap();
    let log = refused(&["--config", config.to_str().unwrap()], &[]);
    expect(
        &log,
        "the node name (--node-name or `node_name`) is 52428800 bytes long",
    );
    assert!(log.len() < 4096, "the name was echoed: {} bytes", log.len());
    let long = "c".repeat(300);
    expect(
        &refused(&[], &[("CLUSTER_NAME", long.as_str())]),
        "the cluster name ($CLUSTER_NAME) is 300 bytes long",
    );
    expect(&refused(&["--node-name", "a b"], &[]), "holds spaces");

    // Directories the sensor cannot write: refused before `ready`.
    let ro = ReadOnly::mount(&dir.join("ro"));
    let out = format!("file://{}/audit.json", ro.0.display());
    let log = refused(&["--output", &out], &[]);
    expect(&log, &format!("opening {}/audit.json", ro.0.display()));
    expect(&log, "Read-only file system");
    let ro_spool = ro.0.join("spool");
    let log = refusal(&["--spool-dir", ro_spool.to_str().unwrap()], &[]).unwrap();
    expect(&log, "its spool directory (--spool-dir)");
    expect(&log, "Read-only file system");
    drop(ro);
    // Writable by root only through CAP_DAC_OVERRIDE, which the sensor
    // does not keep.
    let foreign = dir.join("foreign");
    fs::create_dir_all(&foreign).unwrap();
    let c = std::ffi::CString::new(foreign.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::chown(c.as_ptr(), 65534, 65534) }, 0);
    let foreign_spool = foreign.join("spool");
    let log = refusal(&["--spool-dir", foreign_spool.to_str().unwrap()], &[]).unwrap();
    expect(&log, "without CAP_DAC_OVERRIDE");

    // A rules file that is not text says so.
    let rules = dir.join("binary.rules");
    fs::write(&rules, b"-a always,exit -S execve\n\xff\xfe\x00junk\n").unwrap();
    let log = refused(&["--rules", rules.to_str().unwrap()], &[]);
    expect(&log, &format!("{}:2: not UTF-8 text", rules.display()));
    assert!(!log.contains("--skip-unsupported-rules"), "{log}");

    // Secrets are never echoed.
    let log = refused(
        &["--output", "https://alice:hunter2@collector.example/ingest"],
        &[],
    );
    expect(&log, "credentials do not belong in the URL");
    assert!(!log.contains("hunter2") && !log.contains("alice"), "{log}");
    let secret = dir.join("secret.yaml");
    fs::write(
        &secret,
        "outputs:\n  - url: http://bob:swordfish@collector.example/x?keep=1\n",
    )
    .unwrap();
    let log = refused(&["--config", secret.to_str().unwrap()], &[]);
    expect(&log, "credentials do not belong in the URL");
    assert!(!log.contains("swordfish") && !log.contains("bob"), "{log}");
    let log = refused(
        &[
            "--metrics-addr",
            "127.0.0.1:0",
            "--metrics-token-env",
            "SENSOR_TEST_NO_SUCH_VAR",
        ],
        &[],
    );
    expect(
        &log,
        "--metrics-token-env: the environment variable SENSOR_TEST_NO_SUCH_VAR is not set",
    );
    fs::remove_dir_all(dir).unwrap();
}
