//! The kernel matrix's scenario: one sensor run that exercises every event
//! class with known values, on the host or inside a QEMU guest booted with
//! a distribution's kernel (`vm`).
//!
//! `run` (in the guest, `matrix-guest`) starts the sensor, makes the calls
//! and writes down what each should record (`Expected`); `check` (on the
//! host) compares what the sensor wrote with that, field by field, class by
//! class. The guest ships only the events of its own processes, so the
//! serial line carries kilobytes, not the flood.

use std::{
    collections::BTreeMap,
    ffi::CString,
    fs,
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{fork_and, record, CArgv, Sensor};

/// Every class the scenario checks, in the order the README's table lists
/// them.
pub const CLASSES: [&str; 17] = [
    "exec",
    "exec-failed",
    "socket",
    "setsockopt",
    "connect",
    "bind",
    "accept",
    "mmap",
    "path-follow",
    "path-rename",
    "tty-output",
    "tty-input",
    "login",
    "usermsg",
    "fork",
    "exit",
    "loss",
];

/// socket() calls made while the sensor is stopped, into a ring they
/// overflow.
const FLOOD: u32 = 12_000;
const RING: &str = "1048576";
const EXIT_STATUS: i32 = 7;
const OPTVAL: i32 = 123_456;
const LOGIN_AUID: u32 = 4242;
/// The audit message the workload sends, as libaudit would.
const USERMSG: &str =
    "op=matrix-usermsg acct=\"matrix\" exe=\"/matrix\" hostname=? addr=? terminal=? res=success";

/// What each call should have recorded, written down as it was made.
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Expected {
    /// The workload's own pid, and the directory the execs ran in.
    pub pid: u32,
    pub cwd: String,
    pub exec: Exec,
    pub exec_failed: u32,
    pub socket_fd: i64,
    pub bind_port: u16,
    pub refused_port: u16,
    pub accept_fd: i64,
    pub client_port: u16,
    pub mmap_path: String,
    pub mmap_inode: u64,
    pub paths: Paths,
    pub tty_out: String,
    pub tty_in: String,
    pub login_pid: u32,
    pub old_auid: u32,
    /// The kernel's answer to the audit message the workload sent.
    pub usermsg_errno: i32,
    pub fork_child: u32,
    pub flood_pid: u32,
    pub flood_received: u32,
}

#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Exec {
    pub pid: u32,
    pub name: String,
    pub exe: String,
    pub inode: u64,
    pub argv: Vec<String>,
    /// A `#!/bin/sh` script run by a relative name: its pid, its inode,
    /// and its interpreter's.
    pub script_pid: u32,
    pub script_inode: u64,
    pub sh_inode: u64,
    /// A dynamically linked executable (the guest binary): its pid, and
    /// its ELF interpreter's name and inode.
    pub dynamic_pid: u32,
    pub ld_so: String,
    pub ld_so_inode: u64,
}

/// The path calls: a chmod through a symlink, a rename in a directory
/// named by a descriptor.
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Paths {
    /// The workload's working directory: a PARENT item's name when the
    /// call's name has no slash (the kernel prints the cwd, whatever the
    /// directory descriptor).
    pub cwd: String,
    pub link: String,
    pub dir_inode: u64,
    pub file_inode: u64,
}

/// What a run leaves for `check`.
#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Outcome {
    pub kernel: String,
    pub expected: Expected,
    /// The events of the workload's processes, and the LOST records.
    pub events: Vec<Value>,
    /// The sensor's log (stderr, at debug level: each program's load).
    pub log: String,
    /// Seconds from the sensor's start to `ready`.
    pub ready_secs: f64,
    /// `sensor check --verifier-stats` (run after the scenario).
    pub check: String,
}

