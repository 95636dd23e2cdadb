//! The container image (`cargo xtask image`) run by podman exactly as the
//! DaemonSet's pod spec says (security context, host PID namespace, mounts,
//! environment, limits, arguments: read from the rendered manifests, see
//! tests/src/podman.rs), recording a process of the host and one of another
//! container. The least-privilege overlay runs the same way, and each of
//! its capabilities, and its seccomp setting, is shown to be needed.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{ensure, Context, Result};
use sensor_tests::{
    deploy::{object, render},
    marker,
    podman::{busybox_image, podman, podman_run, run, Container, PodRun, Scratch},
    Sensor,
};
use serde_json::Value;

/// The downward API's spec.nodeName, as the test plays it.
const NODE: &str = "sensor-test-node";

/// The image `cargo xtask test` built, named as the manifests name it.
fn image() -> String {
    std::env::var("SENSOR_IMAGE")
        .expect("SENSOR_IMAGE is unset: run this test through `cargo xtask test -- --test image`")
}

/// The node has tracefs mounted, as systemd mounts it on every distribution
/// Kubernetes nodes run; the DaemonSet mounts the node's into the pod.
fn node_has_tracefs() {
    if !Path::new("/sys/kernel/tracing/events").is_dir() {
        run(Command::new("mount").args(["-t", "tracefs", "tracefs", "/sys/kernel/tracing"]))
            .unwrap();
    }
}

/// The pod spec of `kustomization`'s DaemonSet, and all its objects.
fn pod_spec(kustomization: &str) -> (Value, Vec<Value>) {
    let objects = render(kustomization).unwrap();
    let daemonset = object(&objects, "DaemonSet").unwrap();
    let pod = daemonset["spec"]["template"]["spec"].clone();
    let named = pod["containers"][0]["image"].as_str().unwrap().to_owned();
    assert!(
        image().ends_with(&format!("/{named}")),
        "{kustomization} runs image {named} but the build makes {}: align deploy/base/kustomization.yaml's images with the workspace version",
        image()
    );
    (pod, objects)
}

/// What one run of the pod recorded.
struct Observed {
    /// The exec of `/bin/true <marker>` on the host.
    host: Value,
    /// The exec of `/bin/true <marker>` in another container.
    other: Value,
    /// That container's full id.
    other_id: String,
    /// What the sensor logged.
    log: String,
}

/// The exec of `/bin/true <argument>` (not podman's, which has it too).
fn exec_with_argument<'a>(events: &'a [Value], argument: &str) -> Option<&'a Value> {
    let argv = serde_json::json!(["/bin/true", argument]);
    events
        .iter()
        .find(|e| e["SYSCALL"]["syscall"] == 59 && e["EXECVE"]["ARGV"] == argv)
}

/// Runs the sensor's pod as `pod` says, execs a marker on the host and in
/// another container, stops the pod as the kubelet does (SIGTERM).
fn observe(pod: &Value, objects: &[Value]) -> Result<Observed> {
    node_has_tracefs();
    let spec = PodRun::new(pod, objects, NODE)?;
    let name = marker("pod");
    let _container = Container(name.clone());
    let mut cmd = podman_run();
    cmd.arg(format!("--name={name}"))
        .args(&spec.options)
        .arg(image())
        .args(spec.args.clone());
    let started = Instant::now();
    let sensor = Sensor::start_command(cmd)?;
    eprintln!("ready {:?} after `podman run`", started.elapsed());
    // The kubelet's probes reach the metrics server at the pod's address.
    let probe = sensor_tests::http_get(&format!("{}:9090", spec.pod_ip), "/healthz")?;
    ensure!(
        probe == (200, "ok\n".into()),
        "/healthz at the pod IP: {probe:?}"
    );

    let on_host = marker("host");
    let status = Command::new("/bin/true").arg(&on_host).status()?;
    ensure!(status.success());
    let in_container = marker("container");
    let scratch = Scratch::new("cid")?;
    let cidfile = scratch.path().join("cid");
    run(podman_run()
        .arg("--cidfile")
        .arg(&cidfile)
        .arg(busybox_image()?)
        .args(["/bin/true", &in_container]))?;
    let other_id = std::fs::read_to_string(&cidfile)?.trim().to_owned();

    for argument in [&on_host, &in_container] {
        sensor.wait_for(argument, |e| {
            exec_with_argument(std::slice::from_ref(e), argument).is_some()
        })?;
    }
    let (events, log) = sensor.stop_with_log(libc::SIGTERM)?;
    let find = |argument: &str| {
        exec_with_argument(&events, argument)
            .cloned()
            .with_context(|| format!("no exec with {argument}"))
    };
    Ok(Observed {
        host: find(&on_host)?,
        other: find(&in_container)?,
        other_id,
        log,
    })
}

