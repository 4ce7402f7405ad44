//! The CLOB's read routes (L2): `GET /data/order/{id}`, `GET /data/trades`,
//! `GET /balance-allowance` and `GET /balance-allowance/update`. Each settles the lifecycle
//! first, so what it shows is current. Shapes follow NautilusTrader's Polymarket test data
//! and a captured `get_balance_allowance` answer (tests/data/venue/clob/README.md).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::auth::check_l2;
use super::lifecycle::{settle, SimOrder, SimTrade, TradeStatus};
use super::routes::{fault_delay, forced_fault, St};
use super::rules::{INVALID_ORDER_ID, UNAUTHORIZED};
use super::wire::{error_response, json_response};
use crate::clob::amounts::Units;
use crate::clob::order::{Address, Chain, SignatureType};

/// uint256 max, what the venue shows for an unlimited allowance.
const UINT256_MAX: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

fn amount(u: u64) -> String {
    if u == u64::MAX {
        UINT256_MAX.to_string()
    } else {
        u.to_string()
    }
}

pub(crate) fn order_json(o: &SimOrder, owner: &str) -> Value {
    json!({
        "id": o.id,
        "status": o.status.wire(),
        "owner": owner,
        "maker_address": Address::from_bytes(o.wallet).as_str(),
        "market": o.market,
        "asset_id": o.token,
        "side": o.side.as_str(),
        "original_size": Units(o.original_u6).to_string(),
        "size_matched": Units(o.matched_u6).to_string(),
        "price": Units(o.price_u6).to_string(),
        "outcome": o.outcome,
        "expiration": o.expiration_s.to_string(),
        "order_type": o.order_type.as_str(),
        "associate_trades": o.trade_ids,
        "created_at": o.created_s,
    })
}

pub(crate) fn trade_json(t: &SimTrade, now_ms: u64) -> Value {
    let status = t.status_at(now_ms);
    let last = match status {
        TradeStatus::Matched => t.match_ms,
        TradeStatus::Mined | TradeStatus::Retrying => t.mined_ms,
        TradeStatus::Confirmed | TradeStatus::Failed => t.confirmed_ms,
    };
    json!({
        "id": t.id,
        "taker_order_id": t.order_id,
        "market": t.market,
        "asset_id": t.token,
        "side": t.side.as_str(),
        "size": Units(t.size_u6).to_string(),
        "fee_rate_bps": "0",
        "price": Units(t.price_u6).to_string(),
        "status": status.wire(),
        "match_time": (t.match_ms / 1000).to_string(),
        "last_update": (last / 1000).to_string(),
        "outcome": t.outcome,
        "bucket_index": 0,
        "owner": t.api_key,
        "maker_address": Address::from_bytes(t.wallet).as_str(),
        // Known once the trade is mined (or retried); empty while only matched.
        "transaction_hash": if status == TradeStatus::Matched { "" } else { t.tx_hash.as_str() },
        "maker_orders": [],
        "trader_side": if t.taker { "TAKER" } else { "MAKER" },
    })
}

async fn authed(sh: &crate::sim::Shared, h: &HeaderMap, path: &str) -> Result<String, Response> {
    fault_delay(sh).await;
    if let Some((_, resp)) = forced_fault(sh) {
        return Err(resp);
    }
    settle(sh);
    check_l2(&sh.clob, h, "GET", path, b"")
        .ok_or_else(|| error_response(StatusCode::UNAUTHORIZED, UNAUTHORIZED))
}

pub(crate) async fn order(State(sh): St, Path(id): Path<String>, h: HeaderMap) -> Response {
    let key = match authed(&sh, &h, &format!("/data/order/{id}")).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    if !(id.starts_with("0x") && id.len() == 66) {
        return error_response(StatusCode::BAD_REQUEST, INVALID_ORDER_ID);
    }
    let st = sh.clob.state();
    match st.life.orders.get(&id).filter(|o| o.api_key == key) {
        Some(o) => json_response(StatusCode::OK, order_json(o, &key).to_string()),
        None => error_response(StatusCode::NOT_FOUND, "order not found"),
    }
}

