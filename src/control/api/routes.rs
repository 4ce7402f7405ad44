//! The REST endpoints and the router. Handlers copy what they need under the control-state
//! lock and build the JSON after releasing it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::views::{self, AccountView, MomentumView, OrderView, PositionView, WindowView};
use super::{auth, candles, dashboard, docs, metrics, ws, ApiCounters, ApiError, App};
use crate::clock::{mono_ns, wall_ms};
use crate::control::ControlState;
use crate::pipeline::shared::{Mode, FEED_NAMES};
use crate::strategy::gates::SkipReason;

type St = State<Arc<App>>;
type Params = Query<HashMap<String, String>>;

/// A hot thread whose heartbeat is older than this is reported not alive.
pub const HEARTBEAT_STALE_MS: u64 = 2_000;

/// Why `live` is refused when the process runs without the live path.
pub const LIVE_UNAVAILABLE: &str = "live trading is not available in this process: it was started \
    without a signing key and CLOB credentials; start it with --mode live (keys from the \
    environment, see README) to trade live";

pub const LIVE_NOT_AT_START: &str = "live mode is chosen at start: this process was not \
    started with --mode live, so it cannot switch to live; restart it with --mode live";

pub fn router(app: Arc<App>) -> Router {
    let protected = Router::new()
        .route("/api/live-trading/status", get(live_status))
        .route("/api/live-trading/mode", axum::routing::post(set_mode))
        .route(
            "/api/live-trading/kill-switch",
            axum::routing::post(kill_switch),
        )
        .route(
            "/api/live-trading/allowances",
            get(allowances).post(allowances),
        )
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            auth::require_key,
        ));
    let mut r = Router::new()
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::asset))
        .route("/health", get(health))
        .route("/api/candles/{symbol}", get(get_candles))
        .route("/api/momentum", get(momentum))
        .route("/api/markets-15m", get(markets))
        .route("/api/paper-trading/account", get(paper_account))
        .route("/api/latency", get(latency))
        .route("/api/orders", get(orders))
        .route("/api/positions", get(positions))
        .route("/metrics", get(metrics::metrics))
        .route("/openapi.json", get(docs::openapi))
        .route("/docs", get(docs::page))
        .route("/ws", get(ws::upgrade))
        .merge(protected)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint; see /docs") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed; see /docs",
            )
        })
        .layer(middleware::from_fn_with_state(
            app.clone(),
            super::origin::check,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), count_requests));
    if !app.cfg.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = app
            .cfg
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        r = r.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderName::from_static(auth::HEADER),
                ]),
        );
    }
    r.with_state(app)
}

async fn count_requests(State(app): St, req: Request, next: Next) -> Response {
    app.counters.http_requests.fetch_add(1, Ordering::Relaxed);
    next.run(req).await
}

// ---- health ---------------------------------------------------------------------------------

#[derive(Serialize)]
pub struct ThreadHealth {
    pub name: &'static str,
    pub core: Option<usize>,
    pub wait: &'static str,
    pub alive: bool,
    pub heartbeat_age_ms: Option<u64>,
}

