//! `--metrics-addr`: a minimal HTTP/1.1 server on its own thread, so it
//! answers (and can say the event loop is stuck) whatever the loop does.
//!
//! Bounded, so that no number of clients can take from the sensor what it
//! needs to record (descriptors above all): at most [`MAX_CONNECTIONS`] at
//! once, a request head of at most [`HEAD_MAX`] bytes within
//! [`HEAD_TIMEOUT`], the answer written within [`WRITE_TIMEOUT`]. When
//! every slot is taken, a new connection displaces the oldest one still
//! waiting for its request, so idle clients cannot lock out the kubelet's
//! probes; if every slot is answering, the new connection is closed.
//!
//! With a token (`--metrics-token-file`, `--metrics-token-env`), /metrics
//! answers only `Authorization: Bearer TOKEN`; /healthz and /readyz, which
//! the kubelet probes without credentials and which tell nothing but
//! up or down, stay open.

use std::{
    collections::VecDeque,
    net::TcpListener,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    task::AbortHandle,
    time::timeout,
};

use super::{health, registry};

/// Connections served at once; each holds one descriptor.
pub const MAX_CONNECTIONS: usize = 32;
/// A request head longer than this is refused (requests have no body).
const HEAD_MAX: usize = 8 << 10;
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often running out of descriptors at accept is logged.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// `Authorization` as /metrics expects it, if a token is set.
type Expected = Arc<RwLock<Option<String>>>;

/// The running server: what SIGHUP may change of it.
pub struct Server {
    authorization: Expected,
}

impl Server {
    /// Binds `addr` now (a bad or busy address stops start-up) and serves
    /// on a thread of its own; /metrics asks for the token, if one is
    /// given. None without an address.
    pub fn start(
        addr: Option<std::net::SocketAddr>,
        token: Option<String>,
    ) -> Result<Option<Self>> {
        match addr {
            Some(addr) => spawn(addr, token).map(Some),
            None if token.is_some() => {
                bail!("--metrics-token-file or --metrics-token-env without --metrics-addr")
            }
            None => Ok(None),
        }
    }

    /// SIGHUP: the token read again (a rotated file, another source).
    pub fn set_token(&self, token: Option<String>) {
        *self
            .authorization
            .write()
            .unwrap_or_else(|e| e.into_inner()) = token.map(|t| format!("Bearer {t}"));
    }
}

fn spawn(addr: std::net::SocketAddr, token: Option<String>) -> Result<Server> {
    let listener = TcpListener::bind(addr)
        .with_context(|| format!("binding the metrics address {addr} (--metrics-addr)"))?;
    listener.set_nonblocking(true)?;
    let authorization = Arc::new(RwLock::new(token.map(|t| format!("Bearer {t}"))));
    let served = authorization.clone();
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return log::error!("metrics server: {e}"),
            };
            rt.block_on(serve(listener, served));
        })
        .context("starting the metrics thread")?;
    // Not naming the endpoints: tests wait for the word `ready` in the log.
    log::info!("metrics server listening on {addr}");
    Ok(Server { authorization })
}

/// The connections being served: those still waiting for their request,
/// oldest first, and how many are being answered.
#[derive(Default)]
struct Slots {
    next: u64,
    waiting: VecDeque<(u64, AbortHandle)>,
    answering: usize,
}

type Shared = Arc<Mutex<Slots>>;

fn lock(slots: &Shared) -> std::sync::MutexGuard<'_, Slots> {
    slots.lock().unwrap_or_else(|e| e.into_inner())
}

/// One connection's slot, given back however its task ends (answered,
/// timed out, displaced).
struct Slot {
    id: u64,
    answering: bool,
    slots: Shared,
}

impl Slot {
    /// Its request came: it can no longer be displaced.
    fn answering(&mut self) {
        let mut s = lock(&self.slots);
        s.waiting.retain(|(id, _)| *id != self.id);
        s.answering += 1;
        self.answering = true;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut s = lock(&self.slots);
        if self.answering {
            s.answering -= 1;
        } else {
            s.waiting.retain(|(id, _)| *id != self.id);
        }
    }
}

