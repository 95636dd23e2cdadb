//! laurel-exact JSON: the real auditd runs the real laurel (0.8.2) as its
//! plugin, the sensor runs beside them with the same rules, and the same
//! workload (every kind of record the sensor writes) runs under both.
//! Every field of every record laurel writes for the workload is compared
//! with the sensor's JSON of the same event; events are matched by pid,
//! syscall (or record type) and order. Any difference not in `ALLOWED`
//! fails the test, and so does a key the sensor adds that is not one of
//! its own ALL-CAPS additions.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::Path,
    process::Command,
};

use sensor_tests::{auditd::Auditd, fork_and, marker, Sensor};
use serde_json::Value;

/// A difference the kernel (or laurel's way of working) makes
/// unavoidable: (record, field path inside it, the syscalls it applies to
/// (empty: any), why). `*` matches any field of the record.
const ALLOWED: &[(&str, &str, &[u64], &str)] = &[
    (
        "PROCTITLE",
        "ARGV",
        &[],
        "the kernel keeps a task's PROCTITLE from its first logged event for the task's life \
         (across exec); the sensor writes the command line the task has at the event",
    ),
    (
        "EXECVE",
        "ENV",
        &[59, 322],
        "laurel reads /proc/PID/environ when it handles the event and writes no ENV once the \
         process has gone; the sensor reads the new image's environment at the exec",
    ),
    (
        "SYSCALL",
        "SCRIPT",
        &[59, 322],
        "laurel finds a script from /proc/PID/root after the fact and writes no SCRIPT once \
         the process and its parent have gone; the sensor knows it from the exec",
    ),
    (
        "PATH",
        "*",
        &[42, 49],
        "connect or bind to a unix socket path: the kernel logs its lookup of the path as a \
         PATH item (with a CWD); no tracepoint sees that lookup (the sensor has the path in \
         SOCKADDR)",
    ),
    (
        "CWD",
        "*",
        &[42, 49],
        "connect or bind to a unix socket path: the CWD that goes with the lookup's PATH item",
    ),
    (
        "SYSCALL",
        "items",
        &[42, 49],
        "connect or bind to a unix socket path: the lookup's PATH item counted",
    ),
];

/// Why laurel's key for a process may name another event than the
/// sensor's (see `Comparison::key`).
const FORKED: &str = "laurel does not see forks and takes a failed exec for a new program: it \
                      keys a process it did not see start by exec after the first event it saw \
                      of it; the sensor keys it by its start (its fork) or its last exec";

/// Events only laurel has, each with why.
const LAUREL_ONLY: &[(&str, &str)] = &[(
    "CONFIG_CHANGE",
    "the workload switching the kernel's TTY auditing on (AUDIT_TTY_SET): the kernel writes \
     it into the sending call's event; the sensor, reading it from the audit multicast group \
     where it comes without that call, writes it as an event of its own",
)];

/// Keys the sensor adds to laurel's records: its own, ALL-CAPS, in keys
/// laurel never writes there.
const OURS: &[(&str, &str)] = &[
    ("", "CONTAINER"),
    ("", "K8S"),
    ("", "HOST"),
    ("", "CLUSTER"),
    ("", "SOCKOPT"),
    ("SYSCALL", "DOMAIN"),
    ("SYSCALL", "TYPE"),
    ("SYSCALL", "PROTOCOL"),
    ("SOCKOPT", "*"),
    ("SYSCALL", "PROT"),
    ("SYSCALL", "FLAGS"),
    ("MMAP", "FILE"),
    ("TTY", "TTY"),
    ("TTY", "DIRECTION"),
];

/// The kernel's records the workload makes, which laurel writes.
const KERNEL_RECORDS: [&str; 10] = [
    "SYSCALL",
    "EXECVE",
    "CWD",
    "PATH",
    "PROCTITLE",
    "BPRM_FCAPS",
    "SOCKADDR",
    "MMAP",
    "TTY",
    "LOGIN",
];

/// Records the kernel has no counterpart of, so laurel never writes them.
const SENSOR_ONLY: &[(&str, &str)] = &[
    ("FORK", "a fork: the kernel's audit has no record of it"),
    (
        "EXIT",
        "a process's exit: the kernel's audit has no record of it",
    ),
    (
        "LOST",
        "what the sensor lost: the kernel counts its own losses (auditctl -s), in no record",
    ),
    (
        "CONFIG_CHANGE",
        "the kernel's own record, from the audit multicast group: an event of its own (see \
         LAUREL_ONLY)",
    ),
];

