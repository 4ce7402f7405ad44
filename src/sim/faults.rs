//! Fault switches, flipped from tests (or the `sim` command) at any time and read by the feed
//! threads on every loop.
//!
//! One-shot faults (drop, malformed) are generation counters: each connection remembers the
//! generation it last acted on, so one call acts once on every connection open at that moment
//! and never on connections opened later. Everything is an atomic; nothing here blocks.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// A feed the fault switches act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Feed {
    Binance,
    Poly,
    Chainlink,
}

#[derive(Debug, Default)]
struct FeedFaults {
    drop_gen: AtomicU64,
    malformed_gen: AtomicU64,
    stall: AtomicBool,
    /// The server's handshake answer waits this long (0 = none).
    handshake_delay_ms: AtomicU64,
    /// Complete the handshake, then close at once (TCP close, no close frame).
    close_after_handshake: AtomicBool,
    /// Periodic faults run by the fault schedule (`fault_plan.rs`); 0 = off.
    drop_every_ms: AtomicU64,
    malformed_every_ms: AtomicU64,
}

/// The simulator's fault switches.
#[derive(Debug, Default)]
pub struct Faults {
    binance: FeedFaults,
    poly: FeedFaults,
    chainlink: FeedFaults,
    /// 0 = answer normally.
    http_status: AtomicU32,
    http_delay_ms: AtomicU64,
    /// Simulated CLOB (`/order`, `/cancel-all`, `/auth/*`): forced status, 0 = none.
    clob_status: AtomicU32,
    /// Requests the forced CLOB status still applies to; `u64::MAX` = until cleared.
    clob_status_left: AtomicU64,
    clob_delay_ms: AtomicU64,
    /// Orders still to answer with `order_version_mismatch`.
    version_mismatch_left: AtomicU64,
    /// Orders still to answer with status `delayed`.
    delayed_left: AtomicU64,
    /// `Retry-After` seconds on a forced 429 (0 = the default, 1).
    retry_after_s: AtomicU64,
    /// Each trade fails on chain with this probability, parts per million.
    trade_failure_ppm: AtomicU64,
    /// Trades still to fail whatever the probability.
    fail_trades_left: AtomicU64,
    /// FAKs still to rest (`live`) and be matched `resting_fak_ms` later.
    resting_faks_left: AtomicU64,
    resting_fak_ms: AtomicU64,
    /// `POST /order`s still to be processed and then have their connection cut mid-answer.
    cut_answers_left: AtomicU64,
}

impl Faults {
    fn feed(&self, feed: Feed) -> &FeedFaults {
        match feed {
            Feed::Binance => &self.binance,
            Feed::Poly => &self.poly,
            Feed::Chainlink => &self.chainlink,
        }
    }

    /// Close every open Binance connection once, now (TCP close without a WebSocket close
    /// frame, like a network drop). New connections are accepted normally.
    pub fn drop_binance(&self) {
        self.binance.drop_gen.fetch_add(1, Ordering::SeqCst);
    }
    /// Same for the Polymarket market channel.
    pub fn drop_poly(&self) {
        self.poly.drop_gen.fetch_add(1, Ordering::SeqCst);
    }
    /// Same for the Chainlink (PolyBolt) socket.
    pub fn drop_chainlink(&self) {
        self.chainlink.drop_gen.fetch_add(1, Ordering::SeqCst);
    }

    /// Keep Binance connections open but send nothing (no data, no pings) while set.
    pub fn set_stall_binance(&self, on: bool) {
        self.binance.stall.store(on, Ordering::SeqCst);
    }
    /// Keep Polymarket connections open but send nothing (no events, no PONG) while set. Book
    /// changes made meanwhile are sent when the stall ends.
    pub fn set_stall_poly(&self, on: bool) {
        self.poly.stall.store(on, Ordering::SeqCst);
    }
    /// Keep Chainlink connections open but send nothing while set.
    pub fn set_stall_chainlink(&self, on: bool) {
        self.chainlink.stall.store(on, Ordering::SeqCst);
    }

    /// The next frame on each open Binance connection is truncated JSON, followed by one frame
    /// of an unknown event type.
    pub fn inject_malformed_binance(&self) {
        self.binance.malformed_gen.fetch_add(1, Ordering::SeqCst);
    }
    /// Same for the Polymarket market channel.
    pub fn inject_malformed_poly(&self) {
        self.poly.malformed_gen.fetch_add(1, Ordering::SeqCst);
    }

