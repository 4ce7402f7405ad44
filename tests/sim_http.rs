//! The simulator's HTTP server: Gamma, CLOB public REST, Binance klines and HTTP faults.

mod sim_common;
use sim_common as common;

use cassandra::sim::{SimConfig, Simulator};
use common::*;
use serde_json::Value;

fn sim() -> Simulator {
    Simulator::start(SimConfig::default()).expect("start simulator")
}

#[test]
fn gamma_event_and_market_for_the_current_window() {
    let sim = sim();
    let w = sim.current_window("BTC").expect("window");
    assert_eq!(w.slug, format!("btc-updown-15m-{}", w.start_s));
    let (status, ev) = http_json(&sim.http_url(), &format!("/events/slug/{}", w.slug));
    assert_eq!(status, 200);
    assert_eq!(ev["slug"], w.slug.as_str());
    assert!(ev["title"]
        .as_str()
        .unwrap_or("")
        .starts_with("Bitcoin Up or Down - "));
    assert!(ev["id"].is_string());
    let m = &ev["markets"][0];
    assert_eq!(m["conditionId"], w.condition_id.as_str());
    let ids: Vec<String> =
        serde_json::from_str(m["clobTokenIds"].as_str().unwrap_or("")).expect("ids");
    assert_eq!(ids, vec![w.up_token.clone(), w.down_token.clone()]);
    let outcomes: Vec<String> =
        serde_json::from_str(m["outcomes"].as_str().unwrap_or("")).expect("outcomes");
    assert_eq!(outcomes, vec!["Up", "Down"]);
    let prices: Vec<String> =
        serde_json::from_str(m["outcomePrices"].as_str().unwrap_or("")).expect("prices");
    assert_eq!(prices.len(), 2);
    assert_eq!(m["orderPriceMinTickSize"], 0.01);
    assert_eq!(m["orderMinSize"], 5);
    assert_eq!(m["negRisk"], false);
    assert_eq!(m["acceptingOrders"], true);
    // Settles on the 60-second Chainlink TWAP by default, named as the real market names it
    // (tests/data/venue/gamma/market_btc_updown_5m_twap.json).
    assert_eq!(
        m["resolutionSource"],
        "https://data.chain.link/streams/btc-usd-twap-60s-streams"
    );
    assert_eq!(m["cryptoMarketConfig"]["twapLookbackSeconds"], 60);
    assert!(m["description"]
        .as_str()
        .unwrap_or("")
        .contains("greater than or equal to"));
    let iso = |k: &str| m[k].as_str().unwrap_or("").to_string();
    assert!(
        iso("endDate").ends_with('Z') && iso("endDate").len() == 20,
        "{}",
        iso("endDate")
    );
    assert_eq!(m["version"], "v1");
    let (status, mk) = http_json(&sim.http_url(), &format!("/markets/slug/{}", w.slug));
    assert_eq!(status, 200);
    assert_eq!(mk["conditionId"], w.condition_id.as_str());
    // The next window exists, the one after does not.
    let (s, _) = http_get(
        &sim.http_url(),
        &format!("/events/slug/btc-updown-15m-{}", w.end_s),
    );
    assert_eq!(s, 200);
    let (s, body) = http_json(
        &sim.http_url(),
        &format!("/events/slug/btc-updown-15m-{}", w.end_s + 900),
    );
    assert_eq!((s, body), (404, serde_json::json!({"error": "not found"})));
}

#[test]
fn clob_public_endpoints() {
    let sim = sim();
    let w = sim.current_window("XRP").expect("window");
    let (s, m) = http_json(
        &sim.http_url(),
        &format!("/clob-markets/{}", w.condition_id),
    );
    assert_eq!(s, 200);
    assert_eq!(m["c"], w.condition_id.as_str());
    assert_eq!(m["t"][0]["t"], w.up_token.as_str());
    assert_eq!(m["t"][0]["o"], "Up");
    assert_eq!(m["t"][1]["o"], "Down");
    assert_eq!(m["mts"], 0.01);
    assert_eq!(m["mos"], 5);
    assert_eq!(m["nr"], false);
    // The fee the simulated CLOB charges, the same curve Gamma publishes as `feeSchedule`.
    assert_eq!(m["fd"], serde_json::json!({"r": 0.07, "e": 1, "to": true}));
    let (s, _) = http_get(&sim.http_url(), "/clob-markets/0xdead");
    assert_eq!(s, 404);

    let (s, b) = http_json(&sim.http_url(), &format!("/book?token_id={}", w.down_token));
    assert_eq!(s, 200);
    assert_eq!(b["asset_id"], w.down_token.as_str());
    assert_eq!(b["market"], w.condition_id.as_str());
    assert!(b["bids"].as_array().is_some_and(|a| !a.is_empty()));
    // 40 hex digits, no `0x`, as the venue's captured book (tests/data/venue/polymarket).
    assert!(b["hash"]
        .as_str()
        .is_some_and(|h| h.len() == 40 && h.bytes().all(|c| c.is_ascii_hexdigit())));
    let (s, _) = http_get(&sim.http_url(), "/book?token_id=42");
    assert_eq!(s, 404);

    let (s, t) = http_get(&sim.http_url(), "/time");
    assert_eq!(s, 200);
    let t: u64 = t.trim().parse().expect("unix seconds");
    assert!(t.abs_diff(cassandra::clock::wall_ms() / 1000) < 5);
    assert_eq!(
        http_json(&sim.http_url(), "/version"),
        (200, serde_json::json!({"version": 2}))
    );
    assert_eq!(
        http_get(&sim.http_url(), "/ok"),
        (200, "\"OK\"".to_string())
    );
}