/// What the DaemonSet must record of host processes and other containers'.
fn assert_complete(seen: &Observed) {
    let host = &seen.host;
    assert_eq!(host["NODE"], NODE, "the downward API's node name: {host:#}");
    assert_eq!(host["SYSCALL"]["exe"], "/usr/bin/true", "{host:#}");
    assert!(host["HOST"]["CGROUP"].is_string(), "{host:#}");
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(host["CWD"]["cwd"], cwd.to_str().unwrap(), "{host:#}");
    // The test process was running before the sensor: its parent's exe
    // comes from /proc/<pid>/exe of a process of the host.
    let test_exe = std::env::current_exe().unwrap();
    assert_eq!(
        host["SYSCALL"]["PPID"]["exe"],
        test_exe.to_str().unwrap(),
        "{host:#}"
    );

    let other = &seen.other;
    assert_eq!(
        other["CONTAINER"]["ID"],
        seen.other_id.as_str(),
        "{other:#}"
    );
    assert_eq!(other["CONTAINER"]["RUNTIME"], "podman", "{other:#}");
    // The path inside the container (/bin/true is busybox there).
    assert_eq!(other["SYSCALL"]["exe"], "/bin/busybox", "{other:#}");
}

#[test]
fn the_daemonset_records_host_processes_and_other_containers() {
    let (pod, objects) = pod_spec("base");
    assert_eq!(
        pod["containers"][0]["securityContext"]["privileged"], true,
        "the base runs privileged"
    );
    assert_complete(&observe(&pod, &objects).unwrap());
}

/// The least-privilege overlay's container, with `change` made to its
/// security context.
fn least_privilege(change: impl FnOnce(&mut Value)) -> (Value, Vec<Value>) {
    let (mut pod, objects) = pod_spec("overlays/least-privilege");
    change(&mut pod["containers"][0]["securityContext"]);
    (pod, objects)
}

fn without_capability(name: &'static str) -> impl FnOnce(&mut Value) {
    move |context| {
        let add = context["capabilities"]["add"].as_array_mut().unwrap();
        let before = add.len();
        add.retain(|c| c != name);
        assert_eq!(add.len() + 1, before, "the overlay adds {name}");
    }
}

/// Starts the pod and expects it to refuse, naming `why` in its log.
fn refuses_to_start(pod: &Value, objects: &[Value], why: &str) {
    node_has_tracefs();
    let spec = PodRun::new(pod, objects, NODE).unwrap();
    let name = marker("refused");
    let _container = Container(name.clone());
    let mut child = podman_run()
        .arg(format!("--name={name}"))
        .args(&spec.options)
        .arg(image())
        .args(spec.args.clone())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A sensor that starts after all would run until stopped.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "it started and kept running");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it started: {stderr}");
    assert!(stderr.contains(why), "expected {why:?} in:\n{stderr}");
}

#[test]
fn the_least_privilege_overlay_records_the_same() {
    let (pod, objects) = least_privilege(|_| {});
    let context = &pod["containers"][0]["securityContext"];
    assert_eq!(context["privileged"], false);
    assert_eq!(context["capabilities"]["drop"][0], "ALL");
    let seen = observe(&pod, &objects).unwrap();
    assert_complete(&seen);
    assert!(!seen.log.contains("lacks"), "{}", seen.log);
}

