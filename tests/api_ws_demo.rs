//! `/ws` during a demo run: a WebSocket client sees `init` first and then the live message
//! types, each a `{"type", "data"}` envelope.

mod support;

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cassandra::demo::Demo;
use support::{fast_demo_config, trade_eagerly};

#[test]
fn ws_streams_every_live_message_type_during_a_demo() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    let demo = Demo::start_with_key(cfg, None).expect("demo starts");
    let addr = demo.api().expect("api on").addr;
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{addr}/ws"), stream).expect("ws handshake");
    let mut seen = BTreeSet::new();
    let mut first = None;
    let want = [
        "candle",
        "trade",
        "orderbook",
        "momentum",
        "paper_signal",
        "paper_account",
        "latency",
    ];
    let end = Instant::now() + Duration::from_secs(25);
    while Instant::now() < end && !want.iter().all(|t| seen.contains(*t)) {
        let msg = match ws.read() {
            Ok(m) => m,
            Err(e) => panic!("read: {e}; seen {seen:?}"),
        };
        let tungstenite::Message::Text(text) = msg else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        let t = v["type"].as_str().expect("type").to_string();
        assert!(v.get("data").is_some(), "{v}");
        first.get_or_insert_with(|| t.clone());
        if t == "init" {
            for k in [
                "assets",
                "mode",
                "kill_switch",
                "windows",
                "momentum",
                "candles",
                "latency",
            ] {
                assert!(v["data"].get(k).is_some(), "init lacks {k}");
            }
        }
        seen.insert(t);
    }
    let _ = ws.close(None);
    let summary = demo.stop();
    assert_eq!(first.as_deref(), Some("init"));
    for t in want {
        assert!(seen.contains(t), "{t} never seen; got {seen:?}");
    }
    assert_eq!(summary.counters.hot_ring_full, 0);
}
