//! Chainlink prices over Polymarket's PolyBolt socket (`/ws`).
//!
//! Protocol: `{"op":"auth","rid":..,"auth":{"apiKey",..}}` → `{"op":"authed","rid":..}` when the
//! key is non-empty, else an error and close code 4001. Then
//! `{"op":"subscribe","rid":..,"subscriptions":[{"channel":"price.crypto","filter":{"symbol":"btcusd"}}]}`
//! → `{"op":"subscribed","rid":..}`, a snapshot of the last 2 minutes per subscription, and one
//! update per new Chainlink observation. `price.crypto.twap` serves the 60-second TWAP of the
//! observations. The server pings every 25 s.

use super::faults::Feed;
use super::net::{path_of, Gone, Inbound, WsConn};
use super::windows::Observations;
use super::Shared;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tungstenite::protocol::frame::coding::CloseCode;

const PING_EVERY: Duration = Duration::from_secs(25);
const SNAPSHOT_MS: u64 = 120_000;
const TWAP_MS: u64 = 60_000;
const POLL: Duration = Duration::from_millis(5);
/// Close code for a failed or missing auth.
const CLOSE_AUTH: u16 = 4001;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Channel {
    Price,
    Twap,
}

impl Channel {
    fn name(self) -> &'static str {
        match self {
            Channel::Price => "price.crypto",
            Channel::Twap => "price.crypto.twap",
        }
    }
}

struct Sub {
    channel: Channel,
    asset: usize,
    symbol: String,
    /// Timestamp of the last observation sent.
    last_ts: u64,
}

/// One payload entry: value, its 1e18 integer form, observation time.
fn payload(o: &Observations, ch: Channel, symbol: &str, ts: u64, value: f64) -> Value {
    let v = match ch {
        Channel::Price => value,
        Channel::Twap => o.twap(ts, TWAP_MS).unwrap_or(value),
    };
    let e8 = (v * 1e8).round() as i64;
    let v8 = e8 as f64 / 1e8;
    json!({
        "symbol": symbol,
        "value": v8,
        "full_accuracy_value": format!("{e8}0000000000"),
        "timestamp": ts,
        "source": "chainlink",
    })
}

struct Session {
    authed: bool,
    subs: Vec<Sub>,
    seq: u64,
}

impl Session {
    fn envelope(&mut self, ch: Channel, payload: Value, snapshot: bool) -> String {
        self.seq += 1;
        let mut v = json!({
            "v": 1,
            "channel": ch.name(),
            "seq": self.seq,
            "ts": crate::clock::wall_ms(),
            "payload": payload,
        });
        if snapshot {
            v["snapshot"] = json!(true);
        }
        v.to_string()
    }

