//! SIGHUP applies every setting it can and names the others: each key of
//! the configuration file is changed, and each is seen applied (its effect
//! on the records, or the sensor's `SIGHUP: KEY changed: applied`) or
//! named as needing a restart. A key the sensor knows and this test does
//! not fails it: a new setting must be classified here.

use std::{collections::BTreeMap, fs, path::Path, process::Command};

use sensor_tests::{
    file_lines, free_port, get_within, marker, sensor_bin, temp_dir, wait_until, Sensor,
};

/// Where the metrics token comes from after the reload.
const TOKEN_VAR: &str = "SENSOR_TEST_RELOAD_TOKEN";

/// What SIGHUP does with a key.
#[derive(PartialEq)]
enum Reload {
    Applied,
    NeedsRestart,
}

/// The keys the sensor's configuration file takes, from its own answer to
/// an unknown one (serde lists every field it expects).
fn known_keys() -> Vec<String> {
    let dir = temp_dir("reload-keys");
    let config = dir.join("sensor.yaml");
    fs::write(&config, "no_such_key_at_all: 1\n").unwrap();
    let out = Command::new(sensor_bin())
        .args(["--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    fs::remove_dir_all(dir).unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let expected = err
        .split("expected one of ")
        .nth(1)
        .unwrap_or_else(|| panic!("no list of keys in:\n{err}"));
    let list = expected.split(" at line").next().unwrap();
    let keys: Vec<String> = list
        .split(", ")
        .map(|k| k.trim().trim_matches('`').to_owned())
        .collect();
    assert!(keys.len() > 20, "{keys:?} from:\n{err}");
    keys
}

fn exec_marked(tag: &str) {
    Command::new("/bin/true").arg(tag).status().unwrap();
}

fn yaml(settings: &BTreeMap<&str, String>) -> String {
    settings
        .iter()
        .map(|(key, value)| format!("{key}: {value}\n"))
        .collect()
}

fn hangup(sensor: &Sensor, config: &Path, settings: &BTreeMap<&str, String>, done: &str) {
    let before = sensor.stderr().matches(done).count();
    fs::write(config, yaml(settings)).unwrap();
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGHUP) };
    assert!(
        wait_until(20, || sensor.stderr().matches(done).count() > before),
        "no {done:?} after SIGHUP:\n{}",
        sensor.stderr()
    );
}

