//! The simulator's Chainlink prices over the PolyBolt protocol, on a real socket.

mod sim_common;
use sim_common as common;

use cassandra::sim::{SimConfig, Simulator};
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn sim() -> Simulator {
    Simulator::start(SimConfig {
        chainlink_hz: 10.0,
        ..SimConfig::default()
    })
    .expect("start simulator")
}

fn auth(ws: &mut Ws, key: &str) -> Value {
    let msg = json!({"op": "auth", "rid": "a1", "auth": {"apiKey": key, "secret": "c2VjcmV0", "passphrase": "p"}});
    send_text(ws, &msg.to_string());
    expect_json(ws, Duration::from_secs(2))
}

fn check_payload(p: &Value, symbol: &str) {
    assert_eq!(p["symbol"], symbol);
    assert_eq!(p["source"], "chainlink");
    let value = p["value"].as_f64().expect("value");
    let full = p["full_accuracy_value"]
        .as_str()
        .expect("full_accuracy_value");
    let full: u128 = full.parse().expect("integer string");
    let back = full as f64 / 1e18;
    assert!((back / value - 1.0).abs() < 1e-12, "{full} vs {value}");
    assert!(p["timestamp"].as_u64().is_some());
}

#[test]
fn auth_failure_closes_with_4001() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    let reply = auth(&mut ws, "");
    assert_eq!(reply["op"], "error");
    assert_eq!(reply["rid"], "a1");
    assert_eq!(reply["code"], 4001);
    match next_text(&mut ws, Instant::now() + Duration::from_secs(2)) {
        Got::Closed(code) => assert_eq!(code, Some(4001)),
        other => panic!("expected close 4001, got {other:?}"),
    }
}

#[test]
fn subscribe_before_auth_is_refused() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    let sub = json!({"op": "subscribe", "rid": "s1", "subscriptions": [{"channel": "price.crypto", "filter": {"symbol": "btcusd"}}]});
    send_text(&mut ws, &sub.to_string());
    let reply = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(
        (reply["op"].as_str(), reply["code"].as_u64()),
        (Some("error"), Some(4001))
    );
}

#[test]
fn snapshot_then_updates() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    assert_eq!(auth(&mut ws, "key"), json!({"op": "authed", "rid": "a1"}));
    let sub = json!({"op": "subscribe", "rid": "s1", "subscriptions": [{"channel": "price.crypto", "filter": {"symbol": "btcusd"}}]});
    send_text(&mut ws, &sub.to_string());
    assert_eq!(
        expect_json(&mut ws, Duration::from_secs(2)),
        json!({"op": "subscribed", "rid": "s1"})
    );
    let snap = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(snap["v"], 1);
    assert_eq!(snap["channel"], "price.crypto");
    assert_eq!(snap["snapshot"], true);
    let items = snap["payload"]
        .as_array()
        .expect("snapshot payload is an array");
    assert!(!items.is_empty());
    let now = cassandra::clock::wall_ms();
    for p in items {
        check_payload(p, "btcusd");
        assert!(
            p["timestamp"].as_u64().unwrap_or(0) + 121_000 >= now,
            "older than 2 minutes"
        );
    }
    let mut seq = snap["seq"].as_u64().expect("seq");
    let mut ts = items
        .last()
        .and_then(|p| p["timestamp"].as_u64())
        .unwrap_or(0);
    for _ in 0..3 {
        let up = expect_json(&mut ws, Duration::from_secs(2));
        assert!(up.get("snapshot").is_none());
        assert_eq!(up["channel"], "price.crypto");
        let s = up["seq"].as_u64().expect("seq");
        assert!(s > seq);
        seq = s;
        check_payload(&up["payload"], "btcusd");
        let t = up["payload"]["timestamp"].as_u64().unwrap_or(0);
        assert!(t > ts, "timestamps increase");
        ts = t;
        let v = up["payload"]["value"].as_f64().unwrap_or(0.0);
        assert!((v / 97_000.0 - 1.0).abs() < 0.05);
    }
    assert_eq!(sim.chainlink_price("BTC").map(|(t, _)| t >= ts), Some(true));
}

#[test]
fn twap_channel() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    auth(&mut ws, "key");
    let sub = json!({"op": "subscribe", "rid": "s2", "subscriptions": [
        {"channel": "price.crypto.twap", "filter": {"symbol": "ethusd", "window_seconds": 60}}]});
    send_text(&mut ws, &sub.to_string());
    assert_eq!(
        expect_json(&mut ws, Duration::from_secs(2))["op"],
        "subscribed"
    );
    let snap = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(snap["channel"], "price.crypto.twap");
    let up = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(up["channel"], "price.crypto.twap");
    check_payload(&up["payload"], "ethusd");
}