/// The rules: each class's calls by the workload (or its children) only,
/// so nothing else on a busy host counts in the loss figures.
fn rules(pid: u32) -> String {
    format!(
        "-a always,exit -F arch=b64 -S execve,execveat -F ppid={pid} -k exec\n\
         -a always,exit -F arch=b64 -S socket,setsockopt,connect,bind,accept,accept4 -F pid={pid} -k net\n\
         -a always,exit -F arch=b64 -S socket -F ppid={pid} -k flood\n\
         -a always,exit -F arch=b64 -S mmap -F pid={pid} -F a2&0x4 -k mmap\n\
         -a always,exit -F arch=b64 -S fchmodat,renameat -F pid={pid} -k path\n"
    )
}

/// Runs the scenario with the sensor at `sensor` (its `SENSOR_BIN`),
/// working in `dir`.
pub fn run(dir: &Path) -> Result<Outcome> {
    let pid = std::process::id();
    let rules_path = dir.join("matrix.rules");
    fs::write(&rules_path, rules(pid))?;
    let rules_arg = rules_path.to_string_lossy().into_owned();
    let mut expected = Expected {
        pid,
        refused_port: free_port(),
        bind_port: free_port(),
        ..Default::default()
    };
    let start = Instant::now();
    let sensor = Sensor::start(&[
        "-v",
        "--rules",
        &rules_arg,
        "--process-events",
        "--ring-buffer-size",
        RING,
        "--runtime-endpoint",
        "none",
    ])?;
    let ready_secs = start.elapsed().as_secs_f64();

    let cwd = dir.join("work dir");
    fs::create_dir_all(&cwd)?;
    expected.cwd = cwd.to_string_lossy().into_owned();
    exec(&mut expected, &cwd)?;
    net(&mut expected)?;
    mmap(&mut expected)?;
    paths(&mut expected, &cwd)?;
    tty(&mut expected)?;
    login(&mut expected)?;
    expected.usermsg_errno =
        crate::logins::send_audit_message(&crate::logins::audit_message(1100, USERMSG));
    expected.fork_child = fork_and(|| unsafe { libc::_exit(EXIT_STATUS) });

    // Everything so far must be written before the ring is flooded.
    let fork_child = expected.fork_child;
    sensor.wait_for("the fork's exit", |e| {
        record(e, "EXIT")["pid"] == fork_child
    })?;
    flood(&sensor, &mut expected)?;

    let (all, log) = sensor.stop_with_log(libc::SIGTERM)?;
    let flood_pid = expected.flood_pid;
    expected.flood_received = all
        .iter()
        .filter(|e| e["SYSCALL"]["pid"] == flood_pid)
        .count() as u32;
    let ours = |e: &Value| {
        let pids = [
            &e["SYSCALL"]["pid"],
            &e["SYSCALL"]["ppid"],
            &record(e, "FORK")["ppid"],
            &record(e, "EXIT")["ppid"],
            &record(e, "LOGIN")["pid"],
            &record(e, "TTY")["pid"],
        ];
        e.get("LOST").is_some()
            || (e["SYSCALL"]["pid"] != flood_pid && pids.iter().any(|p| **p == pid))
            || record(e, "LOGIN")["pid"] == expected.login_pid
    };
    let events = all.into_iter().filter(ours).collect();
    let check = std::process::Command::new(crate::sensor_bin())
        .args(["check", "--verifier-stats", "--runtime-endpoint", "none"])
        .output()
        .context("running sensor check")?;
    Ok(Outcome {
        kernel: fs::read_to_string("/proc/sys/kernel/osrelease")?
            .trim()
            .to_string(),
        expected,
        events,
        log,
        ready_secs,
        check: String::from_utf8_lossy(&check.stdout).into_owned(),
    })
}

