//! Fair value of an Up/Down window under a driftless log-normal model.
//!
//! `P(UP) = Φ( ln(S/K) / (σ·√τ) )` with S the (basis-corrected) spot, K the strike, σ the
//! volatility per √second and τ the seconds left. Drift over 15 minutes is negligible next to
//! σ√τ, and the −σ²τ/2 Itô term is of order 1e-6 for these horizons, so it is left out.
//!
//! Contract: pure functions, no allocation, no panics. [`prob_up`] returns `None` only when the
//! question itself is meaningless (a spot or strike that is not a finite positive number, or a
//! NaN/negative σ or a NaN τ); every `Some` holds a number in `[0, 1]`, never NaN.

/// σ·√τ below this is treated as "no uncertainty left": the answer is the settlement rule.
/// 1e-9 in log-price is far below one tick of any asset we trade, so nothing real is lost.
pub const MIN_STDDEV: f64 = 1e-9;

/// Standard normal CDF: Φ(x) = ½·erfc(−x/√2).
///
/// Computed through `libm::erfc` (musl's implementation, documented to under 1 ulp), which keeps
/// full relative precision in the lower tail where `1 + erf` would cancel.
/// NaN in gives NaN out; ±∞ give 1 and 0.
#[inline]
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Probability that the window settles UP (end price ≥ strike; a tie is UP).
///
/// * `spot`, `strike`: same units, finite and > 0, else `None`.
/// * `sigma_per_sqrt_s`: ≥ 0 (NaN or negative: `None`; +∞: the answer tends to ½).
/// * `tau_s`: seconds left; ≤ 0 means the window is over (NaN: `None`).
///
/// When σ·√τ < [`MIN_STDDEV`] (τ → 0 or σ → 0) the answer is the settlement rule itself:
/// 1.0 if `spot >= strike`, else 0.0.
#[inline]
pub fn prob_up(spot: f64, strike: f64, sigma_per_sqrt_s: f64, tau_s: f64) -> Option<f64> {
    let valid_price = |x: f64| x.is_finite() && x > 0.0;
    if !valid_price(spot) || !valid_price(strike) {
        return None;
    }
    if sigma_per_sqrt_s.is_nan() || sigma_per_sqrt_s < 0.0 || tau_s.is_nan() {
        return None;
    }
    let tau = if tau_s > 0.0 { tau_s } else { 0.0 };
    let stddev = sigma_per_sqrt_s * tau.sqrt();
    // 0·∞ = NaN also lands here.
    if stddev.is_nan() || stddev < MIN_STDDEV {
        return Some(if spot >= strike { 1.0 } else { 0.0 });
    }
    let ratio = spot / strike;
    // ln(S/K) is the more precise form; with extreme inputs the ratio under- or overflows,
    // and ln S − ln K (each within ±745) stays finite.
    let log_moneyness = if ratio.is_normal() {
        ratio.ln()
    } else {
        spot.ln() - strike.ln()
    };
    let z = log_moneyness / stddev;
    // z is finite or ±0 here (a finite log over a positive stddev; stddev = ∞ gives ±0), so
    // Φ(z) is in [0, 1].
    Some(normal_cdf(z))
}

/// Probability of the given outcome: `p_up` for UP, `1 − p_up` for DOWN.
#[inline]
pub fn prob_of(outcome: crate::pipeline::events::Outcome, p_up: f64) -> f64 {
    match outcome {
        crate::pipeline::events::Outcome::Up => p_up,
        crate::pipeline::events::Outcome::Down => 1.0 - p_up,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_is_symmetric_to_rounding() {
        for i in 0..200 {
            let x = i as f64 * 0.05;
            let s = normal_cdf(x) + normal_cdf(-x);
            assert!((s - 1.0).abs() < 4e-16, "x={x} sum={s}");
        }
    }

    #[test]
    fn prob_is_monotone_in_spot() {
        let mut last = 0.0;
        for i in 0..1000 {
            let s = 99_000.0 + i as f64 * 2.0;
            let p = prob_up(s, 100_000.0, 9e-5, 300.0).unwrap();
            assert!(p >= last, "not monotone at {s}");
            last = p;
        }
    }
}
