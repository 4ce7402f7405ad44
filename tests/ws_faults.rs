//! Hostile or broken WebSocket servers on loopback: one that completes the handshake and
//! closes at once must not get a reconnect storm (the backoff resets only after a stable
//! connection), one that trickles its handshake answer is cut at `connect_timeout`, and
//! frames RFC 6455 forbids (reserved bits with no extension, a continuation with no first
//! frame, a fragmented control frame) are protocol errors.

mod ws_server_common;
use ws_server_common::{read_request_head, switching_protocols};

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use cassandra::clock::mono_ns;
use cassandra::feeds::link::{FeedLink, LinkRules, LinkState};
use cassandra::feeds::ws::{WsConfig, WsConn, WsError, WsUrl};
use cassandra::pipeline::shared::FeedHealth;
use cassandra::telemetry::counters::FeedCounters;

fn url(port: u16) -> WsUrl {
    WsUrl::parse(&format!("ws://127.0.0.1:{port}/ws")).unwrap()
}

#[test]
fn a_server_that_closes_right_after_the_handshake_gets_no_reconnect_storm() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let n = accepted.clone();
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            n.fetch_add(1, Ordering::SeqCst);
            let head = read_request_head(&mut s);
            if head.is_empty() {
                continue;
            }
            let _ = s.write_all(&switching_protocols(&head));
            // A close frame, then gone.
            let _ = s.write_all(&[0x88, 0x02, 0x03, 0xe8]);
        }
    });
    let rules = LinkRules {
        backoff_base_ms: 100,
        backoff_max_ms: 10_000,
        ..Default::default()
    };
    let mut link = FeedLink::new(url(port), WsConfig::default(), rules, 7);
    let (c, h) = (FeedCounters::default(), FeedHealth::default());
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        let now = mono_ns();
        if link.ensure(now, &c, &h) != LinkState::Down {
            // Drive the connection as an ingest thread does until it fails.
            loop {
                let r = link.conn().expect("up").poll().map(|f| f.is_some());
                match r {
                    Ok(true) => continue,
                    Ok(false) => thread::sleep(Duration::from_millis(1)),
                    Err(WsError::Closed) => {
                        link.fail(mono_ns(), WsError::Closed, &h);
                        break;
                    }
                    Err(e) => {
                        link.fail(mono_ns(), e, &h);
                        break;
                    }
                }
                link.housekeeping(mono_ns(), &c, &h);
                if !link.is_up() {
                    break;
                }
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
    // 100, 200, 400, 800, 1600 ms (jittered down to half at most): at most 7 attempts in
    // 3 s. Resetting on every handshake gave about 13 a second (~40).
    let n = accepted.load(Ordering::SeqCst);
    assert!((3..=7).contains(&n), "{n} connections in 3 s");
    assert!(link.attempts_unstable() >= 3);
}

#[test]
fn a_trickled_handshake_is_cut_at_connect_timeout() {
    // The server answers one header byte every 300 ms: each read succeeds, the whole would
    // take minutes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let head = read_request_head(&mut s);
        let mut resp = switching_protocols(&head);
        resp.splice(resp.len() - 2..resp.len() - 2, b"X-Pad: ".repeat(200));
        for b in resp {
            if s.write_all(&[b]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(300));
        }
    });
    let cfg = WsConfig {
        connect_timeout: Duration::from_millis(1500),
        ..Default::default()
    };
    let t0 = Instant::now();
    let e = WsConn::connect(&url(port), &cfg)
        .err()
        .expect("must time out");
    let took = t0.elapsed();
    assert!(matches!(e, WsError::Handshake(_)), "{e}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(
        took < Duration::from_millis(2500),
        "handshake held the thread {took:?}"
    );
}

/// A server that completes the handshake and sends `bytes`; the client's first poll result.
fn first_poll_after(bytes: Vec<u8>) -> Result<Vec<u8>, WsError> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let head = read_request_head(&mut s);
        s.write_all(&switching_protocols(&head)).unwrap();
        s.write_all(&bytes).unwrap();
        thread::sleep(Duration::from_millis(500));
    });
    let mut c = WsConn::connect(&url(port), &WsConfig::default()).unwrap();
    let end = Instant::now() + Duration::from_secs(5);
    let out = loop {
        match c.poll() {
            Ok(Some(f)) => break Ok(f.data.to_vec()),
            Ok(None) => {
                assert!(Instant::now() < end, "nothing came");
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => break Err(e),
        }
    };
    server.join().unwrap();
    out
}

#[test]
fn a_frame_with_reserved_bits_is_a_protocol_error() {
    for rsv in [0x40u8, 0x20, 0x10] {
        let e = first_poll_after(vec![0x80 | rsv | 0x1, 2, b'h', b'i']).expect_err("refused");
        assert!(matches!(e, WsError::Protocol(_)), "{e}");
        assert!(e.to_string().contains("reserved bits"), "{e}");
    }
    // The same frame without them passes.
    assert_eq!(first_poll_after(vec![0x81, 2, b'h', b'i']).unwrap(), b"hi");
}

#[test]
fn a_final_continuation_with_no_first_frame_is_a_protocol_error() {
    let e = first_poll_after(vec![0x80, 2, b'h', b'i']).expect_err("refused");
    assert!(matches!(e, WsError::Protocol(_)), "{e}");
    assert!(e.to_string().contains("continuation"), "{e}");
}

#[test]
fn a_fragmented_control_frame_is_a_protocol_error() {
    let e = first_poll_after(vec![0x09, 1, b'x']).expect_err("refused");
    assert!(e.to_string().contains("fragmented control"), "{e}");
}
