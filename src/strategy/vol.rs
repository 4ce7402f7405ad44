//! Online volatility per asset: σ per √second from an EWMA of squared log returns sampled over a
//! horizon of 30 s or more.
//!
//! Why a horizon: at 1-second sampling, Binance returns are not independent. On real BTC data
//! consecutive 1-second returns are autocorrelated by about +0.16, and 1-second variance scaled
//! up to 15 minutes understates the realised 15-minute volatility by about 22%. The fair value
//! needs the volatility over the minutes left in a window, so the estimator takes one return per
//! horizon (`r = ln(P_now / P_last_sample)`, variance per second `r² / Δt`) and ignores the ticks
//! in between, which also makes it blind to bid/ask bounce.
//!
//! Contract: [`VolEstimator::update`] is O(1), allocation-free, never panics, and ignores bad
//! input (non-finite or non-positive prices, time going backwards). The estimate is always
//! within `[floor, cap]` and finite.
//!
//! Limitations: a single EWMA reacts to a volatility burst within about one half-life; the
//! estimate is of total variance (drift included), which over 30 s is negligible.

use serde::Deserialize;

use crate::config::bad_field::BadField;

/// Seconds in a year for annualising a 24/7 market: 365 days.
pub const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// Annualised volatility (e.g. 0.5 = 50%) to σ per √second.
#[inline]
pub fn annualised_to_per_sqrt_s(sigma_annual: f64) -> f64 {
    sigma_annual / SECONDS_PER_YEAR.sqrt()
}

/// σ per √second to annualised volatility.
#[inline]
pub fn per_sqrt_s_to_annualised(sigma_per_sqrt_s: f64) -> f64 {
    sigma_per_sqrt_s * SECONDS_PER_YEAR.sqrt()
}

/// Configuration of a [`VolEstimator`]; volatilities are annualised (365-day year).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VolConfig {
    /// Seconds between samples (default 30). Below 30 s the autocorrelation of short returns
    /// biases σ low; raise it for slower feeds.
    pub horizon_s: f64,
    /// Half-life of the EWMA in seconds of elapsed time (default 600: about 40 samples at 30 s).
    pub half_life_s: f64,
    /// σ used (and the EWMA's seed) until `min_samples` samples are in (default 0.5, 50%/yr).
    pub prior_annual: f64,
    /// Lowest σ reported (default 0.10).
    pub floor_annual: f64,
    /// Highest σ reported (default 5.0).
    pub cap_annual: f64,
    /// Samples before the estimate replaces the prior (default 4, two minutes at 30 s).
    pub min_samples: u32,
    /// A gap between ticks longer than this (seconds, default 300) restarts sampling from the
    /// next tick instead of taking one sample across the gap: a feed outage says nothing
    /// reliable about the path, and one return over an hour would swamp the average.
    pub max_gap_s: f64,
}

impl Default for VolConfig {
    fn default() -> Self {
        VolConfig {
            horizon_s: 30.0,
            half_life_s: 600.0,
            prior_annual: 0.5,
            floor_annual: 0.10,
            cap_annual: 5.0,
            min_samples: 4,
            max_gap_s: 300.0,
        }
    }
}

/// A configuration value that cannot work, named by its field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VolConfigError {
    /// The named field is not a finite positive number, or floor ≤ prior ≤ cap does not hold
    /// (fatal at start: fix the config).
    #[error("vol config: {0}")]
    Bad(BadField),
}

impl VolConfig {
    /// Checks every field; the first bad one is named.
    pub fn validate(&self) -> Result<(), VolConfigError> {
        let pos = |x: f64| x.is_finite() && x > 0.0;
        if !pos(self.horizon_s) {
            return Err(VolConfigError::Bad(BadField::new(
                "horizon_s",
                self.horizon_s,
                "a finite number of seconds > 0",
            )));
        }
        if !pos(self.half_life_s) {
            return Err(VolConfigError::Bad(BadField::new(
                "half_life_s",
                self.half_life_s,
                "a finite number of seconds > 0",
            )));
        }
        if !pos(self.floor_annual) {
            return Err(VolConfigError::Bad(BadField::new(
                "floor_annual",
                self.floor_annual,
                "a finite number > 0",
            )));
        }
        if !pos(self.cap_annual) || self.cap_annual < self.floor_annual {
            return Err(VolConfigError::Bad(BadField::new(
                "cap_annual",
                self.cap_annual,
                "a finite number ≥ floor_annual",
            )));
        }
        if !pos(self.prior_annual)
            || self.prior_annual < self.floor_annual
            || self.prior_annual > self.cap_annual
        {
            return Err(VolConfigError::Bad(BadField::new(
                "prior_annual",
                self.prior_annual,
                "in [floor_annual, cap_annual]",
            )));
        }
        if self.max_gap_s.is_nan() || self.max_gap_s < self.horizon_s {
            return Err(VolConfigError::Bad(BadField::new(
                "max_gap_s",
                self.max_gap_s,
                "a finite number of seconds > 0",
            )));
        }
        Ok(())
    }
}

