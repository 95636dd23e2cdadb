//! Capabilities the sensor needs, checked before anything is loaded so the
//! error says what is missing instead of a bare EPERM from bpf(2).

use anyhow::{Context, Result};

use crate::confine::caps::{CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN};

/// The capabilities missing from this process's effective set, by name.
pub fn missing() -> Result<Vec<&'static str>> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .context("no CapEff line in /proc/self/status")?;
    let has = |cap: u32| eff & (1 << cap) != 0;
    if has(CAP_SYS_ADMIN) {
        return Ok(vec![]);
    }
    Ok([(CAP_BPF, "CAP_BPF"), (CAP_PERFMON, "CAP_PERFMON")]
        .into_iter()
        .filter(|(cap, _)| !has(*cap))
        .map(|(_, name)| name)
        .collect())
}

pub fn advice(missing: &[&str]) -> String {
    format!(
        "missing capabilities {}: the sensor loads eBPF programs and reads other processes' \
         memory. Run it as root (sudo), or grant CAP_BPF and CAP_PERFMON \
         (in Kubernetes: securityContext.capabilities.add), or run the container privileged",
        missing.join(", ")
    )
}
