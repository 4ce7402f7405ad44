//! A Telegram Bot API server: `POST /telegram/bot<TOKEN>/sendMessage` and `…/getUpdates`.
//!
//! Clients use `http://127.0.0.1:PORT/telegram` as the API base. `sendMessage` bodies are
//! recorded; with `parse_mode: "HTML"` the text is checked as Telegram does (only the allowed
//! tags; every other `<`, `>`, `&` escaped) and refused with 400 "can't parse entities"
//! otherwise. `getUpdates` serves commands queued by tests ([`SimTelegram::push_command`]),
//! confirms those below `offset`, and long-polls up to `timeout` seconds (at most 5 here).
//! A fault makes the next calls answer 429 with `parameters.retry_after`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::Shared;

/// Longest long poll the simulator holds.
const MAX_POLL: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Inner {
    next_update_id: i64,
    updates: VecDeque<(i64, Value)>,
    sent: Vec<Value>,
    /// (sendMessage calls still to refuse, retry_after s).
    limit_send: (u32, u64),
    /// (getUpdates calls still to refuse, retry_after s).
    limit_updates: (u32, u64),
}

/// The simulated bot API: what it received, and its switches.
#[derive(Debug, Default)]
pub struct SimTelegram {
    inner: Mutex<Inner>,
    send_calls: AtomicU64,
    get_updates_calls: AtomicU64,
    rate_limited: AtomicU64,
    bad_html: AtomicU64,
}

impl SimTelegram {
    /// Queue a text message from `chat_id` (a command like "/kill reason") for `getUpdates`.
    pub fn push_command(&self, chat_id: i64, text: &str) {
        self.push_command_at(chat_id, text, crate::clock::wall_ms() / 1000);
    }

    /// Same, with the message's `date` (Unix s), e.g. an old command.
    pub fn push_command_at(&self, chat_id: i64, text: &str, date_s: u64) {
        if let Ok(mut i) = self.inner.lock() {
            i.next_update_id += 1;
            let id = 100_000 + i.next_update_id;
            let u = json!({
                "update_id": id,
                "message": {
                    "message_id": id,
                    "date": date_s,
                    "chat": {"id": chat_id, "type": "private", "first_name": "sim"},
                    "from": {"id": chat_id, "is_bot": false, "first_name": "sim"},
                    "text": text,
                }
            });
            i.updates.push_back((id, u));
        }
    }

    /// Every accepted `sendMessage` body, in order.
    pub fn sent(&self) -> Vec<Value> {
        self.inner
            .lock()
            .map(|i| i.sent.clone())
            .unwrap_or_default()
    }

    /// The `text` of every accepted `sendMessage`.
    pub fn sent_texts(&self) -> Vec<String> {
        self.sent()
            .iter()
            .filter_map(|v| v.get("text").and_then(Value::as_str).map(String::from))
            .collect()
    }

    /// The next `n` `sendMessage` calls answer 429 with `retry_after`.
    pub fn rate_limit_sends(&self, n: u32, retry_after_s: u64) {
        if let Ok(mut i) = self.inner.lock() {
            i.limit_send = (n, retry_after_s);
        }
    }

    /// The next `n` `getUpdates` calls answer 429 with `retry_after`.
    pub fn rate_limit_updates(&self, n: u32, retry_after_s: u64) {
        if let Ok(mut i) = self.inner.lock() {
            i.limit_updates = (n, retry_after_s);
        }
    }

    /// Updates not yet confirmed by an `offset`.
    pub fn pending_updates(&self) -> usize {
        self.inner.lock().map(|i| i.updates.len()).unwrap_or(0)
    }

    /// `sendMessage` calls received (429s and refusals included).
    pub fn send_calls(&self) -> u64 {
        self.send_calls.load(Ordering::Relaxed)
    }

    pub fn get_updates_calls(&self) -> u64 {
        self.get_updates_calls.load(Ordering::Relaxed)
    }

