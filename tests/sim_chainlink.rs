//! The simulator's reference prices over the PolyBolt protocol, on a real socket, in the shapes
//! of the real frames in `tests/data/venue/polybolt/` (string error codes, snapshot payload object,
//! decimal-string `full_accuracy_value`, no `source` key).

mod sim_common;
use sim_common as common;

use cassandra::sim::{SimConfig, Simulator};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

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

/// A point's keys and types as in the real frames; `extra` are the keys beyond the snapshot point.
fn check_point(p: &Value, extra: &[&str]) {
    let mut keys: Vec<&str> = p
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    let mut want = vec!["full_accuracy_value", "timestamp", "value"];
    want.extend_from_slice(extra);
    want.sort_unstable();
    assert_eq!(keys, want, "{p}");
    let value = p["value"].as_f64().expect("value");
    let full = p["full_accuracy_value"]
        .as_str()
        .expect("full_accuracy_value");
    assert!(
        full.contains('.') || full.bytes().all(|b| b.is_ascii_digit()),
        "{full}"
    );
    let back: f64 = full.parse().expect("decimal string");
    assert!((back / value - 1.0).abs() < 1e-12, "{full} vs {value}");
    assert!(back < 1e7, "a decimal, not an E18 integer: {full}");
    assert!(p["timestamp"].as_u64().is_some());
}

fn check_update(p: &Value, symbol: &str, twap: bool) {
    assert_eq!(p["symbol"], symbol);
    if twap {
        assert_eq!(p["window_seconds"], 60);
        check_point(p, &["symbol", "window_seconds"]);
    } else {
        check_point(p, &["symbol"]);
    }
}

#[test]
fn auth_failure_is_an_error_ack_with_a_string_code() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    let reply = auth(&mut ws, "");
    assert_eq!(
        reply,
        json!({"op": "error", "rid": "a1", "code": "auth_invalid"})
    );
    // The connection stays open: a good key is accepted on the same socket.
    assert_eq!(auth(&mut ws, "key"), json!({"op": "authed", "rid": "a1"}));
}

#[test]
fn more_than_eight_auth_frames_close_with_4001() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    for _ in 0..8 {
        assert_eq!(auth(&mut ws, "")["code"], "auth_invalid");
    }
    let msg = json!({"op": "auth", "rid": "a9", "auth": {"apiKey": "k", "secret": "s", "passphrase": "p"}});
    send_text(&mut ws, &msg.to_string());
    match next_text(&mut ws, std::time::Instant::now() + Duration::from_secs(2)) {
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
    assert_eq!(
        expect_json(&mut ws, Duration::from_secs(2)),
        json!({"op": "error", "channel": "price.crypto", "rid": "s1", "code": "auth_required"})
    );
}

#[test]
fn bad_ops_and_filters_are_refused_with_the_venue_codes() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    auth(&mut ws, "key");
    send_text(&mut ws, r#"{"op":"dance","rid":"x"}"#);
    assert_eq!(
        expect_json(&mut ws, Duration::from_secs(2)),
        json!({"op": "error", "code": "bad_op"})
    );
    let sub = json!({"op": "subscribe", "rid": "s9", "subscriptions": [{"channel": "price.crypto", "filter": {}}]});
    send_text(&mut ws, &sub.to_string());
    assert_eq!(
        expect_json(&mut ws, Duration::from_secs(2)),
        json!({"op": "error", "channel": "price.crypto", "rid": "s9", "code": "bad_filter"})
    );
}

#[test]
fn unserved_window_and_symbol_get_empty_snapshots() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    auth(&mut ws, "key");
    let sub = json!({"op": "subscribe", "rid": "s3", "subscriptions": [
        {"channel": "price.crypto.twap", "filter": {"symbol": "btcusd", "window_seconds": 30}}]});
    send_text(&mut ws, &sub.to_string());
    assert_eq!(
        expect_json(&mut ws, Duration::from_secs(2))["op"],
        "subscribed"
    );
    let snap = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(
        snap["payload"],
        json!({"data": [], "symbol": "btcusd", "window_seconds": 30})
    );
    let sub = json!({"op": "subscribe", "rid": "s4", "subscriptions": [
        {"channel": "price.crypto", "filter": {"symbol": "btcusdt"}}]});
    send_text(&mut ws, &sub.to_string());
    assert_eq!(
        expect_json(&mut ws, Duration::from_secs(2))["op"],
        "subscribed"
    );
    let snap = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(snap["payload"], json!({"data": [], "symbol": "btcusdt"}));
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
        json!({"op": "subscribed", "channel": "price.crypto", "rid": "s1"})
    );
    let snap = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(snap["v"], 1);
    assert_eq!(snap["channel"], "price.crypto");
    assert_eq!(snap["snapshot"], true);
    assert_eq!(snap["payload"]["symbol"], "btcusd");
    let items = snap["payload"]["data"]
        .as_array()
        .expect("snapshot payload is an object with a data array");
    assert!(!items.is_empty());
    let now = cassandra::clock::wall_ms();
    for p in items {
        check_point(p, &[]);
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
        check_update(&up["payload"], "btcusd", false);
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
    assert_eq!(snap["payload"]["window_seconds"], 60);
    assert_eq!(snap["payload"]["symbol"], "ethusd");
    let up = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(up["channel"], "price.crypto.twap");
    check_update(&up["payload"], "ethusd", true);
}

#[test]
fn price_crypto_is_pyth_off_the_chainlink_series_by_the_basis() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    auth(&mut ws, "key");
    let sub = json!({"op": "subscribe", "rid": "p1", "subscriptions": [{"channel": "price.crypto", "filter": {"symbol": "btcusd"}}]});
    send_text(&mut ws, &sub.to_string());
    assert_eq!(
        expect_json(&mut ws, Duration::from_secs(2))["op"],
        "subscribed"
    );
    let _snapshot = expect_json(&mut ws, Duration::from_secs(2));
    let cfg = sim.config().clone();
    assert_eq!(cfg.pyth_basis_bps, 2.0);
    // Compare an update with the Chainlink observation of the same instant.
    let mut compared = 0;
    for _ in 0..200 {
        let up = expect_json(&mut ws, Duration::from_secs(2));
        let ts = up["payload"]["timestamp"].as_u64().expect("timestamp");
        let pyth: f64 = up["payload"]["full_accuracy_value"]
            .as_str()
            .expect("decimal string")
            .parse()
            .unwrap();
        let Some((t, chainlink)) = sim.chainlink_price("BTC") else {
            continue;
        };
        if t != ts {
            continue;
        }
        let basis = cassandra::sim::pyth_basis(cfg.seed, cfg.pyth_basis_bps, ts);
        assert!(basis != 0.0);
        // Exact up to the 8 decimals the venue writes.
        assert!(
            (pyth - chainlink * (1.0 + basis)).abs() <= 0.5e-8 + 1e-9,
            "pyth {pyth} chainlink {chainlink} basis {basis}"
        );
        assert!(pyth != chainlink);
        compared += 1;
        if compared == 3 {
            return;
        }
    }
    panic!("no update matched the Chainlink observation of its instant ({compared})");
}