#[derive(Serialize)]
pub struct FeedHealthView {
    pub name: &'static str,
    pub connected: bool,
    pub fresh: bool,
    pub last_frame_age_ms: Option<u64>,
    pub stale_after_ms: u64,
    /// Why the last connection attempt failed or the connection dropped.
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KillSwitchView {
    pub active: bool,
    pub reason: String,
    pub changed_ms: u64,
}

fn age_ms(now_ns: u64, then_ns: u64) -> Option<u64> {
    (then_ns != 0).then(|| now_ns.saturating_sub(then_ns) / 1_000_000)
}

pub fn kill_view(app: &App) -> KillSwitchView {
    let st = app.ctx.state.lock().expect("state");
    kill_view_in(app, &st)
}

/// The kill switch with the reason of whoever set it last: the API and Telegram both record
/// it in `ControlState::kill_reason` (cleared on resume); the API's note keeps the time of a
/// clear.
pub fn kill_view_in(app: &App, st: &ControlState) -> KillSwitchView {
    let active = app.ctx.shared.killed();
    let (note, note_ms) = app.kill_note.lock().expect("kill note").clone();
    let (reason, changed_ms) = match &st.kill_reason {
        Some((r, ms)) if *ms >= note_ms || active => (r.clone(), *ms),
        _ => (if active { note } else { String::new() }, note_ms),
    };
    KillSwitchView {
        active,
        reason,
        changed_ms,
    }
}

async fn health(State(app): St) -> Json<Value> {
    let sh = &app.ctx.shared;
    let now = mono_ns();
    let threads: Vec<ThreadHealth> = app
        .ctx
        .plan
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let age = age_ms(now, sh.heartbeat_ns[i].load(Ordering::Relaxed));
            ThreadHealth {
                name: t.name,
                core: t.core,
                wait: t.wait.name(),
                alive: sh.is_running() && age.is_some_and(|a| a < HEARTBEAT_STALE_MS),
                heartbeat_age_ms: age,
            }
        })
        .collect();
    let feeds: Vec<FeedHealthView> = FEED_NAMES
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let age = age_ms(now, sh.feeds[i].last_frame_ns.load(Ordering::Relaxed));
            let stale_after_ms = app.ctx.feed_stale_ms[i];
            FeedHealthView {
                name,
                connected: sh.feeds[i].connected.load(Ordering::Relaxed),
                fresh: age.is_some_and(|a| a < stale_after_ms),
                last_frame_age_ms: age,
                stale_after_ms,
                last_error: sh.feeds[i]
                    .last_error
                    .lock()
                    .ok()
                    .filter(|e| !e.is_empty())
                    .map(|e| e.clone()),
            }
        })
        .collect();
    let (breaker_assets, trips): (Vec<String>, Vec<Value>) = {
        let st = app.ctx.state.lock().expect("state");
        (
            st.last_signal
                .values()
                .filter(|s| s.skip == Some(SkipReason::Breaker))
                .map(|s| views::asset_name(&app.ctx.assets, s.asset.0))
                .collect(),
            // Every breaker tripped now (the stale-feed one included), with its reason.
            st.breakers
                .iter()
                .map(|t| json!({"kind": t.kind.name(), "message": t.message(), "at_ms": t.at_wall_ms}))
                .collect(),
        )
    };
    let j = &sh.counters.journal;
    let journal_enabled = j.enabled.load(Ordering::Relaxed);
    let journal_failed = j.failed_batches.load(Ordering::Relaxed);
    let journal_ok =
        !journal_enabled || (journal_failed == 0 && j.dropped.load(Ordering::Relaxed) == 0);
    let ok = threads.iter().all(|t| t.alive)
        && feeds[..2].iter().all(|f| f.connected && f.fresh)
        && journal_ok;
    let c = &app.counters;
    Json(json!({
        "status": if ok { "ok" } else { "degraded" },
        "uptime_s": app.started.elapsed().as_secs_f64(),
        "mode": sh.mode().name(),
        "kill_switch": kill_view(&app),
        "breaker": {
            "tripped": !breaker_assets.is_empty() || !trips.is_empty(),
            "assets": breaker_assets,
            "trips": trips,
            "skips": sh.counters.signal.skips[SkipReason::Breaker as usize].load(Ordering::Relaxed),
        },
        "threads": threads,
        "feeds": feeds,
        "counters": sh.counters.snapshot(),
        "journal": {
            "enabled": journal_enabled,
            "ok": journal_ok,
            "written": j.written.load(Ordering::Relaxed),
            "failed_batches": journal_failed,
            "dropped": j.dropped.load(Ordering::Relaxed),
            "last_error": if journal_failed > 0 { Value::from(j.last_error()) } else { Value::Null },
        },
        "connections": {
            "open": ApiCounters::get(&app.conns.open),
            "max": app.cfg.max_connections,
            "idle_closed": ApiCounters::get(&app.conns.idle_closed),
        },
        "ws": {
            "clients": ApiCounters::get(&c.ws_clients),
            "dropped_slow": ApiCounters::get(&c.ws_dropped_slow),
            "refused": ApiCounters::get(&c.ws_refused),
        },
    }))
}

