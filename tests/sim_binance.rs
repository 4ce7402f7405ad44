//! The simulator's Binance combined stream over a real socket.

mod sim_common;
use sim_common as common;

use cassandra::sim::{SimConfig, Simulator};
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};

fn sim(rate_hz: f64) -> Simulator {
    Simulator::start(SimConfig {
        binance_rate_hz: rate_hz,
        ..SimConfig::default()
    })
    .expect("start simulator")
}

fn has_8_decimals(s: &str) -> bool {
    s.split_once('.')
        .is_some_and(|(i, f)| !i.is_empty() && f.len() == 8)
}

#[test]
fn trade_frames_have_binance_shape_and_increasing_ids() {
    let sim = sim(200.0);
    let url = format!(
        "{}/stream?streams=btcusdt@trade/ethusdt@trade/foo@bar",
        sim.binance_ws_url()
    );
    let mut ws = ws_connect(&url);
    let mut last_t = 0u64;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..30 {
        let v = expect_json(&mut ws, Duration::from_secs(2));
        let stream = v["stream"].as_str().expect("stream");
        let d = &v["data"];
        assert_eq!(d["e"], "trade");
        let sym = d["s"].as_str().expect("s");
        assert_eq!(format!("{}@trade", sym.to_ascii_lowercase()), stream);
        let t = d["t"].as_u64().expect("t");
        assert!(t > last_t, "trade ids increase: {t} after {last_t}");
        last_t = t;
        assert!(has_8_decimals(d["p"].as_str().expect("p")), "{d}");
        assert!(has_8_decimals(d["q"].as_str().expect("q")), "{d}");
        let e = d["E"].as_u64().expect("E");
        assert_eq!(d["T"].as_u64(), Some(e));
        assert!(e.abs_diff(cassandra::clock::wall_ms()) < 5_000);
        assert!(d["m"].is_boolean());
        assert_eq!(d["M"], true);
        let p: f64 = d["p"].as_str().unwrap_or("0").parse().unwrap_or(0.0);
        let expect = if sym == "BTCUSDT" { 97_000.0 } else { 3_600.0 };
        assert!((p / expect - 1.0).abs() < 0.05, "{sym} at {p}");
        seen.insert(stream.to_string());
    }
    assert_eq!(seen.len(), 2, "round-robin over both streams: {seen:?}");
    assert_eq!(
        sim.stats().binance_streams(),
        vec!["btcusdt@trade/ethusdt@trade/foo@bar".to_string()]
    );
    assert!(sim.stats().binance.frames_sent() >= 30);
    sim.shutdown();
}

#[test]
fn flood_mode_delivers_thousands_of_frames_per_second() {
    let sim = sim(0.0);
    let url = format!(
        "{}/stream?streams=btcusdt@trade/solusdt@trade",
        sim.binance_ws_url()
    );
    let mut ws = ws_connect(&url);
    expect_text(&mut ws, Duration::from_secs(2));
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        if let Got::Text(_) = next_text(&mut ws, Instant::now() + Duration::from_millis(500)) {
            n += 1;
        }
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    eprintln!("flood: {rate:.0} frames/s");
    assert!(rate > 3_000.0, "flood gave only {rate:.0} frames/s");
    sim.shutdown();
}

#[test]
fn paced_rate_is_close_to_the_configured_rate() {
    let sim = sim(100.0);
    let mut ws = ws_connect(&format!(
        "{}/stream?streams=xrpusdt@trade",
        sim.binance_ws_url()
    ));
    expect_text(&mut ws, Duration::from_secs(2));
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_millis(1000) {
        if let Got::Text(_) = next_text(&mut ws, Instant::now() + Duration::from_millis(200)) {
            n += 1;
        }
    }
    assert!((60..=140).contains(&n), "{n} frames in 1 s at 100 Hz");
}

