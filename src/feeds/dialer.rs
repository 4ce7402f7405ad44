//! Connections are made off the hot threads: DNS, the TCP connect, TLS and the WebSocket
//! handshake all run on a control-side dialer thread, and the ready, non-blocking socket is
//! handed to the hot thread over an SPSC ring.
//!
//! A hot thread asks with [`Dialer::request`] (never blocks; at most one dial in flight) and
//! picks the result up with [`Dialer::poll`] on a later pass; the dialer wakes it (its
//! `mio::Waker`) when the result is ready. A feed that is down or reconnecting therefore costs
//! its hot thread nothing but a ring poll per pass: a reconnect storm never stalls the other
//! feeds on that thread. A dead connection goes back the same way ([`Dialer::retire`]): its
//! goodbye (a WebSocket close frame), its buffers (megabytes, unmapped on free) and its socket
//! are the dialer thread's work.
//! The dialer thread ends when its `Dialer` is dropped.

use std::sync::Arc;

use super::ws::{WsConfig, WsConn, WsError, WsUrl};

/// The hot thread's end of a dialer of connections `C` (a WebSocket by default; the order
/// connection dials `clob::http::HttpConn`s the same way).
pub struct Dialer<C = WsConn, E = WsError> {
    ask: crossbeam::channel::Sender<()>,
    ready: rtrb::Consumer<Result<C, E>>,
    retired: crossbeam::channel::Sender<C>,
    pending: bool,
}

/// What a connection says before it is released on the dialer thread.
pub trait Goodbye {
    fn goodbye(&mut self) {}
}

impl Goodbye for WsConn {
    /// A close frame (1000), best effort: the peer may be gone already.
    fn goodbye(&mut self) {
        self.close();
    }
}

/// Dead connections waiting for the dialer thread to release them; a full queue (the thread
/// is busy dialing) releases on the caller, as before.
const RETIRED_SLOTS: usize = 4;

impl Dialer {
    /// Start a dialer thread named `dial-{name}` for the WebSocket `url`. `wake`, if given,
    /// is woken when a dial finishes (a parked hot thread then picks the socket up at once).
    pub fn spawn(
        name: &str,
        url: WsUrl,
        cfg: WsConfig,
        wake: Option<Arc<mio::Waker>>,
    ) -> std::io::Result<Dialer> {
        Dialer::spawn_with(name, move || WsConn::connect(&url, &cfg), wake)
    }
}

impl<C: Goodbye + Send + 'static, E: Send + 'static> Dialer<C, E> {
    /// Start a dialer thread named `dial-{name}` that makes a connection with `connect`
    /// (blocking: DNS, connect, TLS, handshake) each time one is asked for.
    pub fn spawn_with(
        name: &str,
        mut connect: impl FnMut() -> Result<C, E> + Send + 'static,
        wake: Option<Arc<mio::Waker>>,
    ) -> std::io::Result<Dialer<C, E>> {
        let (ask, asked) = crossbeam::channel::bounded::<()>(1);
        let (retired, to_release) = crossbeam::channel::bounded::<C>(RETIRED_SLOTS);
        // One dial in flight at a time: two slots are never both full.
        let (mut done, ready) = rtrb::RingBuffer::<Result<C, E>>::new(2);
        std::thread::Builder::new()
            .name(format!("dial-{name}"))
            .spawn(move || loop {
                crossbeam::channel::select! {
                    recv(asked) -> a => {
                        if a.is_err() {
                            return;
                        }
                        let r = connect();
                        if done.push(r).is_err() {
                            return;
                        }
                        if let Some(w) = &wake {
                            let _ = w.wake();
                        }
                    }
                    recv(to_release) -> c => {
                        if let Ok(mut c) = c {
                            c.goodbye();
                        }
                    }
                }
            })?;
        Ok(Dialer {
            ask,
            ready,
            retired,
            pending: false,
        })
    }
}

impl<C, E> Dialer<C, E> {
    /// Ask for a connection; does nothing while one is being made. Never blocks.
    pub fn request(&mut self) {
        if !self.pending && self.ask.try_send(()).is_ok() {
            self.pending = true;
        }
    }

    /// A dial in flight.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// Hand a dead connection to the dialer thread to say goodbye and release. Never blocks
    /// (a full queue drops it here, without the goodbye).
    pub fn retire(&mut self, conn: C) {
        if let Err(e) = self.retired.try_send(conn) {
            drop(e.into_inner());
        }
    }

    /// The finished dial, if one is ready.
    #[inline]
    pub fn poll(&mut self) -> Option<Result<C, E>> {
        let r = self.ready.pop().ok()?;
        self.pending = false;
        Some(r)
    }
}
