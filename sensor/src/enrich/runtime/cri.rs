//! The Kubernetes CRI API (`runtime.v1.RuntimeService`), as much as
//! attribution needs: which pod a container belongs to, its name and image.
//! Served by containerd and CRI-O alike. Message fields keep the proto's
//! names and tags (k8s.io/cri-api `api.proto`); fields not needed are left
//! out, which protobuf decoding skips.

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use anyhow::{Context, Result};
use prost::Message;

use super::grpc::{self, code, Channel};
use super::{ContainerMeta, PodMeta};

type Map = BTreeMap<String, String>;

#[derive(Clone, PartialEq, Message)]
pub struct VersionRequest {
    #[prost(string, tag = "1")]
    pub version: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct VersionResponse {
    #[prost(string, tag = "2")]
    pub runtime_name: String,
    #[prost(string, tag = "3")]
    pub runtime_version: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct ContainerFilter {
    #[prost(string, tag = "1")]
    pub id: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct ListContainersRequest {
    #[prost(message, optional, tag = "1")]
    pub filter: Option<ContainerFilter>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ListContainersResponse {
    #[prost(message, repeated, tag = "1")]
    pub containers: Vec<Container>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ContainerMetadata {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(uint32, tag = "2")]
    pub attempt: u32,
}

#[derive(Clone, PartialEq, Message)]
pub struct ImageSpec {
    #[prost(string, tag = "1")]
    pub image: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct Container {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(string, tag = "2")]
    pub pod_sandbox_id: String,
    #[prost(message, optional, tag = "3")]
    pub metadata: Option<ContainerMetadata>,
    #[prost(message, optional, tag = "4")]
    pub image: Option<ImageSpec>,
    #[prost(string, tag = "5")]
    pub image_ref: String,
    #[prost(string, tag = "10")]
    pub image_id: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct ContainerStatusRequest {
    #[prost(string, tag = "1")]
    pub container_id: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct ContainerStatusResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<ContainerStatus>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ContainerStatus {
    #[prost(message, optional, tag = "8")]
    pub image: Option<ImageSpec>,
    #[prost(string, tag = "9")]
    pub image_ref: String,
    #[prost(string, tag = "17")]
    pub image_id: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct PodSandboxMetadata {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub uid: String,
    #[prost(string, tag = "3")]
    pub namespace: String,
    #[prost(uint32, tag = "4")]
    pub attempt: u32,
}

#[derive(Clone, PartialEq, Message)]
pub struct PodSandboxStatusRequest {
    #[prost(string, tag = "1")]
    pub pod_sandbox_id: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct PodSandboxStatusResponse {
    #[prost(message, optional, tag = "1")]
    pub status: Option<PodSandboxStatus>,
}

#[derive(Clone, PartialEq, Message)]
pub struct PodSandboxStatus {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<PodSandboxMetadata>,
    #[prost(btree_map = "string, string", tag = "7")]
    pub labels: Map,
    #[prost(btree_map = "string, string", tag = "8")]
    pub annotations: Map,
}

#[derive(Clone, PartialEq, Message)]
pub struct ListPodSandboxRequest {}

#[derive(Clone, PartialEq, Message)]
pub struct ListPodSandboxResponse {
    /// `PodSandbox` shares `PodSandboxStatus`'s first two tags; labels and
    /// annotations are 5 and 6 there, so they are not read from a list.
    #[prost(message, repeated, tag = "1")]
    pub items: Vec<PodSandboxStatus>,
}

/// The CRI versions tried, newest first: v1alpha2 is what runtimes older
/// than Kubernetes 1.23's (containerd 1.5, CRI-O 1.22) serve.
const SERVICES: [&str; 2] = [
    "runtime.v1.RuntimeService",
    "runtime.v1alpha2.RuntimeService",
];

pub struct Cri {
    channel: Channel,
    service: &'static str,
    /// What the runtime calls itself (`containerd 1.6.20`).
    pub runtime: String,
    /// Its name alone (`containerd`, `cri-o`).
    name: String,
    /// The pod annotations kept (`--pod-annotation`); the others are not.
    annotations: Arc<[String]>,
}

impl Cri {
    pub async fn connect(endpoint: PathBuf, annotations: Arc<[String]>) -> Result<Self> {
        let mut channel = Channel::connect(&endpoint).await?;
        for service in SERVICES {
            let reply: Result<VersionResponse> = channel
                .call(&format!("/{service}/Version"), &VersionRequest::default())
                .await;
            match reply {
                Ok(v) => {
                    return Ok(Self {
                        channel,
                        service,
                        runtime: format!("{} {}", v.runtime_name, v.runtime_version),
                        name: v.runtime_name.to_lowercase(),
                        annotations,
                    })
                }
                Err(e) if grpc::status_code(&e) == Some(code::UNIMPLEMENTED) => continue,
                Err(e) => return Err(e),
            }
        }
        anyhow::bail!(
            "{} serves no CRI version the sensor knows",
            endpoint.display()
        )
    }

    async fn call<Req: Message, Resp: Message + Default>(
        &mut self,
        method: &str,
        request: &Req,
    ) -> Result<Resp> {
        let path = format!("/{}/{method}", self.service);
        self.channel.call(&path, request).await
    }

    /// The container `id`, with its pod when the runtime knows it; None
    /// when the runtime does not know the id (another runtime's container).
    pub async fn container(
        &mut self,
        id: &str,
        pods: &mut impl FnMut(&str) -> Option<Arc<PodMeta>>,
    ) -> Result<Option<ContainerMeta>> {
        let listed: ListContainersResponse = self
            .call(
                "ListContainers",
                &ListContainersRequest {
                    filter: Some(ContainerFilter { id: id.to_owned() }),
                },
            )
            .await?;
        let Some(c) = listed.containers.into_iter().find(|c| c.id == id) else {
            // A pod's sandbox (its pause process) is not a container.
            return Ok(self.sandbox(id).await?.map(|pod| ContainerMeta {
                id: id.to_owned(),
                name: "POD".to_owned(),
                runtime: self.name.clone(),
                pod: Some(Arc::new(pod)),
                ..ContainerMeta::default()
            }));
        };
        // The status names the image by tag where the listing may give
        // only its id (kubelet creates containers from the image id).
        let status: Option<ContainerStatus> = self
            .call::<_, ContainerStatusResponse>(
                "ContainerStatus",
                &ContainerStatusRequest {
                    container_id: id.to_owned(),
                },
            )
            .await
            .ok()
            .and_then(|s| s.status);
        let pod = match pods(&c.pod_sandbox_id) {
            Some(pod) => Some(pod),
            None => self.sandbox(&c.pod_sandbox_id).await?.map(Arc::new),
        };
        let image = status
            .as_ref()
            .and_then(|s| s.image.as_ref())
            .or(c.image.as_ref())
            .map(|i| i.image.clone())
            .unwrap_or_default();
        let image_id = [
            status.as_ref().map(|s| s.image_id.clone()),
            Some(c.image_id),
            status.map(|s| s.image_ref),
            Some(c.image_ref),
        ]
        .into_iter()
        .flatten()
        .find(|i| !i.is_empty())
        .unwrap_or_default();
        Ok(Some(ContainerMeta {
            id: c.id,
            name: c.metadata.map(|m| m.name).unwrap_or_default(),
            runtime: self.name.clone(),
            image,
            image_id,
            pod,
        }))
    }

    /// The pod whose sandbox is `id`.
    pub async fn sandbox(&mut self, id: &str) -> Result<Option<PodMeta>> {
        let reply: Result<PodSandboxStatusResponse> = self
            .call(
                "PodSandboxStatus",
                &PodSandboxStatusRequest {
                    pod_sandbox_id: id.to_owned(),
                },
            )
            .await;
        let status = match reply {
            Ok(r) => r.status,
            Err(e) if grpc::status_code(&e) == Some(code::NOT_FOUND) => None,
            Err(e) => return Err(e),
        };
        Ok(status.map(|s| {
            let m = s.metadata.unwrap_or_default();
            PodMeta {
                sandbox_id: s.id,
                name: m.name,
                namespace: m.namespace,
                uid: m.uid,
                labels: s.labels,
                annotations: s
                    .annotations
                    .into_iter()
                    .filter(|(k, _)| self.annotations.contains(k))
                    .collect(),
            }
        }))
    }

    /// The ids of every container and sandbox the runtime knows now.
    pub async fn live(&mut self) -> Result<Vec<String>> {
        let containers: ListContainersResponse = self
            .call("ListContainers", &ListContainersRequest::default())
            .await
            .context("listing containers")?;
        let sandboxes: ListPodSandboxResponse = self
            .call("ListPodSandbox", &ListPodSandboxRequest::default())
            .await
            .context("listing pod sandboxes")?;
        Ok(containers
            .containers
            .into_iter()
            .map(|c| c.id)
            .chain(sandboxes.items.into_iter().map(|s| s.id))
            .collect())
    }
}
