//! Harness for the privileged integration tests: runs the real sensor
//! binary (built by `cargo xtask test`, path in $SENSOR_BIN) against the
//! running kernel and collects what it writes.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{mpsc, Arc, Mutex},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};

pub mod audit_log;
pub mod auditd;
pub mod conformance;
pub mod containerd;
pub mod deploy;
pub mod http_receiver;
pub mod laurel;
pub mod logins;
pub mod matrix;
pub mod podman;
pub mod rsyslog;
pub mod vm;
pub mod websocket;
use serde_json::Value;

/// The sensor binary under test.
pub fn sensor_bin() -> PathBuf {
    std::env::var_os("SENSOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/release/sensor"
            ))
        })
}

pub struct Sensor {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    stdout: Option<thread::JoinHandle<()>>,
    stderr: Arc<Mutex<String>>,
}

impl Sensor {
    /// Starts the sensor and waits until it logs `ready`.
    pub fn start(args: &[&str]) -> Result<Self> {
        let mut cmd = Command::new(sensor_bin());
        cmd.args(args);
        Self::start_command(cmd)
    }

    /// Starts `cmd`, which runs the sensor in the foreground (directly, or in
    /// a container attached to it), and waits until it logs `ready`.
    pub fn start_command(mut cmd: Command) -> Result<Self> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {cmd:?}"))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = BufReader::new(child.stdout.take().unwrap());
        let sink = lines.clone();
        let stdout = thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let err = BufReader::new(child.stderr.take().unwrap());
        let log = stderr.clone();
        thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                let ready = line.contains("ready");
                {
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
                // After the line is in the log, so the caller sees it.
                if ready {
                    let _ = ready_tx.send(());
                }
            }
        });
        let mut sensor = Self {
            child,
            lines,
            stdout: Some(stdout),
            stderr,
        };
        if ready_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = sensor.child.kill();
            bail!(
                "the sensor never became ready; stderr:\n{}",
                sensor.stderr()
            );
        }
        Ok(sensor)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until an event matching `pred` arrives, returning it.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(v) = self.events().into_iter().find(|v| pred(v)) {
                return Ok(v);
            }
            thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "no event for {what} within 20 s; stderr:\n{}",
            self.stderr()
        )
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let mut text = self.lines.lock().unwrap().join("\n");
        text.push('\n');
        text
    }

    /// Every event written so far, each line parsed (a line that is not
    /// JSON fails the test).
    pub fn events(&self) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// SIGINT, then waits for a clean exit; returns every event.
    pub fn stop(self) -> Result<Vec<Value>> {
        self.stop_with(libc::SIGINT)
    }

    /// Sends `signal`, then waits for a clean exit; returns every event.
    pub fn stop_with(self, signal: i32) -> Result<Vec<Value>> {
        Ok(self.stop_with_log(signal)?.0)
    }

    /// Sends `signal`, waits for a clean exit; returns every event and
    /// everything the sensor logged.
    pub fn stop_with_log(self, signal: i32) -> Result<(Vec<Value>, String)> {
        let sensor = self.stopped(signal)?;
        Ok((sensor.events(), sensor.stderr()))
    }

    /// SIGINT, a clean exit, then all the sensor wrote (any format).
    pub fn stop_text(self) -> Result<String> {
        Ok(self.stopped(libc::SIGINT)?.text())
    }

    fn stopped(mut self, signal: i32) -> Result<Self> {
        unsafe { libc::kill(self.child.id() as i32, signal) };
        let status = self.child.wait()?;
        if let Some(t) = self.stdout.take() {
            let _ = t.join();
        }
        if !status.success() {
            bail!(
                "the sensor exited with {status}; stderr:\n{}",
                self.stderr()
            );
        }
        // The stderr reader may still be on the last lines.
        thread::sleep(Duration::from_millis(100));
        // A call outside the daemon's seccomp list fails with EPERM and is
        // logged: whatever the test checks, that is a defect.
        if self.stderr().contains("seccomp: denied") {
            bail!(
                "the sensor made a system call its seccomp filter denies \
                 (sensor/src/confine/seccomp.rs); stderr:\n{}",
                self.stderr()
            );
        }
        Ok(self)
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A record of an event: the object (SYSCALL, EXECVE, CWD, PROCTITLE),
/// or the first item of a list (every other record type).
pub fn record<'a>(e: &'a Value, name: &str) -> &'a Value {
    match &e[name] {
        Value::Array(items) => items.first().unwrap_or(&Value::Null),
        other => other,
    }
}

/// The events whose record `record` (an object such as `"EXIT"`, or a
/// list such as `"TTY"`) has `field` equal to `value`.
pub fn with(events: &[Value], record: &str, field: &str, value: impl Into<Value>) -> Vec<Value> {
    let value = value.into();
    events
        .iter()
        .filter(|e| match &e[record] {
            Value::Array(items) => items.iter().any(|r| r[field] == value),
            r => r[field] == value,
        })
        .cloned()
        .collect()
}