#[test]
fn book_ticker_only_when_subscribed() {
    let sim = sim(400.0);
    let mut trades_only = ws_connect(&format!(
        "{}/stream?streams=btcusdt@trade",
        sim.binance_ws_url()
    ));
    for _ in 0..20 {
        let v = expect_json(&mut trades_only, Duration::from_secs(2));
        assert_eq!(v["stream"], "btcusdt@trade");
    }
    let url = format!(
        "{}/stream?streams=btcusdt@trade/btcusdt@bookTicker",
        sim.binance_ws_url()
    );
    let mut both = ws_connect(&url);
    let mut tickers = 0;
    for _ in 0..20 {
        let v = expect_json(&mut both, Duration::from_secs(2));
        if v["stream"] == "btcusdt@bookTicker" {
            tickers += 1;
            let d = &v["data"];
            assert!(d.get("e").is_none() && d.get("E").is_none(), "{d}");
            assert_eq!(d["s"], "BTCUSDT");
            assert!(d["u"].as_u64().is_some());
            for k in ["b", "B", "a", "A"] {
                assert!(has_8_decimals(d[k].as_str().unwrap_or("")), "{k}: {d}");
            }
            let px = |k: &str| {
                d[k].as_str()
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            assert!(px("b") < px("a"));
        }
    }
    assert!(tickers >= 5, "{tickers} bookTicker frames in 20");
    // Raw stream form: bare payloads.
    let mut raw = ws_connect(&format!("{}/ws/ethusdt@bookTicker", sim.binance_ws_url()));
    let v = expect_json(&mut raw, Duration::from_secs(2));
    assert_eq!(v["s"], "ETHUSDT");
    assert!(v.get("stream").is_none());
}

#[test]
fn book_ticker_disabled_by_config() {
    let sim = Simulator::start(SimConfig {
        binance_rate_hz: 400.0,
        book_ticker: false,
        ..SimConfig::default()
    })
    .expect("start");
    let url = format!(
        "{}/stream?streams=btcusdt@trade/btcusdt@bookTicker",
        sim.binance_ws_url()
    );
    let mut ws = ws_connect(&url);
    for _ in 0..20 {
        let v = expect_json(&mut ws, Duration::from_secs(2));
        assert_eq!(v["stream"], "btcusdt@trade");
    }
}

#[test]
fn drop_closes_the_connection_and_a_reconnect_is_counted() {
    let sim = sim(100.0);
    let url = format!("{}/stream?streams=btcusdt@trade", sim.binance_ws_url());
    let mut ws = ws_connect(&url);
    expect_text(&mut ws, Duration::from_secs(2));
    sim.faults().drop_binance();
    let deadline = Instant::now() + Duration::from_secs(3);
    let closed = loop {
        match next_text(&mut ws, deadline) {
            Got::Text(_) => continue,
            Got::Closed(_) => break true,
            Got::Timeout => break false,
        }
    };
    assert!(closed, "connection still open after drop_binance");
    assert!(wait_until(Duration::from_secs(2), || sim
        .stats()
        .binance
        .dropped_by_fault()
        == 1));
    let mut again = ws_connect(&url);
    expect_text(&mut again, Duration::from_secs(2));
    assert_eq!(sim.stats().binance.connections(), 2);
    assert!(wait_until(Duration::from_secs(2), || sim
        .stats()
        .binance
        .open_connections()
        == 1));
    assert_eq!(sim.stats().binance_streams().len(), 2);
}

#[test]
fn stall_sends_nothing_then_resumes() {
    let sim = sim(200.0);
    let mut ws = ws_connect(&format!(
        "{}/stream?streams=btcusdt@trade",
        sim.binance_ws_url()
    ));
    expect_text(&mut ws, Duration::from_secs(2));
    sim.faults().set_stall_binance(true);
    // Drain what was in flight, then nothing for a while.
    drain(&mut ws, Duration::from_millis(100));
    assert!(matches!(
        next_text(&mut ws, Instant::now() + Duration::from_millis(300)),
        Got::Timeout
    ));
    sim.faults().set_stall_binance(false);
    expect_text(&mut ws, Duration::from_secs(2));
}

#[test]
fn malformed_injection_sends_garbage_then_an_unknown_event() {
    let sim = sim(100.0);
    let mut ws = ws_connect(&format!(
        "{}/stream?streams=btcusdt@trade",
        sim.binance_ws_url()
    ));
    expect_text(&mut ws, Duration::from_secs(2));
    sim.faults().inject_malformed_binance();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut garbage = None;
    while let Got::Text(t) = next_text(&mut ws, deadline) {
        if serde_json::from_str::<Value>(&t).is_err() {
            garbage = Some(t);
            break;
        }
    }
    let garbage = garbage.expect("a malformed frame");
    assert!(garbage.starts_with("{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\","));
    let unknown = expect_json(&mut ws, Duration::from_secs(1));
    assert_ne!(unknown["data"]["e"], "trade");
    assert!(unknown["data"]["e"].is_string());
    // Then normal frames again.
    let v = expect_json(&mut ws, Duration::from_secs(1));
    assert_eq!(v["data"]["e"], "trade");
    assert_eq!(sim.stats().binance.malformed_sent(), 2);
}

#[test]
fn control_messages_and_server_pings() {
    let sim = Simulator::start(SimConfig {
        binance_rate_hz: 50.0,
        ping_interval_ms: 100,
        ..SimConfig::default()
    })
    .expect("start");
    let mut ws = ws_connect(&format!("{}/stream?streams=", sim.binance_ws_url()));
    send_text(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["solusdt@trade"],"id":1}"#,
    );
    let reply = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(reply, serde_json::json!({"result": null, "id": 1}));
    let v = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(v["stream"], "solusdt@trade");
    send_text(&mut ws, r#"{"method":"LIST_SUBSCRIPTIONS","id":"x2"}"#);
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut listed = None;
    while let Got::Text(t) = next_text(&mut ws, deadline) {
        let v: Value = serde_json::from_str(&t).unwrap_or_default();
        if v["id"] == "x2" {
            listed = Some(v);
            break;
        }
    }
    assert_eq!(
        listed.map(|v| v["result"].clone()),
        Some(serde_json::json!(["solusdt@trade"]))
    );
    // Keep reading (which answers pings) until the server has counted pongs.
    let ok = wait_until(Duration::from_secs(3), || {
        let _ = next_text(&mut ws, Instant::now() + Duration::from_millis(20));
        sim.stats().binance.pings_sent() >= 2 && sim.stats().binance.pongs_received() >= 2
    });
    assert!(
        ok,
        "pings {} pongs {}",
        sim.stats().binance.pings_sent(),
        sim.stats().binance.pongs_received()
    );
}
