//! Command line.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use sensor_common::{
    exec::{ARGV_CAP_DEFAULT, ARGV_CAP_MAX},
    tty::{TTY_DATA_CAP, TTY_DATA_DEFAULT},
};

use crate::{filter::scope::Selector, load::btf::DEFAULT_BTF};

#[derive(Parser)]
#[command(
    name = "sensor",
    version,
    about = "eBPF syscall audit sensor: auditd-equivalent records, without auditd.",
    long_about = "eBPF syscall audit sensor: auditd-equivalent records, without auditd.\n\n\
        With no command, attaches the programs its audit rules need, writes one record per \
        event per line to stdout and logs to stderr; `ready` is logged once everything is \
        attached. \
        SIGINT or SIGTERM stop it after writing what was already read (sinks that cannot \
        take it spool it to disk for the next run). SIGHUP reloads the rules and the \
        configuration file; SIGUSR1 reopens output files (logrotate)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub options: Options,
}

#[derive(Subcommand)]
pub enum Command {
    /// Preflight: privileges, BTF, tracefs and every program's attach point,
    /// with the fix for whatever is missing. Exits non-zero if anything is.
    Check {
        /// Write the verifier's whole log of each program the kernel
        /// refuses to DIR/<program>.log (for a bug report).
        #[arg(long, value_name = "DIR")]
        verifier_log: Option<PathBuf>,
        /// Load each program a second time to report what it costs the
        /// verifier (instructions processed, stack depth) against the
        /// oldest supported kernel's limits.
        #[arg(long)]
        verifier_stats: bool,
    },
    /// Benchmarking: runs records kept by --record-raw through decode,
    /// enrich, filter and render to stdout, and logs records/s per core.
    #[command(hide = true)]
    Replay {
        /// A file written by --record-raw.
        file: PathBuf,
    },
}

/// Every setting, split by what SIGHUP does with it: a setting is in one
/// of the two, so its type, not what a reload happens to copy, decides
/// whether a reload applies it.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    pub reloadable: Reloadable,
    #[command(flatten)]
    pub restart_only: RestartOnly,
}

/// What SIGHUP applies, from the command line and the configuration file
/// read again.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Applied again on SIGHUP")]
pub struct Reloadable {
    /// Where records go; repeat for several (default stdout): stdout,
    /// file:///PATH, syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT,
    /// syslog+tls://HOST:PORT, http(s)://HOST:PORT/PATH (JSON lines POSTed),
    /// https://HOST:PORT/services/collector/event (Splunk HEC). Options go in
    /// the query string: file:///var/log/sensor.log?max_size=100M&keep=5.
    #[arg(long = "output", value_name = "URL", global = true)]
    pub outputs: Vec<String>,