/// Events of `syscall` (a number) made by process `pid`.
pub fn by_pid(events: &[Value], syscall: u64, pid: u32) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["SYSCALL"]["syscall"] == syscall && e["SYSCALL"]["pid"] == pid)
        .cloned()
        .collect()
}

/// A unique marker for this test run, so events can't be confused with
/// anything else on the machine.
pub fn marker(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("sensor-test-{tag}-{}-{nanos}", std::process::id())
}

/// Forks; the child runs `child` (which must only make async-signal-safe
/// calls: the test harness is multi-threaded) and exits 127 if it returns.
/// Returns the child's pid once it has exited.
pub fn fork_and(child: impl FnOnce()) -> u32 {
    // SAFETY: the child only runs `child`, then _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        child();
        unsafe { libc::_exit(127) };
    }
    let mut status = 0;
    unsafe { libc::waitpid(pid, &mut status, 0) };
    pid as u32
}

/// Forks; the child runs `child` (async-signal-safe calls only) and exits
/// 0, while the parent runs `parent` with the child's pid, then waits for it.
pub fn fork_and_wait(child: impl FnOnce(), parent: impl FnOnce(u32)) -> u32 {
    // SAFETY: the child only runs `child`, then _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        child();
        unsafe { libc::_exit(0) };
    }
    parent(pid as u32);
    let mut status = 0;
    unsafe { libc::waitpid(pid, &mut status, 0) };
    pid as u32
}

/// A NULL-terminated argv for execve, built before forking.
pub struct CArgv {
    _strings: Vec<std::ffi::CString>,
    pub ptrs: Vec<*const libc::c_char>,
}

impl CArgv {
    pub fn new(args: &[&[u8]]) -> Self {
        let strings: Vec<_> = args
            .iter()
            .map(|a| std::ffi::CString::new(*a).unwrap())
            .collect();
        let mut ptrs: Vec<_> = strings.iter().map(|s| s.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        Self {
            _strings: strings,
            ptrs,
        }
    }
}

/// A new pseudo-terminal: (master, slave) descriptors.
pub fn open_pty() -> (i32, i32) {
    let (mut master, mut slave) = (0, 0);
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    (master, slave)
}

/// A loopback TCP port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding an ephemeral port")
}

/// A new empty directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(marker(tag));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a test directory");
    dir
}

/// GET with a deadline: a server that accepted but never answers fails.
pub fn get_within(addr: &str, path: &str, headers: &str, secs: u64) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    let mut conn =
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(secs))?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(secs)))?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer)?;
    Ok(answer)
}

/// GET `path` from `addr`: (status, body).
pub fn http_get(addr: &str, path: &str) -> Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut conn =
        std::net::TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP answer: {answer}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The value of the series `name{labels}` in Prometheus text.
pub fn metric(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The serial of a record's ID (`sec.msec:SERIAL`), JSON or auditd text.
pub fn serial(line: &str) -> Option<u64> {
    let rest = line
        .split_once("\"ID\":\"")
        .or_else(|| line.split_once("msg=audit("))?
        .1;
    let id = rest.split(['"', ')']).next()?;
    id.split_once(':')?.1.parse().ok()
}

/// Checks that `lines` hold every serial from their first to their last
/// exactly once and in order (nothing lost, nothing doubled, nothing
/// reordered), and returns how many there are.
pub fn assert_serials_contiguous(lines: &[String]) -> usize {
    let serials: Vec<u64> = lines
        .iter()
        .map(|l| serial(l).unwrap_or_else(|| panic!("no ID in {l}")))
        .collect();
    for pair in serials.windows(2) {
        assert_eq!(
            pair[1],
            pair[0] + 1,
            "serials jump from {} to {} (of {} records)",
            pair[0],
            pair[1],
            serials.len()
        );
    }
    serials.len()
}

/// The argument after the command of each exec record in `lines` that
/// starts with `prefix` (a workload's tags), in the order they appear.
pub fn tags_seen(lines: &[String], prefix: &str) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let v: Value = serde_json::from_str(l).ok()?;
            let argv = v["EXECVE"]["ARGV"].as_array()?;
            let arg = argv.get(1)?.as_str()?;
            arg.starts_with(prefix).then(|| arg.to_string())
        })
        .collect()
}

/// Polls `done` every 100 ms for up to `secs` seconds.
pub fn wait_until(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(100));
    }
    done()
}

/// The lines of a file (none if it does not exist).
pub fn file_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

/// Runs the sensor with `args` (and `env`), expecting it to refuse to
/// start: returns what it logged, or fails if it became ready instead.
pub fn refusal(args: &[&str], env: &[(&str, &str)]) -> Result<String> {
    let mut child = Command::new(sensor_bin())
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let err = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let sink = log.clone();
    let reader = thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let mut log = sink.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if log.lock().unwrap().contains("ready") || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("it started instead:\n{}", log.lock().unwrap());
        }
        thread::sleep(Duration::from_millis(50));
    };
    let _ = reader.join();
    let log = log.lock().unwrap().clone();
    ensure!(!status.success(), "it exited successfully:\n{log}");
    Ok(log)
}
