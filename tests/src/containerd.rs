//! The real containerd (Debian's, with runc), run privately for a test: its
//! own root, state and socket in a temporary directory, the CRI plugin
//! configured as GUIDE §5 says works on this VM (a local sandbox image,
//! host network, `restrict_oom_score_adj`), and a busybox image built from
//! busybox-static and imported with `ctr`. Pods and containers are made
//! through the CRI API, as kubelet makes them.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use prost::Message;
use sensor::grpc;

/// The image every pod and container here runs; also the sandbox image.
pub const IMAGE: &str = "sensor.test/busybox:1";
const SERVICE: &str = "/runtime.v1.RuntimeService";

pub struct Containerd {
    child: Option<Child>,
    dir: PathBuf,
    runtime: tokio::runtime::Runtime,
}

impl Containerd {
    /// Starts containerd and imports [`IMAGE`].
    pub fn start() -> Result<Self> {
        let dir = std::env::temp_dir().join(crate::marker("ctrd"));
        fs::create_dir_all(dir.join("cni"))?;
        fs::write(
            dir.join("config.toml"),
            format!(
                r#"version = 2
root = "{dir}/root"
state = "{dir}/state"
[grpc]
  address = "{dir}/containerd.sock"
[ttrpc]
  address = "{dir}/containerd.sock.ttrpc"
[debug]
  address = "{dir}/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{IMAGE}"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{dir}/cni"
    conf_dir = "{dir}/cni"
"#,
                dir = dir.display()
            ),
        )?;
        let mut containerd = Self {
            child: None,
            dir,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        };
        containerd.resume()?;
        containerd.import_image()?;
        Ok(containerd)
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("containerd.sock")
    }

