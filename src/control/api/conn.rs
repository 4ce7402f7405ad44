//! The API's connections: at most `api.max_connections` at once, each closed after
//! `api.idle_timeout_ms` with no byte in either direction.
//!
//! A connection past the cap is not accepted until one closes (it waits in the kernel's
//! backlog and holds no descriptor of ours), so idle or hostile clients cannot exhaust the
//! process's file descriptors, which the feeds need to reconnect. The idle clock restarts
//! on every byte read or written: a WebSocket client receiving the stream stays open.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Connection counts shared with `/health` and `/metrics`.
#[derive(Debug, Default)]
pub struct ConnCounters {
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections closed for idling.
    pub idle_closed: AtomicU64,
}

/// A listener that holds at most `max` connections open.
pub struct GuardedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    idle: Duration,
    counters: Arc<ConnCounters>,
}

impl GuardedListener {
    pub fn new(
        inner: TcpListener,
        max: usize,
        idle: Duration,
        counters: Arc<ConnCounters>,
    ) -> Self {
        GuardedListener {
            inner,
            permits: Arc::new(Semaphore::new(max.max(1))),
            idle,
            counters,
        }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedStream, SocketAddr) {
        loop {
            let permit = self
                .permits
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            match self.inner.accept().await {
                Ok((s, addr)) => {
                    let _ = s.set_nodelay(true);
                    self.counters.open.fetch_add(1, Ordering::Relaxed);
                    return (
                        GuardedStream {
                            inner: s,
                            idle: self.idle,
                            deadline: Box::pin(tokio::time::sleep(self.idle)),
                            counters: self.counters.clone(),
                            _permit: permit,
                        },
                        addr,
                    );
                }
                Err(e) => {
                    // Out of descriptors or a transient error: back off instead of spinning.
                    tracing::warn!("API accept: {e}");
                    drop(permit);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// One connection: its permit is returned when it drops.
pub struct GuardedStream {
    inner: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    counters: Arc<ConnCounters>,
    _permit: OwnedSemaphorePermit,
}

impl GuardedStream {
    fn touch(&mut self) {
        let at = Instant::now() + self.idle;
        self.deadline.as_mut().reset(at);
    }

    /// Pending I/O: has the connection been idle too long?
    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.counters.idle_closed.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        false
    }
}

fn idle_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "connection idle past api.idle_timeout_ms",
    )
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.counters.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if self.idle_expired(cx) => Poll::Ready(Err(idle_error())),
            other => other,
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.touch();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.idle_expired(cx) => Poll::Ready(Err(idle_error())),
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