#[test]
fn klines_shape_limit_and_errors() {
    let sim = sim();
    let (s, k) = http_json(
        &sim.http_url(),
        "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5",
    );
    assert_eq!(s, 200);
    let rows = k.as_array().expect("array");
    assert_eq!(rows.len(), 5);
    let mut last_open = 0;
    for r in rows {
        let r = r.as_array().expect("row");
        assert_eq!(r.len(), 12);
        let open = r[0].as_u64().expect("open time");
        assert_eq!(open % 60_000, 0);
        assert!(open > last_open);
        last_open = open;
        assert_eq!(r[6].as_u64(), Some(open + 59_999));
        let px = |i: usize| {
            r[i].as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .expect("price string")
        };
        assert!(px(2) >= px(1).max(px(4)) && px(3) <= px(1).min(px(4)));
        assert!((px(4) / 97_000.0 - 1.0).abs() < 0.1);
        assert!(r[5].is_string() && r[7].is_string() && r[9].is_string() && r[10].is_string());
        assert!(r[8].is_u64());
        assert_eq!(r[11], "0");
    }
    // The last row is the bar in progress.
    assert!(last_open + 60_000 > cassandra::clock::wall_ms());

    let (_, k) = http_json(
        &sim.http_url(),
        "/api/v3/klines?symbol=ETHUSDT&interval=1s&limit=5000",
    );
    assert_eq!(
        k.as_array().map(Vec::len),
        Some(1000),
        "limit is capped at 1000"
    );
    let (_, k) = http_json(&sim.http_url(), "/api/v3/klines?symbol=SOLUSDT&interval=1m");
    let n = k.as_array().map_or(0, Vec::len);
    assert!((100..=500).contains(&n), "{n} rows with the default limit");

    let start = last_open - 10 * 60_000;
    let (_, k) = http_json(
        &sim.http_url(),
        &format!("/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={start}&limit=3"),
    );
    let opens: Vec<u64> = k
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .filter_map(|r| r[0].as_u64())
        .collect();
    assert_eq!(opens, vec![start, start + 60_000, start + 120_000]);
    let (_, k) = http_json(
        &sim.http_url(),
        &format!("/api/v3/klines?symbol=BTCUSDT&interval=1m&endTime={start}&limit=2"),
    );
    let opens: Vec<u64> = k
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .filter_map(|r| r[0].as_u64())
        .collect();
    assert_eq!(opens, vec![start - 60_000, start]);

    let (s, e) = http_json(
        &sim.http_url(),
        "/api/v3/klines?symbol=DOGEUSDT&interval=1m",
    );
    assert_eq!(
        (s, e),
        (
            400,
            serde_json::json!({"code": -1121, "msg": "Invalid symbol."})
        )
    );
    let (s, e) = http_json(&sim.http_url(), "/api/v3/klines?symbol=BTCUSDT&interval=7m");
    assert_eq!(s, 400);
    assert_eq!(e["code"], -1120);
}

#[test]
fn http_status_fault() {
    let sim = sim();
    sim.faults().set_http_status(Some(429));
    let (s, body) = http_get(&sim.http_url(), "/version");
    assert_eq!(s, 429);
    assert!(serde_json::from_str::<Value>(&body).is_ok());
    sim.faults().set_http_status(Some(503));
    assert_eq!(
        http_get(&sim.http_url(), "/api/v3/klines?symbol=BTCUSDT&interval=1m").0,
        503
    );
    sim.faults().set_http_status(None);
    assert_eq!(http_get(&sim.http_url(), "/version").0, 200);
    assert!(sim.stats().http_requests() >= 3);
}