#[test]
fn sighup_applies_every_reloadable_setting_and_names_the_others() {
    let dir = temp_dir("reload-all");
    let (rules_before, rules_after) = (dir.join("before.rules"), dir.join("after.rules"));
    fs::write(
        &rules_before,
        "-a always,exit -F arch=b64 -S execve -k before\n",
    )
    .unwrap();
    // The file watch is a rule the sensor cannot honour: loaded only
    // because skip_unsupported_rules is on by then.
    fs::write(
        &rules_after,
        "-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S execve -k after\n",
    )
    .unwrap();
    let (first, second) = (dir.join("first.json"), dir.join("second.log"));
    let (token_file, spool_after) = (dir.join("token"), dir.join("spool-after"));
    let (token_before, token_after) = (marker("token-before"), marker("token-after"));
    fs::write(&token_file, format!("{token_before}\n")).unwrap();
    let metrics_before = format!("127.0.0.1:{}", free_port());
    let metrics_after = format!("127.0.0.1:{}", free_port());
    let path = |p: &Path| p.display().to_string();

    // Every key: its value at start, its value after the first SIGHUP
    // (None: not in the file), and what the reload must do with it. The
    // scope's keys change in later steps (below), as excluding the host
    // hides the other keys' effects.
    let table: Vec<(&str, Option<String>, Option<String>, Reload)> = vec![
        (
            "format",
            Some("json".into()),
            Some("auditd".into()),
            Reload::Applied,
        ),
        (
            "rules",
            Some(path(&rules_before)),
            Some(path(&rules_after)),
            Reload::Applied,
        ),
        (
            "skip_unsupported_rules",
            Some("false".into()),
            Some("true".into()),
            Reload::Applied,
        ),
        (
            "process_events",
            Some("false".into()),
            Some("true".into()),
            Reload::Applied,
        ),
        (
            "tty_rate",
            Some("16384".into()),
            Some("4096".into()),
            Reload::Applied,
        ),
        (
            "node_name",
            Some("node-before".into()),
            Some("node-after".into()),
            Reload::Applied,
        ),
        (
            "cluster_name",
            Some("cluster-before".into()),
            Some("cluster-after".into()),
            Reload::Applied,
        ),
        (
            "metadata_wait",
            Some("1000".into()),
            Some("250".into()),
            Reload::Applied,
        ),
        (
            "metadata_retention",
            Some("300".into()),
            Some("60".into()),
            Reload::Applied,
        ),
        (
            "spool_dir",
            Some(path(&dir.join("spool-before"))),
            Some(path(&spool_after)),
            Reload::Applied,
        ),
        (
            "spool_size",
            Some("256M".into()),
            Some("128M".into()),
            Reload::Applied,
        ),
        (
            "queue_size",
            Some("16M".into()),
            Some("8M".into()),
            Reload::Applied,
        ),
        (
            "outputs",
            Some(format!("[{{url: 'file://{}'}}]", first.display())),
            Some(format!("[{{url: 'file://{}'}}]", second.display())),
            Reload::Applied,
        ),
        ("include", None, None, Reload::Applied),
        (
            "exclude",
            Some("['pod=none-such']".into()),
            Some("['pod=none-such']".into()),
            Reload::Applied,
        ),
        (
            "btf",
            Some("/sys/kernel/btf/vmlinux".into()),
            Some("/sys/kernel/btf/../btf/vmlinux".into()),
            Reload::NeedsRestart,
        ),
        (
            "ring_buffer_size",
            Some("8388608".into()),
            Some("16777216".into()),
            Reload::NeedsRestart,
        ),
        (
            "argv_max",
            Some("65536".into()),
            Some("32768".into()),
            Reload::NeedsRestart,
        ),
        (
            "tty_max_record",
            Some("1024".into()),
            Some("2048".into()),
            Reload::NeedsRestart,
        ),
        (
            "ebpf_log",
            Some("false".into()),
            Some("true".into()),
            Reload::NeedsRestart,
        ),
        (
            "runtime_endpoints",
            Some("[none]".into()),
            Some("['unix:///run/none-such.sock']".into()),
            Reload::NeedsRestart,
        ),
        (
            "pod_annotations",
            Some("[owner]".into()),
            Some("[team]".into()),
            Reload::NeedsRestart,
        ),
        (
            "verbose",
            Some("0".into()),
            Some("1".into()),
            Reload::Applied,
        ),
        (
            "metrics_addr",
            Some(format!("'{metrics_before}'")),
            Some(format!("'{metrics_after}'")),
            Reload::NeedsRestart,
        ),
        (
            "metrics_token_file",
            Some(path(&token_file)),
            None,
            Reload::Applied,
        ),
        (
            "metrics_token_env",
            None,
            Some(TOKEN_VAR.into()),
            Reload::Applied,
        ),
    ];
    let covered: Vec<&str> = table.iter().map(|(key, ..)| *key).collect();
    for key in known_keys() {
        assert!(
            covered.contains(&key.as_str()),
            "the configuration key `{key}` is not in this test: say what SIGHUP does with it \
             (sensor/src/cli.rs: Reloadable or RestartOnly) and add it here"
        );
    }

    let config = dir.join("sensor.yaml");
    let mut settings: BTreeMap<&str, String> = table
        .iter()
        .filter_map(|(key, before, ..)| before.clone().map(|v| (*key, v)))
        .collect();
    fs::write(&config, yaml(&settings)).unwrap();
    let mut command = Command::new(sensor_bin());
    command
        .args(["--config", config.to_str().unwrap()])
        .env(TOKEN_VAR, &token_after);
    let sensor = Sensor::start_command(command).unwrap();
    let bearer = |token: &str| format!("Authorization: Bearer {token}\r\n");
    let metrics = get_within(&metrics_before, "/metrics", &bearer(&token_before), 5).unwrap();
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    let tag = marker("reload-before");
    exec_marked(&tag);
    assert!(wait_until(20, || file_lines(&first)
        .iter()
        .any(|l| l.contains(&tag))));

    // 1. Everything but the scope.
    settings = table
        .iter()
        .filter_map(|(key, _, after, _)| after.clone().map(|v| (*key, v)))
        .collect();
    hangup(&sensor, &config, &settings, "rules reloaded");
    let log = sensor.stderr();
    for (key, before, after, reload) in &table {
        if before == after {
            continue;
        }
        let said = match reload {
            Reload::Applied => format!("SIGHUP: {key} changed: applied"),
            Reload::NeedsRestart => format!("SIGHUP: {key} changed: needs a restart"),
        };
        assert!(log.contains(&said), "no {said:?} in:\n{log}");
    }
    let tag = marker("reload-after");
    let child = Command::new("/bin/true").arg(&tag).spawn().unwrap();
    let pid = child.id();
    let _ = child.wait_with_output();
    assert!(
        wait_until(20, || file_lines(&second).iter().any(|l| l.contains(&tag))),
        "{}",
        sensor.stderr()
    );
    let lines = file_lines(&second);
    let exec: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(&format!(" pid={pid} ")) && l.contains("type=SYSCALL"))
        .collect();
    // format, outputs, rules (with skip_unsupported_rules), node_name.
    assert!(
        exec.iter()
            .any(|l| l.starts_with("node=node-after type=SYSCALL") && l.contains("key=\"after\"")),
        "{lines:#?}"
    );
    // cluster_name, in the ORIGIN record.
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" cluster=\"cluster-after\"")),
        "{lines:#?}"
    );
    // process_events: the child's FORK.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("type=UNKNOWN[2097]") && l.contains(&format!("pid={pid} "))),
        "{lines:#?}"
    );
    // spool_dir: the sink's spool is made there.
    assert!(
        fs::read_dir(&spool_after).is_ok_and(|mut d| d.next().is_some()),
        "no spool in {}",
        spool_after.display()
    );
    assert!(log.contains("rule skipped: file watch"), "{log}");
    // The token's source: /metrics asks for the new token (at the
    // address the sensor started with: a new one needs a restart).
    let metrics = get_within(&metrics_before, "/metrics", &bearer(&token_after), 5).unwrap();
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    let metrics = get_within(&metrics_before, "/metrics", &bearer(&token_before), 5).unwrap();
    assert!(metrics.starts_with("HTTP/1.1 401"), "{metrics}");
    assert!(get_within(&metrics_after, "/metrics", "", 5).is_err());
    assert!(!file_lines(&first).iter().any(|l| l.contains(&tag)));

    // 2. Excluding the host: its events go, in the kernel too.
    settings.insert("exclude", "[host]".into());
    hangup(
        &sensor,
        &config,
        &settings,
        "SIGHUP: exclude changed: applied",
    );
    let hidden_by_exclude = marker("reload-excluded");
    exec_marked(&hidden_by_exclude);
    // 3. Including only a namespace: the host is out of scope too.
    settings.insert("exclude", "['pod=none-such']".into());
    settings.insert("include", "['namespace=none-such']".into());
    hangup(
        &sensor,
        &config,
        &settings,
        "SIGHUP: include changed: applied",
    );
    let hidden_by_include = marker("reload-not-included");
    exec_marked(&hidden_by_include);
    // 4. Back in scope: the cgroups the kernel excluded are readmitted.
    settings.remove("include");
    hangup(
        &sensor,
        &config,
        &settings,
        "SIGHUP: include changed: applied",
    );
    let back = marker("reload-back");
    exec_marked(&back);
    assert!(
        wait_until(20, || file_lines(&second).iter().any(|l| l.contains(&back))),
        "{}",
        sensor.stderr()
    );
    let (_, log) = sensor.stop_with_log(libc::SIGTERM).unwrap();
    let lines = file_lines(&second);
    for hidden in [&hidden_by_exclude, &hidden_by_include] {
        assert!(
            !lines.iter().any(|l| l.contains(hidden.as_str())),
            "{hidden}"
        );
    }
    assert!(!log.contains("keeping the current"), "{log}");
    assert!(!log.contains("seccomp: denied"), "{log}");
    assert!(
        !log.contains(&token_before) && !log.contains(&token_after),
        "{log}"
    );
    fs::remove_dir_all(dir).unwrap();
}
