//! The API cannot slow the hot path: while the pipeline runs, a WebSocket client that never
//! reads and a flood of REST calls leave every hot ring unfilled, and a healthy client keeps
//! receiving.

mod support;

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cassandra::demo::Demo;
use support::{fast_demo_config, trade_eagerly};

#[test]
fn stalled_ws_client_and_rest_flood_cause_no_hot_ring_overflow() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.api.ws_interval_ms = 20; // as many messages as the stream allows
    cfg.api.ws_send_timeout_ms = 500;
    let demo = Demo::start_with_key(cfg, None).expect("demo starts");
    let shared = demo.pipeline.shared.clone();
    let addr = demo.api().unwrap().addr;
    std::thread::sleep(Duration::from_secs(2));

    // The stalled client: completes the handshake, then never reads.
    let s = TcpStream::connect(addr).unwrap();
    let (stalled, _) = tungstenite::client(format!("ws://{addr}/ws"), s).unwrap();
    // A healthy client.
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (mut healthy, _) = tungstenite::client(format!("ws://{addr}/ws"), s).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let paths = [
        "/health",
        "/api/momentum",
        "/api/markets-15m",
        "/api/paper-trading/account",
        "/api/latency",
        "/api/orders",
        "/api/positions",
        "/metrics",
        "/api/candles/BTC?limit=100",
    ];
    let flooders: Vec<_> = (0..3)
        .map(|i| {
            let (stop, done) = (stop.clone(), done.clone());
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::new();
                let mut n = i;
                // Bounded in count and time.
                while !stop.load(Ordering::Relaxed) && n < 30_000 {
                    let p = paths[n % paths.len()];
                    let r = c.get(format!("http://{addr}{p}")).send().expect("request");
                    assert!(r.status().is_success(), "{p}: {}", r.status());
                    let _ = r.bytes();
                    done.fetch_add(1, Ordering::Relaxed);
                    n += 3;
                }
            })
        })
        .collect();
    let end = Instant::now() + Duration::from_secs(8);
    let mut healthy_msgs = 0u64;
    while Instant::now() < end {
        if let Ok(tungstenite::Message::Text(_)) = healthy.read() {
            healthy_msgs += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        f.join().unwrap();
    }
    let requests = done.load(Ordering::Relaxed);
    let c = shared.counters.snapshot();
    let dropped = demo
        .api()
        .unwrap()
        .counters()
        .ws_dropped_slow
        .load(Ordering::Relaxed);
    let summary = demo.stop();
    drop(stalled);
    assert!(requests > 200, "only {requests} REST calls went through");
    assert!(
        healthy_msgs > 20,
        "the healthy client got {healthy_msgs} messages"
    );
    assert!(c.binance_frames > 500, "{c:?}");
    assert_eq!(c.hot_ring_full, 0, "{c:?}");
    assert_eq!(summary.counters.hot_ring_full, 0, "{:?}", summary.counters);
    eprintln!(
        "REST calls {requests}, healthy ws messages {healthy_msgs}, slow clients dropped {dropped}, counters {:?}",
        summary.counters
    );
}
