//! The simulated CLOB's order and trade lifecycle, switched on from the tests: trades going
//! MATCHED → MINED → CONFIRMED, or → FAILED with their funds given back; `delayed` answers
//! matched later; a FAK that rests (`live`) and fills later; cancels; `GET /data/trades` and
//! `GET /data/order/{id}`; resting orders cancelled when heartbeats stop.

mod venue_clob_common;

use std::time::Duration;

use cassandra::clob::order::{OrderType, Side};
use cassandra::sim::clob::{LifecycleConfig, OrderStatus, TradeStatus};
use serde_json::Value;
use venue_clob_common::{px_u6, Trader, Venue};

fn quick() -> LifecycleConfig {
    LifecycleConfig {
        mined_after_ms: 400,
        confirmed_after_ms: 1_000,
        heartbeat_timeout_ms: 1_000,
        delayed_match_ms: 500,
    }
}

fn funded(v: &Venue, key_byte: u8) -> Trader {
    let t = v.eoa_trader(key_byte);
    v.sim.clob().fund(&t.maker, 1_000_000_000);
    v.sim.clob().set_lifecycle(quick());
    t
}

fn trade(v: &Venue, t: &Trader, id: &str) -> Value {
    let a = v.request(t, "GET", &format!("/data/trades?id={id}"), b"");
    assert_eq!(a.status, 200, "{}", a.text);
    let j = a.json();
    assert_eq!(j["count"], 1, "{j}");
    j["data"][0].clone()
}

fn order(v: &Venue, t: &Trader, id: &str) -> Value {
    let a = v.request(t, "GET", &format!("/data/order/{id}"), b"");
    assert_eq!(a.status, 200, "{}", a.text);
    a.json()
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[test]
fn a_trade_goes_matched_mined_confirmed() {
    let v = Venue::start();
    let t = funded(&v, 0x41);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 10_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    let j = a.json();
    let id = j["orderID"].as_str().unwrap().to_string();
    let trade_id = j["tradeIDs"][0].as_str().unwrap().to_string();
    let tr = trade(&v, &t, &trade_id);
    assert_eq!(tr["status"], "MATCHED");
    assert_eq!(tr["transaction_hash"], "", "no hash before it is mined");
    assert_eq!(tr["taker_order_id"], id.as_str());
    assert_eq!(tr["side"], "BUY");
    assert_eq!(tr["size"], "10");
    assert_eq!(tr["trader_side"], "TAKER");
    sleep_ms(600);
    let tr = trade(&v, &t, &trade_id);
    assert_eq!(tr["status"], "MINED");
    assert!(tr["transaction_hash"].as_str().unwrap().starts_with("0x"));
    sleep_ms(600);
    assert_eq!(trade(&v, &t, &trade_id)["status"], "CONFIRMED");
    let o = order(&v, &t, &id);
    assert_eq!(o["status"], "MATCHED");
    assert_eq!(o["size_matched"], "10");
    assert_eq!(o["associate_trades"][0], trade_id.as_str());
    // Another key sees neither the order nor the trade.
    let other = funded(&v, 0x42);
    let a = v.request(&other, "GET", &format!("/data/order/{id}"), b"");
    assert_eq!(a.status, 404);
    let a = v.request(&other, "GET", "/data/trades", b"");
    assert_eq!(a.json()["count"], 0);
}

#[test]
fn a_failed_trade_gives_its_funds_back() {
    let v = Venue::start();
    let t = funded(&v, 0x43);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    v.sim.faults().fail_next_trades(1);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 10_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["status"], "matched", "a match is not final");
    let trade_id = a.json()["tradeIDs"][0].as_str().unwrap().to_string();
    let b = v.sim.clob().balance(&t.maker).unwrap();
    assert_eq!(b.pusd_u6, 1_000_000_000 - 10 * ask);
    assert!(b.tokens[0].1 > 0);
    sleep_ms(600);
    assert_eq!(trade(&v, &t, &trade_id)["status"], "RETRYING");
    sleep_ms(600);
    assert_eq!(trade(&v, &t, &trade_id)["status"], "FAILED");
    let b = v.sim.clob().balance(&t.maker).unwrap();
    assert_eq!(b.pusd_u6, 1_000_000_000, "the pUSD came back");
    assert_eq!(b.cached_pusd_u6, 1_000_000_000);
    assert_eq!(b.tokens, vec![(v.token.clone(), 0)], "the tokens went");
    // The next trade is not forced to fail; with the probability at 100 % every one does.
    v.sim.faults().set_trade_failure_ppm(1_000_000);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    let trades = v.sim.clob().trades();
    assert_eq!(trades.len(), 2);
    assert!(trades[0].0.fails && trades[1].0.fails);
    v.sim.faults().set_trade_failure_ppm(0);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    sleep_ms(1_100);
    v.sim.settle_clob();
    let statuses: Vec<TradeStatus> = v.sim.clob().trades().iter().map(|(_, s)| *s).collect();
    assert_eq!(
        statuses,
        [
            TradeStatus::Failed,
            TradeStatus::Failed,
            TradeStatus::Confirmed
        ]
    );
}

