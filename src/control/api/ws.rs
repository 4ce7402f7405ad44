//! `/ws`: the live stream. Every message is `{"type": …, "data": …}`.
//!
//! One broadcaster task wakes every `api.ws_interval_ms`, copies what changed out of the control
//! state (at most one message per type and key per wake: that is the throttle every client
//! gets), serialises each message once and sends it into a `tokio::sync::broadcast` channel of
//! `api.ws_client_queue` messages. Each client task forwards from its own receiver. A client
//! that falls a whole queue behind (`Lagged`) or whose socket accepts nothing for
//! `api.ws_send_timeout_ms` is dropped and counted (`ws_dropped_slow` in `/metrics` and
//! `/health`); the broadcaster never waits for a client, so a slow one slows no one else.
//!
//! Types: `init` (a snapshot, first on every connection), `candle`, `trade`, `orderbook`,
//! `momentum`, `paper_signal` (each paper execution), `paper_account`, `latency`, and
//! `whale_trade`, `live_order`, `live_alert` from the control state's hook queues, and
//! `status` (mode, kill switch, breakers, feed health: see [`status`]) on every change and as a
//! heartbeat. The broadcaster also turns what changed into alerts for the panel ([`events`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::broadcast::{self, error::RecvError};

use super::routes::KillSwitchView;
use super::views::{self, AccountView, BookView, CandleView, MomentumView, OrderView, TradeView};
use super::{ApiError, App};
use crate::clock::wall_ms;
use crate::control::candles::Candle;
use crate::control::state::{Alert, LiveOrder};
use crate::control::whales::WhaleTrade;
use crate::control::ControlState;
use crate::telemetry::StageSummary;

pub mod events;
pub mod status;

pub use status::StatusView;

/// Candles per asset in `init`.
const INIT_CANDLES: usize = 120;
/// Latency goes out every this many broadcaster wakes.
const LATENCY_EVERY: u32 = 5;

/// The broadcast side of the stream.
pub struct Stream {
    pub tx: broadcast::Sender<Utf8Bytes>,
}

