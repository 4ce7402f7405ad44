//! Market anchoring: price the Binance move the book has not priced yet, not a disagreement with
//! the market about the level.
//!
//! The absolute model says `P(UP) = Φ(z(S))` from spot, strike, σ and τ alone; where it disagrees
//! with the book about the level it trades that disagreement, and on real data the market is the
//! better forecaster of the level (issue 14). The anchored model instead takes the book's own
//! probability as it stood before the move and adds only what the move changed:
//!
//! ```text
//! anchor  (set whenever the market's mid changes):  m₀ = mid(UP),  z₀ = Φ⁻¹(P_model(S₀))
//! now     (spot S₁, same window):                   P = Φ( Φ⁻¹(m₀) + Φ⁻¹(P_model(S₁)) − z₀ )
//! ```
//!
//! When the book reprices, the anchor moves with it and the innovation is zero again, so a
//! strategy trading `P − ask − fee` trades only the move the book has not caught up with, net of
//! the spread and fees. The model's σ prices the move (an implied-probability anchor: the market's
//! level, the model's sensitivity), and `P_model` may be any settlement rule's price
//! ([`crate::strategy::fair_value::prob_up_settled`]).
//!
//! Contract: pure, `Copy`, no allocation, no panics; NaN in gives `None` out.

use serde::Deserialize;

use crate::pipeline::events::BookTop;
use crate::strategy::fair_value::normal_cdf;

/// Which fair value the strategies trade on (`[strategy] model`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FairModel {
    /// The market's mid before the move plus the move priced by the model (default).
    #[default]
    Anchored,
    /// The model's own level from spot, strike, σ and τ (kept for comparison).
    Absolute,
}

impl FairModel {
    pub fn name(self) -> &'static str {
        match self {
            FairModel::Anchored => "anchored",
            FairModel::Absolute => "absolute",
        }
    }
}

/// Probabilities are clamped to this distance from 0 and 1 before Φ⁻¹: a one-sided book or a
/// certain model must not give an infinite z (1e-4 is one tick below the venue's range).
pub const P_CLAMP: f64 = 1e-4;

/// The book's probability of UP: the UP token's mid when it has both sides, else one minus the
/// DOWN token's mid. `None` when neither book has both a bid and an ask.
#[inline]
pub fn market_mid_up(up: Option<&BookTop>, down: Option<&BookTop>) -> Option<f64> {
    let mid = |b: &BookTop| match (b.best_bid(), b.best_ask()) {
        (Some(bid), Some(ask)) if ask.price_e4 >= bid.price_e4 => {
            Some((bid.price_e4 + ask.price_e4) as f64 * 0.5e-4)
        }
        _ => None,
    };
    up.and_then(mid)
        .or_else(|| down.and_then(mid).map(|m| 1.0 - m))
}

/// Inverse of the standard normal CDF (Acklam's rational approximation, 1.15e-9 relative, then
/// one Halley step against [`normal_cdf`], which brings it to about 1e-15). `p` outside (0, 1)
/// gives ±∞, NaN gives NaN.
#[inline]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // Halley refinement.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// The book as it stood before the move: its mid and the model's z at that moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    /// Market's probability of UP; NaN: no anchor yet.
    pub mid_up: f64,
    /// Φ⁻¹ of the model's P(UP) when the mid was last seen to change.
    pub z_model: f64,
    /// Φ⁻¹ of the mid (kept so a decision computes one quantile, not two).
    z_mid: f64,
}

impl Default for Anchor {
    fn default() -> Self {
        Anchor {
            mid_up: f64::NAN,
            z_model: f64::NAN,
            z_mid: f64::NAN,
        }
    }
}

#[inline]
fn probit(p: f64) -> f64 {
    normal_quantile(p.clamp(P_CLAMP, 1.0 - P_CLAMP))
}

impl Anchor {
    /// Follow the book: when its mid differs from the anchor's (or there is no anchor), the book
    /// has priced everything up to now, so the anchor moves to `(mid, P_model now)`. A book
    /// update that leaves the mid where it was keeps the old anchor: the move since then is
    /// still unpriced. Returns whether it re-anchored.
    #[inline]
    pub fn observe(&mut self, mid_up: Option<f64>, p_model_up: Option<f64>) -> bool {
        let (Some(m), Some(p)) = (mid_up, p_model_up) else {
            return false;
        };
        if m.is_nan() || p.is_nan() {
            return false;
        }
        if self.mid_up.is_nan() || (m - self.mid_up).abs() > 1e-9 || self.z_model.is_nan() {
            self.mid_up = m;
            self.z_mid = probit(m);
            self.z_model = probit(p);
            return true;
        }
        false
    }

    /// P(UP): the anchor's mid moved by what the model says the move since the anchor is worth.
    /// `None` without an anchor or a model price.
    #[inline]
    pub fn p_up(&self, p_model_up: Option<f64>) -> Option<f64> {
        let p = p_model_up?;
        if self.mid_up.is_nan() || self.z_model.is_nan() || p.is_nan() {
            return None;
        }
        let z = self.z_mid + probit(p) - self.z_model;
        Some(normal_cdf(z).clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_the_cdf() {
        for i in 1..1000 {
            let p = i as f64 / 1000.0;
            let x = normal_quantile(p);
            assert!((normal_cdf(x) - p).abs() < 1e-14, "p={p} x={x}");
        }
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-12);
        assert_eq!(normal_quantile(0.5), 0.0);
        assert!(normal_quantile(0.0).is_infinite() && normal_quantile(1.0).is_infinite());
        assert!(normal_quantile(f64::NAN).is_nan());
    }
}