// ---- market data ----------------------------------------------------------------------------

async fn get_candles(State(app): St, Path(symbol): Path<String>, Query(q): Params) -> Response {
    match candles::candles(
        &app,
        &symbol,
        q.get("interval").map(String::as_str),
        q.get("limit").map(String::as_str),
    )
    .await
    {
        Ok(r) => Json(r).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Serialize)]
struct MomentumResponse {
    ts_ms: u64,
    mode: &'static str,
    assets: Vec<MomentumView>,
}

async fn momentum(State(app): St) -> Json<MomentumResponse> {
    let assets = {
        let st = app.ctx.state.lock().expect("state");
        views::momentum_all(&app.ctx.assets, &st)
    };
    Json(MomentumResponse {
        ts_ms: wall_ms(),
        mode: app.ctx.shared.mode().name(),
        assets,
    })
}

#[derive(Serialize)]
struct MarketsResponse {
    ts_ms: u64,
    window_s: u64,
    windows: Vec<WindowView>,
}

async fn markets(State(app): St) -> Json<MarketsResponse> {
    let now_s = wall_ms() / 1000;
    let windows = {
        let st = app.ctx.state.lock().expect("state");
        st.windows
            .iter()
            .map(|w| views::window(&app.ctx.assets, &st, w, now_s))
            .collect()
    };
    Json(MarketsResponse {
        ts_ms: wall_ms(),
        window_s: app.ctx.window_s,
        windows,
    })
}

#[derive(Serialize)]
struct AccountResponse {
    mode: &'static str,
    account: Option<AccountView>,
    /// Equity at mark, return, today's PnL, win rate.
    pnl: Option<views::PnlView>,
    positions: Vec<PositionView>,
    recent_settlements: Vec<views::SettlementView>,
}

async fn paper_account(State(app): St) -> Json<AccountResponse> {
    let a = &app.ctx.assets;
    let st = app.ctx.state.lock().expect("state");
    let r = AccountResponse {
        mode: app.ctx.shared.mode().name(),
        account: st.account.as_ref().map(views::account),
        pnl: views::pnl(a, &st, wall_ms()),
        positions: views::positions(a, &st),
        recent_settlements: st
            .settlements
            .iter()
            .rev()
            .take(20)
            .map(|s| views::settlement(a, s))
            .collect(),
    };
    drop(st);
    Json(r)
}

async fn latency(State(app): St) -> Json<Value> {
    let stages = app.ctx.state.lock().expect("state").latency.clone();
    Json(json!({"ts_ms": wall_ms(), "unit": "ns", "stages": stages}))
}

#[derive(Serialize)]
struct OrdersResponse {
    orders: Vec<OrderView>,
}

async fn orders(State(app): St, Query(q): Params) -> Response {
    let limit = match q.get("limit").map(|s| (s, s.parse::<usize>())) {
        None => 100,
        Some((_, Ok(n))) if (1..=crate::control::state::RECENT).contains(&n) => n,
        Some((s, _)) => {
            return ApiError::field(
                "limit",
                format!(
                    "limit {s:?}: an integer from 1 to {}",
                    crate::control::state::RECENT
                ),
            )
            .into_response()
        }
    };
    let st = app.ctx.state.lock().expect("state");
    let orders = st
        .fills
        .iter()
        .rev()
        .take(limit)
        .map(|r| views::order(&app.ctx.assets, r))
        .collect();
    drop(st);
    Json(OrdersResponse { orders }).into_response()
}

async fn positions(State(app): St) -> Json<Value> {
    let p = {
        let st = app.ctx.state.lock().expect("state");
        views::positions(&app.ctx.assets, &st)
    };
    Json(json!({ "positions": p }))
}

// ---- protected ------------------------------------------------------------------------------

