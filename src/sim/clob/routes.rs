//! Mounting the CLOB's trading routes on the simulator's HTTP server, and the fault switches
//! every one of them obeys first: a forced status (429 carries `Retry-After`) and a delay.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;

use super::rules::{EXECUTION_FAILED, TOO_MANY_REQUESTS, TRADING_DISABLED};
use super::wire::{error_body, json_response};
use super::{auth, cancels, orders, queries, user_channel};
use crate::sim::Shared;

pub(crate) type St = State<Arc<Shared>>;

/// The CLOB trading routes, merged into the simulator's router.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/order",
            post(orders::post_order).delete(cancels::cancel_order),
        )
        .route("/cancel-all", delete(cancels::cancel_all))
        .route("/v1/heartbeats", post(cancels::heartbeat))
        .route("/data/order/{id}", get(queries::order))
        .route("/data/trades", get(queries::trades))
        .route("/balance-allowance", get(queries::balance_allowance))
        .route(
            "/balance-allowance/update",
            get(queries::update_balance_allowance),
        )
        .route("/ws/user", get(user_channel::connect))
        .route("/version", get(version))
        .route("/auth/api-key", post(auth::create_api_key))
        .route("/auth/derive-api-key", get(auth::derive_api_key))
}

async fn version(State(sh): St) -> Response {
    json_response(
        StatusCode::OK,
        format!("{{\"version\":{}}}", sh.clob.version()),
    )
}

/// The forced-status fault's answer, if one applies to this request: the venue's body for
/// the status, and `Retry-After` (seconds) on a 429.
pub(crate) fn forced_fault(sh: &Shared) -> Option<(u16, Response)> {
    let code = sh.faults.take_clob_status()?;
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let msg = match code {
        429 => TOO_MANY_REQUESTS,
        503 => TRADING_DISABLED,
        c if c >= 500 => EXECUTION_FAILED,
        _ => "simulated fault",
    };
    let mut resp = json_response(status, error_body(msg));
    if code == 429 {
        let secs = sh.faults.clob_retry_after_s().to_string();
        if let Ok(v) = axum::http::HeaderValue::from_str(&secs) {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
    }
    Some((code, resp.into_response()))
}

pub(crate) async fn fault_delay(sh: &Shared) {
    let ms = sh.faults.clob_delay_ms();
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}
