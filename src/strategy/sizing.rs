//! Order size for a BUY: fixed notional or fractional Kelly, capped, rounded to the venue.
//!
//! 1. Notional (USDC): `notional_usdc` (fixed) or `kelly_fraction × f* × bankroll` with
//!    `f* = (p − a)/(1 − a)`, the Kelly fraction for a binary paying 1 bought at `a`, where `a`
//!    is the *effective* price (USDC per token received after the fee taken in tokens).
//! 2. Capped by `max_notional_usdc` and by the caller's remaining risk room.
//! 3. Converted to shares at the limit price (the worst we accept, so the cost never exceeds
//!    the notional), with integer arithmetic at the last step (DESIGN §5).
//! 4. Capped by `max_depth_fraction` of the visible depth at or under the limit price.
//! 5. Rounded DOWN to the venue's size precision, 0.01 share ([`SIZE_LOT_E6`]).
//! 6. 0 when under the market's minimum size, or when it would spend under the venue's $1
//!    minimum for a marketable BUY (every order Cassandra sends is FAK or FOK; the venue
//!    refuses a smaller one, so the engine skips it instead of spending its cooldown on it).
//!
//! Contract: pure, no allocation, no panics; any NaN/negative input yields 0 (no order).

use serde::Deserialize;

use crate::clob::amounts::MIN_MARKETABLE_BUY_U6;
use crate::config::bad_field::BadField;

/// Venue size precision: sizes are rounded down to 2 decimals of a share (1e-6 units).
pub const SIZE_LOT_E6: u64 = 10_000;

/// How the notional of an order is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizingMode {
    /// A fixed USDC notional per trade (default).
    #[default]
    Fixed,
    /// Fractional Kelly on the bankroll.
    Kelly,
}

/// Sizing configuration.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SizingConfig {
    /// `fixed` (default) or `kelly`.
    pub mode: SizingMode,
    /// USDC per trade in `fixed` mode (default 5).
    pub notional_usdc: f64,
    /// Fraction of full Kelly in `kelly` mode (default 0.25; full Kelly is far too aggressive
    /// for a model whose edge is small and uncertain).
    pub kelly_fraction: f64,
    /// Hard cap on one order's notional, USDC (default 25).
    pub max_notional_usdc: f64,
    /// Largest fraction of the visible depth within the limit price to take (default 0.5).
    pub max_depth_fraction: f64,
}

impl Default for SizingConfig {
    fn default() -> Self {
        SizingConfig {
            mode: SizingMode::Fixed,
            notional_usdc: 5.0,
            kelly_fraction: 0.25,
            max_notional_usdc: 25.0,
            max_depth_fraction: 0.5,
        }
    }
}

/// A configuration value that cannot work, named by its field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SizingConfigError {
    /// Fatal at start: fix the config.
    #[error("sizing config: {0}")]
    Bad(BadField),
}

impl SizingConfig {
    /// Checks every field; the first bad one is named.
    pub fn validate(&self) -> Result<(), SizingConfigError> {
        let nonneg = |x: f64| x.is_finite() && x >= 0.0;
        if !nonneg(self.notional_usdc) {
            return Err(SizingConfigError::Bad(BadField::new(
                "notional_usdc",
                self.notional_usdc,
                "a finite number ≥ 0",
            )));
        }
        if !(nonneg(self.kelly_fraction) && self.kelly_fraction <= 1.0) {
            return Err(SizingConfigError::Bad(BadField::new(
                "kelly_fraction",
                self.kelly_fraction,
                "a fraction in [0, 1]",
            )));
        }
        if !nonneg(self.max_notional_usdc) {
            return Err(SizingConfigError::Bad(BadField::new(
                "max_notional_usdc",
                self.max_notional_usdc,
                "a finite number ≥ 0",
            )));
        }
        if !(nonneg(self.max_depth_fraction) && self.max_depth_fraction <= 1.0) {
            return Err(SizingConfigError::Bad(BadField::new(
                "max_depth_fraction",
                self.max_depth_fraction,
                "a fraction in [0, 1]",
            )));
        }
        Ok(())
    }
}