/// The reason a difference in `record.field` of a `syscall` event is
/// allowed, if it is.
fn allowed(record: &str, field: &str, syscall: u64) -> Option<&'static str> {
    ALLOWED
        .iter()
        .find(|(r, f, calls, _)| {
            *r == record
                && (*f == "*" || field.starts_with(f))
                && (calls.is_empty() || calls.contains(&syscall))
        })
        .map(|(.., why)| *why)
}

fn sensor_addition(record: &str, key: &str) -> bool {
    OURS.iter()
        .any(|(r, k)| *r == record && (*k == "*" || *k == key))
}

/// The record types of an event (its keys other than ID and NODE, and
/// the sensor's placement records).
fn kinds(e: &Value) -> Vec<&str> {
    e.as_object()
        .map(|o| {
            o.keys()
                .map(String::as_str)
                .filter(|k| !matches!(*k, "ID" | "NODE") && !sensor_addition("", k))
                .collect()
        })
        .unwrap_or_default()
}

/// The pid an event is about: its SYSCALL's, else its first record's.
fn pid_of(e: &Value) -> Option<u64> {
    if let Some(pid) = e["SYSCALL"]["pid"].as_u64() {
        return Some(pid);
    }
    kinds(e)
        .iter()
        .find_map(|k| e[*k][0]["pid"].as_u64().or(e[*k][0]["ppid"].as_u64()))
}

/// What an event is, for matching: its syscall, else its record type.
fn what(e: &Value) -> String {
    match e["SYSCALL"]["syscall"].as_u64() {
        Some(nr) => nr.to_string(),
        None => kinds(e).join("+"),
    }
}

type Calls = BTreeMap<(u64, String), Vec<Value>>;

/// Events of the processes in `pids`, by (pid, what), in order.
fn by_call(events: &[Value], pids: &BTreeSet<u64>) -> Calls {
    let mut calls = Calls::new();
    for e in events {
        if let Some(pid) = pid_of(e).filter(|p| pids.contains(p)) {
            calls.entry((pid, what(e))).or_default().push(e.clone());
        }
    }
    calls
}

#[derive(Default)]
struct Tally {
    /// Leaves compared and leaves equal, by record type.
    compared: BTreeMap<String, (usize, usize)>,
    /// Differences beyond `ALLOWED`.
    differences: Vec<String>,
    /// Allowed differences met, by reason.
    excused: BTreeMap<String, usize>,
}

struct Comparison<'a> {
    /// laurel's event IDs to the sensor's, from the matched events.
    ids: &'a HashMap<String, String>,
    /// laurel's IDs of successful execs.
    execs: &'a BTreeSet<String>,
    tally: &'a mut Tally,
    event: String,
    syscall: u64,
}