#[test]
fn each_capability_of_the_least_privilege_overlay_is_needed() {
    // CAP_BPF, CAP_PERFMON: loading programs, attaching them to tracepoints.
    for cap in ["BPF", "PERFMON"] {
        let (pod, objects) = least_privilege(without_capability(cap));
        refuses_to_start(&pod, &objects, &format!("missing capabilities CAP_{cap}"));
    }

    // CAP_DAC_READ_SEARCH: open_by_handle_at, cgroup id → path of the
    // cgroups that existed before the sensor (those made later are known
    // from the cgroup_mkdir tracepoint): without it the test's own cgroup,
    // older than the sensor, is not resolved.
    let (pod, objects) = least_privilege(without_capability("DAC_READ_SEARCH"));
    let seen = observe(&pod, &objects).unwrap();
    assert!(seen.host.get("HOST").is_none(), "{:#}", seen.host);
    assert_eq!(seen.other["CONTAINER"]["ID"], seen.other_id.as_str());

    // CAP_SYS_PTRACE: /proc/<pid>/exe of processes that ran before the
    // sensor (more privileged than the sensor without it).
    let (pod, objects) = least_privilege(without_capability("SYS_PTRACE"));
    let seen = observe(&pod, &objects).unwrap();
    assert_eq!(seen.host["SYSCALL"]["PPID"]["exe"], "", "{:#}", seen.host);
    assert_eq!(seen.other["CONTAINER"]["ID"], seen.other_id.as_str());

    // CAP_SYSLOG: /proc/kallsyms shows kernel addresses only with it, and
    // without ____fput's a #! script's exec lacks the script's own inode.
    let (pod, objects) = least_privilege(without_capability("SYSLOG"));
    let seen = observe(&pod, &objects).unwrap();
    assert!(
        seen.log.contains("lacks ____fput's address"),
        "{}",
        seen.log
    );

    // The runtime's default seccomp profile allows bpf(2) and
    // perf_event_open(2) only with CAP_SYS_ADMIN.
    let (pod, objects) = least_privilege(|context| {
        context.as_object_mut().unwrap().remove("seccompProfile");
    });
    refuses_to_start(&pod, &objects, "Operation not permitted");
}

#[test]
fn the_image_holds_only_the_sensor_and_what_it_loads() {
    let inspect = run(podman().args([
        "image",
        "inspect",
        "--format",
        "{{.Size}} {{.Config.Entrypoint}}",
        &image(),
    ]))
    .unwrap();
    let (size, entrypoint) = inspect.trim().split_once(' ').unwrap();
    assert_eq!(entrypoint, "[/usr/bin/sensor]");
    eprintln!("image size: {size} bytes");

    // The regular files of a container made from it (never started).
    let id = run(podman().args(["create", &image()])).unwrap();
    let _container = Container(id.trim().to_owned());
    let scratch = Scratch::new("export").unwrap();
    let tar = scratch.path().join("export.tar");
    run(podman()
        .args(["export", "--output"])
        .arg(&tar)
        .arg(id.trim()))
    .unwrap();
    let listing = run(Command::new("tar").arg("-tvf").arg(&tar)).unwrap();
    let files: Vec<&str> = listing
        .lines()
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    let (libraries, others): (Vec<&str>, Vec<&str>) = files
        .into_iter()
        .partition(|f| f.starts_with("lib") && f.contains(".so."));
    assert_eq!(
        others,
        [
            "etc/group",
            "etc/passwd",
            "etc/ssl/certs/ca-certificates.crt",
            "usr/bin/sensor"
        ]
    );
    // The C library, libgcc_s and the loader: whatever ldd listed, no more
    // than a handful.
    assert!(
        libraries.iter().any(|l| l.ends_with("/libc.so.6")) && libraries.len() <= 5,
        "{libraries:?}"
    );
}
