//! Fair value: Φ and P(UP) against independently computed reference values.
//!
//! Reference numbers were produced with CPython 3.11's `math.erfc` (a separate implementation
//! from the musl `libm::erfc` under test) as `0.5 * erfc(-x / sqrt(2))`, and agree with
//! standard normal tables to the digits those print (Φ(1) = 0.8413, Φ(−1.96) = 0.0250).
//! For P(UP) the z-score was computed in the same session as `log(S/K) / (sigma*sqrt(tau))`.

use cassandra::strategy::fair_value::{normal_cdf, prob_up, MIN_STDDEV};

fn rel_close(got: f64, want: f64, rel: f64) -> bool {
    if want == 0.0 {
        return got == 0.0;
    }
    ((got - want) / want).abs() <= rel
}

#[test]
fn normal_cdf_matches_reference_values() {
    // (x, Φ(x)) from python3: 0.5*math.erfc(-x/math.sqrt(2))
    let cases = [
        (0.0, 0.5),
        (1.0, 0.8413447460685429),
        (-1.0, 0.15865525393145707),
        (0.5, 0.6914624612740131),
        (1.96, 0.9750021048517795),
        (-1.96, 0.024997895148220435),
        (2.5, 0.9937903346742238),
        (-3.0, 0.0013498980316300957),
        (5.0, 0.9999997133484281),
        // Lower tail: erfc keeps relative precision where 1 + erf(x) would be 0.
        (-8.0, 6.220960574271819e-16),
        (-10.0, 7.619853024160593e-24),
    ];
    for (x, want) in cases {
        let got = normal_cdf(x);
        assert!(
            rel_close(got, want, 1e-13),
            "Φ({x}) = {got:e}, want {want:e}"
        );
    }
}

#[test]
fn normal_cdf_limits() {
    assert_eq!(normal_cdf(f64::INFINITY), 1.0);
    assert_eq!(normal_cdf(f64::NEG_INFINITY), 0.0);
    assert!(normal_cdf(f64::NAN).is_nan());
}

#[test]
fn prob_up_matches_reference_values() {
    // (S, K, σ per √s, τ s, P(UP)) from python3: Phi(log(S/K)/(sigma*sqrt(tau)))
    let cases = [
        (101_000.0, 100_000.0, 1e-4, 600.0, 0.9999756943791125),
        (99_900.0, 100_000.0, 8.9e-5, 300.0, 0.25815860783816935),
        (100_050.0, 100_000.0, 8.9e-5, 60.0, 0.7658035907635928),
    ];
    for (s, k, sigma, tau, want) in cases {
        let got = prob_up(s, k, sigma, tau).unwrap();
        assert!(
            rel_close(got, want, 1e-12),
            "P(UP | S={s}, K={k}) = {got}, want {want}"
        );
    }
}

#[test]
fn prob_up_at_the_strike_is_one_half_while_time_remains() {
    assert_eq!(prob_up(100.0, 100.0, 1e-4, 900.0), Some(0.5));
}

#[test]
fn prob_up_collapses_to_the_settlement_rule_without_uncertainty() {
    // τ = 0, τ < 0 (window over) and σ = 0: a tie settles UP.
    for (sigma, tau) in [(1e-4, 0.0), (1e-4, -5.0), (0.0, 600.0), (1e-4, 1e-30)] {
        assert_eq!(prob_up(100.0, 100.0, sigma, tau), Some(1.0));
        assert_eq!(prob_up(100.01, 100.0, sigma, tau), Some(1.0));
        assert_eq!(prob_up(99.99, 100.0, sigma, tau), Some(0.0));
    }
    // Just above the threshold the model is still used.
    let tau = (2.0 * MIN_STDDEV / 1e-4_f64).powi(2);
    assert_eq!(prob_up(100.0, 100.0, 1e-4, tau), Some(0.5));
}

#[test]
fn prob_up_refuses_meaningless_inputs() {
    let bad_prices = [0.0, -1.0, f64::NAN, f64::INFINITY];
    for b in bad_prices {
        assert_eq!(prob_up(b, 100.0, 1e-4, 60.0), None, "spot {b}");
        assert_eq!(prob_up(100.0, b, 1e-4, 60.0), None, "strike {b}");
    }
    assert_eq!(prob_up(100.0, 100.0, f64::NAN, 60.0), None);
    assert_eq!(prob_up(100.0, 100.0, -1e-4, 60.0), None);
    assert_eq!(prob_up(100.0, 100.0, 1e-4, f64::NAN), None);
}

#[test]
fn prob_up_is_never_nan_at_infinities() {
    // Infinite σ or τ: no information, P → ½ (0·∞ cases fall back to the settlement rule).
    assert_eq!(prob_up(101.0, 100.0, f64::INFINITY, 60.0), Some(0.5));
    assert_eq!(prob_up(99.0, 100.0, 1e-4, f64::INFINITY), Some(0.5));
    assert_eq!(prob_up(99.0, 100.0, 0.0, f64::INFINITY), Some(0.0));
}

#[test]
fn down_probability_is_the_complement() {
    use cassandra::pipeline::events::Outcome;
    use cassandra::strategy::fair_value::prob_of;
    assert_eq!(prob_of(Outcome::Up, 0.7), 0.7);
    assert!((prob_of(Outcome::Down, 0.7) - 0.3).abs() < 1e-15);
}
