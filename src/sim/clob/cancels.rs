//! Cancels and heartbeats (L2): `DELETE /order` `{"orderID"}`, `DELETE /cancel-all`, and
//! `POST /v1/heartbeats`. Once a key has sent a heartbeat, its resting orders are cancelled
//! when the next one is late (see [`super::lifecycle::settle`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::auth::check_l2;
use super::lifecycle::{settle, OrderStatus};
use super::routes::{fault_delay, forced_fault, St};
use super::rules::{INVALID_ORDER_ID, INVALID_PAYLOAD, UNAUTHORIZED};
use super::wire::{error_response, json_response, uuid_from};
use crate::clob::sign::keccak;

async fn authed(
    sh: &crate::sim::Shared,
    h: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<String, Response> {
    fault_delay(sh).await;
    if let Some((_, resp)) = forced_fault(sh) {
        return Err(resp);
    }
    settle(sh);
    check_l2(&sh.clob, h, method, path, body)
        .ok_or_else(|| error_response(StatusCode::UNAUTHORIZED, UNAUTHORIZED))
}

fn cancelable(s: OrderStatus) -> bool {
    matches!(s, OrderStatus::Live | OrderStatus::Delayed)
}

pub(crate) async fn cancel_order(State(sh): St, h: HeaderMap, body: Bytes) -> Response {
    let key = match authed(&sh, &h, "DELETE", "/order", &body).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let Some(id) = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("orderID")
                .and_then(|x| x.as_str())
                .map(str::to_string)
        })
    else {
        return error_response(StatusCode::BAD_REQUEST, INVALID_PAYLOAD);
    };
    if !(id.starts_with("0x") && id.len() == 66) {
        return error_response(StatusCode::BAD_REQUEST, INVALID_ORDER_ID);
    }
    let mut st = sh.clob.state();
    let v = match st.life.orders.get_mut(&id).filter(|o| o.api_key == key) {
        Some(o) if cancelable(o.status) => {
            o.status = OrderStatus::Canceled;
            o.due_ms = None;
            json!({"canceled": [id], "not_canceled": {}})
        }
        Some(_) => {
            json!({"canceled": [], "not_canceled": {id: "order can't be canceled: already matched or canceled"}})
        }
        None => json!({"canceled": [], "not_canceled": {id: "order not found"}}),
    };
    json_response(StatusCode::OK, v.to_string())
}

pub(crate) async fn cancel_all(State(sh): St, h: HeaderMap, body: Bytes) -> Response {
    let key = match authed(&sh, &h, "DELETE", "/cancel-all", &body).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let mut st = sh.clob.state();
    let mut canceled: Vec<String> = st
        .life
        .orders
        .values_mut()
        .filter(|o| o.api_key == key && cancelable(o.status))
        .map(|o| {
            o.status = OrderStatus::Canceled;
            o.due_ms = None;
            o.id.clone()
        })
        .collect();
    canceled.sort();
    drop(st);
    sh.clob.count_cancel_all();
    json_response(
        StatusCode::OK,
        json!({"canceled": canceled, "not_canceled": {}}).to_string(),
    )
}

pub(crate) async fn heartbeat(State(sh): St, h: HeaderMap, body: Bytes) -> Response {
    let key = match authed(&sh, &h, "POST", "/v1/heartbeats", &body).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let now_ms = crate::clock::wall_ms();
    let mut st = sh.clob.state();
    st.life.heartbeats.insert(key.clone(), now_ms);
    let id = uuid_from(&keccak(format!("heartbeat:{key}:{now_ms}").as_bytes()));
    json_response(StatusCode::OK, json!({"heartbeat_id": id}).to_string())
}
