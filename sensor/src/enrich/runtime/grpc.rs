//! Unary gRPC calls over a unix socket: what the CRI API needs of gRPC.
//!
//! A unary call is one HTTP/2 POST to `/<service>/<method>` whose body is
//! the request message behind a 5-byte prefix (compressed flag, length);
//! the reply is the same framing, and its outcome is the `grpc-status`
//! trailer (or header, for a reply with no body).

use std::{fmt, path::Path};

use anyhow::{bail, Context, Result};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use h2::client::SendRequest;
use prost::Message;
use tokio::net::UnixStream;

/// gRPC status codes the callers act on.
pub mod code {
    pub const NOT_FOUND: u32 = 5;
    pub const UNIMPLEMENTED: u32 = 12;
}

/// A call the server answered with a status other than OK.
#[derive(Debug)]
pub struct Status {
    pub code: u32,
    pub message: String,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "gRPC status {}: {}", self.code, self.message)
    }
}

impl std::error::Error for Status {}

/// The status code of a failed call, if the server gave one.
pub fn status_code(e: &anyhow::Error) -> Option<u32> {
    e.downcast_ref::<Status>().map(|s| s.code)
}

pub struct Channel {
    send: SendRequest<Bytes>,
}

impl Channel {
    /// Connects to the gRPC server listening on the unix socket `path`.
    pub async fn connect(path: &Path) -> Result<Self> {
        let io = UnixStream::connect(path)
            .await
            .with_context(|| format!("connecting to {}", path.display()))?;
        let (send, connection) = h2::client::handshake(io)
            .await
            .with_context(|| format!("HTTP/2 handshake with {}", path.display()))?;
        // The connection drives the socket; it ends when `send` is dropped
        // or the server goes away (the next call then fails).
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { send })
    }

    /// Calls `method` (`/package.Service/Method`) with `request`.
    pub async fn call<Req: Message, Resp: Message + Default>(
        &mut self,
        method: &str,
        request: &Req,
    ) -> Result<Resp> {
        let mut body = BytesMut::with_capacity(5 + request.encoded_len());
        body.put_u8(0);
        body.put_u32(request.encoded_len() as u32);
        request.encode(&mut body)?;
        let head = http::Request::post(format!("http://localhost{method}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())?;
        let mut send = self.send.clone().ready().await.context("connection lost")?;
        let (response, mut stream) = send.send_request(head, false)?;
        stream.send_data(body.freeze(), true)?;
        let response = response.await.with_context(|| method.to_owned())?;
        if !response.status().is_success() {
            bail!("{method}: HTTP status {}", response.status());
        }
        let (parts, mut reply) = response.into_parts();
        let mut data = BytesMut::new();
        while let Some(chunk) = reply.data().await {
            let chunk = chunk.with_context(|| format!("{method}: reading the reply"))?;
            let _ = reply.flow_control().release_capacity(chunk.len());
            data.extend_from_slice(&chunk);
        }
        let trailers = reply.trailers().await?.unwrap_or_default();
        let status = |name: &str| {
            trailers
                .get(name)
                .or_else(|| parts.headers.get(name))
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let code = status("grpc-status")
            .and_then(|c| c.parse().ok())
            .with_context(|| format!("{method}: the reply has no grpc-status"))?;
        if code != 0 {
            return Err(Status {
                code,
                message: status("grpc-message").unwrap_or_default(),
            })
            .with_context(|| method.to_owned());
        }
        let mut data = data.freeze();
        if data.len() < 5 || data[0] != 0 {
            bail!("{method}: a reply that is not one uncompressed message");
        }
        data.advance(1);
        let len = data.get_u32() as usize;
        if data.len() < len {
            bail!("{method}: a reply cut short");
        }
        Resp::decode(data.slice(..len)).with_context(|| format!("{method}: decoding the reply"))
    }
}
