//! Running the DaemonSet's pod with podman: the pod spec of a rendered
//! manifest turned into `podman run` options (security context, host PID
//! namespace, mounts, environment, limits, arguments), so that what the
//! tests run cannot drift from what a cluster runs. Anything in the pod
//! spec this module does not know how to reproduce is an error, not
//! skipped.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;

/// podman's flags that work on this kind of machine (GUIDE §5): runc (crun
/// refuses the hybrid cgroup layout), cgroupfs, and ulimits the VM allows.
const GLOBAL: &[&str] = &["--runtime", "runc", "--cgroup-manager", "cgroupfs"];
const ULIMITS: &[&str] = &[
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1024:1024",
];

/// `podman` with the global flags.
pub fn podman() -> Command {
    let mut cmd = Command::new("podman");
    cmd.args(GLOBAL);
    cmd
}

/// `podman run --rm` with the ulimits, ready for options and the image.
pub fn podman_run() -> Command {
    let mut cmd = podman();
    cmd.args(["run", "--rm"]).args(ULIMITS);
    cmd
}

/// Runs `cmd`, failing with its stderr; returns its stdout.
pub fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    ensure!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A small image with busybox (Debian's busybox-static), made locally: the
/// "other container" of the tests.
pub fn busybox_image() -> Result<String> {
    const NAME: &str = "localhost/sensor-test-busybox:1";
    if podman().args(["image", "exists", NAME]).status()?.success() {
        return Ok(NAME.to_owned());
    }
    let dir = Scratch::new("busybox")?;
    let bin = dir.path().join("rootfs/bin");
    fs::create_dir_all(&bin)?;
    fs::copy("/bin/busybox", bin.join("busybox"))
        .context("copying /bin/busybox (Debian busybox-static, `cargo xtask setup`)")?;
    for applet in ["sh", "true", "sleep"] {
        std::os::unix::fs::symlink("busybox", bin.join(applet))?;
    }
    let tar = dir.path().join("rootfs.tar");
    run(Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(dir.path().join("rootfs"))
        .arg("."))?;
    run(podman().arg("import").arg(&tar).arg(NAME))?;
    Ok(NAME.to_owned())
}

/// A directory under the system's temporary directory, removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(crate::marker(tag));
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A named container, removed (whatever its state) on drop.
pub struct Container(pub String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman()
            .args(["rm", "--force", "--time", "0", &self.0])
            .output();
    }
}

/// The pod's one container as `podman run` options (before the image) and
/// the container's arguments (after it).
pub struct PodRun {
    pub options: Vec<String>,
    pub args: Vec<String>,
    /// What the downward API's status.podIP gives: the container's address
    /// on podman's bridge, chosen by the test (`--ip`).
    pub pod_ip: String,
    /// Seconds between SIGTERM and SIGKILL: terminationGracePeriodSeconds.
    pub grace: u64,
    /// ConfigMap contents and DirectoryOrCreate host paths live here.
    _scratch: Scratch,
}

/// Pod spec fields that only matter to a cluster's scheduler or API server.
const SCHEDULING_ONLY: &[&str] = &[
    "serviceAccountName",
    "automountServiceAccountToken",
    "priorityClassName",
    "tolerations",
];

/// Container fields that only the kubelet acts on (probes, pull policy,
/// declared ports, requests); the tests check readiness from the log.
const KUBELET_ONLY: &[&str] = &[
    "name",
    "image",
    "imagePullPolicy",
    "ports",
    "startupProbe",
    "livenessProbe",
    "readinessProbe",
];