    /// Handle one client message; returns the frames to send and whether to close with 4001.
    fn handle(&mut self, shared: &Shared, text: &str, out: &mut Vec<String>) -> bool {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            out.push(json!({"op":"error","code":4000,"message":"invalid json"}).to_string());
            return false;
        };
        let rid = v.get("rid").cloned().unwrap_or(Value::Null);
        match v.get("op").and_then(Value::as_str) {
            Some("auth") => {
                let key = v
                    .pointer("/auth/apiKey")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if key.is_empty() {
                    out.push(
                        json!({"op":"error","rid":rid,"code":CLOSE_AUTH,"message":"auth failed"})
                            .to_string(),
                    );
                    return true;
                }
                self.authed = true;
                out.push(json!({"op":"authed","rid":rid}).to_string());
            }
            Some("subscribe") if !self.authed => {
                out.push(
                    json!({"op":"error","rid":rid,"code":CLOSE_AUTH,"message":"not authenticated"})
                        .to_string(),
                );
                return true;
            }
            Some("subscribe") => {
                let mut new = Vec::new();
                for s in v
                    .get("subscriptions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let channel = match s.get("channel").and_then(Value::as_str) {
                        Some("price.crypto") => Channel::Price,
                        Some("price.crypto.twap") => Channel::Twap,
                        _ => continue,
                    };
                    let symbol = s
                        .pointer("/filter/symbol")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let Some(base) = symbol.strip_suffix("usd") else {
                        continue;
                    };
                    let Some(asset) = shared.asset_index(base) else {
                        continue;
                    };
                    if self
                        .subs
                        .iter()
                        .any(|x| x.channel == channel && x.asset == asset)
                    {
                        continue;
                    }
                    new.push(Sub {
                        channel,
                        asset,
                        symbol: symbol.to_string(),
                        last_ts: 0,
                    });
                }
                out.push(json!({"op":"subscribed","rid":rid}).to_string());
                if let Ok(world) = shared.world.lock() {
                    let now = crate::clock::wall_ms();
                    for sub in &mut new {
                        let o = &world.obs[sub.asset];
                        let items: Vec<Value> = o
                            .after(now.saturating_sub(SNAPSHOT_MS))
                            .map(|(ts, val)| payload(o, sub.channel, &sub.symbol, ts, val))
                            .collect();
                        sub.last_ts = o.last().map_or(0, |(t, _)| t);
                        let frame = self.envelope(sub.channel, Value::Array(items), true);
                        out.push(frame);
                    }
                }
                self.subs.extend(new);
            }
            Some("unsubscribe") => {
                for s in v
                    .get("subscriptions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let ch = s.get("channel").and_then(Value::as_str).unwrap_or("");
                    let sym = s
                        .pointer("/filter/symbol")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    self.subs
                        .retain(|x| !(x.channel.name() == ch && x.symbol == sym));
                }
                out.push(json!({"op":"unsubscribed","rid":rid}).to_string());
            }
            _ => {
                out.push(
                    json!({"op":"error","rid":rid,"code":4000,"message":"unknown op"}).to_string(),
                );
            }
        }
        false
    }

    fn updates(&mut self, shared: &Shared, out: &mut Vec<String>) {
        let Ok(world) = shared.world.lock() else {
            return;
        };
        let mut frames = Vec::new();
        for sub in &mut self.subs {
            let o = &world.obs[sub.asset];
            for (ts, val) in o.after(sub.last_ts) {
                frames.push((sub.channel, payload(o, sub.channel, &sub.symbol, ts, val)));
                sub.last_ts = ts;
            }
        }
        drop(world);
        for (ch, p) in frames {
            let f = self.envelope(ch, p, false);
            out.push(f);
        }
    }
}

/// Handle one accepted TCP connection.
pub fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let route = |uri: &str| path_of(uri) == "/ws";
    let Some((mut conn, _)) = WsConn::accept(shared.clone(), stream, Feed::Chainlink, route) else {
        return;
    };
    let mut s = Session {
        authed: false,
        subs: Vec::new(),
        seq: 0,
    };
    match run(&mut conn, &mut s) {
        Ok(true) => {
            conn.close_with(CloseCode::from(CLOSE_AUTH), "auth failed");
        }
        Ok(false) | Err(_) => conn.finish(),
    }
}

/// Ok(true): close for a failed auth.
fn run(conn: &mut WsConn, s: &mut Session) -> Result<bool, Gone> {
    let shared = conn.shared().clone();
    let mut inbound = Vec::new();
    let mut out = Vec::new();
    let mut next_ping = Instant::now() + PING_EVERY;
    loop {
        if conn.must_end() {
            return Ok(false);
        }
        inbound.clear();
        conn.read_available(&mut inbound)?;
        let mut close_auth = false;
        for msg in inbound.drain(..) {
            if let Inbound::Text(t) = msg {
                close_auth |= s.handle(&shared, &t, &mut out);
            }
        }
        if close_auth {
            for f in out.drain(..) {
                conn.write_text(f)?;
            }
            conn.flush()?;
            return Ok(true);
        }
        if !conn.stalled() {
            s.updates(&shared, &mut out);
            for f in out.drain(..) {
                conn.write_text(f)?;
            }
            if Instant::now() >= next_ping {
                conn.write_ping(Vec::new())?;
                next_ping = Instant::now() + PING_EVERY;
            }
        }
        conn.flush()?;
        conn.wait(POLL);
    }
}
