//! One WebSocket client connection: plain TCP for `ws://`, rustls for `wss://`.
//!
//! The handshake runs blocking with a timeout (it happens only at connect time); then the
//! socket turns non-blocking and [`WsConn::poll`] reads frames straight out of one fixed
//! receive buffer. A data frame is handed to the caller as a `&mut [u8]` slice of that buffer,
//! so the parser can work in place (simd-json needs a mutable buffer) and nothing is copied or
//! allocated per frame. Frame headers are parsed and written with tungstenite's
//! `FrameHeader`; the handshake request and accept key come from tungstenite too.
//!
//! Pings are answered automatically with a pong carrying the same payload, written on the same
//! `poll` call. Frames larger than `max_frame_bytes` are refused with
//! [`WsError::FrameTooLarge`]: the caller drops the connection and reconnects.

use std::io::{self, Cursor, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use crate::feeds::net::{
    connect_stream, flush_queued, make_nonblocking, ConnectError, FlushError, Stream,
};

use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tungstenite::protocol::frame::FrameHeader;

use super::url::WsUrl;
use super::WsError;
use crate::clock::mono_ns;

/// Limits of one connection.
#[derive(Clone, Debug)]
pub struct WsConfig {
    /// Largest frame (or reassembled message) accepted. Default 4 MiB: a Polymarket book dump
    /// for many tokens is the largest thing we read.
    pub max_frame_bytes: usize,
    /// Bytes of outgoing frames that may wait for the socket. Default 64 KiB.
    pub tx_buffer_bytes: usize,
    /// TCP connect + TLS + HTTP upgrade must finish within this. Default 5 s.
    pub connect_timeout: Duration,
    /// Most bytes taken off the socket per read. Default 16 KiB (about a hundred Binance
    /// frames): under a flood, frames wait in our buffer at most one chunk's parse time after
    /// their read stamp, instead of a whole buffer's.
    pub read_chunk_bytes: usize,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            max_frame_bytes: 4 << 20,
            tx_buffer_bytes: 64 << 10,
            connect_timeout: Duration::from_secs(5),
            read_chunk_bytes: 16 << 10,
        }
    }
}

/// A data message handed to the caller, borrowed from the receive buffer.
#[derive(Debug)]
pub struct WsFrame<'a> {
    pub text: bool,
    pub data: &'a mut [u8],
    /// `clock::mono_ns` of the socket read that completed this frame.
    pub read_ns: u64,
}

pub struct WsConn {
    stream: Stream,
    rx: Box<[u8]>,
    start: usize,
    end: usize,
    /// Reassembly of fragmented messages (rare: the venues send one frame per message).
    frag: Vec<u8>,
    frag_opcode: Option<Data>,
    tx: Box<[u8]>,
    tx_len: usize,
    max_frame: usize,
    read_chunk: usize,
    last_read_ns: u64,
    mask_rng: u64,
    pings: u64,
}

impl WsConn {
    /// Connect, upgrade, and switch the socket to non-blocking.
    pub fn connect(url: &WsUrl, cfg: &WsConfig) -> Result<WsConn, WsError> {
        let deadline = std::time::Instant::now() + cfg.connect_timeout;
        let stream = connect_stream(&url.host, url.port, url.tls, cfg.connect_timeout).map_err(
            |e| match e {
                ConnectError::Io(e) => WsError::Connect(e),
                ConnectError::Tls(e) => WsError::Tls(e),
            },
        )?;
        let mut ws = WsConn {
            stream,
            rx: vec![0u8; cfg.max_frame_bytes + (64 << 10)].into_boxed_slice(),
            start: 0,
            end: 0,
            frag: Vec::with_capacity(0),
            frag_opcode: None,
            tx: vec![0u8; cfg.tx_buffer_bytes].into_boxed_slice(),
            tx_len: 0,
            max_frame: cfg.max_frame_bytes,
            read_chunk: cfg.read_chunk_bytes.max(1024),
            last_read_ns: 0,
            mask_rng: mono_ns() | 1,
            pings: 0,
        };
        ws.upgrade(url, deadline)?;
        make_nonblocking(&ws.stream).map_err(WsError::Connect)?;
        Ok(ws)
    }