impl PodRun {
    /// `pod`: a DaemonSet's `spec.template.spec`; `objects`: the rendered
    /// manifest (its ConfigMaps); `node_name`: what the downward API's
    /// spec.nodeName gives.
    pub fn new(pod: &Value, objects: &[Value], node_name: &str) -> Result<Self> {
        let scratch = Scratch::new("pod")?;
        let mut options = Vec::new();
        let mut grace = 30;
        let mut container = None;
        for (key, value) in pod.as_object().context("a pod spec")? {
            match key.as_str() {
                "hostPID" if value == true => options.push("--pid=host".to_owned()),
                "hostNetwork" if value == true => options.push("--network=host".to_owned()),
                "hostPID" | "hostNetwork" => {}
                "terminationGracePeriodSeconds" => {
                    grace = value.as_u64().context("terminationGracePeriodSeconds")?
                }
                "containers" => {
                    let list = value.as_array().context("containers")?;
                    ensure!(list.len() == 1, "the pod has one container");
                    container = Some(&list[0]);
                }
                "volumes" => {}
                k if SCHEDULING_ONLY.contains(&k) => {}
                k => {
                    bail!("the test cannot reproduce the pod spec's {k}: teach tests/src/podman.rs")
                }
            }
        }
        let container = container.context("no container")?;
        let pod_ip = pod_ip();
        let mut args = Vec::new();
        let mut vars = Vec::new();
        for (key, value) in container.as_object().context("a container")? {
            match key.as_str() {
                "args" => args = strings(value)?,
                "env" => vars = env(value, node_name, &pod_ip)?,
                "securityContext" => options.extend(security_context(value)?),
                "resources" => options.extend(limits(&value["limits"])?),
                "volumeMounts" => {
                    for mount in value.as_array().context("volumeMounts")? {
                        options.extend(volume(pod, mount, objects, scratch.path())?);
                    }
                }
                k if KUBELET_ONLY.contains(&k) => {}
                k => bail!(
                    "the test cannot reproduce the container's {k}: teach tests/src/podman.rs"
                ),
            }
        }
        if !options.iter().any(|o| o == "--network=host") {
            options.push(format!("--ip={pod_ip}"));
        }
        // $(VAR) in the arguments, as the kubelet expands them.
        for arg in &mut args {
            for (name, value) in &vars {
                *arg = arg.replace(&format!("$({name})"), value);
            }
        }
        options.extend(vars.iter().map(|(n, v)| format!("--env={n}={v}")));
        Ok(Self {
            options,
            args,
            pod_ip,
            grace,
            _scratch: scratch,
        })
    }
}

fn strings(value: &Value) -> Result<Vec<String>> {
    value
        .as_array()
        .context("a list of strings")?
        .iter()
        .map(|v| v.as_str().map(str::to_owned).context("a string"))
        .collect()
}

/// An address on podman's default bridge (10.88.0.0/16) for this test
/// process, away from the low addresses podman hands out itself.
fn pod_ip() -> String {
    let n = std::process::id();
    format!("10.88.{}.{}", 200 + (n / 250) % 50, 2 + n % 250)
}

/// The container's environment: (name, value) pairs.
fn env(list: &Value, node_name: &str, pod_ip: &str) -> Result<Vec<(String, String)>> {
    let mut vars = Vec::new();
    for var in list.as_array().context("env")? {
        let name = var["name"].as_str().context("env name")?;
        let value = if let Some(v) = var["value"].as_str() {
            v
        } else {
            match var["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
                Some("spec.nodeName") => node_name,
                Some("status.podIP") => pod_ip,
                _ => {
                    bail!("env {name}: only values, spec.nodeName and status.podIP are reproduced")
                }
            }
        };
        vars.push((name.to_owned(), value.to_owned()));
    }
    Ok(vars)
}

fn security_context(context: &Value) -> Result<Vec<String>> {
    let mut options = Vec::new();
    for (key, value) in context.as_object().context("securityContext")? {
        match (key.as_str(), value) {
            ("privileged", Value::Bool(true)) => options.push("--privileged".to_owned()),
            ("privileged", Value::Bool(false)) => {}
            ("allowPrivilegeEscalation", Value::Bool(false)) => {
                options.push("--security-opt=no-new-privileges".to_owned())
            }
            ("readOnlyRootFilesystem", Value::Bool(true)) => options.push("--read-only".to_owned()),
            ("runAsUser", Value::Number(uid)) => options.push(format!("--user={uid}")),
            ("capabilities", caps) => {
                for cap in strings(&caps["drop"]).unwrap_or_default() {
                    options.push(format!("--cap-drop={}", cap.to_lowercase()));
                }
                for cap in strings(&caps["add"]).unwrap_or_default() {
                    options.push(format!("--cap-add={cap}"));
                }
            }
            ("seccompProfile", p) if p["type"] == "Unconfined" => {
                options.push("--security-opt=seccomp=unconfined".to_owned())
            }
            ("appArmorProfile", p) if p["type"] == "Unconfined" => {
                options.push("--security-opt=apparmor=unconfined".to_owned())
            }
            (k, v) => bail!("the test cannot reproduce securityContext {k}: {v}"),
        }
    }
    Ok(options)
}

