//! Per-stage latency histograms, recorded on hot threads and merged on the control side.
//!
//! Each hot thread owns a [`StageRecorder`]: a set of fixed-size hdrhistograms for its stages.
//! Every `flush_every` it swaps the set for an empty one that the control side returned
//! earlier and sends the full one over an SPSC ring. The swap moves a `Box` (no allocation),
//! nothing is locked, and if the control side is late the thread keeps recording into the
//! set it has: samples are delayed, never lost.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency a histogram tracks (larger values are clamped to it).
pub const MAX_TRACKED_NS: u64 = 10_000_000_000;
const SIGFIG: u8 = 3;
/// Histogram sets per thread: one recording, the others in flight or spare.
const SETS_PER_THREAD: usize = 3;

/// The measured stages. Names are part of the demo summary and the README: never rename.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// binance-ingest: Binance frame read → parsed into a `SpotTick`.
    BinanceParse,
    /// poly-ingest: market-channel frame read → parsed and applied to the L2 book.
    PolyParse,
    /// poly-ingest: Chainlink price frame read → parsed.
    ChainlinkParse,
    /// signal: Binance frame read → `SpotTick` dequeued by `signal`.
    SpotToSignal,
    /// signal: Polymarket frame read → `BookTop` dequeued by `signal`.
    BookToSignal,
    /// signal: event dequeued → decision made (trade or skip).
    Decide,
    /// signal: Binance frame read → decision made.
    TickToDecision,
    /// order: decision made → `OrderIntent` dequeued by `order`.
    IntentToOrder,
    /// order: intent dequeued → executed (paper fill computed, or request bytes written).
    OrderExec,
    /// order: triggering frame read → executed.
    TickToTrade,
    /// order (live): intent dequeued → request bytes written, with a presigned order.
    OrderWritePresigned,
    /// order (live): intent dequeued → request bytes written, signing on the spot.
    OrderWriteSigned,
    /// order (live): triggering frame read → request bytes ready, before the `write` call:
    /// the process's own work, without the kernel's.
    TickToOrderReady,
    /// order (live): request bytes ready → the `write` call returned (the kernel's part; on
    /// loopback it includes delivering to the venue's socket and waking its thread).
    OrderWriteCall,
    /// One pass of a hot thread that owns sockets (the run-to-completion thread; under four
    /// threads, `binance-ingest` and `poly-ingest`): link upkeep, then the frames read and
    /// handled. Its maximum is the longest the thread was away from its sockets, which a
    /// reconnect storm must not raise.
    HotPass,
    /// A `hot_pass` of the run-to-completion thread in which a feed link dropped or came up
    /// (its socket closed, or a dialed one taken over and subscribed): what a reconnect costs
    /// the hot thread.
    ReconnectPass,
}

pub const ALL_STAGES: [Stage; 16] = [
    Stage::BinanceParse,
    Stage::PolyParse,
    Stage::ChainlinkParse,
    Stage::SpotToSignal,
    Stage::BookToSignal,
    Stage::Decide,
    Stage::TickToDecision,
    Stage::IntentToOrder,
    Stage::OrderExec,
    Stage::TickToTrade,
    Stage::OrderWritePresigned,
    Stage::OrderWriteSigned,
    Stage::TickToOrderReady,
    Stage::OrderWriteCall,
    Stage::HotPass,
    Stage::ReconnectPass,
];

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::BinanceParse => "binance_parse",
            Stage::PolyParse => "poly_parse",
            Stage::ChainlinkParse => "chainlink_parse",
            Stage::SpotToSignal => "spot_to_signal",
            Stage::BookToSignal => "book_to_signal",
            Stage::Decide => "decide",
            Stage::TickToDecision => "tick_to_decision",
            Stage::IntentToOrder => "intent_to_order",
            Stage::OrderExec => "order_exec",
            Stage::TickToTrade => "tick_to_trade",
            Stage::OrderWritePresigned => "order_write_presigned",
            Stage::OrderWriteSigned => "order_write_signed",
            Stage::TickToOrderReady => "tick_to_order_ready",
            Stage::OrderWriteCall => "order_write_call",
            Stage::HotPass => "hot_pass",
            Stage::ReconnectPass => "reconnect_pass",
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_NS, SIGFIG).expect("static histogram bounds")
}

