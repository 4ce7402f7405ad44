//! BUY accounting: the fee is valued by the curve in USDC and taken in tokens at the fill price.

use cassandra::pipeline::control::FeeParams;
use cassandra::strategy::fees::{
    buy_fill, effective_buy_price, maker_fee_usdc, taker_fee_usdc, tokens_received, usdc_paid,
};

const CRYPTO: FeeParams = FeeParams {
    rate: 0.072,
    exponent: 1.0,
    taker_only: true,
};

#[test]
fn buy_at_one_half_pays_full_usdc_and_receives_fewer_tokens() {
    // 100 shares at 0.50, r = 0.072, e = 1: fee = 100 × 0.072 × 0.25 = 1.8 USDC (hand
    // computed) = 3.6 tokens at 0.50; tokens received 96.4; USDC paid 50.
    let f = buy_fill(100.0, 0.5, CRYPTO);
    assert!((f.fee_usdc - 1.8).abs() < 1e-12);
    assert!((f.fee_tokens - 3.6).abs() < 1e-12);
    assert!((f.tokens_received - 96.4).abs() < 1e-12);
    assert!((f.usdc_paid - 50.0).abs() < 1e-12);
    assert!((tokens_received(100.0, 0.5, CRYPTO) - 96.4).abs() < 1e-12);
    assert!((usdc_paid(100.0, 0.5) - 50.0).abs() < 1e-12);
    // Cost per token received: 50 / 96.4.
    assert!((effective_buy_price(0.5, CRYPTO) - 50.0 / 96.4).abs() < 1e-12);
}

#[test]
fn design_doc_rate_gives_three_and_a_half_percent_of_notional_at_one_half() {
    // DESIGN §4: r = 0.07, e = 1 is 3.5% of notional at p = 0.5.
    let f = FeeParams {
        rate: 0.07,
        ..CRYPTO
    };
    let fee = taker_fee_usdc(10.0, 0.5, f);
    assert!((fee / (10.0 * 0.5) - 0.035).abs() < 1e-12);
}

#[test]
fn makers_pay_nothing_on_taker_only_markets() {
    assert_eq!(maker_fee_usdc(100.0, 0.5, CRYPTO), 0.0);
    let both = FeeParams {
        taker_only: false,
        ..CRYPTO
    };
    assert_eq!(
        maker_fee_usdc(100.0, 0.5, both),
        taker_fee_usdc(100.0, 0.5, both)
    );
}

#[test]
fn bad_numbers_give_zero_not_nan() {
    for p in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
        assert_eq!(taker_fee_usdc(100.0, p, CRYPTO), 0.0, "price {p}");
        assert_eq!(buy_fill(100.0, p, CRYPTO).tokens_received, 0.0);
        assert_eq!(effective_buy_price(p, CRYPTO), f64::INFINITY);
    }
    for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(taker_fee_usdc(s, 0.5, CRYPTO), 0.0, "shares {s}");
    }
    let weird = FeeParams {
        rate: f64::NAN,
        exponent: 1.0,
        taker_only: true,
    };
    assert_eq!(taker_fee_usdc(100.0, 0.5, weird), 0.0);
}

#[test]
fn a_fee_can_never_take_more_tokens_than_were_bought() {
    // An absurd schedule: r = 5, e = 0 would charge 5 USDC per share.
    let absurd = FeeParams {
        rate: 5.0,
        exponent: 0.0,
        taker_only: true,
    };
    let f = buy_fill(10.0, 0.5, absurd);
    assert_eq!(f.tokens_received, 0.0);
    assert_eq!(effective_buy_price(0.5, absurd), f64::INFINITY);
}
