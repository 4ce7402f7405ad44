//! Trade gates: every reason not to trade, named, and one pure check over a `Copy` snapshot.
//!
//! [`check_gates`] returns the *first* failing gate, in a fixed order: control state first
//! (kill switch > breaker > mode, DESIGN §6), then the window and its timing, feed freshness,
//! open orders and cooldown (all cheap, no model needed), then the model and the book (fair
//! value, move, spread, extreme probability, depth, edge, size) and last the risk verdict.
//! The two halves are also exposed ([`check_context`], [`check_trade`]) so `signal` can skip
//! the model when the context already says no.
//!
//! Contract: pure, O(1), no allocation, no panics. NaN never passes a gate: a NaN time into the
//! window is `no_window`, a NaN probability `extreme_probability`, a NaN edge
//! `edge_below_threshold`, a NaN move `small_move`.

use serde::{Deserialize, Serialize, Serializer};

use crate::config::bad_field::BadField;

/// Why a decision did not trade. `name()` is stable: it is written in JSON and the journal.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SkipReason {
    NoWindow = 0,
    NoSpot = 1,
    NoBook = 2,
    StaleSpot = 3,
    StaleBook = 4,
    TooEarly = 5,
    TooLate = 6,
    SmallMove = 7,
    EdgeBelowThreshold = 8,
    SpreadTooWide = 9,
    ThinDepth = 10,
    BelowMinSize = 11,
    ExtremeProbability = 12,
    OpenOrder = 13,
    Cooldown = 14,
    KillSwitch = 15,
    Breaker = 16,
    ModeOff = 17,
    RiskLimit = 18,
    /// The model gave no probability (bad spot, strike or σ: see `fair_value::prob_up`).
    NoFairValue = 19,
    /// The sniper's favourite is priced outside its configured range.
    PriceOutOfRange = 20,
    /// No strategy is enabled for this asset.
    NoStrategy = 21,
}

impl SkipReason {
    /// Every reason, in discriminant order.
    pub const ALL: [SkipReason; 22] = [
        SkipReason::NoWindow,
        SkipReason::NoSpot,
        SkipReason::NoBook,
        SkipReason::StaleSpot,
        SkipReason::StaleBook,
        SkipReason::TooEarly,
        SkipReason::TooLate,
        SkipReason::SmallMove,
        SkipReason::EdgeBelowThreshold,
        SkipReason::SpreadTooWide,
        SkipReason::ThinDepth,
        SkipReason::BelowMinSize,
        SkipReason::ExtremeProbability,
        SkipReason::OpenOrder,
        SkipReason::Cooldown,
        SkipReason::KillSwitch,
        SkipReason::Breaker,
        SkipReason::ModeOff,
        SkipReason::RiskLimit,
        SkipReason::NoFairValue,
        SkipReason::PriceOutOfRange,
        SkipReason::NoStrategy,
    ];

