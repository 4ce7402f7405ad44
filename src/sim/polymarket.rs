//! Polymarket CLOB market channel (`/ws/market`).
//!
//! A client subscribes with `{"type":"market","assets_ids":[..],..}` (optionally
//! `"operation":"subscribe"`), later `{"operation":"subscribe"|"unsubscribe","assets_ids":[..]}`.
//! On subscribe it gets one `book` per live token (a JSON array when several), then every event
//! the engine logs for its tokens: `price_change`, `last_trade_price`, `tick_size_change`.
//! Unknown or ended tokens are ignored. Text `PING` is answered with `PONG`.
//!
//! The snapshot and the connection's position in the event log are taken under one lock, so a
//! client applying the events to the snapshot stays equal to the simulator's book. A connection
//! that falls behind the log's capacity gets fresh snapshots instead.
//!
//! Every book update written is stamped for wire-to-wire measurement by its name (timestamp and
//! hash, `sim::wire`) just before the connection flushes it.

use super::book;
use super::faults::Feed;
use super::net::{path_of, Gone, Inbound, WsConn};
use super::world::World;
use super::Shared;
use serde_json::Value;
use std::collections::HashSet;
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How often a connection looks at the event log.
const POLL: Duration = Duration::from_millis(2);

struct Session {
    subs: HashSet<String>,
    /// Last log sequence this connection has forwarded (or skipped).
    last_seq: u64,
    outbox: Vec<String>,
    /// Names of the book updates in `outbox` (`sim::wire`), stamped when it is flushed.
    outbox_tags: Vec<u64>,
}

impl Session {
    /// Queue `book` events of these tokens (live ones only), as one frame.
    fn push_snapshots(&mut self, world: &World, tokens: &[String], ts_ms: u64) {
        if let Some((frame, tags)) = Self::snapshots(world, tokens, ts_ms) {
            self.outbox.push(frame);
            self.outbox_tags.extend(tags);
        }
    }

    /// `book` events of these tokens (live ones only), as one frame, and their names.
    fn snapshots(world: &World, tokens: &[String], ts_ms: u64) -> Option<(String, Vec<u64>)> {
        let events: Vec<Value> = tokens
            .iter()
            .filter_map(|t| {
                let m = world.market_of(t)?;
                let b = m.book_of(t)?;
                let mut ev = book::book_event(t, &m.condition_id, &b, ts_ms);
                // The live `book` also names the tick and the last trade (real capture in
                // tests/data/venue/polymarket/book_captured.json).
                let last = if *t == m.up_token {
                    m.last_trade_e4
                } else {
                    book::PX_ONE - m.last_trade_e4
                };
                ev["tick_size"] = book::fmt_tick(b.tick_e4).into();
                ev["last_trade_price"] = book::fmt_price(last).into();
                Some(ev)
            })
            .collect();
        let tags = events
            .iter()
            .map(book::update_tag)
            .filter(|&t| t != 0)
            .collect();
        match events.len() {
            0 => None,
            1 => events.into_iter().next().map(|e| (e.to_string(), tags)),
            _ => Some((Value::Array(events).to_string(), tags)),
        }
    }

    /// Move log events for subscribed tokens into the outbox.
    fn drain_log(&mut self, world: &World) {
        if self.last_seq + 1 < world.log.oldest_seq() {
            // Fell behind the log: resynchronise with snapshots.
            let toks: Vec<String> = self.subs.iter().cloned().collect();
            self.last_seq = world.log.last_seq;
            self.push_snapshots(world, &toks, crate::clock::wall_ms());
            return;
        }
        let start = world.log.events.partition_point(|e| e.seq <= self.last_seq);
        for e in world.log.events.range(start..) {
            if self.subs.contains(&*e.token) {
                self.outbox.push(e.text.to_string());
                if e.tag != 0 {
                    self.outbox_tags.push(e.tag);
                }
            }
        }
        self.last_seq = world.log.last_seq;
    }

    fn handle(&mut self, shared: &Shared, text: &str) {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let Some(ids) = v.get("assets_ids").and_then(Value::as_array) else {
            return;
        };
        let ids: Vec<String> = ids
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect();
        let op = v
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or("subscribe");
        match op {
            "subscribe" => {
                if let Ok(mut s) = shared.stats.poly_subscriptions.lock() {
                    s.push(ids.clone());
                }
                let dump = v
                    .get("initial_dump")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                let Ok(world) = shared.world.lock() else {
                    return;
                };
                // Forward what is pending for existing tokens first, then snapshot the new
                // ones at the log's head: both under this one lock.
                self.drain_log(&world);
                let new: Vec<String> = ids
                    .into_iter()
                    .filter(|t| world.market_of(t).is_some() && !self.subs.contains(t))
                    .collect();
                if dump {
                    self.push_snapshots(&world, &new, crate::clock::wall_ms());
                }
                self.subs.extend(new);
            }
            "unsubscribe" => {
                for t in &ids {
                    self.subs.remove(t);
                }
            }
            _ => {}
        }
    }
}

/// Handle one accepted TCP connection.
pub fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let route = |uri: &str| path_of(uri) == "/ws/market";
    let Some((mut conn, _)) = WsConn::accept(shared.clone(), stream, Feed::Poly, route) else {
        return;
    };
    let last_seq = shared.world.lock().map(|w| w.log.last_seq).unwrap_or(0);
    let mut s = Session {
        subs: HashSet::new(),
        last_seq,
        outbox: Vec::new(),
        outbox_tags: Vec::new(),
    };
    let _ = run(&mut conn, &mut s);
    conn.finish();
}

fn run(conn: &mut WsConn, s: &mut Session) -> Result<(), Gone> {
    let shared = conn.shared().clone();
    let mut inbound = Vec::new();
    let mut pongs_owed = 0u64;
    loop {
        if conn.must_end() {
            return Ok(());
        }
        inbound.clear();
        conn.read_available(&mut inbound)?;
        for msg in inbound.drain(..) {
            if let Inbound::Text(t) = msg {
                if t.trim() == "PING" {
                    pongs_owed += 1;
                } else {
                    s.handle(&shared, &t);
                }
            }
        }
        if !conn.stalled() {
            for _ in 0..pongs_owed {
                conn.write_text("PONG".to_string())?;
                conn.stats()
                    .text_pings_answered
                    .fetch_add(1, Ordering::Relaxed);
            }
            pongs_owed = 0;
            if conn.take_malformed() {
                conn.write_text("{\"event_type\":\"book\",\"asset_id\":\"1234".to_string())?;
                let unknown = format!(
                    "{{\"event_type\":\"mystery_event\",\"market\":\"0x00\",\"timestamp\":\"{}\"}}",
                    crate::clock::wall_ms()
                );
                conn.write_text(unknown)?;
                conn.stats().malformed_sent.fetch_add(2, Ordering::Relaxed);
            }
            if !s.subs.is_empty() {
                if let Ok(world) = shared.world.lock() {
                    s.drain_log(&world);
                }
            }
            for f in s.outbox.drain(..) {
                conn.write_text(f)?;
            }
        }
        if !s.outbox_tags.is_empty() {
            let now = crate::clock::mono_ns();
            for t in s.outbox_tags.drain(..) {
                shared.wire.book_sent(t, now);
            }
        }
        conn.flush()?;
        conn.wait(POLL);
    }
}
