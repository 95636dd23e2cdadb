//! Metrics: counters and gauges any stage registers, rendered as
//! Prometheus text by [`server`] at `/metrics`, with `/healthz` and
//! `/readyz`.
//!
//! The registry is process-wide ([`registry`]) so a stage registers its own
//! series without the pipeline passing handles around, e.g. the container
//! runtime client's lookups:
//! `registry().counter("sensor_runtime_lookups_total", "…", &[("runtime", "containerd"), ("result", "hit")])`.
//! A series is an atomic: updating one on the event path is one relaxed add.

pub mod health;
pub mod pipeline;
pub mod server;

use std::{
    fmt::Write,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc, Mutex, OnceLock,
    },
};

pub type Labels<'a> = &'a [(&'static str, &'a str)];

/// A monotonically increasing count.
#[derive(Clone)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }
    /// For a count a stage keeps itself: raised to `total` (never lowered).
    pub fn advance_to(&self, total: u64) {
        self.0.fetch_max(total, Relaxed);
    }
}

/// A value that goes up and down.
#[derive(Clone)]
pub struct Gauge(Arc<AtomicU64>);

impl Gauge {
    pub fn set(&self, v: u64) {
        self.0.store(v, Relaxed);
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Type {
    Counter,
    Gauge,
}

struct Series {
    labels: Vec<(&'static str, String)>,
    value: Arc<AtomicU64>,
}

struct Family {
    name: &'static str,
    help: &'static str,
    kind: Type,
    series: Vec<Series>,
}

#[derive(Default)]
pub struct Registry {
    families: Mutex<Vec<Family>>,
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let r = Registry::default();
        r.gauge(
            "sensor_build_info",
            "The sensor's version; always 1.",
            &[("version", env!("CARGO_PKG_VERSION"))],
        )
        .set(1);
        r
    })
}

impl Registry {
    /// The counter `name` with `labels`, registered on first use; later
    /// calls with the same name and labels share it.
    pub fn counter(&self, name: &'static str, help: &'static str, labels: Labels) -> Counter {
        Counter(self.series(name, help, Type::Counter, labels))
    }

    pub fn gauge(&self, name: &'static str, help: &'static str, labels: Labels) -> Gauge {
        Gauge(self.series(name, help, Type::Gauge, labels))
    }

    fn series(
        &self,
        name: &'static str,
        help: &'static str,
        kind: Type,
        labels: Labels,
    ) -> Arc<AtomicU64> {
        let mut families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        let i = match families.iter().position(|f| f.name == name) {
            Some(i) => i,
            None => {
                families.push(Family {
                    name,
                    help,
                    kind,
                    series: Vec::new(),
                });
                families.len() - 1
            }
        };
        let family = &mut families[i];
        debug_assert!(family.kind == kind, "{name} registered as two types");
        let same = |s: &&mut Series| {
            s.labels.len() == labels.len()
                && s.labels
                    .iter()
                    .zip(labels)
                    .all(|(a, b)| a.0 == b.0 && a.1 == b.1)
        };
        if let Some(s) = family.series.iter_mut().find(same) {
            return s.value.clone();
        }
        let value = Arc::new(AtomicU64::new(0));
        family.series.push(Series {
            labels: labels.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            value: value.clone(),
        });
        value
    }

    /// Drops every series labelled `label="value"` (a sink removed by a
    /// reload), so stale depths are not reported.
    pub fn forget(&self, label: &str, value: &str) {
        let mut families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        for f in families.iter_mut() {
            f.series
                .retain(|s| !s.labels.iter().any(|(k, v)| *k == label && v == value));
        }
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        for f in families.iter() {
            let kind = match f.kind {
                Type::Counter => "counter",
                Type::Gauge => "gauge",
            };
            let _ = writeln!(
                out,
                "# HELP {} {}\n# TYPE {} {kind}",
                f.name, f.help, f.name
            );
            for s in &f.series {
                out.push_str(f.name);
                if !s.labels.is_empty() {
                    out.push('{');
                    for (i, (k, v)) in s.labels.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "{k}=\"{}\"", escape(v));
                    }
                    out.push('}');
                }
                let _ = writeln!(out, " {}", s.value.load(Relaxed));
            }
        }
        out
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_shared_by_name_and_labels_and_rendered_escaped() {
        let r = Registry::default();
        r.counter("t_total", "Help.", &[("k", "a\"b")]).add(2);
        r.counter("t_total", "Help.", &[("k", "a\"b")]).inc();
        r.gauge("t_depth", "Depth.", &[]).set(7);
        let text = r.render();
        assert!(
            text.contains("# TYPE t_total counter\nt_total{k=\"a\\\"b\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE t_depth gauge\nt_depth 7\n"), "{text}");
        r.forget("k", "a\"b");
        assert!(!r.render().contains("t_total{"));
    }
}
