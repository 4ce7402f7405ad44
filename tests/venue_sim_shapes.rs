//! The simulator speaks the venues' shapes: each frame or body it emits has the event name, the
//! keys and the JSON value types of the real one in `tests/data/venue/` (Binance: the docs
//! examples, the only ones with provenance). Values differ; shapes may not.

mod sim_common;
use sim_common as common;

use cassandra::sim::{SimConfig, Simulator};
use common::*;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

macro_rules! venue {
    ($path:literal) => {
        serde_json::from_slice::<Value>(include_bytes!(concat!("data/venue/", $path))).unwrap()
    };
}

/// The type skeleton of a JSON value: objects keep their keys, arrays the shape of their first
/// element, scalars become their type name.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

/// Every key of `real` is in `sim` with the same shape (for Gamma, whose capture is a reduced,
/// field-preserving subset of the venue's answer).
fn contains_shape(real: &Value, sim: &Value, at: &str) {
    match (real, sim) {
        (Value::Object(r), Value::Object(s)) => {
            for (k, rv) in r {
                let sv = s
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k} missing in {sim}"));
                contains_shape(rv, sv, &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(shape(sim), shape(real), "{at}"),
    }
}

fn sim() -> Simulator {
    Simulator::start(SimConfig {
        chainlink_hz: 10.0,
        poly_update_hz: 20.0,
        binance_rate_hz: 100.0,
        ..SimConfig::default()
    })
    .expect("start simulator")
}

/// The next JSON frame satisfying `pred` within `within`.
fn next_where(ws: &mut Ws, within: Duration, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no matching frame in {within:?}");
        let v = expect_json(ws, left);
        if pred(&v) {
            return v;
        }
    }
}

#[test]
fn binance_frames_have_the_documented_shapes() {
    let sim = sim();
    let url = format!(
        "{}/stream?streams=btcusdt@trade/btcusdt@bookTicker",
        sim.binance_ws_url()
    );
    let mut ws = ws_connect(&url);
    let trade = next_where(&mut ws, Duration::from_secs(3), |v| {
        v["data"]["e"] == "trade"
    });
    assert_eq!(
        shape(&trade["data"]),
        shape(&venue!("binance/trade_raw_docs.json"))
    );
    assert_eq!(
        trade
            .as_object()
            .map(|m| m.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["data".to_string(), "stream".to_string()])
    );
    let bt = next_where(&mut ws, Duration::from_secs(3), |v| {
        v["stream"] == "btcusdt@bookTicker"
    });
    assert_eq!(
        shape(&bt["data"]),
        shape(&venue!("binance/book_ticker_raw_docs.json"))
    );
    send_text(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["ethusdt@trade"],"id":1}"#,
    );
    let reply = next_where(&mut ws, Duration::from_secs(3), |v| v.get("id").is_some());
    assert_eq!(reply, venue!("binance/subscribe_reply_docs.json"));
}

#[test]
fn market_channel_events_have_the_captured_shapes() {
    let sim = sim();
    let w = sim.current_window("BTC").expect("window");
    let mut ws = ws_connect(&format!("{}/ws/market", sim.poly_ws_url()));
    let sub = json!({"assets_ids": [w.up_token, w.down_token], "type": "market"});
    send_text(&mut ws, &sub.to_string());
    let first = expect_json(&mut ws, Duration::from_secs(3));
    let book = match &first {
        Value::Array(evs) => evs[0].clone(),
        ev => ev.clone(),
    };
    assert_eq!(book["event_type"], "book");
    assert_eq!(
        shape(&book),
        shape(&venue!("polymarket/book_captured.json"))
    );
    let pc = next_where(&mut ws, Duration::from_secs(5), |v| {
        v["event_type"] == "price_change"
    });
    assert_eq!(
        shape(&pc),
        shape(&venue!("polymarket/price_change_captured.json"))
    );
}

