//! The API's endpoints against a control state filled by hand (no pipeline): every endpoint's
//! shape, the auth matrix of the protected endpoints, bad inputs, and the OpenAPI description
//! covering exactly the served paths.

use std::sync::{Arc, Mutex};

use cassandra::config::{ApiConfig, Config};
use cassandra::control::api::{self, ApiContext, ApiHandle, ApiKey};
use cassandra::control::ControlState;
use cassandra::pipeline::cores::{CorePlan, CoreRequest};
use cassandra::pipeline::events::{AssetId, ExecReport, SpotTick};
use cassandra::pipeline::shared::{Mode, Shared};
use cassandra::signal::{AccountSnapshot, SignalSnapshot};
use reqwest::blocking::Client;
use reqwest::StatusCode;
use serde_json::{json, Value};

const KEY: &str = "correct horse battery staple";

fn start(key: Option<&str>) -> (ApiHandle, Arc<Shared>) {
    let mut cfg = Config {
        assets: vec!["BTC".into(), "ETH".into()],
        ..Config::default()
    };
    // Nothing listens here: klines fail fast and the live candles are served alone.
    cfg.venues.binance_rest = "http://127.0.0.1:9".into();
    let shared = Arc::new(Shared::new(Mode::Paper));
    let mut st = ControlState::default();
    let now = cassandra::clock::wall_ms();
    st.candles.record(&SpotTick {
        asset: AssetId(0),
        price_e8: 97_000 * 100_000_000,
        qty_e8: 50_000_000,
        venue_ts_ms: now,
        ..Default::default()
    });
    st.last_signal.insert(
        0,
        SignalSnapshot {
            asset: AssetId(0),
            wall_ms: now,
            spot: 97_010.0,
            strike: 97_000.0,
            tau_s: 400.0,
            p_up: 0.55,
            up_ask_e4: 5_300,
            down_ask_e4: 4_800,
            edge: f64::NAN,
            skip: Some(cassandra::strategy::gates::SkipReason::SmallMove),
            ..Default::default()
        },
    );
    st.account = Some(AccountSnapshot {
        start_cash: 1000.0,
        cash: 990.0,
        open_cost: 10.0,
        open_positions: 1,
        ..Default::default()
    });
    st.push_fill(ExecReport {
        intent_id: 1,
        filled_e6: 10_000_000,
        received_e6: 9_900_000,
        cost_e6: 5_000_000,
        window_start_s: 1_000,
        ..Default::default()
    });
    let plan = CorePlan::compute(&[0, 1], &CoreRequest::default());
    let ctx = ApiContext::new(
        &cfg,
        shared.clone(),
        Arc::new(Mutex::new(st)),
        plan,
        key.and_then(ApiKey::new),
    )
    .unwrap();
    let api_cfg = ApiConfig {
        bind: "127.0.0.1:0".into(),
        ..ApiConfig::default()
    };
    (api::spawn(api_cfg, ctx).expect("api starts"), shared)
}

fn get(h: &ApiHandle, path: &str) -> (StatusCode, Value) {
    let r = Client::new()
        .get(format!("{}{path}", h.url()))
        .send()
        .unwrap();
    let s = r.status();
    (s, r.json().unwrap_or(Value::Null))
}

fn call(
    h: &ApiHandle,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let c = Client::new();
    let url = format!("{}{path}", h.url());
    let mut rb = if method == "GET" {
        c.get(url)
    } else {
        c.post(url).body(body.to_string())
    };
    if let Some(k) = key {
        rb = rb.header("X-API-Key", k);
    }
    let r = rb.send().unwrap();
    let s = r.status();
    (s, r.json().unwrap_or(Value::Null))
}

