//! The simulator's HTTP server: Gamma (`/events/slug/..`, `/markets/slug/..`), the CLOB's
//! public REST (`/clob-markets/..`, `/book`, `/version`, `/ok`, `/tick-size`,
//! `/neg-risk`, `/midpoint`), its trading, account and key routes (`/order`, `/cancel-all`,
//! `/v1/heartbeats`, `/data/order/..`, `/data/trades`, `/balance-allowance[/update]`,
//! `/auth/..`, in [`super::clob`]), `/time`, `/api/geoblock`, `/auth/api-keys` (in
//! [`super::venue_misc`]), Binance klines (`/api/v3/klines`), the Data API (`/trades`), the
//! Telegram Bot API (`/telegram/bot<T>/…`) and a Discord webhook (`/discord/api/webhooks/…`),
//! all on one port.
//!
//! axum on a tokio runtime of its own with two worker threads: a real venue answers order entry
//! on other servers than its data queries, and with one thread a slow query (a client's trade
//! history, a balance) held `POST /order` up behind it. A middleware applies the HTTP fault
//! switches (forced status, delay) before any route.

use super::book::{self, PX_ONE};
use super::gamma;
use super::model::Bar;
use super::stats::bump;
use super::Shared;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// How long a shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

type St = State<Arc<Shared>>;
type Params = Query<HashMap<String, String>>;

/// The running HTTP server.
/// Worker threads of the HTTP runtime.
const HTTP_WORKERS: usize = 2;

pub struct HttpServer {
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Serve on `listener` (already bound) until `stop`.
    pub fn spawn(shared: Arc<Shared>, listener: TcpListener) -> io::Result<HttpServer> {
        listener.set_nonblocking(true)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(HTTP_WORKERS)
            .thread_name("sim-http-worker")
            .enable_all()
            .build()?;
        let (stop, rx) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("sim-http".into())
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(l) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let mut rx1 = rx.clone();
                    let mut rx2 = rx;
                    let serve = axum::serve(l, router(shared)).with_graceful_shutdown(async move {
                        let _ = rx1.wait_for(|s| *s).await;
                    });
                    tokio::select! {
                        _ = serve => {}
                        _ = async move {
                            let _ = rx2.wait_for(|s| *s).await;
                            tokio::time::sleep(SHUTDOWN_GRACE).await;
                        } => {}
                    }
                });
            })?;
        Ok(HttpServer {
            stop,
            thread: Some(thread),
        })
    }

    pub fn stop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/events/slug/{slug}", get(gamma_event))
        .route("/markets/slug/{slug}", get(gamma_market))
        .route("/clob-markets/{condition_id}", get(clob_market))
        .route("/book", get(book_summary))
        .route("/tick-size", get(tick_size))
        .route("/neg-risk", get(neg_risk))
        .route("/midpoint", get(midpoint))
        .route("/ok", get(|| async { Json("OK") }))
        .route("/bench/tick-to-trade", get(tick_to_trade))
        .route("/sim/stats", get(sim_stats))
        .route("/sim/faults", axum::routing::post(sim_faults))
        .route("/api/v3/klines", get(klines))
        .merge(super::data_api::routes())
        .merge(super::telegram::routes())
        .merge(super::discord::routes())
        .merge(super::rpc::routes())
        .merge(super::relayer::routes())
        .merge(super::clob::routes())
        .merge(super::venue_misc::routes())
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            super::venue_misc::pusd_balance,
        ))
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))) })
        .layer(middleware::from_fn_with_state(shared.clone(), faults))
        .with_state(shared)
}

/// Wire-to-wire samples since the last call (see [`super::wire`]); taking them resets.
async fn tick_to_trade(State(sh): St) -> Json<super::wire::TickToTradeReport> {
    Json(sh.wire.take(sh.stats.binance.frames_sent()))
}

/// `GET /sim/stats`: see [`super::fault_plan`].
async fn sim_stats(State(sh): St) -> Json<Value> {
    Json(super::fault_plan::stats_json(&sh))
}

/// `POST /sim/faults` with a [`super::FaultPlan`] as JSON: the switches become that plan.
async fn sim_faults(State(sh): St, body: axum::body::Bytes) -> Response {
    let plan: super::FaultPlan = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": e.to_string()})),
            )
                .into_response()
        }
    };
    match plan.apply(&sh) {
        Ok(()) => Json(json!({"ok": true, "faults": plan})).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    }
}

