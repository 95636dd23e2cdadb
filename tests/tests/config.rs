//! The configuration file: bad keys stop start-up before anything is
//! attached; the file sets what flags set and flags win; SIGHUP reloads
//! the rules and the outputs without a gap in the records.

use std::{fs, process::Command, thread, time::Duration};

use sensor_tests::{
    assert_serials_contiguous, file_lines, marker, sensor_bin, temp_dir, wait_until, Sensor,
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
