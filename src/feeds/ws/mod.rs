//! A reusable non-blocking WebSocket client for the ingest threads.

pub mod backoff;
pub mod conn;
pub mod url;

pub use backoff::Backoff;
pub use conn::{WsConfig, WsConn, WsFrame};
pub use url::WsUrl;

/// What went wrong with a connection. Everything but `BadUrl` is transient: drop the
/// connection, back off, reconnect.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// The configured URL is unusable: fatal at start-up.
    #[error("bad WebSocket URL {0}")]
    BadUrl(String),
    #[error("connect failed: {0}")]
    Connect(std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("WebSocket handshake: {0}")]
    Handshake(String),
    /// The peer closed (close frame or EOF).
    #[error("connection closed")]
    Closed,
    #[error("frame of {0} bytes is over the limit")]
    FrameTooLarge(u64),
    #[error("protocol violation: {0}")]
    Protocol(String),
    #[error("outgoing buffer full")]
    WriteBufferFull,
    #[error("socket: {0}")]
    Io(std::io::Error),
}
