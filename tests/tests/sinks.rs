//! Sinks: the real rsyslog over UDP, TCP and TLS, an HTTP receiver and a
//! Splunk HEC stand-in run by the test, files with rotation and reopen;
//! outages during a steady workload, the spool's bound and shutdown; files
//! and directories private whatever the umask, symbolic links refused.

use std::{
    fs,
    path::Path,
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread,
    time::Duration,
};

use sensor_tests::{
    assert_serials_contiguous, file_lines, free_port,
    http_receiver::Receiver,
    marker, metric, record, refusal,
    rsyslog::{make_certificates, Input, Rsyslog},
    sensor_bin, tags_seen, temp_dir, wait_until, Sensor,
};
use serde_json::Value;

/// Only execs, so records are few and quick to check.
fn exec_rules(dir: &Path) -> String {
    let path = dir.join("exec.rules");
    fs::write(&path, "-a always,exit -F arch=b64 -S execve -k sinks\n").unwrap();
    path.display().to_string()
}

fn exec_marked(tag: &str) {
    Command::new("/bin/true").arg(tag).status().unwrap();
}

/// Execs `/bin/true TAG-N` every 20 ms until stopped; returns the tags.
struct Workload {
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<Vec<String>>,
}

impl Workload {
    fn start(tag: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, tag) = (stop.clone(), marker(tag));
        let thread = thread::spawn(move || {
            let mut tags = Vec::new();
            let mut n = 0;
            while !flag.load(Ordering::Relaxed) {
                let t = format!("{tag}-{n:05}");
                exec_marked(&t);
                tags.push(t);
                n += 1;
                thread::sleep(Duration::from_millis(20));
            }
            tags
        });
        Self { stop, thread }
    }

    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

fn wait_for_text(what: &str, secs: u64, lines: impl Fn() -> Vec<String>, needle: &str) {
    assert!(
        wait_until(secs, || lines().iter().any(|l| l.contains(needle))),
        "no {what} containing {needle} within {secs} s"
    );
}

fn json_lines(lines: &[String]) {
    for l in lines {
        serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
    }
}

