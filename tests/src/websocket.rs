//! The client side of the container runtimes' streaming protocol
//! (k8s.io/apimachinery's `v4.channel.k8s.io`, over a WebSocket), as much
//! as a test that reads a command's output needs: the upgrade, then
//! server frames whose first byte names the stream (1 stdout, 2 stderr,
//! 3 the command's status), until the server closes.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use anyhow::{bail, ensure, Context, Result};

/// Connects to `url` (`http://HOST:PORT/PATH`) and returns stdout and
/// stderr as the server sent them, once it has sent the status.
pub fn exec_output(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("not a plain http URL: {url}"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut conn = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2Vuc29yLXRlc3Qta2V5MQ==\r\n\
         Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n"
    )?;
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        conn.read_exact(&mut byte)
            .context("reading the upgrade's answer")?;
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    ensure!(head.starts_with("HTTP/1.1 101"), "no upgrade: {head}");
    let mut output = String::new();
    loop {
        let mut h = [0u8; 2];
        if conn.read_exact(&mut h).is_err() {
            break; // closed
        }
        let opcode = h[0] & 0x0f;
        let mut len = (h[1] & 0x7f) as u64;
        if len == 126 {
            let mut l = [0u8; 2];
            conn.read_exact(&mut l)?;
            len = u16::from_be_bytes(l) as u64;
        } else if len == 127 {
            let mut l = [0u8; 8];
            conn.read_exact(&mut l)?;
            len = u64::from_be_bytes(l);
        }
        ensure!(h[1] & 0x80 == 0, "a masked frame from the server");
        let mut payload = vec![0u8; len as usize];
        conn.read_exact(&mut payload)?;
        match (opcode, payload.split_first()) {
            (8, _) => break, // close
            (1 | 2, Some((1 | 2, data))) => output.push_str(&String::from_utf8_lossy(data)),
            (1 | 2, Some((3, status))) => {
                let status = String::from_utf8_lossy(status);
                if !status.contains("Success") {
                    bail!("the command failed: {status}; its output: {output}");
                }
                break;
            }
            _ => {}
        }
    }
    Ok(output)
}