    /// Calls answered 429.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// `sendMessage` calls refused for bad HTML.
    pub fn bad_html(&self) -> u64 {
        self.bad_html.load(Ordering::Relaxed)
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/telegram/{bot}/{method}", post(method).get(method))
}

fn error(status: StatusCode, description: &str, retry_after: Option<u64>) -> Response {
    let mut body = json!({
        "ok": false,
        "error_code": status.as_u16(),
        "description": description,
    });
    if let Some(s) = retry_after {
        body["parameters"] = json!({"retry_after": s});
    }
    (status, Json(body)).into_response()
}

/// Telegram's HTML check: allowed tags only, entities escaped. Err names the problem.
pub fn check_html(text: &str) -> Result<(), String> {
    const TAGS: [&str; 14] = [
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<u>",
        "</u>",
        "<s>",
        "</s>",
        "<code>",
        "</code>",
        "<pre>",
        "</pre>",
        "</a>",
        "<a href=\"",
    ];
    let mut i = 0;
    let b = text.as_bytes();
    while i < b.len() {
        match b[i] {
            b'<' => {
                let rest = &text[i..];
                let Some(tag) = TAGS.iter().find(|t| rest.starts_with(**t)) else {
                    return Err(format!("unsupported start tag at byte offset {i}"));
                };
                let end = rest.find('>').ok_or("unclosed tag")?;
                if end + 1 < tag.len() {
                    return Err(format!("bad tag at byte offset {i}"));
                }
                i += end + 1;
            }
            b'>' => return Err(format!("unescaped '>' at byte offset {i}")),
            b'&' => {
                let rest = &text[i..];
                let ok = ["&lt;", "&gt;", "&amp;", "&quot;"]
                    .iter()
                    .any(|e| rest.starts_with(e))
                    || (rest.starts_with("&#")
                        && rest[2..].find(';').is_some_and(|n| {
                            n > 0 && rest[2..2 + n].bytes().all(|c| c.is_ascii_digit())
                        }));
                if !ok {
                    return Err(format!("unescaped '&' at byte offset {i}"));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Parameters from the JSON body or the query string.
fn params(q: &std::collections::HashMap<String, String>, body: &Bytes) -> Value {
    let mut v: Value = serde_json::from_slice(body).unwrap_or_else(|_| json!({}));
    if !v.is_object() {
        v = json!({});
    }
    for (k, val) in q {
        let parsed = serde_json::from_str(val).unwrap_or_else(|_| json!(val));
        v[k.as_str()] = parsed;
    }
    v
}

async fn method(
    State(sh): State<Arc<Shared>>,
    Path((bot, name)): Path<(String, String)>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let tg = &sh.telegram;
    if !bot.starts_with("bot") || bot.len() < 4 {
        return error(StatusCode::NOT_FOUND, "Not Found", None);
    }
    let p = params(&q, &body);
    match name.as_str() {
        "sendMessage" => {
            tg.send_calls.fetch_add(1, Ordering::Relaxed);
            {
                let Ok(mut i) = tg.inner.lock() else {
                    return error(StatusCode::INTERNAL_SERVER_ERROR, "poisoned", None);
                };
                if i.limit_send.0 > 0 {
                    i.limit_send.0 -= 1;
                    let s = i.limit_send.1;
                    tg.rate_limited.fetch_add(1, Ordering::Relaxed);
                    return error(
                        StatusCode::TOO_MANY_REQUESTS,
                        &format!("Too Many Requests: retry after {s}"),
                        Some(s),
                    );
                }
            }
            let Some(text) = p.get("text").and_then(Value::as_str) else {
                return error(StatusCode::BAD_REQUEST, "Bad Request: message text is empty", None);
            };
            if p.get("chat_id").is_none() {
                return error(StatusCode::BAD_REQUEST, "Bad Request: chat not found", None);
            }
            if text.chars().count() > 4096 {
                return error(StatusCode::BAD_REQUEST, "Bad Request: message is too long", None);
            }
            if p.get("parse_mode").and_then(Value::as_str) == Some("HTML") {
                if let Err(e) = check_html(text) {
                    tg.bad_html.fetch_add(1, Ordering::Relaxed);
                    return error(
                        StatusCode::BAD_REQUEST,
                        &format!("Bad Request: can't parse entities: {e}"),
                        None,
                    );
                }
            }
            let Ok(mut i) = tg.inner.lock() else {
                return error(StatusCode::INTERNAL_SERVER_ERROR, "poisoned", None);
            };
            i.sent.push(p.clone());
            let id = i.sent.len();
            Json(json!({"ok": true, "result": {
                "message_id": id,
                "date": crate::clock::wall_ms() / 1000,
                "chat": {"id": p["chat_id"]},
                "text": text,
            }}))
            .into_response()
        }
        "getUpdates" => {
            tg.get_updates_calls.fetch_add(1, Ordering::Relaxed);
            let offset = p.get("offset").and_then(Value::as_i64).unwrap_or(0);
            let timeout = p.get("timeout").and_then(Value::as_u64).unwrap_or(0);
            let until = tokio::time::Instant::now() + Duration::from_secs(timeout).min(MAX_POLL);
            loop {
                {
                    let Ok(mut i) = tg.inner.lock() else {
                        return error(StatusCode::INTERNAL_SERVER_ERROR, "poisoned", None);
                    };
                    if i.limit_updates.0 > 0 {
                        i.limit_updates.0 -= 1;
                        let s = i.limit_updates.1;
                        tg.rate_limited.fetch_add(1, Ordering::Relaxed);
                        return error(
                            StatusCode::TOO_MANY_REQUESTS,
                            &format!("Too Many Requests: retry after {s}"),
                            Some(s),
                        );
                    }
                    if offset > 0 {
                        while i.updates.front().is_some_and(|(id, _)| *id < offset) {
                            i.updates.pop_front();
                        }
                    }
                    let ready: Vec<Value> = i
                        .updates
                        .iter()
                        .filter(|(id, _)| *id >= offset)
                        .map(|(_, u)| u.clone())
                        .collect();
                    if !ready.is_empty() || tokio::time::Instant::now() >= until || sh.stopping()
                    {
                        return Json(json!({"ok": true, "result": ready})).into_response();
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        "getMe" => Json(json!({"ok": true, "result": {"id": 1, "is_bot": true, "first_name": "sim", "username": "sim_bot"}}))
            .into_response(),
        _ => error(StatusCode::NOT_FOUND, "Not Found: method not found", None),
    }
}

#[cfg(test)]
mod tests {
    use super::check_html;

    #[test]
    fn html_check() {
        assert!(check_html("<b>a &lt; b &amp; c</b>\nx: &gt;").is_ok());
        assert!(check_html("a < b").is_err());
        assert!(check_html("a & b").is_err());
        assert!(check_html("a > b").is_err());
        assert!(check_html("<script>").is_err());
    }
}