#[test]
fn a_delayed_order_is_matched_later() {
    let v = Venue::start();
    let t = funded(&v, 0x44);
    let book = v.book();
    let ask = px_u6(book.best_ask().unwrap().price_e4);
    v.sim.faults().set_delayed_orders(2);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    let j = a.json();
    assert_eq!(
        (j["status"].as_str(), j["makingAmount"].as_str()),
        (Some("delayed"), Some(""))
    );
    let id = j["orderID"].as_str().unwrap().to_string();
    assert_eq!(order(&v, &t, &id)["status"], "DELAYED");
    // A FOK larger than the whole best level, delayed: killed when its turn comes.
    let big = book.best_ask().unwrap().size_e2 * 10_000 + 5_000_000;
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, big, OrderType::Fok));
    let fok = a.json()["orderID"].as_str().unwrap().to_string();
    assert_eq!(a.json()["status"], "delayed");
    sleep_ms(700);
    let o = order(&v, &t, &id);
    assert_eq!(o["status"], "MATCHED", "{o}");
    // The share leg of a market BUY: 5 shares, or a little more for the cent rounded up.
    assert_eq!(o["size_matched"], o["original_size"]);
    assert_eq!(o["associate_trades"].as_array().unwrap().len(), 1);
    assert_eq!(order(&v, &t, &fok)["status"], "UNMATCHED");
    let shares = v.sim.clob().order(&id).unwrap().matched_u6;
    assert!((5_000_000..5_020_000).contains(&shares), "{shares}");
    assert_eq!(
        v.sim.clob().balance(&t.maker).unwrap().pusd_u6,
        1_000_000_000 - shares * ask / 1_000_000
    );
}

#[test]
fn a_fak_that_rests_fills_later_or_is_cancelled() {
    let v = Venue::start();
    let t = funded(&v, 0x45);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    v.sim.faults().rest_next_faks(2, 600);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.json()["status"], "live", "{}", a.text);
    let rested = a.json()["orderID"].as_str().unwrap().to_string();
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 6_000_000, OrderType::Fak));
    let cancelled = a.json()["orderID"].as_str().unwrap().to_string();
    assert_eq!(order(&v, &t, &rested)["status"], "LIVE");
    // Cancel the second before its turn.
    let body = format!("{{\"orderID\":\"{cancelled}\"}}");
    let a = v.request(&t, "DELETE", "/order", body.as_bytes());
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.json(),
        serde_json::json!({"canceled": [cancelled.clone()], "not_canceled": {}})
    );
    let a = v.request(&t, "DELETE", "/order", body.as_bytes());
    assert_eq!(a.json()["canceled"], serde_json::json!([]));
    sleep_ms(800);
    let o = order(&v, &t, &rested);
    assert_eq!(o["status"], "MATCHED", "{o}");
    assert_eq!(o["size_matched"], o["original_size"]);
    let tr = trade(&v, &t, o["associate_trades"][0].as_str().unwrap());
    assert_eq!(
        tr["trader_side"], "MAKER",
        "it was on the book when it filled"
    );
    let o = order(&v, &t, &cancelled);
    assert_eq!(
        (o["status"].as_str(), o["size_matched"].as_str()),
        (Some("CANCELED"), Some("0"))
    );
    assert_eq!(v.sim.clob().trades().len(), 1);
}

#[test]
fn resting_orders_are_cancelled_when_heartbeats_stop() {
    let v = Venue::start();
    let t = funded(&v, 0x46);
    let quiet = funded(&v, 0x47);
    let bid = px_u6(v.book().best_bid().unwrap().price_e4);
    let rest = |who: &Trader| {
        let a = v.post(
            who,
            &v.body(who, Side::Buy, bid, 10_000_000, OrderType::Gtc),
        );
        assert_eq!(a.json()["status"], "live", "{}", a.text);
        a.json()["orderID"].as_str().unwrap().to_string()
    };
    let id = rest(&t);
    let never = rest(&quiet);
    for _ in 0..4 {
        let a = v.request(&t, "POST", "/v1/heartbeats", b"{\"heartbeat_id\":\"\"}");
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.json()["heartbeat_id"].as_str().unwrap().len(), 36);
        sleep_ms(300);
    }
    assert_eq!(order(&v, &t, &id)["status"], "LIVE", "kept alive");
    sleep_ms(1_300);
    assert_eq!(
        order(&v, &t, &id)["status"],
        "CANCELED",
        "heartbeats stopped"
    );
    assert_eq!(v.sim.clob().heartbeat_cancels(), 1);
    // A key that never sent a heartbeat is not on the dead-man switch.
    assert_eq!(order(&v, &quiet, &never)["status"], "LIVE");
    // Its resting BUY held pUSD; cancel-all releases it.
    let a = v.request(&quiet, "DELETE", "/cancel-all", b"");
    assert_eq!(
        a.json(),
        serde_json::json!({"canceled": [never.clone()], "not_canceled": {}})
    );
    assert_eq!(
        v.sim.clob().order(&never).unwrap().status,
        OrderStatus::Canceled
    );
    assert_eq!(v.sim.clob().order(&never).unwrap().reserved_pusd_u6(), 0);
}

#[test]
fn trades_are_filtered_by_match_time() {
    let v = Venue::start();
    let t = funded(&v, 0x47);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 10_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    let now = venue_clob_common::now_s();
    let count = |q: &str| {
        let a = v.request(&t, "GET", &format!("/data/trades{q}"), b"");
        assert_eq!(a.status, 200, "{}", a.text);
        a.json()["count"].as_u64().unwrap()
    };
    assert_eq!(count(""), 1);
    assert_eq!(count(&format!("?after={}", now - 60)), 1);
    assert_eq!(
        count(&format!("?after={}", now + 60)),
        0,
        "matched before `after`"
    );
    assert_eq!(
        count(&format!("?before={}", now - 60)),
        0,
        "matched after `before`"
    ); // The maker filter, as checksummed, lower-case or another wallet (a keccak per trade
       // is not what decides it).
    let maker = t.maker.as_str().to_string();
    assert_eq!(count(&format!("?maker_address={maker}")), 1);
    assert_eq!(
        count(&format!("?maker_address={}", maker.to_ascii_lowercase())),
        1
    );
    assert_eq!(
        count("?maker_address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        0,
        "another wallet"
    );
    assert_eq!(count("?maker_address=nonsense"), 0);
}