fn exec(expected: &mut Expected, cwd: &Path) -> Result<()> {
    let name = "/bin/true";
    let exe = fs::canonicalize(name)?;
    let argv = ["true", "matrix-exec", "an argument"];
    let args = CArgv::new(&argv.map(str::as_bytes));
    let path = CString::new(name)?;
    let dir = CString::new(cwd.as_os_str().as_encoded_bytes())?;
    let pid = fork_and(|| unsafe {
        libc::chdir(dir.as_ptr());
        let env: [*const libc::c_char; 1] = [std::ptr::null()];
        libc::execve(path.as_ptr(), args.ptrs.as_ptr(), env.as_ptr());
    });
    expected.exec = Exec {
        pid,
        name: name.into(),
        exe: exe.to_string_lossy().into_owned(),
        inode: fs::metadata(&exe)?.ino(),
        argv: argv.map(String::from).to_vec(),
        ..Default::default()
    };
    // A script, and a dynamically linked program (`sensor --version`,
    // which exits at once): the kernel's PATH items for the script, its
    // interpreter and the ELF interpreter.
    let script = cwd.join("script");
    fs::write(&script, "#!/bin/sh\nexit 0\n")?;
    fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let script_args = CArgv::new(&[b"./script"]);
    expected.exec.script_pid = fork_and(|| unsafe {
        libc::chdir(dir.as_ptr());
        let env: [*const libc::c_char; 1] = [std::ptr::null()];
        libc::execve(
            c"./script".as_ptr(),
            script_args.ptrs.as_ptr(),
            env.as_ptr(),
        );
    });
    expected.exec.script_inode = fs::metadata(&script)?.ino();
    expected.exec.sh_inode = fs::metadata("/bin/sh")?.ino();
    let sensor = CString::new(crate::sensor_bin().into_os_string().into_encoded_bytes())?;
    let sensor_args = CArgv::new(&[b"sensor", b"--version"]);
    expected.exec.dynamic_pid = fork_and(|| unsafe {
        let env: [*const libc::c_char; 1] = [std::ptr::null()];
        libc::execve(sensor.as_ptr(), sensor_args.ptrs.as_ptr(), env.as_ptr());
    });
    expected.exec.ld_so = "/lib64/ld-linux-x86-64.so.2".into();
    expected.exec.ld_so_inode = fs::metadata(&expected.exec.ld_so)?.ino();

    let missing = c"/nonexistent/matrix";
    expected.exec_failed = fork_and(|| unsafe {
        let env: [*const libc::c_char; 1] = [std::ptr::null()];
        libc::execve(missing.as_ptr(), args.ptrs.as_ptr(), env.as_ptr());
    });
    Ok(())
}

fn inet(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    }
}

const INET_LEN: u32 = std::mem::size_of::<libc::sockaddr_in>() as u32;

/// bind(2) to 127.0.0.1:`port`.
fn bind_to(fd: i32, port: u16) -> i32 {
    let addr = inet(port);
    unsafe { libc::bind(fd, (&raw const addr).cast(), INET_LEN) }
}

/// connect(2) to 127.0.0.1:`port`.
fn connect_to(fd: i32, port: u16) -> i32 {
    let addr = inet(port);
    unsafe { libc::connect(fd, (&raw const addr).cast(), INET_LEN) }
}

/// A loopback port free now, found before the sensor starts so that
/// finding it is not recorded.
fn free_port() -> u16 {
    unsafe {
        let probe = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        bind_to(probe, 0);
        let port = port_of(probe);
        libc::close(probe);
        port
    }
}

fn port_of(fd: i32) -> u16 {
    let mut addr = inet(0);
    let mut len = INET_LEN;
    unsafe { libc::getsockname(fd, (&raw mut addr).cast(), &mut len) };
    u16::from_be(addr.sin_port)
}