impl Stream {
    pub fn new(capacity: usize) -> Stream {
        Stream {
            tx: broadcast::channel(capacity).0,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CandleMsg {
    pub asset: String,
    pub interval: &'static str,
    #[serde(flatten)]
    pub candle: CandleView,
}

#[derive(Debug, Serialize)]
pub struct BookMsg {
    pub asset: String,
    pub window_start_s: u64,
    /// "up" or "down".
    pub outcome: &'static str,
    #[serde(flatten)]
    pub book: BookView,
}

#[derive(Debug, Serialize)]
pub struct LatencyMsg {
    pub unit: &'static str,
    pub stages: BTreeMap<&'static str, StageSummary>,
}

#[derive(Debug, Serialize)]
pub struct InitData {
    pub server_time_ms: u64,
    pub assets: Vec<String>,
    pub mode: &'static str,
    pub kill_switch: KillSwitchView,
    /// The same as the `status` message.
    pub status: StatusView,
    pub window_s: u64,
    pub windows: Vec<views::WindowView>,
    pub momentum: Vec<MomentumView>,
    pub account: Option<AccountView>,
    pub positions: Vec<views::PositionView>,
    pub orders: Vec<OrderView>,
    /// The newest one-minute live candles per asset.
    pub candles: BTreeMap<String, Vec<CandleView>>,
    pub latency: LatencyMsg,
    pub whale_trades: Vec<WhaleTrade>,
    pub alerts: Vec<Alert>,
}

/// Every message on `/ws`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum WsMessage {
    Init(Box<InitData>),
    Candle(CandleMsg),
    Trade(TradeView),
    Orderbook(BookMsg),
    Momentum(MomentumView),
    WhaleTrade(WhaleTrade),
    PaperSignal(OrderView),
    PaperAccount(AccountView),
    LiveOrder(LiveOrder),
    LiveAlert(Alert),
    Latency(LatencyMsg),
    Status(StatusView),
}

impl WsMessage {
    pub fn to_text(&self) -> Utf8Bytes {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!(r#"{{"type":"error","data":"{e}"}}"#))
            .into()
    }
}

/// What the broadcaster already sent.
#[derive(Default)]
struct Seen {
    candle: BTreeMap<u8, Candle>,
    trade: BTreeMap<u8, u64>,
    book: BTreeMap<u16, (u64, u64)>,
    momentum: BTreeMap<u8, (u64, u64)>,
    account_ms: Option<u64>,
    last_intent: u64,
    whale_seq: u64,
    alert_seq: u64,
    live_order_seq: u64,
    latency_counts: u64,
    wakes: u32,
    status_key: String,
    status_ms: u64,
    watch: events::Watch,
}

fn changes(app: &App, st: &mut ControlState, seen: &mut Seen, out: &mut Vec<WsMessage>) {
    let a = &app.ctx.assets;
    let now = status::status(app, st);
    seen.watch.update(a, st, &now);
    let key = now.key();
    if key != seen.status_key || now.server_time_ms >= seen.status_ms + status::HEARTBEAT_MS {
        seen.status_key = key;
        seen.status_ms = now.server_time_ms;
        out.push(WsMessage::Status(now));
    }
    for id in a.iter().map(|(id, _)| id.0) {
        if let Some(c) = st.candles.last(id) {
            if seen.candle.get(&id) != Some(c) {
                seen.candle.insert(id, *c);
                out.push(WsMessage::Candle(CandleMsg {
                    asset: views::asset_name(a, id),
                    interval: "1m",
                    candle: views::candle(c),
                }));
            }
        }
        if let Some(t) = st.last_spot.get(&id) {
            let key = t.seq ^ t.stamps.read_ns;
            if seen.trade.insert(id, key) != Some(key) {
                out.push(WsMessage::Trade(views::trade(a, t)));
            }
        }
        if let Some(s) = st.last_signal.get(&id) {
            let key = (s.wall_ms, s.p_up.to_bits() ^ s.spot.to_bits());
            if seen.momentum.insert(id, key) != Some(key) {
                let oracle = st.last_oracle.get(&id).map(|o| o.0);
                out.push(WsMessage::Momentum(views::momentum(a, s, oracle)));
            }
        }
    }
    for (&(asset, start), &(up, down)) in &st.window_tokens {
        for (token, outcome) in [(up, "up"), (down, "down")] {
            let Some(b) = st.last_book.get(&token) else {
                continue;
            };
            let key = (b.venue_ts_ms, b.stamps.read_ns);
            if seen.book.insert(token, key) != Some(key) {
                out.push(WsMessage::Orderbook(BookMsg {
                    asset: views::asset_name(a, asset),
                    window_start_s: start,
                    outcome,
                    book: views::book(b),
                }));
            }
        }
    }
    if let Some(acc) = &st.account {
        if seen.account_ms != Some(acc.wall_ms) {
            seen.account_ms = Some(acc.wall_ms);
            out.push(WsMessage::PaperAccount(views::account(acc)));
        }
    }
    for r in st.fills.iter().filter(|r| r.intent_id > seen.last_intent) {
        out.push(WsMessage::PaperSignal(views::order(a, r)));
    }
    if let Some(r) = st.fills.back() {
        seen.last_intent = seen.last_intent.max(r.intent_id);
    }
    let fresh = |q_len: usize, total: u64, seen: u64| (total - seen).min(q_len as u64) as usize;
    let n = fresh(st.whale_trades.len(), st.whale_trades_total, seen.whale_seq);
    for w in st.whale_trades.iter().skip(st.whale_trades.len() - n) {
        out.push(WsMessage::WhaleTrade(w.clone()));
    }
    seen.whale_seq = st.whale_trades_total;
    let n = fresh(st.alerts.len(), st.alert_seq, seen.alert_seq);
    for al in st.alerts.iter().skip(st.alerts.len() - n) {
        out.push(WsMessage::LiveAlert(al.clone()));
    }
    seen.alert_seq = st.alert_seq;
    let n = fresh(st.live_orders.len(), st.live_order_seq, seen.live_order_seq);
    for o in st.live_orders.iter().skip(st.live_orders.len() - n) {
        out.push(WsMessage::LiveOrder(views::live_order(a, o)));
    }
    seen.live_order_seq = st.live_order_seq;
    seen.wakes = seen.wakes.wrapping_add(1);
    if seen.wakes % LATENCY_EVERY == 0 {
        let counts: u64 = st.latency.values().map(|s| s.count).sum();
        if counts != seen.latency_counts {
            seen.latency_counts = counts;
            out.push(WsMessage::Latency(LatencyMsg {
                unit: "ns",
                stages: st.latency.clone(),
            }));
        }
    }
}

/// The broadcaster: runs until the server stops.
pub async fn broadcast_loop(app: Arc<App>) {
    let mut seen = Seen::default();
    let mut tick = tokio::time::interval(Duration::from_millis(app.cfg.ws_interval_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut out = Vec::new();
    loop {
        tick.tick().await;
        {
            let mut st = app.ctx.state.lock().expect("state");
            changes(&app, &mut st, &mut seen, &mut out);
        }
        for m in out.drain(..) {
            // No receivers is not an error: nobody is watching.
            let _ = app.stream.tx.send(m.to_text());
            app.counters.ws_messages.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The `init` snapshot.
pub fn init(app: &App) -> WsMessage {
    let a = &app.ctx.assets;
    let now_s = wall_ms() / 1000;
    let st = app.ctx.state.lock().expect("state");
    let status = status::status(app, &st);
    let kill_switch = status.kill_switch.clone();
    let candles = a
        .iter()
        .map(|(id, info)| {
            let all: Vec<_> = st.candles.minutes(id.0).collect();
            let skip = all.len().saturating_sub(INIT_CANDLES);
            (
                info.name.clone(),
                all[skip..].iter().map(|c| views::candle(c)).collect(),
            )
        })
        .collect();
    WsMessage::Init(Box::new(InitData {
        server_time_ms: wall_ms(),
        assets: a.iter().map(|(_, i)| i.name.clone()).collect(),
        mode: app.ctx.shared.mode().name(),
        kill_switch,
        status,
        window_s: app.ctx.window_s,
        windows: st
            .windows
            .iter()
            .map(|w| views::window(a, &st, w, now_s))
            .collect(),
        momentum: views::momentum_all(a, &st),
        account: st.account.as_ref().map(views::account),
        positions: views::positions(a, &st),
        orders: st
            .fills
            .iter()
            .rev()
            .take(50)
            .map(|r| views::order(a, r))
            .collect(),
        candles,
        latency: LatencyMsg {
            unit: "ns",
            stages: st.latency.clone(),
        },
        whale_trades: st.whale_trades.iter().rev().take(50).cloned().collect(),
        alerts: st.alerts.iter().rev().take(20).cloned().collect(),
    }))
}

/// A client connection as the forwarder needs it.
pub trait ClientSocket: Send {
    /// Send one text message; false when the connection is gone.
    fn send_text(&mut self, text: Utf8Bytes) -> impl Future<Output = bool> + Send;
    /// Wait for anything from the client; false when it closed.
    fn recv_any(&mut self) -> impl Future<Output = bool> + Send;
}

impl ClientSocket for WebSocket {
    async fn send_text(&mut self, text: Utf8Bytes) -> bool {
        self.send(Message::Text(text)).await.is_ok()
    }

    async fn recv_any(&mut self) -> bool {
        !matches!(
            self.recv().await,
            None | Some(Err(_)) | Some(Ok(Message::Close(_)))
        )
    }
}

/// Why a client's forwarding ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The client went away.
    ClientClosed,
    /// The client fell this many messages behind: dropped as slow.
    Lagged(u64),
    /// The client's socket accepted nothing within the send timeout: dropped as slow.
    Stalled,
    /// The server is stopping.
    ServerClosed,
}

impl End {
    pub fn is_slow(self) -> bool {
        matches!(self, End::Lagged(_) | End::Stalled)
    }
}

/// Forward broadcast messages to one client until it closes or proves too slow.
pub async fn forward<S: ClientSocket>(
    sock: &mut S,
    rx: &mut broadcast::Receiver<Utf8Bytes>,
    send_timeout: Duration,
) -> End {
    loop {
        tokio::select! {
            m = rx.recv() => match m {
                Ok(text) => match tokio::time::timeout(send_timeout, sock.send_text(text)).await {
                    Ok(true) => {}
                    Ok(false) => return End::ClientClosed,
                    Err(_) => return End::Stalled,
                },
                Err(RecvError::Lagged(n)) => return End::Lagged(n),
                Err(RecvError::Closed) => return End::ServerClosed,
            },
            alive = sock.recv_any() => if !alive { return End::ClientClosed },
        }
    }
}

/// `GET /ws`.
pub async fn upgrade(State(app): State<Arc<App>>, ws: WebSocketUpgrade) -> Response {
    let c = &app.counters;
    // The slot is taken here, atomically, before the 101 goes out: upgrades that race each
    // other cannot all pass a check made before any of them counted.
    let max = app.cfg.ws_max_clients as u64;
    let taken = c
        .ws_clients
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < max).then_some(n + 1)
        })
        .is_ok();
    if !taken {
        c.ws_refused.fetch_add(1, Ordering::Relaxed);
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "too many WebSocket clients (api.ws_max_clients = {})",
                app.cfg.ws_max_clients
            ),
        )
        .into_response();
    }
    let slot = WsSlot(app.clone());
    ws.max_message_size(64 << 10)
        .on_upgrade(move |socket| client(slot, socket))
        .into_response()
}

/// A taken WebSocket client slot, given back when dropped (the client ended, or the upgrade
/// never completed).
struct WsSlot(Arc<App>);

impl Drop for WsSlot {
    fn drop(&mut self) {
        self.0.counters.ws_clients.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn client(slot: WsSlot, mut socket: WebSocket) {
    let app = slot.0.clone();
    let c = &app.counters;
    c.ws_connections.fetch_add(1, Ordering::Relaxed);
    // Subscribe before the snapshot so nothing between the two is missed.
    let mut rx = app.stream.tx.subscribe();
    let timeout = Duration::from_millis(app.cfg.ws_send_timeout_ms);
    let first = init(&app).to_text();
    let end = match tokio::time::timeout(timeout, socket.send_text(first)).await {
        Ok(true) => forward(&mut socket, &mut rx, timeout).await,
        Ok(false) => End::ClientClosed,
        Err(_) => End::Stalled,
    };
    if end.is_slow() {
        c.ws_dropped_slow.fetch_add(1, Ordering::Relaxed);
        tracing::info!(?end, "dropped a slow WebSocket client");
        // A close frame if the socket takes it at once; the client may be stuck.
        let _ = tokio::time::timeout(
            Duration::from_millis(100),
            socket.send(Message::Close(None)),
        )
        .await;
    }
    drop(slot);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client socket that takes `accept` messages, then stalls forever.
    struct Fake {
        accept: usize,
        got: usize,
    }

    impl ClientSocket for Fake {
        async fn send_text(&mut self, _: Utf8Bytes) -> bool {
            if self.got == self.accept {
                std::future::pending::<()>().await;
            }
            self.got += 1;
            true
        }
        async fn recv_any(&mut self) -> bool {
            std::future::pending::<bool>().await
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_client_a_queue_behind_is_dropped_as_lagged() {
        rt().block_on(async {
            let (tx, mut rx) = broadcast::channel::<Utf8Bytes>(8);
            for i in 0..20 {
                tx.send(format!("{i}").into()).unwrap();
            }
            let mut f = Fake {
                accept: 100,
                got: 0,
            };
            let end = forward(&mut f, &mut rx, Duration::from_secs(5)).await;
            assert_eq!(end, End::Lagged(12));
            assert!(end.is_slow());
        });
    }

    #[test]
    fn a_stalled_socket_is_dropped_after_the_timeout_and_others_keep_up() {
        rt().block_on(async {
            let (tx, mut slow_rx) = broadcast::channel::<Utf8Bytes>(8);
            let mut fast_rx = tx.subscribe();
            tx.send("a".into()).unwrap();
            tx.send("b".into()).unwrap();
            let mut slow = Fake { accept: 1, got: 0 };
            let end = forward(&mut slow, &mut slow_rx, Duration::from_millis(50)).await;
            assert_eq!(end, End::Stalled);
            assert_eq!(slow.got, 1);
            // The other receiver is unaffected.
            assert_eq!(fast_rx.recv().await.unwrap().as_str(), "a");
            drop(tx);
            let mut ok = Fake {
                accept: 100,
                got: 0,
            };
            assert_eq!(
                forward(&mut ok, &mut fast_rx, Duration::from_millis(50)).await,
                End::ServerClosed
            );
            assert_eq!(ok.got, 1);
        });
    }

    #[test]
    fn messages_are_typed_envelopes() {
        let m = WsMessage::LiveAlert(Alert {
            kind: "kill_switch".into(),
            ..Default::default()
        });
        let v: serde_json::Value = serde_json::from_str(m.to_text().as_str()).unwrap();
        assert_eq!(v["type"], "live_alert");
        assert_eq!(v["data"]["kind"], "kill_switch");
    }
}
