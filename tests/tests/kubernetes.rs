//! Kubernetes attribution against the real containerd and runc: pods and
//! containers made through the CRI API as kubelet makes them; the sensor
//! asks the same CRI for names, images and pods.

use std::time::{Duration, Instant};

use sensor_tests::{
    containerd::{Containerd, Pod, IMAGE},
    marker, Sensor,
};
use serde_json::Value;

/// An exec event whose argv holds `tag`.
fn is_exec_of(tag: &str) -> impl Fn(&Value) -> bool + '_ {
    move |e: &Value| {
        e["EXECVE"]["ARGV"]
            .as_array()
            .is_some_and(|argv| argv.iter().any(|a| a.as_str() == Some(tag)))
    }
}

fn start_sensor(containerd: &Containerd, extra: &[&str]) -> Sensor {
    let endpoint = containerd.endpoint();
    let mut args = vec![
        "--runtime-endpoint",
        &endpoint,
        "--pod-annotation",
        "sensor.test/owner",
    ];
    args.extend_from_slice(extra);
    Sensor::start(&args).unwrap()
}

/// Everything the CRI knows, on the event.
fn assert_attributed(event: &Value, container: &str, name: &str, pod: &Pod) {
    let c = &event["CONTAINER"];
    assert_eq!(c["ID"], container, "{event}");
    assert_eq!(c["NAME"], name, "{event}");
    assert_eq!(c["IMAGE"], IMAGE, "{event}");
    assert_eq!(c["RUNTIME"], "containerd", "{event}");
    assert!(
        c["IMAGE_ID"].as_str().unwrap().starts_with("sha256:"),
        "{event}"
    );
    let k = &event["K8S"];
    assert_eq!(k["POD"], pod.name.as_str(), "{event}");
    assert_eq!(k["NAMESPACE"], pod.namespace.as_str(), "{event}");
    assert_eq!(k["POD_UID"], pod.uid.as_str(), "{event}");
    assert_eq!(k["LABELS"]["app"], pod.labels["app"].as_str(), "{event}");
    assert_eq!(k["ANNOTATIONS"]["sensor.test/owner"], "tests", "{event}");
    assert!(event.get("HOST").is_none(), "{event}");
}

#[test]
fn a_pod_container_and_an_exec_in_it_are_attributed() {
    let containerd = Containerd::start().unwrap();
    let sensor = start_sensor(&containerd, &[]);
    let pod = Pod::new("web", "shop");
    let sandbox = containerd.run_pod(&pod).unwrap();
    let first = marker("first");
    let started = Instant::now();
    let container = containerd
        .run_container(
            &sandbox,
            &pod,
            "nginx",
            &["/bin/sh", "-c", "sleep 1000", &first],
        )
        .unwrap();
    let event = sensor
        .wait_for("the container's command", is_exec_of(&first))
        .unwrap();
    eprintln!(
        "container start to its first attributed event written: {:?}",
        started.elapsed()
    );
    assert_attributed(&event, &container, "nginx", &pod);
    assert_eq!(event["SYSCALL"]["exe"], "/bin/busybox", "{event}");

    let later = marker("exec");
    containerd.exec(&container, &["/bin/echo", &later]).unwrap();
    let event = sensor.wait_for("the exec", is_exec_of(&later)).unwrap();
    assert_attributed(&event, &container, "nginx", &pod);

    // A host process in the same run.
    let host = marker("host");
    std::process::Command::new("/bin/true")
        .arg(&host)
        .status()
        .unwrap();
    let event = sensor.wait_for("the host exec", is_exec_of(&host)).unwrap();
    assert!(
        event.get("CONTAINER").is_none() && event.get("K8S").is_none(),
        "{event}"
    );
    assert!(event["HOST"]["CGROUP"].is_string(), "{event}");

    // The pod's sandbox (its pause process) is attributed to the pod too.
    let events = sensor.stop().unwrap();
    let sandbox_events: Vec<&Value> = events
        .iter()
        .filter(|e| e["CONTAINER"]["ID"] == sandbox.as_str())
        .collect();
    assert!(!sandbox_events.is_empty(), "no event of the sandbox");
    for e in sandbox_events {
        assert_eq!(e["CONTAINER"]["NAME"], "POD", "{e}");
        assert_eq!(e["K8S"]["POD"], "web", "{e}");
    }
}