/// What the sizer needs from the decision at hand.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SizingInputs {
    /// Model probability of the outcome bought.
    pub p_outcome: f64,
    /// USDC per token received after fees ([`BuyEdge::effective_price`](super::edge::BuyEdge::effective_price)).
    pub effective_price: f64,
    /// Worst price accepted, 1e-4 units.
    pub limit_price_e4: u32,
    /// Visible ask size at or under the limit, 1e-6 shares.
    pub depth_at_limit_e6: u64,
    /// Bankroll for Kelly, USDC.
    pub bankroll_usdc: f64,
    /// Notional the risk limits still allow, USDC (`f64::INFINITY` when unlimited).
    pub risk_room_usdc: f64,
    /// The market's minimum order size, 1e-6 shares.
    pub min_size_e6: u64,
}

/// Full-Kelly fraction of bankroll for a binary paying 1 bought at `price`:
/// `(p − price)/(1 − price)`, 0 when there is no edge or an input is bad.
#[inline]
pub fn kelly_fraction(p: f64, price: f64) -> f64 {
    if !(price > 0.0 && price < 1.0 && (0.0..=1.0).contains(&p)) {
        return 0.0;
    }
    ((p - price) / (1.0 - price)).max(0.0)
}

/// Rounds a size down to the venue's lot ([`SIZE_LOT_E6`]).
#[inline]
pub fn round_down_to_lot(size_e6: u64) -> u64 {
    size_e6 - size_e6 % SIZE_LOT_E6
}

/// Shares to buy (1e-6 units, a multiple of [`SIZE_LOT_E6`]), or 0 for no order.
#[inline]
pub fn size_order_e6(cfg: &SizingConfig, inp: &SizingInputs) -> u64 {
    let notional = match cfg.mode {
        SizingMode::Fixed => cfg.notional_usdc,
        SizingMode::Kelly => {
            cfg.kelly_fraction
                * kelly_fraction(inp.p_outcome, inp.effective_price)
                * inp.bankroll_usdc
        }
    };
    // Checked before `min`, which would silently drop a NaN (NaN.min(25) is 25).
    if notional.is_nan()
        || notional <= 0.0
        || cfg.max_notional_usdc.is_nan()
        || inp.risk_room_usdc.is_nan()
        || inp.limit_price_e4 == 0
    {
        return 0;
    }
    let notional = notional.min(cfg.max_notional_usdc).min(inp.risk_room_usdc);
    if notional.is_nan() || notional <= 0.0 {
        return 0;
    }
    // A relative 1e-12 forgives float noise (0.25 × 0.2 × 1000 = 49.999…) before flooring to
    // whole 1e-6 USDC; `as` saturates, so no overflow and no panic.
    let notional_e6 = (notional * 1e6 * (1.0 + 1e-12)).floor() as u64;
    let by_notional = notional_e6 as u128 * 10_000 / inp.limit_price_e4 as u128;
    let frac_ppm = if cfg.max_depth_fraction.is_finite() {
        (cfg.max_depth_fraction.clamp(0.0, 1.0) * 1e6).round() as u128
    } else {
        0
    };
    let by_depth = inp.depth_at_limit_e6 as u128 * frac_ppm / 1_000_000;
    let size = round_down_to_lot(by_notional.min(by_depth) as u64);
    if size < inp.min_size_e6.max(SIZE_LOT_E6)
        || marketable_buy_cost_u6(size, inp.limit_price_e4) < MIN_MARKETABLE_BUY_U6
    {
        0
    } else {
        size
    }
}

/// pUSD a marketable BUY of `size_e6` shares at `limit_price_e4` spends, as the venue counts it:
/// `shares × price` rounded up to the cent (the maker amount of
/// [`marketable_order_amounts`](crate::clob::amounts::marketable_order_amounts)).
#[inline]
pub fn marketable_buy_cost_u6(size_e6: u64, limit_price_e4: u32) -> u64 {
    const CENT_U6: u128 = 10_000;
    // shares (1e-6) × price (1e-4) = 1e-10 pUSD; ÷ 1e4 → 1e-6, then up to the cent.
    let cost_e10 = u128::from(size_e6) * u128::from(limit_price_e4);
    let cost_u6 = cost_e10.div_ceil(10_000 * CENT_U6) * CENT_U6;
    u64::try_from(cost_u6).unwrap_or(u64::MAX)
}