impl Comparison<'_> {
    fn leaf(&mut self, record: &str, field: &str, theirs: &Value, ours: Option<&Value>) {
        let entry = self.tally.compared.entry(record.to_owned()).or_default();
        entry.0 += 1;
        // An event ID names an event of laurel's stream; its match is the
        // sensor's event in the sensor's.
        let theirs = match (field.ends_with("EVENT_ID"), theirs.as_str()) {
            (true, Some(id)) => self
                .ids
                .get(id)
                .map_or(theirs.clone(), |ours| Value::from(ours.as_str())),
            _ => theirs.clone(),
        };
        if Some(&theirs) == ours {
            entry.1 += 1;
            return;
        }
        let ours = ours.map_or("(none)".to_owned(), Value::to_string);
        self.differ(record, field, format!("laurel {theirs}, sensor {ours}"));
    }

    /// A difference at `record.field`: excused if allowed, else counted.
    fn differ(&mut self, record: &str, field: &str, what: String) {
        match allowed(record, field, self.syscall) {
            Some(why) => self.excuse(why),
            None => self
                .tally
                .differences
                .push(format!("{} {record}.{field}: {what}", self.event)),
        }
    }

    /// Every leaf of `theirs` against the same path in `ours`, and every
    /// key `ours` has beyond it.
    fn walk(&mut self, record: &str, path: &str, theirs: &Value, ours: Option<&Value>) {
        if self.key(path, theirs) {
            return;
        }
        match theirs {
            Value::Object(map) => {
                for (k, v) in map {
                    let sub = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.walk(record, &sub, v, ours.and_then(|o| o.get(k)));
                }
                let Some(Value::Object(o)) = ours else {
                    return;
                };
                for k in o.keys().filter(|k| !map.contains_key(*k)) {
                    if !ours_key(record, path, k) {
                        self.differ(record, k, format!("the sensor adds it at {path:?}"));
                    }
                }
            }
            Value::Array(items) => {
                let ours_len = ours.and_then(Value::as_array).map_or(0, Vec::len);
                if items.len() != ours_len {
                    let what = format!("laurel has {} items, the sensor {ours_len}", items.len());
                    self.differ(record, path, what);
                }
                for (i, item) in items.iter().enumerate() {
                    let sub = format!("{path}[{i}]");
                    self.walk(record, &sub, item, ours.and_then(|o| o.get(i)));
                }
            }
            leaf => self.leaf(record, path, leaf, ours),
        }
    }

    fn excuse(&mut self, why: &str) {
        *self.tally.excused.entry(why.to_owned()).or_default() += 1;
    }

    /// A process key (`PID`, `PPID`, `SPAWNED_BY`) that laurel made from
    /// an event other than a successful exec: its own guess (see
    /// `FORKED`), not compared. True when it was one.
    fn key(&mut self, path: &str, theirs: &Value) -> bool {
        let name = path.rsplit('.').next().unwrap_or(path);
        if !matches!(name, "PID" | "PPID" | "SPAWNED_BY") {
            return false;
        }
        match theirs["EVENT_ID"].as_str() {
            Some(id) if !self.execs.contains(id) => {
                self.excuse(FORKED);
                true
            }
            _ => false,
        }
    }
}

/// Whether `key`, which the sensor has and laurel not at `record.path`,
/// is one of the sensor's own additions: ALL-CAPS, at the record's top.
fn ours_key(record: &str, path: &str, key: &str) -> bool {
    let at_top = path.is_empty() || (path.starts_with('[') && !path.contains('.'));
    key.chars().all(|c| !c.is_ascii_lowercase()) && at_top && sensor_addition(record, key)
}

/// Every difference between laurel's events and the sensor's.
fn compare(theirs: &Calls, ours: &Calls, tally: &mut Tally) {
    let execs: BTreeSet<String> = theirs
        .values()
        .flatten()
        .filter(|e| {
            matches!(e["SYSCALL"]["syscall"].as_u64(), Some(59 | 322))
                && e["SYSCALL"]["success"] == "yes"
        })
        .filter_map(|e| e["ID"].as_str().map(str::to_owned))
        .collect();
    let mut ids = HashMap::new();
    for (call, t_events) in theirs {
        for (t, o) in t_events.iter().zip(ours.get(call).into_iter().flatten()) {
            ids.insert(
                t["ID"].as_str().unwrap_or_default().to_owned(),
                o["ID"].as_str().unwrap_or_default().to_owned(),
            );
        }
    }
    for (call, t_events) in theirs {
        if let Some((_, why)) = LAUREL_ONLY
            .iter()
            .find(|(k, _)| t_events.iter().all(|e| kinds(e).contains(k)))
        {
            *tally.excused.entry((*why).to_owned()).or_default() += t_events.len();
            continue;
        }
        let o_events = ours.get(call).map_or(&[][..], |v| &v[..]);
        if t_events.len() != o_events.len() {
            tally.differences.push(format!(
                "pid {} {}: laurel has {} events, the sensor {}",
                call.0,
                call.1,
                t_events.len(),
                o_events.len()
            ));
        }
        for (t, o) in t_events.iter().zip(o_events) {
            let mut c = Comparison {
                ids: &ids,
                execs: &execs,
                tally,
                event: format!("pid {} {} (laurel {})", call.0, call.1, t["ID"]),
                syscall: t["SYSCALL"]["syscall"].as_u64().unwrap_or(u64::MAX),
            };
            c.leaf("NODE", "", &t["NODE"], o.get("NODE"));
            for kind in kinds(t) {
                c.walk(kind, "", &t[kind], o.get(kind));
            }
            for kind in kinds(o).into_iter().filter(|k| t.get(*k).is_none()) {
                c.tally
                    .differences
                    .push(format!("{}: the sensor adds record {kind}", c.event));
            }
        }
    }
    for call in ours.keys().filter(|c| !theirs.contains_key(*c)) {
        if !SENSOR_ONLY.iter().any(|(k, _)| *k == call.1) {
            tally.differences.push(format!(
                "pid {} {}: only the sensor has events",
                call.0, call.1
            ));
        }
    }
}

