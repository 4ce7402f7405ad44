//! `WsConn` against a local WebSocket server: handshake, frames in and out, pings, fragments,
//! limits, close and errors.
//!
//! Each test starts its own server on 127.0.0.1:0 in a thread: tungstenite (`accept` /
//! `accept_hdr`) where a well-behaved peer is enough, raw bytes on the socket where the test
//! needs exact control of what goes on the wire (fragments, frames glued to the handshake
//! response, refused handshakes). The client is polled without blocking, with a deadline.

mod ws_server_common;
use ws_server_common::{read_request_head, switching_protocols};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use cassandra::clock::mono_ns;
use cassandra::feeds::ws::WsError;
use cassandra::feeds::ws::{WsConfig, WsConn, WsUrl};
use tungstenite::handshake::server::{Request, Response};
use tungstenite::{Message, WebSocket};

const DEADLINE: Duration = Duration::from_secs(10);

/// Accept one connection on a fresh port and hand the raw socket to `f`.
fn serve_raw<T: Send + 'static>(
    f: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (u16, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        s.set_nodelay(true).unwrap();
        f(s)
    });
    (port, h)
}

/// Accept one WebSocket connection with tungstenite and hand it to `f`.
fn serve_ws<T: Send + 'static>(
    f: impl FnOnce(WebSocket<TcpStream>) -> T + Send + 'static,
) -> (u16, JoinHandle<T>) {
    serve_raw(move |s| f(tungstenite::accept(s).expect("server handshake")))
}

fn url(port: u16, path: &str) -> WsUrl {
    WsUrl::parse(&format!("ws://127.0.0.1:{port}{path}")).unwrap()
}

fn connect(port: u16) -> WsConn {
    connect_with(port, &WsConfig::default())
}

fn connect_with(port: u16, cfg: &WsConfig) -> WsConn {
    match WsConn::connect(&url(port, "/ws"), cfg) {
        Ok(c) => c,
        Err(e) => panic!("connect: {e}"),
    }
}

#[derive(Debug)]
struct Got {
    text: bool,
    data: Vec<u8>,
    read_ns: u64,
}

/// Poll until a data frame arrives (or an error), sleeping 1 ms between empty polls.
fn recv(conn: &mut WsConn) -> Result<Got, WsError> {
    let end = Instant::now() + DEADLINE;
    loop {
        if let Some(f) = conn.poll()? {
            return Ok(Got {
                text: f.text,
                data: f.data.to_vec(),
                read_ns: f.read_ns,
            });
        }
        assert!(Instant::now() < end, "no frame within {DEADLINE:?}");
        thread::sleep(Duration::from_millis(1));
    }
}

fn recv_ok(conn: &mut WsConn) -> Got {
    recv(conn).unwrap_or_else(|e| panic!("poll: {e}"))
}

/// An unmasked server frame.
fn raw_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONTINUATION: u8 = 0x0;
const PING: u8 = 0x9;

/// Text payloads of assorted lengths around the 7-bit / 16-bit length boundaries.
fn assorted_payloads() -> Vec<String> {
    let mut v: Vec<String> = (0..1500)
        .map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 300)))
        .collect();
    for len in [0, 1, 125, 126, 127, 65_535, 65_536, 70_000] {
        v.push("y".repeat(len));
    }
    v
}

#[test]
fn handshake_requests_the_url_resource() {
    let (port, server) = serve_raw(|s| {
        let mut path = String::new();
        // The callback's error type is tungstenite's, not ours to shrink.
        #[allow(clippy::result_large_err)]
        let cb = |req: &Request, resp: Response| {
            path = req.uri().to_string();
            Ok(resp)
        };
        let _ws = tungstenite::accept_hdr(s, cb).expect("server handshake");
        path
    });
    let u = url(port, "/stream?streams=btcusdt@trade/ethusdt@bookTicker");
    let conn = WsConn::connect(&u, &WsConfig::default());
    assert!(conn.is_ok(), "{:?}", conn.err());
    assert_eq!(
        server.join().unwrap(),
        "/stream?streams=btcusdt@trade/ethusdt@bookTicker"
    );
}