fn net(expected: &mut Expected) -> Result<()> {
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        ensure!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        expected.socket_fd = fd as i64;
        let value = OPTVAL;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&raw const value).cast(),
            4,
        );
        libc::close(fd);

        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let refused = connect_to(fd, expected.refused_port);
        ensure!(refused < 0, "connect to a closed port succeeded");
        libc::close(fd);

        let listener = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let bound = bind_to(listener, expected.bind_port);
        ensure!(bound == 0, "bind: {}", std::io::Error::last_os_error());
        libc::listen(listener, 1);
        let client = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        connect_to(client, expected.bind_port);
        expected.client_port = port_of(client);
        let mut peer = inet(0);
        let mut len = INET_LEN;
        let accepted = libc::accept4(listener, (&raw mut peer).cast(), &mut len, 0);
        ensure!(
            accepted >= 0,
            "accept4: {}",
            std::io::Error::last_os_error()
        );
        expected.accept_fd = accepted as i64;
        for fd in [accepted, client, listener] {
            libc::close(fd);
        }
    }
    Ok(())
}

fn mmap(expected: &mut Expected) -> Result<()> {
    let path = fs::canonicalize("/bin/true")?;
    let file = fs::File::open(&path)?;
    unsafe {
        let at = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_EXEC,
            libc::MAP_PRIVATE,
            std::os::fd::AsRawFd::as_raw_fd(&file),
            0,
        );
        ensure!(
            at != libc::MAP_FAILED,
            "mmap: {}",
            std::io::Error::last_os_error()
        );
        libc::munmap(at, 4096);
    }
    expected.mmap_inode = file.metadata()?.ino();
    expected.mmap_path = path.to_string_lossy().into_owned();
    Ok(())
}

/// `fchmodat` of a symlink's absolute name (the lookup follows it), then
/// `renameat` of the file it names, relative to a directory descriptor.
fn paths(expected: &mut Expected, cwd: &Path) -> Result<()> {
    let file = cwd.join("target");
    fs::write(&file, "matrix")?;
    let link = cwd.join("link");
    std::os::unix::fs::symlink("target", &link)?;
    let name = CString::new(link.as_os_str().as_encoded_bytes())?;
    let dir = CString::new(cwd.as_os_str().as_encoded_bytes())?;
    unsafe {
        let chmod = libc::fchmodat(libc::AT_FDCWD, name.as_ptr(), 0o600, 0);
        ensure!(chmod == 0, "fchmodat: {}", std::io::Error::last_os_error());
        let fd = libc::open(dir.as_ptr(), libc::O_PATH | libc::O_DIRECTORY);
        ensure!(fd >= 0, "open: {}", std::io::Error::last_os_error());
        let renamed = libc::renameat(fd, c"target".as_ptr(), fd, c"renamed".as_ptr());
        ensure!(
            renamed == 0,
            "renameat: {}",
            std::io::Error::last_os_error()
        );
        libc::close(fd);
    }
    expected.paths = Paths {
        cwd: std::env::current_dir()?.to_string_lossy().into_owned(),
        link: link.to_string_lossy().into_owned(),
        dir_inode: fs::metadata(cwd)?.ino(),
        file_inode: fs::metadata(cwd.join("renamed"))?.ino(),
    };
    Ok(())
}

fn tty(expected: &mut Expected) -> Result<()> {
    let (master, slave) = crate::open_pty();
    expected.tty_out = "matrix-output".into();
    expected.tty_in = "matrix-input\n".into();
    unsafe {
        let out = expected.tty_out.as_bytes();
        libc::write(slave, out.as_ptr().cast(), out.len());
        // Drain what the terminal echoed, so it cannot block.
        let mut buf = [0u8; 256];
        libc::read(master, buf.as_mut_ptr().cast(), buf.len());
        let input = expected.tty_in.as_bytes();
        libc::write(master, input.as_ptr().cast(), input.len());
        let n = libc::read(slave, buf.as_mut_ptr().cast(), buf.len());
        ensure!(n == input.len() as isize, "read {n} bytes from the pty");
        libc::close(slave);
        libc::close(master);
    }
    Ok(())
}

