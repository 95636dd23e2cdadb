//! The mmap programs: PROT_EXEC mappings by default (filtered in the
//! kernel), every one when the rules ask.

use std::{fs, os::fd::AsRawFd, os::unix::fs::MetadataExt};

use sensor_tests::{by_pid, record, Sensor};
use serde_json::Value;

const MMAP: u64 = 9;

/// Lengths no one else maps: page multiples derived from the test's pid.
fn unique_len(n: u64) -> usize {
    ((std::process::id() as u64 % 1000 + 1000 * n + 7) * 4096) as usize
}

fn map(len: usize, prot: i32, flags: i32, fd: i32) {
    let addr = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd, 0) };
    assert_ne!(addr, libc::MAP_FAILED);
    unsafe { libc::munmap(addr, len) };
}

fn of_len(events: &[Value], len: usize) -> Vec<Value> {
    let a1 = format!("0x{len:x}");
    by_pid(events, MMAP, std::process::id())
        .into_iter()
        .filter(|e| e["SYSCALL"]["ARGV"][1] == a1.as_str())
        .collect()
}

#[test]
fn an_executable_file_mapping_is_recorded_with_its_path() {
    let sensor = Sensor::start(&[]).unwrap();
    let file = fs::File::open("/bin/true").unwrap();
    let (exec_len, data_len) = (unique_len(1), unique_len(2));
    // Not executable: filtered in the kernel by default.
    map(
        data_len,
        libc::PROT_READ,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
    );
    map(
        exec_len,
        libc::PROT_READ | libc::PROT_EXEC,
        libc::MAP_PRIVATE,
        file.as_raw_fd(),
    );
    let a1 = format!("0x{exec_len:x}");
    sensor
        .wait_for("the exec mapping", |e| {
            e["SYSCALL"]["ARGV"][1] == a1.as_str()
        })
        .unwrap();
    let events = sensor.stop().unwrap();

    assert!(
        of_len(&events, data_len).is_empty(),
        "a non-executable mapping was recorded"
    );
    let found = of_len(&events, exec_len);
    assert_eq!(found.len(), 1);
    let e = &found[0];
    assert_eq!(e["SYSCALL"]["success"], "yes");
    // The kernel's MMAP record (no PATH item: the kernel has none), the
    // mapped file named in it, the interpretation in SYSCALL.
    assert_eq!(e["SYSCALL"]["items"], 0);
    assert!(e.get("PATH").is_none());
    let m = record(e, "MMAP");
    assert_eq!(m["fd"], file.as_raw_fd());
    assert_eq!(m["flags"], "0x2");
    assert_eq!(e["SYSCALL"]["PROT"], "PROT_READ|PROT_EXEC");
    assert_eq!(e["SYSCALL"]["FLAGS"], "MAP_PRIVATE");
    let meta = fs::metadata("/bin/true").unwrap();
    let mapped = &m["FILE"];
    assert_eq!(
        mapped["PATH"],
        fs::canonicalize("/bin/true").unwrap().to_str().unwrap()
    );
    assert_eq!(mapped["INODE"], meta.ino());
    assert_eq!(
        e["SYSCALL"]["exe"],
        std::env::current_exe().unwrap().to_str().unwrap()
    );
}

#[test]
fn rules_without_prot_exec_record_anonymous_and_non_executable_mappings() {
    let rules = std::env::temp_dir().join(sensor_tests::marker("mmap-rules"));
    fs::write(&rules, "-a always,exit -F arch=b64 -S mmap -k every_mmap\n").unwrap();
    let sensor = Sensor::start(&["--rules", rules.to_str().unwrap()]).unwrap();
    let len = unique_len(3);
    map(
        len,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
    );
    let a1 = format!("0x{len:x}");
    sensor
        .wait_for("the anonymous mapping", |e| {
            e["SYSCALL"]["ARGV"][1] == a1.as_str()
        })
        .unwrap();
    let events = sensor.stop().unwrap();
    let e = &of_len(&events, len)[0];
    assert_eq!(e["SYSCALL"]["PROT"], "PROT_READ|PROT_WRITE");
    assert_eq!(e["SYSCALL"]["FLAGS"], "MAP_PRIVATE|MAP_ANONYMOUS");
    assert_eq!(e["SYSCALL"]["items"], 0);
    assert_eq!(e["SYSCALL"]["key"], "every_mmap");
    // The kernel writes no MMAP record for an anonymous mapping.
    assert!(e.get("PATH").is_none() && e.get("MMAP").is_none());
    fs::remove_file(rules).unwrap();
}

/// With rules that name no exec syscall, the process table still learns of
/// every exec (the exec hook stays attached): the mappings a new program's
/// loader makes carry its exe and command line, not the forking parent's.
#[test]
fn without_exec_rules_a_new_programs_records_name_it() {
    let rules = std::env::temp_dir().join(sensor_tests::marker("mmap-only-rules"));
    fs::write(
        &rules,
        "-a always,exit -F arch=b64 -S mmap -F a2&0x4 -k mmap_exec\n",
    )
    .unwrap();
    let sensor = Sensor::start(&["--rules", rules.to_str().unwrap()]).unwrap();
    let tag = sensor_tests::marker("fresh");
    let argv = sensor_tests::CArgv::new(&[b"/bin/true", tag.as_bytes()]);
    let child = sensor_tests::fork_and(|| unsafe {
        libc::execv(c"/bin/true".as_ptr(), argv.ptrs.as_ptr());
    });
    sensor
        .wait_for("the new program's mappings", |e| {
            e["SYSCALL"]["pid"] == child
        })
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let events = sensor.stop().unwrap();
    let maps = by_pid(&events, MMAP, child);
    assert!(!maps.is_empty());
    let exe = fs::canonicalize("/bin/true").unwrap();
    for e in &maps {
        assert_eq!(e["SYSCALL"]["exe"], exe.to_str().unwrap(), "{e:#}");
        assert_eq!(e["SYSCALL"]["comm"], "true");
        assert_eq!(
            e["PROCTITLE"]["ARGV"],
            serde_json::json!(["/bin/true", tag]),
            "{e:#}"
        );
    }
    // No exec record: no rule asked for one.
    assert!(events.iter().all(|e| e["SYSCALL"]["syscall"] != 59));
    fs::remove_file(rules).unwrap();
}
