//! A Discord webhook sink: `POST /discord/api/webhooks/{id}/{token}`.
//!
//! Records each JSON body and answers 204 (200 with the message when `?wait=true`). A fault
//! makes the next posts answer 429 with the venue's body (`retry_after` in seconds, `global`)
//! and headers (`Retry-After`, `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset-After`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::Shared;

/// The simulated webhook: what it received, and its switches.
#[derive(Debug, Default)]
pub struct SimDiscord {
    bodies: Mutex<Vec<Value>>,
    /// (posts still to refuse, retry_after s).
    limit: Mutex<(u32, f64)>,
    posts: AtomicU64,
    rate_limited: AtomicU64,
}

impl SimDiscord {
    /// Every accepted body, in order.
    pub fn received(&self) -> Vec<Value> {
        self.bodies.lock().map(|b| b.clone()).unwrap_or_default()
    }

    /// The next `n` posts answer 429 with `retry_after` seconds (may be fractional).
    pub fn rate_limit_next(&self, n: u32, retry_after_s: f64) {
        if let Ok(mut l) = self.limit.lock() {
            *l = (n, retry_after_s);
        }
    }

    /// Posts received (429s and refusals included).
    pub fn posts(&self) -> u64 {
        self.posts.load(Ordering::Relaxed)
    }

    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/discord/api/webhooks/{id}/{token}", post(webhook))
}

async fn webhook(
    State(sh): State<Arc<Shared>>,
    Path((_id, _token)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let d = &sh.discord;
    d.posts.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut l) = d.limit.lock() {
        if l.0 > 0 {
            l.0 -= 1;
            d.rate_limited.fetch_add(1, Ordering::Relaxed);
            let s = l.1;
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("retry-after", format!("{}", s.ceil() as u64)),
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset-after", format!("{s:.3}")),
                ],
                Json(json!({
                    "message": "You are being rate limited.",
                    "retry_after": s,
                    "global": false,
                })),
            )
                .into_response();
        }
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "Cannot send an empty message", "code": 50006})),
        )
            .into_response();
    };
    let has_content = v
        .get("content")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    let has_embeds = v
        .get("embeds")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty());
    if !has_content && !has_embeds {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "Cannot send an empty message", "code": 50006})),
        )
            .into_response();
    }
    let n = match d.bodies.lock() {
        Ok(mut b) => {
            b.push(v.clone());
            b.len()
        }
        Err(_) => 0,
    };
    if q.get("wait").is_some_and(|w| w == "true") {
        Json(json!({"id": n.to_string(), "content": v.get("content"), "embeds": v.get("embeds")}))
            .into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}