/// One thread's histograms, one per stage it records.
pub struct HistSet {
    stages: Vec<Stage>,
    hists: Vec<Histogram<u64>>,
}

impl HistSet {
    fn new(stages: &[Stage]) -> Self {
        HistSet {
            stages: stages.to_vec(),
            hists: stages.iter().map(|_| new_histogram()).collect(),
        }
    }
}

/// Hot-thread side.
pub struct StageRecorder {
    current: Box<HistSet>,
    slot: [u8; ALL_STAGES.len()],
    full_tx: rtrb::Producer<Box<HistSet>>,
    empty_rx: rtrb::Consumer<Box<HistSet>>,
    flush_every_ns: u64,
    last_flush_ns: u64,
}

const NO_SLOT: u8 = u8::MAX;

impl StageRecorder {
    /// Record a latency. Stages this recorder was not built for are ignored.
    #[inline]
    pub fn record(&mut self, stage: Stage, ns: u64) {
        let slot = self.slot[stage as usize];
        if slot != NO_SLOT {
            self.current.hists[slot as usize].saturating_record(ns.clamp(1, MAX_TRACKED_NS));
        }
    }

    /// Record `to - from`, ignoring stamps that are missing or out of order.
    #[inline]
    pub fn record_span(&mut self, stage: Stage, from_ns: u64, to_ns: u64) {
        if from_ns != 0 && to_ns >= from_ns {
            self.record(stage, to_ns - from_ns);
        }
    }

    /// Hand the histograms to the control side if the period has elapsed and a spare set is
    /// back. Cheap when it has nothing to do: one comparison.
    #[inline]
    pub fn maybe_flush(&mut self, now_ns: u64) {
        if now_ns.wrapping_sub(self.last_flush_ns) < self.flush_every_ns {
            return;
        }
        self.flush(now_ns);
    }

    /// Hand over now (at shutdown, or from `maybe_flush`).
    pub fn flush(&mut self, now_ns: u64) {
        self.last_flush_ns = now_ns;
        if self.full_tx.slots() == 0 {
            return;
        }
        if let Ok(empty) = self.empty_rx.pop() {
            let full = std::mem::replace(&mut self.current, empty);
            // Cannot fail: the ring holds every set this recorder owns.
            let _ = self.full_tx.push(full);
        }
    }
}

/// Control-side end of one thread's recorder.
pub struct StageCollector {
    full_rx: rtrb::Consumer<Box<HistSet>>,
    empty_tx: rtrb::Producer<Box<HistSet>>,
}

/// Build a recorder for `stages` and the collector that drains it.
pub fn stage_channel(stages: &[Stage], flush_every_ns: u64) -> (StageRecorder, StageCollector) {
    let (full_tx, full_rx) = rtrb::RingBuffer::new(SETS_PER_THREAD);
    let (mut empty_tx, empty_rx) = rtrb::RingBuffer::new(SETS_PER_THREAD);
    for _ in 1..SETS_PER_THREAD {
        let _ = empty_tx.push(Box::new(HistSet::new(stages)));
    }
    let mut slot = [NO_SLOT; ALL_STAGES.len()];
    for (i, s) in stages.iter().enumerate() {
        slot[*s as usize] = i as u8;
    }
    (
        StageRecorder {
            current: Box::new(HistSet::new(stages)),
            slot,
            full_tx,
            empty_rx,
            flush_every_ns,
            last_flush_ns: 0,
        },
        StageCollector { full_rx, empty_tx },
    )
}

/// Percentiles of one stage, as the summary, the API and `/metrics` report them.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StageSummary {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

/// Control side: cumulative histograms per stage since start.
pub struct LatencyBook {
    collectors: Vec<StageCollector>,
    totals: BTreeMap<Stage, Histogram<u64>>,
}