async fn faults(State(sh): St, req: Request, next: Next) -> Response {
    bump(&sh.stats.http_requests);
    // The simulator's own control routes are never faulted.
    if req.uri().path().starts_with("/sim/") {
        return next.run(req).await;
    }
    let delay = sh.faults.http_delay_ms();
    if delay > 0 {
        bump(&sh.stats.http_faulted);
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if let Some(code) = sh.faults.http_status() {
        if delay == 0 {
            bump(&sh.stats.http_faulted);
        }
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({"error": format!("simulated fault: HTTP {code}")});
        return (status, Json(body)).into_response();
    }
    next.run(req).await
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response()
}

/// The Gamma document of a slug: (window, current UP price, closed).
fn gamma_doc(sh: &Shared, slug: &str, event: bool) -> Option<Value> {
    let (asset, start) = gamma::parse_slug(slug)?;
    // Read before the world lock: never hold it while taking the CLOB's.
    let fees = sh.clob.fee_schedule();
    let world = sh.world.lock().ok()?;
    let idx = world.asset_index(&asset)?;
    // The venue knows a market by its exact slug: a 5-minute window is not found under `15m`.
    let w = world
        .windows
        .find(idx, start)
        .filter(|w| w.view.slug == slug)?;
    let now_s = crate::clock::wall_ms() / 1000;
    let closed = w.settled() || now_s >= w.view.end_s;
    let up_price = match (w.view.end_price, w.view.strike) {
        (Some(end), Some(k)) => f64::from(u8::from(end >= k)),
        _ => world.market_of(&w.view.up_token).map_or(0.5, |m| {
            let bid = m.up.best_bid().map_or(0, |l| l.price_e4);
            let ask = m.up.best_ask().map_or(PX_ONE, |l| l.price_e4);
            (bid + ask) as f64 / 2.0 / PX_ONE as f64
        }),
    };
    Some(if event {
        gamma::event_json(w, up_price, closed, now_s, &fees)
    } else {
        gamma::market_json(w, up_price, closed, &fees)
    })
}

async fn gamma_event(State(sh): St, Path(slug): Path<String>) -> Response {
    gamma_doc(&sh, &slug, true).map_or_else(not_found, |v| Json(v).into_response())
}

async fn gamma_market(State(sh): St, Path(slug): Path<String>) -> Response {
    gamma_doc(&sh, &slug, false).map_or_else(not_found, |v| Json(v).into_response())
}

async fn clob_market(State(sh): St, Path(cid): Path<String>) -> Response {
    let fees = sh.clob.fee_schedule();
    let Ok(world) = sh.world.lock() else {
        return not_found();
    };
    let Some(w) = world.windows.find_by_condition(&cid) else {
        return not_found();
    };
    let v = &w.view;
    Json(json!({
        "c": v.condition_id,
        "t": [{"t": v.up_token, "o": "Up"}, {"t": v.down_token, "o": "Down"}],
        "mts": 0.01,
        "mos": 5,
        "nr": false,
        "fd": fees.clob_fd(),
    }))
    .into_response()
}

fn no_book() -> Response {
    let body = json!({"error": "No orderbook exists for the requested token id"});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// Run `f` on the live book of `?token_id=`.
fn with_book(
    sh: &Shared,
    q: &HashMap<String, String>,
    f: impl FnOnce(&str, &str, &book::SimBook, u32) -> Value,
) -> Response {
    let Some(token) = q.get("token_id") else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "missing token_id"})),
        )
            .into_response();
    };
    let Ok(world) = sh.world.lock() else {
        return no_book();
    };
    let Some(m) = world.market_of(token) else {
        return no_book();
    };
    let Some(b) = m.book_of(token) else {
        return no_book();
    };
    let last = if *token == m.up_token {
        m.last_trade_e4
    } else {
        PX_ONE - m.last_trade_e4
    };
    Json(f(token, &m.condition_id, &b, last)).into_response()
}

async fn book_summary(State(sh): St, Query(q): Params) -> Response {
    with_book(&sh, &q, |t, c, b, last| {
        book::book_summary(t, c, b, crate::clock::wall_ms(), last)
    })
}

async fn tick_size(State(sh): St, Query(q): Params) -> Response {
    with_book(
        &sh,
        &q,
        |_, _, b, _| json!({"minimum_tick_size": b.tick_e4 as f64 / PX_ONE as f64}),
    )
}

async fn neg_risk(State(sh): St, Query(q): Params) -> Response {
    with_book(&sh, &q, |_, _, _, _| json!({"neg_risk": false}))
}