#[test]
fn syslog_udp_delivers_parseable_json_records() {
    let dir = temp_dir("rsyslog-udp");
    let rsyslog = Rsyslog::start(&dir, Input::Udp, 0).unwrap();
    let out = format!("syslog+udp://127.0.0.1:{}", rsyslog.port);
    let rules = exec_rules(&dir);
    let sensor =
        Sensor::start(&["--rules", &rules, "--output", &out, "--output", "stdout"]).unwrap();
    let tag = marker("udp");
    exec_marked(&tag);
    wait_for_text("syslog message", 20, || rsyslog.messages(), &tag);
    sensor.stop().unwrap();
    let messages = rsyslog.messages();
    json_lines(&messages);
    assert_eq!(tags_seen(&messages, &tag), vec![tag]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn syslog_tcp_delivers_auditd_records_intact_in_rfc3164() {
    let dir = temp_dir("rsyslog-tcp");
    let rsyslog = Rsyslog::start(&dir, Input::Tcp, 0).unwrap();
    let out = format!(
        "syslog+tcp://127.0.0.1:{}?syslog_format=rfc3164&facility=authpriv&app_name=audit",
        rsyslog.port
    );
    let rules = exec_rules(&dir);
    let sensor = Sensor::start(&[
        "--rules", &rules, "--format", "auditd", "--output", &out, "--output", "stdout",
    ])
    .unwrap();
    let tag = marker("tcp");
    exec_marked(&tag);
    // PROCTITLE holds the command line in hex.
    let hex: String = tag.bytes().map(|b| format!("{b:02X}")).collect();
    wait_for_text("syslog message", 20, || rsyslog.messages(), &hex);
    let stdout = sensor.stop_text().unwrap();
    thread::sleep(Duration::from_millis(500));
    let messages = rsyslog.messages();
    let written: Vec<String> = stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    // Every line exactly as the sensor wrote it to stdout, in order.
    assert_eq!(messages, written);
    assert!(messages
        .iter()
        .any(|m| m.contains("type=EXECVE") && m.contains(&format!("a1=\"{tag}\""))));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn syslog_tls_verifies_the_server_and_presents_a_client_certificate() {
    let dir = temp_dir("rsyslog-tls");
    make_certificates(&dir).unwrap();
    let rsyslog = Rsyslog::start(&dir, Input::Tls, 0).unwrap();
    let d = dir.display();
    let out = format!(
        "syslog+tls://127.0.0.1:{}?ca={d}/ca.pem&cert={d}/client.pem&key={d}/client.key",
        rsyslog.port
    );
    let rules = exec_rules(&dir);
    let sensor =
        Sensor::start(&["--rules", &rules, "--output", &out, "--output", "stdout"]).unwrap();
    let tag = marker("tls");
    exec_marked(&tag);
    wait_for_text("syslog message", 20, || rsyslog.messages(), &tag);
    let stdout = sensor.stop_text().unwrap();
    thread::sleep(Duration::from_millis(500));
    let messages = rsyslog.messages();
    json_lines(&messages);
    let written: Vec<String> = stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    assert_eq!(messages, written);

    // Without our CA the server is not trusted: nothing is sent, and the
    // log says why.
    let spool = dir.join("spool-untrusted");
    let untrusted = format!("syslog+tls://127.0.0.1:{}", rsyslog.port);
    let sensor = Sensor::start(&[
        "--rules",
        &rules,
        "--output",
        &untrusted,
        "--spool-dir",
        spool.to_str().unwrap(),
    ])
    .unwrap();
    exec_marked(&marker("untrusted"));
    assert!(wait_until(20, || sensor.stderr().contains("TLS handshake")));
    let log = sensor.stderr();
    sensor.stop().unwrap();
    assert!(
        log.contains("UnknownIssuer") || log.contains("certificate"),
        "{log}"
    );
    assert_eq!(rsyslog.messages().len(), messages.len());
    fs::remove_dir_all(dir).unwrap();
}

/// The spool directory's segment files (none once everything is sent).
fn segments(spool: &Path) -> usize {
    walk(spool).iter().filter(|p| p.ends_with(".seg")).count()
}

fn walk(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p.display().to_string());
        }
    }
    files
}

/// A destination that can go down and come back.
trait Destination {
    fn stop(&mut self);
    fn restart(&mut self);
    /// Every record received so far, in order.
    fn lines(&self) -> Vec<String>;
}

impl Destination for Rsyslog {
    fn stop(&mut self) {
        Rsyslog::stop(self);
    }
    fn restart(&mut self) {
        Rsyslog::restart(self).unwrap();
    }
    fn lines(&self) -> Vec<String> {
        self.messages()
    }
}

impl Destination for Receiver {
    fn stop(&mut self) {
        Receiver::stop(self);
    }
    fn restart(&mut self) {
        Receiver::restart(self).unwrap();
    }
    fn lines(&self) -> Vec<String> {
        Receiver::lines(self)
    }
}

