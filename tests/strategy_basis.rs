//! Basis EMA: Binance − Chainlink with time-based decay, and the Chainlink-seen flag.

use cassandra::strategy::basis::{BasisConfig, BasisEma};

const SEC: u64 = 1_000_000_000;

#[test]
fn without_chainlink_the_spot_is_uncorrected() {
    let mut b = BasisEma::new(&BasisConfig::default());
    b.on_binance(100_000.0, SEC);
    assert!(!b.has_chainlink());
    assert!(!b.has_basis());
    assert_eq!(b.last_chainlink(), None);
    assert_eq!(b.corrected_spot(100_123.0), 100_123.0);
}

#[test]
fn first_pair_sets_the_basis_and_corrects_the_spot() {
    let mut b = BasisEma::new(&BasisConfig::default());
    b.on_binance(100_050.0, 10 * SEC);
    assert!(b.on_chainlink(100_000.0, 10 * SEC + 200_000_000));
    assert!(b.has_chainlink() && b.has_basis());
    assert_eq!(b.basis(), 50.0);
    assert_eq!(b.corrected_spot(100_200.0), 100_150.0);
    assert_eq!(
        b.last_chainlink(),
        Some((100_000.0, 10 * SEC + 200_000_000))
    );
}

#[test]
fn decay_is_by_elapsed_time_with_the_configured_half_life() {
    let cfg = BasisConfig {
        half_life_s: 60.0,
        ..BasisConfig::default()
    };
    let mut b = BasisEma::new(&cfg);
    // Basis 10 first.
    assert!(b.observe(110.0, 100.0, SEC));
    // One half-life later a pair at basis 20 moves it halfway: 15.
    assert!(b.observe(120.0, 100.0, 61 * SEC));
    assert!((b.basis() - 15.0).abs() < 1e-12, "{}", b.basis());
    // Half a half-life later a pair at basis 0 moves it by the weight
    // 1 − 2^(−30/60).
    assert!(b.observe(100.0, 100.0, 91 * SEC));
    let w = 1.0 - 0.5f64.sqrt();
    assert!(
        (b.basis() - (15.0 - w * 15.0)).abs() < 1e-12,
        "{}",
        b.basis()
    );
}

#[test]
fn stale_binance_price_is_not_paired() {
    let mut b = BasisEma::new(&BasisConfig::default());
    b.on_binance(100_050.0, SEC);
    // Default skew limit is 2 s.
    assert!(!b.on_chainlink(100_000.0, 4 * SEC));
    assert!(b.has_chainlink());
    assert!(!b.has_basis());
    assert_eq!(b.basis(), 0.0);
}

#[test]
fn chainlink_before_any_binance_sets_only_the_flag() {
    let mut b = BasisEma::new(&BasisConfig::default());
    assert!(!b.on_chainlink(100_000.0, SEC));
    assert!(b.has_chainlink());
    assert!(!b.has_basis());
}

#[test]
fn bad_prices_are_ignored() {
    let mut b = BasisEma::new(&BasisConfig::default());
    b.on_binance(100.0, SEC);
    for bad in [f64::NAN, f64::INFINITY, 0.0, -1.0] {
        assert!(!b.on_chainlink(bad, SEC));
        b.on_binance(bad, SEC);
    }
    assert!(!b.has_chainlink());
    assert!(b.on_chainlink(99.0, SEC));
    assert_eq!(b.basis(), 1.0);
}