fn login(expected: &mut Expected) -> Result<()> {
    expected.old_auid = fs::read_to_string("/proc/self/loginuid")?.trim().parse()?;
    let text = LOGIN_AUID.to_string();
    expected.login_pid = fork_and(|| unsafe {
        let fd = libc::open(c"/proc/self/loginuid".as_ptr(), libc::O_WRONLY);
        libc::write(fd, text.as_ptr().cast(), text.len());
        libc::close(fd);
    });
    Ok(())
}

/// Stops the sensor, floods the ring it cannot read, lets it go on.
fn flood(sensor: &Sensor, expected: &mut Expected) -> Result<()> {
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGSTOP) };
    expected.flood_pid = fork_and(|| unsafe {
        for _ in 0..FLOOD {
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
            libc::close(fd);
        }
    });
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGCONT) };
    // A LOST report goes out every second.
    thread::sleep(Duration::from_millis(1500));
    Ok(())
}

/// Each class's verdict: `Ok` or what differed.
pub type Verdicts = BTreeMap<&'static str, std::result::Result<(), String>>;

/// Compares what the sensor wrote with what the scenario expected.
pub fn check(o: &Outcome) -> Verdicts {
    let x = &o.expected;
    let e = &o.events;
    let mut v = Verdicts::new();
    let mut verdict = |class: &'static str, r: Result<()>| {
        v.insert(class, r.map_err(|e| format!("{e:#}")));
    };
    verdict("exec", check_exec(e, x));
    verdict(
        "exec-failed",
        syscall(e, x.exec_failed, 59).and_then(|s| {
            fields(
                &s["SYSCALL"],
                &[("success", json!("no")), ("exit", json!(-2))],
            )
        }),
    );
    verdict(
        "socket",
        // The one datagram socket (a0 AF_INET, a1 SOCK_DGRAM).
        find(e, "socket(AF_INET, SOCK_DGRAM)", |ev| {
            let s = &ev["SYSCALL"];
            s["syscall"] == 41
                && s["pid"] == x.pid
                && s["ARGV"][0] == "0x2"
                && s["ARGV"][1] == "0x2"
        })
        .and_then(|s| {
            fields(
                &s["SYSCALL"],
                &[("exit", json!(x.socket_fd)), ("key", json!("net"))],
            )
        }),
    );
    verdict(
        "setsockopt",
        syscall(e, x.pid, 54).and_then(|s| {
            let want = hex_le(OPTVAL);
            let got = &record(&s, "SOCKOPT")["OPTVAL"];
            ensure!(got == &json!(want), "OPTVAL {got}, expected {want}");
            Ok(())
        }),
    );
    verdict("connect", sockaddr(e, x.pid, 42, -111, x.refused_port));
    verdict("bind", sockaddr(e, x.pid, 49, 0, x.bind_port));
    verdict(
        "accept",
        sockaddr(e, x.pid, 288, x.accept_fd, x.client_port),
    );
    verdict("mmap", check_mmap(e, x));
    verdict("path-follow", check_follow(e, x));
    verdict("path-rename", check_rename(e, x));
    verdict("tty-output", check_tty(e, x.pid, "output", &x.tty_out));
    verdict("tty-input", check_tty(e, x.pid, "input", &x.tty_in));
    verdict("login", check_login(e, x));
    verdict("usermsg", check_usermsg(e, x));
    verdict(
        "fork",
        find(e, "fork", |ev| record(ev, "FORK")["pid"] == x.fork_child)
            .and_then(|f| fields(record(&f, "FORK"), &[("ppid", json!(x.pid))])),
    );
    verdict(
        "exit",
        find(e, "exit", |ev| record(ev, "EXIT")["pid"] == x.fork_child).and_then(|f| {
            fields(
                record(&f, "EXIT"),
                &[("ppid", json!(x.pid)), ("status", json!(EXIT_STATUS))],
            )
        }),
    );
    verdict("loss", check_loss(o));
    v
}

