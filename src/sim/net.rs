//! Sockets shared by the three WebSocket feeds: the accept loop (one thread per connection) and
//! a server-side WebSocket on a non-blocking std `TcpStream`.
//!
//! Each connection thread runs one loop: drain what the client sent, act on faults, send what is
//! due, then wait in `ppoll` for input, for room to write (only when output is pending) or for
//! the next deadline. So an idle connection sleeps, a flooding one never blocks on a full socket
//! while a pong or a control message waits, and a fault switch is seen within one wait.

use super::faults::Feed;
use super::stats::{bump, FeedStats};
use super::Shared;
use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::http::StatusCode;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Bytes, Error as WsError, Message, WebSocket};

/// Longest a connection loop waits before looking at the stop flag and the fault switches.
pub const MAX_WAIT: Duration = Duration::from_millis(5);
/// Handshake deadline for a new connection.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);
/// Output a slow client may leave unread before it is disconnected.
const MAX_UNSENT_BYTES: usize = 16 << 20;

/// The connection is over (closed by the peer, an I/O error, or a slow client).
#[derive(Debug)]
pub struct Gone;

/// What a client sent.
#[derive(Debug)]
pub enum Inbound {
    Text(String),
    Pong,
}

/// Accept connections on `listener` until the simulator stops, running `handler` on a new
/// thread for each.
pub fn spawn_acceptor(
    shared: Arc<Shared>,
    listener: TcpListener,
    name: &'static str,
    handler: fn(Arc<Shared>, TcpStream),
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name(format!("sim-{name}-accept"))
        .spawn(move || {
            for stream in listener.incoming() {
                if shared.stopping() {
                    break;
                }
                let Ok(stream) = stream else {
                    // Out of descriptors or similar: back off instead of spinning.
                    thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let sh = shared.clone();
                let spawned = thread::Builder::new()
                    .name(format!("sim-{name}"))
                    .spawn(move || handler(sh, stream));
                if let Ok(h) = spawned {
                    shared.track(h);
                }
            }
        })
}

/// Wait until `fd` is readable (or writable, if `write`), or `timeout` passes.
pub fn wait_fd(fd: RawFd, write: bool, timeout: Duration) {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN | if write { libc::POLLOUT } else { 0 },
        revents: 0,
    };
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `pfd` and `ts` are valid for the duration of the call, nfds = 1 matches the one
    // pollfd, and a null signal mask means "keep the current one". The result only tells us to
    // go round the loop, so it is not needed.
    unsafe {
        libc::ppoll(&mut pfd, 1, &ts, std::ptr::null());
    }
}

/// A server-side WebSocket on a non-blocking socket, with its feed's counters and fault state.
pub struct WsConn {
    ws: WebSocket<TcpStream>,
    fd: RawFd,
    /// Output written into the WebSocket that the socket has not taken yet.
    pending: bool,
    shared: Arc<Shared>,
    feed: Feed,
    drop_gen: u64,
    malformed_gen: u64,
}

