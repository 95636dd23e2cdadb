//! `--config PATH`: a YAML file with a key for every flag (the flag's
//! name with `_` for `-`: `--ring-buffer-size` is `ring_buffer_size`) and
//! `outputs`, a list of sinks with their options. Flags given on the
//! command line win over the file; `--output` flags replace its
//! `outputs`. SIGHUP resolves everything again.
//!
//! The file's values go through the same parsers as the flags, one key at
//! a time, so a bad value is an error naming its key (and line).

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{bail, Context, Result};
use clap::{parser::ValueSource, CommandFactory, FromArgMatches, Parser};
use serde::Deserialize;

use crate::{
    cli::{Cli, Reloadable},
    enrich,
    filter::scope::Selectors,
    pipeline, rules,
    sink::{self, SinkOptions, Size, Spec},
};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    format: Option<String>,
    rules: Option<PathBuf>,
    skip_unsupported_rules: Option<bool>,
    btf: Option<PathBuf>,
    ring_buffer_size: Option<Size>,
    argv_max: Option<Size>,
    process_events: Option<bool>,
    tty_max_record: Option<Size>,
    tty_rate: Option<Size>,
    node_name: Option<String>,
    ebpf_log: Option<bool>,
    verbose: Option<u8>,
    metrics_addr: Option<String>,
    metrics_token_file: Option<PathBuf>,
    metrics_token_env: Option<String>,
    spool_dir: Option<PathBuf>,
    spool_size: Option<Size>,
    queue_size: Option<Size>,
    cluster_name: Option<String>,
    runtime_endpoints: Option<Vec<String>>,
    metadata_wait: Option<u64>,
    metadata_retention: Option<u64>,
    pod_annotations: Option<Vec<String>>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    outputs: Option<Vec<SinkOptions>>,
}

impl ConfigFile {
    /// Each key given, as the command-line arguments it stands for.
    fn args(&self) -> Vec<(&'static str, Vec<String>)> {
        let mut args = Vec::new();
        let mut value = |key: &'static str, v: Option<String>| {
            if let Some(v) = v {
                args.push((key, vec![format!("--{}", key.replace('_', "-")), v]));
            }
        };
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let size = |s: &Option<Size>| s.map(|s| s.0.to_string());
        value("format", self.format.clone());
        value("rules", path(&self.rules));
        value("btf", path(&self.btf));
        value("ring_buffer_size", size(&self.ring_buffer_size));
        value("argv_max", size(&self.argv_max));
        value("tty_max_record", size(&self.tty_max_record));
        value("tty_rate", size(&self.tty_rate));
        value("node_name", self.node_name.clone());
        value("metrics_addr", self.metrics_addr.clone());
        value("metrics_token_file", path(&self.metrics_token_file));
        value("metrics_token_env", self.metrics_token_env.clone());
        value("spool_dir", path(&self.spool_dir));
        value("spool_size", size(&self.spool_size));
        value("queue_size", size(&self.queue_size));
        value("cluster_name", self.cluster_name.clone());
        value("metadata_wait", self.metadata_wait.map(|n| n.to_string()));
        value(
            "metadata_retention",
            self.metadata_retention.map(|n| n.to_string()),
        );
        // Lists: the flag once per item (`runtime_endpoints` is the flag
        // `--runtime-endpoint` given again and again).
        for (key, flag, items) in [
            (
                "runtime_endpoints",
                "--runtime-endpoint",
                &self.runtime_endpoints,
            ),
            ("pod_annotations", "--pod-annotation", &self.pod_annotations),
            ("include", "--include", &self.include),
            ("exclude", "--exclude", &self.exclude),
        ] {
            if let Some(items) = items {
                let flags = items.iter().flat_map(|i| [flag.to_owned(), i.clone()]);
                args.push((key, flags.collect()));
            }
        }
        for (key, on) in [
            ("skip_unsupported_rules", self.skip_unsupported_rules),
            ("process_events", self.process_events),
            ("ebpf_log", self.ebpf_log),
        ] {
            if on == Some(true) {
                args.push((key, vec![format!("--{}", key.replace('_', "-"))]));
            }
        }
        if let Some(n) = self.verbose.filter(|n| *n > 0) {
            args.push(("verbose", vec![format!("-{}", "v".repeat(n.into()))]));
        }
        args
    }
}

/// Everything the sensor runs with: options and outputs.
pub struct Settings {
    pub cli: Cli,
    pub outputs: Vec<Spec>,
}