#[test]
fn public_endpoints_have_their_shapes() {
    let (h, _) = start(None);
    let (s, v) = get(&h, "/health");
    assert_eq!(s, 200);
    for k in [
        "status",
        "mode",
        "kill_switch",
        "breaker",
        "threads",
        "feeds",
        "counters",
        "ws",
    ] {
        assert!(v.get(k).is_some(), "/health lacks {k}: {v}");
    }
    assert_eq!(v["threads"].as_array().unwrap().len(), 4);
    assert_eq!(v["feeds"].as_array().unwrap().len(), 3);
    assert_eq!(v["status"], "degraded", "no pipeline runs: {v}");
    assert!(v["ws"]["dropped_slow"].is_u64());

    let (s, v) = get(&h, "/api/momentum");
    assert_eq!(s, 200);
    let m = &v["assets"][0];
    assert_eq!(m["asset"], "BTC");
    assert_eq!(m["p_up"], 0.55);
    assert_eq!(m["up_ask"], 0.53);
    assert_eq!(m["edge"], Value::Null, "NaN is null");
    assert_eq!(m["decision"], "skip");
    assert_eq!(m["skip_reason"], "small_move");

    for sym in ["BTC", "btc", "BTCUSDT", "btcusdt"] {
        let (s, v) = get(&h, &format!("/api/candles/{sym}?interval=1m&limit=10"));
        assert_eq!(s, 200, "{sym}: {v}");
        assert_eq!(v["symbol"], "BTCUSDT");
        assert_eq!(v["source"], "live", "{v}");
        assert!(v["rest_error"].is_string());
        let c = &v["candles"][0];
        for k in ["time", "open", "high", "low", "close", "volume"] {
            assert!(c[k].is_number(), "{k}: {v}");
        }
    }
    let (s, v) = get(&h, "/api/markets-15m");
    assert_eq!(s, 200);
    assert!(v["windows"].is_array());
    let (s, v) = get(&h, "/api/paper-trading/account");
    assert_eq!(s, 200);
    assert_eq!(v["account"]["cash"], 990.0);
    assert_eq!(v["positions"][0]["tokens"], 9.9);
    let (s, v) = get(&h, "/api/latency");
    assert_eq!((s, &v["unit"]), (StatusCode::OK, &json!("ns")));
    let (s, v) = get(&h, "/api/orders?limit=5");
    assert_eq!(s, 200);
    assert_eq!(v["orders"][0]["avg_price"], 0.5);
    let (s, v) = get(&h, "/api/positions");
    assert_eq!(s, 200);
    assert_eq!(v["positions"].as_array().unwrap().len(), 1);

    let r = Client::new()
        .get(format!("{}/metrics", h.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().unwrap();
    for needle in [
        "# TYPE cassandra_hot_ring_full_total counter",
        "cassandra_api_ws_dropped_slow_total 0",
        "cassandra_feed_frames_total{feed=\"binance\"} 0",
        "cassandra_skips_total{reason=\"small_move\"}",
        "# TYPE cassandra_stage_latency_seconds summary",
    ] {
        assert!(text.contains(needle), "{needle} missing from /metrics");
    }
    let page = Client::new().get(h.url()).send().unwrap().text().unwrap();
    assert!(page.contains("/assets/app.js") && page.contains("lightweight-charts"));
    for asset in ["app.js", "style.css"] {
        let r = Client::new()
            .get(format!("{}/assets/{asset}", h.url()))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{asset}");
    }
    let docs = Client::new()
        .get(format!("{}/docs", h.url()))
        .send()
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().unwrap().contains("/openapi.json"));
}

#[test]
fn openapi_describes_exactly_the_served_paths() {
    let (h, _) = start(Some(KEY));
    let (s, doc) = get(&h, "/openapi.json");
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    for p in &paths {
        let concrete = p.replace("{symbol}", "BTC").replace("{file}", "app.js");
        let methods = doc["paths"][p].as_object().unwrap();
        for m in methods.keys() {
            if *p == "/ws" {
                continue; // needs an upgrade
            }
            let (s, _) = call(&h, &m.to_uppercase(), &concrete, Some(KEY), "{}");
            assert_ne!(
                s,
                StatusCode::NOT_FOUND,
                "{m} {p} is described but not served"
            );
            assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} {p}");
        }
    }
    for served in [
        "/api/candles/{symbol}",
        "/api/live-trading/allowances",
        "/metrics",
        "/ws",
        "/docs",
    ] {
        assert!(paths.contains(&served), "{served} not described");
    }
    let (s, v) = get(&h, "/api/nope");
    assert_eq!(s, 404);
    assert!(v["error"].is_string());
}

