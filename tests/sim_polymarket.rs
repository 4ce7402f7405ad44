//! The simulator's Polymarket market channel over a real socket, checked against a tiny
//! reference book kept by the test.

mod sim_common;
use sim_common as common;

use cassandra::sim::book::book_hash;
use cassandra::sim::{SimBook, SimConfig, SimLevel, Simulator};
use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn sim(update_hz: f64) -> Simulator {
    Simulator::start(SimConfig {
        poly_update_hz: update_hz,
        ..SimConfig::default()
    })
    .expect("start simulator")
}

/// "0.48" → 4800 (1e-4 units); "120.5" with scale 100 → 12050.
fn parse_fixed(s: &str, decimals: usize) -> u64 {
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    assert!(f.len() <= decimals, "{s} has too many decimals");
    let frac = format!("{f:0<decimals$}");
    let i: u64 = i.parse().expect("integer part");
    let f: u64 = if decimals == 0 {
        0
    } else {
        frac.parse().expect("fraction")
    };
    i * 10u64.pow(decimals as u32) + f
}

fn levels(v: &Value) -> Vec<SimLevel> {
    v.as_array()
        .expect("levels")
        .iter()
        .map(|l| SimLevel {
            price_e4: parse_fixed(l["price"].as_str().expect("price"), 4) as u32,
            size_e2: parse_fixed(l["size"].as_str().expect("size"), 2),
        })
        .collect()
}

/// The test's own book, best first.
#[derive(Debug, Default, Clone, PartialEq)]
struct RefBook {
    bids: Vec<SimLevel>,
    asks: Vec<SimLevel>,
}

impl RefBook {
    fn from_book_event(ev: &Value) -> RefBook {
        let mut bids = levels(&ev["bids"]);
        let mut asks = levels(&ev["asks"]);
        // The wire lists the best level last: bids ascending, asks descending.
        assert!(
            bids.windows(2).all(|w| w[0].price_e4 < w[1].price_e4),
            "{ev}"
        );
        assert!(
            asks.windows(2).all(|w| w[0].price_e4 > w[1].price_e4),
            "{ev}"
        );
        bids.reverse();
        asks.reverse();
        RefBook { bids, asks }
    }

    fn apply(&mut self, side: &str, price_e4: u32, size_e2: u64) {
        let bid = side == "BUY";
        let levels = if bid { &mut self.bids } else { &mut self.asks };
        levels.retain(|l| l.price_e4 != price_e4);
        if size_e2 > 0 {
            let at = levels.partition_point(|l| {
                if bid {
                    l.price_e4 > price_e4
                } else {
                    l.price_e4 < price_e4
                }
            });
            levels.insert(at, SimLevel { price_e4, size_e2 });
        }
    }

    fn hash(&self) -> String {
        book_hash(&self.bids, &self.asks)
    }

    fn same_as(&self, b: &SimBook) -> bool {
        self.bids == b.bids && self.asks == b.asks
    }
}

/// Every event of a frame (a frame may be one event or an array of them).
fn events(frame: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(frame).expect("JSON frame") {
        Value::Array(a) => a,
        v => vec![v],
    }
}