impl Settings {
    /// The reloadable settings, split by what applies them: the same at
    /// start and on SIGHUP. Every field is named, so a setting added to
    /// [`Reloadable`] must be given to one of them.
    pub fn applied(&self) -> Applied {
        let Reloadable {
            // Resolved, with the file's `outputs`, into `self.outputs`.
            outputs: _,
            spool_dir,
            spool_size,
            queue_size,
            format,
            rules,
            skip_unsupported_rules,
            process_events,
            tty_rate,
            node_name,
            cluster_name,
            metadata_wait,
            metadata_retention,
            include,
            exclude,
            metrics_token_file,
            metrics_token_env,
            verbose,
        } = &self.cli.options.reloadable;
        let node = enrich::node_name(node_name.clone());
        Applied {
            stages: pipeline::Settings {
                format: *format,
                node: node.clone(),
                cluster: enrich::cluster_name(cluster_name.clone()),
                process_events: *process_events,
                tty_rate: *tty_rate,
                metadata_wait: Duration::from_millis(*metadata_wait),
                metadata_retention: Duration::from_secs(*metadata_retention),
                scope: Selectors {
                    include: include.clone(),
                    exclude: exclude.clone(),
                },
            },
            outputs: self.outputs.clone(),
            sinks: sink::Defaults {
                spool_dir: spool_dir.clone(),
                spool_size: *spool_size,
                queue_size: *queue_size,
                node,
            },
            rules: rules.clone(),
            skip_unsupported_rules: *skip_unsupported_rules,
            metrics_token: MetricsToken {
                file: metrics_token_file.clone(),
                env: metrics_token_env.clone(),
            },
            verbose: *verbose,
        }
    }
}

/// [`Reloadable`] settings as their users take them.
pub struct Applied {
    pub stages: pipeline::Settings,
    pub outputs: Vec<Spec>,
    pub sinks: sink::Defaults,
    /// Where the rules come from (None: the built-in default).
    pub rules: Option<PathBuf>,
    pub skip_unsupported_rules: bool,
    pub metrics_token: MetricsToken,
    pub verbose: u8,
}

impl Applied {
    /// Reads the rules; their warnings and notes are logged.
    pub fn load_rules(&self) -> Result<rules::RuleFile> {
        let rules = match &self.rules {
            Some(path) => rules::load(path, self.skip_unsupported_rules)?,
            None => rules::builtin_default(),
        };
        for warning in &rules.warnings {
            log::warn!("{warning}");
        }
        for note in &rules.notes {
            log::info!("{note}");
        }
        Ok(rules)
    }
}

/// Where the metrics server's bearer token comes from
/// (`--metrics-token-file`, `--metrics-token-env`).
pub struct MetricsToken {
    pub file: Option<PathBuf>,
    pub env: Option<String>,
}

impl MetricsToken {
    /// The token (never logged), read now.
    pub fn read(&self) -> Result<Option<String>> {
        sink::http::secret(
            (self.env.as_deref(), "--metrics-token-env"),
            (self.file.as_deref(), "--metrics-token-file"),
        )
    }
}

/// The command line `args` (program name first) and the file it names.
pub fn resolve(args: Vec<OsString>) -> Result<Settings> {
    let given = Cli::command().try_get_matches_from(&args)?;
    let from_flags = Cli::from_arg_matches(&given)?;
    let Some(path) = from_flags.options.restart_only.config.clone() else {
        check_names(&from_flags)?;
        let outputs = outputs(&from_flags, None)?;
        return Ok(Settings {
            cli: from_flags,
            outputs,
        });
    };
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading the configuration file {} (--config)",
            path.display()
        )
    })?;
    let file: ConfigFile = if text.trim().is_empty() {
        ConfigFile::default()
    } else {
        serde_yaml::from_str(&text).with_context(|| format!("in {}", path.display()))?
    };
    let program = args.first().cloned().unwrap_or_else(|| "sensor".into());
    let mut merged = vec![program.clone()];
    for (key, key_args) in file.args() {
        if given.value_source(key) == Some(ValueSource::CommandLine) {
            continue;
        }
        // This key alone, so an error names it.
        let alone = [program.clone()]
            .into_iter()
            .chain(key_args.iter().map(OsString::from));
        if let Err(e) = Cli::try_parse_from(alone) {
            let reason = e.to_string();
            let reason = reason
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            bail!(
                "{}: `{key}`{}: {reason}",
                path.display(),
                line_of(&text, key)
            );
        }
        merged.extend(key_args.into_iter().map(OsString::from));
    }
    merged.extend(args.into_iter().skip(1));
    let cli = Cli::try_parse_from(merged)?;
    check_names(&cli)?;
    let outputs = outputs(&cli, file.outputs.map(|o| (path.as_path(), o)))?;
    Ok(Settings { cli, outputs })
}

/// Longest node or cluster name: a DNS name's (Kubernetes node names are
/// DNS subdomains). Every record carries it.
const NAME_MAX: usize = 253;

/// The node and cluster names, from the flags, the file or the
/// environment: bounded, one word of printable characters. The value
/// itself is never echoed (it may be huge).
fn check_names(cli: &Cli) -> Result<()> {
    let o = &cli.options.reloadable;
    for (what, flag, var, given) in [
        ("node", "--node-name", "NODE_NAME", &o.node_name),
        ("cluster", "--cluster-name", "CLUSTER_NAME", &o.cluster_name),
    ] {
        let (name, from) = match given {
            Some(n) => (
                n.clone(),
                format!("{flag} or `{}`", &flag[2..].replace('-', "_")),
            ),
            None => match std::env::var_os(var) {
                Some(v) if !v.is_empty() => (v.to_string_lossy().into_owned(), format!("${var}")),
                _ => continue,
            },
        };
        if name.is_empty() || name.len() > NAME_MAX {
            bail!(
                "the {what} name ({from}) is {} bytes long: give 1 to {NAME_MAX} (a DNS name)",
                name.len()
            );
        }
        if name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\u{fffd}')
        {
            bail!(
                "the {what} name ({from}) holds spaces, control characters or bytes that are \
                 not UTF-8: give a DNS name"
            );
        }
    }
    Ok(())
}