#[test]
fn a_container_that_exits_at_once_is_attributed() {
    let containerd = Containerd::start().unwrap();
    let addr = format!("127.0.0.1:{}", sensor_tests::free_port());
    let sensor = start_sensor(&containerd, &["--metrics-addr", &addr]);
    let pod = Pod::new("batch", "jobs");
    let sandbox = containerd.run_pod(&pod).unwrap();
    let tag = marker("short");
    let container = containerd
        .run_container(&sandbox, &pod, "once", &["/bin/true", &tag])
        .unwrap();
    let event = sensor
        .wait_for("the short-lived container", is_exec_of(&tag))
        .unwrap();
    assert_attributed(&event, &container, "once", &pod);
}

#[test]
fn two_pods_at_once_are_not_mixed_up() {
    let containerd = Containerd::start().unwrap();
    let sensor = start_sensor(&containerd, &[]);
    let pods = [Pod::new("alpha", "team-a"), Pod::new("beta", "team-b")];
    let mut running = Vec::new();
    for pod in &pods {
        let sandbox = containerd.run_pod(pod).unwrap();
        let container = containerd
            .run_container(
                &sandbox,
                pod,
                &format!("{}-main", pod.name),
                &["/bin/sleep", "1000"],
            )
            .unwrap();
        running.push(container);
    }
    // Interleaved execs in both.
    let mut expected = Vec::new();
    for round in 0..3 {
        for (i, pod) in pods.iter().enumerate() {
            let tag = marker(&format!("{}-{round}", pod.name));
            containerd.exec(&running[i], &["/bin/echo", &tag]).unwrap();
            expected.push((tag, i));
        }
    }
    for (tag, i) in &expected {
        let event = sensor.wait_for(tag, is_exec_of(tag)).unwrap();
        let pod = &pods[*i];
        assert_attributed(&event, &running[*i], &format!("{}-main", pod.name), pod);
    }
}

