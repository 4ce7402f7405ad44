//! One destination's sender thread: pacing, `retry_after`, retries with backoff.
//!
//! Blocking HTTP happens only here. The endpoint URLs hold secrets: nothing here logs a URL,
//! and transport errors are stripped of it before they are logged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::format::Message;
use super::{bump, AlertTx, Dest, DestStats, Outgoing};
use crate::control::whales::parse_retry_after;
use crate::pipeline::shared::Shared;

/// How long a stopping worker keeps sending what is left.
const FLUSH: Duration = Duration::from_secs(2);

pub(crate) enum Endpoint {
    Telegram {
        api: String,
        token: String,
        chat: String,
    },
    Discord {
        url: String,
        username: String,
    },
}

/// The outcome of one attempt.
#[derive(Debug, PartialEq)]
pub(crate) enum PostError {
    /// 429: wait this long (the venue's `retry_after`), or back off when absent.
    RateLimited(Option<Duration>),
    /// Network, timeout or 5xx: retry with backoff.
    Transient(String),
    /// The venue refused the message (4xx): retrying will not help.
    Refused(u16, String),
}

/// A success may carry a pause the venue asked for (Discord's bucket is empty).
type PostResult = Result<Option<Duration>, PostError>;

/// Telegram's chat id: a number when it is one, else the `@channel` string.
pub(crate) fn chat_id_json(chat: &str) -> Value {
    chat.parse::<i64>()
        .map_or_else(|_| json!(chat), |n| json!(n))
}

/// `{"ok":false,"error_code":429,"description":"…","parameters":{"retry_after":S}}`
fn telegram_retry_after(body: &Value) -> Option<Duration> {
    let s = body.pointer("/parameters/retry_after")?.as_f64()?;
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s.min(3600.0)))
}

/// Telegram `sendMessage` with HTML parse mode.
pub(crate) fn telegram_send(
    client: &reqwest::blocking::Client,
    api: &str,
    token: &str,
    chat: &str,
    html: &str,
) -> PostResult {
    let body = json!({
        "chat_id": chat_id_json(chat),
        "text": html,
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    });
    let resp = client
        .post(format!("{api}/bot{token}/sendMessage"))
        .json(&body)
        .send()
        .map_err(|e| PostError::Transient(e.without_url().to_string()))?;
    let status = resp.status().as_u16();
    let header_wait = parse_retry_after(resp.headers().get("retry-after"));
    let text = resp.bytes().unwrap_or_default();
    let v: Value = serde_json::from_slice(&text).unwrap_or(Value::Null);
    let description = v
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    match status {
        200..=299 if v.get("ok") != Some(&Value::Bool(false)) => Ok(None),
        429 => Err(PostError::RateLimited(
            telegram_retry_after(&v).or(header_wait),
        )),
        500..=599 => Err(PostError::Transient(format!("HTTP {status}"))),
        _ => Err(PostError::Refused(status, description)),
    }
}

/// Discord webhook post.
fn discord_send(client: &reqwest::blocking::Client, url: &str, body: &Value) -> PostResult {
    let resp = client
        .post(url)
        .json(body)
        .send()
        .map_err(|e| PostError::Transient(e.without_url().to_string()))?;
    let status = resp.status().as_u16();
    let h = resp.headers();
    let reset_after = parse_retry_after(h.get("x-ratelimit-reset-after"));
    let header_wait = parse_retry_after(h.get("retry-after")).or(reset_after);
    let remaining_zero = h
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    let text = resp.bytes().unwrap_or_default();
    match status {
        200..=299 => Ok(if remaining_zero { reset_after } else { None }),
        429 => {
            let v: Value = serde_json::from_slice(&text).unwrap_or(Value::Null);
            let body_wait = v
                .get("retry_after")
                .and_then(Value::as_f64)
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s.min(3600.0)));
            Err(PostError::RateLimited(body_wait.or(header_wait)))
        }
        500..=599 => Err(PostError::Transient(format!("HTTP {status}"))),
        _ => Err(PostError::Refused(status, String::new())),
    }
}

pub(crate) struct Worker {
    pub dest: Dest,
    pub endpoint: Endpoint,
    pub rx: crossbeam::channel::Receiver<Outgoing>,
    /// Command answers and kill / mode alerts: taken before anything in `rx`.
    pub urgent: crossbeam::channel::Receiver<Outgoing>,
    pub client: reqwest::blocking::Client,
    pub tx: AlertTx,
    pub stop: Arc<AtomicBool>,
    pub shared: Arc<Shared>,
    pub min_interval: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub max_attempts: u32,
}