/// ` (line N)` where `key` is set at the top level of the file.
fn line_of(text: &str, key: &str) -> String {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map(|i| format!(" (line {})", i + 1))
        .unwrap_or_default()
}

/// `--output` flags if any, else the file's `outputs`, else stdout.
fn outputs(cli: &Cli, file: Option<(&Path, Vec<SinkOptions>)>) -> Result<Vec<Spec>> {
    let flags = &cli.options.reloadable.outputs;
    if !flags.is_empty() {
        return flags
            .iter()
            .map(|url| {
                let entry = SinkOptions {
                    url: Some(url.clone()),
                    ..Default::default()
                };
                sink::parse(&format!("--output {}", sink::redact(url)), entry)
            })
            .collect();
    }
    match file {
        Some((path, entries)) if !entries.is_empty() => entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| sink::parse(&format!("{}: `outputs[{i}]`", path.display()), entry))
            .collect(),
        _ => sink::parse(
            "the default output",
            SinkOptions {
                url: Some("stdout".into()),
                ..Default::default()
            },
        )
        .map(|s| vec![s]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_with(yaml: &str, flags: &[&str]) -> Result<Settings> {
        // One file per call: tests run in parallel, and two files of the
        // same length were one name (a test removed another's file).
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "sensor-config-{}-{}.yaml",
            std::process::id(),
            CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&path, yaml).unwrap();
        let mut args: Vec<OsString> = vec!["sensor".into(), "--config".into(), path.clone().into()];
        args.extend(flags.iter().map(OsString::from));
        let r = resolve(args);
        std::fs::remove_file(path).unwrap();
        r
    }

    #[test]
    fn flags_win_over_the_file() {
        let s = resolve_with(
            "format: auditd\nring_buffer_size: 64K\nprocess_events: true\noutputs:\n  - url: file:///tmp/a.log\n    keep: 3\n",
            &["--ring-buffer-size", "131072"],
        )
        .unwrap();
        let o = &s.cli.options;
        assert!(matches!(o.reloadable.format, crate::cli::Format::Auditd));
        assert_eq!(o.restart_only.ring_buffer_size, 131072);
        assert!(o.reloadable.process_events);
        assert_eq!(s.outputs.len(), 1);
        assert_eq!(s.outputs[0].options.keep, Some(3));
        let s = resolve_with(
            "outputs:\n  - url: file:///tmp/a.log\n",
            &["--output", "stdout"],
        )
        .unwrap();
        assert_eq!(s.outputs[0].name, "stdout");
    }

    #[test]
    fn errors_name_the_key() {
        let e = format!(
            "{:#}",
            resolve_with("format: json\nring_buffer_size: 1000\n", &[])
                .err()
                .unwrap()
        );
        assert!(e.contains("`ring_buffer_size` (line 2)"), "{e}");
        let e = format!(
            "{:#}",
            resolve_with("format: json\nrign_buffer_size: 4096\n", &[])
                .err()
                .unwrap()
        );
        assert!(
            e.contains("unknown field `rign_buffer_size`") && e.contains("line 2"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            resolve_with("outputs:\n  - url: stdout\n    keep: 2\n", &[])
                .err()
                .unwrap()
        );
        assert!(
            e.contains("`outputs[0]`") && e.contains("`keep` does not apply"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            resolve_with("outputs:\n  - url: syslog+tcp://h:514?facilty=auth\n", &[])
                .err()
                .unwrap()
        );
        assert!(e.contains("unknown field `facilty`"), "{e}");
    }

    #[test]
    fn attribution_and_scope_keys() {
        let s = resolve_with(
            "cluster_name: prod-eu\nruntime_endpoints: [unix:///run/a.sock, /run/b.sock]\n\
             metadata_wait: 250\npod_annotations: [owner]\n\
             exclude: [namespace=kube-system, host]\ninclude: ['label:app=web']\n",
            &["--exclude", "pod=noisy-*"],
        )
        .unwrap();
        let (o, r) = (&s.cli.options.reloadable, &s.cli.options.restart_only);
        assert_eq!(o.cluster_name.as_deref(), Some("prod-eu"));
        assert_eq!(r.runtime_endpoints, ["unix:///run/a.sock", "/run/b.sock"]);
        assert_eq!(o.metadata_wait, 250);
        assert_eq!(r.pod_annotations, ["owner"]);
        assert_eq!(o.include.len(), 1);
        // The flag wins over the file's list, as for every key.
        assert_eq!(o.exclude.len(), 1);
        let e = format!(
            "{:#}",
            resolve_with("exclude: [kube-system]\n", &[]).err().unwrap()
        );
        assert!(
            e.contains("`exclude` (line 1)") && e.contains("expected host"),
            "{e}"
        );
    }
}