async fn serve(listener: TcpListener, authorization: Expected) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => return log::error!("metrics server: {e}"),
    };
    let slots = Shared::default();
    let mut warned: Option<Instant> = None;
    loop {
        let conn = match listener.accept().await {
            Ok((conn, _)) => conn,
            Err(e) => {
                if let Some(why) = crate::fds::exhausted(&e) {
                    if warned.is_none_or(|t| t.elapsed() >= WARN_EVERY) {
                        log::warn!("metrics server: cannot accept a connection: {why}");
                        warned = Some(Instant::now());
                    }
                    // The connection stays in the listen queue: try again
                    // shortly rather than spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                } else {
                    log::debug!("metrics server: accept: {e}");
                }
                continue;
            }
        };
        let displaced = {
            let mut s = lock(&slots);
            if s.waiting.len() + s.answering < MAX_CONNECTIONS {
                None
            } else {
                match s.waiting.pop_front() {
                    Some((_, task)) => Some(task),
                    // Every slot is answering a request: no room.
                    None => continue,
                }
            }
        };
        let id = {
            let mut s = lock(&slots);
            s.next += 1;
            s.next
        };
        let slot = Slot {
            id,
            answering: false,
            slots: slots.clone(),
        };
        let task = tokio::spawn(answer(conn, slot, authorization.clone()));
        lock(&slots).waiting.push_back((id, task.abort_handle()));
        if let Some(task) = displaced {
            task.abort();
            // Lets the displaced task go (and close its descriptor) before
            // the next accept.
            tokio::task::yield_now().await;
        }
    }
}

async fn answer(mut conn: tokio::net::TcpStream, mut slot: Slot, authorization: Expected) {
    let Ok(Ok(head)) = timeout(HEAD_TIMEOUT, read_head(&mut conn)).await else {
        return;
    };
    slot.answering();
    let expected = authorization
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let (status, extra, content_type, body) = respond(&head, expected.as_deref());
    let head = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let write = async {
        conn.write_all(head.as_bytes()).await?;
        conn.write_all(body.as_bytes()).await?;
        conn.shutdown().await
    };
    if let Ok(Err(e)) = timeout(WRITE_TIMEOUT, write).await {
        log::debug!("metrics request: {e}");
    }
}

/// The request line and headers, up to the blank line.
async fn read_head(conn: &mut tokio::net::TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            return Ok(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > HEAD_MAX {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
}

/// Whether `head` carries `Authorization: {expected}`, compared in a time
/// that does not depend on where they differ.
fn authorized(head: &str, expected: &str) -> bool {
    head.lines().skip(1).any(|line| {
        let Some((name, value)) = line.split_once(':') else {
            return false;
        };
        let value = value.trim().as_bytes();
        name.trim().eq_ignore_ascii_case("authorization")
            && value.len() == expected.len()
            && value
                .iter()
                .zip(expected.as_bytes())
                .fold(0, |d, (a, b)| d | (a ^ b))
                == 0
    })
}

/// Status, extra headers, content type and body.
fn respond(
    head: &str,
    authorization: Option<&str>,
) -> (&'static str, &'static str, &'static str, String) {
    const TEXT: &str = "text/plain; charset=utf-8";
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    match path {
        "/metrics" => match authorization {
            Some(expected) if !authorized(head, expected) => (
                "401 Unauthorized",
                "WWW-Authenticate: Bearer realm=\"sensor\"\r\n",
                TEXT,
                "a bearer token is required (--metrics-token-file)\n".into(),
            ),
            _ => (
                "200 OK",
                "",
                "text/plain; version=0.0.4",
                registry().render(),
            ),
        },
        "/healthz" => match health::alive() {
            Ok(()) => ("200 OK", "", TEXT, "ok\n".into()),
            Err(secs) => (
                "503 Service Unavailable",
                "",
                TEXT,
                format!("event loop stuck for {secs} s\n"),
            ),
        },
        "/readyz" if health::ready() => ("200 OK", "", TEXT, "ready\n".into()),
        "/readyz" => (
            "503 Service Unavailable",
            "",
            TEXT,
            "not ready: programs not attached or sinks not constructed yet\n".into(),
        ),
        _ => (
            "404 Not Found",
            "",
            TEXT,
            "try /metrics, /healthz or /readyz\n".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_required_for_metrics_only() {
        let get = |path: &str, auth: &str| format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n");
        let token = Some("Bearer s3cret");
        assert_eq!(respond(&get("/metrics", ""), token).0, "401 Unauthorized");
        assert_eq!(
            respond(&get("/metrics", "Authorization: Bearer wrong!\r\n"), token).0,
            "401 Unauthorized"
        );
        assert_eq!(
            respond(&get("/metrics", "authorization:  Bearer s3cret\r\n"), token).0,
            "200 OK"
        );
        assert_eq!(respond(&get("/metrics", ""), None).0, "200 OK");
        assert_eq!(respond(&get("/healthz", ""), token).0, "200 OK");
    }
}
