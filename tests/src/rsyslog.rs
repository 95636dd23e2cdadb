//! The real rsyslog (Debian's `rsyslog`, `rsyslog-gnutls`), run privately
//! for a test: its own config, port, work directory and output file, with
//! each message's MSG written one per line. Stopped when dropped.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

#[derive(Clone, Copy, PartialEq)]
pub enum Input {
    Udp,
    Tcp,
    /// RFC 5425, the client's certificate checked against the CA.
    Tls,
}

pub struct Rsyslog {
    child: Option<Child>,
    pub dir: PathBuf,
    pub port: u16,
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate,
/// made with the openssl CLI in `dir`: ca.pem, server.{pem,key},
/// client.{pem,key}.
pub fn make_certificates(dir: &Path) -> Result<()> {
    let openssl = |args: &[&str]| -> Result<()> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .context("running openssl")?;
        if !out.status.success() {
            bail!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=sensor test CA",
    ])?;
    for (name, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        fs::write(dir.join(format!("{name}.ext")), ext)?;
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name}"),
        ])?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-extfile",
            &format!("{name}.ext"),
        ])?;
    }
    Ok(())
}

impl Rsyslog {
    /// Starts rsyslogd on `port` (0: a free one) with `input`, writing each
    /// message's MSG to `dir`/messages. `dir` holds the certificates for TLS.
    pub fn start(dir: &Path, input: Input, port: u16) -> Result<Self> {
        let port = if port == 0 { crate::free_port() } else { port };
        let work = dir.join("work");
        fs::create_dir_all(&work)?;
        let d = dir.display();
        let (module, tls_globals) = match input {
            Input::Udp => ("module(load=\"imudp\")\ninput(type=\"imudp\" port=\"PORT\" ruleset=\"r\")".to_string(), String::new()),
            Input::Tcp => ("module(load=\"imtcp\")\ninput(type=\"imtcp\" port=\"PORT\" ruleset=\"r\")".to_string(), String::new()),
            Input::Tls => (
                "module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"x509/certvalid\")\n\
                 input(type=\"imtcp\" port=\"PORT\" ruleset=\"r\")".to_string(),
                format!(
                    " DefaultNetstreamDriver=\"gtls\" DefaultNetstreamDriverCAFile=\"{d}/ca.pem\" \
                     DefaultNetstreamDriverCertFile=\"{d}/server.pem\" DefaultNetstreamDriverKeyFile=\"{d}/server.key\""
                ),
            ),
        };
        let conf = format!(
            "global(workDirectory=\"{work}\" maxMessageSize=\"256k\"{tls_globals})\n\
             {module}\n\
             template(name=\"msg\" type=\"string\" string=\"%msg%\\n\")\n\
             ruleset(name=\"r\") {{ action(type=\"omfile\" file=\"{d}/messages\" template=\"msg\") }}\n",
            work = work.display(),
            module = module.replace("PORT", &port.to_string()),
        );
        fs::write(dir.join("rsyslog.conf"), conf)?;
        let mut r = Self {
            child: None,
            dir: dir.to_path_buf(),
            port,
        };
        r.restart()?;
        Ok(r)
    }

    /// Starts it again after [`stop`](Self::stop), same port, same file.
    pub fn restart(&mut self) -> Result<()> {
        let child = Command::new("rsyslogd")
            .args(["-n", "-f"])
            .arg(self.dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(self.dir.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context(
                "starting rsyslogd (Debian package rsyslog; `cargo xtask setup` installs it)",
            )?;
        self.child = Some(child);
        // Ready once it listens.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if listening(self.port) {
                return Ok(());
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait()? {
                let mut err = String::new();
                use std::io::Read;
                self.child
                    .as_mut()
                    .unwrap()
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)?;
                bail!("rsyslogd exited ({status}): {err}");
            }
            if Instant::now() > deadline {
                bail!("rsyslogd does not listen on port {} after 20 s", self.port);
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, and waits for it to exit (it writes out what it received).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
    }

    /// The messages received so far, one per line.
    pub fn messages(&self) -> Vec<String> {
        fs::read_to_string(self.dir.join("messages"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim_start().to_string())
            .collect()
    }
}

/// Whether a TCP socket listens on, or a UDP socket is bound to, `port`
/// (/proc/net/{tcp,udp}{,6}: local address `HEX:PORT`, TCP state 0A LISTEN).
fn listening(port: u16) -> bool {
    let local = format!(":{port:04X}");
    ["tcp", "tcp6", "udp", "udp6"].iter().any(|table| {
        fs::read_to_string(format!("/proc/net/{table}"))
            .unwrap_or_default()
            .lines()
            .skip(1)
            .any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() > 3 && f[1].ends_with(&local) && (table.starts_with("udp") || f[3] == "0A")
            })
    })
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.stop();
    }
}
