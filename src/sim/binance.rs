//! Binance spot market-data WebSocket: the combined stream (`/stream?streams=a/b/c`, frames
//! wrapped as `{"stream":..,"data":..}`) and the raw form (`/ws/<stream>`, bare payloads).
//!
//! Streams served: `<sym>usdt@trade` and, if enabled, `<sym>usdt@bookTicker` for the configured
//! assets; other names are accepted and ignored. Frames go out at `binance_rate_hz` per
//! connection, round-robin over the subscribed streams, on an absolute schedule (no drift); at
//! 0 Hz (flood) as fast as the socket takes them, one frame per message. The server pings every
//! `ping_interval_ms` and disconnects a client that leaves a ping unanswered for 60 s. JSON
//! control messages (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS) are answered.

use super::faults::Feed;
use super::net::{path_of, query_param, Gone, Inbound, WsConn};
use super::Shared;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Binance's rule: no pong within a minute of a ping and the connection is closed.
const PONG_TIMEOUT: Duration = Duration::from_secs(60);
/// Frames written per flush in flood mode.
const FLOOD_BATCH: usize = 64;
/// Timer slack of a paced sender thread, ns: its sleeps end within a few µs of the next
/// frame's due time instead of the default 50 µs late, so pacing needs no spinning and the
/// sender takes no core it does not use.
const PACER_TIMER_SLACK_NS: libc::c_ulong = 1_000;

/// Kind of a served stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Trade,
    BookTicker,
}

#[derive(Clone, Debug)]
struct Stream {
    name: String,
    asset: usize,
    kind: Kind,
}

/// Price tick of a spot symbol: 0.01 above 10 USDT, else 0.0001.
fn tick_e8(px: f64) -> i64 {
    if px >= 10.0 {
        1_000_000
    } else {
        10_000
    }
}

/// A 1e-8 fixed-point value as Binance writes it: 8 decimals.
fn fmt_e8(v: i64) -> String {
    format!("{}.{:08}", v / 100_000_000, v % 100_000_000)
}

fn wall_ms() -> u64 {
    crate::clock::wall_ms()
}

/// Parse one stream name against the configured assets.
fn parse_stream(shared: &Shared, name: &str) -> Option<Stream> {
    let (sym, kind) = name.split_once('@')?;
    let kind = match kind {
        "trade" => Kind::Trade,
        "bookTicker" if shared.cfg.book_ticker => Kind::BookTicker,
        _ => return None,
    };
    let base = sym.strip_suffix("usdt")?;
    if base.is_empty() || base.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let asset = shared.asset_index(base)?;
    Some(Stream {
        name: name.to_string(),
        asset,
        kind,
    })
}

/// Per-connection state.
struct Session {
    combined: bool,
    requested: Vec<String>,
    streams: Vec<Stream>,
    next: usize,
    rng: ChaCha8Rng,
}

impl Session {
    fn set_streams(&mut self, shared: &Shared) {
        self.streams = self
            .requested
            .iter()
            .filter_map(|n| parse_stream(shared, n))
            .collect();
        self.next = 0;
    }

