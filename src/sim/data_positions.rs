//! Polymarket Data API `GET /positions?user=…`: the wallet's outcome-token holdings, served
//! from the simulated CLOB's balances (what the venue holds for that address, to the
//! micro-share), one row per token in the shape of the real rows in
//! `tests/data/venue/data_api/v2_positions_pysdk.json` (snake_case: `token_id`,
//! `condition_id`, `current_size` in shares as a JSON number, `redeemable`, …), as a bare
//! array.
//!
//! Query: `user` (required), `sizeThreshold` (shares, default 1: smaller positions are left
//! out, as the venue does), `limit` (default 100, at most 500), `offset`. Rows are ordered by
//! token id so pages are stable.
//!
//! The simulator keeps no cost basis per wallet: the cost and PnL fields are 0, and
//! `current_price` is 0.5 while the market trades, then 1 or 0 once it settled (`redeemable`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::Shared;
use crate::clob::order::Address;

/// The venue's page size ceiling.
const MAX_LIMIT: usize = 500;

fn bad(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
}

pub(crate) async fn positions(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = super::data_api::refuse_if_limited(&sh) {
        return r;
    }
    let Some(user) = q.get("user") else {
        return bad("user is required");
    };
    let Ok(addr) = Address::parse_hex(user) else {
        return bad("user is not a valid address");
    };
    // A number parameter, or the name of the one that is not a non-negative number.
    let num = |k: &'static str, default: f64| -> Result<f64, &'static str> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or(k),
        }
    };
    let (threshold, limit, offset) = match (
        num("sizeThreshold", 1.0),
        num("limit", 100.0),
        num("offset", 0.0),
    ) {
        (Ok(t), Ok(l), Ok(o)) => (t, (l as usize).clamp(1, MAX_LIMIT), o as usize),
        (Err(k), _, _) | (_, Err(k), _) | (_, _, Err(k)) => {
            return bad(&format!("{k} must be a non-negative number"))
        }
    };
    let held = sh.clob.balance(&addr).map(|b| b.tokens).unwrap_or_default();
    let user = user.to_ascii_lowercase();
    let rows: Vec<Value> = held
        .into_iter()
        .filter(|(_, n)| *n > 0 && *n as f64 / 1e6 >= threshold)
        .skip(offset)
        .take(limit)
        .map(|(token, n)| row(&sh, &user, &token, n))
        .collect();
    Json(Value::Array(rows)).into_response()
}

/// One position row; market fields from the window the token belongs to (empty when the
/// simulator no longer keeps it).
fn row(sh: &Shared, user: &str, token: &str, shares_u6: u64) -> Value {
    let size = shares_u6 as f64 / 1e6;
    let world = sh.world.lock().ok();
    let w = world.as_ref().and_then(|w| {
        w.windows
            .all()
            .find(|x| x.view.up_token == token || x.view.down_token == token)
            .cloned()
    });
    drop(world);
    let (cid, slug, title, event_id, end_s, up, opposite, settled, up_won) = match &w {
        Some(w) => {
            let up = w.view.up_token == token;
            (
                w.view.condition_id.clone(),
                w.view.slug.clone(),
                format!("{} Up or Down", sh.symbol(w.asset)),
                w.event_id.to_string(),
                w.view.end_s,
                up,
                if up {
                    w.view.down_token.clone()
                } else {
                    w.view.up_token.clone()
                },
                w.settled(),
                w.view.end_price.zip(w.view.strike).map(|(e, s)| e >= s),
            )
        }
        None => Default::default(),
    };
    let price = match (settled, up_won) {
        (true, Some(up_won)) => f64::from(u8::from(up_won == up)),
        _ => 0.5,
    };
    let (y, m, d) = crate::calendar::civil_from_days((end_s / 86_400) as i64);
    let outcome = |up: bool| if up { "Up" } else { "Down" };
    json!({
        "proxy_wallet": user,
        "token_id": token,
        "condition_id": cid,
        "current_size": size,
        "avg_price": 0.0,
        "entry_cost_usdc": 0.0,
        "entry_fees_usdc": 0.0,
        "total_cost_usdc": 0.0,
        "current_price": price,
        "current_value": size * price,
        "total_size": size,
        "realized_pnl": 0.0,
        "unrealized_pnl": 0.0,
        "total_pnl": 0.0,
        "percent_pnl": 0.0,
        "percent_realized_pnl": 0.0,
        "status": "OPEN",
        "redeemable": settled,
        "mergeable": false,
        "negative_risk": false,
        "archived": false,
        "title": title,
        "slug": slug,
        "icon": "",
        "event_id": event_id,
        "event_slug": slug,
        "outcome": outcome(up),
        "outcome_index": if up { 0 } else { 1 },
        "opposite_outcome": outcome(!up),
        "opposite_token_id": opposite,
        "end_date": format!("{y:04}-{m:02}-{d:02}"),
        "last_event_at": crate::clock::wall_ms() / 1000,
        "name": "",
        "profile_image": "",
        "verified": false,
    })
}
