//! --metrics-addr: Prometheus text at /metrics, /healthz and /readyz; no
//! number of idle clients starves the sensor, /metrics may ask for a
//! token, and running out of descriptors is named and survived.

use std::{
    fs, net::TcpStream, os::unix::process::CommandExt, path::Path, process::Command, thread,
    time::Duration,
};

use sensor_tests::{
    file_lines, free_port, get_within, http_get, marker, metric as value, sensor_bin, temp_dir,
    wait_until, Sensor,
};

#[test]
fn metrics_health_and_readiness_are_served() {
    let addr = format!("127.0.0.1:{}", free_port());
    let sensor = Sensor::start(&["--metrics-addr", &addr]).unwrap();
    let tag = marker("metrics");
    Command::new("/bin/true").arg(&tag).status().unwrap();
    sensor
        .wait_for("the exec", |e| e["EXECVE"]["ARGV"][1] == tag.as_str())
        .unwrap();
    let (status, text) = http_get(&addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE sensor_events_total counter"),
        "{text}"
    );
    assert!(
        value(&text, "sensor_events_total{kind=\"exec\"}").unwrap() >= 1,
        "{text}"
    );
    assert!(
        value(&text, "sensor_rule_matches_total{key=\"exec\"}").unwrap() >= 1,
        "{text}"
    );
    assert!(
        value(&text, "sensor_records_received_total").unwrap() >= 1,
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "sensor_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    for series in [
        "sensor_sink_queue_bytes{sink=\"stdout\"}",
        "sensor_sink_spool_records{sink=\"stdout\"}",
        "sensor_sink_delivery_errors_total{sink=\"stdout\"}",
        "sensor_sink_up{sink=\"stdout\"}",
    ] {
        assert!(value(&text, series).is_some(), "no {series} in {text}");
    }
    assert!(
        value(
            &text,
            "sensor_sink_delivered_records_total{sink=\"stdout\"}"
        )
        .unwrap()
            >= 1
    );
    assert_eq!(http_get(&addr, "/healthz").unwrap(), (200, "ok\n".into()));
    assert_eq!(http_get(&addr, "/readyz").unwrap(), (200, "ready\n".into()));
    assert_eq!(http_get(&addr, "/nothing").unwrap().0, 404);
    sensor.stop().unwrap();
}

/// The sensor with `args`, started with a soft limit of `soft` open files
/// (the hard limit as it is), as a shell's default ulimit gives it.
fn start_with_fd_limit(args: &[&str], soft: u64) -> Sensor {
    let mut cmd = Command::new(sensor_bin());
    cmd.args(args);
    // SAFETY: only getrlimit and setrlimit between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let mut l = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
            l.rlim_cur = soft;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &l) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Sensor::start_command(cmd).unwrap()
}

fn exec_rules(dir: &Path) -> String {
    let path = dir.join("exec.rules");
    fs::write(&path, "-a always,exit -F arch=b64 -S execve -k metrics\n").unwrap();
    path.display().to_string()
}