#[test]
fn polybolt_frames_have_the_captured_shapes() {
    let sim = sim();
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    send_text(
        &mut ws,
        r#"{"op":"auth","rid":"a1","auth":{"apiKey":"k","secret":"c2VjcmV0","passphrase":"p"}}"#,
    );
    assert_eq!(expect_json(&mut ws, Duration::from_secs(2))["op"], "authed");
    let sub = json!({"op": "subscribe", "rid": "capture", "subscriptions": [
        {"channel": "price.crypto", "filter": {"symbol": "btcusd"}},
        {"channel": "price.crypto.twap", "filter": {"symbol": "btcusd", "window_seconds": 60}},
        {"channel": "price.crypto", "filter": {"symbol": 7}}]});
    send_text(&mut ws, &sub.to_string());
    let mut seen = Map::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.len() < 6 && Instant::now() < deadline {
        let v = expect_json(&mut ws, Duration::from_secs(2));
        let kind = match (v["op"].as_str(), v["channel"].as_str(), v.get("snapshot")) {
            (Some("subscribed"), Some("price.crypto"), _) => "subscribed",
            (Some("error"), _, _) => "error",
            (None, Some("price.crypto"), Some(_)) => "snapshot",
            (None, Some("price.crypto"), None) => "update",
            (None, Some("price.crypto.twap"), Some(_)) => "twap_snapshot",
            (None, Some("price.crypto.twap"), None) => "twap_update",
            _ => continue,
        };
        seen.entry(kind).or_insert(v);
    }
    let real = [
        (
            "subscribed",
            venue!("polybolt/subscribed_price_crypto.json"),
        ),
        ("error", venue!("polybolt/error_bad_filter.json")),
        (
            "snapshot",
            venue!("polybolt/price_crypto_snapshot_btcusd.json"),
        ),
        ("update", venue!("polybolt/price_crypto_update_btcusd.json")),
        (
            "twap_snapshot",
            venue!("polybolt/price_crypto_twap_snapshot_btcusd_60s.json"),
        ),
        (
            "twap_update",
            venue!("polybolt/price_crypto_twap_update_btcusd_60s.json"),
        ),
    ];
    for (kind, real) in real {
        let sim = seen
            .get(kind)
            .unwrap_or_else(|| panic!("no {kind} frame: {seen:?}"));
        assert_eq!(shape(sim), shape(&real), "{kind}: {sim}");
    }
    assert_eq!(seen["error"]["code"], "bad_filter");
}

#[test]
fn gamma_market_and_event_have_the_captured_fields() {
    let sim = sim();
    let w = sim.current_window("BTC").expect("window");
    let (s, market) = http_json(&sim.http_url(), &format!("/markets/slug/{}", w.slug));
    assert_eq!(s, 200);
    contains_shape(
        &venue!("gamma/market_btc_updown_5m_twap.json"),
        &market,
        "market",
    );
    // Default settlement: the 60-second Chainlink TWAP, named as the venue names it.
    assert_eq!(market["cryptoMarketConfig"]["twapEnabled"], true);
    assert_eq!(market["cryptoMarketConfig"]["twapLookbackSeconds"], 60);
    assert_eq!(
        market["resolutionSource"],
        "https://data.chain.link/streams/btc-usd-twap-60s-streams"
    );
    // The event of the open window publishes its price to beat (a number), which is the strike
    // the window settles against.
    let ok = wait_until(Duration::from_secs(3), || {
        let (_, ev) = http_json(&sim.http_url(), &format!("/events/slug/{}", w.slug));
        ev["eventMetadata"]["priceToBeat"].is_number()
    });
    assert!(ok, "no priceToBeat");
    let (_, ev) = http_json(&sim.http_url(), &format!("/events/slug/{}", w.slug));
    let strike = sim
        .current_window("BTC")
        .and_then(|x| x.strike)
        .expect("strike");
    // A JSON float: parsing it back may move the last bit.
    let ptb = ev["eventMetadata"]["priceToBeat"].as_f64().expect("number");
    assert!((ptb / strike - 1.0).abs() < 1e-12, "{ptb} vs {strike}");
    assert!(ev["eventMetadata"].get("finalPrice").is_none());
    // The next window has not opened: no price to beat yet.
    let next = w.start_s + (w.end_s - w.start_s);
    let (_, nev) = http_json(
        &sim.http_url(),
        &format!("/events/slug/btc-updown-15m-{next}"),
    );
    assert!(nev.get("eventMetadata").is_none(), "{nev}");
}