fn parse(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn the_sensors_json_is_laurels_field_by_field() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/default.rules");
    let dir = std::env::temp_dir().join(format!("{} with spaces", marker("laurel")));
    std::fs::create_dir_all(&dir).unwrap();
    let port = sensor_tests::free_port();
    let unix = format!("/tmp/{}", marker("nosock"));

    let auditd = Auditd::start_with_laurel(&rules).unwrap();
    // A small ring, so that the flood at the end overflows it.
    let sensor = Sensor::start(&[
        "--rules",
        rules.to_str().unwrap(),
        "--process-events",
        "--ring-buffer-size",
        "262144",
    ])
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_workload"))
        .arg(&dir)
        .arg(port.to_string())
        .arg(&unix)
        .arg("every")
        .spawn()
        .unwrap();
    let workload = child.id();
    assert!(child.wait_with_output().unwrap().status.success());
    auditd.wait_until_quiet(|| sensor.text().len());
    let (_log, laurel) = auditd.stop_with_laurel().unwrap();

    // A flood no ring of this size holds: the sensor's LOST record.
    let flooder = fork_and(|| unsafe {
        for _ in 0..50_000 {
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
            libc::close(fd);
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let ours = sensor.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // Both streams, for a failure's diagnosis.
    let kept = std::env::temp_dir().join(marker("laurel-streams"));
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::write(kept.join("laurel.json"), laurel.join("\n")).unwrap();
    let our_lines: Vec<String> = ours.iter().map(Value::to_string).collect();
    std::fs::write(kept.join("sensor.json"), our_lines.join("\n")).unwrap();
    println!("laurel's and the sensor's JSON: {}", kept.display());

    // The workload and its children (the sensor's FORK records name them).
    let mut pids: BTreeSet<u64> = ours
        .iter()
        .filter(|e| e["FORK"][0]["ppid"] == workload)
        .filter_map(|e| e["FORK"][0]["pid"].as_u64())
        .collect();
    pids.insert(workload.into());
    let theirs = by_call(&parse(&laurel), &pids);
    let mut ours_calls = by_call(&ours, &pids);
    let lost: Vec<&Value> = ours.iter().filter(|e| e.get("LOST").is_some()).collect();
    assert!(
        !lost.is_empty(),
        "the flood (pid {flooder}) overflowed nothing"
    );
    ours_calls.insert((0, "LOST".into()), lost.into_iter().cloned().collect());

    // Every kind of record the sensor writes is in the comparison.
    let seen: BTreeSet<String> = theirs
        .values()
        .chain(ours_calls.values())
        .flatten()
        .flat_map(|e| e.as_object().into_iter().flat_map(|o| o.keys().cloned()))
        .collect();
    let sensor_only = SENSOR_ONLY.iter().map(|(k, _)| *k);
    for kind in KERNEL_RECORDS
        .into_iter()
        .chain(["SOCKOPT"])
        .chain(sensor_only)
    {
        assert!(seen.contains(kind), "the workload made no {kind}: {seen:?}");
    }
    let script = theirs
        .values()
        .flatten()
        .find(|e| e["SYSCALL"]["SCRIPT"].is_string());
    assert!(script.is_some(), "laurel saw no script exec");

    let mut tally = Tally::default();
    compare(&theirs, &ours_calls, &mut tally);
    println!("fields compared (equal/compared), by record:");
    let (mut all, mut equal) = (0, 0);
    for (record, (n, eq)) in &tally.compared {
        println!("  {record}: {eq}/{n}");
        all += n;
        equal += eq;
    }
    println!("  all: {equal}/{all}");
    println!("allowed differences met: {:#?}", tally.excused);
    // Every record laurel writes for the workload was compared.
    for kind in KERNEL_RECORDS {
        assert!(
            tally.compared.get(kind).is_some_and(|(n, _)| *n > 0),
            "no {kind} field compared"
        );
    }
    assert!(
        tally.differences.is_empty(),
        "{} differences:\n{}",
        tally.differences.len(),
        tally.differences.join("\n")
    );
}