    /// Send the upgrade request and read the response, all by `deadline` (TLS included: it
    /// runs inside the first write and reads): a server that trickles its answer cannot hold
    /// the ingest thread past `connect_timeout`.
    fn upgrade(&mut self, url: &WsUrl, deadline: std::time::Instant) -> Result<(), WsError> {
        let request = url
            .to_url()
            .into_client_request()
            .map_err(|e| WsError::Handshake(e.to_string()))?;
        let (bytes, key) = tungstenite::handshake::client::generate_request(request)
            .map_err(|e| WsError::Handshake(e.to_string()))?;
        self.time_left(deadline)?;
        self.stream.write_all(&bytes).map_err(hs_io)?;
        self.stream.flush().map_err(hs_io)?;
        let expected = tungstenite::handshake::derive_accept_key(key.as_bytes());
        loop {
            if self.end == self.rx.len() {
                return Err(WsError::Handshake("response headers too large".into()));
            }
            self.time_left(deadline)?;
            let n = self.stream.read(&mut self.rx[self.end..]).map_err(hs_io)?;
            if n == 0 {
                return Err(WsError::Handshake("closed during handshake".into()));
            }
            self.end += n;
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.rx[..self.end]) {
                Ok(httparse::Status::Partial) => continue,
                Ok(httparse::Status::Complete(len)) => {
                    if resp.code != Some(101) {
                        return Err(WsError::Handshake(format!(
                            "HTTP {} instead of 101",
                            resp.code.unwrap_or(0)
                        )));
                    }
                    let accept = resp
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-accept"))
                        .map(|h| h.value);
                    if accept != Some(expected.as_bytes()) {
                        return Err(WsError::Handshake("bad Sec-WebSocket-Accept".into()));
                    }
                    // Frames sent right behind the response stay in the buffer, stamped
                    // with this read.
                    self.start = len;
                    self.last_read_ns = mono_ns();
                    return Ok(());
                }
                Err(e) => return Err(WsError::Handshake(e.to_string())),
            }
        }
    }

    /// Bound the next blocking socket call by what is left until `deadline`; past it, the
    /// handshake has timed out.
    fn time_left(&self, deadline: std::time::Instant) -> Result<(), WsError> {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(WsError::Handshake("timed out (connect_timeout)".into()));
        }
        let tcp = self.stream.tcp();
        tcp.set_read_timeout(Some(left)).map_err(hs_io)?;
        tcp.set_write_timeout(Some(left)).map_err(hs_io)?;
        Ok(())
    }

    /// The socket's descriptor, for registering with `mio` in the `park` wait strategy.
    pub fn raw_fd(&self) -> RawFd {
        self.stream.tcp().as_raw_fd()
    }

    /// `clock::mono_ns` of the socket read that completed the last frame returned.
    pub fn last_read_ns(&self) -> u64 {
        self.last_read_ns
    }

    /// Pings answered on this connection.
    pub fn pings_answered(&self) -> u64 {
        self.pings
    }

    /// Next data frame, `Ok(None)` when the socket has nothing more right now.
    /// Control frames are handled inside (ping → pong; close → `Err(Closed)`).
    pub fn poll(&mut self) -> Result<Option<WsFrame<'_>>, WsError> {
        loop {
            match self.next_frame()? {
                Parsed::Data {
                    opcode,
                    fin,
                    off,
                    len,
                } => {
                    if self.frag_opcode.is_none() && fin && opcode != Data::Continue {
                        return Ok(Some(WsFrame {
                            text: opcode != Data::Binary,
                            data: &mut self.rx[off..off + len],
                            read_ns: self.last_read_ns,
                        }));
                    }
                    if let Some(first) = self.reassemble(opcode, fin, off, len)? {
                        return Ok(Some(WsFrame {
                            text: first != Data::Binary,
                            data: &mut self.frag[..],
                            read_ns: self.last_read_ns,
                        }));
                    }
                }
                Parsed::Control => {}
                Parsed::NeedMore => {
                    self.flush()?;
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    fn reassemble(
        &mut self,
        opcode: Data,
        fin: bool,
        off: usize,
        len: usize,
    ) -> Result<Option<Data>, WsError> {
        match (self.frag_opcode, opcode) {
            (None, Data::Continue) => {
                return Err(WsError::Protocol(
                    "continuation without a first frame".into(),
                ))
            }
            (None, first) => {
                if self.frag.capacity() < self.max_frame {
                    self.frag.reserve_exact(self.max_frame);
                }
                self.frag.clear();
                self.frag_opcode = Some(first);
            }
            (Some(_), Data::Continue) => {}
            (Some(_), _) => {
                return Err(WsError::Protocol(
                    "new message inside a fragmented one".into(),
                ))
            }
        }
        if self.frag.len() + len > self.max_frame {
            return Err(WsError::FrameTooLarge((self.frag.len() + len) as u64));
        }
        self.frag.extend_from_slice(&self.rx[off..off + len]);
        if fin {
            Ok(self.frag_opcode.take())
        } else {
            Ok(None)
        }
    }

    fn next_frame(&mut self) -> Result<Parsed, WsError> {
        let avail = &self.rx[self.start..self.end];
        if avail.is_empty() {
            return Ok(Parsed::NeedMore);
        }
        let mut cur = Cursor::new(avail);
        let (header, len) = match FrameHeader::parse(&mut cur) {
            Ok(Some(h)) => h,
            Ok(None) => return Ok(Parsed::NeedMore),
            Err(e) => return Err(WsError::Protocol(e.to_string())),
        };
        if len > self.max_frame as u64 {
            return Err(WsError::FrameTooLarge(len));
        }
        if header.rsv1 || header.rsv2 || header.rsv3 {
            // No extension was negotiated (RFC 6455 §5.2): a reserved bit is a broken or
            // hostile peer.
            return Err(WsError::Protocol(
                "reserved bits set with no extension".into(),
            ));
        }
        let hlen = cur.position() as usize;
        let total = hlen + len as usize;
        if avail.len() < total {
            return Ok(Parsed::NeedMore);
        }
        let off = self.start + hlen;
        let len = len as usize;
        self.start += total;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if let Some(mask) = header.mask {
            // Servers must not mask; accept it anyway rather than drop a live feed.
            apply_mask(&mut self.rx[off..off + len], mask);
        }
        match header.opcode {
            OpCode::Data(d) => Ok(Parsed::Data {
                opcode: d,
                fin: header.is_final,
                off,
                len,
            }),
            OpCode::Control(_) if !header.is_final => {
                Err(WsError::Protocol("fragmented control frame".into()))
            }
            OpCode::Control(Control::Ping) => {
                if len > 125 {
                    return Err(WsError::Protocol("ping payload over 125 bytes".into()));
                }
                let mut payload = [0u8; 125];
                payload[..len].copy_from_slice(&self.rx[off..off + len]);
                self.queue_frame(OpCode::Control(Control::Pong), &payload[..len])?;
                self.pings += 1;
                Ok(Parsed::Control)
            }
            OpCode::Control(Control::Pong) => Ok(Parsed::Control),
            OpCode::Control(Control::Close) => Err(WsError::Closed),
            OpCode::Control(_) => Err(WsError::Protocol("reserved control opcode".into())),
        }
    }

    /// Read more bytes; `false` when the socket would block.
    fn fill(&mut self) -> Result<bool, WsError> {
        if self.start > 0 {
            self.rx.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.rx.len() {
            return Err(WsError::FrameTooLarge(self.end as u64));
        }
        let stop = (self.end + self.read_chunk).min(self.rx.len());
        loop {
            match self.stream.read(&mut self.rx[self.end..stop]) {
                Ok(0) => return Err(WsError::Closed),
                Ok(n) => {
                    self.end += n;
                    self.last_read_ns = mono_ns();
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(WsError::Io(e)),
            }
        }
    }

    /// Queue a text message and try to send it now.
    pub fn send_text(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.queue_frame(OpCode::Data(Data::Text), payload)?;
        self.flush()
    }

    /// Queue a close frame and try to send it (best effort, before dropping the connection).
    pub fn close(&mut self) {
        let _ = self.queue_frame(OpCode::Control(Control::Close), &1000u16.to_be_bytes());
        let _ = self.flush();
    }

    fn queue_frame(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), WsError> {
        self.mask_rng ^= self.mask_rng << 13;
        self.mask_rng ^= self.mask_rng >> 7;
        self.mask_rng ^= self.mask_rng << 17;
        let mask = (self.mask_rng as u32).to_ne_bytes();
        let header = FrameHeader {
            is_final: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask: Some(mask),
        };
        let hlen = header.len(payload.len() as u64);
        if self.tx_len + hlen + payload.len() > self.tx.len() {
            return Err(WsError::WriteBufferFull);
        }
        let mut cur = Cursor::new(&mut self.tx[self.tx_len..]);
        header
            .format(payload.len() as u64, &mut cur)
            .map_err(|e| WsError::Protocol(e.to_string()))?;
        let body = self.tx_len + hlen;
        self.tx[body..body + payload.len()].copy_from_slice(payload);
        apply_mask(&mut self.tx[body..body + payload.len()], mask);
        self.tx_len = body + payload.len();
        Ok(())
    }

    /// Write queued frames; what the socket does not take now stays queued for the next call.
    pub fn flush(&mut self) -> Result<(), WsError> {
        flush_queued(&mut self.stream, &mut self.tx, &mut self.tx_len).map_err(|e| match e {
            FlushError::Closed => WsError::Closed,
            FlushError::Io(e) => WsError::Io(e),
        })
    }

    /// Bytes still waiting to be written.
    pub fn pending_tx(&self) -> usize {
        self.tx_len
    }
}

enum Parsed {
    Data {
        opcode: Data,
        fin: bool,
        off: usize,
        len: usize,
    },
    Control,
    NeedMore,
}

fn apply_mask(buf: &mut [u8], mask: [u8; 4]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

fn hs_io(e: io::Error) -> WsError {
    if matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ) {
        return WsError::Handshake("timed out (connect_timeout)".into());
    }
    WsError::Handshake(e.to_string())
}
