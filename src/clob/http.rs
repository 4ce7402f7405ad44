//! The `order` thread's connection to the CLOB: one warm HTTP/1.1 keep-alive connection,
//! plain TCP or rustls, non-blocking after connect.
//!
//! Requests are written from a preallocated buffer and may be pipelined; responses are parsed
//! with `httparse` out of one receive buffer (fixed `Content-Length` or chunked bodies,
//! de-chunked in place) and matched to requests in order. Nothing allocates after connect.

use std::io::{self, Read};
use std::time::Duration;

use crate::feeds::net::{
    connect_stream, flush_queued, make_nonblocking, ConnectError, FlushError, Stream,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpTarget {
    pub tls: bool,
    pub host: String,
    pub port: u16,
}

impl HttpTarget {
    /// `http://host:port` or `https://host[:port]` (a path, if any, is ignored).
    pub fn parse(url: &str) -> Result<HttpTarget, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!("{url:?}: expected http:// or https://"));
        };
        let authority = rest.split('/').next().unwrap_or("");
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>().map_err(|_| format!("{url:?}: bad port"))?,
            ),
            None => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() {
            return Err(format!("{url:?}: no host"));
        }
        Ok(HttpTarget {
            tls,
            host: host.to_string(),
            port,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Transient: reconnect.
    #[error("connect: {0}")]
    Connect(String),
    /// Transient: the connection is gone; requests in flight have no answer.
    #[error("connection closed")]
    Closed,
    #[error("socket: {0}")]
    Io(io::Error),
    /// The peer spoke something that is not HTTP/1.1: reconnect.
    #[error("bad response: {0}")]
    Protocol(&'static str),
    /// The request does not fit the buffer: a bug in the caller.
    #[error("request larger than the write buffer")]
    TooLarge,
}

/// A response borrowed from the receive buffer.
#[derive(Debug)]
pub struct HttpResponse<'a> {
    pub status: u16,
    pub body: &'a mut [u8],
    /// `Retry-After` in whole seconds (0 when absent or not a number of seconds).
    pub retry_after_s: u32,
}

pub struct HttpConn {
    stream: Stream,
    rx: Box<[u8]>,
    start: usize,
    end: usize,
    tx: Box<[u8]>,
    tx_len: usize,
    in_flight: usize,
}

const RX_BYTES: usize = 256 << 10;
const TX_BYTES: usize = 64 << 10;

/// Nothing to say: the socket's close is the goodbye.
impl crate::feeds::dialer::Goodbye for HttpConn {}

impl HttpConn {
    pub fn connect(target: &HttpTarget, timeout: Duration) -> Result<HttpConn, HttpError> {
        let stream = connect_stream(&target.host, target.port, target.tls, timeout).map_err(
            |e| match e {
                ConnectError::Io(e) => HttpError::Connect(e.to_string()),
                ConnectError::Tls(e) => HttpError::Connect(e),
            },
        )?;
        let mut conn = HttpConn {
            stream,
            rx: vec![0u8; RX_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            tx: vec![0u8; TX_BYTES].into_boxed_slice(),
            tx_len: 0,
            in_flight: 0,
        };
        if target.tls {
            // Finish the TLS handshake now, while blocking is allowed.
            if let Stream::Tls(s) = &mut conn.stream {
                while s.conn.is_handshaking() {
                    s.conn
                        .complete_io(&mut s.sock)
                        .map_err(|e| HttpError::Connect(e.to_string()))?;
                }
            }
        }
        make_nonblocking(&conn.stream).map_err(HttpError::Io)?;
        Ok(conn)
    }

    /// Requests written and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Space to build the next request in; commit it with [`HttpConn::commit`].
    pub fn request_buf(&mut self) -> &mut [u8] {
        &mut self.tx[self.tx_len..]
    }

    /// Queue `len` bytes written into `request_buf` as one request and try to send.
    pub fn commit(&mut self, len: usize) -> Result<(), HttpError> {
        if self.tx_len + len > self.tx.len() {
            return Err(HttpError::TooLarge);
        }
        self.tx_len += len;
        self.in_flight += 1;
        self.flush()
    }

    /// Write what is queued; the rest stays queued for the next call.
    pub fn flush(&mut self) -> Result<(), HttpError> {
        flush_queued(&mut self.stream, &mut self.tx, &mut self.tx_len).map_err(|e| match e {
            FlushError::Closed => HttpError::Closed,
            FlushError::Io(e) => HttpError::Io(e),
        })
    }

    /// The next complete response, if one has arrived.
    pub fn poll(&mut self) -> Result<Option<HttpResponse<'_>>, HttpError> {
        loop {
            if let Some((status, off, len, consumed, retry_after_s)) = self.parse()? {
                self.in_flight = self.in_flight.saturating_sub(1);
                let body_start = off;
                self.start += consumed;
                let (s, e) = (body_start, body_start + len);
                if self.start == self.end {
                    self.start = 0;
                    self.end = 0;
                }
                return Ok(Some(HttpResponse {
                    status,
                    body: &mut self.rx[s..e],
                    retry_after_s,
                }));
            }
            self.flush()?;
            if self.start > 0 {
                self.rx.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.rx.len() {
                return Err(HttpError::Protocol("response larger than the buffer"));
            }
            match self.stream.read(&mut self.rx[self.end..]) {
                Ok(0) => return Err(HttpError::Closed),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(HttpError::Io(e)),
            }
        }
    }

    /// (status, body offset, body length, bytes consumed, Retry-After seconds) of a complete
    /// response at `start`.
    #[allow(clippy::type_complexity)]
    fn parse(&mut self) -> Result<Option<(u16, usize, usize, usize, u32)>, HttpError> {
        let buf = &self.rx[self.start..self.end];
        if buf.is_empty() {
            return Ok(None);
        }
        let mut headers = [httparse::EMPTY_HEADER; 48];
        let mut resp = httparse::Response::new(&mut headers);
        let hlen = match resp.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(HttpError::Protocol("unparsable status or headers")),
        };
        let status = resp.code.unwrap_or(0);
        let mut content_length: Option<usize> = None;
        let mut chunked = false;
        let mut retry_after_s = 0u32;
        for h in resp.headers.iter() {
            if h.name.eq_ignore_ascii_case("retry-after") {
                retry_after_s = std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
            } else if h.name.eq_ignore_ascii_case("content-length") {
                content_length = std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|v| v.trim().parse().ok());
            } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                && h.value.eq_ignore_ascii_case(b"chunked")
            {
                chunked = true;
            }
        }
        let body_off = self.start + hlen;
        if chunked {
            return Ok(self
                .dechunk(status, body_off)?
                .map(|(s, o, l, c)| (s, o, l, c, retry_after_s)));
        }
        let len = content_length.unwrap_or(0);
        if len > self.rx.len() {
            // Could never fit: say so now rather than wait for a buffer that cannot fill.
            return Err(HttpError::Protocol("Content-Length larger than the buffer"));
        }
        if self.end - body_off < len {
            return Ok(None);
        }
        Ok(Some((status, body_off, len, hlen + len, retry_after_s)))
    }

    /// De-chunk a complete chunked body in place (data moved down over the size lines).
    fn dechunk(
        &mut self,
        status: u16,
        body_off: usize,
    ) -> Result<Option<(u16, usize, usize, usize)>, HttpError> {
        // First pass: is the whole body here?
        let mut pos = body_off;
        loop {
            let Some(line_end) = find_crlf(&self.rx[pos..self.end]) else {
                return Ok(None);
            };
            let size = parse_hex(&self.rx[pos..pos + line_end])
                .ok_or(HttpError::Protocol("bad chunk size"))?;
            // A chunk can be no larger than the buffer that must hold it; checking here keeps
            // every sum below far from overflow (a hostile size like ffffffffffffffff).
            if size > self.rx.len() {
                return Err(HttpError::Protocol("chunk larger than the buffer"));
            }
            pos += line_end + 2;
            if size == 0 {
                // Trailer: an empty line ends the message.
                let Some(t) = find_crlf(&self.rx[pos..self.end]) else {
                    return Ok(None);
                };
                if t != 0 {
                    return Err(HttpError::Protocol("chunk trailers are not supported"));
                }
                pos += 2;
                break;
            }
            if self.end < pos + size + 2 {
                return Ok(None);
            }
            pos += size + 2;
        }
        let total_end = pos;
        // Second pass: move the data together.
        let (mut r, mut w) = (body_off, body_off);
        loop {
            let line_end = find_crlf(&self.rx[r..total_end]).expect("checked");
            let size = parse_hex(&self.rx[r..r + line_end]).expect("checked");
            r += line_end + 2;
            if size == 0 {
                break;
            }
            self.rx.copy_within(r..r + size, w);
            w += size;
            r += size + 2;
        }
        Ok(Some((
            status,
            body_off,
            w - body_off,
            total_end - self.start,
        )))
    }
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

fn parse_hex(b: &[u8]) -> Option<usize> {
    let b = b.split(|&c| c == b';').next()?;
    if b.is_empty() {
        return None;
    }
    let mut v: usize = 0;
    for &c in b {
        let d = (c as char).to_digit(16)? as usize;
        v = v.checked_mul(16)?.checked_add(d)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = HttpTarget::parse("https://clob.polymarket.com").unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port),
            (true, "clob.polymarket.com", 443)
        );
        let t = HttpTarget::parse("http://127.0.0.1:9004/x").unwrap();
        assert_eq!((t.tls, t.port), (false, 9004));
        assert!(HttpTarget::parse("ws://x").is_err());
        assert!(HttpTarget::parse("http://:1").is_err());
    }

    #[test]
    fn hex_sizes() {
        assert_eq!(parse_hex(b"1a"), Some(26));
        assert_eq!(parse_hex(b"0;ext=1"), Some(0));
        assert_eq!(parse_hex(b"zz"), None);
    }
}