/// Apply a frame's events to the books; returns the number of price changes applied.
fn apply_frame(books: &mut HashMap<String, RefBook>, frame: &str) -> usize {
    let mut n = 0;
    for ev in events(frame) {
        match ev["event_type"].as_str() {
            Some("book") => {
                let id = ev["asset_id"].as_str().expect("asset_id").to_string();
                let b = RefBook::from_book_event(&ev);
                assert_eq!(b.hash(), ev["hash"], "book hash");
                books.insert(id, b);
            }
            Some("price_change") => {
                assert!(ev["market"].as_str().is_some_and(|m| m.starts_with("0x")));
                assert!(ev["timestamp"]
                    .as_str()
                    .is_some_and(|t| t.parse::<u64>().is_ok()));
                let changes = ev["price_changes"].as_array().expect("price_changes");
                assert!(!changes.is_empty());
                for c in changes {
                    let id = c["asset_id"].as_str().expect("asset_id");
                    let book = books.get_mut(id).expect("change for a subscribed token");
                    let side = c["side"].as_str().expect("side");
                    assert!(side == "BUY" || side == "SELL");
                    book.apply(
                        side,
                        parse_fixed(c["price"].as_str().expect("price"), 4) as u32,
                        parse_fixed(c["size"].as_str().expect("size"), 2),
                    );
                    n += 1;
                }
                // After all of a token's changes the book hashes to what the venue says.
                let last = changes.last().expect("one change");
                let id = last["asset_id"].as_str().unwrap_or("");
                let book = &books[id];
                assert_eq!(book.hash(), last["hash"], "hash after price_change {ev}");
                let best_bid = book.bids.first().map_or(0, |l| l.price_e4);
                assert_eq!(
                    parse_fixed(last["best_bid"].as_str().unwrap_or(""), 4) as u32,
                    best_bid
                );
                if let Some(a) = book.asks.first() {
                    assert_eq!(
                        parse_fixed(last["best_ask"].as_str().unwrap_or(""), 4) as u32,
                        a.price_e4
                    );
                }
            }
            Some("last_trade_price") => {
                for k in [
                    "asset_id",
                    "market",
                    "price",
                    "side",
                    "size",
                    "fee_rate_bps",
                    "timestamp",
                ] {
                    assert!(ev[k].is_string(), "{k} in {ev}");
                }
            }
            Some("tick_size_change") => {
                assert!(ev["old_tick_size"].is_string() && ev["new_tick_size"].is_string());
            }
            other => panic!("unexpected event {other:?}: {ev}"),
        }
    }
    n
}

fn subscribe(ws: &mut Ws, tokens: &[&str]) {
    let msg = serde_json::json!({
        "type": "market", "operation": "subscribe", "markets": [],
        "assets_ids": tokens, "initial_dump": true,
    });
    send_text(ws, &msg.to_string());
}

#[test]
fn book_then_price_changes_track_the_sim_book() {
    let sim = sim(20.0);
    let w = sim.current_window("BTC").expect("current BTC window");
    let mut ws = ws_connect(&format!("{}/ws/market", sim.poly_ws_url()));
    subscribe(&mut ws, &[&w.up_token, &w.down_token]);
    let first = expect_text(&mut ws, Duration::from_secs(2));
    let evs = events(&first);
    assert_eq!(evs.len(), 2, "one book per token in one array");
    assert!(evs
        .iter()
        .all(|e| e["event_type"] == "book" && e["market"] == w.condition_id.as_str()));
    let mut books = HashMap::new();
    apply_frame(&mut books, &first);
    // UP and DOWN are complements.
    let (up, down) = (&books[&w.up_token], &books[&w.down_token]);
    assert_eq!(up.bids[0].price_e4 + down.asks[0].price_e4, 10_000);
    let mut changes = 0;
    let until = Instant::now() + Duration::from_millis(1200);
    while let Got::Text(f) = next_text(&mut ws, until) {
        changes += apply_frame(&mut books, &f);
    }
    assert!(changes >= 10, "only {changes} level changes in 1.2 s");
    // The books match the simulator's own at some point soon (it may be one update ahead).
    let in_sync = wait_until(Duration::from_secs(3), || {
        if let Got::Text(f) = next_text(&mut ws, Instant::now() + Duration::from_millis(5)) {
            apply_frame(&mut books, &f);
        }
        [&w.up_token, &w.down_token].iter().all(|t| {
            sim.poly_book(t)
                .is_some_and(|b| books[t.as_str()].same_as(&b))
        })
    });
    assert!(in_sync, "client books never matched the simulator's");
}

#[test]
fn text_ping_gets_pong() {
    let sim = sim(5.0);
    let mut ws = ws_connect(&format!("{}/ws/market", sim.poly_ws_url()));
    send_text(&mut ws, "PING");
    assert_eq!(expect_text(&mut ws, Duration::from_secs(2)), "PONG");
    assert_eq!(sim.stats().poly.text_pings_answered(), 1);
}