/// A steady workload through `out` with `dest` down for 3 s in the middle
/// (a 1 KiB queue, so the outage's records go to the disk spool): every
/// record arrives exactly once and in order, and the spool ends empty.
fn outage(tag: &str, out: &str, dest: &mut impl Destination) {
    let dir = temp_dir(tag);
    let spool = dir.join("spool");
    let rules = exec_rules(&dir);
    let sensor = Sensor::start(&[
        "--rules",
        &rules,
        "--output",
        out,
        "--spool-dir",
        spool.to_str().unwrap(),
        "--queue-size",
        "1K",
    ])
    .unwrap();
    let workload = Workload::start(tag);
    thread::sleep(Duration::from_millis(1500));
    dest.stop();
    let before = dest.lines().len();
    assert!(
        wait_until(20, || segments(&spool) > 0),
        "nothing spooled: {}",
        sensor.stderr()
    );
    thread::sleep(Duration::from_secs(3));
    dest.restart();
    thread::sleep(Duration::from_millis(1500));
    let tags = workload.finish();
    let last = tags.last().unwrap().clone();
    wait_for_text("record", 60, || dest.lines(), &last);
    let log = sensor.stderr();
    sensor.stop().unwrap();
    let lines = dest.lines();
    json_lines(&lines);
    assert!(
        before > 0 && lines.len() > before,
        "{before} then {}",
        lines.len()
    );
    assert_eq!(tags_seen(&lines, &tags[0][..tags[0].len() - 6]), tags);
    assert_serials_contiguous(&lines);
    assert!(
        log.contains("spooling meanwhile") && log.contains("delivering again"),
        "{log}"
    );
    assert_eq!(segments(&spool), 0, "the spool is not empty after delivery");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn syslog_tcp_outage_every_record_arrives_once_in_order_from_the_spool() {
    let dir = temp_dir("rsyslog-outage");
    let mut rsyslog = Rsyslog::start(&dir, Input::Tcp, 0).unwrap();
    let out = format!("syslog+tcp://127.0.0.1:{}", rsyslog.port);
    outage("syslog-outage", &out, &mut rsyslog);
    drop(rsyslog);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn http_outage_every_record_arrives_once_in_order_from_the_spool() {
    let mut receiver = Receiver::start(free_port()).unwrap();
    let out = format!("http://127.0.0.1:{}/ingest?gzip=true", receiver.port);
    outage("http-outage", &out, &mut receiver);
    assert!(receiver.requests().iter().all(|q| q.path == "/ingest"
        && q.header("content-type") == Some("application/x-ndjson")
        && q.header("content-encoding") == Some("gzip")));
}

#[test]
fn splunk_hec_gets_gzipped_events_with_the_token_and_metadata() {
    let dir = temp_dir("hec");
    let receiver = Receiver::start(free_port()).unwrap();
    let token_file = dir.join("token");
    fs::write(&token_file, "00000000-1111-2222-3333-444444444444\n").unwrap();
    let out = format!(
        "http://127.0.0.1:{}/services/collector/event?token_file={}&index=audit&sourcetype=sensor:json",
        receiver.port,
        token_file.display()
    );
    let rules = exec_rules(&dir);
    let sensor = Sensor::start(&[
        "--rules",
        &rules,
        "--output",
        &out,
        "--node-name",
        "hec-node",
    ])
    .unwrap();
    let tag = marker("hec");
    exec_marked(&tag);
    wait_for_text("HEC event", 20, || receiver.lines(), &tag);
    let log = sensor.stderr();
    sensor.stop().unwrap();
    assert!(!log.contains("4444444444"), "the token was logged: {log}");
    let requests = receiver.requests();
    assert!(requests
        .iter()
        .all(|q| q.path == "/services/collector/event"
            && q.header("authorization") == Some("Splunk 00000000-1111-2222-3333-444444444444")
            && q.header("content-encoding") == Some("gzip")));
    let events: Vec<Value> = receiver
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ours = events
        .iter()
        .find(|e| e["event"]["EXECVE"]["ARGV"][1] == tag.as_str())
        .expect("our exec as an HEC event");
    assert_eq!(ours["host"], "hec-node");
    assert_eq!(ours["index"], "audit");
    assert_eq!(ours["sourcetype"], "sensor:json");
    let id = ours["event"]["ID"].as_str().unwrap();
    let time: f64 = id.split(':').next().unwrap().parse().unwrap();
    assert_eq!(ours["time"].as_f64(), Some(time));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn file_rotates_by_size_keeping_n_files() {
    let dir = temp_dir("file-rotate");
    let path = dir.join("audit.json");
    let out = format!("file://{}?max_size=8K&keep=2", path.display());
    let rules = exec_rules(&dir);
    let sensor = Sensor::start(&["--rules", &rules, "--output", &out]).unwrap();
    let rotated = |n: u32| dir.join(format!("audit.json.{n}"));
    for i in 0..400 {
        exec_marked(&format!("rotate-{i}"));
        if rotated(2).exists() && i > 100 {
            break;
        }
    }
    sensor.stop().unwrap();
    assert!(
        rotated(1).exists() && rotated(2).exists(),
        "{:?}",
        walk(&dir)
    );
    assert!(!rotated(3).exists(), "keep=2 keeps two: {:?}", walk(&dir));
    // Oldest first: .2, .1, then the current file, one unbroken sequence.
    let mut all = Vec::new();
    for p in [rotated(2), rotated(1), path.clone()] {
        let len = fs::metadata(&p).unwrap().len();
        let lines = file_lines(&p);
        let longest = lines.iter().map(|l| l.len() as u64 + 1).max().unwrap_or(0);
        assert!(len <= 8192 + longest * 20, "{} is {len} bytes", p.display());
        all.extend(lines);
    }
    json_lines(&all);
    assert_serials_contiguous(&all);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn file_is_reopened_on_sigusr1() {
    let dir = temp_dir("file-reopen");
    let path = dir.join("audit.json");
    let moved = dir.join("audit.json.moved");
    let out = format!("file://{}", path.display());
    let rules = exec_rules(&dir);
    let sensor = Sensor::start(&["--rules", &rules, "--output", &out]).unwrap();
    let before = marker("before");
    exec_marked(&before);
    wait_for_text("record", 20, || file_lines(&path), &before);
    // As logrotate does: move the file, then signal.
    fs::rename(&path, &moved).unwrap();
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGUSR1) };
    thread::sleep(Duration::from_millis(300));
    let after = marker("after");
    exec_marked(&after);
    wait_for_text("record", 20, || file_lines(&path), &after);
    sensor.stop().unwrap();
    let (old, new) = (file_lines(&moved), file_lines(&path));
    assert!(old.iter().any(|l| l.contains(&before)) && !old.iter().any(|l| l.contains(&after)));
    assert!(!new.iter().any(|l| l.contains(&before)));
    let all: Vec<String> = old.into_iter().chain(new).collect();
    assert_serials_contiguous(&all);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_full_spool_drops_the_newest_and_says_so_in_a_lost_record() {
    let dir = temp_dir("spool-full");
    let port = free_port();
    let spool = dir.join("spool");
    // Small sizes for this sink only; stdout keeps the defaults.
    let out = format!("http://127.0.0.1:{port}/ingest?name=collector&queue_size=1K&spool_size=8K");
    let rules = exec_rules(&dir);
    let sensor = Sensor::start(&[
        "--rules",
        &rules,
        "--output",
        &out,
        "--output",
        "stdout",
        "--spool-dir",
        spool.to_str().unwrap(),
    ])
    .unwrap();
    for i in 0..100 {
        exec_marked(&format!("spool-full-{i}"));
    }
    assert!(wait_until(20, || sensor.stderr().contains(
        "records dropped (counted, and reported in LOST records): its spool is full"
    )));
    let receiver = Receiver::start(port).unwrap();
    // The LOST record, after what the spool kept.
    assert!(wait_until(60, || receiver
        .lines()
        .iter()
        .any(|l| l.contains("\"LOST\""))));
    let stdout = sensor.stop().unwrap();
    let lines = receiver.lines();
    json_lines(&lines);
    let lost: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("LOST").is_some())
        .collect();
    let dropped: u64 = lost
        .iter()
        .map(|v| record(v, "LOST")["sink"]["collector"].as_u64().unwrap())
        .sum();
    let kept = lines.len() - lost.len();
    // stdout got everything; the collector what the spool held, and the
    // LOST record counts the rest.
    let written = stdout.iter().filter(|v| v.get("LOST").is_none()).count();
    assert!(dropped > 0);
    assert_eq!(kept as u64 + dropped, written as u64, "{lost:?}");
    assert!(stdout
        .iter()
        .any(|v| record(v, "LOST")["sink"]["collector"].is_u64()));
    assert!(stdout
        .iter()
        .all(|v| record(v, "LOST")["sink"]["stdout"].is_null()));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn shutdown_spools_what_cannot_be_sent_and_the_next_run_sends_it_first() {
    let dir = temp_dir("spool-restart");
    let port = free_port();
    let spool = dir.join("spool");
    let out = format!("http://127.0.0.1:{port}/ingest");
    let rules = exec_rules(&dir);
    let args = [
        "--rules",
        &rules,
        "--output",
        &out,
        "--spool-dir",
        spool.to_str().unwrap(),
    ];
    let sensor = Sensor::start(&args).unwrap();
    let first = marker("first-run");
    exec_marked(&first);
    thread::sleep(Duration::from_secs(1));
    let log = sensor.stderr();
    sensor.stop_with(libc::SIGTERM).unwrap();
    assert!(segments(&spool) > 0, "nothing spooled at shutdown: {log}");

    let receiver = Receiver::start(port).unwrap();
    let sensor = Sensor::start(&args).unwrap();
    let second = marker("second-run");
    exec_marked(&second);
    wait_for_text("record", 30, || receiver.lines(), &second);
    sensor.stop().unwrap();
    let lines = receiver.lines();
    let at = |tag: &str| {
        lines
            .iter()
            .position(|l| l.contains(tag))
            .unwrap_or_else(|| panic!("{tag} never arrived"))
    };
    assert!(at(&first) < at(&second));
    assert_eq!(lines.iter().filter(|l| l.contains(&first)).count(), 1);
    assert_eq!(segments(&spool), 0);
    fs::remove_dir_all(dir).unwrap();
}

/// A full ring read at once, with the destination up, is written to it and
/// never to the spool: the sinks write on their own thread while the
/// pipeline renders, and take the records 1 MiB at a time. (When they shared
/// the pipeline's thread, a full ring's records were rendered in one piece,
/// overflowed the 16 MiB queue and went to disk.)
#[test]
fn a_full_ring_read_at_once_is_written_without_spooling() {
    let dir = temp_dir("burst");
    let addr = format!("127.0.0.1:{}", free_port());
    let path = dir.join("out.json");
    let out = format!("file://{}?name=burst", path.display());
    let spool = dir.join("spool");
    let sensor = Sensor::start(&[
        "--output",
        &out,
        "--spool-dir",
        spool.to_str().unwrap(),
        "--metrics-addr",
        &addr,
        // Room for the whole burst: about 55 MB of JSON.
        "--ring-buffer-size",
        "67108864",
    ])
    .unwrap();
    let series = |name: &str| {
        let (_, text) = sensor_tests::http_get(&addr, "/metrics").unwrap();
        metric(&text, &format!("{name}{{sink=\"burst\"}}")).unwrap_or(0)
    };
    // Stopped, the sensor reads nothing while the default rules record
    // every setsockopt: the ring fills (what it cannot hold is counted).
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGSTOP) };
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let value: libc::c_int = 65536;
    for _ in 0..60_000 {
        unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&socket),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&value as *const libc::c_int).cast(),
                4,
            )
        };
    }
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGCONT) };
    // Other processes on the machine keep adding records: wait for the
    // burst's number, not for quiet.
    assert!(
        wait_until(60, || series("sensor_sink_delivered_records_total")
            >= 60_000),
        "{}",
        sensor.stderr()
    );
    let bytes = fs::metadata(&path).unwrap().len();
    assert!(
        bytes > 16 << 20,
        "the burst ({bytes} bytes) fits in the queue"
    );
    assert_eq!(series("sensor_sink_spooled_records_total"), 0);
    sensor.stop().unwrap();
    fs::remove_dir_all(dir).unwrap();
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// The sensor with `args` under the usual umask, 022.
fn start_with_umask(args: &[&str]) -> Sensor {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(sensor_bin());
    cmd.args(args);
    // SAFETY: only umask between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    Sensor::start_command(cmd).unwrap()
}

