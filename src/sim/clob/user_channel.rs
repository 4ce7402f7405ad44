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

/// What a session has sent: how far it has read the order log and the trade list, and the
/// orders and trades whose last state sent can still change. Each look costs what is new or
/// still open, not the session's history (it runs every tick under the CLOB's lock).
#[derive(Default)]
struct Seen {
    next_order: usize,
    next_trade: usize,
    /// Orders last sent live or delayed, with the state sent.
    open_orders: HashMap<String, (OrderStatus, u64)>,
    /// Trades (indices) last sent in a status that can still change.
    open_trades: HashMap<usize, TradeStatus>,
}

fn order_can_change(s: OrderStatus) -> bool {
    matches!(s, OrderStatus::Live | OrderStatus::Delayed)
}

fn trade_can_change(s: TradeStatus) -> bool {
    !matches!(s, TradeStatus::Confirmed | TradeStatus::Failed)
}

/// What changed since the last look, as events; `seen` is updated.
fn changes(sh: &Shared, key: &str, markets: &[String], seen: &mut Seen) -> Vec<Value> {
    let now_ms = crate::clock::wall_ms();
    let wanted = |m: &str| markets.is_empty() || markets.iter().any(|x| x.eq_ignore_ascii_case(m));
    let st = sh.clob.state();
    let life = &st.life;
    let mut out = Vec::new();
    // New orders of this key, then the open ones that changed; in creation order.
    let mut orders: Vec<(&SimOrder, Option<(OrderStatus, u64)>)> = life.order_log
        [seen.next_order.min(life.order_log.len())..]
        .iter()
        .filter_map(|id| life.orders.get(id))
        .filter(|o| o.api_key == key && wanted(&o.market))
        .map(|o| (o, None))
        .collect();
    seen.next_order = life.order_log.len();
    for (id, before) in &seen.open_orders {
        if let Some(o) = life.orders.get(id) {
            if (o.status, o.matched_u6) != *before {
                orders.push((o, Some(*before)));
            }
        }
    }
    orders.sort_by(|(a, _), (b, _)| (a.created_s, &a.id).cmp(&(b.created_s, &b.id)));
    for (o, before) in orders {
        let now = (o.status, o.matched_u6);
        if before.is_none() {
            out.push(order_event(o, "PLACEMENT", now_ms));
        }
        // Cancelled since the last look (even before it was first seen).
        if o.status == OrderStatus::Canceled {
            out.push(order_event(o, "CANCELLATION", now_ms));
        } else if before.is_some() {
            out.push(order_event(o, "UPDATE", now_ms));
        }
        if order_can_change(o.status) {
            seen.open_orders.insert(o.id.clone(), now);
        } else {
            seen.open_orders.remove(&o.id);
        }
    }
    // Trades: the open ones and the new ones, in the order they were made.
    let mut trades: Vec<(usize, Option<TradeStatus>)> = seen
        .open_trades
        .iter()
        .map(|(i, s)| (*i, Some(*s)))
        .collect();
    trades.extend((seen.next_trade.min(life.trades.len())..life.trades.len()).map(|i| (i, None)));
    seen.next_trade = life.trades.len();
    trades.sort_unstable_by_key(|(i, _)| *i);
    for (i, before) in trades {
        let t = &life.trades[i];
        if before.is_none() && !(t.api_key == key && wanted(&t.market)) {
            continue;
        }
        let status = t.status_at(now_ms);
        if before != Some(status) {
            out.push(trade_event(t, status, now_ms));
        }
        if trade_can_change(status) {
            seen.open_trades.insert(i, status);
        } else {
            seen.open_trades.remove(&i);
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
    let mut seen = Seen::default();
    settle(&sh);
    let _ = changes(&sh, &key, &markets, &mut seen);
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
                for e in changes(&sh, &key, &markets, &mut seen) {
                    if socket.send(Message::Text(e.to_string().into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
