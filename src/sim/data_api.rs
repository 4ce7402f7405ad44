//! Polymarket Data API `GET /trades?user=…&limit=N` for whale wallets.
//!
//! Every wallet trades on its own deterministic schedule (seeded by the simulator seed and the
//! address): in each 2-second slot since the simulator started it may make one trade in the
//! window of one simulated asset that was live then, so slugs, condition ids and token ids
//! match Gamma's. Tests can turn generation off and inject rows of their own
//! ([`SimDataApi::inject`]), and make the next requests answer 429 with `Retry-After`.
//! Rows are newest first, in the venue's shape (`docs/venue/polymarket.md` §7).
//!
//! `GET /positions` (the wallet's holdings, from the simulated CLOB) is in
//! `data_positions.rs`.
//!
//! `GET /v2/trades` serves the same rows in the v2 shape of the real rows in
//! `tests/data/venue/data_api/` (snake_case, `token_id` for `asset`) inside the
//! `{"data":[…],"pagination":{limit,offset,has_more,next_cursor}}` envelope.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::stats::bump;
use super::windows::mix64;
use super::Shared;

/// Length of a trading slot of a generated wallet, s.
const SLOT_S: u64 = 2;
/// Slots scanned back from now at most.
const MAX_SLOTS: u64 = 1_800;

/// The simulated Data API: switches and what it served.
#[derive(Debug)]
pub struct SimDataApi {
    generate: AtomicBool,
    injected: Mutex<HashMap<String, Vec<Value>>>,
    requests: AtomicU64,
    limited: AtomicU64,
    /// (requests still to refuse with 429, Retry-After seconds).
    rate_limit: Mutex<(u32, u64)>,
    started_s: u64,
}

impl SimDataApi {
    pub(crate) fn new(started_s: u64) -> SimDataApi {
        SimDataApi {
            generate: AtomicBool::new(true),
            injected: Mutex::default(),
            requests: AtomicU64::new(0),
            limited: AtomicU64::new(0),
            rate_limit: Mutex::new((0, 0)),
            started_s,
        }
    }

    /// Generate trades for every wallet asked about (default on).
    pub fn set_generate(&self, on: bool) {
        self.generate.store(on, Ordering::SeqCst);
    }

    /// Add a row to a wallet's trades, in the venue's shape (`proxyWallet`, `side`, `size`,
    /// `price`, `timestamp`, `slug`, `outcome`, `transactionHash`, …).
    pub fn inject(&self, address: &str, row: Value) {
        if let Ok(mut m) = self.injected.lock() {
            m.entry(address.to_ascii_lowercase()).or_default().push(row);
        }
    }

    /// The next `n` requests answer 429 with `Retry-After: retry_after_s`.
    pub fn rate_limit_next(&self, n: u32, retry_after_s: u64) {
        if let Ok(mut r) = self.rate_limit.lock() {
            *r = (n, retry_after_s);
        }
    }

