//! Edge per share bought, net of fees taken in tokens, against the depth-walked asks.
//! Expected values are hand computed in the comments.

use cassandra::pipeline::control::FeeParams;
use cassandra::pipeline::events::Level;
use cassandra::strategy::edge::{buy_edge, buy_edge_at_price};

const CRYPTO: FeeParams = FeeParams {
    rate: 0.072,
    exponent: 1.0,
    taker_only: true,
};

fn lv(price_e4: u32, size_e6: u64) -> Level {
    Level { price_e4, size_e6 }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn single_level_edge_matches_hand_computation() {
    // p = 0.6, 10 shares at 0.50: fee = 10 × 0.072 × 0.25 = 0.18 USDC = 0.36 tokens;
    // tokens 9.64; cost 5; edge = 0.6 × 9.64 − 5 = 0.784; per share 0.0784.
    let e = buy_edge(0.6, &[lv(5000, 100_000_000)], 10_000_000, CRYPTO);
    assert_eq!(e.filled_e6, 10_000_000);
    assert_eq!(e.worst_price_e4, 5000);
    assert!(close(e.avg_price, 0.5));
    assert!(close(e.fee_usdc, 0.18));
    assert!(close(e.tokens_received, 9.64));
    assert!(close(e.cost_usdc, 5.0));
    assert!(close(e.edge_total, 0.784), "{}", e.edge_total);
    assert!(close(e.edge_per_share, 0.0784));
    assert!(close(buy_edge_at_price(0.6, 0.5, CRYPTO), 0.0784));
    // Roughly p − a − fee per share (0.6 − 0.5 − 0.018 = 0.082); exactly lower by p × fee
    // tokens − fee = 0.0036 per share here, because the fee is taken in tokens worth p each.
    assert!(close(e.edge_per_share, 0.6 - 0.5 - 0.018 - 0.0036));
}

#[test]
fn multi_level_fee_is_charged_per_level() {
    // 10 shares: 4 at 0.40 and 6 at 0.45, p = 0.55.
    // fee: 4 × 0.072 × 0.24 = 0.06912 (0.1728 tokens); 6 × 0.072 × 0.2475 = 0.10692 (0.2376
    // tokens). tokens = 10 − 0.4104 = 9.5896; cost = 1.6 + 2.7 = 4.3;
    // edge = 0.55 × 9.5896 − 4.3 = 0.97428; per share 0.097428.
    let asks = [lv(4000, 4_000_000), lv(4500, 50_000_000)];
    let e = buy_edge(0.55, &asks, 10_000_000, CRYPTO);
    assert_eq!(e.worst_price_e4, 4500);
    assert!(close(e.avg_price, 0.43));
    assert!(close(e.fee_usdc, 0.06912 + 0.10692));
    assert!(close(e.tokens_received, 9.5896));
    assert!(close(e.cost_usdc, 4.3));
    assert!(close(e.edge_total, 0.97428), "{}", e.edge_total);
    assert!(close(e.edge_per_share, 0.097428));
    // Charging the fee once at the average price would differ (curve is not linear).
    let at_avg = 10.0 * 0.072 * 0.43 * 0.57;
    assert!((e.fee_usdc - at_avg).abs() > 1e-4);
}

#[test]
fn fair_price_gives_a_negative_edge_after_fees() {
    // Buying at exactly the model probability loses the fee.
    let e = buy_edge(0.5, &[lv(5000, 100_000_000)], 10_000_000, CRYPTO);
    assert!(e.edge_per_share < 0.0);
    assert!(close(e.edge_total, -0.5 * 0.36));
}

#[test]
fn partial_fill_reports_per_filled_share() {
    let e = buy_edge(0.6, &[lv(5000, 2_000_000)], 10_000_000, CRYPTO);
    assert_eq!(e.filled_e6, 2_000_000);
    assert!(!e.is_complete(10_000_000));
    assert!(close(e.edge_per_share, 0.0784));
}

#[test]
fn no_liquidity_or_bad_probability_is_never_nan() {
    let e = buy_edge(0.6, &[], 10_000_000, CRYPTO);
    assert_eq!(e.filled_e6, 0);
    assert_eq!(e.edge_per_share, 0.0);
    assert_eq!(e.effective_price(), f64::INFINITY);
    let e = buy_edge(f64::NAN, &[lv(5000, 100_000_000)], 10_000_000, CRYPTO);
    assert!(close(e.edge_total, -5.0));
    assert_eq!(buy_edge_at_price(0.6, 0.0, CRYPTO), -1.0);
}

#[test]
fn effective_price_is_cost_per_token() {
    let e = buy_edge(0.6, &[lv(5000, 100_000_000)], 10_000_000, CRYPTO);
    assert!(close(e.effective_price(), 5.0 / 9.64));
}
