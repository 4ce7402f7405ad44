//! Plain clients for the simulator tests: a blocking tungstenite WebSocket with a short read
//! timeout, and a one-shot HTTP/1.1 GET.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

pub type Ws = WebSocket<TcpStream>;

/// Connect to `url` ("ws://127.0.0.1:PORT/path"); reads time out after 50 ms so tests can poll.
pub fn ws_connect(url: &str) -> Ws {
    try_ws_connect(url).unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

pub fn try_ws_connect(url: &str) -> Result<Ws, String> {
    let host = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or("");
    let s = TcpStream::connect(host).map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let (ws, _) = tungstenite::client(url, s).map_err(|e| e.to_string())?;
    ws.get_ref()
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| e.to_string())?;
    Ok(ws)
}

/// What a read produced.
#[derive(Debug)]
pub enum Got {
    Text(String),
    /// Nothing before the deadline.
    Timeout,
    /// The server closed (close frame, reset or EOF); the close code if there was one.
    Closed(Option<u16>),
}

/// Next text frame before `deadline` (pings are answered by tungstenite on the next read).
pub fn next_text(ws: &mut Ws, deadline: Instant) -> Got {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => return Got::Text(t.to_string()),
            Ok(Message::Close(f)) => return Got::Closed(f.map(|f| u16::from(f.code))),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if Instant::now() >= deadline {
                    return Got::Timeout;
                }
            }
            Err(_) => return Got::Closed(None),
        }
    }
}

/// Next text frame within `within`, panicking otherwise.
pub fn expect_text(ws: &mut Ws, within: Duration) -> String {
    match next_text(ws, Instant::now() + within) {
        Got::Text(t) => t,
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// Next frame parsed as JSON.
pub fn expect_json(ws: &mut Ws, within: Duration) -> Value {
    let t = expect_text(ws, within);
    serde_json::from_str(&t).unwrap_or_else(|e| panic!("bad JSON {t:?}: {e}"))
}

pub fn send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.to_string().into()))
        .expect("send");
}

/// GET `path` from `base` ("http://127.0.0.1:PORT"): (status, body).
pub fn http_get(base: &str, path: &str) -> (u16, String) {
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).expect("connect http");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    )
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn http_json(base: &str, path: &str) -> (u16, Value) {
    let (status, body) = http_get(base, path);
    let v = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("bad JSON from {path}: {body:?}: {e}"));
    (status, v)
}

/// Poll `cond` until it holds or `within` passes.
pub fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Read and discard frames until none has come for `quiet` (at most 3 s in all); returns how
/// many were discarded.
pub fn drain(ws: &mut Ws, quiet: Duration) -> usize {
    let end = Instant::now() + Duration::from_secs(3);
    let mut n = 0;
    while Instant::now() < end {
        match next_text(ws, Instant::now() + quiet) {
            Got::Text(_) => n += 1,
            _ => break,
        }
    }
    n
}