    /// Where each sink spools (in a directory of its own) what it cannot
    /// send yet; kept across restarts.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/var/lib/sensor/spool",
        global = true
    )]
    pub spool_dir: PathBuf,

    /// Most bytes each sink spools; past it the newest records are dropped,
    /// counted, and reported in a LOST record.
    #[arg(long, value_name = "BYTES", default_value = "256M", value_parser = crate::sink::parse_spool_size, global = true)]
    pub spool_size: u64,

    /// Bytes each sink holds in memory before it spools to disk.
    #[arg(long, value_name = "BYTES", default_value = "16M", value_parser = crate::sink::parse_queue_size, global = true)]
    pub queue_size: u64,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json, global = true)]
    pub format: Format,

    /// Audit rules in auditctl syntax: a file, or a directory such as
    /// /etc/audit/rules.d (its *.rules files, in name order). Without it, the
    /// built-in rules (rules/default.rules) record every class. SIGHUP
    /// reloads them.
    #[arg(long, value_name = "PATH", global = true)]
    pub rules: Option<PathBuf>,

    /// Skip rules the sensor cannot honour (file watches, syscalls it does
    /// not trace…) with a warning each, instead of refusing to start.
    #[arg(long, global = true)]
    pub skip_unsupported_rules: bool,

    /// Write fork and exit records (FORK, EXIT). They always keep the
    /// process tree exact; this makes them part of the output too.
    #[arg(long, global = true)]
    pub process_events: bool,

    /// Most bytes of terminal data kept per login session and second; the
    /// excess is cut and counted (TRUNCATED).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024, global = true)]
    pub tty_rate: u32,

    /// Node name in every record's NODE (default: $NODE_NAME, else the host name).
    #[arg(long, value_name = "NAME", global = true)]
    pub node_name: Option<String>,

    /// Cluster name in every record's CLUSTER (default: $CLUSTER_NAME).
    #[arg(long, value_name = "NAME", global = true)]
    pub cluster_name: Option<String>,

    /// Longest an event waits for its container's metadata, in
    /// milliseconds, before it is written with the container id alone.
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(0..=METADATA_WAIT_MAX), global = true)]
    pub metadata_wait: u64,

    /// How long a container's metadata is kept after it is gone, in
    /// seconds (its last events may still be in flight).
    #[arg(long, value_name = "SECONDS", default_value_t = 300, global = true)]
    pub metadata_retention: u64,

    /// Audit only these workloads (repeatable, any may match): `host`,
    /// `namespace=NS`, `pod=NAME`, `label:KEY=VALUE`, `container=NAME`,
    /// `image=IMAGE`; values may use `*`.
    #[arg(long, value_name = "SELECTOR", global = true)]
    pub include: Vec<Selector>,

    /// Never audit these workloads (repeatable; same selectors as
    /// --include), e.g. `--exclude namespace=kube-system`. Applied in the
    /// kernel once a cgroup is known to match.
    #[arg(long, value_name = "SELECTOR", global = true)]
    pub exclude: Vec<Selector>,

    /// /metrics answers only requests with `Authorization: Bearer TOKEN`,
    /// the token read from this file at start and on SIGHUP (never logged).
    #[arg(
        long,
        value_name = "PATH",
        global = true,
        conflicts_with = "metrics_token_env"
    )]
    pub metrics_token_file: Option<PathBuf>,

    /// As --metrics-token-file, the token from this environment variable.
    #[arg(long, value_name = "NAME", global = true)]
    pub metrics_token_env: Option<String>,

    /// More log output on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// What the sensor takes at start only: the kernel programs are loaded
/// with it; or applying it would take a new listening socket or a new
/// event loop (the metrics address, the container runtime lookup), which
/// the seccomp filter installed once the programs are attached denies; or
/// only the command line gives it. SIGHUP names each one that changed.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Taken at start (a change needs a restart)")]
pub struct RestartOnly {
    /// YAML configuration file: a key for every option here (`--tty-rate`
    /// is `tty_rate`) and `outputs` with per-sink options. Flags win over
    /// it. SIGHUP reads it again.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,

    /// Serve Prometheus metrics at /metrics, and /healthz and /readyz, on
    /// IP:PORT (brackets around any IP are accepted: `[$(POD_IP)]:9090`).
    #[arg(long, value_name = "ADDR", value_parser = metrics_addr, global = true)]
    pub metrics_addr: Option<SocketAddr>,

    /// A container runtime's CRI endpoint, asked for container names,
    /// images and pods (repeatable; `none`: ask no runtime). Default:
    /// containerd's and CRI-O's sockets.
    #[arg(long = "runtime-endpoint", value_name = "unix:///PATH", global = true)]
    pub runtime_endpoints: Vec<String>,

    /// A pod annotation to copy into K8S.ANNOTATIONS (repeatable).
    #[arg(long = "pod-annotation", value_name = "KEY", global = true)]
    pub pod_annotations: Vec<String>,

    /// Kernel BTF to resolve struct offsets from.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_BTF, global = true)]
    pub btf: PathBuf,

    /// Size of the kernel-to-sensor ring buffer in bytes: a power of two,
    /// at least one page. Larger rides out longer bursts without loss.
    #[arg(long, value_name = "BYTES", default_value_t = 8 << 20, value_parser = ring_size, global = true)]
    pub ring_buffer_size: u32,

