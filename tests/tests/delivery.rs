//! Delivery when things go wrong: the sensor killed outright with its
//! destination down, its spool on a disk that fills, a spool segment cut
//! mid-record, and each record's ID across a restart, retries and every
//! kind of receiver (the real rsyslog, an HTTP collector, Splunk HEC).
//!
//! Records are the execs of a copy of /bin/true made for the test (the
//! rules record only those), so what was generated is known exactly
//! whatever else runs on the machine.

use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
    process::Command,
    thread,
    time::Duration,
};

use sensor_tests::{
    free_port, http_get,
    http_receiver::Receiver,
    marker, metric,
    rsyslog::{Input, Rsyslog},
    tags_seen, temp_dir, wait_until, Sensor,
};
use serde_json::Value;

/// A copy of /bin/true under the test's directory, and rules that record
/// its execs only.
struct Marked {
    exe: PathBuf,
    rules: String,
    prefix: String,
}

impl Marked {
    fn new(dir: &Path, tag: &str) -> Self {
        let exe = dir.join("marked-true");
        fs::copy("/bin/true", &exe).unwrap();
        let rules = dir.join("marked.rules");
        fs::write(
            &rules,
            format!(
                "-a always,exit -F arch=b64 -S execve -F exe={} -k delivery\n",
                exe.display()
            ),
        )
        .unwrap();
        Self {
            exe,
            rules: rules.display().to_string(),
            prefix: marker(tag),
        }
    }

    /// Runs the copy `n` times, each with its own tag; returns the tags.
    fn run(&self, from: usize, n: usize) -> Vec<String> {
        (from..from + n)
            .map(|i| {
                let tag = format!("{}-{i:05}", self.prefix);
                Command::new(&self.exe).arg(&tag).status().unwrap();
                tag
            })
            .collect()
    }
}

/// What the LOST records in `lines` count for `sink`.
fn lost_in_band(lines: &[String], sink: &str) -> u64 {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["LOST"]["sink"][sink].as_u64())
        .sum()
}

fn all_json(lines: &[String]) {
    for l in lines {
        serde_json::from_str::<Value>(l)
            .unwrap_or_else(|e| panic!("not one JSON record ({e}): {l}"));
    }
}

/// A sink's series, or a loss count, from `/metrics` at `addr`.
struct Metrics(String);

impl Metrics {
    fn series(&self, name: &str, sink: &str) -> u64 {
        let (_, text) = http_get(&self.0, "/metrics").unwrap();
        metric(&text, &format!("{name}{{sink=\"{sink}\"}}")).unwrap_or(0)
    }

    /// Records in the sink's queue and spool.
    fn held(&self, sink: &str) -> (u64, u64) {
        (
            self.series("sensor_sink_queue_records", sink),
            self.series("sensor_sink_spool_records", sink),
        )
    }

    fn lost(&self, sink: &str) -> u64 {
        let (_, text) = http_get(&self.0, "/metrics").unwrap();
        let series = format!("sensor_lost_records_total{{stage=\"sink\",kind=\"{sink}\"}}");
        metric(&text, &series).unwrap_or(0)
    }
}

/// One sink, `collector`: an HTTP receiver on `port` (down until the test
/// starts it), a queue of `queue_size`, a spool under the test's
/// directory, and the sensor's metrics.
struct Collector {
    dir: PathBuf,
    m: Marked,
    port: u16,
    metrics: Metrics,
    spool: PathBuf,
    args: Vec<String>,
}

impl Collector {
    fn new(tag: &str, queue_size: &str) -> Self {
        let dir = temp_dir(tag);
        let m = Marked::new(&dir, tag);
        let (port, spool) = (free_port(), dir.join("spool"));
        let metrics = Metrics(format!("127.0.0.1:{}", free_port()));
        let out = format!("http://127.0.0.1:{port}/ingest?name=collector&queue_size={queue_size}");
        let args = [
            "--rules",
            &m.rules,
            "--output",
            &out,
            "--spool-dir",
            spool.to_str().unwrap(),
            "--metrics-addr",
            &metrics.0,
        ]
        .map(String::from)
        .to_vec();
        Self {
            dir,
            m,
            port,
            metrics,
            spool,
            args,
        }
    }

    fn start(&self) -> Sensor {
        Sensor::start(&self.args.iter().map(String::as_str).collect::<Vec<_>>()).unwrap()
    }

