//! What some supported kernels have and others lack, probed at start-up.
//! A missing requirement stops start-up, naming the kernel version that
//! has it; a missing option degrades a named record or field, logged once
//! at start and listed by `sensor check`, never a verifier dump.

use anyhow::{bail, Result};
use aya::{maps::MapType, sys::is_map_supported};

use super::tracefs::Tracefs;

/// One probed feature.
pub struct Feature {
    pub name: &'static str,
    pub present: bool,
    /// The first kernel release that has it.
    pub since: &'static str,
    /// What the sensor does without it.
    pub without: &'static str,
}

/// The optional features, probed on the running kernel.
pub fn probe(tracefs: &Tracefs) -> Vec<Feature> {
    vec![Feature {
        name: "sched_process_exit.group_dead",
        present: tracefs
            .field_offset("sched/sched_process_exit", "group_dead")
            .is_some(),
        since: "6.16",
        without: "a process's EXIT record is written when its thread-group leader exits, \
                      even if other threads outlive it (their exit status is not the process's)",
    }]
}

/// What the sensor cannot run without.
pub fn require() -> Result<()> {
    if !is_map_supported(MapType::RingBuf).unwrap_or(true) {
        bail!(
            "this kernel has no BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8 and later): \
             the sensor needs Linux 5.8 or later (it is tested on 5.10 to 7.x)"
        );
    }
    Ok(())
}

/// Logs each missing feature once, with what the sensor does without it.
pub fn log_missing(features: &[Feature]) {
    for f in features.iter().filter(|f| !f.present) {
        log::warn!(
            "this kernel lacks {} (Linux {} and later): {}",
            f.name,
            f.since,
            f.without
        );
    }
}