    /// Stable snake_case name.
    #[inline]
    pub const fn name(self) -> &'static str {
        match self {
            SkipReason::NoWindow => "no_window",
            SkipReason::NoSpot => "no_spot",
            SkipReason::NoBook => "no_book",
            SkipReason::StaleSpot => "stale_spot",
            SkipReason::StaleBook => "stale_book",
            SkipReason::TooEarly => "too_early",
            SkipReason::TooLate => "too_late",
            SkipReason::SmallMove => "small_move",
            SkipReason::EdgeBelowThreshold => "edge_below_threshold",
            SkipReason::SpreadTooWide => "spread_too_wide",
            SkipReason::ThinDepth => "thin_depth",
            SkipReason::BelowMinSize => "below_min_size",
            SkipReason::ExtremeProbability => "extreme_probability",
            SkipReason::OpenOrder => "open_order",
            SkipReason::Cooldown => "cooldown",
            SkipReason::KillSwitch => "kill_switch",
            SkipReason::Breaker => "breaker",
            SkipReason::ModeOff => "mode_off",
            SkipReason::RiskLimit => "risk_limit",
            SkipReason::NoFairValue => "no_fair_value",
            SkipReason::PriceOutOfRange => "price_out_of_range",
            SkipReason::NoStrategy => "no_strategy",
        }
    }

    /// The reason with this discriminant (for reasons carried as a `u8` in hot structs).
    #[inline]
    pub const fn from_u8(v: u8) -> Option<SkipReason> {
        if (v as usize) < Self::ALL.len() {
            Some(Self::ALL[v as usize])
        } else {
            None
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for SkipReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Gate thresholds. Unknown keys are errors; every field has a default.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    /// Minimum expected edge per share, USDC, net of fees (default 0.03). Real-data tests
    /// showed no edge at 30-s resolution; keep this conservative.
    pub min_edge: f64,
    /// No trade before this many seconds into the window (default 30): the strike may not be
    /// published yet and the first seconds are the noisiest.
    pub min_secs_into_window: f64,
    /// No trade after this many seconds into the window (default 840, the last minute of a
    /// 15-minute window off): near the end settlement-feed timing dominates the model.
    pub max_secs_into_window: f64,
    /// If set, replaces `min_secs_into_window` by this fraction of the window length
    /// (e.g. 0.0333 for 30 s of 900): use it for compressed demo windows. Default unset.
    pub min_frac_into_window: Option<f64>,
    /// If set, replaces `max_secs_into_window` by this fraction of the window length
    /// (e.g. 0.9333 for 840 s of 900). Default unset.
    pub max_frac_into_window: Option<f64>,
    /// Minimum |ln(S/K)| in basis points (default 1.0): below it the outcome is a coin flip
    /// the book prices well.
    pub min_move_bps: f64,
    /// Maximum bid/ask spread of the token bought, in price units (default 0.05). A one-sided
    /// book counts its bid as 0.
    pub max_spread: f64,
    /// Model probability of the outcome bought must lie in `[1 − max_prob, max_prob]`
    /// (default 0.9): the log-normal tails are least reliable.
    pub max_prob: f64,
    /// Binance price older than this is stale, ms (default 2000).
    pub max_spot_age_ms: u64,
    /// Polymarket book older than this is stale, ms (default 5000; books update less often).
    pub max_book_age_ms: u64,
    /// Minimum time between orders in one window, ms (default 30 000).
    pub cooldown_ms: u64,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_edge: 0.03,
            min_secs_into_window: 30.0,
            max_secs_into_window: 840.0,
            min_frac_into_window: None,
            max_frac_into_window: None,
            min_move_bps: 1.0,
            max_spread: 0.05,
            max_prob: 0.9,
            max_spot_age_ms: 2_000,
            max_book_age_ms: 5_000,
            cooldown_ms: 30_000,
        }
    }
}

/// Every bad field of a [`GateConfig`] (fatal at start: fix the config).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("gate config: {}", crate::config::bad_field::join(fields))]
pub struct GateConfigError {
    pub fields: Vec<BadField>,
}

impl GateConfig {
    /// Checks every field and names all the bad ones. Runs at start, off the hot path.
    pub fn validate(&self) -> Result<(), GateConfigError> {
        let mut bad = Vec::new();
        let nonneg = |x: f64| x.is_finite() && x >= 0.0;
        let frac = |x: Option<f64>| x.is_none_or(|f| f.is_finite() && (0.0..=1.0).contains(&f));
        let show = |x: Option<f64>| x.map_or("none".to_string(), |f| f.to_string());
        if !self.min_edge.is_finite() {
            bad.push(BadField::new("min_edge", self.min_edge, "a finite number"));
        }
        if !nonneg(self.min_secs_into_window) {
            bad.push(BadField::new(
                "min_secs_into_window",
                self.min_secs_into_window,
                "a finite number ≥ 0",
            ));
        }
        if !nonneg(self.max_secs_into_window)
            || self.max_secs_into_window < self.min_secs_into_window
        {
            bad.push(BadField::new(
                "max_secs_into_window",
                self.max_secs_into_window,
                "a finite number ≥ min_secs_into_window",
            ));
        }
        if !frac(self.min_frac_into_window) {
            bad.push(BadField::new(
                "min_frac_into_window",
                show(self.min_frac_into_window),
                "a fraction in [0, 1]",
            ));
        }
        if !frac(self.max_frac_into_window) {
            bad.push(BadField::new(
                "max_frac_into_window",
                show(self.max_frac_into_window),
                "a fraction in [0, 1]",
            ));
        }
        if !nonneg(self.min_move_bps) {
            bad.push(BadField::new(
                "min_move_bps",
                self.min_move_bps,
                "a finite number ≥ 0",
            ));
        }
        if !nonneg(self.max_spread) {
            bad.push(BadField::new(
                "max_spread",
                self.max_spread,
                "a finite number ≥ 0",
            ));
        }
        if !(self.max_prob.is_finite() && (0.5..=1.0).contains(&self.max_prob)) {
            bad.push(BadField::new("max_prob", self.max_prob, "in [0.5, 1]"));
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(GateConfigError { fields: bad })
        }
    }

