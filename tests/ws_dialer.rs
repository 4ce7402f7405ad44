//! Connections are made off the hot thread: with a `Dialer`, `FeedLink::ensure` never waits
//! for DNS, a TCP connect or a handshake, even while the server stalls its handshakes or
//! drops every connection (a reconnect storm). A real WebSocket server on loopback, started
//! here; the longest `ensure` call is measured and bounded.

mod ws_server_common;
use ws_server_common::{read_request_head, switching_protocols};

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use cassandra::clock::mono_ns;
use cassandra::feeds::dialer::Dialer;
use cassandra::feeds::link::{FeedLink, LinkRules, LinkState};
use cassandra::feeds::ws::{WsConfig, WsUrl};
use cassandra::pipeline::shared::FeedHealth;
use cassandra::telemetry::counters::FeedCounters;

fn url(port: u16) -> WsUrl {
    WsUrl::parse(&format!("ws://127.0.0.1:{port}/ws")).unwrap()
}

/// Every other connection: the handshake is answered only after `stall`, then one text
/// frame, then the server drops it. The others are answered at once, one frame, dropped.
fn storm_server(stall: Duration) -> (u16, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU64::new(0));
    let n = accepted.clone();
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let k = n.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || {
                let head = read_request_head(&mut s);
                if head.is_empty() {
                    return;
                }
                if k % 2 == 0 {
                    thread::sleep(stall);
                }
                let _ = s.write_all(&switching_protocols(&head));
                // One unmasked text frame "hi", then gone.
                let _ = s.write_all(&[0x81, 0x02, b'h', b'i']);
                thread::sleep(Duration::from_millis(20));
            });
        }
    });
    (port, accepted)
}

#[test]
fn a_reconnect_storm_never_blocks_the_thread_that_owns_the_link() {
    let stall = Duration::from_millis(300);
    let (port, accepted) = storm_server(stall);
    let cfg = WsConfig {
        connect_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let rules = LinkRules {
        backoff_base_ms: 10,
        backoff_max_ms: 50,
        ..Default::default()
    };
    let dialer = Dialer::spawn("test", url(port), cfg.clone(), None).unwrap();
    let mut link = FeedLink::new(url(port), cfg, rules, 3).with_dialer(dialer);
    let (c, h) = (FeedCounters::default(), FeedHealth::default());
    let mut worst = Duration::ZERO;
    let mut connects = 0u32;
    let mut frames = 0u32;
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        let state = link.ensure(mono_ns(), &c, &h);
        worst = worst.max(t.elapsed());
        if state == LinkState::JustConnected {
            connects += 1;
        }
        if let Some(conn) = link.conn() {
            match conn.poll() {
                Ok(Some(f)) => {
                    assert_eq!(f.data, b"hi");
                    frames += 1;
                }
                Ok(None) => {}
                Err(e) => link.fail(mono_ns(), e, &h),
            }
        }
        thread::sleep(Duration::from_micros(200));
    }
    assert!(connects >= 4, "the storm reconnected only {connects} times");
    assert!(
        frames >= 4,
        "frames came through the handed-over sockets: {frames}"
    );
    assert!(accepted.load(Ordering::SeqCst) >= connects as u64);
    // A 300-ms stalled handshake never shows on this thread: the longest `ensure` is a ring
    // poll (bounded generously for a loaded 2-core machine), far under one stalled handshake.
    assert!(
        worst < Duration::from_millis(20),
        "ensure blocked for {worst:?} (a handshake stalls {stall:?})"
    );
    eprintln!("reconnect storm: {connects} connects, {frames} frames, longest ensure {worst:?}");
}

#[test]
fn a_refused_connection_comes_back_as_an_error_and_backs_off() {
    // A port with nothing listening.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dialer = Dialer::spawn("refused", url(port), WsConfig::default(), None).unwrap();
    let mut link =
        FeedLink::new(url(port), WsConfig::default(), LinkRules::default(), 5).with_dialer(dialer);
    let (c, h) = (FeedCounters::default(), FeedHealth::default());
    assert_eq!(link.ensure(mono_ns(), &c, &h), LinkState::Down);
    assert!(link.dialing(), "the first ensure asks the dialer");
    let t0 = Instant::now();
    while link.last_error.is_none() && t0.elapsed() < Duration::from_secs(5) {
        assert_eq!(link.ensure(mono_ns(), &c, &h), LinkState::Down);
        thread::sleep(Duration::from_millis(1));
    }
    let err = link.last_error.clone().expect("the refusal is reported");
    assert!(!err.is_empty());
    assert!(!h.connected.load(Ordering::Relaxed));
    assert!(
        link.retry_at_ns() > mono_ns(),
        "the next dial waits for the backoff"
    );
    assert!(!link.dialing());
}

/// Records the names of the threads that said its goodbye and dropped it.
struct Tracked(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

fn this_thread() -> String {
    thread::current().name().unwrap_or("?").to_string()
}

impl cassandra::feeds::dialer::Goodbye for Tracked {
    fn goodbye(&mut self) {
        self.0
            .lock()
            .unwrap()
            .push(format!("goodbye on {}", this_thread()));
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0
            .lock()
            .unwrap()
            .push(format!("dropped on {}", this_thread()));
    }
}

#[test]
fn a_retired_connection_is_released_on_the_dialer_thread() {
    let dropped_on = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let d = dropped_on.clone();
    let mut dialer: Dialer<Tracked, ()> =
        Dialer::spawn_with("retire", move || Ok(Tracked(d.clone())), None).unwrap();
    dialer.request();
    let t0 = Instant::now();
    let conn = loop {
        if let Some(r) = dialer.poll() {
            break r.unwrap();
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "no dial came back");
        thread::sleep(Duration::from_millis(1));
    };
    dialer.retire(conn);
    while dropped_on.lock().unwrap().len() < 2 {
        assert!(t0.elapsed() < Duration::from_secs(5), "never released");
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        *dropped_on.lock().unwrap(),
        ["goodbye on dial-retire", "dropped on dial-retire"]
    );
    // The dialer still dials after a release.
    dialer.request();
    while dialer.poll().is_none() {
        assert!(t0.elapsed() < Duration::from_secs(5), "no second dial");
        thread::sleep(Duration::from_millis(1));
    }
}
