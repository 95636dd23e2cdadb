//! The exec programs (sys_enter/exit_execve, sys_enter/exit_execveat,
//! sched_process_exec) against the running kernel.

use std::{
    ffi::OsStr,
    fs,
    os::unix::{ffi::OsStrExt, fs::MetadataExt, process::CommandExt},
    process::Command,
};

use sensor_tests::{by_pid, fork_and, marker, CArgv, Sensor};
use serde_json::{json, Value};

const EXECVE: u64 = 59;
const EXECVEAT: u64 = 322;

fn proc_self(name: &str) -> u64 {
    fs::read_to_string(format!("/proc/self/{name}"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn only(events: Vec<Value>, what: &str) -> Value {
    assert_eq!(
        events.len(),
        1,
        "expected exactly one event for {what}: {events:#?}"
    );
    events.into_iter().next().unwrap()
}

#[test]
fn execve_records_every_field_from_the_kernel() {
    let sensor = Sensor::start(&[]).unwrap();
    let dir = std::env::temp_dir().join(format!("{} with spaces", marker("cwd")));
    fs::create_dir_all(&dir).unwrap();
    let status_arg = marker("argv");
    let child = unsafe {
        Command::new("/bin/true")
            .arg(&status_arg)
            .arg("an argument with spaces")
            .arg(OsStr::from_bytes(b"bad\xffutf8"))
            .current_dir(&dir)
            // No controlling terminal, whatever the test runner has.
            .pre_exec(|| {
                libc::setsid();
                Ok(())
            })
            .spawn()
            .unwrap()
    };
    let pid = child.id();
    assert!(child.wait_with_output().unwrap().status.success());
    sensor
        .wait_for("the exec", |e| e["SYSCALL"]["pid"] == pid)
        .unwrap();
    let events = sensor.stop().unwrap();
    let e = only(by_pid(&events, EXECVE, pid), "/bin/true");

    let s = &e["SYSCALL"];
    assert_eq!(s["success"], "yes");
    assert_eq!(s["exit"], 0);
    assert_eq!(s["arch"], "0xc000003e");
    assert_eq!(s["SYSCALL"], "execve");
    assert_eq!(s["ppid"], std::process::id());
    assert_eq!(s["uid"], 0);
    assert_eq!(s["euid"], 0);
    assert_eq!(s["gid"], 0);
    assert_eq!(s["auid"], proc_self("loginuid"));
    assert_eq!(s["ses"], proc_self("sessionid"));
    assert_eq!(s["tty"], "(none)");
    assert_eq!(s["comm"], "true");
    let exe = fs::canonicalize("/bin/true").unwrap();
    assert_eq!(s["exe"], exe.to_str().unwrap());
    assert_eq!(s["key"], "exec");
    assert_eq!(s["ARGV"].as_array().unwrap().len(), 4);
    assert!(e["ID"].as_str().unwrap().contains(':'));
    assert!(!e["NODE"].as_str().unwrap().is_empty());

    let argv = json!([
        "/bin/true",
        status_arg,
        "an argument with spaces",
        "bad%ffutf8"
    ]);
    assert_eq!(e["EXECVE"]["argc"], 4);
    assert_eq!(e["EXECVE"]["ARGV"], argv);
    assert_eq!(e["PROCTITLE"]["ARGV"], argv);
    assert_eq!(e["CWD"]["cwd"], dir.to_str().unwrap());

    let meta = fs::metadata("/bin/true").unwrap();
    let path = &e["PATH"][0];
    assert_eq!(path["name"], "/bin/true");
    assert_eq!(path["inode"], meta.ino());
    assert_eq!(path["mode"], format!("0o{:o}", meta.mode()));
    assert_eq!(path["ouid"], meta.uid());
    assert_eq!(path["nametype"], "NORMAL");
    let dev = meta.dev();
    assert_eq!(
        path["dev"],
        format!("{:02x}:{:02x}", libc::major(dev), libc::minor(dev))
    );
    fs::remove_dir(&dir).unwrap();
}

#[test]
fn execve_of_a_missing_file_fails_with_enoent() {
    let sensor = Sensor::start(&[]).unwrap();
    let missing = format!("/nonexistent/{}", marker("enoent"));
    assert!(Command::new(&missing).status().is_err());
    let e = sensor
        .wait_for("the failed exec", |e| {
            e["PATH"][0]["name"] == missing.as_str()
        })
        .unwrap();
    sensor.stop().unwrap();
    assert_eq!(e["SYSCALL"]["syscall"], EXECVE);
    assert_eq!(e["SYSCALL"]["success"], "no");
    assert_eq!(e["SYSCALL"]["exit"], -2);
    assert_eq!(e["PATH"][0]["nametype"], "UNKNOWN");
    assert!(
        e.get("EXECVE").is_none(),
        "a failed exec has no EXECVE record"
    );
}

/// execveat(fd, "", argv, envp, AT_EMPTY_PATH): what fexecve(3) does.
fn fexecve(fd: i32, argv: &CArgv) {
    let env: [*const libc::c_char; 1] = [std::ptr::null()];
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            fd,
            c"".as_ptr(),
            argv.ptrs.as_ptr(),
            env.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
}

#[test]
fn execveat_of_a_memfd_and_of_an_fd_give_the_kernels_exe() {
    let sensor = Sensor::start(&[]).unwrap();
    let name = marker("memfd");
    let memfd = unsafe {
        libc::memfd_create(
            std::ffi::CString::new(name.clone()).unwrap().as_ptr(),
            libc::MFD_CLOEXEC,
        )
    };
    assert!(memfd >= 0);
    let image = fs::read("/bin/true").unwrap();
    assert_eq!(
        unsafe { libc::write(memfd, image.as_ptr().cast(), image.len()) },
        image.len() as isize
    );
    let file = fs::File::open("/bin/true").unwrap();
    let file_fd = std::os::fd::AsRawFd::as_raw_fd(&file);

    let argv = CArgv::new(&[b"from-memfd"]);
    let memfd_pid = fork_and(|| fexecve(memfd, &argv));
    let argv = CArgv::new(&[b"from-fd"]);
    let fd_pid = fork_and(|| fexecve(file_fd, &argv));
    sensor
        .wait_for("the fd exec", |e| e["SYSCALL"]["pid"] == fd_pid)
        .unwrap();
    let events = sensor.stop().unwrap();

    let m = only(by_pid(&events, EXECVEAT, memfd_pid), "the memfd exec");
    assert_eq!(m["SYSCALL"]["success"], "yes");
    assert_eq!(m["SYSCALL"]["SYSCALL"], "execveat");
    assert_eq!(m["SYSCALL"]["exe"], format!("/memfd:{name} (deleted)"));
    assert_eq!(m["EXECVE"]["ARGV"], json!(["from-memfd"]));

    let f = only(by_pid(&events, EXECVEAT, fd_pid), "the fd exec");
    let exe = fs::canonicalize("/bin/true").unwrap();
    assert_eq!(f["SYSCALL"]["exe"], exe.to_str().unwrap());
    assert_eq!(f["SYSCALL"]["ARGV"][0], format!("0x{file_fd:x}"));
    assert_eq!(
        f["PATH"][0]["name"], "",
        "the name as passed, as auditd has it"
    );
    assert_eq!(f["EXECVE"]["ARGV"], json!(["from-fd"]));
}

#[test]
fn a_process_on_a_pseudo_terminal_has_its_tty() {
    let sensor = Sensor::start(&[]).unwrap();
    let (master, slave) = sensor_tests::open_pty();
    let pts = fs::read_link(format!("/proc/self/fd/{slave}")).unwrap();
    let tty = pts.to_str().unwrap().replace("/dev/pts/", "pts");
    let argv = CArgv::new(&[b"/bin/true", marker("tty").as_bytes()]);
    let pid = fork_and(|| unsafe {
        libc::setsid();
        libc::ioctl(slave, libc::TIOCSCTTY, 0);
        libc::execv(c"/bin/true".as_ptr(), argv.ptrs.as_ptr());
    });
    sensor
        .wait_for("the exec on the pty", |e| e["SYSCALL"]["pid"] == pid)
        .unwrap();
    let events = sensor.stop().unwrap();
    let e = only(by_pid(&events, EXECVE, pid), "the exec on the pty");
    assert_eq!(e["SYSCALL"]["tty"], tty.as_str());
    unsafe {
        libc::close(master);
        libc::close(slave);
    }
}

#[test]
fn argv_beyond_the_cap_is_cut_and_says_so() {
    let sensor = Sensor::start(&["--argv-max", "1024"]).unwrap();
    let long = "x".repeat(4000);
    let pid = Command::new("/bin/true").arg(&long).spawn().unwrap().id();
    sensor
        .wait_for("the long exec", |e| e["SYSCALL"]["pid"] == pid)
        .unwrap();
    let events = sensor.stop().unwrap();
    let e = only(by_pid(&events, EXECVE, pid), "the long exec");
    let x = &e["EXECVE"];
    assert_eq!(x["TRUNCATED"]["KEPT"], 1024);
    assert_eq!(x["TRUNCATED"]["TOTAL"], "/bin/true".len() + 1 + 4001);
    let kept = x["ARGV"][1].as_str().unwrap();
    assert_eq!(kept.len(), 1024 - "/bin/true".len() - 1);
}

#[test]
fn the_default_cap_keeps_64_kib_of_argv_whole() {
    let sensor = Sensor::start(&[]).unwrap();
    let long = "y".repeat(60 * 1024);
    let pid = Command::new("/bin/true").arg(&long).spawn().unwrap().id();
    sensor
        .wait_for("the 60 KiB exec", |e| e["SYSCALL"]["pid"] == pid)
        .unwrap();
    let events = sensor.stop().unwrap();
    let e = only(by_pid(&events, EXECVE, pid), "the 60 KiB exec");
    assert_eq!(e["EXECVE"]["ARGV"][1], long.as_str());
    assert!(e["EXECVE"].get("TRUNCATED").is_none());
}

#[test]
fn sigterm_stops_cleanly_after_writing_what_was_read() {
    let sensor = Sensor::start(&[]).unwrap();
    let pid = Command::new("/bin/true").spawn().unwrap().id();
    // No waiting for the event: it must be written on the way out.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let events = sensor.stop_with(libc::SIGTERM).unwrap();
    only(by_pid(&events, EXECVE, pid), "the exec before SIGTERM");
}
