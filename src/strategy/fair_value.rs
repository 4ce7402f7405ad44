//! Fair value of an Up/Down window under a driftless log-normal model.
//!
//! `P(UP) = Φ( ln(S/K) / (σ·√τ) )` with S the (basis-corrected) spot, K the strike, σ the
//! volatility per √second and τ the seconds left. Drift over 15 minutes is negligible next to
//! σ√τ, and the −σ²τ/2 Itô term is of order 1e-6 for these horizons, so it is left out.
//!
//! Contract: pure functions, no allocation, no panics. [`prob_up`] returns `None` only when the
//! question itself is meaningless (a spot or strike that is not a finite positive number, or a
//! NaN/negative σ or a NaN τ); every `Some` holds a number in `[0, 1]`, never NaN.
//!
//! Markets say how they settle (`docs/venue/polymarket.md` §10.5): on the reference price at the
//! window's end ([`SettlementRule::Spot`]) or on its time-weighted average over the last `L`
//! seconds ([`SettlementRule::Twap`], L = 60 for the Chainlink TWAP-60 stream).
//! [`prob_up_settled`] prices either. For an average, two things change:
//! * before the averaging span opens (τ ≥ L), the end value is the average of a Brownian path
//!   over L seconds, whose variance is σ²·L/3 rather than σ²·L: the total variance of
//!   ln(end) is σ²·(τ − 2L/3);
//! * inside the span (τ < L), the part already observed is known: with e = L − τ seconds seen at
//!   mean `m`, the end value is (e·m + ∫ S over the remaining τ)/L, whose mean is (e·m + τ·S)/L
//!   (the price is a martingale) and whose standard deviation is S·σ·τ^{3/2}/(L·√3).
//!
//! The average is modelled as continuous; Chainlink's stream averages reports about a second
//! apart, a difference of order 1/(2·reports) in variance (under 1% for 60 reports).

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

/// How a market's end value is taken (from Gamma's `cryptoMarketConfig` / `resolutionSource`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum SettlementRule {
    /// The reference price at the window's end.
    #[default]
    Spot,
    /// The time-weighted average of the reference price over the last `lookback_s` seconds.
    Twap { lookback_s: f64 },
}

/// The part of a TWAP's span already seen: the mean of the reference price over the
/// `elapsed_s` seconds since the span opened. Only meaningful inside the span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObservedAverage {
    pub elapsed_s: f64,
    pub mean: f64,
}

/// Probability that the window settles UP under `rule` (end value ≥ strike; a tie is UP).
///
/// Same inputs and guarantees as [`prob_up`], plus, for a TWAP inside its span, the part of the
/// average already observed. Without it (`None`) the unobserved part is assumed to have been at
/// `spot`, which is what a fresh process knows; a lookback that is not finite and positive is
/// priced as spot settlement.
#[inline]
pub fn prob_up_settled(
    spot: f64,
    strike: f64,
    sigma_per_sqrt_s: f64,
    tau_s: f64,
    rule: SettlementRule,
    observed: Option<ObservedAverage>,
) -> Option<f64> {
    let lookback = match rule {
        SettlementRule::Twap { lookback_s } if lookback_s.is_finite() && lookback_s > 0.0 => {
            lookback_s
        }
        _ => return prob_up(spot, strike, sigma_per_sqrt_s, tau_s),
    };
    // Validate exactly as the spot model does (same `None` cases).
    prob_up(spot, strike, sigma_per_sqrt_s, tau_s)?;
    let tau = tau_s.max(0.0);
    if tau >= lookback {
        // Span not open yet: the average of a path that starts τ − L from now.
        let effective_tau = tau - 2.0 * lookback / 3.0;
        return prob_up(spot, strike, sigma_per_sqrt_s, effective_tau);
    }
    let elapsed = lookback - tau;
    let seen = match observed {
        Some(o) if o.mean.is_finite() && o.mean > 0.0 && o.elapsed_s.is_finite() => o.mean,
        _ => spot,
    };
    let mean_end = (elapsed * seen + tau * spot) / lookback;
    let sd_end = spot * sigma_per_sqrt_s * tau * tau.sqrt() / (lookback * 3f64.sqrt());
    let sd_log = sd_end / mean_end;
    if sd_log.is_nan() || sd_log < MIN_STDDEV {
        return Some(if mean_end >= strike { 1.0 } else { 0.0 });
    }
    Some(normal_cdf((mean_end / strike).ln() / sd_log))
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