    /// Delay the WebSocket handshake answer of `feed` by `ms` (0 = none): a slow server.
    pub(crate) fn set_handshake_delay_ms(&self, feed: Feed, ms: u64) {
        self.feed(feed)
            .handshake_delay_ms
            .store(ms, Ordering::SeqCst);
    }
    /// Complete every handshake of `feed`, then close the connection at once.
    pub(crate) fn set_close_after_handshake(&self, feed: Feed, on: bool) {
        self.feed(feed)
            .close_after_handshake
            .store(on, Ordering::SeqCst);
    }
    /// Drop every connection of `feed` every `ms` (0 = never), from the fault schedule.
    pub(crate) fn set_drop_every_ms(&self, feed: Feed, ms: u64) {
        self.feed(feed).drop_every_ms.store(ms, Ordering::SeqCst);
    }
    /// Inject a malformed frame on `feed` every `ms` (0 = never), from the fault schedule.
    pub(crate) fn set_malformed_every_ms(&self, feed: Feed, ms: u64) {
        self.feed(feed)
            .malformed_every_ms
            .store(ms, Ordering::SeqCst);
    }
    pub(crate) fn set_stall(&self, feed: Feed, on: bool) {
        self.feed(feed).stall.store(on, Ordering::SeqCst);
    }
    pub(crate) fn handshake_delay_ms(&self, feed: Feed) -> u64 {
        self.feed(feed).handshake_delay_ms.load(Ordering::Relaxed)
    }
    pub(crate) fn close_after_handshake(&self, feed: Feed) -> bool {
        self.feed(feed)
            .close_after_handshake
            .load(Ordering::Relaxed)
    }
    pub(crate) fn drop_every_ms(&self, feed: Feed) -> u64 {
        self.feed(feed).drop_every_ms.load(Ordering::Relaxed)
    }
    pub(crate) fn malformed_every_ms(&self, feed: Feed) -> u64 {
        self.feed(feed).malformed_every_ms.load(Ordering::Relaxed)
    }
    /// Raise a drop on `feed` (what `drop_binance` & co. do).
    pub(crate) fn drop_feed(&self, feed: Feed) {
        self.feed(feed).drop_gen.fetch_add(1, Ordering::SeqCst);
    }
    /// Raise a malformed frame on `feed`.
    pub(crate) fn malformed_feed(&self, feed: Feed) {
        self.feed(feed).malformed_gen.fetch_add(1, Ordering::SeqCst);
    }

