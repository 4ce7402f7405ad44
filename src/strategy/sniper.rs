//! `sniper`, the original system's late-window strategy: after a set point of the window, buy
//! the market's favourite while it is priced within a band, if its expected value after fees
//! is positive under the model.

use serde::Deserialize;

use crate::config::bad_field::BadField;
use crate::strategy::candidate::{price_side, Candidate, MarketView, Strategy, StrategyKind};
use crate::strategy::gates::{check_trade, GateConfig, SkipReason};
use crate::strategy::sizing::SizingConfig;

/// `[strategy.sniper]`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SniperConfig {
    /// Earliest point of the window, as a fraction of its length (default 0.8: the last
    /// three minutes of fifteen).
    pub min_frac_into_window: f64,
    /// The favourite's best ask must lie in [min_price, max_price] (defaults 0.80, 0.95).
    pub min_price: f64,
    pub max_price: f64,
    /// Minimum expected value per share after fees, USDC (default 0.005).
    pub min_ev: f64,
}

impl Default for SniperConfig {
    fn default() -> Self {
        SniperConfig {
            min_frac_into_window: 0.8,
            min_price: 0.80,
            max_price: 0.95,
            min_ev: 0.005,
        }
    }
}

impl SniperConfig {
    pub fn validate(&self) -> Result<(), BadField> {
        if !(0.0..=1.0).contains(&self.min_frac_into_window) {
            return Err(BadField::new(
                "min_frac_into_window",
                self.min_frac_into_window,
                "a fraction in [0, 1]",
            ));
        }
        if !(0.0 < self.min_price && self.min_price <= self.max_price && self.max_price < 1.0) {
            return Err(BadField::new(
                "min_price/max_price",
                format!("{}/{}", self.min_price, self.max_price),
                "0 < min_price ≤ max_price < 1",
            ));
        }
        if !self.min_ev.is_finite() {
            return Err(BadField::new("min_ev", self.min_ev, "a finite number"));
        }
        Ok(())
    }
}

pub struct Sniper {
    pub cfg: SniperConfig,
    /// The main gates with the sniper's own edge threshold, and no cap on the probability
    /// (favourites are extreme by design).
    pub gates: GateConfig,
    pub sizing: SizingConfig,
    pub slippage_ticks: u32,
}

impl Sniper {
    pub fn new(
        cfg: SniperConfig,
        gates: &GateConfig,
        sizing: SizingConfig,
        slippage_ticks: u32,
    ) -> Self {
        let mut gates = *gates;
        gates.min_edge = cfg.min_ev;
        gates.max_prob = 1.0;
        Sniper {
            cfg,
            gates,
            sizing,
            slippage_ticks,
        }
    }
}

impl Strategy for Sniper {
    fn kind(&self) -> StrategyKind {
        StrategyKind::Sniper
    }

    #[inline]
    fn pick(
        &self,
        view: &MarketView<'_>,
        seen: &mut Option<Candidate>,
    ) -> Result<Candidate, SkipReason> {
        if view.secs_into_window < self.cfg.min_frac_into_window * view.window_len_s {
            return Err(SkipReason::TooEarly);
        }
        // The market's favourite: the side with the higher best ask.
        let fav = view
            .sides()
            .filter(|s| s.book.best_ask().is_some())
            .max_by_key(|s| s.book.best_ask().map_or(0, |l| l.price_e4))
            .ok_or(SkipReason::NoBook)?;
        let ask = fav.book.best_ask().map_or(0.0, |l| l.price_e4 as f64 / 1e4);
        if ask < self.cfg.min_price || ask > self.cfg.max_price {
            return Err(SkipReason::PriceOutOfRange);
        }
        let c =
            price_side(view, &fav, self.slippage_ticks, &self.sizing).ok_or(SkipReason::NoBook)?;
        seen.get_or_insert(c);
        check_trade(&self.gates, &c.inputs).map(|()| c)
    }
}