    /// `[min, max]` seconds into a window of `window_len_s` in which trading is allowed.
    #[inline]
    pub fn window_bounds_s(&self, window_len_s: f64) -> (f64, f64) {
        let min = match self.min_frac_into_window {
            Some(f) => f * window_len_s,
            None => self.min_secs_into_window,
        };
        let max = match self.max_frac_into_window {
            Some(f) => f * window_len_s,
            None => self.max_secs_into_window,
        };
        (min, max)
    }
}

/// Control state, window, feeds and order state: everything known before the model runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContextInputs {
    pub killed: bool,
    pub breaker_tripped: bool,
    /// Trading mode is `off`.
    pub mode_off: bool,
    /// A window is set up for this asset (with its tokens and strike).
    pub has_window: bool,
    pub secs_into_window: f64,
    pub window_len_s: f64,
    pub has_spot: bool,
    pub spot_age_ms: u64,
    /// A book with at least one ask for the token to buy.
    pub has_book: bool,
    pub book_age_ms: u64,
    /// An order on this token is still open.
    pub open_order: bool,
    /// Since the last order in this window; `u64::MAX` when none.
    pub ms_since_last_order: u64,
}

impl Default for ContextInputs {
    /// A context that passes every gate under the default config (a fresh window, 60 s in).
    fn default() -> Self {
        ContextInputs {
            killed: false,
            breaker_tripped: false,
            mode_off: false,
            has_window: true,
            secs_into_window: 60.0,
            window_len_s: 900.0,
            has_spot: true,
            spot_age_ms: 0,
            has_book: true,
            book_age_ms: 0,
            open_order: false,
            ms_since_last_order: u64::MAX,
        }
    }
}

/// Model and book numbers for one candidate BUY.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TradeInputs {
    /// `fair_value::prob_up` gave a probability.
    pub has_fair_value: bool,
    /// |ln(S/K)| × 1e4 (see [`move_bps`]).
    pub move_bps: f64,
    /// Best bid of the token bought, 1e-4 units; 0 when there is none.
    pub best_bid_e4: u32,
    /// Best ask of the token bought, 1e-4 units.
    pub best_ask_e4: u32,
    /// Model probability of the outcome bought.
    pub p_outcome: f64,
    /// Expected edge per share net of fees (`edge::BuyEdge::edge_per_share`).
    pub edge_per_share: f64,
    /// Visible ask size at or under the limit price, 1e-6 shares.
    pub depth_at_limit_e6: u64,
    /// The market's minimum order size, 1e-6 shares.
    pub min_size_e6: u64,
    /// The sized order, 1e-6 shares (`sizing::size_order_e6`).
    pub size_e6: u64,
    /// The risk checks (exposure, rate, loss limits) allow this order.
    pub risk_ok: bool,
    /// `size_e6` is 0 because of the risk room (the limits' room left, or the cash not yet
    /// promised), not because of the book: the book alone would have given an order.
    pub room_bound: bool,
}

impl Default for TradeInputs {
    /// A candidate that passes every gate under the default config.
    fn default() -> Self {
        TradeInputs {
            has_fair_value: true,
            move_bps: 10.0,
            best_bid_e4: 4900,
            best_ask_e4: 5000,
            p_outcome: 0.6,
            edge_per_share: 0.08,
            depth_at_limit_e6: 100_000_000,
            min_size_e6: 5_000_000,
            size_e6: 10_000_000,
            risk_ok: true,
            room_bound: false,
        }
    }
}

/// Everything [`check_gates`] needs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GateInputs {
    pub ctx: ContextInputs,
    pub trade: TradeInputs,
}