fn find(events: &[Value], what: &str, pred: impl Fn(&Value) -> bool) -> Result<Value> {
    let found: Vec<&Value> = events.iter().filter(|e| pred(e)).collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("no {what} record"),
        many => bail!("{} {what} records: {many:?}", many.len()),
    }
}

fn syscall(events: &[Value], pid: u32, nr: u64) -> Result<Value> {
    find(events, &format!("syscall {nr} by {pid}"), |e| {
        e["SYSCALL"]["syscall"] == nr && e["SYSCALL"]["pid"] == pid
    })
}

fn fields(record: &Value, want: &[(&str, Value)]) -> Result<()> {
    for (name, value) in want {
        ensure!(
            &record[*name] == value,
            "{name} is {}, expected {value}",
            record[*name]
        );
    }
    Ok(())
}

fn hex_le(value: i32) -> String {
    value
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn check_exec(events: &[Value], x: &Expected) -> Result<()> {
    let e = syscall(events, x.exec.pid, 59)?;
    fields(
        &e["SYSCALL"],
        &[
            ("success", json!("yes")),
            ("exit", json!(0)),
            ("ppid", json!(x.pid)),
            ("uid", json!(0)),
            ("comm", json!("true")),
            ("exe", json!(x.exec.exe)),
            ("key", json!("exec")),
        ],
    )?;
    fields(&e["EXECVE"], &[("ARGV", json!(x.exec.argv))])?;
    fields(&e["CWD"], &[("cwd", json!(x.cwd))])?;
    fields(
        &e["PATH"][0],
        &[("name", json!(x.exec.name)), ("inode", json!(x.exec.inode))],
    )?;
    fields(&e["PROCTITLE"], &[("ARGV", json!(x.exec.argv))])?;

    // The script: its own file, then its interpreter (then, where /bin/sh
    // is dynamically linked, the ELF interpreter).
    let s = syscall(events, x.exec.script_pid, 59)?;
    fields(
        &s["SYSCALL"],
        &[("SCRIPT", json!(format!("{}/script", x.cwd)))],
    )?;
    fields(
        &s["PATH"][0],
        &[
            ("name", json!("./script")),
            ("inode", json!(x.exec.script_inode)),
        ],
    )?;
    fields(
        &s["PATH"][1],
        &[
            ("name", json!("/bin/sh")),
            ("inode", json!(x.exec.sh_inode)),
        ],
    )?;
    // The dynamically linked program: its ELF interpreter, whose name the
    // sensor read back from the program (its capabilities too).
    let d = syscall(events, x.exec.dynamic_pid, 59)?;
    fields(&d["SYSCALL"], &[("items", json!(2))])?;
    fields(
        &d["PATH"][1],
        &[
            ("name", json!(x.exec.ld_so)),
            ("inode", json!(x.exec.ld_so_inode)),
            ("cap_fp", json!("0x0")),
        ],
    )
}

/// The call `nr` by `pid` whose address has `port`.
fn sockaddr(events: &[Value], pid: u32, nr: u64, exit: i64, port: u16) -> Result<()> {
    let e = find(events, &format!("syscall {nr} with port {port}"), |e| {
        e["SYSCALL"]["syscall"] == nr
            && e["SYSCALL"]["pid"] == pid
            && record(e, "SOCKADDR")["SADDR"]["port"] == port
    })?;
    fields(&e["SYSCALL"], &[("exit", json!(exit))])?;
    let addr = &record(&e, "SOCKADDR")["SADDR"];
    fields(
        addr,
        &[
            ("saddr_fam", json!("inet")),
            ("addr", json!("127.0.0.1")),
            ("port", json!(port)),
        ],
    )
}

fn check_mmap(events: &[Value], x: &Expected) -> Result<()> {
    let e = syscall(events, x.pid, 9)?;
    fields(
        &record(&e, "MMAP")["FILE"],
        &[("PATH", json!(x.mmap_path)), ("INODE", json!(x.mmap_inode))],
    )?;
    ensure!(
        e["SYSCALL"]["PROT"]
            .as_str()
            .is_some_and(|p| p.contains("PROT_EXEC")),
        "SYSCALL {}",
        e["SYSCALL"]
    );
    Ok(())
}

/// The chmod's one PATH item: the symlink's name, the file's inode and
/// its mode before the call.
fn check_follow(events: &[Value], x: &Expected) -> Result<()> {
    let e = syscall(events, x.pid, 268)?;
    let items = e["PATH"].as_array().context("no PATH items")?;
    ensure!(items.len() == 1, "PATH items {items:?}");
    fields(
        &items[0],
        &[
            ("name", json!(x.paths.link)),
            ("inode", json!(x.paths.file_inode)),
            ("nametype", json!("NORMAL")),
            ("mode", json!("0o100644")),
        ],
    )
}

/// The rename's four PATH items: each name's parent (named by the cwd, as
/// the kernel does for a name without a slash), the file deleted
/// under its old name and created under its new one. Their order depends
/// on the kernel (5.15 reversed the parents'), so each is found by name
/// and type.
fn check_rename(events: &[Value], x: &Expected) -> Result<()> {
    let e = syscall(events, x.pid, 264)?;
    let items = e["PATH"].as_array().context("no PATH items")?;
    ensure!(items.len() == 4, "PATH items {items:?}");
    let cwd = x.paths.cwd.as_str();
    let want = [
        (cwd, "PARENT", x.paths.dir_inode),
        (cwd, "PARENT", x.paths.dir_inode),
        ("target", "DELETE", x.paths.file_inode),
        ("renamed", "CREATE", x.paths.file_inode),
    ];
    for (name, nametype, inode) in want {
        ensure!(
            items
                .iter()
                .any(|i| i["name"] == name && i["nametype"] == nametype && i["inode"] == inode),
            "no {nametype} item {name} with inode {inode} in {items:?}"
        );
    }
    Ok(())
}

fn check_tty(events: &[Value], pid: u32, direction: &str, data: &str) -> Result<()> {
    // Percent-encoded, in upper or lower case.
    let want = data.replace('\n', "%0a");
    let e = find(events, &format!("tty {direction}"), |e| {
        let t = record(e, "TTY");
        t["pid"] == pid
            && t["DIRECTION"] == direction
            && t["data"].as_str().is_some_and(|d| d.to_lowercase() == want)
    })?;
    // The terminal written to or read from: a pseudo-terminal's slave
    // (UNIX98 majors 136-143); `tty` is the process's controlling one.
    let major = record(&e, "TTY")["major"].as_u64().unwrap_or(0);
    ensure!((136..=143).contains(&major), "major {major}");
    Ok(())
}

fn check_login(events: &[Value], x: &Expected) -> Result<()> {
    let e = find(events, "login", |e| {
        record(e, "LOGIN")["pid"] == x.login_pid
    })?;
    fields(
        record(&e, "LOGIN"),
        &[
            ("auid", json!(LOGIN_AUID)),
            ("old-auid", json!(x.old_auid)),
            ("res", json!(1)),
        ],
    )
}

/// The audit message: taken by the kernel, written with the sender's pid
/// and uid, the text split into `msg`.
fn check_usermsg(events: &[Value], x: &Expected) -> Result<()> {
    ensure!(
        x.usermsg_errno == 0,
        "the kernel answered the audit message with {}",
        x.usermsg_errno
    );
    let e = find(events, "USER_AUTH", |e| {
        record(e, "USER_AUTH")["msg"]["op"] == "matrix-usermsg"
    })?;
    fields(
        record(&e, "USER_AUTH"),
        &[("pid", json!(x.pid)), ("uid", json!(0))],
    )?;
    fields(
        &record(&e, "USER_AUTH")["msg"],
        &[
            ("acct", json!("matrix")),
            ("res", json!("success")),
            ("hostname", Value::Null),
        ],
    )?;
    fields(
        &e["SYSCALL"],
        &[("syscall", json!(44)), ("pid", json!(x.pid))],
    )
}

/// The flood's socket() calls: each written or counted lost, in-band and
/// in the sensor's own accounting.
fn check_loss(o: &Outcome) -> Result<()> {
    let lost: u64 = o
        .events
        .iter()
        .filter_map(|e| record(e, "LOST")["ring_buffer"]["socket"].as_u64())
        .sum();
    let received = u64::from(o.expected.flood_received);
    ensure!(
        lost > 0,
        "the flood lost nothing: the ring was not overflowed"
    );
    ensure!(
        received + lost == u64::from(FLOOD),
        "{received} written + {lost} reported lost != {FLOOD} made"
    );
    let stopped = o
        .log
        .lines()
        .find(|l| l.contains("stopped:"))
        .context("no final report in the sensor's log")?;
    let before = |label: &str| -> Result<u64> {
        let at = stopped
            .find(label)
            .with_context(|| format!("no {label:?}"))?;
        stopped[..at]
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("no figure before {label:?} in {stopped}"))
    };
    let (ring, missing) = (before("in the ring buffer")?, before("missing")?);
    ensure!(
        ring == missing,
        "the kernel counted {ring} drops, the reader saw {missing} missing"
    );
    Ok(())
}