async fn live_status(State(app): St) -> Json<Value> {
    let sh = &app.ctx.shared;
    let (recent, counts, venue_ledger, wallet): (Vec<_>, _, _, _) = {
        let st = app.ctx.state.lock().expect("state");
        (
            st.live_orders
                .iter()
                .rev()
                .take(50)
                .map(|o| views::live_order(&app.ctx.assets, o))
                .collect(),
            st.live_counts,
            st.venue_ledger.clone(),
            st.wallet.clone(),
        )
    };
    let live = sh.live_ready.load(Ordering::Relaxed);
    Json(json!({
        "mode": sh.mode().name(),
        "live_available": live,
        "live_unavailable_reason": if live { Value::Null } else { Value::from(LIVE_UNAVAILABLE) },
        "kill_switch": kill_view(&app),
        // Cash (`cash_pusd_u6`) apart from winning tokens not yet redeemed (`redeemable`).
        "wallet": wallet,
        // Live orders only: paper and shadow orders are not counted here.
        "orders": counts,
        "recent_live_orders": recent,
        // Live mode: the wallet as the venue has it (confirmed trades only; pending apart),
        // micro-units. Null in other modes.
        "venue_ledger": venue_ledger,
    }))
}

/// A request body as a JSON object whose keys are all in `allowed`.
fn json_object(body: &[u8], allowed: &[&'static str]) -> Result<Map<String, Value>, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        message: format!("the body is not valid JSON: {e}"),
        field: Some("body".into()),
    })?;
    let Value::Object(m) = v else {
        return Err(ApiError::field("body", "the body must be a JSON object"));
    };
    if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("unknown field {k:?}: expected {}", allowed.join(", ")),
            field: Some(k.clone()),
        });
    }
    Ok(m)
}

async fn set_mode(State(app): St, body: Bytes) -> Result<Json<Value>, ApiError> {
    let m = json_object(&body, &["mode"])?;
    let mode = match m.get("mode") {
        None => return Err(ApiError::field("mode", "missing field mode")),
        Some(Value::String(s)) => s.parse::<Mode>().map_err(|e| ApiError::field("mode", e))?,
        Some(_) => {
            return Err(ApiError::field(
                "mode",
                "mode must be a string: paper, shadow, live or off",
            ))
        }
    };
    if mode == Mode::Live && !app.ctx.shared.live_ready.load(Ordering::Relaxed) {
        return Err(ApiError {
            status: StatusCode::CONFLICT,
            message: LIVE_UNAVAILABLE.into(),
            field: Some("mode".into()),
        });
    }
    if mode == Mode::Live && !app.ctx.shared.live_at_start.load(Ordering::SeqCst) {
        return Err(ApiError {
            status: StatusCode::CONFLICT,
            message: LIVE_NOT_AT_START.into(),
            field: Some("mode".into()),
        });
    }
    let previous = {
        let mut st = app.ctx.state.lock().expect("state");
        let previous = app.ctx.shared.mode();
        st.announce_mode(previous.name());
        app.ctx.shared.set_mode(mode);
        st.announce_mode(mode.name());
        previous
    };
    if previous != mode {
        tracing::warn!(
            "mode changed from {} to {} (API)",
            previous.name(),
            mode.name()
        );
    }
    Ok(Json(
        json!({"mode": mode.name(), "previous": previous.name()}),
    ))
}