#[test]
fn text_frames_arrive_in_order_and_intact() {
    let payloads = assorted_payloads();
    let sent = payloads.clone();
    let (port, server) = serve_ws(move |mut ws| {
        for p in sent {
            ws.write(Message::text(p)).unwrap();
        }
        ws.flush().unwrap();
        // Stay up until the client has read everything.
        let _ = ws.read();
    });
    let mut conn = connect(port);
    for (i, want) in payloads.iter().enumerate() {
        let got = recv_ok(&mut conn);
        assert!(got.text, "frame {i} should be text");
        assert_eq!(got.data.len(), want.len(), "frame {i} length");
        assert!(got.data == want.as_bytes(), "frame {i} content differs");
    }
    conn.close();
    server.join().unwrap();
}

#[test]
fn binary_frames_are_flagged_binary() {
    let (port, server) = serve_ws(|mut ws| {
        ws.send(Message::binary(vec![0u8, 1, 2, 255])).unwrap();
        let _ = ws.read();
    });
    let mut conn = connect(port);
    let got = recv_ok(&mut conn);
    assert!(!got.text);
    assert_eq!(got.data, vec![0u8, 1, 2, 255]);
    conn.close();
    server.join().unwrap();
}

#[test]
fn frames_glued_to_the_handshake_response_are_delivered() {
    let (port, server) = serve_raw(|mut s| {
        let head = read_request_head(&mut s);
        let mut out = switching_protocols(&head);
        for i in 0..20 {
            out.extend(raw_frame(true, TEXT, format!("early-{i}").as_bytes()));
        }
        // Half a frame too: the rest follows later.
        let late = raw_frame(true, TEXT, b"late-and-split");
        out.extend_from_slice(&late[..5]);
        s.write_all(&out).unwrap();
        thread::sleep(Duration::from_millis(50));
        s.write_all(&late[5..]).unwrap();
        let mut sink = [0u8; 64];
        let _ = s.read(&mut sink);
    });
    let mut conn = connect(port);
    for i in 0..20 {
        let got = recv_ok(&mut conn);
        assert_eq!(got.data, format!("early-{i}").as_bytes());
    }
    assert_eq!(recv_ok(&mut conn).data, b"late-and-split");
    conn.close();
    server.join().unwrap();
}

#[test]
fn one_mib_frame_arrives_intact() {
    let payload: Vec<u8> = (0..1usize << 20).map(|i| b'a' + (i % 26) as u8).collect();
    let sent = payload.clone();
    let (port, server) = serve_ws(move |mut ws| {
        ws.send(Message::text(String::from_utf8(sent).unwrap()))
            .unwrap();
        ws.send(Message::text("after")).unwrap();
        let _ = ws.read();
    });
    let mut conn = connect(port);
    let got = recv_ok(&mut conn);
    assert!(got.text);
    assert_eq!(got.data.len(), 1 << 20);
    assert!(got.data == payload, "1 MiB payload differs");
    assert_eq!(recv_ok(&mut conn).data, b"after");
    conn.close();
    server.join().unwrap();
}

#[test]
fn server_ping_is_answered_with_the_same_payload() {
    let long: Vec<u8> = (0..125u8).collect();
    let pings = vec![b"hb-1757908892".to_vec(), long, Vec::new()];
    let sent = pings.clone();
    let (port, server) = serve_ws(move |mut ws| {
        let mut pongs = Vec::new();
        for p in sent {
            ws.send(Message::Ping(p.into())).unwrap();
            match ws.read().expect("server read") {
                Message::Pong(b) => pongs.push(b.to_vec()),
                other => panic!("expected a pong, got {other:?}"),
            }
        }
        ws.send(Message::text("done")).unwrap();
        let _ = ws.read();
        pongs
    });
    let mut conn = connect(port);
    assert_eq!(recv_ok(&mut conn).data, b"done");
    assert_eq!(conn.pings_answered(), 3);
    conn.close();
    assert_eq!(server.join().unwrap(), pings);
}

