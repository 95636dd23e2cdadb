//! A TCP connection, in TLS or not, for the syslog and HTTP sinks.

use std::{
    os::fd::{AsRawFd, RawFd},
    time::Duration,
};

use anyhow::{bail, Context, Result};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader},
    net::TcpStream,
};
use tokio_rustls::{rustls::pki_types::ServerName, TlsConnector};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the peer may take to acknowledge what was sent.
const ACK_TIMEOUT: Duration = Duration::from_secs(30);

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub struct Conn {
    pub io: BufReader<Box<dyn Io>>,
    fd: RawFd,
}

pub async fn connect(host: &str, port: u16, tls: Option<&TlsConnector>) -> Result<Conn> {
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port)))
        .await
        .with_context(|| format!("connecting to {host}:{port}: timed out"))?
        .map_err(crate::fds::explain)
        .with_context(|| format!("connecting to {host}:{port}"))?;
    tcp.set_nodelay(true)?;
    let fd = tcp.as_raw_fd();
    let io: Box<dyn Io> = match tls {
        None => Box::new(tcp),
        Some(connector) => {
            let name = ServerName::try_from(host.to_string())
                .with_context(|| format!("{host:?} is not a valid TLS server name"))?;
            let stream = tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp))
                .await
                .with_context(|| format!("TLS handshake with {host}:{port}: timed out"))?
                .with_context(|| format!("TLS handshake with {host}:{port}"))?;
            Box::new(stream)
        }
    };
    Ok(Conn {
        io: BufReader::new(io),
        fd,
    })
}

impl Conn {
    /// The peer closed its side or the connection failed: what is written
    /// now would be lost, so the caller connects again instead.
    pub fn peer_gone(&self) -> bool {
        let mut p = libc::pollfd {
            fd: self.fd,
            events: libc::POLLRDHUP,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no wait.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        n > 0 && p.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
    }

    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        let io = self.io.get_mut();
        io.write_all(data).await.context("sending")?;
        io.flush().await.context("sending")
    }

    /// Waits until the peer's TCP has acknowledged every byte sent, so a
    /// receiver that went away is noticed before its records are counted
    /// as delivered (plain TCP syslog has no acknowledgement of its own).
    pub async fn acknowledged(&mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + ACK_TIMEOUT;
        loop {
            let mut err: libc::c_int = 0;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: err and len are valid for getsockopt's writes.
            unsafe {
                libc::getsockopt(
                    self.fd,
                    libc::SOL_SOCKET,
                    libc::SO_ERROR,
                    (&raw mut err).cast(),
                    &mut len,
                )
            };
            if err != 0 {
                bail!(
                    "the receiver reset the connection: {}",
                    std::io::Error::from_raw_os_error(err)
                );
            }
            let mut unacked: libc::c_int = 0;
            // SAFETY: SIOCOUTQ writes one int: bytes sent but not acknowledged.
            if unsafe { libc::ioctl(self.fd, libc::TIOCOUTQ, &mut unacked) } != 0 {
                bail!(
                    "reading the socket's send queue: {}",
                    std::io::Error::last_os_error()
                );
            }
            if unacked == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("the receiver did not acknowledge {unacked} bytes within {ACK_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
