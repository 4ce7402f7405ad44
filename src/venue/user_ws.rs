//! The CLOB user channel (`…/ws/user`) as the tracker reads it: subscribe with the API
//! credentials (`{"type":"user","markets":[],"auth":{apiKey,secret,passphrase}}`; an empty
//! `markets` means every market), then `trade` and `order` events of this key. Frames may be
//! one event or an array of them. Text `PING` every 5 s keeps it open (polymarket.md §5).
//!
//! A dropped connection reconnects with backoff; each (re)connect is reported
//! ([`UserEvent::Connected`]) so the tracker resynchronises through REST, since events sent
//! while it was away are not replayed.

use serde_json::Value;

use crate::clob::auth::Credentials;
use crate::feeds::ws::{Backoff, WsConfig, WsConn, WsUrl};

use super::wire::{parse_order, parse_trade, VenueOrder, VenueTrade};

const PING_EVERY_MS: u64 = 5_000;

#[derive(Debug)]
pub enum UserEvent {
    /// (Re)connected and subscribed: what happened meanwhile must be fetched.
    Connected,
    Trade(VenueTrade),
    Order(VenueOrder),
    /// An event that did not parse (counted; the REST follow-up covers it).
    Bad(String),
}

pub struct UserChannel {
    url: WsUrl,
    subscribe: String,
    conn: Option<WsConn>,
    backoff: Backoff,
    retry_at_ms: u64,
    last_ping_ms: u64,
    pub connects: u64,
}

impl UserChannel {
    pub fn new(url: &str, creds: &Credentials) -> anyhow::Result<UserChannel> {
        let url = WsUrl::parse(url).map_err(|e| anyhow::anyhow!("user channel: {e}"))?;
        let subscribe = serde_json::json!({
            "type": "user",
            "markets": [],
            "auth": {
                "apiKey": creds.api_key(),
                "secret": creds.secret(),
                "passphrase": creds.passphrase(),
            },
        })
        .to_string();
        Ok(UserChannel {
            url,
            subscribe,
            conn: None,
            backoff: Backoff::new(250, 10_000, 0x75),
            retry_at_ms: 0,
            last_ping_ms: 0,
            connects: 0,
        })
    }

    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    fn drop_conn(&mut self, now_ms: u64) {
        self.conn = None;
        self.retry_at_ms = now_ms + self.backoff.next_delay_ms();
    }

    /// Everything that arrived, into `out`; connects when due.
    pub fn poll(&mut self, now_ms: u64, out: &mut Vec<UserEvent>) {
        if self.conn.is_none() {
            if now_ms < self.retry_at_ms {
                return;
            }
            let cfg = WsConfig {
                max_frame_bytes: 1 << 20,
                ..WsConfig::default()
            };
            match WsConn::connect(&self.url, &cfg) {
                Ok(mut c) => {
                    if c.send_text(self.subscribe.as_bytes()).is_err() || c.flush().is_err() {
                        self.drop_conn(now_ms);
                        return;
                    }
                    self.conn = Some(c);
                    self.connects += 1;
                    self.last_ping_ms = now_ms;
                    out.push(UserEvent::Connected);
                }
                Err(_) => {
                    self.drop_conn(now_ms);
                    return;
                }
            }
        }
        let mut failed = false;
        if let Some(c) = self.conn.as_mut() {
            if now_ms >= self.last_ping_ms + PING_EVERY_MS {
                self.last_ping_ms = now_ms;
                failed |= c.send_text(b"PING").is_err();
            }
            for _ in 0..256 {
                match c.poll() {
                    Ok(Some(f)) => {
                        if f.text {
                            read_events(f.data, out);
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            if !failed {
                self.backoff.reset();
            }
        }
        if failed {
            self.drop_conn(now_ms);
        }
    }
}

fn read_events(data: &[u8], out: &mut Vec<UserEvent>) {
    if data == b"PONG" {
        return;
    }
    let v: Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        Err(e) => {
            out.push(UserEvent::Bad(format!("not JSON: {e}")));
            return;
        }
    };
    let one = |v: &Value, out: &mut Vec<UserEvent>| {
        let ev = match v.get("event_type").and_then(Value::as_str) {
            Some("trade") => parse_trade(v).map(UserEvent::Trade),
            Some("order") => parse_order(v).map(UserEvent::Order),
            _ => return,
        };
        out.push(ev.unwrap_or_else(UserEvent::Bad));
    };
    match &v {
        Value::Array(a) => a.iter().for_each(|x| one(x, out)),
        x => one(x, out),
    }
}
