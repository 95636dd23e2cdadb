//! Conformance with the real kernel audit subsystem: auditd and the sensor
//! run side by side with the same rule file on the same workload; events are
//! matched by pid, syscall (with its arch) and order and compared record by
//! record, every field of every record, both read from auditd's text format
//! (the sensor's `--format auditd`) with one parser. Any difference not in
//! the caller's allowed list fails the test.

use std::{collections::BTreeMap, path::Path, process::Command};

use sensor_common::syscalls::{self, Arch};

use crate::{
    audit_log::{self, Event},
    auditd::Auditd,
    Sensor,
};

/// A known, justified difference: record (`PATH` for the first of its
/// kind, `PATH[1]` for the second…, `PATH*` for any of them; prefixed
/// `failed:`, only in events of calls that failed), fields
/// (`inode|dev`; `presence` for a record one side has and the other not;
/// `*` for any), the calls it applies to (see [`call_name`]), why. Whole
/// events one side lacks are record `events`.
pub type Allowed = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

/// `execve` for a 64-bit call, `b32:open` for a 32-bit one (the i386
/// table), the number where the name is not known.
pub fn call_name(e: &Event) -> String {
    let nr: u32 = e
        .syscall("syscall")
        .and_then(|s| s.parse().ok())
        .unwrap_or(u32::MAX);
    let (arch, prefix) = match e.syscall("arch") {
        Some("40000003") => (Arch::I386, "b32:"),
        _ => (Arch::X86_64, ""),
    };
    match syscalls::by_number(arch, nr) {
        Some(s) => format!("{prefix}{}", s.name),
        None => format!("{prefix}{nr}"),
    }
}

fn allowed(list: &[Allowed], record: &str, field: &str, call: &str, failed: bool) -> bool {
    list.iter().any(|(r, f, calls, _)| {
        let r = match r.strip_prefix("failed:") {
            Some(_) if !failed => return false,
            Some(r) => r,
            None => r,
        };
        let record_matches = match r.strip_suffix('*') {
            Some(kind) => record.split('[').next() == Some(kind),
            None => r == record,
        };
        record_matches && (*f == "*" || f.split('|').any(|f| f == field)) && calls.contains(&call)
    })
}

/// (pid, call name): how events are matched.
pub type CallKey = (String, String);

/// Events of the workload process and its children, by (pid, call).
fn by_call(events: &[Event], workload: u32) -> BTreeMap<CallKey, Vec<Event>> {
    let mut calls: BTreeMap<CallKey, Vec<Event>> = BTreeMap::new();
    let w = workload.to_string();
    for e in events {
        if e.syscall("pid") == Some(&w) || e.syscall("ppid") == Some(&w) {
            let key = (e.syscall("pid").unwrap().to_owned(), call_name(e));
            calls.entry(key).or_default().push(e.clone());
        }
    }
    calls
}

/// Records the kernel never writes: the sensor's own (`UNKNOWN[N]`, such
/// as the ORIGIN of every event).
fn sensor_only(kind: &str) -> bool {
    kind.starts_with("UNKNOWN[")
}

/// Every difference between auditd's and the sensor's version of one event.
/// `cached_proctitle` is the PROCTITLE of the pid's first event in auditd's
/// log: the kernel keeps that one for the task's life, even across exec, so
/// auditd's later records can show a command line the process no longer
/// has. The sensor writes the current one; only that case is excused.
fn compare(
    list: &[Allowed],
    theirs: &Event,
    ours: &Event,
    cached_proctitle: Option<&str>,
    out: &mut Vec<String>,
    compared: &mut BTreeMap<String, usize>,
) {
    let call = call_name(theirs);
    let failed = theirs.syscall("success") == Some("no");
    let mut check = |record: &str, kind: &str, field: &str, a: Option<&str>, b: Option<&str>| {
        *compared.entry(kind.to_owned()).or_default() += 1;
        let stale_proctitle = kind == "PROCTITLE" && a.is_some() && a == cached_proctitle;
        if a != b && !allowed(list, record, field, &call, failed) && !stale_proctitle {
            out.push(format!(
                "{call} {record}.{field}: auditd {a:?}, sensor {b:?} (auditd event {})",
                theirs.id
            ));
        }
    };
    // Record kinds in the order auditd wrote them, then any only the
    // sensor has.
    let mut kinds: Vec<&str> = Vec::new();
    for r in theirs
        .records
        .iter()
        .chain(ours.records.iter().filter(|r| !sensor_only(&r.kind)))
    {
        if !kinds.contains(&r.kind.as_str()) {
            kinds.push(&r.kind);
        }
    }
    for kind in kinds {
        let (t, o): (Vec<_>, Vec<_>) =
            (theirs.records(kind).collect(), ours.records(kind).collect());
        for i in 0..t.len().max(o.len()) {
            let record = if i == 0 {
                kind.to_owned()
            } else {
                format!("{kind}[{i}]")
            };
            match (t.get(i), o.get(i)) {
                (Some(t), Some(o)) => {
                    let mut fields: Vec<&str> = t.fields.iter().map(|(k, _)| k.as_str()).collect();
                    for (k, _) in &o.fields {
                        if !fields.contains(&k.as_str()) {
                            fields.push(k);
                        }
                    }
                    for field in fields {
                        check(&record, kind, field, t.get(field), o.get(field));
                    }
                }
                (t, o) => check(
                    &record,
                    kind,
                    "presence",
                    t.map(|_| "present"),
                    o.map(|_| "present"),
                ),
            }
        }
    }
}