#[test]
fn send_text_reaches_the_server() {
    let big = format!("{{\"pad\":\"{}\"}}", "z".repeat(40_000));
    let msgs = vec![
        r#"{"method":"SUBSCRIBE","params":["btcusdt@trade","btcusdt@bookTicker"],"id":1}"#
            .to_string(),
        "PING".to_string(),
        big,
    ];
    let n = msgs.len();
    let (port, server) = serve_ws(move |mut ws| {
        let mut got = Vec::new();
        // tungstenite refuses unmasked client frames, so this also checks the masking.
        while got.len() < n {
            match ws.read().expect("server read") {
                Message::Text(t) => got.push(t.to_string()),
                other => panic!("expected text, got {other:?}"),
            }
        }
        let close = ws.read().expect("server read close");
        (got, close)
    });
    let mut conn = connect(port);
    for m in &msgs {
        conn.send_text(m.as_bytes()).unwrap();
    }
    let end = Instant::now() + DEADLINE;
    while conn.pending_tx() > 0 {
        assert!(Instant::now() < end, "send queue never drained");
        conn.flush().unwrap();
        thread::sleep(Duration::from_millis(1));
    }
    conn.close();
    let (got, close) = server.join().unwrap();
    assert_eq!(got, msgs);
    match close {
        Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1000),
        other => panic!("expected a close frame with code 1000, got {other:?}"),
    }
}

#[test]
fn fragmented_messages_are_reassembled() {
    let (port, server) = serve_ws(|mut ws| {
        let mut out = Vec::new();
        out.extend(raw_frame(false, TEXT, b"Hel"));
        // A control frame may sit between fragments.
        out.extend(raw_frame(true, PING, b"mid"));
        out.extend(raw_frame(false, CONTINUATION, b"lo, "));
        out.extend(raw_frame(true, CONTINUATION, b"world"));
        out.extend(raw_frame(true, TEXT, b"single"));
        out.extend(raw_frame(false, BINARY, &[1, 2]));
        out.extend(raw_frame(true, CONTINUATION, &[3]));
        let s = ws.get_mut();
        s.write_all(&out).unwrap();
        s.flush().unwrap();
        match ws.read().expect("server read") {
            Message::Pong(b) => assert_eq!(&b[..], b"mid"),
            other => panic!("expected a pong, got {other:?}"),
        }
        let _ = ws.read();
    });
    let mut conn = connect(port);
    let got = recv_ok(&mut conn);
    assert!(got.text);
    assert_eq!(got.data, b"Hello, world");
    assert_eq!(recv_ok(&mut conn).data, b"single");
    let got = recv_ok(&mut conn);
    assert!(!got.text);
    assert_eq!(got.data, vec![1, 2, 3]);
    conn.close();
    server.join().unwrap();
}

fn small_limit() -> WsConfig {
    WsConfig {
        max_frame_bytes: 4096,
        ..WsConfig::default()
    }
}

