//! Stage 7, sink: where rendered lines go. Several at once, each with its
//! own queue, disk spool and delivery task ([`queue`]), so a slow or
//! unreachable destination never holds up the pipeline or the others, and
//! its own [`ledger`] of what it owes, so a crash loses nothing unreported.
//!
//! A sink is named by a URL, with options in its query string or, in the
//! config file, as keys beside `url`:
//! `stdout`, `file:///path`, `syslog+udp://`, `syslog+tcp://`,
//! `syslog+tls://`, `http(s)://…` (JSON lines POSTed), and
//! `http(s)://…/services/collector/event` (Splunk HEC).

pub mod batch;
pub mod file;
pub mod fs;
pub mod hec;
pub mod http;
pub mod ledger;
pub mod net;
pub mod queue;
pub mod spool;
pub mod stdout;
pub mod syslog;
pub mod tls;

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::metrics::registry;
use batch::Batch;
pub use ledger::Intake;
pub use queue::Queue;

/// A byte size: a number, or a string with a K, M or G suffix (powers of 1024).
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
#[serde(try_from = "serde_yaml::Value", into = "u64")]
pub struct Size(pub u64);

impl From<Size> for u64 {
    fn from(s: Size) -> u64 {
        s.0
    }
}

impl TryFrom<serde_yaml::Value> for Size {
    type Error = String;
    fn try_from(v: serde_yaml::Value) -> Result<Self, String> {
        match v {
            serde_yaml::Value::Number(n) => {
                n.as_u64().map(Size).ok_or(format!("{n} is not a size"))
            }
            serde_yaml::Value::String(s) => parse_size(&s).map(Size),
            other => Err(format!(
                "{other:?} is not a size (bytes, or a number with K, M or G)"
            )),
        }
    }
}

pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (bytes, or a number with K, M or G)"))?;
    let shift = match unit
        .trim()
        .trim_end_matches(['B', 'b'])
        .trim_end_matches('i')
    {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        _ => return Err(format!("{s:?}: unknown unit (use K, M or G)")),
    };
    n.checked_mul(1 << shift)
        .ok_or(format!("{s:?} is too large"))
}

/// Each sink's memory queue: 0 would send every record to the spool (and
/// with a 0 spool, drop it); at most 1 GiB of memory per sink. Below the
/// pipeline's 1 MiB hand-overs most batches go to the spool: allowed, for
/// tests of the spool, but not a setting to run with.
pub const QUEUE_SIZES: (u64, u64) = (1 << 10, 1 << 30);
/// Each sink's spool: 0 would drop every record the queue cannot hold; at
/// most 1 TiB.
pub const SPOOL_SIZES: (u64, u64) = (1 << 10, 1 << 40);
/// A file sink's `max_size` when not 0: smaller would rotate on nearly
/// every write.
const ROTATE_SIZES: (u64, u64) = (4 << 10, 1 << 40);
/// A file sink's `keep`: each rotation renames every kept file.
const MAX_KEEP: u32 = 1000;

/// `value` if it lies within `(min, max)`, else why not.
pub fn within(value: u64, (min, max): (u64, u64)) -> Result<u64, String> {
    let human = |n: u64| match n.trailing_zeros() {
        40.. => format!("{}T", n >> 40),
        30.. => format!("{}G", n >> 30),
        20.. => format!("{}M", n >> 20),
        10.. => format!("{}K", n >> 10),
        _ => n.to_string(),
    };
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} bytes is out of range: from {} to {}",
            human(min),
            human(max)
        ))
    }
}

/// `--queue-size`.
pub fn parse_queue_size(s: &str) -> Result<u64, String> {
    within(parse_size(s)?, QUEUE_SIZES)
}

/// `--spool-size`.
pub fn parse_spool_size(s: &str) -> Result<u64, String> {
    within(parse_size(s)?, SPOOL_SIZES)
}

/// `url` as it may be shown in errors and logs: credentials (`user:password@`)
/// replaced, so that a password given by mistake is never echoed.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogFormat {
    Rfc5424,
    Rfc3164,
}

