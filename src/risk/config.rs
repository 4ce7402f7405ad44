//! Risk limits and breaker thresholds (`[risk]` in the configuration).
//!
//! Typed, defaulted and checked once at start: unknown keys are errors and [`RiskConfig::validate`]
//! names every bad field. Nothing here runs on the hot path.

use serde::Deserialize;

use super::rate::RATE_RING;
use crate::config::bad_field::BadField;

/// Every limit and breaker of the [`super::RiskBook`]. All amounts are USDC.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskConfig {
    /// Largest notional of one order (limit price × size), USDC (default 25).
    pub max_order_notional_usdc: f64,
    /// Most USDC at risk in one window of one asset: open positions at cost plus orders in
    /// flight at their notional (default 50).
    pub max_window_exposure_usdc: f64,
    /// Most USDC at risk per asset, all its windows together (default 100).
    pub max_asset_exposure_usdc: f64,
    /// Most USDC at risk in total (default 200).
    pub max_total_exposure_usdc: f64,
    /// Most positions open at once, an order in flight on a new token counting as one
    /// (default 3).
    pub max_open_positions: u32,
    /// Most orders accepted in any 60-second span (default 10, at most 256).
    pub max_orders_per_minute: u32,
    /// Realized loss in one UTC day that halts trading until the next day or a manual reset,
    /// USDC (default 100).
    pub daily_loss_limit_usdc: f64,
    /// Losing windows in a row that trip the consecutive-loss breaker (default 5).
    pub max_consecutive_losses: u32,
    /// How long the consecutive-loss breaker halts before re-arming by itself, ms
    /// (default 1 800 000: 30 minutes).
    pub loss_streak_cooldown_ms: u64,
    /// Drop of equity (start cash + realized PnL) from its peak, as a fraction, that halts
    /// trading until the next UTC day or a manual reset (default 0.20).
    pub max_drawdown_frac: f64,
    /// Venue rejects within `venue_error_window_ms` that trip the venue-error breaker
    /// (default 5, at most 256).
    pub venue_error_max: u32,
    /// Span over which venue rejects are counted, ms (default 60 000).
    pub venue_error_window_ms: u64,
    /// How long the venue-error breaker halts before re-arming by itself, ms (default 300 000).
    pub venue_error_cooldown_ms: u64,
    /// Binance silent longer than this trips the stale-feed breaker, ms (default 15 000;
    /// 0 disables). It re-arms as soon as every feed is fresh again.
    pub max_binance_silence_ms: u64,
    /// Polymarket market channel silent longer than this, ms (default 60 000; 0 disables).
    pub max_polymarket_silence_ms: u64,
    /// Chainlink price stream silent longer than this, ms (default 60 000; 0 disables).
    pub max_chainlink_silence_ms: u64,
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            max_order_notional_usdc: 25.0,
            max_window_exposure_usdc: 50.0,
            max_asset_exposure_usdc: 100.0,
            max_total_exposure_usdc: 200.0,
            max_open_positions: 3,
            max_orders_per_minute: 10,
            daily_loss_limit_usdc: 100.0,
            max_consecutive_losses: 5,
            loss_streak_cooldown_ms: 1_800_000,
            max_drawdown_frac: 0.20,
            venue_error_max: 5,
            venue_error_window_ms: 60_000,
            venue_error_cooldown_ms: 300_000,
            max_binance_silence_ms: 15_000,
            max_polymarket_silence_ms: 60_000,
            max_chainlink_silence_ms: 60_000,
        }
    }
}

/// Every bad field of a [`RiskConfig`]. Fatal at start: fix the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("risk config: {}", crate::config::bad_field::join(fields))]
pub struct RiskConfigError {
    pub fields: Vec<BadField>,
}

impl RiskConfig {
    /// Checks every field and names all the bad ones.
    pub fn validate(&self) -> Result<(), RiskConfigError> {
        let mut bad = Vec::new();
        let pos = |x: f64| x.is_finite() && x > 0.0;
        let ring = |n: u32| n >= 1 && n as usize <= RATE_RING;
        const POSITIVE: &str = "a finite number > 0";
        const RING: &str = "an integer in [1, 1024]";
        for (field, v) in [
            ("max_order_notional_usdc", self.max_order_notional_usdc),
            ("max_window_exposure_usdc", self.max_window_exposure_usdc),
            ("max_asset_exposure_usdc", self.max_asset_exposure_usdc),
            ("max_total_exposure_usdc", self.max_total_exposure_usdc),
        ] {
            if !pos(v) {
                bad.push(BadField::new(field, v, POSITIVE));
            }
        }
        if self.max_open_positions == 0 {
            bad.push(BadField::new("max_open_positions", 0, "at least 1"));
        }
        if !ring(self.max_orders_per_minute) {
            bad.push(BadField::new(
                "max_orders_per_minute",
                self.max_orders_per_minute,
                RING,
            ));
        }
        if !pos(self.daily_loss_limit_usdc) {
            bad.push(BadField::new(
                "daily_loss_limit_usdc",
                self.daily_loss_limit_usdc,
                POSITIVE,
            ));
        }
        if self.max_consecutive_losses == 0 {
            bad.push(BadField::new("max_consecutive_losses", 0, "at least 1"));
        }
        if !(self.max_drawdown_frac.is_finite()
            && self.max_drawdown_frac > 0.0
            && self.max_drawdown_frac <= 1.0)
        {
            bad.push(BadField::new(
                "max_drawdown_frac",
                self.max_drawdown_frac,
                "a fraction in (0, 1]",
            ));
        }
        if !ring(self.venue_error_max) {
            bad.push(BadField::new("venue_error_max", self.venue_error_max, RING));
        }
        if self.venue_error_window_ms == 0 {
            bad.push(BadField::new("venue_error_window_ms", 0, "at least 1 ms"));
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(RiskConfigError { fields: bad })
        }
    }

    /// Silence limit of each feed in `pipeline::shared::FEED_NAMES` order; 0 = not checked.
    #[inline]
    pub fn feed_silence_limits_ms(&self) -> [u64; 3] {
        [
            self.max_binance_silence_ms,
            self.max_polymarket_silence_ms,
            self.max_chainlink_silence_ms,
        ]
    }
}
