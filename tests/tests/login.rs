//! The login record: a write to /proc/self/loginuid, as pam_loginuid does.

use sensor_tests::{fork_and, record, with, Sensor};

#[test]
fn setting_the_loginuid_gives_a_login_record() {
    let old_auid: u64 = std::fs::read_to_string("/proc/self/loginuid")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let old_ses: u64 = std::fs::read_to_string("/proc/self/sessionid")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let sensor = Sensor::start(&[]).unwrap();
    let auid = 40000 + std::process::id() % 20000;
    let text = auid.to_string();
    let child = fork_and(|| unsafe {
        let fd = libc::open(c"/proc/self/loginuid".as_ptr(), libc::O_WRONLY);
        libc::write(fd, text.as_ptr().cast(), text.len());
        libc::close(fd);
    });
    sensor
        .wait_for("the login", |e| record(e, "LOGIN")["pid"] == child)
        .unwrap();
    let events = sensor.stop().unwrap();
    let logins = with(&events, "LOGIN", "pid", child);
    assert_eq!(logins.len(), 1);
    let l = record(&logins[0], "LOGIN");
    assert_eq!(l["old-auid"], old_auid);
    assert_eq!(l["auid"], auid);
    assert_eq!(l["old-ses"], old_ses);
    assert_ne!(l["ses"], old_ses, "the kernel starts a new session");
    assert_eq!(l["uid"], 0);
    assert_eq!(l["res"], 1);
    assert_eq!(l["tty"], "(none)");
    // The kernel's event also holds the write's SYSCALL record, which no
    // rule chose, and its PROCTITLE.
    let s = &logins[0]["SYSCALL"];
    assert_eq!(s["SYSCALL"], "write");
    assert_eq!(s["pid"], child);
    assert_eq!(s["exit"], text.len());
    assert!(s["key"].is_null());
    assert!(logins[0]["PROCTITLE"]["ARGV"].is_array());
}