impl LatencyBook {
    pub fn new(collectors: Vec<StageCollector>) -> Self {
        LatencyBook {
            collectors,
            totals: BTreeMap::new(),
        }
    }

    /// Merge whatever the hot threads have handed over; returns the sets merged.
    pub fn drain(&mut self) -> usize {
        let mut merged = 0;
        for c in &mut self.collectors {
            while let Ok(mut set) = c.full_rx.pop() {
                for (stage, h) in set.stages.iter().zip(set.hists.iter_mut()) {
                    let total = self.totals.entry(*stage).or_insert_with(new_histogram);
                    // Same bounds on both sides, so `add` cannot fail.
                    let _ = total.add(&*h);
                    h.reset();
                }
                let _ = c.empty_tx.push(set);
                merged += 1;
            }
        }
        merged
    }

    /// Forget everything merged so far (samples still held by the hot threads, at most one
    /// flush period's worth, arrive with the next drain).
    pub fn reset(&mut self) {
        self.drain();
        self.totals.clear();
    }

    pub fn histogram(&self, stage: Stage) -> Option<&Histogram<u64>> {
        self.totals.get(&stage)
    }

    /// A copy of every stage's histogram (control side, at shutdown: it allocates).
    pub fn histograms(&self) -> BTreeMap<&'static str, Histogram<u64>> {
        self.totals
            .iter()
            .map(|(s, h)| (s.name(), h.clone()))
            .collect()
    }

    pub fn summary(&self) -> BTreeMap<&'static str, StageSummary> {
        self.totals
            .iter()
            .map(|(s, h)| (s.name(), summarize(h)))
            .collect()
    }
}

pub fn summarize(h: &Histogram<u64>) -> StageSummary {
    if h.is_empty() {
        return StageSummary::default();
    }
    StageSummary {
        count: h.len(),
        p50: h.value_at_quantile(0.50),
        p90: h.value_at_quantile(0.90),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cross_to_the_control_side_and_sets_are_recycled() {
        let (mut rec, col) = stage_channel(&[Stage::Decide, Stage::SpotToSignal], 1);
        let mut book = LatencyBook::new(vec![col]);
        for round in 0..10u64 {
            for v in 1..=100u64 {
                rec.record(Stage::Decide, v * 1000);
            }
            rec.record(Stage::SpotToSignal, 7);
            // A stage this thread does not own is ignored, not misfiled.
            rec.record(Stage::OrderExec, 5);
            rec.flush(round + 10);
            assert_eq!(book.drain(), 1, "round {round}");
        }
        let s = book.summary();
        assert_eq!(s["decide"].count, 1000);
        assert_eq!(s["spot_to_signal"].count, 10);
        assert!(!s.contains_key("order_exec"));
        let p50 = s["decide"].p50;
        assert!((49_000..=51_000).contains(&p50), "p50 {p50}");
        // 3 significant digits: the max is 100 µs within 0.1%.
        assert!((100_000..=100_100).contains(&s["decide"].max));
    }

    #[test]
    fn late_control_side_delays_but_never_loses_samples() {
        let (mut rec, col) = stage_channel(&[Stage::Decide], 1);
        let mut book = LatencyBook::new(vec![col]);
        // Flush many times without draining: spare sets run out, recording continues.
        for i in 0..20u64 {
            rec.record(Stage::Decide, 100);
            rec.flush(i + 1);
        }
        book.drain();
        rec.flush(1000);
        book.drain();
        assert_eq!(book.summary()["decide"].count, 20);
    }

    #[test]
    fn record_span_ignores_missing_or_reversed_stamps() {
        let (mut rec, col) = stage_channel(&[Stage::Decide], 1);
        let mut book = LatencyBook::new(vec![col]);
        rec.record_span(Stage::Decide, 0, 50);
        rec.record_span(Stage::Decide, 60, 50);
        rec.record_span(Stage::Decide, 10, 50);
        rec.flush(5);
        book.drain();
        assert_eq!(book.summary()["decide"].count, 1);
    }

    #[test]
    fn stage_names_are_unique() {
        let mut names: Vec<_> = ALL_STAGES.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL_STAGES.len());
    }
}
