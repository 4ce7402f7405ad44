//! The simulated user channel (`/ws/user`): after an authenticated subscribe, the key's
//! `order` events (PLACEMENT, UPDATE, CANCELLATION) and a `trade` event for each status its
//! trades go through (MATCHED → MINED → CONFIRMED, or → FAILED); bad credentials are closed.

mod venue_clob_common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use cassandra::clob::order::{OrderType, Side};
use cassandra::sim::clob::LifecycleConfig;
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};
use venue_clob_common::{px_u6, Trader, Venue};

type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

fn open(v: &Venue, t: &Trader, secret: &str) -> Ws {
    let url = format!("{}/ws/user", v.sim.http_url().replacen("http", "ws", 1));
    let (mut ws, _) = tungstenite::connect(url).expect("connect");
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
    }
    let sub = json!({
        "type": "user",
        "markets": [],
        "auth": {"apiKey": t.creds.api_key(), "secret": secret, "passphrase": t.creds.passphrase()},
    });
    ws.send(Message::Text(sub.to_string().into())).unwrap();
    ws
}

/// Events until `done` holds for the list, or 5 s.
fn collect(ws: &mut Ws, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let t0 = Instant::now();
    let mut got = Vec::new();
    while !done(&got) && t0.elapsed() < Duration::from_secs(5) {
        match ws.read() {
            Ok(Message::Text(t)) => got.push(serde_json::from_str(t.as_str()).unwrap()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("user channel: {e}"),
        }
    }
    got
}

fn trade_statuses(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event_type"] == "trade")
        .map(|e| e["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn orders_and_trades_are_pushed_as_they_change() {
    let v = Venue::start();
    let t = v.eoa_trader(0x61);
    v.sim.clob().fund(&t.maker, 1_000_000_000);
    v.sim.clob().set_lifecycle(LifecycleConfig {
        mined_after_ms: 300,
        confirmed_after_ms: 700,
        ..LifecycleConfig::default()
    });
    let mut ws = open(&v, &t, t.creds.secret());
    std::thread::sleep(Duration::from_millis(200));
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    let id = a.json()["orderID"].as_str().unwrap().to_string();
    let trade_id = a.json()["tradeIDs"][0].as_str().unwrap().to_string();
    let events = collect(&mut ws, |e| {
        trade_statuses(e).contains(&"CONFIRMED".to_string())
    });
    assert_eq!(
        trade_statuses(&events),
        ["MATCHED", "MINED", "CONFIRMED"],
        "{events:?}"
    );
    let order = events
        .iter()
        .find(|e| e["event_type"] == "order")
        .expect("order event");
    assert_eq!(order["id"], id.as_str());
    assert_eq!(order["type"], "PLACEMENT");
    assert_eq!(order["status"], "MATCHED");
    let trade = events.iter().find(|e| e["event_type"] == "trade").unwrap();
    assert_eq!(trade["id"], trade_id.as_str());
    assert_eq!(trade["taker_order_id"], id.as_str());
    assert_eq!(trade["type"], "TRADE");
    assert_eq!(trade["trader_side"], "TAKER");
    // A resting order: placed, then cancelled.
    let bid = px_u6(v.book().best_bid().unwrap().price_e4);
    let a = v.post(&t, &v.body(&t, Side::Buy, bid, 10_000_000, OrderType::Gtc));
    let gtc = a.json()["orderID"].as_str().unwrap().to_string();
    v.request(
        &t,
        "DELETE",
        "/order",
        format!("{{\"orderID\":\"{gtc}\"}}").as_bytes(),
    );
    let events = collect(&mut ws, |e| e.iter().any(|x| x["type"] == "CANCELLATION"));
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| e["id"] == gtc.as_str())
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(kinds == ["PLACEMENT", "CANCELLATION"], "{kinds:?}");
    // A failed trade is pushed as FAILED.
    v.sim.faults().fail_next_trades(1);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    let events = collect(&mut ws, |e| {
        trade_statuses(e).contains(&"FAILED".to_string())
    });
    assert_eq!(
        trade_statuses(&events),
        ["MATCHED", "RETRYING", "FAILED"],
        "{events:?}"
    );
}

#[test]
fn bad_credentials_are_closed() {
    let v = Venue::start();
    let t = v.eoa_trader(0x62);
    let mut ws = open(&v, &t, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let t0 = Instant::now();
    loop {
        match ws.read() {
            Ok(Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => break,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
            Ok(m) => panic!("nothing but a close is sent: {m:?}"),
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "not closed");
    }
}