pub(crate) async fn trades(
    State(sh): St,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    let key = match authed(&sh, &h, "/data/trades").await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let now_ms = crate::clock::wall_ms();
    let st = sh.clob.state();
    let want = |k: &str, v: &str| q.get(k).is_none_or(|x| x.eq_ignore_ascii_case(v));
    // `after` / `before`: Unix-second bounds on the match time, as the clients send them
    // (polymarket.md §4). The venue's answer to a malformed bound is not captured: one that
    // is not a number is ignored, like any other unknown query.
    let bound = |k: &str| q.get(k).and_then(|x| x.parse::<u64>().ok());
    let (after, before) = (
        bound("after").unwrap_or(0),
        bound("before").unwrap_or(u64::MAX),
    );
    // The maker filter as bytes: checksumming every trade's address (a keccak each) on every
    // query made a long session's `/data/trades` cost milliseconds under the CLOB's lock.
    let maker = q
        .get("maker_address")
        .map(|a| Address::parse_hex(a).map(|a| *a.bytes()).ok());
    let data: Vec<Value> = st
        .life
        .trades
        .iter()
        .filter(|t| (after..=before).contains(&(t.match_ms / 1000)))
        .filter(|t| t.api_key == key)
        .filter(|t| want("id", &t.id) && want("market", &t.market) && want("asset_id", &t.token))
        .filter(|t| maker.is_none_or(|m| m == Some(t.wallet)))
        .map(|t| trade_json(t, now_ms))
        .collect();
    let n = data.len();
    json_response(
        StatusCode::OK,
        json!({"data": data, "next_cursor": "LTE=", "limit": 100, "count": n}).to_string(),
    )
}

/// The wallet the CLOB reads for `?signature_type=` of the key's owner.
fn wallet_for(
    sh: &crate::sim::Shared,
    key: &str,
    q: &HashMap<String, String>,
) -> Result<[u8; 20], &'static str> {
    const BAD: &str = "Invalid signature_type";
    let t = match q.get("signature_type").map(String::as_str) {
        None | Some("0") => SignatureType::Eoa,
        Some("1") => SignatureType::PolyProxy,
        Some("2") => SignatureType::PolyGnosisSafe,
        Some("3") => SignatureType::Poly1271,
        Some(_) => return Err(BAD),
    };
    let st = sh.clob.state();
    let eoa = st.keys.get(key).map(|k| k.eoa);
    eoa.and_then(|e| st.accounts.of_type(&e, t).map(|(a, _)| a))
        .ok_or(BAD)
}

pub(crate) async fn balance_allowance(
    State(sh): St,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    let key = match authed(&sh, &h, "/balance-allowance").await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let wallet = match wallet_for(&sh, &key, &q) {
        Ok(w) => w,
        Err(msg) => return error_response(StatusCode::BAD_REQUEST, msg),
    };
    let st = sh.clob.state();
    let Some(w) = st.accounts.wallets.get(&wallet) else {
        return error_response(StatusCode::BAD_REQUEST, "Invalid signature_type");
    };
    let balance = match q.get("asset_type").map(String::as_str) {
        Some("COLLATERAL") => w.cached_pusd_u6,
        Some("CONDITIONAL") => match q.get("token_id") {
            Some(t) => w.tokens_of(t),
            None => return error_response(StatusCode::BAD_REQUEST, "Invalid asset type"),
        },
        _ => return error_response(StatusCode::BAD_REQUEST, "Invalid asset type"),
    };
    let c = sh.clob.chain().contracts();
    let a = amount(w.cached_allowance_u6);
    let body = json!({
        "balance": balance.to_string(),
        "allowances": {
            c.exchange_v2: a,
            c.neg_risk_adapter: a,
            c.neg_risk_exchange_v2: a,
        },
    });
    json_response(StatusCode::OK, body.to_string())
}

/// Refreshes the cached view of the wallet from the chain; answers an empty 200.
pub(crate) async fn update_balance_allowance(
    State(sh): St,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    let key = match authed(&sh, &h, "/balance-allowance/update").await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let wallet = match wallet_for(&sh, &key, &q) {
        Ok(w) => w,
        Err(msg) => return error_response(StatusCode::BAD_REQUEST, msg),
    };
    let approved = sh.rpc.pusd_approved(Chain::Polygon, &wallet);
    sh.clob
        .refresh_cache(&Address::from_bytes(wallet), approved);
    (StatusCode::OK, "").into_response()
}
