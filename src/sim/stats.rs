//! Counters of what the simulator did, for tests and the `sim` command. Atomics for counts, a
//! mutex for the few lists (it's the simulator, not the hot path).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Counters of one WebSocket feed.
#[derive(Debug, Default)]
pub struct FeedStats {
    pub(crate) accepted: AtomicU64,
    pub(crate) slow_handshakes: AtomicU64,
    pub(crate) closed_after_handshake: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) open: AtomicU64,
    pub(crate) frames_sent: AtomicU64,
    pub(crate) pings_sent: AtomicU64,
    pub(crate) pongs_received: AtomicU64,
    pub(crate) text_pings_answered: AtomicU64,
    pub(crate) dropped_by_fault: AtomicU64,
    pub(crate) malformed_sent: AtomicU64,
}

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

pub(crate) fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

impl FeedStats {
    /// TCP connections accepted (before the WebSocket handshake): every attempt a client made.
    pub fn accepted(&self) -> u64 {
        get(&self.accepted)
    }
    /// Handshakes delayed by the slow-handshake fault.
    pub fn slow_handshakes(&self) -> u64 {
        get(&self.slow_handshakes)
    }
    /// Connections closed right after the handshake by the close-after-handshake fault.
    pub fn closed_after_handshake(&self) -> u64 {
        get(&self.closed_after_handshake)
    }
    /// Connections accepted (WebSocket handshake done).
    pub fn connections(&self) -> u64 {
        get(&self.connections)
    }
    /// Connections open now.
    pub fn open_connections(&self) -> u64 {
        get(&self.open)
    }
    /// Data frames sent (text; not pings or pongs).
    pub fn frames_sent(&self) -> u64 {
        get(&self.frames_sent)
    }
    /// WebSocket ping frames sent by the server.
    pub fn pings_sent(&self) -> u64 {
        get(&self.pings_sent)
    }
    /// WebSocket pong frames received.
    pub fn pongs_received(&self) -> u64 {
        get(&self.pongs_received)
    }
    /// Text `PING` messages answered with `PONG` (Polymarket).
    pub fn text_pings_answered(&self) -> u64 {
        get(&self.text_pings_answered)
    }
    /// Connections closed by a drop fault.
    pub fn dropped_by_fault(&self) -> u64 {
        get(&self.dropped_by_fault)
    }
    /// Malformed frames sent by the malformed fault (the garbage and the unknown-type frame).
    pub fn malformed_sent(&self) -> u64 {
        get(&self.malformed_sent)
    }
}

/// Everything the simulator counts.
#[derive(Debug, Default)]
pub struct SimStats {
    pub binance: FeedStats,
    pub poly: FeedStats,
    pub chainlink: FeedStats,
    pub(crate) http_requests: AtomicU64,
    pub(crate) http_faulted: AtomicU64,
    /// Periodic faults fired by the fault schedule: drops, malformed injections.
    pub(crate) scheduled_drops: AtomicU64,
    pub(crate) scheduled_malformed: AtomicU64,
    pub(crate) poly_subscriptions: Mutex<Vec<Vec<String>>>,
    pub(crate) binance_streams: Mutex<Vec<String>>,
}

impl SimStats {
    /// HTTP requests received (all routes, faults included).
    pub fn http_requests(&self) -> u64 {
        get(&self.http_requests)
    }
    /// HTTP requests answered with a forced status or delay by the HTTP fault switches.
    pub fn http_faulted(&self) -> u64 {
        get(&self.http_faulted)
    }
    /// Drops fired by the fault schedule (`drop_every_ms`), all feeds.
    pub fn scheduled_drops(&self) -> u64 {
        get(&self.scheduled_drops)
    }
    /// Malformed-frame injections fired by the fault schedule, all feeds.
    pub fn scheduled_malformed(&self) -> u64 {
        get(&self.scheduled_malformed)
    }
    /// The asset-id list of every Polymarket subscribe message received, in order.
    pub fn poly_subscriptions(&self) -> Vec<Vec<String>> {
        self.poly_subscriptions
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }
    /// The streams requested on each Binance connection (the `streams=` query value, or the
    /// stream of a `/ws/<stream>` path), in order.
    pub fn binance_streams(&self) -> Vec<String> {
        self.binance_streams
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }
}