#[test]
fn files_and_directories_are_private_whatever_the_umask() {
    let dir = temp_dir("file-modes");
    let (logs, shipped) = (dir.join("logs"), dir.join("shipped"));
    fs::create_dir_all(&logs).unwrap();
    fs::create_dir_all(&shipped).unwrap();
    let path = logs.join("audit.json");
    let rotating = format!("file://{}?max_size=8K&keep=2", path.display());
    let readable = format!(
        "file://{}?group_read=true",
        shipped.join("audit.json").display()
    );
    let port = free_port();
    let down = format!("http://127.0.0.1:{port}/ingest?name=down&queue_size=1K");
    let spool = dir.join("spool");
    let rules = exec_rules(&dir);
    let sensor = start_with_umask(&[
        "--rules",
        &rules,
        "--output",
        &rotating,
        "--output",
        &readable,
        "--output",
        &down,
        "--spool-dir",
        spool.to_str().unwrap(),
    ]);
    for i in 0..400 {
        exec_marked(&format!("modes-{i}"));
        if logs.join("audit.json.2").exists() && segments(&spool) > 0 {
            break;
        }
    }
    sensor.stop().unwrap();
    for file in [
        path.clone(),
        logs.join("audit.json.1"),
        logs.join("audit.json.2"),
        spool.join("down/lock"),
        spool.join("down/ledger"),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    let segs: Vec<String> = walk(&spool)
        .into_iter()
        .filter(|p| p.ends_with(".seg"))
        .collect();
    assert!(!segs.is_empty(), "nothing spooled: {:?}", walk(&spool));
    for seg in segs {
        assert_eq!(mode(Path::new(&seg)), 0o600, "{seg}");
    }
    for made in [spool.clone(), spool.join("down")] {
        assert_eq!(mode(&made), 0o700, "{}", made.display());
    }
    assert_eq!(mode(&shipped.join("audit.json")), 0o640);
    // Directories the sensor did not make keep their mode.
    assert_eq!(mode(&logs), 0o755);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_symbolic_link_where_a_file_goes_is_refused_and_its_target_untouched() {
    let dir = temp_dir("symlinks");
    let target = dir.join("target");
    fs::write(&target, "keep\n").unwrap();
    let link = dir.join("audit.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = refusal(
        &[
            "--output",
            &format!("file://{}", link.display()),
            "--spool-dir",
            dir.join("spool").to_str().unwrap(),
        ],
        &[],
    )
    .unwrap();
    assert!(
        err.contains(&format!("{}: it is a symbolic link", link.display())),
        "{err}"
    );
    assert!(!err.contains("attached"), "{err}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep\n");

    // The spool's lock, taken at start: not truncated through a link, and
    // the sensor refuses to start rather than run without its spool.
    let spool = dir.join("spool");
    fs::create_dir_all(spool.join("down")).unwrap();
    std::os::unix::fs::symlink(&target, spool.join("down/lock")).unwrap();
    let port = free_port();
    let down = format!("http://127.0.0.1:{port}/ingest?name=down&queue_size=1K");
    let err = refusal(
        &["--output", &down, "--spool-dir", spool.to_str().unwrap()],
        &[],
    )
    .unwrap();
    let expected = format!(
        "{}: it is a symbolic link",
        spool.join("down/lock").display()
    );
    assert!(err.contains(&expected), "{err}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep\n");
    // Nor is the ledger read or written through one: what it would have
    // said is unknown (logged), and a new ledger replaces the link.
    fs::remove_file(spool.join("down/lock")).unwrap();
    let ledger = spool.join("down/ledger");
    std::os::unix::fs::symlink(&target, &ledger).unwrap();
    // Rules no process matches: the spool stays empty whatever else runs
    // on the machine meanwhile.
    let rules = dir.join("none.rules");
    fs::write(
        &rules,
        "-a always,exit -F arch=b64 -S execve -F uid=4242421\n",
    )
    .unwrap();
    let sensor = Sensor::start(&[
        "--rules",
        rules.to_str().unwrap(),
        "--output",
        &down,
        "--spool-dir",
        spool.to_str().unwrap(),
    ])
    .unwrap();
    let expected = format!("{}: it is a symbolic link", ledger.display());
    assert!(sensor.stderr().contains(&expected), "{}", sensor.stderr());
    let meta = fs::symlink_metadata(&ledger).unwrap();
    assert!(meta.file_type().is_file(), "{meta:?}");
    assert_eq!(mode(&ledger), 0o600);
    sensor.stop().unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep\n");
    assert_eq!(segments(&spool), 0, "{:?}", walk(&spool));
    fs::remove_dir_all(dir).unwrap();
}