/// Every per-sink option; which apply depends on the URL's scheme.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkOptions {
    pub url: Option<String>,
    /// Names the spool directory and the metrics' `sink` label.
    pub name: Option<String>,
    /// file: rotate past this size (0: never).
    pub max_size: Option<Size>,
    /// file: rotated files kept (`PATH.1` … `PATH.N`).
    pub keep: Option<u32>,
    /// file: the file (0640) and the directories the sensor makes (0750)
    /// are readable by their group, for a log shipper; otherwise 0600, 0700.
    pub group_read: Option<bool>,
    /// syslog: facility name (`user`, `auth`, `authpriv`, `local0`…).
    pub facility: Option<String>,
    pub app_name: Option<String>,
    pub syslog_format: Option<SyslogFormat>,
    /// TLS: CA bundle (PEM) the server's certificate must chain to.
    pub ca: Option<PathBuf>,
    /// TLS client certificate chain and key (PEM), both or neither.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// HTTP: where the token comes from (never from the URL, never logged).
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Splunk HEC event metadata.
    pub index: Option<String>,
    pub source: Option<String>,
    pub sourcetype: Option<String>,
    /// HTTP: gzip request bodies (HEC: on by default).
    pub gzip: Option<bool>,
    /// Overrides of the global queue and spool sizes for this sink.
    pub queue_size: Option<Size>,
    pub spool_size: Option<Size>,
}

/// Settings shared by every sink unless it overrides them.
#[derive(Clone, PartialEq, Debug)]
pub struct Defaults {
    pub spool_dir: PathBuf,
    pub spool_size: u64,
    pub queue_size: u64,
    pub node: String,
}

#[derive(Clone, PartialEq, Debug)]
pub enum Target {
    Stdout,
    File(PathBuf),
    Syslog {
        proto: syslog::Proto,
        host: String,
        port: u16,
    },
    /// JSON lines, or Splunk HEC when the path is HEC's.
    Http {
        tls: bool,
        host: String,
        port: u16,
        path: String,
        hec: bool,
    },
}

/// One output, checked: everything needed to start it.
#[derive(Clone, PartialEq, Debug)]
pub struct Spec {
    pub name: String,
    pub target: Target,
    pub options: SinkOptions,
}

/// The sink's options from its URL's query string and, in the config
/// file, the keys beside `url` (`what` names it in errors).
pub fn parse(what: &str, entry: SinkOptions) -> Result<Spec> {
    let url = entry
        .url
        .clone()
        .with_context(|| format!("{what}: `url` is missing"))?;
    let (base, query) = url.split_once('?').unwrap_or((&url, ""));
    let options = merge_query(what, entry, query)?;
    let target = target(base).with_context(|| format!("{what}: url {:?}", redact(base)))?;
    let name = match &options.name {
        Some(n) => sanitize(n),
        None => default_name(&target),
    };
    let spec = Spec {
        name,
        target,
        options,
    };
    spec.check_applicable()
        .with_context(|| format!("{what} ({})", redact(&url)))?;
    Ok(spec)
}

fn merge_query(what: &str, entry: SinkOptions, query: &str) -> Result<SinkOptions> {
    if query.is_empty() {
        return Ok(entry);
    }
    let serde_yaml::Value::Mapping(mut map) = serde_yaml::to_value(&entry)? else {
        unreachable!("a struct serializes to a mapping")
    };
    map.retain(|_, v| !v.is_null());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
        // Typed as YAML types it (`5` a number, `true` a bool).
        let value: serde_yaml::Value = serde_yaml::from_str(v).unwrap_or(v.into());
        if map.insert(k.into(), value).is_some() {
            bail!("{what}: `{k}` is set both in the URL and beside it");
        }
    }
    serde_yaml::from_value(serde_yaml::Value::Mapping(map))
        .with_context(|| format!("{what}: in the URL's options"))
}