fn open_fds(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

#[test]
fn idle_connections_cannot_starve_the_sensor() {
    // Our own limit must hold 2,000 client sockets.
    let mut own = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut own) };
    own.rlim_cur = own.rlim_max;
    assert!(own.rlim_cur > 2100, "{} open files at most", own.rlim_cur);
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &own) }, 0);

    let dir = temp_dir("metrics-flood");
    let (path, moved) = (dir.join("audit.json"), dir.join("audit.json.1"));
    let addr = format!("127.0.0.1:{}", free_port());
    let rules = exec_rules(&dir);
    let out = format!("file://{}", path.display());
    let spool = dir.join("spool");
    let sensor = start_with_fd_limit(
        &[
            "--rules",
            &rules,
            "--output",
            &out,
            "--spool-dir",
            spool.to_str().unwrap(),
            "--metrics-addr",
            &addr,
        ],
        1024,
    );
    let limits = fs::read_to_string(format!("/proc/{}/limits", sensor.pid())).unwrap();
    let (soft, hard): (u64, u64) = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| {
            let mut f = l.split_whitespace().skip(3);
            Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
        })
        .unwrap();
    // As far as the hard limit allows (raising that takes CAP_SYS_RESOURCE,
    // which this machine's bounding set lacks).
    assert_eq!(
        soft,
        hard.min(65536),
        "the open-file limit was not raised:\n{limits}"
    );

    // 2,000 clients that connect and never send a request.
    let target: std::net::SocketAddr = addr.parse().unwrap();
    let mut idle = Vec::new();
    for _ in 0..2000 {
        match TcpStream::connect_timeout(&target, Duration::from_secs(3)) {
            Ok(c) => idle.push(c),
            Err(e) => panic!("connection {} refused: {e}", idle.len()),
        }
    }
    // Events flow meanwhile, the probes answer, descriptors stay bounded.
    let tag = marker("flood");
    for i in 0..50 {
        Command::new("/bin/true")
            .arg(format!("{tag}-{i}"))
            .status()
            .unwrap();
    }
    let answer = get_within(&addr, "/healthz", "", 5).expect("/healthz did not answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let fds = open_fds(sensor.pid());
    eprintln!("{fds} descriptors open with 2,000 idle clients");
    assert!(fds < 400, "{fds} descriptors open with 2,000 idle clients");
    // logrotate's move and SIGUSR1: the file is reopened.
    fs::rename(&path, &moved).unwrap();
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGUSR1) };
    thread::sleep(Duration::from_millis(300));
    for i in 50..100 {
        Command::new("/bin/true")
            .arg(format!("{tag}-{i}"))
            .status()
            .unwrap();
    }
    let last = format!("\"{tag}-99\"");
    assert!(wait_until(20, || file_lines(&path)
        .iter()
        .any(|l| l.contains(&last))));
    drop(idle);
    let log = sensor.stop_with_log(libc::SIGINT).unwrap().1;
    let all: Vec<String> = file_lines(&moved)
        .into_iter()
        .chain(file_lines(&path))
        .collect();
    for i in 0..100 {
        let t = format!("\"{tag}-{i}\"");
        assert_eq!(
            all.iter().filter(|l| l.contains(&t)).count(),
            1,
            "{t} not written once; log:\n{log}"
        );
    }
    assert!(!all.iter().any(|l| l.contains("\"LOST\"")), "{log}");
    assert!(!log.contains("dropped"), "{log}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn metrics_ask_for_the_bearer_token_and_the_probes_do_not() {
    let dir = temp_dir("metrics-token");
    let token_file = dir.join("token");
    let token = marker("token");
    fs::write(&token_file, format!("{token}\n")).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let sensor = Sensor::start(&[
        "--metrics-addr",
        &addr,
        "--metrics-token-file",
        token_file.to_str().unwrap(),
        "--spool-dir",
        dir.join("spool").to_str().unwrap(),
    ])
    .unwrap();
    let bearer = format!("Authorization: Bearer {token}\r\n");
    let none = get_within(&addr, "/metrics", "", 5).unwrap();
    assert!(none.starts_with("HTTP/1.1 401"), "{none}");
    assert!(none.contains("WWW-Authenticate: Bearer"), "{none}");
    let wrong = get_within(&addr, "/metrics", "Authorization: Bearer nope\r\n", 5).unwrap();
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let right = get_within(&addr, "/metrics", &bearer, 5).unwrap();
    assert!(right.starts_with("HTTP/1.1 200"), "{right}");
    assert!(right.contains("sensor_records_received_total"), "{right}");
    for probe in ["/healthz", "/readyz"] {
        let answer = get_within(&addr, probe, "", 5).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{probe}: {answer}");
    }
    let (_, log) = sensor.stop_with_log(libc::SIGINT).unwrap();
    assert!(!log.contains(&token), "the token was logged:\n{log}");
    fs::remove_dir_all(dir).unwrap();
}

/// Sets the soft open-file limit of process `pid` (prlimit(2)), at most
/// its hard limit.
fn set_fd_limit(pid: u32, soft: u64) {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let r = unsafe { libc::prlimit(pid as i32, libc::RLIMIT_NOFILE, std::ptr::null(), &mut old) };
    assert_eq!(r, 0);
    let new = libc::rlimit {
        rlim_cur: soft.min(old.rlim_max),
        rlim_max: old.rlim_max,
    };
    let r = unsafe { libc::prlimit(pid as i32, libc::RLIMIT_NOFILE, &new, std::ptr::null_mut()) };
    assert_eq!(r, 0, "prlimit: {}", std::io::Error::last_os_error());
}

#[test]
fn running_out_of_descriptors_is_named_and_survived() {
    let dir = temp_dir("metrics-emfile");
    let path = dir.join("audit.json");
    let moved = dir.join("audit.json.1");
    let addr = format!("127.0.0.1:{}", free_port());
    let rules = exec_rules(&dir);
    let out = format!("file://{}", path.display());
    let sensor = Sensor::start(&[
        "--rules",
        &rules,
        "--output",
        &out,
        "--spool-dir",
        dir.join("spool").to_str().unwrap(),
        "--metrics-addr",
        &addr,
    ])
    .unwrap();
    let pid = sensor.pid();
    // Not one descriptor more: every descriptor number below 3 is taken, so
    // reopening the file, spooling and accepting all fail.
    set_fd_limit(pid, 3);
    fs::rename(&path, &moved).unwrap();
    unsafe { libc::kill(pid as i32, libc::SIGUSR1) };
    let tag = marker("emfile");
    Command::new("/bin/true").arg(&tag).status().unwrap();
    let _refused = TcpStream::connect(&addr).unwrap();
    assert!(
        wait_until(20, || {
            let log = sensor.stderr();
            log.contains("sink file")
                && log.contains("metrics server")
                && log.matches("EMFILE").count() >= 2
        }),
        "{}",
        sensor.stderr()
    );
    // Descriptors back: the sensor goes on.
    set_fd_limit(pid, u64::MAX);
    let answer = get_within(&addr, "/healthz", "", 10).expect("/healthz after EMFILE");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let after = marker("after-emfile");
    Command::new("/bin/true").arg(&after).status().unwrap();
    assert!(wait_until(20, || file_lines(&path)
        .iter()
        .any(|l| l.contains(&after))));
    let (_, log) = sensor.stop_with_log(libc::SIGINT).unwrap();
    assert!(!log.contains("spool is full"), "{log}");
    fs::remove_dir_all(dir).unwrap();
}
