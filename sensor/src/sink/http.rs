//! `http://` and `https://` (any path but Splunk HEC's): each chunk of
//! lines is POSTed as one `application/x-ndjson` body, gzipped with
//! `gzip=true`, with `Authorization: Bearer` from `token_env` or
//! `token_file`. Also the HTTP/1.1 client the HEC sink uses: keep-alive,
//! a 2xx answer is the acknowledgement, anything else is retried.

use std::{io::Write, path::Path, time::Duration};

use anyhow::{bail, Context, Result};
use flate2::{write::GzEncoder, Compression};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio_rustls::TlsConnector;

use super::{
    net::{self, Conn},
    tls, SinkOptions,
};

const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a token comes from; read at start and on SIGHUP, never logged.
pub fn token(o: &SinkOptions) -> Result<Option<String>> {
    secret(
        (o.token_env.as_deref(), "option `token_env`"),
        (o.token_file.as_deref(), "option `token_file`"),
    )
}

/// A token from an environment variable or a file (each with what names
/// it in errors), trimmed; never logged, never echoed in an error.
pub fn secret(
    (var, var_label): (Option<&str>, &str),
    (path, path_label): (Option<&Path>, &str),
) -> Result<Option<String>> {
    let token = match (var, path) {
        (Some(var), _) => Some(std::env::var(var).with_context(|| {
            format!("{var_label}: the environment variable {var} is not set (or not UTF-8)")
        })?),
        (_, Some(path)) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("{path_label}: reading {}", path.display()))?,
        ),
        _ => None,
    };
    let token = token.map(|t| t.trim().to_string());
    if token
        .as_deref()
        .is_some_and(|t| t.is_empty() || t.contains(['\r', '\n']))
    {
        bail!(
            "{}: the token is empty or spans lines",
            if var.is_some() { var_label } else { path_label }
        );
    }
    Ok(token)
}

pub struct Endpoint {
    host: String,
    port: u16,
    path: String,
    tls: Option<TlsConnector>,
    conn: Option<Conn>,
}

impl Endpoint {
    pub fn new(tls: bool, host: &str, port: u16, path: &str, o: &SinkOptions) -> Result<Self> {
        Ok(Self {
            host: host.to_string(),
            port,
            path: path.to_string(),
            tls: if tls { Some(tls::connector(o)?) } else { None },
            conn: None,
        })
    }

    pub fn disconnect(&mut self) {
        self.conn = None;
    }

    /// POSTs `body`; Ok once the server answered 2xx.
    pub async fn post(&mut self, headers: &[(&str, &str)], body: &[u8]) -> Result<()> {
        let conn = match self.conn.take().filter(|c| !c.peer_gone()) {
            Some(c) => c,
            None => net::connect(&self.host, self.port, self.tls.as_ref()).await?,
        };
        let conn = self.conn.insert(conn);
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\nUser-Agent: sensor/{}\r\n",
            self.path,
            self.host,
            self.port,
            body.len(),
            env!("CARGO_PKG_VERSION")
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        conn.write(&request).await?;
        let (status, keep, reply) = tokio::time::timeout(RESPONSE_TIMEOUT, response(conn))
            .await
            .context("no answer from the server")??;
        if !keep {
            self.conn = None;
        }
        if !(200..300).contains(&status) {
            let reply = String::from_utf8_lossy(&reply[..reply.len().min(200)]).into_owned();
            bail!("the server answered {status}: {reply}");
        }
        Ok(())
    }
}

/// Status, whether the connection stays open, and the body.
async fn response(conn: &mut Conn) -> Result<(u16, bool, Vec<u8>)> {
    let io = &mut conn.io;
    let mut line = String::new();
    if io.read_line(&mut line).await? == 0 {
        bail!("the server closed the connection without answering");
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP answer: {:?}", line.trim_end()))?;
    let (mut length, mut chunked, mut keep) = (None, false, !line.starts_with("HTTP/1.0"));
    loop {
        line.clear();
        if io.read_line(&mut line).await? == 0 {
            bail!("the server closed the connection mid-answer");
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => keep = value != "close",
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            io.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .context("a bad chunk size in the answer")?;
            let start = body.len();
            body.resize(start + size + 2, 0);
            io.read_exact(&mut body[start..]).await?;
            body.truncate(start + size);
            if size == 0 {
                break;
            }
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        io.read_exact(&mut body).await?;
    } else {
        io.read_to_end(&mut body).await?;
        keep = false;
    }
    Ok((status, keep, body))
}

pub fn gzip(body: &[u8]) -> Result<Vec<u8>> {
    let mut z = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    z.write_all(body)?;
    Ok(z.finish()?)
}

/// Sends the request body as given, or gzipped.
pub async fn post_body(
    endpoint: &mut Endpoint,
    mut headers: Vec<(&str, &str)>,
    body: &[u8],
    gzipped: bool,
) -> Result<()> {
    if gzipped {
        headers.push(("Content-Encoding", "gzip"));
        endpoint.post(&headers, &gzip(body)?).await
    } else {
        endpoint.post(&headers, body).await
    }
}

pub struct LinesSink {
    endpoint: Endpoint,
    authorization: Option<String>,
    gzip: bool,
}

impl LinesSink {
    pub fn new(endpoint: Endpoint, o: &SinkOptions) -> Result<Self> {
        Ok(Self {
            endpoint,
            authorization: token(o)?.map(|t| format!("Bearer {t}")),
            gzip: o.gzip.unwrap_or(false),
        })
    }

    pub fn disconnect(&mut self) {
        self.endpoint.disconnect();
    }

    pub async fn post(&mut self, lines: &[u8]) -> Result<()> {
        let mut headers = vec![("Content-Type", "application/x-ndjson")];
        if let Some(a) = &self.authorization {
            headers.push(("Authorization", a));
        }
        post_body(&mut self.endpoint, headers, lines, self.gzip).await
    }
}