/// The events auditd and the sensor recorded for a workload, by (pid,
/// call), both read from auditd's text format; and both texts.
pub struct Run {
    pub theirs: BTreeMap<CallKey, Vec<Event>>,
    pub ours: BTreeMap<CallKey, Vec<Event>>,
    pub workload: u32,
    /// The sensor's.
    pub text: String,
    /// auditd's.
    pub log: String,
}

/// Runs `workload` (which returns the host pid of the process whose
/// events, and its children's, are compared; 0 to find it in auditd's
/// events with `find`) with auditd and the sensor both recording under
/// `rules`.
pub fn run_both(
    rules: &Path,
    workload: impl FnOnce() -> u32,
    find: impl Fn(&[Event]) -> Option<u32>,
) -> Run {
    let auditd = Auditd::start(rules).unwrap();
    let audit_config = auditctl_state();
    let sensor =
        Sensor::start(&["--rules", rules.to_str().unwrap(), "--format", "auditd"]).unwrap();
    let pid = workload();
    // Until both recordings stop growing: on a loaded machine kauditd and
    // auditd may be seconds behind the workload.
    auditd.wait_until_quiet(|| sensor.text().len());
    let text = sensor.stop_text().unwrap();
    // The sensor never touches the kernel's audit configuration.
    assert_eq!(auditctl_state(), audit_config);
    let log = auditd.stop().unwrap();
    // For a look at both recordings whole: SENSOR_TEST_DUMP=DIR.
    if let Some(dir) = std::env::var_os("SENSOR_TEST_DUMP") {
        let dir = Path::new(&dir);
        std::fs::write(dir.join("auditd.log"), &log).unwrap();
        std::fs::write(dir.join("sensor.log"), &text).unwrap();
    }
    let theirs = audit_log::parse(&log);
    let workload = match pid {
        0 => find(&theirs).expect("auditd saw the workload"),
        pid => pid,
    };
    Run {
        theirs: by_call(&theirs, workload),
        ours: by_call(&audit_log::parse(&text), workload),
        workload,
        text,
        log,
    }
}

/// The kernel's audit rules and status (auditd's pid, enabled…), less the
/// counters that move by themselves.
fn auditctl_state() -> String {
    let run = |args: &[&str]| {
        String::from_utf8(Command::new("auditctl").args(args).output().unwrap().stdout).unwrap()
    };
    let status: Vec<String> = run(&["-s"])
        .lines()
        // Counters, not configuration: they move with load.
        .filter(|l| {
            !l.starts_with("lost")
                && !l.starts_with("backlog ")
                && !l.starts_with("backlog_wait_time_actual")
        })
        .map(str::to_owned)
        .collect();
    format!("{}{}", run(&["-l"]), status.join("\n"))
}

/// Every difference between the two recordings, beyond `list`, and how
/// many fields of each record kind were compared.
pub fn differences(run: &Run, list: &[Allowed]) -> (Vec<String>, BTreeMap<String, usize>) {
    let (theirs, ours) = (&run.theirs, &run.ours);
    // Each pid's first event in auditd's log, by serial.
    let serial = |e: &Event| e.id.rsplit(':').next().unwrap().parse::<u64>().unwrap();
    let mut first: BTreeMap<&str, &Event> = BTreeMap::new();
    for e in theirs.values().flatten() {
        let pid = e.syscall("pid").unwrap();
        if first.get(pid).is_none_or(|f| serial(e) < serial(f)) {
            first.insert(pid, e);
        }
    }
    let mut differences = Vec::new();
    let mut compared = BTreeMap::new();
    for (call, t_events) in theirs {
        let o_events = ours.get(call).map_or(&[][..], |v| &v[..]);
        if t_events.len() != o_events.len() && !allowed(list, "events", "count", &call.1, false) {
            differences.push(format!(
                "pid {} {}: auditd has {} events, the sensor {}",
                call.0,
                call.1,
                t_events.len(),
                o_events.len()
            ));
        }
        let cached = first
            .get(call.0.as_str())
            .and_then(|e| e.record("PROCTITLE"))
            .and_then(|p| p.get("proctitle"));
        for (t, o) in t_events.iter().zip(o_events) {
            compare(list, t, o, cached, &mut differences, &mut compared);
        }
    }
    for call in ours
        .keys()
        .filter(|c| !theirs.contains_key(*c) && !allowed(list, "events", "count", &c.1, false))
    {
        differences.push(format!(
            "pid {} {}: only the sensor has events",
            call.0, call.1
        ));
    }
    (differences, compared)
}

/// Fails on any difference beyond `list`, listing them all.
pub fn assert_agrees(run: &Run, list: &[Allowed]) {
    let (differences, compared) = differences(run, list);
    println!("fields compared, by record: {compared:?}");
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