#[test]
fn subscriptions_are_recorded_and_unknown_tokens_ignored() {
    let sim = sim(5.0);
    let w = sim.current_window("ETH").expect("window");
    let mut ws = ws_connect(&format!("{}/ws/market", sim.poly_ws_url()));
    // The short initial form, without "operation".
    let msg = serde_json::json!({"type": "market", "assets_ids": ["12345", w.up_token]});
    send_text(&mut ws, &msg.to_string());
    let ev = expect_json(&mut ws, Duration::from_secs(2));
    assert_eq!(
        ev["event_type"], "book",
        "a single book, not an array: {ev}"
    );
    assert_eq!(ev["asset_id"], w.up_token.as_str());
    // Later subscribe and unsubscribe messages.
    let sub = serde_json::json!({"operation": "subscribe", "assets_ids": [w.down_token]});
    send_text(&mut ws, &sub.to_string());
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut got_down_book = false;
    while let Got::Text(f) = next_text(&mut ws, deadline) {
        if events(&f)
            .iter()
            .any(|e| e["event_type"] == "book" && e["asset_id"] == w.down_token.as_str())
        {
            got_down_book = true;
            break;
        }
    }
    assert!(got_down_book);
    let unsub =
        serde_json::json!({"operation": "unsubscribe", "assets_ids": [w.up_token, w.down_token]});
    send_text(&mut ws, &unsub.to_string());
    drain(&mut ws, Duration::from_millis(100));
    assert!(matches!(
        next_text(&mut ws, Instant::now() + Duration::from_millis(500)),
        Got::Timeout
    ));
    assert_eq!(
        sim.stats().poly_subscriptions(),
        vec![
            vec!["12345".to_string(), w.up_token.clone()],
            vec![w.down_token.clone()]
        ]
    );
}

#[test]
fn gamma_tokens_are_served_on_the_market_channel() {
    let sim = sim(5.0);
    let w = sim.current_window("SOL").expect("window");
    for start in [w.start_s, w.end_s] {
        let (status, ev) = http_json(
            &sim.http_url(),
            &format!("/events/slug/sol-updown-15m-{start}"),
        );
        assert_eq!(status, 200);
        let ids: Vec<String> = serde_json::from_str(
            ev["markets"][0]["clobTokenIds"]
                .as_str()
                .expect("clobTokenIds"),
        )
        .expect("ids");
        assert_eq!(ids.len(), 2);
        let mut ws = ws_connect(&format!("{}/ws/market", sim.poly_ws_url()));
        subscribe(&mut ws, &[&ids[0], &ids[1]]);
        let evs = events(&expect_text(&mut ws, Duration::from_secs(2)));
        let served: Vec<&str> = evs.iter().filter_map(|e| e["asset_id"].as_str()).collect();
        assert_eq!(served, vec![ids[0].as_str(), ids[1].as_str()]);
    }
}

#[test]
fn stall_malformed_and_drop() {
    let sim = sim(20.0);
    let w = sim.current_window("BTC").expect("window");
    let mut ws = ws_connect(&format!("{}/ws/market", sim.poly_ws_url()));
    subscribe(&mut ws, &[&w.up_token]);
    expect_text(&mut ws, Duration::from_secs(2));
    sim.faults().set_stall_poly(true);
    drain(&mut ws, Duration::from_millis(100));
    send_text(&mut ws, "PING");
    assert!(matches!(
        next_text(&mut ws, Instant::now() + Duration::from_millis(300)),
        Got::Timeout
    ));
    sim.faults().set_stall_poly(false);
    // The PONG withheld during the stall comes first.
    assert_eq!(expect_text(&mut ws, Duration::from_secs(2)), "PONG");

    sim.faults().inject_malformed_poly();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut bad = 0;
    let mut unknown = 0;
    while let Got::Text(f) = next_text(&mut ws, deadline) {
        match serde_json::from_str::<Value>(&f) {
            Err(_) => bad += 1,
            Ok(v)
                if v["event_type"] != "price_change"
                    && v["event_type"] != "last_trade_price"
                    && v["event_type"] != "tick_size_change" =>
            {
                unknown += 1
            }
            Ok(_) => {}
        }
        if bad == 1 && unknown == 1 {
            break;
        }
    }
    assert_eq!((bad, unknown), (1, 1));

    sim.faults().drop_poly();
    let deadline = Instant::now() + Duration::from_secs(2);
    let closed = loop {
        match next_text(&mut ws, deadline) {
            Got::Text(_) => continue,
            Got::Closed(_) => break true,
            Got::Timeout => break false,
        }
    };
    assert!(closed);
    let mut again = ws_connect(&format!("{}/ws/market", sim.poly_ws_url()));
    send_text(&mut again, "PING");
    assert_eq!(expect_text(&mut again, Duration::from_secs(2)), "PONG");
    assert_eq!(sim.stats().poly.connections(), 2);
}