    /// Build the next data frame (round-robin over the streams).
    fn next_frame(&mut self, shared: &Shared) -> Option<String> {
        if self.streams.is_empty() {
            return None;
        }
        let st = &self.streams[self.next % self.streams.len()];
        self.next = (self.next + 1) % self.streams.len();
        let sym = shared.symbol(st.asset).to_string() + "USDT";
        let mid = shared.spot_now(st.asset);
        let tick = tick_e8(mid);
        let mid_e8 = (mid * 1e8).round() as i64;
        let bid_e8 = (mid_e8 - tick / 2).div_euclid(tick) * tick;
        let ask_e8 = bid_e8 + tick;
        let notional = 50.0 + 5_000.0 * self.rng.random::<f64>().powi(3);
        let data = match st.kind {
            Kind::Trade => {
                let t = shared.trade_seq.fetch_add(1, Ordering::Relaxed);
                let buyer_maker = self.rng.random_bool(0.5);
                let px = if buyer_maker { bid_e8 } else { ask_e8 };
                let qty_e8 = ((notional / mid * 1e8) as i64 / 1000).max(1) * 1000;
                let now = wall_ms();
                let frame = format!(
                    "{{\"e\":\"trade\",\"E\":{now},\"s\":\"{sym}\",\"t\":{t},\"p\":\"{}\",\"q\":\"{}\",\"T\":{now},\"m\":{buyer_maker},\"M\":true}}",
                    fmt_e8(px),
                    fmt_e8(qty_e8)
                );
                shared.wire.sent(t, crate::clock::mono_ns());
                frame
            }
            Kind::BookTicker => {
                let u = shared.book_seq.fetch_add(1, Ordering::Relaxed);
                let bq = (self.rng.random_range(1_000..2_000_000u64) * 1000) as i64;
                let aq = (self.rng.random_range(1_000..2_000_000u64) * 1000) as i64;
                format!(
                    "{{\"u\":{u},\"s\":\"{sym}\",\"b\":\"{}\",\"B\":\"{}\",\"a\":\"{}\",\"A\":\"{}\"}}",
                    fmt_e8(bid_e8),
                    fmt_e8(bq),
                    fmt_e8(ask_e8),
                    fmt_e8(aq)
                )
            }
        };
        Some(if self.combined {
            format!("{{\"stream\":\"{}\",\"data\":{data}}}", st.name)
        } else {
            data
        })
    }

    /// Answer a JSON control message (an error reply for anything else).
    fn control(&mut self, shared: &Shared, text: &str) -> String {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return json!({"error": {"code": 3, "msg": "Invalid JSON"}, "id": null}).to_string();
        };
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        let params: Vec<String> = v
            .get("params")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        match v.get("method").and_then(Value::as_str) {
            Some("SUBSCRIBE") => {
                for p in params {
                    if !self.requested.contains(&p) {
                        self.requested.push(p);
                    }
                }
                self.set_streams(shared);
                json!({"result": null, "id": id}).to_string()
            }
            Some("UNSUBSCRIBE") => {
                self.requested.retain(|r| !params.contains(r));
                self.set_streams(shared);
                json!({"result": null, "id": id}).to_string()
            }
            Some("LIST_SUBSCRIPTIONS") => json!({"result": self.requested, "id": id}).to_string(),
            Some("SET_PROPERTY") | Some("GET_PROPERTY") => {
                json!({"result": null, "id": id}).to_string()
            }
            _ => json!({"error": {"code": 2, "msg": "Invalid request: unknown method"}, "id": id})
                .to_string(),
        }
    }
}

fn route(uri: &str) -> bool {
    let p = path_of(uri);
    p == "/stream" || p == "/ws" || p.starts_with("/ws/")
}

/// Handle one accepted TCP connection.
pub fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let Some((mut conn, uri)) = WsConn::accept(shared.clone(), stream, Feed::Binance, route) else {
        return;
    };
    let path = path_of(&uri);
    let (combined, requested) = if path == "/stream" {
        (true, query_param(&uri, "streams").unwrap_or("").to_string())
    } else {
        let raw = path.strip_prefix("/ws/").unwrap_or("").to_string();
        (false, raw)
    };
    if let Ok(mut v) = shared.stats.binance_streams.lock() {
        v.push(requested.clone());
    }
    let conn_no = shared.stats.binance.connections();
    let mut s = Session {
        combined,
        requested: requested
            .split('/')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        streams: Vec::new(),
        next: 0,
        rng: ChaCha8Rng::seed_from_u64(shared.cfg.seed ^ conn_no.wrapping_mul(0x9E37_79B9)),
    };
    s.set_streams(&shared);
    let _ = run(&mut conn, &mut s);
    conn.finish();
}

