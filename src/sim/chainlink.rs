//! Reference prices over Polymarket's PolyBolt socket (`/ws`), in the shapes of the real frames
//! in `tests/data/venue/polybolt/` (Polymarket ts-sdk staging capture, 2026-09-08).
//!
//! Protocol: `{"op":"auth","rid":..,"auth":{"apiKey",..}}` → `{"op":"authed","rid":..}` when the
//! key is non-empty, else `{"op":"error","rid":..,"code":"auth_invalid"}` (string codes; the
//! connection stays open). Then `{"op":"subscribe","rid":..,"subscriptions":[{"channel":..,
//! "filter":{"symbol":"btcusd"[, "window_seconds":60]}}]}` → one
//! `{"op":"subscribed","channel":..,"rid":..}` per subscription, a snapshot
//! `{"v":1,"channel","seq","ts","snapshot":true,"payload":{"data":[{full_accuracy_value,timestamp,
//! value}…],"symbol"[,"window_seconds"]}}` of the last two minutes, then one update per new
//! observation with payload `{full_accuracy_value,symbol,timestamp,value[,window_seconds]}`.
//!
//! Channels: `price.crypto` is the Pyth spot series: the world's Chainlink observations times
//! `1 + basis`, a smooth deterministic basis within ± `SimConfig::pyth_basis_bps` (Pyth and
//! Chainlink are different oracles; a client that settles on `price.crypto` disagrees with the
//! venue now and then, as it would live). `price.crypto.twap` with `window_seconds:60` is the
//! 60-second Chainlink TWAP of the observations, the series TWAP markets settle on. Any other window gets an empty snapshot (as the venue answers a
//! 30-second window); an unknown symbol too. Subscribing before auth is refused with
//! `auth_required`, a malformed subscription with `bad_filter`, an unknown op with `bad_op`.
//! `full_accuracy_value` is a decimal string. More than 8 auth frames on one connection close it
//! with code 4001. The server pings every 25 s.

use super::faults::Feed;
use super::net::{path_of, Gone, Inbound, WsConn};
use super::windows::{mix64, Observations, Series};
use super::{Shared, SimConfig};
use serde_json::{json, Value};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tungstenite::protocol::frame::coding::CloseCode;

const PING_EVERY: Duration = Duration::from_secs(25);
const SNAPSHOT_MS: u64 = 120_000;
const POLL: Duration = Duration::from_millis(5);
/// Close code for a failed or missing auth.
const CLOSE_AUTH: u16 = 4001;
/// Auth frames one connection may send (PolyBolt limit); past it the socket closes with 4001.
const MAX_AUTH_FRAMES: u32 = 8;
/// The only TWAP window the venue serves.
const TWAP_WINDOW_S: u64 = 60;

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
    /// `None`: a symbol or window the venue has no data for (empty snapshot, no updates).
    asset: Option<usize>,
    symbol: String,
    /// Timestamp of the last observation sent.
    last_ts: u64,
}