#[test]
fn frame_at_the_limit_passes_and_over_it_is_refused() {
    let (port, server) = serve_ws(|mut ws| {
        ws.send(Message::text("a".repeat(4096))).unwrap();
        ws.send(Message::text("b".repeat(5000))).unwrap();
        let _ = ws.read();
    });
    let mut conn = connect_with(port, &small_limit());
    assert_eq!(recv_ok(&mut conn).data.len(), 4096);
    match recv(&mut conn) {
        Err(WsError::FrameTooLarge(n)) => assert_eq!(n, 5000),
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    drop(conn);
    server.join().unwrap();
}

#[test]
fn fragmented_message_over_the_limit_is_refused() {
    let (port, server) = serve_ws(|mut ws| {
        let mut out = Vec::new();
        out.extend(raw_frame(false, TEXT, &[b'x'; 2000]));
        out.extend(raw_frame(false, CONTINUATION, &[b'x'; 2000]));
        out.extend(raw_frame(true, CONTINUATION, &[b'x'; 2000]));
        ws.get_mut().write_all(&out).unwrap();
        let _ = ws.read();
    });
    let mut conn = connect_with(port, &small_limit());
    match recv(&mut conn) {
        Err(WsError::FrameTooLarge(n)) => assert!(n > 4096, "{n}"),
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    drop(conn);
    server.join().unwrap();
}

#[test]
fn server_close_frame_is_closed() {
    let (port, server) = serve_ws(|mut ws| {
        ws.send(Message::text("last")).unwrap();
        ws.close(None).unwrap();
        let _ = ws.flush();
        // Keep the socket open: the client must act on the close frame, not on EOF.
        let _ = ws.read();
    });
    let mut conn = connect(port);
    assert_eq!(recv_ok(&mut conn).data, b"last");
    match recv(&mut conn) {
        Err(WsError::Closed) => {}
        other => panic!("expected Closed, got {other:?}"),
    }
    drop(conn);
    server.join().unwrap();
}

#[test]
fn server_eof_is_closed() {
    let (port, server) = serve_ws(drop);
    let mut conn = connect(port);
    server.join().unwrap();
    match recv(&mut conn) {
        Err(WsError::Closed) => {}
        other => panic!("expected Closed, got {other:?}"),
    }
}

#[test]
fn closed_port_is_a_connect_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    match WsConn::connect(&url(port, "/"), &WsConfig::default()) {
        Err(WsError::Connect(_)) => {}
        Err(e) => panic!("expected Connect, got {e:?}"),
        Ok(_) => panic!("connected to a closed port"),
    }
}

#[test]
fn refused_handshake_is_a_handshake_error() {
    let (port, server) = serve_raw(|mut s| {
        read_request_head(&mut s);
        s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
    });
    match WsConn::connect(&url(port, "/ws"), &WsConfig::default()) {
        Err(WsError::Handshake(why)) => assert!(why.contains("400"), "{why}"),
        Err(e) => panic!("expected Handshake, got {e:?}"),
        Ok(_) => panic!("a 400 answer was taken as an upgrade"),
    }
    server.join().unwrap();
}

#[test]
fn wrong_accept_key_is_a_handshake_error() {
    let (port, server) = serve_raw(|mut s| {
        read_request_head(&mut s);
        s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n")
            .unwrap();
        let mut sink = [0u8; 16];
        let _ = s.read(&mut sink);
    });
    match WsConn::connect(&url(port, "/ws"), &WsConfig::default()) {
        Err(WsError::Handshake(_)) => {}
        Err(e) => panic!("expected Handshake, got {e:?}"),
        Ok(_) => panic!("a wrong Sec-WebSocket-Accept was accepted"),
    }
    server.join().unwrap();
}

#[test]
fn read_ns_is_set_and_non_decreasing() {
    let (port, server) = serve_ws(|mut ws| {
        // Let the handshake response go alone, then send in bursts.
        thread::sleep(Duration::from_millis(50));
        for burst in 0..5 {
            for i in 0..20 {
                ws.write(Message::text(format!("{burst}-{i}"))).unwrap();
            }
            ws.flush().unwrap();
            thread::sleep(Duration::from_millis(5));
        }
        let _ = ws.read();
    });
    let before = mono_ns();
    let mut conn = connect(port);
    let mut last = 0;
    for n in 0..100 {
        let got = recv_ok(&mut conn);
        let now = mono_ns();
        assert!(got.read_ns > 0, "frame {n}: read_ns is 0");
        assert!(
            got.read_ns >= before && got.read_ns <= now,
            "frame {n}: read_ns {} outside [{before}, {now}]",
            got.read_ns
        );
        assert!(got.read_ns >= last, "frame {n}: read_ns went back");
        assert_eq!(conn.last_read_ns(), got.read_ns);
        last = got.read_ns;
    }
    conn.close();
    server.join().unwrap();
}

#[test]
fn read_ns_is_set_for_frames_glued_to_the_handshake_response() {
    let (port, server) = serve_raw(|mut s| {
        let head = read_request_head(&mut s);
        let mut out = switching_protocols(&head);
        out.extend(raw_frame(true, TEXT, b"first"));
        s.write_all(&out).unwrap();
        thread::sleep(Duration::from_millis(20));
        s.write_all(&raw_frame(true, TEXT, b"second")).unwrap();
        let mut sink = [0u8; 64];
        let _ = s.read(&mut sink);
    });
    let before = mono_ns();
    let mut conn = connect(port);
    let first = recv_ok(&mut conn);
    assert_eq!(first.data, b"first");
    let second = recv_ok(&mut conn);
    assert_eq!(second.data, b"second");
    // The first frame came off the socket in the handshake read, after `before`.
    assert!(
        first.read_ns >= before,
        "read_ns of a frame read with the handshake response is {} (taken before connect: {before})",
        first.read_ns
    );
    assert!(second.read_ns >= first.read_ns);
    conn.close();
    server.join().unwrap();
}
