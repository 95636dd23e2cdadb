//! Which workloads are audited: `--include` and `--exclude` selectors on
//! the host, a pod's namespace, name or labels, a container's name or image.
//!
//! An event is out of scope when an exclusion matches it, or when
//! inclusions are given and none matches. What cannot be decided (a
//! container whose runtime has not said who it is) is kept: an audit trail
//! errs on the side of recording. A cgroup found out of scope is excluded
//! in the kernel from then on (by the load stage's `KernelSide`, which owns
//! the kernel's map), so its later events cost nothing.

use anyhow::{bail, Result};
use sensor_common::scope::CgroupKey;

use crate::{
    enrich::{cgroup::Origin, Ready},
    metrics::{registry, Counter},
};

#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    Host,
    Namespace(String),
    Pod(String),
    Label(String, String),
    Container(String),
    Image(String),
}

impl std::str::FromStr for Selector {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "host" {
            return Ok(Selector::Host);
        }
        let Some((what, value)) = s.split_once('=') else {
            bail!(
                "selector {s:?}: expected host, namespace=NS, pod=NAME, label:KEY=VALUE, \
                 container=NAME or image=IMAGE (values may use * as a wildcard)"
            );
        };
        let value = value.to_owned();
        Ok(match what {
            "namespace" => Selector::Namespace(value),
            "pod" => Selector::Pod(value),
            "container" => Selector::Container(value),
            "image" => Selector::Image(value),
            _ => match what.strip_prefix("label:") {
                Some(key) if !key.is_empty() => Selector::Label(key.to_owned(), value),
                _ => bail!(
                    "selector {s:?}: unknown field {what:?} (namespace, pod, label:KEY, \
                     container, image, or host)"
                ),
            },
        })
    }
}

/// `pattern` with `*` standing for any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(text) = text.strip_prefix(head) else {
                return false;
            };
            (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .any(|i| glob(rest, &text[i..]))
        }
    }
}

impl Selector {
    /// Whether it matches the event's origin; None when that needs
    /// metadata not known.
    fn matches(&self, ready: &Ready) -> Option<bool> {
        let host = matches!(ready.placement.as_ref()?.origin, Origin::Host { .. });
        if let Selector::Host = self {
            return Some(host);
        }
        if host {
            return Some(false);
        }
        let container = ready.container.as_deref()?;
        let pod = container.pod.as_deref();
        Some(match self {
            Selector::Host => unreachable!("answered above"),
            Selector::Container(p) => glob(p, &container.name),
            Selector::Image(p) => glob(p, &container.image),
            Selector::Namespace(p) => pod.is_some_and(|pod| glob(p, &pod.namespace)),
            Selector::Pod(p) => pod.is_some_and(|pod| glob(p, &pod.name)),
            Selector::Label(k, p) => pod
                .and_then(|pod| pod.labels.get(k))
                .is_some_and(|v| glob(p, v)),
        })
    }
}

/// `--include` and `--exclude`.
#[derive(Clone, Default, PartialEq)]
pub struct Selectors {
    pub include: Vec<Selector>,
    pub exclude: Vec<Selector>,
}

impl Selectors {
    /// Whether any workload may be out of scope.
    pub fn any(&self) -> bool {
        !self.include.is_empty() || !self.exclude.is_empty()
    }
}

pub struct Scope {
    selectors: Selectors,
    /// Whether the kernel takes the cgroups found out of scope.
    to_kernel: bool,
    /// Cgroups found out of scope, for the kernel's exclusion map (with
    /// their path, to name them), until [`Scope::take_out_of_scope`].
    out_of_scope: Vec<(CgroupKey, String)>,
    /// Events dropped as out of scope.
    pub dropped: u64,
    exported: Counter,
}

impl Scope {
    /// `to_kernel`: the kernel programs drop the events of the cgroups
    /// found out of scope, once given them.
    pub fn new(selectors: Selectors, to_kernel: bool) -> Self {
        Self {
            selectors,
            to_kernel,
            out_of_scope: Vec::new(),
            dropped: 0,
            exported: registry().counter(
                "sensor_scope_dropped_total",
                "Events out of scope (--include, --exclude) dropped in userspace; \
                 the kernel drops the later ones of a cgroup found out of scope.",
                &[],
            ),
        }
    }

    /// New selectors (SIGHUP); cgroups found out of scope before are the
    /// kernel side's to forget.
    pub fn reconfigure(&mut self, selectors: Selectors, to_kernel: bool) {
        self.selectors = selectors;
        self.to_kernel = to_kernel;
        self.out_of_scope.clear();
    }

    /// Whether `ready` is in scope; notes its cgroup for the kernel when
    /// it is not.
    pub fn admits(&mut self, ready: &Ready) -> bool {
        let Selectors { include, exclude } = &self.selectors;
        let excluded = exclude.iter().any(|s| s.matches(ready) == Some(true));
        let included =
            include.is_empty() || include.iter().any(|s| s.matches(ready) != Some(false));
        if !excluded && included {
            return true;
        }
        self.dropped += 1;
        self.exported.inc();
        if let (true, Some(placement)) = (self.to_kernel, ready.placement.as_ref()) {
            // Events of one cgroup come in runs (those read before the
            // kernel excluded it): one note for a run.
            if self.out_of_scope.last().map(|(key, _)| key) != Some(&placement.key) {
                self.out_of_scope
                    .push((placement.key, placement.path.clone()));
            }
        }
        false
    }

    /// The cgroups found out of scope since the last call.
    pub fn take_out_of_scope(&mut self) -> Vec<(CgroupKey, String)> {
        std::mem::take(&mut self.out_of_scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_or_say_what_is_expected() {
        assert_eq!("host".parse::<Selector>().unwrap(), Selector::Host);
        assert_eq!(
            "namespace=kube-system".parse::<Selector>().unwrap(),
            Selector::Namespace("kube-system".into())
        );
        assert_eq!(
            "label:app=web".parse::<Selector>().unwrap(),
            Selector::Label("app".into(), "web".into())
        );
        let e = "colour=red".parse::<Selector>().unwrap_err().to_string();
        assert!(e.contains("unknown field \"colour\""), "{e}");
        let e = "kube-system".parse::<Selector>().unwrap_err().to_string();
        assert!(e.contains("expected host, namespace=NS"), "{e}");
        assert!("label:=x".parse::<Selector>().is_err());
    }

    #[test]
    fn wildcards() {
        assert!(glob("kube-*", "kube-system"));
        assert!(glob("*/pause:*", "registry.k8s.io/pause:3.9"));
        assert!(glob("*", ""));
        assert!(!glob("kube-*", "default"));
        assert!(!glob("web", "web2"));
        assert!(glob("a*b*c", "axxbyyc"));
    }
}
