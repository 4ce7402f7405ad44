//! Walking the asks of a book: filled size, average and worst price, exact USDC cost, and the
//! reverse (shares a USDC amount buys). Expected values are hand computed in the comments.

use cassandra::pipeline::events::{BookTop, Level, Side};
use cassandra::strategy::book_walk::{depth_within_limit, walk_for_shares, walk_for_usdc};

fn lv(price_e4: u32, size_e6: u64) -> Level {
    Level { price_e4, size_e6 }
}

/// Asks 0.52 × 10, 0.53 × 5, 0.55 × 20 shares.
fn book() -> BookTop {
    let mut b = BookTop::default();
    let asks = [
        lv(5200, 10_000_000),
        lv(5300, 5_000_000),
        lv(5500, 20_000_000),
    ];
    b.asks[..asks.len()].copy_from_slice(&asks);
    b.n_asks = asks.len() as u8;
    b
}

#[test]
fn walk_inside_the_first_level() {
    let w = walk_for_shares(book().asks(), 4_000_000);
    assert_eq!(w.filled_e6, 4_000_000);
    assert_eq!(w.best_price_e4, 5200);
    assert_eq!(w.worst_price_e4, 5200);
    assert_eq!(w.levels_used, 1);
    // 4 × 0.52 = 2.08 USDC = 20_800_000_000 e10.
    assert_eq!(w.cost_e10, 20_800_000_000);
    assert_eq!(w.cost_e6_ceil(), 2_080_000);
    assert!((w.avg_price() - 0.52).abs() < 1e-15);
}

#[test]
fn walk_across_levels() {
    // 18 shares: 10 × 0.52 + 5 × 0.53 + 3 × 0.55 = 5.2 + 2.65 + 1.65 = 9.5 USDC; avg 9.5/18.
    let w = walk_for_shares(book().asks(), 18_000_000);
    assert_eq!(w.filled_e6, 18_000_000);
    assert_eq!(w.worst_price_e4, 5500);
    assert_eq!(w.levels_used, 3);
    assert_eq!(w.cost_e10, 95_000_000_000);
    assert!((w.cost_usdc() - 9.5).abs() < 1e-12);
    assert!((w.avg_price() - 9.5 / 18.0).abs() < 1e-15);
}

#[test]
fn a_short_book_fills_what_it_has() {
    let w = walk_for_shares(book().asks(), 100_000_000);
    assert_eq!(w.filled_e6, 35_000_000);
    // 5.2 + 2.65 + 11 = 18.85 USDC.
    assert_eq!(w.cost_e10, 188_500_000_000);
}

#[test]
fn empty_book_and_zero_target_fill_nothing() {
    for w in [
        walk_for_shares(&[], 5_000_000),
        walk_for_shares(book().asks(), 0),
        walk_for_usdc(&[], 5_000_000),
        walk_for_usdc(book().asks(), 0),
    ] {
        assert_eq!(w.filled_e6, 0);
        assert_eq!(w.cost_e10, 0);
        assert_eq!(w.avg_price(), 0.0);
        assert_eq!(w.worst_price_e4, 0);
    }
}

#[test]
fn zero_levels_are_skipped() {
    let asks = [lv(0, 5_000_000), lv(5000, 0), lv(5100, 2_000_000)];
    let w = walk_for_shares(&asks, 1_000_000);
    assert_eq!(w.best_price_e4, 5100);
    assert_eq!(w.cost_e10, 5_100_000_000);
}

#[test]
fn usdc_amount_buys_whole_levels_then_a_rounded_down_part() {
    // 7 USDC: 10 × 0.52 = 5.2, then 1.8 / 0.53 = 3.396226… shares, rounded down to 1e-6:
    // 3.396226 shares costing 1.79999978 USDC.
    let w = walk_for_usdc(book().asks(), 7_000_000);
    assert_eq!(w.filled_e6, 13_396_226);
    assert_eq!(w.worst_price_e4, 5300);
    assert_eq!(w.cost_e10, 52_000_000_000 + 5300 * 3_396_226);
    assert!(w.cost_e10 <= 70_000_000_000);
    assert_eq!(w.cost_e6_ceil(), 7_000_000);
}

#[test]
fn usdc_amount_larger_than_the_book_takes_it_all() {
    let w = walk_for_usdc(book().asks(), 1_000_000_000);
    assert_eq!(w.filled_e6, 35_000_000);
    assert_eq!(w.cost_e10, 188_500_000_000);
}

#[test]
fn depth_within_the_limit_price() {
    let b = book();
    assert_eq!(depth_within_limit(b.asks(), Side::Buy, 5299), 10_000_000);
    assert_eq!(depth_within_limit(b.asks(), Side::Buy, 5300), 15_000_000);
    assert_eq!(depth_within_limit(b.asks(), Side::Buy, 9900), 35_000_000);
    assert_eq!(depth_within_limit(b.asks(), Side::Buy, 5000), 0);
    let bids = [lv(5100, 1_000_000), lv(5000, 2_000_000)];
    assert_eq!(depth_within_limit(&bids, Side::Sell, 5050), 1_000_000);
}
