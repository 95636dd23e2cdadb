//! --metrics-addr: Prometheus text at /metrics, /healthz and /readyz.

use std::process::Command;

use sensor_tests::{free_port, http_get, marker, metric as value, Sensor};

#[test]
fn metrics_health_and_readiness_are_served() {
    let addr = format!("127.0.0.1:{}", free_port());
    let sensor = Sensor::start(&["--metrics-addr", &addr]).unwrap();
    let tag = marker("metrics");
    Command::new("/bin/true").arg(&tag).status().unwrap();
    sensor
        .wait_for("the exec", |e| e["EXECVE"]["ARGV"][1] == tag.as_str())
        .unwrap();
    let (status, text) = http_get(&addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE sensor_events_total counter"),
        "{text}"
    );
    assert!(
        value(&text, "sensor_events_total{kind=\"exec\"}").unwrap() >= 1,
        "{text}"
    );
    assert!(
        value(&text, "sensor_rule_matches_total{key=\"exec\"}").unwrap() >= 1,
        "{text}"
    );
    assert!(
        value(&text, "sensor_records_received_total").unwrap() >= 1,
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "sensor_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    for series in [
        "sensor_sink_queue_bytes{sink=\"stdout\"}",
        "sensor_sink_spool_records{sink=\"stdout\"}",
        "sensor_sink_delivery_errors_total{sink=\"stdout\"}",
        "sensor_sink_up{sink=\"stdout\"}",
    ] {
        assert!(value(&text, series).is_some(), "no {series} in {text}");
    }
    assert!(
        value(
            &text,
            "sensor_sink_delivered_records_total{sink=\"stdout\"}"
        )
        .unwrap()
            >= 1
    );
    assert_eq!(http_get(&addr, "/healthz").unwrap(), (200, "ok\n".into()));
    assert_eq!(http_get(&addr, "/readyz").unwrap(), (200, "ready\n".into()));
    assert_eq!(http_get(&addr, "/nothing").unwrap().0, 404);
    sensor.stop().unwrap();
}