impl WsConn {
    /// Run the server handshake on `stream`. `route` sees the request URI ("/path?query") and
    /// says whether to accept it (404 if not). Returns the connection and the URI.
    pub fn accept(
        shared: Arc<Shared>,
        stream: TcpStream,
        feed: Feed,
        route: impl Fn(&str) -> bool,
    ) -> Option<(WsConn, String)> {
        bump(&shared.feed_stats(feed).accepted);
        stream.set_nodelay(true).ok()?;
        let delay = shared.faults.handshake_delay_ms(feed);
        if delay > 0 {
            // A slow server: the handshake answer comes late (or never, once the simulator
            // stops or the client has given up and closed).
            bump(&shared.feed_stats(feed).slow_handshakes);
            let until = std::time::Instant::now() + Duration::from_millis(delay);
            while std::time::Instant::now() < until && !shared.stopping() {
                thread::sleep(MAX_WAIT);
            }
        }
        stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT)).ok()?;
        stream.set_write_timeout(Some(HANDSHAKE_TIMEOUT)).ok()?;
        let mut uri = String::new();
        #[allow(clippy::result_large_err)] // tungstenite's callback signature
        let cb = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
            uri = req.uri().to_string();
            if route(&uri) {
                Ok(resp)
            } else {
                let mut err = ErrorResponse::new(Some("not found".to_string()));
                *err.status_mut() = StatusCode::NOT_FOUND;
                Err(err)
            }
        };
        let cfg = WebSocketConfig::default().max_write_buffer_size(MAX_UNSENT_BYTES);
        let ws = tungstenite::accept_hdr_with_config(stream, cb, Some(cfg)).ok()?;
        ws.get_ref().set_read_timeout(None).ok()?;
        ws.get_ref().set_write_timeout(None).ok()?;
        ws.get_ref().set_nonblocking(true).ok()?;
        let fd = ws.get_ref().as_raw_fd();
        let stats = shared.feed_stats(feed);
        bump(&stats.connections);
        if shared.faults.close_after_handshake(feed) {
            // Handshake done, then gone: what a flapping server or proxy does.
            bump(&stats.closed_after_handshake);
            let _ = ws.get_ref().shutdown(Shutdown::Both);
            return None;
        }
        bump(&stats.open);
        let conn = WsConn {
            ws,
            fd,
            pending: false,
            drop_gen: shared.faults.drop_gen(feed),
            malformed_gen: shared.faults.malformed_gen(feed),
            shared,
            feed,
        };
        Some((conn, uri))
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn stats(&self) -> &FeedStats {
        self.shared.feed_stats(self.feed)
    }

    /// The feed is stalled by a fault: send nothing.
    pub fn stalled(&self) -> bool {
        self.shared.faults.stalled(self.feed)
    }

    /// A drop fault was raised since this connection last looked.
    pub fn drop_requested(&self) -> bool {
        self.shared.faults.drop_gen(self.feed) != self.drop_gen
    }

    /// A malformed-frame fault was raised since this connection last looked; consumes it.
    pub fn take_malformed(&mut self) -> bool {
        let g = self.shared.faults.malformed_gen(self.feed);
        if g != self.malformed_gen {
            self.malformed_gen = g;
            true
        } else {
            false
        }
    }

    fn io_result(&mut self, r: Result<(), WsError>) -> Result<(), Gone> {
        match r {
            Ok(()) => {
                self.pending = false;
                Ok(())
            }
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.pending = true;
                Ok(())
            }
            Err(_) => Err(Gone),
        }
    }

    /// Queue a text frame and count it; written out as the socket allows (see `flush`).
    pub fn write_text(&mut self, text: String) -> Result<(), Gone> {
        let r = self.ws.write(Message::Text(text.into()));
        bump(&self.stats().frames_sent);
        self.io_result(r)
    }

    /// Queue a ping frame and count it.
    pub fn write_ping(&mut self, payload: Vec<u8>) -> Result<(), Gone> {
        let r = self.ws.write(Message::Ping(Bytes::from(payload)));
        bump(&self.stats().pings_sent);
        self.io_result(r)
    }

    /// Push queued output to the socket.
    pub fn flush(&mut self) -> Result<(), Gone> {
        let r = self.ws.flush();
        self.io_result(r)
    }

    /// Output is waiting for the socket.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// Read everything the client has sent so far. Pings are answered by tungstenite on the
    /// next write or flush.
    pub fn read_available(&mut self, out: &mut Vec<Inbound>) -> Result<(), Gone> {
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => out.push(Inbound::Text(t.to_string())),
                Ok(Message::Binary(b)) => {
                    out.push(Inbound::Text(String::from_utf8_lossy(&b).into_owned()))
                }
                Ok(Message::Pong(_)) => {
                    bump(&self.stats().pongs_received);
                    out.push(Inbound::Pong);
                }
                Ok(Message::Ping(_)) | Ok(Message::Frame(_)) => {}
                Ok(Message::Close(_)) => {
                    // Drive the close reply out, then we are done.
                    let _ = self.ws.flush();
                    return Err(Gone);
                }
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(_) => return Err(Gone),
            }
        }
    }

    /// Wait for input, room to write (if output is pending), or `timeout` (capped at
    /// [`MAX_WAIT`]).
    pub fn wait(&self, timeout: Duration) {
        wait_fd(self.fd, self.pending, timeout.min(MAX_WAIT));
    }

    /// The connection loop should end now: simulator stopping or a drop fault.
    pub fn must_end(&self) -> bool {
        self.shared.stopping() || self.drop_requested()
    }

    /// End the connection: a drop fault cuts TCP without a close frame, a simulator stop closes
    /// politely with "going away".
    pub fn finish(mut self) {
        if self.drop_requested() {
            bump(&self.stats().dropped_by_fault);
        } else if self.shared.stopping() {
            self.close_with(CloseCode::Away, "simulator shutdown");
        }
        let _ = self.ws.get_ref().shutdown(Shutdown::Both);
    }

    /// Send a close frame with this code and give the client a moment to answer.
    pub fn close_with(&mut self, code: CloseCode, reason: &str) {
        let frame = CloseFrame {
            code,
            reason: reason.to_string().into(),
        };
        let _ = self.ws.close(Some(frame));
        for _ in 0..20 {
            match self.ws.flush() {
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
                Ok(()) => {}
                Err(_) => return,
            }
            match self.ws.read() {
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_fd(self.fd, false, Duration::from_millis(10))
                }
                Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}

impl Drop for WsConn {
    fn drop(&mut self) {
        self.stats().open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Split "/path?query" into the path and the value of `key` in the query.
pub fn query_param<'a>(uri: &'a str, key: &str) -> Option<&'a str> {
    let (_, q) = uri.split_once('?')?;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then_some(v)
    })
}

/// The path part of "/path?query".
pub fn path_of(uri: &str) -> &str {
    uri.split_once('?').map_or(uri, |(p, _)| p)
}