    /// Every HTTP request is answered with this status (e.g. 429, 503) while set.
    pub fn set_http_status(&self, status: Option<u16>) {
        self.http_status
            .store(status.map_or(0, u32::from), Ordering::SeqCst);
    }
    /// Every HTTP response is delayed by this much (0 = none).
    pub fn set_http_delay_ms(&self, ms: u64) {
        self.http_delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn http_status(&self) -> Option<u16> {
        match self.http_status.load(Ordering::Relaxed) {
            0 => None,
            s => u16::try_from(s).ok(),
        }
    }
    pub fn http_delay_ms(&self) -> u64 {
        self.http_delay_ms.load(Ordering::Relaxed)
    }

    /// The simulated CLOB's trading and auth routes answer with this status while set, with
    /// the venue's body for it: 429 `{"error":"Too Many Requests"}`, 503 `{"error":"Trading is
    /// currently disabled. Check polymarket.com for updates"}`, any other 5xx
    /// `{"error":"could not run the execution"}`. `None` clears it (and any count).
    pub fn set_clob_status(&self, status: Option<u16>) {
        self.clob_status_left.store(u64::MAX, Ordering::SeqCst);
        self.clob_status
            .store(status.map_or(0, u32::from), Ordering::SeqCst);
    }
    /// As [`Faults::set_clob_status`] for the next `n` CLOB requests only.
    pub fn fail_next_clob_requests(&self, n: u64, status: u16) {
        self.clob_status_left.store(n, Ordering::SeqCst);
        self.clob_status.store(u32::from(status), Ordering::SeqCst);
    }
    /// Every simulated CLOB answer is delayed by this much (0 = none), after the request has
    /// been recorded as received.
    pub fn set_clob_delay_ms(&self, ms: u64) {
        self.clob_delay_ms.store(ms, Ordering::SeqCst);
    }
    /// The next `n` authenticated `POST /order`s are refused with `order_version_mismatch`.
    pub fn set_order_version_mismatch(&self, n: u64) {
        self.version_mismatch_left.store(n, Ordering::SeqCst);
    }
    /// The next `n` valid orders answer `"status":"delayed"` (accepted, not matched yet), as
    /// the venue does for its matching delay; each is matched against the book
    /// `LifecycleConfig::delayed_match_ms` later (a FOK all or nothing).
    pub fn set_delayed_orders(&self, n: u64) {
        self.delayed_left.store(n, Ordering::SeqCst);
    }

    /// A forced 429 carries `Retry-After: secs` (default 1).
    pub fn set_clob_retry_after_s(&self, secs: u64) {
        self.retry_after_s.store(secs, Ordering::SeqCst);
    }
    /// Every matched trade fails on chain (MATCHED → RETRYING → FAILED, its funds given
    /// back) with probability `ppm` / 1 000 000, decided by the trade id (deterministic).
    pub fn set_trade_failure_ppm(&self, ppm: u64) {
        self.trade_failure_ppm
            .store(ppm.min(1_000_000), Ordering::SeqCst);
    }
    /// The next `n` trades fail on chain.
    pub fn fail_next_trades(&self, n: u64) {
        self.fail_trades_left.store(n, Ordering::SeqCst);
    }
    /// The next `n` valid FAKs rest instead of matching: answered `"status":"live"`, then
    /// matched against the book `after_ms` later (what crosses fills, the rest is cancelled),
    /// as the venue sometimes does (clob-client #317).
    pub fn rest_next_faks(&self, n: u64, after_ms: u64) {
        self.resting_fak_ms.store(after_ms, Ordering::SeqCst);
        self.resting_faks_left.store(n, Ordering::SeqCst);
    }

    /// The next `n` `POST /order`s are processed in full (an accepted order stands, its
    /// trades booked) and then the connection is cut while the answer is being sent: the
    /// client never learns what became of the order, as when the network fails mid-request.
    pub fn cut_next_order_answers(&self, n: u64) {
        self.cut_answers_left.store(n, Ordering::SeqCst);
    }

    pub(crate) fn take_cut_answer(&self) -> bool {
        take_one(&self.cut_answers_left)
    }

    pub fn clob_retry_after_s(&self) -> u64 {
        match self.retry_after_s.load(Ordering::Relaxed) {
            0 => 1,
            s => s,
        }
    }
    pub fn trade_failure_ppm(&self) -> u64 {
        self.trade_failure_ppm.load(Ordering::Relaxed)
    }
    pub(crate) fn take_trade_failure(&self) -> bool {
        take_one(&self.fail_trades_left)
    }
    /// The delay of the next resting FAK, if one is due to rest.
    pub(crate) fn take_resting_fak(&self) -> Option<u64> {
        take_one(&self.resting_faks_left).then(|| self.resting_fak_ms.load(Ordering::SeqCst))
    }

    pub fn clob_delay_ms(&self) -> u64 {
        self.clob_delay_ms.load(Ordering::Relaxed)
    }

    /// The forced CLOB status for this request, counting it down.
    pub(crate) fn take_clob_status(&self) -> Option<u16> {
        let s = self.clob_status.load(Ordering::SeqCst);
        if s == 0 {
            return None;
        }
        let took = self
            .clob_status_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match n {
                u64::MAX => Some(n),
                0 => None,
                n => Some(n - 1),
            })
            .is_ok();
        took.then(|| u16::try_from(s).ok()).flatten()
    }

    pub(crate) fn take_version_mismatch(&self) -> bool {
        take_one(&self.version_mismatch_left)
    }

    pub(crate) fn take_delayed(&self) -> bool {
        take_one(&self.delayed_left)
    }

    pub(crate) fn stalled(&self, feed: Feed) -> bool {
        self.feed(feed).stall.load(Ordering::Relaxed)
    }
    pub(crate) fn drop_gen(&self, feed: Feed) -> u64 {
        self.feed(feed).drop_gen.load(Ordering::Relaxed)
    }
    pub(crate) fn malformed_gen(&self, feed: Feed) -> u64 {
        self.feed(feed).malformed_gen.load(Ordering::Relaxed)
    }
}

fn take_one(a: &AtomicU64) -> bool {
    a.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}