    /// Most bytes of an exec's argv to record; longer argv is cut and the
    /// record says so (EXECVE.TRUNCATED).
    #[arg(long, value_name = "BYTES", default_value_t = ARGV_CAP_DEFAULT as u32,
          value_parser = clap::value_parser!(u32).range(1..=ARGV_CAP_MAX as i64), global = true)]
    pub argv_max: u32,

    /// Most bytes of terminal data per TTY record; the rest of a longer
    /// read or write is counted (TRUNCATED), not kept.
    #[arg(long, value_name = "BYTES", default_value_t = TTY_DATA_DEFAULT as u32,
          value_parser = clap::value_parser!(u32).range(1..=TTY_DATA_CAP as i64), global = true)]
    pub tty_max_record: u32,

    /// Log errors met by the kernel programs (through aya-log) to stderr.
    #[arg(long, global = true)]
    pub ebpf_log: bool,

    /// Benchmarking: also append every raw ring-buffer record, length
    /// prefixed, to FILE (for `sensor replay`).
    #[arg(long, value_name = "FILE", hide = true)]
    pub record_raw: Option<PathBuf>,
}

/// `changed(&self, new)`: the names (the configuration file's keys) of
/// the settings that differ in `new`. The pattern names every field, so a
/// field added to the struct and not listed here does not compile.
macro_rules! changed {
    ($settings:ident { $($field:ident),* $(,)? }) => {
        impl $settings {
            pub fn changed(&self, new: &Self) -> Vec<&'static str> {
                let $settings { $($field),* } = self;
                let mut names = Vec::new();
                $(
                    if *$field != new.$field {
                        names.push(stringify!($field));
                    }
                )*
                names
            }
        }
    };
}

changed!(Reloadable {
    outputs,
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
});

changed!(RestartOnly {
    config,
    metrics_addr,
    runtime_endpoints,
    pod_annotations,
    btf,
    ring_buffer_size,
    argv_max,
    tty_max_record,
    ebpf_log,
    record_raw,
});

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Format {
    /// laurel-compatible JSON, one object per event per line.
    Json,
    /// auditd's own text format, as /var/log/audit/audit.log holds it.
    Auditd,
}

/// Events wait for their container's metadata in memory: at most a minute.
const METADATA_WAIT_MAX: u64 = 60_000;
/// The ring buffer is locked kernel memory, charged to the sensor.
const RING_MAX: u32 = 1 << 30;

fn ring_size(s: &str) -> Result<u32, String> {
    let n: u32 = s.parse().map_err(|e| format!("{e}"))?;
    if n < 4096 || !n.is_power_of_two() {
        return Err(format!("{n} is not a power of two of at least 4096"));
    }
    if n > RING_MAX {
        return Err(format!("{n} is more than {} (1 GiB)", RING_MAX));
    }
    Ok(n)
}

/// IP:PORT, with the IP in brackets or not whatever its family, so that one
/// manifest line (`[$(POD_IP)]:9090`) serves IPv4 and IPv6 pods.
fn metrics_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse() {
        return Ok(addr);
    }
    let bad = || format!("{s:?} is not IP:PORT (e.g. 127.0.0.1:9090, [::1]:9090)");
    let (ip, port) = s
        .strip_prefix('[')
        .and_then(|r| r.split_once("]:"))
        .ok_or_else(bad)?;
    let ip: std::net::IpAddr = ip.parse().map_err(|_| bad())?;
    Ok(SocketAddr::new(ip, port.parse().map_err(|_| bad())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_size_must_be_a_power_of_two_page_multiple() {
        assert_eq!(ring_size("65536"), Ok(65536));
        assert!(ring_size("1000").is_err());
        assert!(ring_size("2048").is_err());
        assert!(ring_size("lots").is_err());
        assert!(ring_size(&(2u64 << 30).to_string()).is_err());
    }

    #[test]
    fn metrics_addresses_take_brackets_for_either_family() {
        assert_eq!(
            metrics_addr("[10.1.2.3]:9090"),
            Ok("10.1.2.3:9090".parse().unwrap())
        );
        assert_eq!(
            metrics_addr("[fd00::1]:9090"),
            Ok("[fd00::1]:9090".parse().unwrap())
        );
        assert_eq!(
            metrics_addr("127.0.0.1:1"),
            Ok("127.0.0.1:1".parse().unwrap())
        );
        for bad in ["fd00::1:9090", "[10.1.2.3]", "nowhere", "[]:1"] {
            assert!(metrics_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