impl Worker {
    fn stats(&self) -> &DestStats {
        match self.dest {
            Dest::Telegram => &self.tx.stats().telegram,
            Dest::Discord => &self.tx.stats().discord,
        }
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || !self.shared.is_running()
    }

    fn post(&self, item: &Outgoing) -> PostResult {
        let name = |i: u8| self.tx.asset_name(i);
        match (&self.endpoint, item) {
            (Endpoint::Telegram { api, token, chat }, Outgoing::Reply(html)) => {
                telegram_send(&self.client, api, token, chat, html)
            }
            (Endpoint::Telegram { api, token, chat }, Outgoing::Alert(a)) => {
                let html = Message::of(a, &name).telegram_html();
                telegram_send(&self.client, api, token, chat, &html)
            }
            (Endpoint::Discord { url, username }, Outgoing::Alert(a)) => discord_send(
                &self.client,
                url,
                &Message::of(a, &name).discord_json(username),
            ),
            // Replies are Telegram's only.
            (Endpoint::Discord { .. }, Outgoing::Reply(_)) => Ok(None),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let f = 1u32 << attempt.saturating_sub(1).min(16);
        (self.retry_base * f).min(self.retry_max)
    }

    pub fn run(self) {
        let mut next_send = Instant::now();
        let mut flush_until: Option<Instant> = None;
        let mut pending: Option<(Outgoing, u32)> = None;
        let mut last_log: Option<String> = None;
        loop {
            if self.stopping() && flush_until.is_none() {
                flush_until = Some(Instant::now() + FLUSH);
            }
            if flush_until.is_some_and(|t| Instant::now() >= t) {
                return;
            }
            let (item, attempts) = match pending.take() {
                Some(p) => p,
                None if !self.urgent.is_empty() => match self.urgent.try_recv() {
                    Ok(i) => (i, 0),
                    Err(_) => continue,
                },
                None => match self.rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(i) => (i, 0),
                    Err(crossbeam::channel::RecvTimeoutError::Timeout) => {
                        if flush_until.is_some() {
                            return;
                        }
                        continue;
                    }
                    Err(crossbeam::channel::RecvTimeoutError::Disconnected) => return,
                },
            };
            // Pace: wait for the gate, in short steps so shutdown is prompt.
            let now = Instant::now();
            if now < next_send {
                let step = (next_send - now).min(Duration::from_millis(20));
                std::thread::sleep(step);
                if flush_until.is_some_and(|t| next_send > t) {
                    return;
                }
                pending = Some((item, attempts));
                continue;
            }
            if attempts > 0 {
                bump(&self.stats().retries);
            }
            let attempts = attempts + 1;
            let wait = match self.post(&item) {
                Ok(pause) => {
                    bump(&self.stats().sent);
                    last_log = None;
                    next_send = Instant::now() + pause.unwrap_or_default().max(self.min_interval);
                    continue;
                }
                Err(PostError::Refused(status, why)) => {
                    bump(&self.stats().failed);
                    tracing::warn!(dest = ?self.dest, "alert refused: HTTP {status} {why}");
                    next_send = Instant::now() + self.min_interval;
                    continue;
                }
                Err(PostError::RateLimited(after)) => {
                    bump(&self.stats().rate_limited);
                    after
                        .map_or_else(|| self.backoff(attempts), |d| d.min(self.retry_max))
                        .max(self.min_interval)
                }
                Err(PostError::Transient(why)) => {
                    if last_log.as_deref() != Some(why.as_str()) {
                        tracing::warn!(dest = ?self.dest, "alert send failed: {why}; retrying");
                        last_log = Some(why);
                    }
                    self.backoff(attempts).max(self.min_interval)
                }
            };
            next_send = Instant::now() + wait;
            if attempts >= self.max_attempts {
                bump(&self.stats().failed);
            } else {
                pending = Some((item, attempts));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids() {
        assert_eq!(chat_id_json("-100123"), json!(-100123));
        assert_eq!(chat_id_json("@news"), json!("@news"));
    }

    #[test]
    fn telegram_retry_after_from_parameters() {
        let v = json!({"ok": false, "error_code": 429, "parameters": {"retry_after": 3}});
        assert_eq!(telegram_retry_after(&v), Some(Duration::from_secs(3)));
    }
}