/// Online σ-per-√second estimator for one asset. Plain `Copy` state, about 80 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolEstimator {
    horizon_ns: u64,
    max_gap_ns: u64,
    half_life_s: f64,
    prior: f64,
    floor: f64,
    cap: f64,
    min_samples: u32,
    /// EWMA of variance per second (seeded with prior²).
    var_per_s: f64,
    samples: u32,
    /// Whether any valid tick has been seen (the anchor is set).
    started: bool,
    /// Price and time of the last sample (the start of the current horizon).
    anchor_ln_price: f64,
    anchor_ns: u64,
    last_ns: u64,
}

impl VolEstimator {
    /// Builds from a config; call [`VolConfig::validate`] first. Out-of-range values are
    /// sanitised (not rejected) so this never panics: ordering of floor/prior/cap is forced.
    pub fn new(cfg: &VolConfig) -> Self {
        let to_ns = |s: f64| {
            if s.is_finite() && s > 0.0 {
                (s * 1e9) as u64
            } else {
                1
            }
        };
        let floor = annualised_to_per_sqrt_s(cfg.floor_annual.max(0.0));
        let cap = annualised_to_per_sqrt_s(cfg.cap_annual).max(floor);
        let prior = annualised_to_per_sqrt_s(cfg.prior_annual).clamp(floor, cap);
        let horizon_ns = to_ns(cfg.horizon_s);
        VolEstimator {
            horizon_ns,
            max_gap_ns: to_ns(cfg.max_gap_s).max(horizon_ns),
            half_life_s: if cfg.half_life_s > 0.0 {
                cfg.half_life_s
            } else {
                f64::INFINITY
            },
            prior,
            floor,
            cap,
            min_samples: cfg.min_samples,
            var_per_s: prior * prior,
            samples: 0,
            started: false,
            anchor_ln_price: 0.0,
            anchor_ns: 0,
            last_ns: 0,
        }
    }

    /// Feeds one price observed at `ts_ns` (any monotonic or wall clock in ns, the same for
    /// every call). Returns `true` when this tick closed a horizon and a sample was taken.
    #[inline]
    pub fn update(&mut self, price: f64, ts_ns: u64) -> bool {
        if !(price.is_finite() && price > 0.0) || ts_ns < self.last_ns {
            return false;
        }
        let gap_ns = ts_ns - self.last_ns;
        let first = !self.started;
        self.started = true;
        self.last_ns = ts_ns;
        if first || gap_ns > self.max_gap_ns {
            self.anchor_ln_price = price.ln();
            self.anchor_ns = ts_ns;
            return false;
        }
        let dt_ns = ts_ns - self.anchor_ns;
        if dt_ns < self.horizon_ns {
            return false;
        }
        let ln_p = price.ln();
        let r = ln_p - self.anchor_ln_price;
        let dt_s = dt_ns as f64 * 1e-9;
        let sample = r * r / dt_s;
        // Time-based weight: a sample covering dt seconds moves the average as much as dt
        // seconds of decay, so the half-life is in seconds whatever the tick spacing.
        let alpha = 1.0 - (-dt_s / self.half_life_s).exp2();
        self.var_per_s += alpha * (sample - self.var_per_s);
        self.samples = self.samples.saturating_add(1);
        self.anchor_ln_price = ln_p;
        self.anchor_ns = ts_ns;
        true
    }

    /// σ per √second: the prior until `min_samples` samples are in, then the EWMA, always
    /// within `[floor, cap]`.
    #[inline]
    pub fn sigma_per_sqrt_s(&self) -> f64 {
        if !self.is_warm() {
            return self.prior;
        }
        let s = self.var_per_s.sqrt();
        if s.is_nan() {
            return self.prior;
        }
        s.clamp(self.floor, self.cap)
    }

    /// True once `min_samples` samples have been taken.
    #[inline]
    pub fn is_warm(&self) -> bool {
        self.samples >= self.min_samples
    }

    /// Samples taken so far.
    #[inline]
    pub fn samples(&self) -> u32 {
        self.samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annualisation_round_trips() {
        let s = annualised_to_per_sqrt_s(0.5);
        assert!((per_sqrt_s_to_annualised(s) - 0.5).abs() < 1e-15);
        // python3: 0.5/math.sqrt(365*86400) = 8.903621732722671e-05
        assert!((s - 8.903621732722671e-05).abs() < 1e-18);
    }

    #[test]
    fn ticks_inside_the_horizon_take_no_sample() {
        let mut v = VolEstimator::new(&VolConfig::default());
        assert!(!v.update(100.0, 1));
        for i in 1..30 {
            assert!(!v.update(100.0 + i as f64, 1 + i * 1_000_000_000));
        }
        assert!(v.update(100.0, 1 + 30_000_000_000));
        assert_eq!(v.samples(), 1);
    }

    #[test]
    fn default_config_is_valid() {
        VolConfig::default().validate().unwrap();
        let bad = VolConfig {
            floor_annual: 1.0,
            prior_annual: 0.5,
            ..VolConfig::default()
        };
        let Err(VolConfigError::Bad(f)) = bad.validate() else {
            panic!("prior outside [floor, cap] accepted");
        };
        assert_eq!(f.field, "prior_annual");
        assert_eq!(
            f.to_string(),
            "prior_annual = 0.5: expected in [floor_annual, cap_annual]"
        );
    }
}
