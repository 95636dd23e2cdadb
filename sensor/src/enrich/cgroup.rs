//! What a cgroup path says about the process in it: the container (id and
//! runtime), the Kubernetes pod uid, or the host's systemd unit.
//!
//! Forms, from real nodes: containerd, CRI-O and Docker under the systemd
//! and cgroupfs drivers, kubepods slices with their QoS classes, podman's
//! libpod, plain `ctr run` (`/k8s.io/<id>`), and host units.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A container; `pod_uid` when it belongs to a Kubernetes pod.
    Container {
        id: String,
        runtime: Runtime,
        pod_uid: Option<String>,
    },
    /// A host process, in a systemd unit when there is one.
    Host { unit: Option<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Containerd,
    CriO,
    Docker,
    Podman,
    /// Under kubepods, with no runtime prefix (the cgroupfs driver).
    Unknown,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
            Runtime::Docker => "docker",
            Runtime::Podman => "podman",
            Runtime::Unknown => "unknown",
        }
    }
}

/// A container id: 64 hex digits (every runtime above uses them).
fn container_id(s: &str) -> Option<&str> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then_some(s)
}

/// `cri-containerd-<id>.scope` and the like: (runtime, id).
fn scoped(component: &str) -> Option<(Runtime, &str)> {
    let name = component.strip_suffix(".scope").unwrap_or(component);
    [
        ("cri-containerd-", Runtime::Containerd),
        ("crio-", Runtime::CriO),
        ("docker-", Runtime::Docker),
        ("libpod-", Runtime::Podman),
    ]
    .into_iter()
    .find_map(|(prefix, runtime)| Some((runtime, container_id(name.strip_prefix(prefix)?)?)))
}

/// The pod uid in `pod<uid>` (cgroupfs) or `kubepods-<qos>-pod<uid>.slice`
/// (systemd, with `_` for `-`).
fn pod_uid(component: &str) -> Option<String> {
    let name = component.strip_suffix(".slice").unwrap_or(component);
    let uid = name.rsplit_once("pod").map(|(_, uid)| uid)?;
    let uid = uid.replace('_', "-");
    (uid.len() == 36 && uid.bytes().filter(|&b| b == b'-').count() == 4).then_some(uid)
}

pub fn parse(path: &str) -> Origin {
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let pod = components.iter().find_map(|c| pod_uid(c));
    let kubepods = components.iter().any(|c| c.starts_with("kubepods"));
    for (i, component) in components.iter().enumerate().rev() {
        if let Some((runtime, id)) = scoped(component) {
            return container(id, runtime, pod);
        }
        if let Some(id) = container_id(component) {
            let runtime = match components.get(i.wrapping_sub(1)).copied() {
                Some("docker") => Runtime::Docker,
                Some("k8s.io") | Some("default") | Some("moby") if !kubepods => Runtime::Containerd,
                Some("libpod_parent") => Runtime::Podman,
                _ => Runtime::Unknown,
            };
            return container(id, runtime, pod);
        }
    }
    Origin::Host {
        unit: components
            .iter()
            .rev()
            .find(|c| c.ends_with(".service") || c.ends_with(".scope"))
            .map(|c| c.to_string()),
    }
}

fn container(id: &str, runtime: Runtime, pod_uid: Option<String>) -> Origin {
    Origin::Container {
        id: id.to_owned(),
        runtime,
        pod_uid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4c3f1e0d9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d";
    const POD: &str = "7d1f9a36-1c2b-4b5e-9f0e-2a3b4c5d6e7f";

    fn is(path: &str, runtime: Runtime, pod: bool) {
        assert_eq!(
            parse(path),
            Origin::Container {
                id: ID.into(),
                runtime,
                pod_uid: pod.then(|| POD.into())
            },
            "{path}"
        );
    }

    #[test]
    fn kubernetes_paths_under_both_drivers() {
        let pod_ = POD.replace('-', "_");
        // systemd driver (GKE, AKS, EKS with cgroup v2)
        is(
            &format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{pod_}.slice/cri-containerd-{ID}.scope"),
            Runtime::Containerd,
            true,
        );
        is(
            &format!("/kubepods.slice/kubepods-pod{pod_}.slice/crio-{ID}.scope"),
            Runtime::CriO,
            true,
        );
        is(
            &format!("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{pod_}.slice/docker-{ID}.scope"),
            Runtime::Docker,
            true,
        );
        // cgroupfs driver (this machine's kubelet layout)
        is(
            &format!("/kubepods/besteffort/pod{POD}/{ID}"),
            Runtime::Unknown,
            true,
        );
        is(&format!("/kubepods/pod{POD}/{ID}"), Runtime::Unknown, true);
    }

    #[test]
    fn runtimes_outside_kubernetes() {
        is(&format!("/k8s.io/{ID}"), Runtime::Containerd, false);
        is(&format!("/default/{ID}"), Runtime::Containerd, false);
        is(&format!("/docker/{ID}"), Runtime::Docker, false);
        is(
            &format!("/system.slice/docker-{ID}.scope"),
            Runtime::Docker,
            false,
        );
        is(
            &format!("/machine.slice/libpod-{ID}.scope"),
            Runtime::Podman,
            false,
        );
        is(
            &format!("/machine.slice/libpod-{ID}.scope/container"),
            Runtime::Podman,
            false,
        );
        is(
            &format!("/libpod_parent/libpod-{ID}"),
            Runtime::Podman,
            false,
        );
        is(
            &format!("/system.slice/crio-{ID}.scope"),
            Runtime::CriO,
            false,
        );
    }

    #[test]
    fn host_processes_with_and_without_a_unit() {
        assert_eq!(
            parse("/system.slice/ssh.service"),
            Origin::Host {
                unit: Some("ssh.service".into())
            }
        );
        assert_eq!(
            parse("/user.slice/user-1000.slice/session-3.scope"),
            Origin::Host {
                unit: Some("session-3.scope".into())
            }
        );
        assert_eq!(parse("/"), Origin::Host { unit: None });
        assert_eq!(
            parse("/process_api/968e04d853b6d717ab97bfadf3899217"),
            Origin::Host { unit: None }
        );
        // The pod's own cgroup, not a container in it.
        assert_eq!(
            parse(&format!("/kubepods/besteffort/pod{POD}")),
            Origin::Host { unit: None }
        );
    }
}
