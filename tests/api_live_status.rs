//! Live orders as the API shows them, end to end: in a `--mode live` demo each live order is
//! named by its asset (not its index) in `/api/live-trading/status` and in the stream's
//! `live_order`, and "sent" counts live orders only (a paper demo with many fills sends none).
//! The stream's `status` message carries the mode and the kill switch as they change.

mod support;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use cassandra::control::api::ApiKey;
use cassandra::demo::Demo;
use cassandra::pipeline::shared::Mode;
use serde_json::Value;
use support::{fast_demo_config, trade_eagerly, wait_for};

const KEY: &str = "live-status-test-key";

fn status(url: &str) -> Value {
    reqwest::blocking::Client::new()
        .get(format!("{url}/api/live-trading/status"))
        .header("X-API-Key", KEY)
        .send()
        .and_then(|r| r.json())
        .expect("status")
}

#[test]
fn live_orders_are_named_by_asset_and_counted_apart_from_paper() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    let demo = Demo::start_with_key(cfg, ApiKey::new(KEY)).expect("demo starts");
    let api = demo.api().expect("api on");
    let (url, addr) = (api.url(), api.addr);
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{addr}/ws"), stream).expect("ws");
    let mut streamed = None;
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end && streamed.is_none() {
        let Ok(tungstenite::Message::Text(t)) = ws.read() else {
            continue;
        };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        if v["type"] == "live_order" {
            streamed = Some(v["data"].clone());
        }
    }
    let o = streamed.expect("a live_order on the stream");
    assert!(
        ["BTC", "ETH"].contains(&o["asset"].as_str().unwrap()),
        "{o}"
    );
    assert!(o.get("asset_id").is_none(), "{o}");
    let s = status(&url);
    let recent = s["recent_live_orders"].as_array().unwrap();
    assert!(!recent.is_empty(), "{s}");
    for o in recent {
        assert!(
            ["BTC", "ETH"].contains(&o["asset"].as_str().unwrap()),
            "{o}"
        );
    }
    let sent = s["orders"]["sent"].as_u64().unwrap();
    assert!(sent >= recent.len() as u64, "{s}");
    assert!(s["orders"]["filled"].as_u64().unwrap() <= sent, "{s}");
    demo.stop();
}

#[test]
fn paper_fills_are_not_live_orders_and_status_follows_the_kill_switch() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    let demo = Demo::start_with_key(cfg, ApiKey::new(KEY)).expect("demo starts");
    let api = demo.api().expect("api on");
    let (url, addr) = (api.url(), api.addr);
    let shared = demo.pipeline.shared.clone();
    assert!(
        wait_for(Duration::from_secs(30), || shared
            .counters
            .order
            .fills
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 3),
        "no paper fills"
    );
    let s = status(&url);
    assert_eq!(s["orders"]["sent"], 0, "paper orders counted as live: {s}");
    assert!(s["recent_live_orders"].as_array().unwrap().is_empty());

    // The stream tells a kill switch set after the page connected, with its reason.
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{addr}/ws"), stream).expect("ws");
    let r = reqwest::blocking::Client::new()
        .post(format!("{url}/api/live-trading/kill-switch"))
        .header("X-API-Key", KEY)
        .json(&serde_json::json!({"active": true, "reason": "from a script"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut halted = None;
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end && halted.is_none() {
        let Ok(tungstenite::Message::Text(t)) = ws.read() else {
            continue;
        };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        if v["type"] == "status" && v["data"]["halted"] == true {
            halted = Some(v["data"].clone());
        }
    }
    let h = halted.expect("a halted status on the stream");
    assert_eq!(h["kill_switch"]["active"], true);
    assert_eq!(h["halt_reason"], "kill switch on: from a script");
    assert_eq!(h["live_available"], false);
    assert_eq!(h["feeds"].as_array().unwrap().len(), 3);
    demo.stop();
}
