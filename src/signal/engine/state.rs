//! The engine's state per asset, window and token: fixed arrays of `Copy` structs, so one
//! event touches a few cache lines and nothing is allocated after start-up.

use crate::pipeline::control::WindowSpec;
use crate::pipeline::events::{AssetId, BookTop, Outcome, WireStamps};
use crate::strategy::anchor::Anchor;
use crate::strategy::basis::BasisEma;
use crate::strategy::twap_obs::TwapObserver;
use crate::strategy::vol::VolEstimator;

#[derive(Clone, Copy, Debug)]
pub(super) struct WindowState {
    pub(super) spec: WindowSpec,
    /// Chainlink price at the start (or the Binance fallback); NaN until known.
    pub(super) strike: f64,
    pub(super) strike_fallback: bool,
    /// First Binance price at or after the start: the fallback strike.
    pub(super) binance_open: f64,
    /// First Chainlink price at or after the end; NaN until seen.
    pub(super) end_price: f64,
    pub(super) last_order_ns: u64,
    /// When the window was set up: the strike grace runs from here if it was set up late.
    pub(super) added_wall_ms: u64,
    /// Set up from the journal at restart (a position's window), with no tokens followed
    /// until discovery announces it again.
    pub(super) restored: bool,
    /// The book's mid and the model's view when it last changed (market anchoring).
    pub(super) anchor: Anchor,
    /// The observed part of a TWAP settlement's span (basis-corrected Binance).
    pub(super) twap: TwapObserver,
    /// Last Binance price seen during the window (before its end): with no reference price after
    /// the end, the window settles on this (flagged stale), never on a price from after its end.
    pub(super) binance_before_end: f64,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct AssetState {
    pub(super) spot: f64,
    pub(super) spot_ns: u64,
    pub(super) spot_stamps: WireStamps,
    /// Wall clock of the last Binance price, unix ms (0: none yet).
    pub(super) spot_wall_ms: u64,
    /// Last Chainlink price (price, venue ms).
    pub(super) oracle: (f64, u64),
    pub(super) vol: VolEstimator,
    pub(super) basis: BasisEma,
    /// Windows being traded or awaiting settlement: previous, current, next, and one spare.
    pub(super) windows: [Option<WindowState>; WINDOW_SLOTS],
    /// Recent Chainlink points (venue ms, price), oldest overwritten first: a window set up
    /// after it opened still finds the price at its start.
    pub(super) oracle_hist: [(u64, f64); ORACLE_HISTORY],
    pub(super) oracle_next: usize,
}

/// Windows per asset kept at once.
pub(super) const WINDOW_SLOTS: usize = 4;
/// Chainlink points remembered per asset (at 1 Hz, four minutes).
pub(super) const ORACLE_HISTORY: usize = 256;
/// A fallback end price (no Chainlink price after the end) must be from no later than this
/// past the settle grace: the window was watched around its end, not restored long after.
pub(super) const STALE_SLACK_MS: u64 = 5_000;

#[derive(Clone, Copy, Debug)]
pub(super) struct TokenState {
    pub(super) asset: AssetId,
    pub(super) outcome: Outcome,
    pub(super) window_start_s: u64,
    pub(super) book: BookTop,
    pub(super) book_ns: u64,
    pub(super) open_order: bool,
}
