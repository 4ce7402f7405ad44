//! Client sockets shared by the WebSocket feeds and the CLOB's HTTP connection: plain TCP or
//! rustls over TCP, one process-wide TLS configuration (ring provider, webpki roots).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};

pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

pub(crate) fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
            Arc::new(cfg)
        })
        .clone()
}

/// Why a connection could not be opened.
#[derive(Debug)]
pub(crate) enum ConnectError {
    Io(io::Error),
    Tls(String),
}

/// Open a blocking TCP connection (TCP_NODELAY, I/O timeouts of `timeout` for the handshake
/// that follows), wrapped in rustls when `tls`.
pub(crate) fn connect_stream(
    host: &str,
    port: u16,
    tls: bool,
    timeout: std::time::Duration,
) -> Result<Stream, ConnectError> {
    use std::net::ToSocketAddrs;
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(ConnectError::Io)?
        .next()
        .ok_or_else(|| ConnectError::Io(io::Error::new(io::ErrorKind::NotFound, "no address")))?;
    let tcp = TcpStream::connect_timeout(&addr, timeout).map_err(ConnectError::Io)?;
    tcp.set_nodelay(true).map_err(ConnectError::Io)?;
    tcp.set_read_timeout(Some(timeout))
        .map_err(ConnectError::Io)?;
    tcp.set_write_timeout(Some(timeout))
        .map_err(ConnectError::Io)?;
    if !tls {
        return Ok(Stream::Plain(tcp));
    }
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    let conn = rustls::ClientConnection::new(tls_config(), name)
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
}

/// After the handshake: no timeouts, non-blocking.
pub(crate) fn make_nonblocking(s: &Stream) -> io::Result<()> {
    let tcp = s.tcp();
    tcp.set_read_timeout(None)?;
    tcp.set_write_timeout(None)?;
    tcp.set_nonblocking(true)
}

/// Why queued bytes could not be written.
#[derive(Debug)]
pub(crate) enum FlushError {
    /// The peer closed (a write of 0 bytes).
    Closed,
    Io(io::Error),
}

/// Write `tx[..*len]` as far as the non-blocking socket takes it; what is left moves to the
/// front and stays queued for the next call. Shared by the WebSocket and HTTP connections.
pub(crate) fn flush_queued(
    stream: &mut Stream,
    tx: &mut [u8],
    len: &mut usize,
) -> Result<(), FlushError> {
    let mut sent = 0;
    while sent < *len {
        match stream.write(&tx[sent..*len]) {
            Ok(0) => return Err(FlushError::Closed),
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FlushError::Io(e)),
        }
    }
    if sent > 0 {
        tx.copy_within(sent..*len, 0);
        *len -= sent;
    }
    match stream.flush() {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(FlushError::Io(e)),
    }
}