    /// `unix://` + the socket, as `--runtime-endpoint` takes it.
    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// Starts (again) the daemon and waits for its CRI service.
    pub fn resume(&mut self) -> Result<()> {
        let log = fs::File::create(self.dir.join("containerd.log"))?;
        let child = Command::new("containerd")
            .arg("--config")
            .arg(self.dir.join("config.toml"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting containerd (Debian package containerd)")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.call::<_, Empty>("Version", &Empty {}).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("containerd's CRI did not answer; its log:\n{}", self.log());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the daemon; its containers keep running (their shims stay).
    pub fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    fn ctr(&self, args: &[&str]) -> Result<()> {
        let out = Command::new("ctr")
            .arg("--address")
            .arg(self.socket())
            .args(["--namespace", "k8s.io"])
            .args(args)
            .output()
            .context("running ctr")?;
        ensure!(
            out.status.success(),
            "ctr {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// Builds [`IMAGE`] (busybox-static and its applet links; its command
    /// sleeps, for the sandbox) as a Docker archive and imports it.
    fn import_image(&self) -> Result<()> {
        let build = self.dir.join("image");
        let rootfs = build.join("rootfs");
        fs::create_dir_all(rootfs.join("bin"))?;
        fs::copy("/bin/busybox", rootfs.join("bin/busybox"))
            .context("copying /bin/busybox (Debian package busybox-static)")?;
        for applet in ["sh", "sleep", "true", "echo", "cat", "nc", "tty"] {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet))?;
        }
        let layer = build.join("layer.tar");
        run(Command::new("tar")
            .args(["--owner=0", "--group=0", "-C"])
            .arg(&rootfs)
            .arg("-cf")
            .arg(&layer)
            .arg("."))?;
        let diff_id = sha256(&layer)?;
        fs::write(
            build.join("config.json"),
            serde_json::json!({
                "architecture": "amd64",
                "os": "linux",
                "config": {"Cmd": ["/bin/sleep", "1000000"], "Env": ["PATH=/bin"]},
                "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
            })
            .to_string(),
        )?;
        fs::write(
            build.join("manifest.json"),
            serde_json::json!([{
                "Config": "config.json",
                "RepoTags": [IMAGE],
                "Layers": ["layer.tar"],
            }])
            .to_string(),
        )?;
        let archive = build.join("image.tar");
        run(Command::new("tar")
            .arg("-C")
            .arg(&build)
            .arg("-cf")
            .arg(&archive)
            .args(["manifest.json", "config.json", "layer.tar"]))?;
        self.ctr(&[
            "images",
            "import",
            "--snapshotter",
            "native",
            archive.to_str().unwrap(),
        ])
    }

    fn call<Req: Message, Resp: Message + Default>(
        &self,
        method: &str,
        request: &Req,
    ) -> Result<Resp> {
        let socket = self.socket();
        self.runtime.block_on(async {
            let mut channel = grpc::Channel::connect(&socket).await?;
            channel.call(&format!("{SERVICE}/{method}"), request).await
        })
    }

    /// Runs a pod sandbox (host network, cgroup parent as kubelet's
    /// cgroupfs driver makes it); returns its id.
    pub fn run_pod(&self, pod: &Pod) -> Result<String> {
        let reply: IdReply = self.call(
            "RunPodSandbox",
            &RunPodSandboxRequest {
                config: Some(pod.config()),
            },
        )?;
        Ok(reply.id)
    }

    /// Creates and starts a container running `command` in the pod.
    pub fn run_container(
        &self,
        sandbox: &str,
        pod: &Pod,
        name: &str,
        command: &[&str],
    ) -> Result<String> {
        self.run_container_with_env(sandbox, pod, name, command, &[])
    }

    /// As `run_container`, with environment variables.
    pub fn run_container_with_env(
        &self,
        sandbox: &str,
        pod: &Pod,
        name: &str,
        command: &[&str],
        env: &[(&str, &str)],
    ) -> Result<String> {
        let created: IdReply = self.call(
            "CreateContainer",
            &CreateContainerRequest {
                pod_sandbox_id: sandbox.to_owned(),
                config: Some(ContainerConfig {
                    metadata: Some(Metadata {
                        name: name.to_owned(),
                    }),
                    image: Some(ImageSpec {
                        image: IMAGE.to_owned(),
                    }),
                    command: command.iter().map(|s| s.to_string()).collect(),
                    envs: env
                        .iter()
                        .map(|(key, value)| KeyValue {
                            key: key.to_string(),
                            value: value.to_string(),
                        })
                        .collect(),
                    log_path: format!("{name}.log"),
                }),
                sandbox_config: Some(pod.config()),
            },
        )?;
        let _: Empty = self.call(
            "StartContainer",
            &ContainerIdRequest {
                container_id: created.id.clone(),
            },
        )?;
        Ok(created.id)
    }

    /// Runs `cmd` in a running container, as `kubectl exec` does.
    pub fn exec(&self, container: &str, cmd: &[&str]) -> Result<()> {
        let reply: ExecSyncResponse = self.call(
            "ExecSync",
            &ExecSyncRequest {
                container_id: container.to_owned(),
                cmd: cmd.iter().map(|s| s.to_string()).collect(),
                timeout: 10,
            },
        )?;
        ensure!(
            reply.exit_code == 0,
            "exec {cmd:?}: exit {}",
            reply.exit_code
        );
        Ok(())
    }

    /// Runs `cmd` in a running container as `kubectl exec` does: the
    /// CRI's `Exec` hands out a URL of the runtime's streaming server,
    /// which the client (kubelet's proxy, here this test) upgrades to a
    /// WebSocket speaking `v4.channel.k8s.io`. Returns what the command
    /// wrote (stdout; with a tty, the terminal's output) once it exits.
    pub fn exec_stream(&self, container: &str, cmd: &[&str], tty: bool) -> Result<String> {
        let reply: ExecResponse = self.call(
            "Exec",
            &ExecRequest {
                container_id: container.to_owned(),
                cmd: cmd.iter().map(|s| s.to_string()).collect(),
                tty,
                // kubectl exec -t goes with -i: without stdin, containerd
                // 1.6 copies none of a terminal's output.
                stdin: tty,
                stdout: true,
                // A terminal has one output stream.
                stderr: !tty,
            },
        )?;
        crate::websocket::exec_output(&reply.url)
    }

    /// Stops and removes a pod and its containers.
    pub fn remove_pod(&self, sandbox: &str) -> Result<()> {
        let request = SandboxIdRequest {
            pod_sandbox_id: sandbox.to_owned(),
        };
        let _: Empty = self.call("StopPodSandbox", &request)?;
        let _: Empty = self.call("RemovePodSandbox", &request)?;
        Ok(())
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        if self.child.is_none() {
            let _ = self.resume();
        }
        // Pods this test left behind, then the daemon and its files.
        if let Ok(list) = self.call::<_, PodList>("ListPodSandbox", &Empty {}) {
            for pod in list.items {
                let _ = self.remove_pod(&pod.id);
            }
        }
        self.pause();
        let _ = Command::new("umount")
            .arg("-R")
            .arg(self.dir.join("state"))
            .stderr(Stdio::null())
            .status();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    ensure!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

fn sha256(path: &Path) -> Result<String> {
    let out = Command::new("sha256sum").arg(path).output()?;
    ensure!(out.status.success(), "sha256sum {}", path.display());
    Ok(String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned())
}

/// A pod as a test describes it.
pub struct Pod {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

impl Pod {
    /// A pod with a fresh uid, labelled `app=<name>`.
    pub fn new(name: &str, namespace: &str) -> Self {
        static PODS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = PODS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        Self {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            uid: format!(
                "{:08x}-{:04x}-4000-8000-{:012x}",
                std::process::id(),
                n,
                nanos & 0xffff_ffff_ffff
            ),
            labels: [("app".to_owned(), name.to_owned())].into(),
            annotations: [("sensor.test/owner".to_owned(), "tests".to_owned())].into(),
        }
    }

    fn config(&self) -> PodSandboxConfig {
        PodSandboxConfig {
            metadata: Some(PodSandboxMetadata {
                name: self.name.clone(),
                uid: self.uid.clone(),
                namespace: self.namespace.clone(),
            }),
            // A pod on the host's network has the host's name (no UTS
            // namespace of its own), as kubelet leaves it.
            hostname: String::new(),
            log_directory: std::env::temp_dir()
                .join(format!("pod-{}", self.uid))
                .display()
                .to_string(),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            linux: Some(LinuxPodSandboxConfig {
                cgroup_parent: format!("/kubepods/besteffort/pod{}", self.uid),
                security_context: Some(SandboxSecurityContext {
                    namespace_options: Some(NamespaceOption { network: NODE }),
                }),
            }),
        }
    }
}

// The CRI messages the tests send (k8s.io/cri-api v1, by tag); the sensor
// reads with its own (sensor/src/enrich/runtime/cri.rs).

/// `NamespaceMode.NODE`: the host's network namespace (no CNI needed).
const NODE: i32 = 2;

#[derive(Clone, PartialEq, Message)]
struct Empty {}

#[derive(Clone, PartialEq, Message)]
struct IdReply {
    /// Tag 1 in RunPodSandboxResponse and CreateContainerResponse alike.
    #[prost(string, tag = "1")]
    id: String,
}

#[derive(Clone, PartialEq, Message)]
struct PodList {
    #[prost(message, repeated, tag = "1")]
    items: Vec<IdReply>,
}

#[derive(Clone, PartialEq, Message)]
struct PodSandboxMetadata {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    uid: String,
    #[prost(string, tag = "3")]
    namespace: String,
}

#[derive(Clone, PartialEq, Message)]
struct NamespaceOption {
    #[prost(int32, tag = "1")]
    network: i32,
}

#[derive(Clone, PartialEq, Message)]
struct SandboxSecurityContext {
    #[prost(message, optional, tag = "1")]
    namespace_options: Option<NamespaceOption>,
}

#[derive(Clone, PartialEq, Message)]
struct LinuxPodSandboxConfig {
    #[prost(string, tag = "1")]
    cgroup_parent: String,
    #[prost(message, optional, tag = "2")]
    security_context: Option<SandboxSecurityContext>,
}

#[derive(Clone, PartialEq, Message)]
struct PodSandboxConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PodSandboxMetadata>,
    #[prost(string, tag = "2")]
    hostname: String,
    #[prost(string, tag = "3")]
    log_directory: String,
    #[prost(btree_map = "string, string", tag = "6")]
    labels: BTreeMap<String, String>,
    #[prost(btree_map = "string, string", tag = "7")]
    annotations: BTreeMap<String, String>,
    #[prost(message, optional, tag = "8")]
    linux: Option<LinuxPodSandboxConfig>,
}

#[derive(Clone, PartialEq, Message)]
struct RunPodSandboxRequest {
    #[prost(message, optional, tag = "1")]
    config: Option<PodSandboxConfig>,
}

#[derive(Clone, PartialEq, Message)]
struct Metadata {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, Message)]
struct ImageSpec {
    #[prost(string, tag = "1")]
    image: String,
}

#[derive(Clone, PartialEq, Message)]
struct ContainerConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<Metadata>,
    #[prost(message, optional, tag = "2")]
    image: Option<ImageSpec>,
    #[prost(string, repeated, tag = "3")]
    command: Vec<String>,
    #[prost(message, repeated, tag = "6")]
    envs: Vec<KeyValue>,
    #[prost(string, tag = "11")]
    log_path: String,
}

#[derive(Clone, PartialEq, Message)]
struct KeyValue {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(string, tag = "2")]
    value: String,
}

#[derive(Clone, PartialEq, Message)]
struct ExecRequest {
    #[prost(string, tag = "1")]
    container_id: String,
    #[prost(string, repeated, tag = "2")]
    cmd: Vec<String>,
    #[prost(bool, tag = "3")]
    tty: bool,
    #[prost(bool, tag = "4")]
    stdin: bool,
    #[prost(bool, tag = "5")]
    stdout: bool,
    #[prost(bool, tag = "6")]
    stderr: bool,
}

#[derive(Clone, PartialEq, Message)]
struct ExecResponse {
    #[prost(string, tag = "1")]
    url: String,
}

#[derive(Clone, PartialEq, Message)]
struct CreateContainerRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
    #[prost(message, optional, tag = "2")]
    config: Option<ContainerConfig>,
    #[prost(message, optional, tag = "3")]
    sandbox_config: Option<PodSandboxConfig>,
}

#[derive(Clone, PartialEq, Message)]
struct ContainerIdRequest {
    #[prost(string, tag = "1")]
    container_id: String,
}

#[derive(Clone, PartialEq, Message)]
struct SandboxIdRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}

#[derive(Clone, PartialEq, Message)]
struct ExecSyncRequest {
    #[prost(string, tag = "1")]
    container_id: String,
    #[prost(string, repeated, tag = "2")]
    cmd: Vec<String>,
    #[prost(int64, tag = "3")]
    timeout: i64,
}

#[derive(Clone, PartialEq, Message)]
struct ExecSyncResponse {
    #[prost(int32, tag = "3")]
    exit_code: i32,
}
