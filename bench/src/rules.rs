//! The rule sets the workloads run under, the same file for the sensor and
//! auditd: the default rules (the sensor's built-in set, given by
//! `--rules`), plus OSPP's file rules (bench/rules/files.rules), plus
//! their 32-bit lines (bench/rules/b32.rules).

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};

const FILES: &str = include_str!("../rules/files.rules");
const B32: &str = include_str!("../rules/b32.rules");

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleSet {
    /// `--rules` (rules/default.rules): execs, sockets, connections,
    /// executable mappings; every syscall it names has a program of its own.
    Default,
    /// Default plus OSPP's 64-bit file rules: the generic programs attached
    /// to open, openat, creat, unlink, rename… (`syscalls:` tracepoints).
    Files,
    /// Files plus the same rules' 32-bit lines: the compat programs attached
    /// to `raw_syscalls`, where they see every syscall.
    FilesB32,
}

impl RuleSet {
    pub fn name(self) -> &'static str {
        match self {
            RuleSet::Default => "default",
            RuleSet::Files => "files",
            RuleSet::FilesB32 => "files-b32",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            RuleSet::Default => "rules/default.rules (the sensor's built-in set)",
            RuleSet::Files => {
                "default + bench/rules/files.rules (OSPP v4.2's create, access and delete \
                 success rules, 64-bit lines, as Debian ships them)"
            }
            RuleSet::FilesB32 => "files + bench/rules/b32.rules (the same rules' 32-bit lines)",
        }
    }

    fn text(self, default: &str) -> String {
        match self {
            RuleSet::Default => default.to_owned(),
            RuleSet::Files => format!("{default}\n{FILES}"),
            RuleSet::FilesB32 => format!("{default}\n{FILES}\n{B32}"),
        }
    }
}

/// Writes each of `sets` into `dir`, built on the `default` rules file.
pub fn write(default: &Path, sets: &[RuleSet], dir: &Path) -> Result<BTreeMap<RuleSet, PathBuf>> {
    let base = fs::read_to_string(default)
        .with_context(|| format!("reading the rules {}", default.display()))?;
    sets.iter()
        .map(|&set| {
            let path = dir.join(format!("{}.rules", set.name()));
            fs::write(&path, set.text(&base))
                .with_context(|| format!("writing {}", path.display()))?;
            Ok((set, path))
        })
        .collect()
}