    /// `/trades`, `/v2/trades` and `/positions` requests received.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests answered 429.
    pub fn rate_limited(&self) -> u64 {
        self.limited.load(Ordering::Relaxed)
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/trades", get(trades))
        .route("/v2/trades", get(trades_v2))
        .route("/positions", get(super::data_positions::positions))
}

fn addr_seed(seed: u64, addr: &str) -> u64 {
    addr.bytes()
        .fold(mix64(seed ^ 0x5748_414c), |h, b| mix64(h ^ u64::from(b)))
}

/// The generated trade of slot `slot` for a wallet, if it trades then.
fn generated(sh: &Shared, addr: &str, seed: u64, slot: u64, now_s: u64) -> Option<Value> {
    let p = mix64(seed ^ slot);
    if p % 3 != 0 {
        return None;
    }
    let ts = slot * SLOT_S + (p >> 40) % SLOT_S;
    if ts > now_s {
        return None;
    }
    let world = sh.world.lock().ok()?;
    let n = world.symbols.len() as u64;
    let asset = ((p >> 8) % n.max(1)) as usize;
    let len = sh.cfg.window_secs;
    let start = ts - ts % len;
    let w = world.windows.find(asset, start)?;
    let up = (p >> 16) & 1 == 0;
    let buy = (p >> 17) % 4 != 0;
    let price = 0.05 + ((p >> 20) % 90) as f64 / 100.0;
    let size = 5.0 + ((p >> 32) % 3_000) as f64;
    let tx = format!(
        "0x{:016x}{:016x}{:016x}{:016x}",
        mix64(p),
        mix64(p ^ 1),
        mix64(p ^ 2),
        mix64(p ^ 3)
    );
    let symbol = sh.symbol(asset);
    Some(json!({
        "proxyWallet": addr,
        "side": if buy { "BUY" } else { "SELL" },
        "asset": if up { &w.view.up_token } else { &w.view.down_token },
        "conditionId": w.view.condition_id,
        "size": size,
        "price": (price * 100.0).round() / 100.0,
        "timestamp": ts,
        "title": format!("{symbol} Up or Down"),
        "slug": w.view.slug,
        "icon": "",
        "eventSlug": w.view.slug,
        "outcome": if up { "Up" } else { "Down" },
        "outcomeIndex": if up { 0 } else { 1 },
        "name": "",
        "pseudonym": "",
        "bio": "",
        "profileImage": "",
        "profileImageOptimized": "",
        "transactionHash": tx,
    }))
}

async fn trades(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match rows_for(&sh, &q) {
        Ok((rows, _)) => Json(Value::Array(rows)).into_response(),
        Err(r) => r,
    }
}

/// A v1 row's key in the v2 shape.
fn v2_key(k: &str) -> String {
    match k {
        "asset" => "token_id".into(),
        "oppositeAsset" => "opposite_token_id".into(),
        k => k.chars().fold(String::new(), |mut out, c| {
            if c.is_ascii_uppercase() {
                out.push('_');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
            out
        }),
    }
}

async fn trades_v2(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match rows_for(&sh, &q) {
        Ok((rows, limit)) => {
            let data: Vec<Value> = rows
                .into_iter()
                .map(|r| match r {
                    Value::Object(m) => {
                        Value::Object(m.into_iter().map(|(k, v)| (v2_key(&k), v)).collect())
                    }
                    other => other,
                })
                .collect();
            Json(json!({
                "data": data,
                "pagination": {"limit": limit, "offset": 0, "has_more": false, "next_cursor": null},
            }))
            .into_response()
        }
        Err(r) => r,
    }
}

/// Counts a request; the venue's 429 with `Retry-After` while [`SimDataApi::rate_limit_next`]
/// says so.
pub(crate) fn refuse_if_limited(sh: &Shared) -> Option<Response> {
    let api = &sh.data_api;
    bump(&api.requests);
    let mut r = api.rate_limit.lock().ok()?;
    if r.0 == 0 {
        return None;
    }
    r.0 -= 1;
    bump(&api.limited);
    let body = json!({"error": "Too Many Requests"});
    Some(
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, r.1.to_string())],
            Json(body),
        )
            .into_response(),
    )
}

/// The rows of a `user` (newest first) and the limit applied, or the venue's refusal.
#[allow(clippy::result_large_err)]
fn rows_for(sh: &Shared, q: &HashMap<String, String>) -> Result<(Vec<Value>, usize), Response> {
    let api = &sh.data_api;
    if let Some(r) = refuse_if_limited(sh) {
        return Err(r);
    }
    let Some(user) = q.get("user").map(|u| u.to_ascii_lowercase()) else {
        return Err((
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "user is required"})),
        )
            .into_response());
    };
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 10_000);
    let now_s = crate::clock::wall_ms() / 1000;
    let mut rows: Vec<Value> = api
        .injected
        .lock()
        .map(|m| m.get(&user).cloned().unwrap_or_default())
        .unwrap_or_default();
    if api.generate.load(Ordering::Relaxed) {
        let seed = addr_seed(sh.cfg.seed, &user);
        let first = api.started_s / SLOT_S;
        let mut slot = now_s / SLOT_S;
        let mut made = 0;
        while slot >= first && now_s / SLOT_S - slot < MAX_SLOTS && made < limit {
            if let Some(v) = generated(sh, &user, seed, slot, now_s) {
                rows.push(v);
                made += 1;
            }
            if slot == 0 {
                break;
            }
            slot -= 1;
        }
    }
    let ts = |v: &Value| v.get("timestamp").and_then(Value::as_f64).unwrap_or(0.0);
    rows.sort_by(|a, b| ts(b).total_cmp(&ts(a)));
    rows.truncate(limit);
    Ok((rows, limit))
}