/// Per-program figures: the load in the sensor's log, and
/// `sensor check --verifier-stats`.
#[derive(Serialize, Deserialize, Debug, Default, Clone)]
pub struct ProgramFigures {
    pub load_ms: Option<u64>,
    pub verified: Option<u64>,
    pub processed: Option<u64>,
    pub stack: Option<u64>,
    /// What `sensor check` said when not ok.
    pub problem: Option<String>,
}

/// Reads each program's figures from the outcome.
pub fn programs(o: &Outcome) -> BTreeMap<String, ProgramFigures> {
    let mut programs: BTreeMap<String, ProgramFigures> = BTreeMap::new();
    // "program NAME loaded in N ms (M instructions verified)".
    for line in o.log.lines() {
        let Some(rest) = line.split_once("program ").map(|(_, r)| r) else {
            continue;
        };
        let Some((name, rest)) = rest.split_once(" loaded in ") else {
            continue;
        };
        let p = programs.entry(name.to_string()).or_default();
        p.load_ms = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        p.verified = rest
            .split_once('(')
            .and_then(|(_, r)| r.split_whitespace().next()?.parse().ok());
    }
    // "verifier     ok: NAME: P instructions processed (...), stack S bytes".
    for line in o.check.lines().filter(|l| l.starts_with("verifier")) {
        let Some((_, rest)) = line.split_once(": ") else {
            continue;
        };
        let Some((name, rest)) = rest.split_once(": ") else {
            continue;
        };
        let p = programs.entry(name.to_string()).or_default();
        p.processed = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        p.stack = rest
            .split_once("stack ")
            .and_then(|(_, r)| r.split_whitespace().next()?.parse().ok());
        if !line.contains(" ok: ") {
            p.problem = Some(line.to_string());
        }
    }
    for line in o
        .check
        .lines()
        .filter(|l| l.starts_with("program") && !l.contains(" ok: "))
    {
        let name = line
            .split_once("program ")
            .map_or("?", |(_, r)| r.split_whitespace().next().unwrap_or("?"));
        programs.entry(name.to_string()).or_default().problem = Some(line.to_string());
    }
    programs
}

/// The features `sensor check` found missing, each with its consequence.
pub fn degraded(o: &Outcome) -> Vec<String> {
    o.check
        .lines()
        .filter_map(|l| l.split_once("DEGRADED: ").map(|(_, d)| d.to_string()))
        .collect()
}

/// Where the host's run of the scenario works.
pub fn host_dir() -> PathBuf {
    crate::temp_dir("matrix")
}