/// |ln(spot/strike)| in basis points; NaN when either is not a positive finite number.
#[inline]
pub fn move_bps(spot: f64, strike: f64) -> f64 {
    if spot.is_finite() && spot > 0.0 && strike.is_finite() && strike > 0.0 {
        (spot / strike).ln().abs() * 1e4
    } else {
        f64::NAN
    }
}

/// Gates that need no model: control state, window timing, feeds, open order, cooldown.
#[inline]
pub fn check_context(cfg: &GateConfig, c: &ContextInputs) -> Result<(), SkipReason> {
    if c.killed {
        return Err(SkipReason::KillSwitch);
    }
    if c.breaker_tripped {
        return Err(SkipReason::Breaker);
    }
    if c.mode_off {
        return Err(SkipReason::ModeOff);
    }
    if !c.has_window || c.secs_into_window.is_nan() {
        return Err(SkipReason::NoWindow);
    }
    let (min_s, max_s) = cfg.window_bounds_s(c.window_len_s);
    if c.secs_into_window < min_s {
        return Err(SkipReason::TooEarly);
    }
    if c.secs_into_window > max_s {
        return Err(SkipReason::TooLate);
    }
    if !c.has_spot {
        return Err(SkipReason::NoSpot);
    }
    if c.spot_age_ms > cfg.max_spot_age_ms {
        return Err(SkipReason::StaleSpot);
    }
    if !c.has_book {
        return Err(SkipReason::NoBook);
    }
    if c.book_age_ms > cfg.max_book_age_ms {
        return Err(SkipReason::StaleBook);
    }
    if c.open_order {
        return Err(SkipReason::OpenOrder);
    }
    if c.ms_since_last_order < cfg.cooldown_ms {
        return Err(SkipReason::Cooldown);
    }
    Ok(())
}

/// Gates on the model and the book for one candidate BUY.
#[inline]
pub fn check_trade(cfg: &GateConfig, t: &TradeInputs) -> Result<(), SkipReason> {
    if !t.has_fair_value {
        return Err(SkipReason::NoFairValue);
    }
    if t.best_ask_e4 == 0 {
        return Err(SkipReason::NoBook);
    }
    if t.move_bps.is_nan() || t.move_bps < cfg.min_move_bps {
        return Err(SkipReason::SmallMove);
    }
    let spread_e4 = t.best_ask_e4.saturating_sub(t.best_bid_e4);
    // A 1e-9 allowance so a spread of exactly `max_spread` passes despite binary fractions.
    if spread_e4 as f64 * 1e-4 > cfg.max_spread + 1e-9 {
        return Err(SkipReason::SpreadTooWide);
    }
    let p = t.p_outcome;
    if p.is_nan() || p > cfg.max_prob || p < 1.0 - cfg.max_prob {
        return Err(SkipReason::ExtremeProbability);
    }
    if t.depth_at_limit_e6 < t.min_size_e6 || t.depth_at_limit_e6 == 0 {
        return Err(SkipReason::ThinDepth);
    }
    if t.edge_per_share.is_nan() || t.edge_per_share < cfg.min_edge {
        return Err(SkipReason::EdgeBelowThreshold);
    }
    if t.size_e6 == 0 && t.room_bound {
        // Out of room or cash: a risk matter, whatever the size would have been.
        return Err(SkipReason::RiskLimit);
    }
    if t.size_e6 == 0 || t.size_e6 < t.min_size_e6 {
        return Err(SkipReason::BelowMinSize);
    }
    if !t.risk_ok {
        return Err(SkipReason::RiskLimit);
    }
    Ok(())
}

/// All gates, context first; `Ok(())` means trade.
#[inline]
pub fn check_gates(cfg: &GateConfig, inputs: &GateInputs) -> Result<(), SkipReason> {
    check_context(cfg, &inputs.ctx)?;
    check_trade(cfg, &inputs.trade)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discriminants_match_positions_in_all() {
        for (i, r) in SkipReason::ALL.iter().enumerate() {
            assert_eq!(*r as u8 as usize, i);
            assert_eq!(SkipReason::from_u8(i as u8), Some(*r));
        }
        assert_eq!(SkipReason::from_u8(SkipReason::ALL.len() as u8), None);
    }
}
