//! What some supported kernels have and others lack, probed at start-up.
//! A missing requirement stops start-up, naming the kernel version that
//! has it; a missing option degrades a named record or field, logged once
//! at start and listed by `sensor check`, never a verifier dump.

use anyhow::{bail, Result};
use aya::{maps::MapType, sys::is_map_supported};

use sensor_common::config::vma_lookup;

use super::Kernel;

/// One probed feature.
pub struct Feature {
    pub name: &'static str,
    pub present: bool,
    /// What has it: the first kernel release, or what else it takes.
    pub needs: &'static str,
    /// What the sensor does without it.
    pub without: &'static str,
}

/// The optional features, probed on the running kernel.
pub fn probe(kernel: &Kernel) -> Vec<Feature> {
    vec![
        Feature {
            name: "sched_process_exit.group_dead",
            present: kernel
                .tracefs
                .field_offset("sched/sched_process_exit", "group_dead")
                .is_some(),
            needs: "Linux 6.16 and later",
            without: "a process's EXIT record is written when its thread-group leader exits, \
                      even if other threads outlive it (their exit status is not the process's)",
        },
        Feature {
            name: "the VMAs of an exec's new image",
            present: kernel.vma_lookup != vma_lookup::NONE,
            needs: "mm_struct.mmap (to Linux 6.0) or mm_struct.mm_mt (6.1 on) in BTF",
            without: "exec records lack the ELF interpreter's PATH item",
        },
        Feature {
            name: "____fput's address",
            present: kernel.fput_fn.is_some(),
            needs: "/proc/kallsyms showing it: CAP_SYSLOG, and kernel.kptr_restrict below 2",
            without: "the PATH item of a #! script lacks the script's own inode (nametype=UNKNOWN)",
        },
    ]
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
        log::warn!("this kernel lacks {} ({}): {}", f.name, f.needs, f.without);
    }
}