/// (method, path, a valid body)
const PROTECTED: [(&str, &str, &str); 5] = [
    ("GET", "/api/live-trading/status", ""),
    ("POST", "/api/live-trading/mode", r#"{"mode":"paper"}"#),
    (
        "POST",
        "/api/live-trading/kill-switch",
        r#"{"active":false,"reason":"test"}"#,
    ),
    ("GET", "/api/live-trading/allowances", ""),
    ("POST", "/api/live-trading/allowances", "{}"),
];

#[test]
fn protected_endpoints_auth_matrix() {
    let (none, _) = start(None);
    let (keyed, _) = start(Some(KEY));
    for (m, p, body) in PROTECTED {
        // No key configured: refused whatever is sent, never open.
        for k in [None, Some("x"), Some(KEY)] {
            let (s, v) = call(&none, m, p, k, body);
            assert_eq!(s, 503, "{m} {p} with {k:?} and no key configured: {v}");
            assert!(v["error"].as_str().unwrap().contains("API_KEY"), "{v}");
        }
        let (s, v) = call(&keyed, m, p, None, body);
        assert_eq!(s, 401, "{m} {p} without a key: {v}");
        assert_eq!(v["field"], "X-API-Key");
        for wrong in [
            "x",
            "correct horse battery stapl",
            "correct horse battery staple!",
            "",
        ] {
            let (s, _) = call(&keyed, m, p, Some(wrong), body);
            assert_eq!(s, 401, "{m} {p} with {wrong:?}");
        }
        let (s, v) = call(&keyed, m, p, Some(KEY), body);
        // Allowances need the live path's wallet, which this paper process does not have.
        let want = if p.ends_with("allowances") { 503 } else { 200 };
        assert_eq!(s.as_u16(), want, "{m} {p} with the key: {v}");
        assert!(v.is_object(), "{v}");
    }
}

#[test]
fn controls_act_and_bad_inputs_name_the_field() {
    let (h, shared) = start(Some(KEY));
    let post = |p: &str, b: &str| call(&h, "POST", p, Some(KEY), b);
    let (s, v) = post(
        "/api/live-trading/kill-switch",
        r#"{"active":true,"reason":"test stop"}"#,
    );
    assert_eq!(
        (s, &v["active"], &v["reason"]),
        (StatusCode::OK, &json!(true), &json!("test stop"))
    );
    assert!(shared.killed());
    let (_, health) = get(&h, "/health");
    assert_eq!(health["kill_switch"]["active"], true);
    post("/api/live-trading/kill-switch", r#"{"active":false}"#);
    assert!(!shared.killed());

    let (s, v) = post("/api/live-trading/mode", r#"{"mode":"shadow"}"#);
    assert_eq!((s, &v["previous"]), (StatusCode::OK, &json!("paper")));
    assert_eq!(shared.mode(), Mode::Shadow);
    let (s, v) = post("/api/live-trading/mode", r#"{"mode":"live"}"#);
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("not available"),
        "{v}"
    );
    assert_eq!(shared.mode(), Mode::Shadow);

    for (path, body, status, field) in [
        ("/api/live-trading/mode", "not json", 400, "body"),
        ("/api/live-trading/mode", "[1]", 422, "body"),
        ("/api/live-trading/mode", "{}", 422, "mode"),
        ("/api/live-trading/mode", r#"{"mode":"yolo"}"#, 422, "mode"),
        ("/api/live-trading/mode", r#"{"mode":3}"#, 422, "mode"),
        (
            "/api/live-trading/mode",
            r#"{"mode":"paper","x":1}"#,
            422,
            "x",
        ),
        (
            "/api/live-trading/kill-switch",
            r#"{"reason":"r"}"#,
            422,
            "active",
        ),
        (
            "/api/live-trading/kill-switch",
            r#"{"active":"yes"}"#,
            422,
            "active",
        ),
        (
            "/api/live-trading/kill-switch",
            r#"{"active":true,"reason":5}"#,
            422,
            "reason",
        ),
    ] {
        let (s, v) = post(path, body);
        assert_eq!(s.as_u16(), status, "{path} {body}: {v}");
        assert_eq!(v["field"], field, "{path} {body}: {v}");
    }
    assert!(!shared.killed(), "a refused request changed nothing");
    for (path, status, field) in [
        ("/api/candles/DOGE", 404, "symbol"),
        ("/api/candles/BTC?interval=2m", 422, "interval"),
        ("/api/candles/BTC?limit=0", 422, "limit"),
        ("/api/candles/BTC?limit=abc", 422, "limit"),
        ("/api/orders?limit=100000", 422, "limit"),
    ] {
        let (s, v) = get(&h, path);
        assert_eq!(s.as_u16(), status, "{path}: {v}");
        assert_eq!(v["field"], field, "{path}: {v}");
    }
}

#[test]
fn cors_is_closed_by_default() {
    let (h, _) = start(None);
    let r = Client::new()
        .get(format!("{}/api/momentum", h.url()))
        .header("Origin", "http://evil.example")
        .send()
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[test]
fn a_busy_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cfg = Config::default();
    let ctx = ApiContext::new(
        &cfg,
        Arc::new(Shared::new(Mode::Paper)),
        Arc::new(Mutex::new(ControlState::default())),
        CorePlan::compute(&[0, 1], &CoreRequest::default()),
        None,
    )
    .unwrap();
    let api_cfg = ApiConfig {
        bind: taken.local_addr().unwrap().to_string(),
        ..ApiConfig::default()
    };
    let e = api::spawn(api_cfg, ctx).unwrap_err().to_string();
    assert!(
        e.contains("cannot listen") && e.contains("[api] bind"),
        "{e}"
    );
}

#[test]
fn a_shadow_process_with_keys_cannot_switch_to_live() {
    // Keys and credentials are loaded (the live path runs for shadow), but live was not
    // chosen at start: 409, and the mode stays.
    let (h, shared) = start(Some(KEY));
    shared
        .live_ready
        .store(true, std::sync::atomic::Ordering::SeqCst);
    shared.set_mode(Mode::Shadow);
    let post = |b: &str| call(&h, "POST", "/api/live-trading/mode", Some(KEY), b);
    let (s, v) = post(r#"{"mode":"live"}"#);
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("chosen at start"),
        "{v}"
    );
    assert_eq!(v["field"], "mode");
    assert_eq!(shared.mode(), Mode::Shadow);
    // Other switches still work.
    let (s, _) = post(r#"{"mode":"paper"}"#);
    assert_eq!((s, shared.mode()), (StatusCode::OK, Mode::Paper));
    // A process started live may go back to live after a pause in paper.
    shared
        .live_at_start
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (s, v) = post(r#"{"mode":"live"}"#);
    assert_eq!((s, shared.mode()), (StatusCode::OK, Mode::Live), "{v}");
}