    /// Waits until at least `n` records are in the queue and the spool,
    /// or counted lost; returns what the queue and the spool hold.
    fn wait_held(&self, n: u64, sensor: &Sensor) -> (u64, u64) {
        let mut held = (0, 0);
        assert!(
            wait_until(30, || {
                held = self.metrics.held("collector");
                held.0 + held.1 + self.metrics.lost("collector") >= n
            }),
            "{held:?} held: {}",
            sensor.stderr()
        );
        // Anything more (a LOST report, the kernel's losses on a busy
        // machine) shows by now.
        thread::sleep(Duration::from_millis(1500));
        self.metrics.held("collector")
    }

    fn remove(self) {
        fs::remove_dir_all(self.dir).unwrap();
    }
}

/// The totals of the LOST records in `lines`.
fn lost_totals(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["LOST"]["total"].as_u64())
        .collect()
}

/// Killed outright while its destination is down, the sensor loses what
/// its memory queue held; the next start says exactly how much, in-band
/// and in its metrics, and delivers what the spool kept, once each.
#[test]
fn kill_9_with_the_destination_down_every_record_is_delivered_or_counted_lost() {
    // A small queue: the oldest records wait in memory, the rest on disk.
    let c = Collector::new("kill9", "16K");
    let sensor = c.start();
    const N: u64 = 120;
    let tags = c.m.run(0, N as usize);
    let held = c.wait_held(N, &sensor);
    assert!(held.0 > 0 && held.1 > 0, "{held:?}");
    // LOST records this run made (the kernel's losses on a busy machine)
    // are owed like any record.
    let (_, text) = http_get(&c.metrics.0, "/metrics").unwrap();
    let reported: u64 = text
        .lines()
        .filter(|l| l.starts_with("sensor_lost_records_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    drop(sensor); // SIGKILL

    let receiver = Receiver::start(c.port).unwrap();
    let sensor = c.start();
    assert!(
        wait_until(60, || lost_in_band(&receiver.lines(), "collector") > 0),
        "no LOST record: {}",
        sensor.stderr()
    );
    assert!(wait_until(30, || c.metrics.held("collector") == (0, 0)));
    thread::sleep(Duration::from_millis(500));
    let lines = receiver.lines();
    all_json(&lines);
    // The spooled records, in order, once each, then the report.
    let seen = tags_seen(&lines, &c.m.prefix);
    assert_eq!(seen, tags[N as usize - seen.len()..]);
    let report = lines
        .iter()
        .position(|l| l.contains("\"collector\":"))
        .unwrap();
    let delivered_reports: u64 = lost_totals(&lines[..report]).iter().sum();
    let lost = lost_in_band(&lines, "collector");
    assert_eq!(
        lost,
        N - seen.len() as u64 + reported - delivered_reports,
        "{lines:?}"
    );
    assert_eq!(c.metrics.lost("collector"), lost);
    let log = sensor.stderr();
    assert!(log.contains("did not stop cleanly"), "{log}");
    sensor.stop().unwrap();
    c.remove();
}

/// Unmounts a file system when the test ends, however it ends.
struct Mounted(PathBuf);

impl Mounted {
    fn tmpfs(at: &Path, size: &str) -> Self {
        fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "sensor-test"])
            .arg(at)
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs at {}", at.display());
        Self(at.to_owned())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The spool on a disk that fills up while the destination is down: what
/// did not fit is counted, the LOST records that say so are never the
/// thing dropped, their total equals the metrics', no delivered record is
/// cut or joined to another, and the log names the cause a few times, not
/// once per batch.
#[test]
fn a_full_disk_under_the_spool_loses_nothing_unreported() {
    let c = Collector::new("full-disk", "8K");
    let mount = Mounted::tmpfs(&c.spool, "256k");
    let sensor = c.start();
    const N: u64 = 600; // about 500 KB of JSON
    let tags = c.m.run(0, N as usize);
    c.wait_held(N, &sensor);

    let receiver = Receiver::start(c.port).unwrap();
    assert!(
        wait_until(60, || c.metrics.held("collector") == (0, 0)),
        "{:?} still held: {}",
        c.metrics.held("collector"),
        sensor.stderr()
    );
    thread::sleep(Duration::from_secs(1));
    let lines = receiver.lines();
    all_json(&lines);
    let seen = tags_seen(&lines, &c.m.prefix);
    let order: HashMap<&String, usize> = tags.iter().enumerate().map(|(i, t)| (t, i)).collect();
    assert!(
        seen.windows(2).all(|w| order[&w[0]] < order[&w[1]]),
        "records out of order or doubled"
    );
    let in_band = lost_in_band(&lines, "collector");
    assert!(in_band > 0, "nothing dropped: the disk never filled");
    assert_eq!(seen.len() as u64 + in_band, N, "delivered + reported lost");
    assert_eq!(c.metrics.lost("collector"), in_band, "in-band and metrics");
    let log = sensor.stderr();
    sensor.stop().unwrap();
    assert!(log.contains("No space left on device"), "{log}");
    let drops = log
        .lines()
        .filter(|l| l.contains("records dropped"))
        .count();
    assert!((1..=3).contains(&drops), "{drops} drop messages:\n{log}");
    drop(mount);
    c.remove();
}

/// The spool's segments, oldest first.
fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut segs: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    segs.sort();
    segs
}

/// A segment cut inside its last record (as a crash or a full disk
/// leaves it): the next start skips that record and counts it, and sends
/// every other one intact, new ones included.
#[test]
fn a_torn_spool_record_is_skipped_and_counted_the_rest_delivered_intact() {
    let c = Collector::new("torn", "1K");
    let sensor = c.start();
    let first = c.m.run(0, 30);
    c.wait_held(30, &sensor);
    sensor.stop_with(libc::SIGTERM).unwrap();
    // Cut inside the last record's frame (LOST records of the kernel's
    // losses on a busy machine may follow it: they go too, and count).
    let segs = segments(&c.spool.join("collector"));
    let last = segs.last().expect("a spooled segment");
    let data = fs::read(last).unwrap();
    let tag = first[29].as_bytes();
    let at = (0..data.len() - tag.len())
        .rev()
        .find(|&i| data[i..].starts_with(tag))
        .expect("the last record in the last segment");
    let cut_reports = data[at..].windows(8).filter(|w| w == b"\"LOST\":{").count() as u64;
    fs::File::options()
        .write(true)
        .open(last)
        .unwrap()
        .set_len(at as u64)
        .unwrap();

    let sensor = c.start();
    let second = c.m.run(30, 10);
    // 29 + 10 records, and the LOST record.
    c.wait_held(40, &sensor);
    let receiver = Receiver::start(c.port).unwrap();
    assert!(wait_until(60, || c.metrics.held("collector") == (0, 0)));
    thread::sleep(Duration::from_millis(500));
    let lines = receiver.lines();
    all_json(&lines);
    let expected: Vec<String> = first[..29].iter().chain(&second).cloned().collect();
    assert_eq!(tags_seen(&lines, &c.m.prefix), expected);
    assert_eq!(lost_in_band(&lines, "collector"), 1 + cut_reports);
    assert_eq!(c.metrics.lost("collector"), 1 + cut_reports);
    sensor.stop().unwrap();
    c.remove();
}

/// The ID of the record that carries `tag`, in one line a receiver got
/// (JSON, an HEC event, or an auditd record of the event).
fn id_of(line: &str, tag: &str, hec: bool) -> Option<String> {
    let v: Option<Value> = serde_json::from_str(line).ok();
    let record = match (hec, &v) {
        (true, Some(v)) => match &v["event"] {
            Value::String(s) => s.clone(),
            event => event.to_string(),
        },
        _ => line.to_string(),
    };
    if let Ok(v) = serde_json::from_str::<Value>(&record) {
        return (v["EXECVE"]["ARGV"][1] == tag).then(|| v["ID"].as_str().unwrap().to_string());
    }
    // auditd text: the EXECVE record names the tag.
    if !record.contains(&format!("a1=\"{tag}\"")) {
        return None;
    }
    let id = record.split_once("msg=audit(")?.1.split(')').next()?;
    Some(id.to_string())
}

fn ids(lines: &[String], tags: &[String], hec: bool) -> Vec<Vec<String>> {
    tags.iter()
        .map(|t| lines.iter().filter_map(|l| id_of(l, t, hec)).collect())
        .collect()
}

/// Records spooled by one run and sent by the next carry the ID they were
/// written with, and every receiver sees the same ID for a record: an
/// HTTP collector, Splunk HEC and the real rsyslog, in both formats.
#[test]
fn ids_are_the_same_across_a_restart_and_in_every_receiver() {
    for format in ["json", "auditd"] {
        let dir = temp_dir(&format!("ids-{format}"));
        let m = Marked::new(&dir, "ids");
        let mut rsyslog = Rsyslog::start(&dir, Input::Tcp, 0).unwrap();
        rsyslog.stop();
        let (http, hec) = (free_port(), free_port());
        let token = dir.join("token");
        fs::write(&token, "00000000-1111-2222-3333-444444444444\n").unwrap();
        let outputs = [
            "stdout".to_string(),
            format!("http://127.0.0.1:{http}/ingest?name=lines&queue_size=1K"),
            format!(
                "http://127.0.0.1:{hec}/services/collector/event?name=hec&queue_size=1K&token_file={}",
                token.display()
            ),
            format!("syslog+tcp://127.0.0.1:{}?name=syslog&queue_size=1K", rsyslog.port),
        ];
        let spool = dir.join("spool");
        let mut args = vec!["--rules", m.rules.as_str(), "--format", format];
        args.extend(["--spool-dir", spool.to_str().unwrap()]);
        for o in &outputs {
            args.extend(["--output", o.as_str()]);
        }
        let sensor = Sensor::start(&args).unwrap();
        let tags = m.run(0, 5);
        assert!(wait_until(20, || {
            let text = sensor.text();
            tags.iter().all(|t| text.contains(t.as_str()))
        }));
        let written: Vec<String> = sensor
            .stop_text()
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        let first = ids(&written, &tags, false);
        assert!(first.iter().all(|i| !i.is_empty()), "{first:?}");

        let (lines, collector) = (
            Receiver::start(http).unwrap(),
            Receiver::start(hec).unwrap(),
        );
        rsyslog.restart().unwrap();
        let sensor = Sensor::start(&args).unwrap();
        let all_there = |got: &dyn Fn() -> Vec<String>, hec: bool| {
            wait_until(30, || {
                let got = got();
                ids(&got, &tags, hec).iter().all(|i| !i.is_empty())
            })
        };
        assert!(all_there(&|| lines.lines(), false), "HTTP");
        assert!(all_there(&|| collector.lines(), true), "HEC");
        assert!(all_there(&|| rsyslog.messages(), false), "syslog");
        sensor.stop_text().unwrap();
        assert_eq!(ids(&lines.lines(), &tags, false), first, "{format}: HTTP");
        assert_eq!(ids(&collector.lines(), &tags, true), first, "{format}: HEC");
        assert_eq!(
            ids(&rsyslog.messages(), &tags, false),
            first,
            "{format}: syslog"
        );
        drop(rsyslog);
        fs::remove_dir_all(dir).unwrap();
    }
}

/// Delivery is at-least-once: a chunk the collector took but did not
/// acknowledge (the sensor killed while it waited for the answer, or the
/// connection closed before the answer) is sent again. Every copy carries
/// the same ID and is the same line, so the receiver can drop it; the
/// figures go to the README.
#[test]
fn duplicates_after_a_kill_or_a_lost_answer_are_identical_lines() {
    let c = Collector::new("dups", "1K");
    let sensor = c.start();
    const N: usize = 3000; // about 3 chunks of 1 MiB
    let tags = c.m.run(0, N);
    c.wait_held(N as u64, &sensor);
    sensor.stop_with(libc::SIGTERM).unwrap();

    // Killed while the collector holds its answer to the first chunk.
    let receiver = Receiver::start(c.port).unwrap();
    receiver.answer_after(Duration::from_secs(3));
    let sensor = c.start();
    assert!(wait_until(30, || !receiver.requests().is_empty()));
    drop(sensor); // SIGKILL
    let after_kill = receiver.lines().len();

    // Then a connection closed before its answer.
    receiver.answer_after(Duration::ZERO);
    receiver.leave_unanswered(1);
    let sensor = c.start();
    assert!(wait_until(60, || tags_seen(&receiver.lines(), &c.m.prefix)
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len()
        == N));
    sensor.stop().unwrap();
    let lines = receiver.lines();
    all_json(&lines);
    let mut by_id: HashMap<String, Vec<&String>> = HashMap::new();
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap();
        by_id
            .entry(v["ID"].as_str().unwrap().into())
            .or_default()
            .push(l);
    }
    for copies in by_id.values() {
        assert!(copies.iter().all(|c| c == &copies[0]), "{copies:?}");
    }
    let mut distinct: Vec<String> = tags_seen(&lines, &c.m.prefix);
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct, tags);
    let duplicates = lines.len() - by_id.len();
    eprintln!(
        "duplicates: {duplicates} of {N} records ({after_kill} received before the kill, \
         each interruption re-sent the chunk in flight)"
    );
    assert!(
        duplicates > 0,
        "nothing was sent twice: the test missed its point"
    );
    assert!(
        duplicates <= 2 * after_kill,
        "more than the chunks in flight"
    );
    c.remove();
}
