//! The CLOB connection: pipelined requests on one keep-alive connection, responses with
//! `Content-Length` or chunked bodies (also split across reads), matched in order.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use cassandra::clob::http::{HttpConn, HttpError, HttpTarget};

fn request(conn: &mut HttpConn, body: &str) {
    let req = format!(
        "POST /order HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.request_buf()[..req.len()].copy_from_slice(req.as_bytes());
    conn.commit(req.len()).unwrap();
}

fn next(conn: &mut HttpConn) -> (u16, String) {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(r) = conn.poll().unwrap() {
            return (r.status, String::from_utf8(r.body.to_vec()).unwrap());
        }
        assert!(Instant::now() < end, "no response");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn pipelined_responses_of_every_framing_arrive_in_order() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        // Read the three requests (ends of bodies are known: each is `{"n":i}`).
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while got.windows(7).filter(|w| w.starts_with(b"{\"n\":")).count() < 3 {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
            .unwrap();
        s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"b\"\r\n")
            .unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(30));
        s.write_all(b"3\r\n:2}\r\n0\r\n\r\n").unwrap();
        s.write_all(b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: ")
            .unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(30));
        s.write_all(b"2\r\n\r\n{}").unwrap();
        std::thread::sleep(Duration::from_millis(100));
    });
    let target = HttpTarget::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let mut conn = HttpConn::connect(&target, Duration::from_secs(2)).unwrap();
    for i in 0..3 {
        request(&mut conn, &format!("{{\"n\":{i}}}"));
    }
    assert_eq!(conn.in_flight(), 3);
    assert_eq!(next(&mut conn), (200, "{\"a\":1}".to_string()));
    assert_eq!(next(&mut conn), (200, "{\"b\":2}".to_string()));
    assert_eq!(next(&mut conn), (429, "{}".to_string()));
    assert_eq!(conn.in_flight(), 0);
    server.join().unwrap();
    // The server is gone: the connection says so.
    let end = Instant::now() + Duration::from_secs(2);
    loop {
        match conn.poll() {
            Err(HttpError::Closed) | Err(HttpError::Io(_)) => break,
            Ok(None) => {
                assert!(Instant::now() < end, "close not noticed");
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(Some(_)) => panic!("no more responses were sent"),
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

#[test]
fn garbage_is_a_protocol_error_and_a_closed_port_a_connect_error() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.write_all(b"SSH-2.0-OpenSSH\r\n\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(200));
    });
    let target = HttpTarget::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let mut conn = HttpConn::connect(&target, Duration::from_secs(2)).unwrap();
    let end = Instant::now() + Duration::from_secs(2);
    loop {
        match conn.poll() {
            Err(HttpError::Protocol(_)) => break,
            Ok(None) => {
                assert!(Instant::now() < end);
                std::thread::sleep(Duration::from_millis(2));
            }
            other => panic!(
                "expected a protocol error, got {:?}",
                other.map(|r| r.map(|r| r.status))
            ),
        }
    }
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let target = HttpTarget::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    assert!(matches!(
        HttpConn::connect(&target, Duration::from_secs(1)),
        Err(HttpError::Connect(_))
    ));
}

/// A server that answers with `response` after reading anything; the connection's first
/// verdict.
fn verdict_on(response: &'static [u8]) -> Result<(u16, usize), String> {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let _ = s.write_all(response);
        std::thread::sleep(Duration::from_millis(300));
    });
    let target = HttpTarget::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let mut conn = HttpConn::connect(&target, Duration::from_secs(2)).unwrap();
    let end = Instant::now() + Duration::from_secs(2);
    loop {
        match conn.poll() {
            Ok(Some(r)) => return Ok((r.status, r.body.len())),
            Ok(None) => {
                assert!(Instant::now() < end, "no verdict");
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[test]
fn a_huge_chunk_size_is_a_protocol_error_not_a_panic() {
    for head in [
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab\r\n0\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffe\r\nab\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nffffffffffffffff\r\n",
    ] {
        let e = verdict_on(head).expect_err("must be refused");
        assert!(e.contains("chunk larger than the buffer"), "{e}");
    }
    let e = verdict_on(b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n")
        .expect_err("must be refused");
    assert!(e.contains("Content-Length larger"), "{e}");
    // A sane chunked body still arrives.
    assert_eq!(
        verdict_on(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"),
        Ok((200, 2))
    );
}
