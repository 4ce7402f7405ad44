//! Venue endpoints that are neither market data nor trading, for `cassandra preflight`:
//! - `GET /api/geoblock` (polymarket.com's): `{"blocked","ip","country","region"}`, answering
//!   blocked (country GB) while [`SimVenueMisc::set_geoblocked`] is on;
//! - `GET /time` (the CLOB's): Unix seconds, shifted by [`SimVenueMisc::set_clock_offset_ms`]
//!   to play a host whose clock is wrong;
//! - `GET /auth/api-keys` (CLOB, L2): `{"apiKeys":[key]}` for valid L2 headers, else 401 in
//!   the venue's words;
//! - pUSD `balanceOf(owner)` over the JSON-RPC (`POST /rpc` `eth_call` to the collateral
//!   contract), answered by a layer in front of [`super::rpc`] for owners given a balance
//!   with [`SimVenueMisc::set_pusd_balance`]; every other call passes through unchanged.
//!
//! Shapes: tests/data/venue/preflight/README.md.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::Shared;
use crate::clob::order::{Address, Chain};
use crate::clob::sign::keccak;

#[derive(Debug, Default)]
pub struct SimVenueMisc {
    blocked: AtomicBool,
    clock_offset_ms: AtomicI64,
    balances: Mutex<HashMap<[u8; 20], u128>>,
}

impl SimVenueMisc {
    /// Answer `/api/geoblock` as for a blocked country (GB) while on.
    pub fn set_geoblocked(&self, on: bool) {
        self.blocked.store(on, Ordering::SeqCst);
    }

    /// Shift the CLOB's `GET /time` by this many ms (positive: the venue is ahead).
    pub fn set_clock_offset_ms(&self, ms: i64) {
        self.clock_offset_ms.store(ms, Ordering::SeqCst);
    }

    /// Give `owner` this many pUSD micro-units, as `balanceOf` reports them.
    pub fn set_pusd_balance(&self, owner: &Address, units: u128) {
        self.balances
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(*owner.bytes(), units);
    }

    fn balance(&self, owner: &[u8; 20]) -> Option<u128> {
        self.balances
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(owner)
            .copied()
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/geoblock", get(geoblock))
        .route("/time", get(time))
        .route("/auth/api-keys", get(api_keys))
}

type St = State<Arc<Shared>>;

async fn geoblock(State(sh): St) -> Json<Value> {
    Json(if sh.misc.blocked.load(Ordering::SeqCst) {
        json!({"blocked": true, "ip": "127.0.0.1", "country": "GB", "region": "ENG"})
    } else {
        json!({"blocked": false, "ip": "127.0.0.1", "country": "IE", "region": "L"})
    })
}

async fn time(State(sh): St) -> Json<i64> {
    let ms = crate::clock::wall_ms() as i64 + sh.misc.clock_offset_ms.load(Ordering::SeqCst);
    Json(ms.div_euclid(1000))
}

async fn api_keys(State(sh): St, headers: HeaderMap) -> Response {
    match super::clob::check_l2(&sh.clob, &headers, "GET", "/auth/api-keys", &[]) {
        Some(key) => Json(json!({"apiKeys": [key]})).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "Unauthorized/Invalid api key"})),
        )
            .into_response(),
    }
}

/// The owner of a pUSD `balanceOf` `eth_call`, if `v` is one.
fn balance_of_owner(v: &Value) -> Option<[u8; 20]> {
    if v.get("method")?.as_str()? != "eth_call" {
        return None;
    }
    let call = v.get("params")?.get(0)?;
    let to = Address::parse_hex(call.get("to")?.as_str()?).ok()?;
    if !to
        .as_str()
        .eq_ignore_ascii_case(Chain::Polygon.contracts().collateral)
    {
        return None;
    }
    let data = call.get("data").or_else(|| call.get("input"))?.as_str()?;
    let data = data.strip_prefix("0x")?;
    let h = keccak(b"balanceOf(address)");
    let sel: String = h[..4].iter().map(|b| format!("{b:02x}")).collect();
    if data.len() != 8 + 64 || !data[..8].eq_ignore_ascii_case(&sel) {
        return None;
    }
    Address::parse_hex(&format!("0x{}", &data[8 + 24..]))
        .ok()
        .map(|a| *a.bytes())
}

/// Layer: answers pUSD `balanceOf` for owners with a balance; passes everything else on.
pub(crate) async fn pusd_balance(State(sh): St, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || req.uri().path() != "/rpc" {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response();
    };
    if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
        if let Some(units) = balance_of_owner(&v).and_then(|o| sh.misc.balance(&o)) {
            let id = v.get("id").cloned().unwrap_or(Value::Null);
            return Json(json!({"jsonrpc": "2.0", "id": id,
                "result": format!("0x{units:064x}")}))
            .into_response();
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
