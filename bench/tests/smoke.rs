//! The benchmark harness end to end, as short as it goes: one repetition
//! of the socket storm (default rules) and the file storm (OSPP's file
//! rules, a second session) under the sensor, and the pipeline measured on
//! a recording replayed in both formats. No timing is asserted (timing
//! goals live in the benchmark); what is checked is that every stage
//! produced figures, each storm's calls were recorded, and the sensor lost
//! nothing at this small load.

use std::process::Command;

use serde_json::Value;

#[test]
fn one_short_repetition_yields_every_figure() {
    let out = std::env::temp_dir().join(sensor_tests::marker("bench-smoke.json"));
    let status = Command::new(env!("CARGO_BIN_EXE_sensor-bench"))
        .args(["run", "--quick", "--reps", "1", "--secs", "0.5"])
        .args([
            "--modes",
            "sensor-json",
            "--workloads",
            "socket,files",
            "--no-sweep",
        ])
        .arg("--sensor")
        .arg(sensor_tests::sensor_bin())
        .arg("--rules")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../rules/default.rules"
        ))
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("running sensor-bench");
    assert!(status.success(), "sensor-bench failed: {status}");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let _ = std::fs::remove_file(&out);

    let run = &results["workloads"]["socket"]["modes"]["sensor-json"];
    assert!(run["ops_per_s"]["median"].as_f64().unwrap() > 0.0, "{run}");
    // socket and setsockopt: two events per operation, other processes' on top.
    assert!(run["events_per_op"].as_f64().unwrap() >= 1.9, "{run}");
    assert_eq!(run["lost"], 0, "{run}");
    assert!(
        run["cpu_us_per_event"]["median"].as_f64().unwrap() > 0.0,
        "{run}"
    );
    // The file storm under OSPP's rules, as a logged-in user: the created
    // file's open, the existing file's open and the unlink are recorded
    // (the stat and the closes no rule names).
    let files = &results["workloads"]["files"];
    assert_eq!(files["rules"], "files", "{files}");
    let run = &files["modes"]["sensor-json"];
    assert!(run["ops_per_s"]["median"].as_f64().unwrap() > 0.0, "{run}");
    assert!(run["events_per_op"].as_f64().unwrap() >= 2.9, "{run}");
    assert_eq!(run["lost"], 0, "{run}");
    let memory = &results["memory"]["sensor-json"];
    assert!(memory["peak_rss_mib"].as_f64().unwrap() >= memory["idle_rss_mib"].as_f64().unwrap());
    for format in ["json", "auditd"] {
        let p = &results["pipeline"]["formats"][format];
        assert!(p["events_written"].as_u64().unwrap() > 0, "{p}");
        assert!(
            p["events_per_core_s"]["median"].as_f64().unwrap() > 0.0,
            "{p}"
        );
    }
    assert!(results["kernel"].as_str().is_some_and(|k| !k.is_empty()));
}
