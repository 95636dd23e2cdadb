//! `syslog+udp://`, `syslog+tcp://` (RFC 6587 octet counting) and
//! `syslog+tls://` (RFC 5425): one syslog message per line, RFC 5424
//! (default) or RFC 3164, severity info, facility and app name from the
//! options (`user` and `sensor` by default, as audisp-syslog's).

use std::{fmt::Write, time::SystemTime};

use anyhow::{bail, Context, Result};
use tokio::net::UdpSocket;
use tokio_rustls::TlsConnector;

use super::{
    net::{self, Conn},
    tls, SinkOptions, SyslogFormat,
};

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Proto {
    Udp,
    Tcp,
    Tls,
}

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];
const SEVERITY_INFO: u32 = 6;
/// A UDP message is cut to this (RFC 5426 allows it; an IPv4 datagram holds
/// at most 65,507 bytes).
const UDP_MAX: usize = 65_000;

pub struct SyslogSink {
    proto: Proto,
    host: String,
    port: u16,
    tls: Option<TlsConnector>,
    format: SyslogFormat,
    pri: u32,
    app: String,
    hostname: String,
    pid: u32,
    conn: Option<Conn>,
    udp: Option<UdpSocket>,
    frames: Vec<u8>,
}

impl SyslogSink {
    pub fn new(proto: Proto, host: &str, port: u16, o: &SinkOptions, node: &str) -> Result<Self> {
        let facility = o.facility.as_deref().unwrap_or("user");
        let code = FACILITIES
            .iter()
            .position(|f| *f == facility)
            .with_context(|| {
                format!(
                    "option `facility`: unknown {facility:?}; one of {}",
                    FACILITIES.join(", ")
                )
            })?;
        let app = o.app_name.clone().unwrap_or_else(|| "sensor".into());
        if app.is_empty() || app.len() > 48 || !app.bytes().all(|b| b.is_ascii_graphic()) {
            bail!("option `app_name`: 1 to 48 printable ASCII characters, no spaces");
        }
        let tls = match proto {
            Proto::Tls => Some(tls::connector(o)?),
            _ => None,
        };
        let hostname: String = node
            .chars()
            .map(|c| if c.is_ascii_graphic() { c } else { '_' })
            .collect();
        Ok(Self {
            proto,
            host: host.to_string(),
            port,
            tls,
            format: o.syslog_format.unwrap_or(SyslogFormat::Rfc5424),
            pri: code as u32 * 8 + SEVERITY_INFO,
            app,
            hostname: if hostname.is_empty() {
                "-".into()
            } else {
                hostname
            },
            pid: std::process::id(),
            conn: None,
            udp: None,
            frames: Vec::new(),
        })
    }

    pub fn disconnect(&mut self) {
        self.conn = None;
        self.udp = None;
    }

    fn header(&self, out: &mut String) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let (y, mo, d, h, mi, s) = utc(now.as_secs());
        match self.format {
            SyslogFormat::Rfc5424 => {
                let _ = write!(
                    out,
                    "<{}>1 {y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}Z {} {} {} - - ",
                    self.pri,
                    now.subsec_micros(),
                    self.hostname,
                    self.app,
                    self.pid
                );
            }
            SyslogFormat::Rfc3164 => {
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let _ = write!(
                    out,
                    "<{}>{} {d:2} {h:02}:{mi:02}:{s:02} {} {}[{}]: ",
                    self.pri,
                    MONTHS[mo as usize - 1],
                    self.hostname,
                    self.app,
                    self.pid
                );
            }
        }
    }

    pub async fn send(&mut self, lines: &[u8]) -> Result<()> {
        let mut header = String::new();
        self.header(&mut header);
        let messages = lines.split(|&b| b == b'\n').filter(|l| !l.is_empty());
        if self.proto == Proto::Udp {
            if self.udp.is_none() {
                let bind = if self.host.contains(':') {
                    "[::]:0"
                } else {
                    "0.0.0.0:0"
                };
                let sock = UdpSocket::bind(bind)
                    .await
                    .context("opening a UDP socket")?;
                sock.connect((self.host.as_str(), self.port))
                    .await
                    .with_context(|| format!("resolving {}:{}", self.host, self.port))?;
                self.udp = Some(sock);
            }
            let sock = self.udp.as_ref().expect("set above");
            let mut datagram = Vec::new();
            for line in messages {
                datagram.clear();
                datagram.extend_from_slice(header.as_bytes());
                datagram.extend_from_slice(line);
                datagram.truncate(UDP_MAX);
                sock.send(&datagram)
                    .await
                    .with_context(|| format!("sending to {}:{}", self.host, self.port))?;
            }
            return Ok(());
        }
        // RFC 6587 octet counting: "LEN SP MSG", for TCP and TLS alike.
        self.frames.clear();
        for line in messages {
            let _ = write!(
                WriteBytes(&mut self.frames),
                "{} {header}",
                header.len() + line.len()
            );
            self.frames.extend_from_slice(line);
        }
        let conn = match self.conn.take().filter(|c| !c.peer_gone()) {
            Some(c) => self.conn.insert(c),
            None => self
                .conn
                .insert(net::connect(&self.host, self.port, self.tls.as_ref()).await?),
        };
        conn.write(&self.frames).await?;
        conn.acknowledged().await
    }
}

/// `write!` into a byte buffer.
struct WriteBytes<'a>(&'a mut Vec<u8>);

impl Write for WriteBytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Unix seconds → UTC (year, month, day, hour, minute, second), after
/// Howard Hinnant's civil_from_days.
fn utc(secs: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(utc(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(utc(1_795_412_195), (2026, 11, 23, 5, 36, 35));
    }
}