fn run(conn: &mut WsConn, s: &mut Session) -> Result<(), Gone> {
    let shared = conn.shared().clone();
    let rate = shared.cfg.binance_rate_hz;
    let flood = rate <= 0.0 || !rate.is_finite();
    let interval = if flood {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(1.0 / rate)
    };
    let ping_every = Duration::from_millis(shared.cfg.ping_interval_ms.max(1));
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and affects only this thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, PACER_TIMER_SLACK_NS);
    }
    let mut next_due = Instant::now();
    let mut next_ping = Instant::now() + ping_every;
    let mut unanswered_ping: Option<Instant> = None;
    let mut inbound = Vec::new();
    loop {
        if conn.must_end() {
            return Ok(());
        }
        inbound.clear();
        conn.read_available(&mut inbound)?;
        for msg in inbound.drain(..) {
            match msg {
                Inbound::Pong => unanswered_ping = None,
                Inbound::Text(t) => {
                    let reply = s.control(&shared, &t);
                    conn.write_text(reply)?;
                }
            }
        }
        let now = Instant::now();
        if unanswered_ping.is_some_and(|t| now.duration_since(t) > PONG_TIMEOUT) {
            return Ok(());
        }
        let stalled = conn.stalled();
        if !stalled {
            if now >= next_ping {
                conn.write_ping(crate::clock::wall_ms().to_string().into_bytes())?;
                unanswered_ping.get_or_insert(now);
                next_ping = now + ping_every;
            }
            if !s.streams.is_empty() && conn.take_malformed() {
                send_malformed(conn, s)?;
            }
            if flood {
                if !conn.pending() {
                    for _ in 0..FLOOD_BATCH {
                        if let Some(f) = s.next_frame(&shared) {
                            conn.write_text(f)?;
                        }
                        if conn.pending() {
                            break;
                        }
                    }
                }
            } else {
                let mut sent = 0;
                while Instant::now() >= next_due && sent < FLOOD_BATCH {
                    if let Some(f) = s.next_frame(&shared) {
                        conn.write_text(f)?;
                    }
                    next_due += interval;
                    sent += 1;
                }
                // After a stall or a long pause, restart the schedule instead of bursting.
                if Instant::now() > next_due + Duration::from_millis(100) {
                    next_due = Instant::now();
                }
            }
        } else {
            next_due = now;
        }
        conn.flush()?;
        // Wait for the next thing to do.
        if flood && !stalled && !s.streams.is_empty() {
            if conn.pending() {
                conn.wait(Duration::from_millis(5));
            }
            continue;
        }
        let now = Instant::now();
        let mut deadline = next_ping;
        if !stalled && !s.streams.is_empty() {
            deadline = deadline.min(next_due);
        }
        conn.wait(deadline.saturating_duration_since(now));
    }
}

/// The malformed fault: a truncated frame, then a frame of an unknown event type.
fn send_malformed(conn: &mut WsConn, s: &Session) -> Result<(), Gone> {
    let name = s
        .streams
        .first()
        .map_or("btcusdt@trade", |x| x.name.as_str());
    let sym = name
        .split('@')
        .next()
        .unwrap_or("btcusdt")
        .to_ascii_uppercase();
    let garbage = format!("{{\"stream\":\"{name}\",\"data\":{{\"e\":\"trade\",");
    let unknown = format!(
        "{{\"stream\":\"{}@mysteryEvent\",\"data\":{{\"e\":\"mysteryEvent\",\"E\":{},\"s\":\"{sym}\"}}}}",
        name.split('@').next().unwrap_or("btcusdt"),
        wall_ms()
    );
    conn.write_text(garbage)?;
    conn.write_text(unknown)?;
    let st = conn.stats();
    st.malformed_sent.fetch_add(2, Ordering::Relaxed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_like_binance() {
        assert_eq!(fmt_e8(9_701_235_000_000), "97012.35000000");
        assert_eq!(fmt_e8(1_200_000), "0.01200000");
        assert_eq!(tick_e8(2.4), 10_000);
        assert_eq!(tick_e8(97_000.0), 1_000_000);
    }
}