fn target(url: &str) -> Result<Target> {
    if url == "stdout" || url == "-" {
        return Ok(Target::Stdout);
    }
    let (scheme, rest) = url.split_once("://").context(
        "expected stdout, file:///PATH, syslog+udp://, syslog+tcp://, syslog+tls://, http:// or https://",
    )?;
    let host_port = |rest: &str, default_port: u16| -> Result<(String, u16, String)> {
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            bail!("credentials do not belong in the URL: use token_env or token_file");
        }
        let (host, port) = match authority
            .rsplit_once(':')
            .filter(|(h, _)| !h.ends_with(':'))
        {
            Some((h, p)) => (h, p.parse().with_context(|| format!("port {p:?}"))?),
            None => (authority, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            bail!("no host");
        }
        Ok((host.to_string(), port, path.to_string()))
    };
    Ok(match scheme {
        "file" => {
            if !rest.starts_with('/') {
                bail!("a file URL needs an absolute path: file:///var/log/sensor/audit.log");
            }
            Target::File(PathBuf::from(rest))
        }
        "syslog+udp" | "syslog+tcp" | "syslog+tls" => {
            let proto = match scheme {
                "syslog+udp" => syslog::Proto::Udp,
                "syslog+tcp" => syslog::Proto::Tcp,
                _ => syslog::Proto::Tls,
            };
            let default_port = if proto == syslog::Proto::Tls {
                6514
            } else {
                514
            };
            let (host, port, _) = host_port(rest, default_port)?;
            Target::Syslog { proto, host, port }
        }
        "http" | "https" => {
            let tls = scheme == "https";
            let (host, port, path) = host_port(rest, if tls { 443 } else { 80 })?;
            let hec = path
                .trim_end_matches('/')
                .ends_with("/services/collector/event");
            Target::Http {
                tls,
                host,
                port,
                path,
                hec,
            }
        }
        other => bail!("unknown scheme {other:?}"),
    })
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn default_name(t: &Target) -> String {
    sanitize(&match t {
        Target::Stdout => "stdout".into(),
        Target::File(p) => format!("file{}", p.display()).replace('/', "_"),
        Target::Syslog { proto, host, port } => {
            format!("syslog-{proto:?}-{host}-{port}").to_lowercase()
        }
        Target::Http {
            host, port, hec, ..
        } => {
            format!("{}-{host}-{port}", if *hec { "hec" } else { "http" })
        }
    })
}

impl Spec {
    /// Options that mean nothing for this kind of sink are errors, not
    /// silently ignored.
    fn check_applicable(&self) -> Result<()> {
        let o = &self.options;
        let (file, syslog, tls, http) = match &self.target {
            Target::Stdout => (false, false, false, false),
            Target::File(_) => (true, false, false, false),
            Target::Syslog { proto, .. } => (false, true, *proto == syslog::Proto::Tls, false),
            Target::Http { tls, .. } => (false, false, *tls, true),
        };
        let hec = matches!(self.target, Target::Http { hec: true, .. });
        let set: [(&str, bool, bool); 15] = [
            ("max_size", o.max_size.is_some(), file),
            ("keep", o.keep.is_some(), file),
            ("group_read", o.group_read.is_some(), file),
            ("facility", o.facility.is_some(), syslog),
            ("app_name", o.app_name.is_some(), syslog),
            ("syslog_format", o.syslog_format.is_some(), syslog),
            ("ca", o.ca.is_some(), tls),
            ("cert", o.cert.is_some(), tls),
            ("key", o.key.is_some(), tls),
            ("token_env", o.token_env.is_some(), http),
            ("token_file", o.token_file.is_some(), http),
            ("index", o.index.is_some(), hec),
            ("source", o.source.is_some(), hec),
            ("sourcetype", o.sourcetype.is_some(), hec),
            ("gzip", o.gzip.is_some(), http),
        ];
        if let Some((key, ..)) = set.iter().find(|(_, given, applies)| *given && !applies) {
            bail!("option `{key}` does not apply to this kind of output");
        }
        if o.cert.is_some() != o.key.is_some() {
            bail!("options `cert` and `key` go together (a client certificate and its key)");
        }
        if o.token_env.is_some() && o.token_file.is_some() {
            bail!("options `token_env` and `token_file`: give one");
        }
        for (key, size, range) in [
            ("queue_size", o.queue_size, QUEUE_SIZES),
            ("spool_size", o.spool_size, SPOOL_SIZES),
            ("max_size", o.max_size.filter(|s| s.0 > 0), ROTATE_SIZES),
        ] {
            if let Some(Size(n)) = size {
                within(n, range).map_err(|e| anyhow::anyhow!("option `{key}`: {e}"))?;
            }
        }
        if o.keep.is_some_and(|k| k > MAX_KEEP) {
            bail!("option `keep`: at most {MAX_KEEP} rotated files");
        }
        Ok(())
    }

    /// Builds the destination: TLS configuration, token, file path checked.
    fn transport(&self, node: &str) -> Result<Transport> {
        Transport::new(self, node).with_context(|| format!("output {}", self.name))
    }

    /// Starts the sink's queue, taking up its spool.
    fn start(&self, transport: Transport, defaults: &Defaults) -> Result<Queue> {
        let spool_size = self.options.spool_size.map_or(defaults.spool_size, |s| s.0);
        let queue_size = self.options.queue_size.map_or(defaults.queue_size, |s| s.0);
        // The spool's directory and ledger are made now, so a directory the
        // sensor cannot write stops start-up rather than the first outage.
        let spool = spool::Spool::open(defaults.spool_dir.join(&self.name), spool_size)
            .with_context(|| format!("output {}: its spool directory (--spool-dir)", self.name))?;
        Queue::start(self.name.clone(), transport, queue_size as usize, spool)
    }
}

/// A destination: takes chunks of complete lines.
pub enum Transport {
    Stdout(stdout::StdoutSink),
    File(file::FileSink),
    Syslog(syslog::SyslogSink),
    Http(http::LinesSink),
    Hec(hec::HecSink),
}

impl Transport {
    fn new(spec: &Spec, node: &str) -> Result<Self> {
        let o = &spec.options;
        Ok(match &spec.target {
            Target::Stdout => Self::Stdout(stdout::StdoutSink::new()),
            Target::File(path) => Self::File(file::FileSink::new(path.clone(), o)?),
            Target::Syslog { proto, host, port } => {
                Self::Syslog(syslog::SyslogSink::new(*proto, host, *port, o, node)?)
            }
            Target::Http {
                tls,
                host,
                port,
                path,
                hec,
            } => {
                let endpoint = http::Endpoint::new(*tls, host, *port, path, o)?;
                if *hec {
                    Self::Hec(hec::HecSink::new(endpoint, o, node)?)
                } else {
                    Self::Http(http::LinesSink::new(endpoint, o)?)
                }
            }
        })
    }

    /// Delivers `lines` whole, or fails (the caller retries them all).
    async fn deliver(&mut self, lines: &[u8]) -> Result<()> {
        match self {
            Self::Stdout(s) => s.write(lines).await,
            Self::File(s) => s.write(lines),
            Self::Syslog(s) => s.send(lines).await,
            Self::Http(s) => s.post(lines).await,
            Self::Hec(s) => s.post(lines).await,
        }
    }

    /// After a failure: the next delivery starts on a new connection.
    fn reset(&mut self) {
        match self {
            Self::Syslog(s) => s.disconnect(),
            Self::Http(s) => s.disconnect(),
            Self::Hec(s) => s.disconnect(),
            Self::Stdout(_) | Self::File(_) => {}
        }
    }

    /// SIGUSR1: files are reopened (logrotate moved them).
    fn reopen(&mut self) {
        if let Self::File(f) = self {
            f.reopen();
        }
    }
}

/// How long shutdown and reconfiguration give a sink to send what it
/// holds before spooling the rest.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Every sink, fed the same lines.
pub struct Fanout {
    sinks: Vec<(Spec, Queue)>,
    defaults: Defaults,
    intake: Intake,
}

impl Fanout {
    /// Starts every sink; an error names the output (nothing is started
    /// then).
    pub fn start(specs: &[Spec], defaults: Defaults) -> Result<Self> {
        let mut fanout = Self {
            sinks: Vec::new(),
            defaults,
            intake: Intake::default(),
        };
        for spec in specs {
            if fanout.sinks.iter().any(|(s, _)| s.name == spec.name) {
                bail!(
                    "two outputs are named {:?}: give one of them a `name`",
                    spec.name
                );
            }
            let transport = spec.transport(&fanout.defaults.node)?;
            fanout
                .sinks
                .push((spec.clone(), spec.start(transport, &fanout.defaults)?));
        }
        fanout.intake.set(fanout.ledgers());
        Ok(fanout)
    }

    fn ledgers(&self) -> Vec<Arc<ledger::Ledger>> {
        self.sinks.iter().map(|(_, q)| q.ledger().clone()).collect()
    }

    /// Where the stages before the sinks count the records they read and
    /// filter out.
    pub fn intake(&self) -> &Intake {
        &self.intake
    }

    /// Queues rendered records on every sink (`data`, each ending at its
    /// offset in `ends`); never waits.
    pub fn push(&self, data: &[u8], ends: &[u32]) {
        if ends.is_empty() {
            return;
        }
        let batch = Batch::new(Bytes::copy_from_slice(data), ends.into());
        self.intake.handed(batch.records());
        for (_, q) in &self.sinks {
            q.push(batch.clone());
        }
    }

    /// A LOST record reporting `total` records, among them each sink's
    /// drops in `drops`: kept by every sink even when its spool is full.
    pub fn push_lost(&self, line: &[u8], total: u64, drops: &[(String, u64)]) {
        let report = Batch::report(Bytes::copy_from_slice(line), total);
        for (_, q) in &self.sinks {
            let own = drops.iter().find(|(name, _)| name == q.name());
            q.push_report(report.clone(), own.map_or(0, |(_, n)| *n));
        }
    }

    /// Records each sink dropped since the last call.
    pub fn take_lost(&self) -> Vec<(String, u64)> {
        self.sinks
            .iter()
            .map(|(_, q)| (q.name().to_string(), q.take_lost()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    pub fn reopen(&self) {
        for (_, q) in &self.sinks {
            q.reopen();
        }
    }

    /// SIGHUP: keeps the sinks whose settings did not change, closes the
    /// others (they send or spool what they hold) and starts the new ones.
    /// Every new destination is built first: on an error there, nothing
    /// changes.
    pub async fn reconfigure(&mut self, specs: &[Spec], defaults: Defaults) -> Result<()> {
        let same_defaults = defaults == self.defaults;
        let mut plan = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            if specs[..i].iter().any(|s| s.name == spec.name) {
                bail!(
                    "two outputs are named {:?}: give one of them a `name`",
                    spec.name
                );
            }
            let running = same_defaults && self.sinks.iter().any(|(s, _)| s == spec);
            let transport = if running {
                None
            } else {
                Some(spec.transport(&defaults.node)?)
            };
            plan.push((spec, transport));
        }
        let mut old = std::mem::take(&mut self.sinks);
        let mut closing = Vec::new();
        for (spec, q) in std::mem::take(&mut old) {
            if plan.iter().any(|(s, t)| t.is_none() && **s == spec) {
                old.push((spec, q));
            } else {
                closing.push((spec, q));
            }
        }
        for (spec, _) in &closing {
            log::info!("sink {}: closed by the new configuration", spec.name);
            registry().forget("sink", &spec.name);
        }
        // Before they close: what the pipeline holds is no longer theirs.
        self.intake
            .set(old.iter().map(|(_, q)| q.ledger().clone()).collect());
        close_all(closing.into_iter().map(|(_, q)| q)).await;
        self.defaults = defaults;
        let mut failed = None;
        for (spec, transport) in plan {
            let started = match transport {
                None => {
                    let i = old.iter().position(|(s, _)| s == spec).expect("kept above");
                    Ok(old.swap_remove(i).1)
                }
                Some(t) => spec
                    .start(t, &self.defaults)
                    .inspect(|_| log::info!("sink {}: started", spec.name)),
            };
            match started {
                Ok(q) => self.sinks.push((spec.clone(), q)),
                Err(e) => failed = Some(e),
            }
        }
        self.intake.set(self.ledgers());
        failed.map_or(Ok(()), Err)
    }

    /// Shutdown: every sink sends or spools what it holds.
    pub async fn close(self) {
        close_all(self.sinks.into_iter().map(|(_, q)| q)).await;
    }
}

/// Closes sinks side by side, so their grace periods do not add up.
async fn close_all(queues: impl Iterator<Item = Queue>) {
    let mut closing = tokio::task::JoinSet::new();
    for q in queues {
        closing.spawn(q.close(CLOSE_GRACE));
    }
    while closing.join_next().await.is_some() {}
}
