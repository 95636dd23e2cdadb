//! The login workload (issue 18): a private sshd (Debian's openssh-server)
//! on a loopback port with PAM, logins through it with sshpass (a wrong
//! password, a command, a pty), sudo allowed and denied, su and runuser,
//! and the shadow tools making and removing a user and a group. Every
//! step is a real program sending its own audit messages; and the
//! records those send, parsed from auditd's text format.

use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};

/// The programs whose messages the workload makes (their `exe=`).
pub const PROGRAMS: &[&str] = &[
    "/usr/sbin/sshd",
    "/usr/bin/sudo",
    "/usr/bin/su",
    "/usr/sbin/runuser",
    "/usr/sbin/useradd",
    "/usr/sbin/usermod",
    "/usr/sbin/chpasswd",
    "/usr/sbin/userdel",
    "/usr/sbin/groupadd",
    "/usr/sbin/groupdel",
];

/// The user and group the workload makes and removes: the same names
/// in every run, so that two runs' messages compare.
pub const USER: &str = "sensorlogin";
pub const GROUP: &str = "sensorgrp";
const PASSWORD: &str = "S3nsor-login-pw";
const SUDOERS: &str = "/etc/sudoers.d/sensor-login-test";

fn run(cmd: &mut Command) -> Result<std::process::Output> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    Ok(out)
}

fn ok(cmd: &mut Command) -> Result<()> {
    let out = run(cmd)?;
    ensure!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// Removes what an interrupted run may have left.
fn clean() {
    let _ = fs::remove_file(SUDOERS);
    let _ = run(Command::new("userdel").args(["-r", USER]));
    let _ = run(Command::new("groupdel").arg(GROUP));
}

/// sshd on 127.0.0.1 with its own host key and configuration.
struct Sshd {
    child: Child,
    port: u16,
}

impl Sshd {
    fn start(dir: &Path) -> Result<Self> {
        let key = dir.join("host_ed25519");
        ok(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key))?;
        // The privilege separation directory the package makes at boot.
        fs::create_dir_all("/run/sshd")?;
        let port = crate::free_port();
        let config = dir.join("sshd_config");
        fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nUsePAM yes\n\
                 PasswordAuthentication yes\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication no\nPermitRootLogin no\nAllowUsers {USER}\n\
                 PidFile none\nStrictModes no\nPrintMotd no\nUseDNS no\n",
                key.display()
            ),
        )?;
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join("sshd.log"))?)
            .spawn()
            .context("starting sshd (Debian package openssh-server)")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!(
                    "sshd did not listen on {port}: {}",
                    fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
        Ok(Self { child, port })
    }

    /// `sshpass -p PASSWORD ssh [-tt] USER@127.0.0.1 COMMAND`.
    fn login(&self, password: &str, tty: bool, command: &str) -> Result<std::process::Output> {
        let mut cmd = Command::new("sshpass");
        cmd.args(["-p", password, "ssh"]);
        if tty {
            cmd.arg("-tt");
        }
        cmd.args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "LogLevel=ERROR",
            "-p",
            &self.port.to_string(),
            &format!("{USER}@127.0.0.1"),
            command,
        ]);
        run(&mut cmd)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// Runs every step; fails if a step does not do what it should (a login
/// meant to fail that succeeds, sudo that allows what it should deny).
pub fn workload(dir: &Path) -> Result<()> {
    clean();
    let result = steps(dir);
    clean();
    result
}

fn steps(dir: &Path) -> Result<()> {
    ok(Command::new("groupadd").arg(GROUP))?;
    ok(Command::new("useradd").args(["-m", "-s", "/bin/sh", "-G", GROUP, USER]))?;
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .context("running chpasswd")?;
    std::io::Write::write_all(
        chpasswd.stdin.as_mut().unwrap(),
        format!("{USER}:{PASSWORD}\n").as_bytes(),
    )?;
    drop(chpasswd.stdin.take());
    ensure!(chpasswd.wait()?.success(), "chpasswd failed");
    ok(Command::new("usermod").args(["-c", "sensor login test", USER]))?;
    fs::write(
        SUDOERS,
        format!("{USER} ALL=(root) NOPASSWD: /usr/bin/id\n"),
    )?;
    fs::set_permissions(SUDOERS, fs::Permissions::from_mode(0o440))?;

    let sshd = Sshd::start(dir)?;
    let failed = sshd.login("wrong-password", false, "true")?;
    ensure!(!failed.status.success(), "a wrong password logged in");
    let command = sshd.login(PASSWORD, false, "echo logged-in")?;
    ensure!(
        String::from_utf8_lossy(&command.stdout).contains("logged-in"),
        "ssh with a command: {}",
        String::from_utf8_lossy(&command.stderr)
    );
    let pty = sshd.login(PASSWORD, true, "tty")?;
    ensure!(
        String::from_utf8_lossy(&pty.stdout).contains("/dev/pts/"),
        "ssh -tt: {}{}",
        String::from_utf8_lossy(&pty.stdout),
        String::from_utf8_lossy(&pty.stderr)
    );
    // sshd writes a session's last records after the client has gone.
    thread::sleep(Duration::from_millis(500));
    drop(sshd);

    ok(Command::new("runuser").args(["-u", USER, "--", "sudo", "-n", "/usr/bin/id"]))?;
    let denied =
        run(Command::new("runuser").args(["-u", USER, "--", "sudo", "-n", "/usr/bin/whoami"]))?;
    ensure!(!denied.status.success(), "sudo allowed what sudoers denies");
    ok(Command::new("su").args(["-s", "/bin/sh", "-c", "true", USER]))?;
    ok(Command::new("userdel").args(["-r", USER]))?;
    ok(Command::new("groupdel").arg(GROUP))?;
    Ok(())
}