async fn midpoint(State(sh): St, Query(q): Params) -> Response {
    with_book(&sh, &q, |_, _, b, _| {
        let bid = b.best_bid().map_or(0, |l| l.price_e4);
        let ask = b.best_ask().map_or(PX_ONE, |l| l.price_e4);
        json!({"mid": book::fmt_price((bid + ask) / 2)})
    })
}

fn binance_error(code: i64, msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"code": code, "msg": msg})),
    )
        .into_response()
}

/// Seconds of a kline interval name.
pub fn interval_secs(name: &str) -> Option<u64> {
    Some(match name {
        "1s" => 1,
        "1m" => 60,
        "3m" => 180,
        "5m" => 300,
        "15m" => 900,
        "30m" => 1800,
        "1h" => 3600,
        "2h" => 7200,
        "4h" => 14_400,
        "6h" => 21_600,
        "8h" => 28_800,
        "12h" => 43_200,
        "1d" => 86_400,
        _ => return None,
    })
}

/// Aggregate 1-second bars into bars of `iv` seconds (oldest first).
pub fn aggregate<'a>(bars: impl Iterator<Item = &'a Bar>, iv: u64) -> Vec<Bar> {
    let mut out: Vec<Bar> = Vec::new();
    for b in bars {
        let open_s = b.open_s / iv * iv;
        match out.last_mut() {
            Some(a) if a.open_s == open_s => {
                a.high = a.high.max(b.high);
                a.low = a.low.min(b.low);
                a.close = b.close;
                a.volume += b.volume;
                a.quote_volume += b.quote_volume;
                a.trades += b.trades;
                a.taker_buy_volume += b.taker_buy_volume;
            }
            _ => out.push(Bar { open_s, ..*b }),
        }
    }
    out
}

fn parse_ms(q: &HashMap<String, String>, key: &str) -> Result<Option<u64>, Box<Response>> {
    match q.get(key) {
        None => Ok(None),
        Some(v) => match v.parse::<u64>() {
            // Binance accepts µs too.
            Ok(t) if t > 100_000_000_000_000 => Ok(Some(t / 1000)),
            Ok(t) => Ok(Some(t)),
            Err(_) => Err(Box::new(binance_error(
                -1100,
                &format!("Illegal characters found in parameter '{key}'."),
            ))),
        },
    }
}

async fn klines(State(sh): St, Query(q): Params) -> Response {
    let Some(symbol) = q.get("symbol").filter(|s| !s.is_empty()) else {
        return binance_error(
            -1102,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
        );
    };
    let Some(iv) = q.get("interval") else {
        return binance_error(
            -1102,
            "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.",
        );
    };
    let Some(iv) = interval_secs(iv) else {
        return binance_error(-1120, "Invalid interval.");
    };
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 500,
        Some(Ok(l)) => l.clamp(1, 1000),
        Some(Err(_)) => {
            return binance_error(-1100, "Illegal characters found in parameter 'limit'.")
        }
    };
    let (start, end) = match (parse_ms(&q, "startTime"), parse_ms(&q, "endTime")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let bars = {
        let Ok(world) = sh.world.lock() else {
            return binance_error(
                -1000,
                "An unknown error occurred while processing the request.",
            );
        };
        let Some(asset) = symbol
            .strip_suffix("USDT")
            .and_then(|b| world.asset_index(b))
        else {
            return binance_error(-1121, "Invalid symbol.");
        };
        aggregate(world.bars[asset].iter(), iv)
    };
    let in_range = |b: &&Bar| {
        let t = b.open_s * 1000;
        start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
    };
    let selected: Vec<&Bar> = bars.iter().filter(in_range).collect();
    let slice = if start.is_some() {
        &selected[..selected.len().min(limit)]
    } else {
        &selected[selected.len().saturating_sub(limit)..]
    };
    let rows: Vec<Value> = slice
        .iter()
        .map(|b| {
            json!([
                b.open_s * 1000,
                format!("{:.8}", b.open),
                format!("{:.8}", b.high),
                format!("{:.8}", b.low),
                format!("{:.8}", b.close),
                format!("{:.8}", b.volume),
                (b.open_s + iv) * 1000 - 1,
                format!("{:.8}", b.quote_volume),
                b.trades,
                format!("{:.8}", b.taker_buy_volume),
                format!("{:.8}", b.taker_buy_volume * b.close),
                "0"
            ])
        })
        .collect();
    Json(Value::Array(rows)).into_response()
}
