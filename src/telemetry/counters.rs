//! Process-wide counters. Each field has one writer thread; readers are on the control side.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam::utils::CachePadded;
use serde::Serialize;

use crate::strategy::gates::SkipReason;

/// Counters of one feed connection (written by its ingest thread).
#[derive(Debug, Default)]
pub struct FeedCounters {
    /// Data frames received and handed to the parser.
    pub frames: AtomicU64,
    /// Frames that failed to parse (malformed, truncated, oversized): skipped, never fatal.
    pub parse_errors: AtomicU64,
    /// Well-formed frames of a kind we do not use (subscription acks, unknown events).
    pub ignored: AtomicU64,
    /// Connections re-established after a drop.
    pub reconnects: AtomicU64,
    /// Times the feed was declared stale (silent past its limit).
    pub stale: AtomicU64,
    /// Ping frames answered.
    pub pongs: AtomicU64,
}

/// Counters of the `signal` thread.
#[derive(Debug, Default)]
pub struct SignalCounters {
    pub spot_events: AtomicU64,
    pub poly_events: AtomicU64,
    /// Decisions evaluated (trade or skip).
    pub signals: AtomicU64,
    /// Intents sent to `order`.
    pub intents: AtomicU64,
    pub exec_reports: AtomicU64,
    /// Decisions that did not trade, by `SkipReason` discriminant.
    pub skips: [AtomicU64; SkipReason::ALL.len()],
    /// Windows whose strike fell back to Binance (no Chainlink price at the start).
    pub strike_fallbacks: AtomicU64,
    pub settlements: AtomicU64,
}

/// Counters of the `order` thread.
#[derive(Debug, Default)]
pub struct OrderCounters {
    pub orders: AtomicU64,
    pub fills: AtomicU64,
    pub rejects: AtomicU64,
}

/// The journal's health (written by its writer thread and senders; read by `/health`,
/// `/metrics` and the control loop, which halts live trading on a failed write).
#[derive(Debug, Default)]
pub struct JournalCounters {
    /// A journal is configured and open.
    pub enabled: std::sync::atomic::AtomicBool,
    /// Events dropped because the channel was full.
    pub dropped: AtomicU64,
    /// Events written.
    pub written: AtomicU64,
    /// Transactions committed.
    pub batches: AtomicU64,
    /// Batches that failed (their events are lost; see the log).
    pub failed_batches: AtomicU64,
    /// The last write error, for `/health` (control side only; never on a hot thread).
    pub last_error: std::sync::Mutex<String>,
}

impl JournalCounters {
    pub fn last_error(&self) -> String {
        self.last_error
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }
}

/// Every counter of the process, padded so two writer threads never share a cache line.
#[derive(Debug, Default)]
pub struct Counters {
    pub binance: CachePadded<FeedCounters>,
    pub poly: CachePadded<FeedCounters>,
    pub chainlink: CachePadded<FeedCounters>,
    pub signal: CachePadded<SignalCounters>,
    pub order: CachePadded<OrderCounters>,
    /// Overload events on hot links, one per link (the producer writes it; the ring holds a
    /// clone of the `Arc`, each in its own allocation so no two share a cache line in practice).
    pub ring_full_spot: Arc<AtomicU64>,
    pub ring_full_poly: Arc<AtomicU64>,
    pub ring_full_intent: Arc<AtomicU64>,
    pub ring_full_exec: Arc<AtomicU64>,
    /// Drops on taps to the control side, one per tap (the producer writes it).
    pub tap_dropped_spot: Arc<AtomicU64>,
    pub tap_dropped_poly: Arc<AtomicU64>,
    pub tap_dropped_signal: Arc<AtomicU64>,
    pub tap_dropped_order: Arc<AtomicU64>,
    /// Back-pressure on lossless links (one per link, its sender writes it): times the sender
    /// found the ring full and waited. Ledger: `signal`'s intents/settlements/breaker events,
    /// `order`'s reports; control: window set-up and subscriptions from the control side.
    pub ledger_backpressure_signal: Arc<AtomicU64>,
    pub ledger_backpressure_order: Arc<AtomicU64>,
    pub control_backpressure_signal: Arc<AtomicU64>,
    pub control_backpressure_poly: Arc<AtomicU64>,
    pub control_backpressure_order: Arc<AtomicU64>,
    /// Frames the recorder could not keep (its ring was full), when recording.
    pub record_dropped: Arc<AtomicU64>,
    /// The journal's writes, when there is one.
    pub journal: Arc<JournalCounters>,
}

/// The counters as the demo summary names them (these names never change).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CounterSnapshot {
    pub binance_frames: u64,
    pub poly_frames: u64,
    pub chainlink_frames: u64,
    pub parse_errors: u64,
    pub reconnects: u64,
    pub hot_ring_full: u64,
    pub tap_dropped: u64,
    /// Times a lossless link (ledger or control) was found full and its sender waited.
    pub backpressure: u64,
    pub signals: u64,
    pub orders: u64,
    pub fills: u64,
}

fn g(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

impl Counters {
    /// Skip counts by reason name, only reasons that occurred.
    pub fn skips(&self) -> std::collections::BTreeMap<&'static str, u64> {
        SkipReason::ALL
            .iter()
            .map(|r| (r.name(), g(&self.signal.skips[*r as usize])))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            binance_frames: g(&self.binance.frames),
            poly_frames: g(&self.poly.frames),
            chainlink_frames: g(&self.chainlink.frames),
            parse_errors: g(&self.binance.parse_errors)
                + g(&self.poly.parse_errors)
                + g(&self.chainlink.parse_errors),
            reconnects: g(&self.binance.reconnects)
                + g(&self.poly.reconnects)
                + g(&self.chainlink.reconnects),
            hot_ring_full: g(&self.ring_full_spot)
                + g(&self.ring_full_poly)
                + g(&self.ring_full_intent)
                + g(&self.ring_full_exec),
            tap_dropped: g(&self.tap_dropped_spot)
                + g(&self.tap_dropped_poly)
                + g(&self.tap_dropped_signal)
                + g(&self.tap_dropped_order),
            backpressure: g(&self.ledger_backpressure_signal)
                + g(&self.ledger_backpressure_order)
                + g(&self.control_backpressure_signal)
                + g(&self.control_backpressure_poly)
                + g(&self.control_backpressure_order),
            signals: g(&self.signal.signals),
            orders: g(&self.order.orders),
            fills: g(&self.order.fills),
        }
    }
}