/// A user message or LOGIN record, as auditd's text has it.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRecord {
    pub kind: String,
    /// `SECS.MSEC` of its ID.
    pub time: f64,
    /// The kernel's fields (pid, uid, auid, ses; LOGIN's all of them).
    pub fields: Vec<(String, String)>,
    /// The message text (user messages).
    pub msg: Option<String>,
}

impl SessionRecord {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    /// The text's `key=value` (its value unquoted).
    pub fn msg_field(&self, key: &str) -> Option<String> {
        let msg = self.msg.as_deref()?;
        let at = msg
            .match_indices(&format!("{key}="))
            .find(|(i, _)| *i == 0 || msg.as_bytes()[i - 1] == b' ')?
            .0;
        let value = &msg[at + key.len() + 1..];
        Some(match value.strip_prefix('"') {
            Some(q) => q[..q.find('"').unwrap_or(q.len())].to_owned(),
            // Words up to the next ` key=` (`op=adding group acct=…`).
            None => {
                let mut end = value.len();
                for (i, _) in value.match_indices(' ') {
                    let next = &value[i + 1..];
                    let key = next
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                        .unwrap_or(next.len());
                    if key > 0 && next[key..].starts_with('=') {
                        end = i;
                        break;
                    }
                }
                value[..end].to_owned()
            }
        })
    }

    /// Made by one of the workload's programs.
    pub fn of_workload(&self) -> bool {
        match self.kind.as_str() {
            "LOGIN" => true,
            _ => self
                .msg_field("exe")
                .is_some_and(|exe| PROGRAMS.contains(&exe.as_str())),
        }
    }

    /// The text with what differs between two runs of the workload
    /// masked: pty numbers.
    pub fn normalized_msg(&self) -> String {
        let msg = self.msg.clone().unwrap_or_default();
        let mut out = String::new();
        let mut rest = msg.as_str();
        while let Some(at) = rest.find("/dev/pts/") {
            out.push_str(&rest[..at + 9]);
            rest = rest[at + 9..].trim_start_matches(|c: char| c.is_ascii_digit());
            out.push('N');
        }
        out.push_str(rest);
        out
    }
}

/// The user message and LOGIN records of an auditd-format text.
pub fn session_records(text: &str) -> Vec<SessionRecord> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<SessionRecord> {
    let (kind, id, body) = crate::audit_log::split_line(line)?;
    let time = id.split(':').next()?.parse().ok()?;
    let (head, msg) = match body.split_once(" msg='") {
        Some((head, msg)) => (head, Some(msg.strip_suffix('\'').unwrap_or(msg).to_owned())),
        None => (body, None),
    };
    if kind != "LOGIN" && (msg.is_none() || !head.starts_with("pid=")) {
        return None;
    }
    let fields = head
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Some(SessionRecord {
        kind: kind.to_owned(),
        time,
        fields,
        msg,
    })
}

/// A netlink message of type `kind` (a request, acknowledged) with
/// `text` and its NUL, as libaudit builds one.
pub fn audit_message(kind: u16, text: &str) -> Vec<u8> {
    let len = (16 + text.len() + 1) as u32;
    let mut m = len.to_le_bytes().to_vec();
    m.extend(kind.to_le_bytes());
    m.extend(5u16.to_le_bytes()); // NLM_F_REQUEST | NLM_F_ACK
    m.extend([0; 8]);
    m.extend(text.as_bytes());
    m.push(0);
    m
}

/// Sends `message` to the kernel's audit socket as libaudit does
/// (sendto, port 0) and reads the acknowledgement: the kernel's errno (0
/// when it took the message), or 101-103 when the socket, the send or the
/// answer failed. Only system calls: a forked child may call it.
pub fn send_audit_message(message: &[u8]) -> i32 {
    unsafe {
        let fd = libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_AUDIT);
        if fd < 0 {
            return 101;
        }
        let mut addr: libc::sockaddr_nl = std::mem::zeroed();
        addr.nl_family = libc::AF_NETLINK as u16;
        let sent = libc::sendto(
            fd,
            message.as_ptr().cast(),
            message.len(),
            0,
            (&raw const addr).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        );
        // The acknowledgement: nlmsghdr, then nlmsgerr's error.
        let mut ack = [0u8; 64];
        let n = if sent < 0 {
            -1
        } else {
            libc::recv(fd, ack.as_mut_ptr().cast(), ack.len(), 0)
        };
        libc::close(fd);
        if sent < 0 {
            return 102;
        }
        if n < 20 {
            return 103;
        }
        -i32::from_le_bytes([ack[16], ack[17], ack[18], ack[19]])
    }
}

/// A fresh directory for one run.
pub fn run_dir() -> PathBuf {
    crate::temp_dir("logins")
}