/// Kubernetes quantities as podman takes them: memory `512Mi` → `512m`,
/// CPU `1` or `500m` → `--cpus`.
fn limits(limits: &Value) -> Result<Vec<String>> {
    let mut options = Vec::new();
    if let Some(memory) = limits["memory"].as_str() {
        let bytes = match memory.strip_suffix("Mi") {
            Some(mib) => format!("{mib}m"),
            None => match memory.strip_suffix("Gi") {
                Some(gib) => format!("{gib}g"),
                None => bail!("memory limit {memory}: use Mi or Gi"),
            },
        };
        options.push(format!("--memory={bytes}"));
    }
    if let Some(cpu) = limits["cpu"].as_str() {
        let cpus = match cpu.strip_suffix('m') {
            Some(milli) => milli.parse::<f64>()? / 1000.0,
            None => cpu.parse::<f64>()?,
        };
        options.push(format!("--cpus={cpus}"));
    }
    Ok(options)
}

/// One volumeMount as a `--volume`: hostPath volumes from the host (those
/// the kubelet would create, DirectoryOrCreate, in the scratch directory so
/// the test leaves nothing behind), configMap volumes from the rendered
/// ConfigMap's data.
fn volume(pod: &Value, mount: &Value, objects: &[Value], scratch: &Path) -> Result<Vec<String>> {
    let name = mount["name"].as_str().context("volumeMount name")?;
    let target = mount["mountPath"].as_str().context("mountPath")?;
    let volume = pod["volumes"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"] == name))
        .with_context(|| format!("no volume {name}"))?;
    let mut flags = Vec::new();
    if mount["readOnly"] == true {
        flags.push("ro");
    }
    match mount["mountPropagation"].as_str() {
        None | Some("None") => {}
        Some("HostToContainer") => flags.push("rslave"),
        Some(other) => bail!("volume {name}: mountPropagation {other} is not reproduced"),
    }
    let source = if let Some(path) = volume["hostPath"]["path"].as_str() {
        let exists = Path::new(path).exists();
        match volume["hostPath"]["type"].as_str().unwrap_or("") {
            "DirectoryOrCreate" => {
                let dir = scratch.join(path.trim_start_matches('/'));
                fs::create_dir_all(&dir)?;
                dir
            }
            // No check: the runtime would create an empty directory where
            // nothing is; nothing the sensor needs is there then.
            "" if !exists => {
                eprintln!("volume {name}: {path} is missing on this machine, not mounted");
                return Ok(vec![]);
            }
            "" | "Directory" | "File" | "Socket" => {
                ensure!(exists, "volume {name}: {path} is missing on this machine");
                PathBuf::from(path)
            }
            other => bail!("volume {name}: hostPath type {other} is not reproduced"),
        }
    } else if let Some(map) = volume["configMap"]["name"].as_str() {
        let data = objects
            .iter()
            .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == map)
            .with_context(|| format!("no ConfigMap {map}"))?["data"]
            .as_object()
            .with_context(|| format!("ConfigMap {map} has no data"))?;
        let dir = scratch.join("configmaps").join(map);
        fs::create_dir_all(&dir)?;
        for (file, text) in data {
            fs::write(dir.join(file), text.as_str().context("ConfigMap data")?)?;
        }
        dir
    } else {
        bail!("volume {name}: only hostPath and configMap volumes are reproduced");
    };
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(":{}", flags.join(","))
    };
    Ok(vec![format!(
        "--volume={}:{target}{flags}",
        source.display()
    )])
}