/// Longest kill-switch reason kept.
const MAX_REASON: usize = 500;
/// How long the kill switch may wait for the journal's commit before the API says it failed.
const KILL_PERSIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A reason as it is kept, logged and shown: trimmed, control characters (newlines above all,
/// which would forge log lines) replaced by spaces.
pub fn sanitize_reason(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

async fn kill_switch(State(app): St, body: Bytes) -> Result<Json<KillSwitchView>, ApiError> {
    let m = json_object(&body, &["active", "reason"])?;
    let active = match m.get("active") {
        Some(Value::Bool(b)) => *b,
        None => {
            return Err(ApiError::field(
                "active",
                "missing field active (true or false)",
            ))
        }
        Some(_) => return Err(ApiError::field("active", "active must be true or false")),
    };
    let reason = match m.get("reason") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= MAX_REASON => sanitize_reason(s),
        Some(Value::String(_)) => {
            return Err(ApiError::field(
                "reason",
                format!("reason is longer than {MAX_REASON} characters"),
            ))
        }
        Some(_) => return Err(ApiError::field("reason", "reason must be a string")),
    };
    let now = wall_ms();
    let was = {
        // The reason first, under the state lock the control loop journals under, so its
        // record of the change carries the reason and the broadcaster never sees the switch
        // without it.
        let mut st = app.ctx.state.lock().expect("state");
        st.announce_kill(app.ctx.shared.killed());
        st.kill_reason = active.then(|| (reason.clone(), now));
        let was = app.ctx.shared.kill.swap(active, Ordering::SeqCst);
        *app.kill_note.lock().expect("kill note") = (reason.clone(), now);
        st.announce_kill(active);
        was
    };
    // Acknowledged only once on disk: a process killed right after the 200 keeps it.
    if let Some(j) = app.ctx.journal.clone() {
        let ev = crate::journal::JournalEvent::Control {
            wall_ms: now,
            action: crate::journal::ControlAction::KillSwitch {
                active,
                reason: reason.clone(),
            },
        };
        let persisted = tokio::task::spawn_blocking(move || j.persist(ev, KILL_PERSIST_TIMEOUT))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        if let Err(e) = persisted {
            let msg = format!(
                "the kill switch is {} in this process but was not journaled ({e}): it will not \
                 survive a restart",
                if active { "ON" } else { "off" }
            );
            tracing::error!("{msg}");
            app.ctx
                .state
                .lock()
                .expect("state")
                .push_alert(crate::control::state::Alert {
                    ts_ms: wall_ms(),
                    level: "critical".into(),
                    kind: "kill_switch".into(),
                    message: msg.clone(),
                });
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, msg));
        }
    }
    if was != active {
        let msg = format!(
            "kill switch {}{}",
            if active { "ON" } else { "off" },
            if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            }
        );
        tracing::warn!("{msg} (API)");
    }
    Ok(Json(kill_view(&app)))
}

async fn allowances(State(app): St, method: axum::http::Method) -> Result<Json<Value>, ApiError> {
    let Some(wallet) = app.ctx.wallet.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no trading wallet in this process: allowances are read and set for the wallet of \
             the live path; start with --mode live or shadow and the keys in the environment",
        ));
    };
    let rpc_url = app.ctx.polygon_rpc.clone();
    let set = method == axum::http::Method::POST;
    // Approvals leave from the wallet that holds the funds (an EOA's own transactions, a
    // deposit wallet's relayer batch); the CLOB's balance view is refreshed after them.
    let result = tokio::task::spawn_blocking(move || {
        use crate::wallet::approvals::{approve_from_holder, ApprovalError};
        let gateway = |e: String| ApiError::new(StatusCode::BAD_GATEWAY, e);
        let chain = crate::wallet::chain::ChainIo::new(&rpc_url, wallet.chain)
            .map_err(|e| gateway(e.to_string()))?;
        let mut out = json!({"transactions": []});
        if set {
            let setup = wallet.setup();
            let relayer = match &wallet.relayer {
                Some((url, c)) => Some(
                    crate::wallet::relayer::Relayer::new(url, c.clone())
                        .map_err(|e| gateway(e.to_string()))?,
                ),
                None => None,
            };
            let clob = crate::wallet::clob_funds::ClobFundsClient::new(
                &wallet.clob,
                wallet.creds.clone(),
                setup.eoa(),
                setup.signature_type,
            )
            .map_err(|e| gateway(e.to_string()))?;
            match approve_from_holder(&setup, &chain, relayer.as_ref(), Some(&clob)) {
                Ok(o) => {
                    out = json!({"transactions": o.sent, "clob_balance_u6": o.clob_balance_u6,
                        "clob_allowance_u6": o.clob_allowance_u6});
                }
                Err(ApprovalError::Refused(r)) => {
                    return Err(ApiError::new(StatusCode::CONFLICT, r.to_string()))
                }
                Err(e) => return Err(gateway(e.to_string())),
            }
        }
        let status = crate::clob::allowances::read(&chain.rpc, wallet.chain, &wallet.owner)
            .map_err(|e| gateway(e.to_string()))?;
        out["status"] = json!(status);
        Ok::<_, ApiError>(out)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    result.map(Json)
}
