//! The user channel (`/ws/user`, on the simulator's HTTP port): `trade` and `order` events of
//! one API key, as the venue pushes them (docs: WSS user channel; shapes follow
//! NautilusTrader's Polymarket fixtures `ws_user_trade.json`, `ws_user_order_placement.json`,
//! plus `event_type`).
//!
//! The client sends `{"type":"user","markets":[condition ids],"auth":{"apiKey","secret",
//! "passphrase"}}` within 10 s (an empty `markets` means all); bad credentials close the
//! connection. From then on it gets an `order` event when one of the key's orders is placed
//! (`PLACEMENT`), fills (`UPDATE`) or is cancelled (`CANCELLATION`), and a `trade` event each
//! time one of its trades changes status (MATCHED, MINED, CONFIRMED, RETRYING, FAILED). Only
//! changes after the subscription are sent. Text `PING` is answered `PONG`. The channel
//! settles the lifecycle every 50 ms, so statuses move on their own.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};

use super::lifecycle::{settle, OrderStatus, SimOrder, SimTrade, TradeStatus};
use super::routes::St;
use crate::clob::amounts::Units;
use crate::clob::order::Address;
use crate::sim::Shared;

const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(10);
const TICK: Duration = Duration::from_millis(50);

pub(crate) async fn connect(State(sh): St, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(sh, socket))
}

/// The API key a subscribe message authenticates, and its market filter.
fn subscribe(sh: &Shared, text: &str) -> Option<(String, Vec<String>)> {
    let v: Value = serde_json::from_str(text).ok()?;
    if v.get("type").and_then(Value::as_str)? != "user" {
        return None;
    }
    let auth = v.get("auth")?;
    let key = auth.get("apiKey").and_then(Value::as_str)?;
    let st = sh.clob.state();
    let entry = st.keys.get(key)?;
    let ok = auth.get("secret").and_then(Value::as_str) == Some(entry.creds.secret())
        && auth.get("passphrase").and_then(Value::as_str) == Some(entry.creds.passphrase());
    let markets = v
        .get("markets")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|x| x.as_str().map(str::to_lowercase))
                .collect()
        })
        .unwrap_or_default();
    ok.then(|| (key.to_string(), markets))
}

fn order_event(o: &SimOrder, kind: &str, now_ms: u64) -> Value {
    json!({
        "event_type": "order",
        "asset_id": o.token,
        "associate_trades": o.trade_ids,
        "created_at": (o.created_s * 1000).to_string(),
        "expiration": o.expiration_s.to_string(),
        "id": o.id,
        "maker_address": Address::from_bytes(o.wallet).as_str(),
        "market": o.market,
        "order_owner": o.api_key,
        "order_type": o.order_type.as_str(),
        "original_size": Units(o.original_u6).to_string(),
        "outcome": o.outcome,
        "owner": o.api_key,
        "price": Units(o.price_u6).to_string(),
        "side": o.side.as_str(),
        "size_matched": Units(o.matched_u6).to_string(),
        "status": o.status.wire(),
        "timestamp": now_ms.to_string(),
        "type": kind,
    })
}

fn trade_event(t: &SimTrade, status: TradeStatus, now_ms: u64) -> Value {
    let mut v = super::queries::trade_json(t, now_ms);
    if let Some(m) = v.as_object_mut() {
        m.insert("event_type".into(), json!("trade"));
        m.insert("type".into(), json!("TRADE"));
        m.insert("status".into(), json!(status.wire()));
        m.insert("trade_owner".into(), json!(t.api_key));
        m.insert("timestamp".into(), json!(now_ms.to_string()));
    }
    v
}

/// What changed since the last look, as events; `seen` is updated.
fn changes(
    sh: &Shared,
    key: &str,
    markets: &[String],
    seen_orders: &mut HashMap<String, (OrderStatus, u64)>,
    seen_trades: &mut HashMap<String, TradeStatus>,
) -> Vec<Value> {
    let now_ms = crate::clock::wall_ms();
    let wanted = |m: &str| markets.is_empty() || markets.iter().any(|x| x.eq_ignore_ascii_case(m));
    let st = sh.clob.state();
    let mut out = Vec::new();
    // Only what changed is collected and sorted: a session's orders pile up, and this runs
    // every tick under the CLOB's lock (sorting every order, ids cloned, held `POST /order` up
    // for a growing time: perf/plans/NOTES.md).
    let mut orders: Vec<&SimOrder> = st
        .life
        .orders
        .values()
        .filter(|o| {
            o.api_key == key
                && wanted(&o.market)
                && seen_orders.get(&o.id) != Some(&(o.status, o.matched_u6))
        })
        .collect();
    orders.sort_by(|a, b| (a.created_s, &a.id).cmp(&(b.created_s, &b.id)));
    for o in orders {
        let now = (o.status, o.matched_u6);
        let before = seen_orders.get(&o.id).copied();
        if before.is_none() {
            out.push(order_event(o, "PLACEMENT", now_ms));
        }
        // Cancelled since the last look (even before it was first seen).
        if o.status == OrderStatus::Canceled {
            out.push(order_event(o, "CANCELLATION", now_ms));
        } else if before.is_some() {
            out.push(order_event(o, "UPDATE", now_ms));
        }
        seen_orders.insert(o.id.clone(), now);
    }
    for t in st
        .life
        .trades
        .iter()
        .filter(|t| t.api_key == key && wanted(&t.market))
    {
        let status = t.status_at(now_ms);
        if seen_trades.get(&t.id) != Some(&status) {
            out.push(trade_event(t, status, now_ms));
            seen_trades.insert(t.id.clone(), status);
        }
    }
    out
}

async fn session(sh: Arc<Shared>, mut socket: WebSocket) {
    let (key, markets) = loop {
        match tokio::time::timeout(SUBSCRIBE_TIMEOUT, socket.recv()).await {
            Ok(Some(Ok(Message::Text(t)))) if t.as_str() == "PING" => {
                if socket.send(Message::Text("PONG".into())).await.is_err() {
                    return;
                }
            }
            Ok(Some(Ok(Message::Text(t)))) => match subscribe(&sh, t.as_str()) {
                Some(s) => break s,
                None => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            },
            Ok(Some(Ok(_))) => {}
            _ => return,
        }
    };
    // Only what happens from now on is news.
    let mut seen_orders = HashMap::new();
    let mut seen_trades = HashMap::new();
    settle(&sh);
    let _ = changes(&sh, &key, &markets, &mut seen_orders, &mut seen_trades);
    loop {
        tokio::select! {
            m = socket.recv() => match m {
                Some(Ok(Message::Text(t))) if t.as_str() == "PING" => {
                    if socket.send(Message::Text("PONG".into())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = tokio::time::sleep(TICK) => {
                if sh.stopping() {
                    return;
                }
                settle(&sh);
                for e in changes(&sh, &key, &markets, &mut seen_orders, &mut seen_trades) {
                    if socket.send(Message::Text(e.to_string().into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
