//! The rules' kernel side, in one owner: the loaded programs, which of
//! them are attached, the rules' prefilter maps and the map of cgroups
//! excluded from the audit. [`KernelSide::apply`] makes the kernel match
//! a rule set and the scope's selectors, the same way at start and on
//! SIGHUP.

use std::collections::HashSet;

use anyhow::{Context, Result};
use aya::{
    maps::{HashMap as BpfHashMap, MapData},
    Ebpf,
};
use sensor_common::{
    maps,
    scope::{CgroupKey, SCOPE_EXCLUDED_MAX},
};

use super::{attach::Attachments, tracefs::Tracefs, LoadOptions};
use crate::{filter::scope::Selectors, rules::RuleFile};

pub struct KernelSide {
    ebpf: Ebpf,
    attached: Attachments,
    /// The programs were loaded recording every mmap (`LoadOptions::mmap_all`).
    mmap_all: bool,
    /// The kernel's exclusion map, when the programs were loaded to look
    /// each event's cgroup up in it (`LoadOptions::scope_exclusions`).
    excluded: Option<Excluded>,
    /// The selectors the exclusion map was filled for.
    selectors: Selectors,
}

/// The `SCOPE_EXCLUDED` map and what is in it.
struct Excluded {
    map: BpfHashMap<MapData, CgroupKey, u8>,
    keys: HashSet<CgroupKey>,
}

impl KernelSide {
    /// Takes the loaded programs (the reader and the loss monitor have
    /// taken their maps already); nothing is attached until [`Self::apply`].
    pub fn new(mut ebpf: Ebpf, opts: &LoadOptions, tracefs: Tracefs) -> Result<Self> {
        let excluded = if opts.scope_exclusions {
            let map = ebpf
                .take_map(maps::SCOPE_EXCLUDED)
                .with_context(|| format!("the {} map is missing", maps::SCOPE_EXCLUDED))?;
            Some(Excluded {
                map: map.try_into()?,
                keys: HashSet::new(),
            })
        } else {
            None
        };
        Ok(Self {
            ebpf,
            attached: Attachments::new(tracefs),
            mmap_all: opts.mmap_all,
            excluded,
            selectors: Selectors::default(),
        })
    }

    /// Whether the programs drop the events of the cgroups given to
    /// [`Self::exclude`].
    pub fn excludes_cgroups(&self) -> bool {
        self.excluded.is_some()
    }

    /// Makes the kernel match `rules` (prefilter maps, attached programs;
    /// None: the rules in place stay) and `selectors` (cgroups excluded
    /// under other selectors are in scope again until found out of it).
    /// What the loaded programs cannot do is said, for a restart.
    pub fn apply(&mut self, rules: Option<&RuleFile>, selectors: &Selectors) -> Result<()> {
        if *selectors != self.selectors {
            match &mut self.excluded {
                Some(excluded) => {
                    for key in excluded.keys.drain() {
                        if let Err(e) = excluded.map.remove(&key) {
                            log::warn!("readmitting a cgroup in the kernel: {e}");
                        }
                    }
                }
                None if selectors.any() => log::warn!(
                    "--include/--exclude are applied in userspace; the kernel programs were \
                     loaded without scope exclusions, so they drop an excluded workload's \
                     events only after a restart"
                ),
                None => {}
            }
            self.selectors = selectors.clone();
        }
        let Some(rules) = rules else {
            return Ok(());
        };
        if !self.mmap_all && !rules.mmap_needs_only_exec() {
            log::warn!(
                "the rules record mmaps without PROT_EXEC, which the kernel programs loaded at \
                 start drop; restart the sensor to record them"
            );
        }
        super::set_rules(&mut self.ebpf, rules)?;
        self.attached.sync(&mut self.ebpf, &rules.traced())
    }

    /// Excludes `cgroups` (found out of scope) in the kernel, up to the
    /// map's size.
    pub fn exclude(&mut self, cgroups: Vec<(CgroupKey, String)>) {
        let Some(excluded) = &mut self.excluded else {
            return;
        };
        for (key, path) in cgroups {
            if excluded.keys.len() < SCOPE_EXCLUDED_MAX as usize && excluded.keys.insert(key) {
                if let Err(e) = excluded.map.insert(key, 1, 0) {
                    log::warn!("excluding cgroup {path} in the kernel: {e}");
                }
            }
        }
    }

    /// Programs attached.
    pub fn attached(&self) -> usize {
        self.attached.len()
    }

    /// Detaches every program, then gives programs already running on
    /// other CPUs a moment to finish (their maps still there: dropping the
    /// program arrays first would fail their tail calls) before unloading.
    pub async fn unload(mut self) -> Result<()> {
        self.attached.detach_all(&mut self.ebpf)?;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(self.ebpf);
        Ok(())
    }
}