#[test]
fn data_api_v2_trades_have_the_captured_shape() {
    let sim = sim();
    // Generated wallets trade in about one 2-second slot in three: ask about several.
    let users = [
        "0x6031b6eed1c97e853c6e0f03ad3ce3529351f96d",
        "0x7f69983eb28245bba0d5083502a78744a8f66162",
        "0x589222a5124a96765443b97a3498d89ffd824ad2",
        "0x60aaaafa018e46cee26ead8afc8e5506d53b0df0",
        "0x29bc82f761749e67fa00d62896bc6855097b683c",
        "0xe00740bce98a594e265f3c07ff0b55a55ad47e4f",
    ];
    let mut body = Value::Null;
    let mut user = "";
    let ok = wait_until(Duration::from_secs(20), || {
        users.iter().any(|u| {
            let (s, b) = http_json(&sim.http_url(), &format!("/v2/trades?user={u}&limit=5"));
            body = b;
            user = u;
            s == 200 && body["data"].as_array().is_some_and(|d| !d.is_empty())
        })
    });
    assert!(ok, "no trades: {body}");
    let real_rows = venue!("data_api/v2_trades_pysdk.json");
    assert_eq!(shape(&body["data"][0]), shape(&real_rows[0]));
    let envelope = venue!("data_api/v2_trades_envelope_nautilus.json");
    assert_eq!(shape(&body["pagination"]), shape(&envelope["pagination"]));
    assert_eq!(body["data"][0]["proxy_wallet"], user);
}

#[test]
fn data_api_positions_have_the_captured_shape_and_the_clob_balances() {
    use cassandra::clob::order::Address;
    use cassandra::sim::WalletKind;
    let sim = sim();
    let owner = Address::from_bytes([0x51; 20]);
    let wallet = Address::from_bytes([0x52; 20]);
    sim.clob().add_wallet(owner, wallet, WalletKind::Proxy);
    let mut w = None;
    assert!(wait_until(Duration::from_secs(10), || {
        w = sim.current_window("BTC");
        w.is_some()
    }));
    let w = w.unwrap();
    sim.clob().give_tokens(&wallet, &w.up_token, 2_500_000);
    sim.clob().give_tokens(&wallet, &w.down_token, 400_000);
    // Default `sizeThreshold` 1: the 0.4-share position is left out, as the venue does.
    let (s, body) = http_json(&sim.http_url(), &format!("/positions?user={wallet}"));
    assert_eq!(s, 200, "{body}");
    let rows = body.as_array().expect("a bare array").clone();
    assert_eq!(rows.len(), 1, "{body}");
    let real = venue!("data_api/v2_positions_pysdk.json");
    assert_eq!(shape(&rows[0]), shape(&real[0]));
    assert_eq!(rows[0]["token_id"], w.up_token.as_str());
    assert_eq!(rows[0]["condition_id"], w.condition_id.as_str());
    assert_eq!(rows[0]["current_size"], json!(2.5));
    assert_eq!(rows[0]["proxy_wallet"], wallet.to_string());
    assert_eq!(rows[0]["outcome"], "Up");
    assert_eq!(rows[0]["opposite_token_id"], w.down_token.as_str());
    let (_, all) = http_json(
        &sim.http_url(),
        &format!("/positions?user={wallet}&sizeThreshold=0"),
    );
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["current_size"] == json!(0.4) && r["outcome"] == "Down"));
    let (_, page) = http_json(
        &sim.http_url(),
        &format!("/positions?user={wallet}&sizeThreshold=0&limit=1&offset=1"),
    );
    assert_eq!(page.as_array().unwrap().len(), 1, "{page}");
    // Bad requests are refused with the reason; an unknown wallet holds nothing.
    for q in [
        "",
        "?user=0x12",
        "?user=0x5252525252525252525252525252525252525252&limit=-1",
    ] {
        let (s, b) = http_json(&sim.http_url(), &format!("/positions{q}"));
        assert_eq!(s, 400, "{q}: {b}");
        assert!(b["error"].is_string(), "{b}");
    }
    let (s, none) = http_json(
        &sim.http_url(),
        "/positions?user=0x5353535353535353535353535353535353535353",
    );
    assert_eq!((s, none), (200, json!([])));
}

#[test]
fn clob_market_record_has_the_documented_types_for_the_keys_read() {
    let sim = sim();
    let w = sim.current_window("BTC").expect("window");
    let (s, body) = http_json(
        &sim.http_url(),
        &format!("/clob-markets/{}", w.condition_id),
    );
    assert_eq!(s, 200);
    let docs = venue!("clob_markets/clob_market_details_docs.json");
    // The keys discovery reads, with the documented types.
    for k in ["mts", "mos", "fd", "t"] {
        assert_eq!(shape(&body[k]), shape(&docs[k]), "{k}: {body}");
    }
}
