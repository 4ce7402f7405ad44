//! Binance − Chainlink basis per asset, as a time-decayed EMA.
//!
//! The windows settle on Chainlink, but Binance ticks first and far more often. The fair value
//! uses the Binance price corrected by the recent average gap between the two feeds:
//! `corrected_spot = binance − basis`. Each Chainlink price is paired with the latest Binance
//! price (if that one is recent enough) and the difference enters the EMA with weight
//! `1 − 2^(−Δt / half_life)`, Δt being the time since the previous pair, so irregular Chainlink
//! update rates do not change the effective memory.
//!
//! Contract: every method is O(1), allocation-free and panic-free; non-finite or non-positive
//! prices are ignored. Until the first pair the basis is 0 and [`BasisEma::has_basis`] is
//! false (the caller then says it is running on uncorrected Binance).
//! Timestamps: pass the same clock (ns) for both feeds, e.g. local receive time.

use serde::Deserialize;

/// Configuration of a [`BasisEma`].
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BasisConfig {
    /// EMA half-life in seconds (default 120). The basis drifts slowly; shorter lets Chainlink's
    /// per-update noise into the fair value.
    pub half_life_s: f64,
    /// A Chainlink price is paired only with a Binance price at most this far away in time
    /// (ms, default 2000); otherwise it updates the Chainlink state but not the basis.
    pub max_pair_skew_ms: u64,
}

impl Default for BasisConfig {
    fn default() -> Self {
        BasisConfig {
            half_life_s: 120.0,
            max_pair_skew_ms: 2_000,
        }
    }
}

/// Basis tracker for one asset. Plain `Copy` state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BasisEma {
    half_life_s: f64,
    max_skew_ns: u64,
    basis: f64,
    pairs: u32,
    last_pair_ns: u64,
    binance: f64,
    binance_ns: u64,
    chainlink: f64,
    chainlink_ns: u64,
    has_binance: bool,
    has_chainlink: bool,
}

#[inline]
fn valid(p: f64) -> bool {
    p.is_finite() && p > 0.0
}

impl BasisEma {
    pub fn new(cfg: &BasisConfig) -> Self {
        BasisEma {
            half_life_s: if cfg.half_life_s > 0.0 {
                cfg.half_life_s
            } else {
                f64::INFINITY
            },
            max_skew_ns: cfg.max_pair_skew_ms.saturating_mul(1_000_000),
            basis: 0.0,
            pairs: 0,
            last_pair_ns: 0,
            binance: 0.0,
            binance_ns: 0,
            chainlink: 0.0,
            chainlink_ns: 0,
            has_binance: false,
            has_chainlink: false,
        }
    }

    /// Records the latest Binance price.
    #[inline]
    pub fn on_binance(&mut self, price: f64, ts_ns: u64) {
        if valid(price) {
            self.binance = price;
            self.binance_ns = ts_ns;
            self.has_binance = true;
        }
    }

    /// Records a Chainlink price and, if a recent Binance price exists, folds the pair into
    /// the basis. Returns `true` when the basis was updated.
    #[inline]
    pub fn on_chainlink(&mut self, price: f64, ts_ns: u64) -> bool {
        if !valid(price) {
            return false;
        }
        self.chainlink = price;
        self.chainlink_ns = ts_ns;
        self.has_chainlink = true;
        if !self.has_binance || self.binance_ns.abs_diff(ts_ns) > self.max_skew_ns {
            return false;
        }
        self.observe(self.binance, price, ts_ns)
    }

    /// Folds one simultaneous (Binance, Chainlink) pair into the basis directly.
    #[inline]
    pub fn observe(&mut self, binance: f64, chainlink: f64, ts_ns: u64) -> bool {
        if !valid(binance) || !valid(chainlink) {
            return false;
        }
        let diff = binance - chainlink;
        if self.pairs == 0 {
            self.basis = diff;
        } else {
            // Out-of-order pairs get zero weight rather than a negative one.
            let dt_s = ts_ns.saturating_sub(self.last_pair_ns) as f64 * 1e-9;
            let alpha = 1.0 - (-dt_s / self.half_life_s).exp2();
            self.basis += alpha * (diff - self.basis);
        }
        self.pairs = self.pairs.saturating_add(1);
        self.last_pair_ns = self.last_pair_ns.max(ts_ns);
        true
    }

    /// Current basis (Binance − Chainlink, price units); 0 before the first pair.
    #[inline]
    pub fn basis(&self) -> f64 {
        self.basis
    }

    /// Binance price corrected to the Chainlink scale: `binance − basis`.
    #[inline]
    pub fn corrected_spot(&self, binance: f64) -> f64 {
        binance - self.basis
    }

    /// Whether any Chainlink price has been seen.
    #[inline]
    pub fn has_chainlink(&self) -> bool {
        self.has_chainlink
    }

    /// Whether the basis holds at least one (Binance, Chainlink) pair.
    #[inline]
    pub fn has_basis(&self) -> bool {
        self.pairs > 0
    }

    /// The latest Chainlink price and its timestamp, if any.
    #[inline]
    pub fn last_chainlink(&self) -> Option<(f64, u64)> {
        self.has_chainlink
            .then_some((self.chainlink, self.chainlink_ns))
    }
}