#[test]
fn containerd_stopped_mid_run_then_back() {
    let mut containerd = Containerd::start().unwrap();
    let pod = Pod::new("ticker", "ops");
    let sandbox = containerd.run_pod(&pod).unwrap();
    let tick = marker("tick");
    let script = format!("while :; do /bin/echo {tick}; /bin/sleep 0.2; done");
    let container = containerd
        .run_container(&sandbox, &pod, "loop", &["/bin/sh", "-c", &script])
        .unwrap();

    // The runtime goes away; a sensor started now knows nothing of the
    // container, and cannot ask.
    containerd.pause();
    let sensor = start_sensor(&containerd, &["--metadata-wait", "200"]);
    let bare = sensor
        .wait_for("a tick without containerd", is_exec_of(&tick))
        .unwrap();
    assert_eq!(bare["CONTAINER"]["ID"], container.as_str(), "{bare}");
    assert!(bare["CONTAINER"].get("NAME").is_none(), "{bare}");
    assert!(
        sensor.stderr().contains("not answering"),
        "{}",
        sensor.stderr()
    );

    // It comes back: names, image and pod follow.
    let back = Instant::now();
    containerd.resume().unwrap();
    let event = sensor
        .wait_for("an attributed tick", |e| {
            is_exec_of(&tick)(e) && e["CONTAINER"]["NAME"] == "loop"
        })
        .unwrap();
    eprintln!("metadata back {:?} after containerd", back.elapsed());
    assert_attributed(&event, &container, "loop", &pod);
    let (_, log) = sensor.stop_with_log(libc::SIGINT).unwrap();
    assert!(log.contains("container metadata:"), "{log}");
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn excluded_namespace_is_not_recorded() {
    let containerd = Containerd::start().unwrap();
    let sensor = start_sensor(&containerd, &["--exclude", "namespace=kube-system"]);
    let system = Pod::new("proxy", "kube-system");
    let app = Pod::new("app", "default");
    let mut containers = Vec::new();
    for pod in [&system, &app] {
        let sandbox = containerd.run_pod(pod).unwrap();
        containers.push(
            containerd
                .run_container(&sandbox, pod, "main", &["/bin/sleep", "1000"])
                .unwrap(),
        );
    }
    let mut tags = Vec::new();
    for i in 0..3 {
        let hidden = marker(&format!("hidden{i}"));
        let shown = marker(&format!("shown{i}"));
        containerd
            .exec(&containers[0], &["/bin/echo", &hidden])
            .unwrap();
        containerd
            .exec(&containers[1], &["/bin/echo", &shown])
            .unwrap();
        tags.push((hidden, shown));
    }
    for (_, shown) in &tags {
        let event = sensor.wait_for(shown, is_exec_of(shown)).unwrap();
        assert_eq!(event["K8S"]["NAMESPACE"], "default");
    }
    // Once the sensor has seen the namespace's cgroups, the kernel drops
    // their events: these never reach userspace.
    for i in 0..30 {
        containerd
            .exec(&containers[0], &["/bin/echo", &format!("{i}")])
            .unwrap();
    }
    let (events, log) = sensor.stop_with_log(libc::SIGINT).unwrap();
    let dropped: u64 = log
        .split(" events out of scope")
        .next()
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no scope count in the log:\n{log}"));
    assert!(
        (1..10).contains(&dropped),
        "{dropped} events dropped in userspace: the kernel should have dropped most"
    );
    for (hidden, _) in &tags {
        assert!(
            !events.iter().any(is_exec_of(hidden)),
            "{hidden} of kube-system was recorded"
        );
    }
    assert!(!events
        .iter()
        .any(|e| e["K8S"]["NAMESPACE"] == "kube-system"));
}

#[test]
fn auditd_format_carries_the_pod_and_ausearch_reads_it() {
    let containerd = Containerd::start().unwrap();
    let sensor = start_sensor(&containerd, &["--format", "auditd"]);
    let pod = Pod::new("legacy", "audit");
    let sandbox = containerd.run_pod(&pod).unwrap();
    let container = containerd
        .run_container(&sandbox, &pod, "app", &["/bin/sleep", "1000"])
        .unwrap();
    let tag = marker("auditd");
    containerd.exec(&container, &["/bin/echo", &tag]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sensor.text().contains(&format!("pod=\"{}\"", pod.name)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = sensor.stop_text().unwrap();
    let log = std::env::temp_dir().join(marker("k8s-audit.log"));
    std::fs::write(&log, &text).unwrap();
    let ausearch = |args: &[&str]| {
        let out = std::process::Command::new("ausearch")
            .arg("-if")
            .arg(&log)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ausearch {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The exec's event, found by its key, holds its origin record.
    let raw = ausearch(&["-k", "exec", "--format", "raw"]);
    let event: Vec<&str> = raw
        .lines()
        .filter(|l| l.contains("type=UNKNOWN[2094]") && l.contains(&container))
        .collect();
    assert!(!event.is_empty(), "{raw}");
    let origin = event[0];
    for field in [
        "container_name=\"app\"".to_owned(),
        format!("image=\"{IMAGE}\""),
        format!("pod=\"{}\"", pod.name),
        format!("namespace=\"{}\"", pod.namespace),
        format!("pod_uid=\"{}\"", pod.uid),
    ] {
        assert!(origin.contains(&field), "{field} missing: {origin}");
    }
    let interpreted = ausearch(&["-i", "-k", "exec"]);
    assert!(interpreted.contains(&tag), "{interpreted}");
    std::fs::remove_file(&log).unwrap();
}

#[test]
fn check_reports_whether_the_runtime_answers() {
    let mut containerd = Containerd::start().unwrap();
    let endpoint = containerd.endpoint();
    let check = || {
        let out = std::process::Command::new(sensor_tests::sensor_bin())
            .args(["check", "--runtime-endpoint", &endpoint])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let up = check();
    assert!(up.contains("runtime      ok: containerd"), "{up}");
    containerd.pause();
    let down = check();
    assert!(down.contains("runtime      not answering"), "{down}");
    assert!(down.contains("carry their id only"), "{down}");
}
