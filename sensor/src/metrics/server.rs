//! `--metrics-addr`: a minimal HTTP/1.1 server on its own thread, so it
//! answers (and can say the event loop is stuck) whatever the loop does.

use std::net::TcpListener;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::{health, registry};

/// Binds `addr` now (a bad or busy address stops start-up) and serves on a
/// thread of its own.
pub fn spawn(addr: std::net::SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(addr)
        .with_context(|| format!("binding the metrics address {addr} (--metrics-addr)"))?;
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return log::error!("metrics server: {e}"),
            };
            rt.block_on(serve(listener));
        })
        .context("starting the metrics thread")?;
    // Not naming the endpoints: tests wait for the word `ready` in the log.
    log::info!("metrics server listening on {addr}");
    Ok(())
}

async fn serve(listener: TcpListener) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => return log::error!("metrics server: {e}"),
    };
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            if let Err(e) = answer(conn).await {
                log::debug!("metrics request: {e}");
            }
        });
    }
}

async fn answer(conn: tokio::net::TcpStream) -> std::io::Result<()> {
    let mut conn = BufReader::new(conn);
    let mut request = String::new();
    conn.read_line(&mut request).await?;
    // The rest of the head; requests have no body.
    let mut line = String::new();
    while conn.read_line(&mut line).await? > 2 {
        line.clear();
    }
    let path = request.split_whitespace().nth(1).unwrap_or("");
    let (status, content_type, body) = respond(path);
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let conn = conn.get_mut();
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body.as_bytes()).await?;
    conn.shutdown().await
}

fn respond(path: &str) -> (&'static str, &'static str, String) {
    const TEXT: &str = "text/plain; charset=utf-8";
    match path {
        "/metrics" => ("200 OK", "text/plain; version=0.0.4", registry().render()),
        "/healthz" => match health::alive() {
            Ok(()) => ("200 OK", TEXT, "ok\n".into()),
            Err(secs) => (
                "503 Service Unavailable",
                TEXT,
                format!("event loop stuck for {secs} s\n"),
            ),
        },
        "/readyz" if health::ready() => ("200 OK", TEXT, "ready\n".into()),
        "/readyz" => (
            "503 Service Unavailable",
            TEXT,
            "not ready: programs not attached or sinks not constructed yet\n".into(),
        ),
        _ => (
            "404 Not Found",
            TEXT,
            "try /metrics, /healthz or /readyz\n".into(),
        ),
    }
}