/// A price as the venue writes `full_accuracy_value`: a plain decimal string, 8 places at most,
/// no trailing zeros.
pub fn decimal(v: f64) -> String {
    let s = format!("{v:.8}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

/// The Pyth/Chainlink basis at `ts_ms`, a fraction: seeded values every 10 s, linearly
/// interpolated, within ± `bps` basis points.
pub fn pyth_basis(seed: u64, bps: f64, ts_ms: u64) -> f64 {
    const KNOT_MS: u64 = 10_000;
    let knot = |k: u64| {
        let u = (mix64(seed ^ 0x5079_7468 ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 11) as f64
            / (1u64 << 53) as f64;
        (2.0 * u - 1.0) * bps * 1e-4
    };
    let k = ts_ms / KNOT_MS;
    let f = (ts_ms % KNOT_MS) as f64 / KNOT_MS as f64;
    knot(k) * (1.0 - f) + knot(k + 1) * f
}

/// The value of `ch` at observation `ts`: Pyth (the observation off by the basis), or the
/// Chainlink TWAP of the previous 60 s.
fn value_at(cfg: &SimConfig, o: &Observations, ch: Channel, ts: u64, value: f64) -> f64 {
    match ch {
        Channel::Price => value * (1.0 + pyth_basis(cfg.seed, cfg.pyth_basis_bps, ts)),
        Channel::Twap => Series::Twap60.value(o, ts, value),
    }
}

/// One snapshot point: no symbol (the payload names it).
fn point(v: f64, ts: u64) -> Value {
    let text = decimal(v);
    let value: f64 = text.parse().unwrap_or(v);
    json!({"full_accuracy_value": text, "timestamp": ts, "value": value})
}

/// One update payload: the point plus its symbol (and the window on TWAP).
fn update(ch: Channel, symbol: &str, v: f64, ts: u64) -> Value {
    let mut p = point(v, ts);
    p["symbol"] = json!(symbol);
    if ch == Channel::Twap {
        p["window_seconds"] = json!(TWAP_WINDOW_S);
    }
    p
}

struct Session {
    authed: bool,
    auth_frames: u32,
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

    /// Handle one client message; returns the frames to send and whether to close with 4001
    /// (too many auth frames).
    fn handle(&mut self, shared: &Shared, text: &str, out: &mut Vec<String>) -> bool {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            out.push(json!({"op":"error","code":"bad_op"}).to_string());
            return false;
        };
        let rid = v.get("rid").cloned().unwrap_or(Value::Null);
        match v.get("op").and_then(Value::as_str) {
            Some("auth") => {
                self.auth_frames += 1;
                if self.auth_frames > MAX_AUTH_FRAMES {
                    return true;
                }
                let key = v
                    .pointer("/auth/apiKey")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if key.is_empty() {
                    out.push(json!({"op":"error","rid":rid,"code":"auth_invalid"}).to_string());
                    return false;
                }
                self.authed = true;
                out.push(json!({"op":"authed","rid":rid}).to_string());
            }
            Some("subscribe") if !self.authed => {
                for s in v
                    .get("subscriptions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let ch = s.get("channel").cloned().unwrap_or(Value::Null);
                    out.push(
                        json!({"op":"error","channel":ch,"rid":rid,"code":"auth_required"})
                            .to_string(),
                    );
                }
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
                        other => {
                            let ch = other.map_or(Value::Null, |c| json!(c));
                            out.push(
                                json!({"op":"error","channel":ch,"rid":rid,"code":"bad_filter"})
                                    .to_string(),
                            );
                            continue;
                        }
                    };
                    let Some(symbol) = s.pointer("/filter/symbol").and_then(Value::as_str) else {
                        out.push(
                            json!({"op":"error","channel":channel.name(),"rid":rid,"code":"bad_filter"})
                                .to_string(),
                        );
                        continue;
                    };
                    let window = s.pointer("/filter/window_seconds").and_then(Value::as_u64);
                    let served_window = match channel {
                        Channel::Price => true,
                        Channel::Twap => window == Some(TWAP_WINDOW_S),
                    };
                    let asset = symbol
                        .strip_suffix("usd")
                        .and_then(|base| shared.asset_index(base))
                        .filter(|_| served_window);
                    if asset.is_some()
                        && self
                            .subs
                            .iter()
                            .any(|x| x.channel == channel && x.asset == asset)
                    {
                        continue;
                    }
                    out.push(
                        json!({"op":"subscribed","channel":channel.name(),"rid":rid}).to_string(),
                    );
                    new.push((
                        Sub {
                            channel,
                            asset,
                            symbol: symbol.to_string(),
                            last_ts: 0,
                        },
                        window,
                    ));
                }
                if let Ok(world) = shared.world.lock() {
                    let now = crate::clock::wall_ms();
                    for (sub, window) in &mut new {
                        let mut payload = json!({"data": [], "symbol": sub.symbol});
                        if let Some(w) = window.filter(|_| sub.channel == Channel::Twap) {
                            payload["window_seconds"] = json!(w);
                        }
                        if let Some(asset) = sub.asset {
                            let o = &world.obs[asset];
                            payload["data"] = o
                                .after(now.saturating_sub(SNAPSHOT_MS))
                                .map(|(ts, val)| {
                                    point(value_at(&shared.cfg, o, sub.channel, ts, val), ts)
                                })
                                .collect();
                            sub.last_ts = o.last().map_or(0, |(t, _)| t);
                        }
                        let frame = self.envelope(sub.channel, payload, true);
                        out.push(frame);
                    }
                }
                let new: Vec<Sub> = new.into_iter().map(|(s, _)| s).collect();
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
                out.push(json!({"op":"error","code":"bad_op"}).to_string());
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
            let Some(asset) = sub.asset else {
                continue;
            };
            let o = &world.obs[asset];
            for (ts, val) in o.after(sub.last_ts) {
                let v = value_at(&shared.cfg, o, sub.channel, ts, val);
                frames.push((sub.channel, update(sub.channel, &sub.symbol, v, ts)));
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
        auth_frames: 0,
        subs: Vec::new(),
        seq: 0,
    };
    match run(&mut conn, &mut s) {
        Ok(true) => {
            conn.close_with(CloseCode::from(CLOSE_AUTH), "too many auth frames");
        }
        Ok(false) | Err(_) => conn.finish(),
    }
}

/// Ok(true): close for too many auth frames.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyth_basis_is_bounded_smooth_seeded_and_off_when_zero() {
        let b = |ts| pyth_basis(7, 2.0, ts);
        let mut lo = f64::MAX;
        let mut hi = f64::MIN;
        for s in 0..20_000u64 {
            let ts = 1_788_886_000_000 + s * 1_000;
            let v = b(ts);
            assert!(v.abs() <= 2.0e-4, "{v} at {ts}");
            // One second moves it by at most a tenth of the widest step between two knots
            // (from one bound to the other, 4 bp).
            assert!((b(ts + 1_000) - v).abs() <= 4.0e-4 / 10.0 + 1e-15);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        // It wanders over most of its range, both signs.
        assert!(lo < -1.5e-4 && hi > 1.5e-4, "{lo} {hi}");
        assert_eq!(b(1_000), pyth_basis(7, 2.0, 1_000));
        assert_ne!(b(1_000), pyth_basis(8, 2.0, 1_000));
        assert_eq!(pyth_basis(7, 0.0, 1_000), 0.0);
    }
}
