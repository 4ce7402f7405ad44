//! Sizing: fixed notional or fractional Kelly, capped by depth, notional and risk room,
//! rounded down to 0.01 share, and 0 under the minimum size. Hand-computed expectations.

use cassandra::strategy::sizing::{
    kelly_fraction, marketable_buy_cost_u6, round_down_to_lot, size_order_e6, SizingConfig,
    SizingInputs, SizingMode,
};

fn inputs() -> SizingInputs {
    SizingInputs {
        p_outcome: 0.6,
        effective_price: 0.5,
        limit_price_e4: 5000,
        depth_at_limit_e6: 1_000_000_000,
        bankroll_usdc: 1_000.0,
        risk_room_usdc: f64::INFINITY,
        min_size_e6: 5_000_000,
    }
}

#[test]
fn fixed_notional_buys_notional_over_limit_price() {
    // 5 USDC at 0.50 = 10 shares.
    assert_eq!(
        size_order_e6(&SizingConfig::default(), &inputs()),
        10_000_000
    );
}

#[test]
fn size_is_rounded_down_to_hundredths_of_a_share() {
    // 5 USDC at 0.53 = 9.4339… shares → 9.43.
    let i = SizingInputs {
        limit_price_e4: 5300,
        ..inputs()
    };
    assert_eq!(size_order_e6(&SizingConfig::default(), &i), 9_430_000);
    assert_eq!(round_down_to_lot(9_439_999), 9_430_000);
    assert_eq!(round_down_to_lot(10_000), 10_000);
}

#[test]
fn capped_by_a_fraction_of_visible_depth() {
    // Depth 15 shares × 0.5 = 7.5 shares.
    let i = SizingInputs {
        depth_at_limit_e6: 15_000_000,
        ..inputs()
    };
    assert_eq!(size_order_e6(&SizingConfig::default(), &i), 7_500_000);
}

#[test]
fn capped_by_max_notional_and_risk_room() {
    let big = SizingConfig {
        notional_usdc: 100.0,
        ..SizingConfig::default()
    };
    // max_notional 25 at 0.50 = 50 shares.
    assert_eq!(size_order_e6(&big, &inputs()), 50_000_000);
    // Risk room 3.2 USDC at 0.50 = 6.4 shares.
    let i = SizingInputs {
        risk_room_usdc: 3.2,
        ..inputs()
    };
    assert_eq!(size_order_e6(&big, &i), 6_400_000);
}

#[test]
fn kelly_uses_the_effective_price() {
    // f* = (0.6 − 0.5)/(1 − 0.5) = 0.2; × 0.25 × 1000 = 50 USDC → capped at 25 → 50 shares.
    assert!((kelly_fraction(0.6, 0.5) - 0.2).abs() < 1e-15);
    let k = SizingConfig {
        mode: SizingMode::Kelly,
        ..SizingConfig::default()
    };
    assert_eq!(size_order_e6(&k, &inputs()), 50_000_000);
    // Uncapped: 50 USDC at 0.50 = 100 shares.
    let k_uncapped = SizingConfig {
        max_notional_usdc: 1e9,
        ..k
    };
    assert_eq!(size_order_e6(&k_uncapped, &inputs()), 100_000_000);
    // Fees push the effective price to 0.56: f* = 0.04/0.44, × 0.25 × 1000 = 22.7272… USDC
    // at limit 0.50 → 45.4545… shares → 45.45.
    let i = SizingInputs {
        effective_price: 0.56,
        ..inputs()
    };
    assert_eq!(size_order_e6(&k_uncapped, &i), 45_450_000);
}

#[test]
fn kelly_without_edge_sizes_zero() {
    let k = SizingConfig {
        mode: SizingMode::Kelly,
        ..SizingConfig::default()
    };
    for a in [0.6, 0.7] {
        let i = SizingInputs {
            effective_price: a,
            ..inputs()
        };
        assert_eq!(size_order_e6(&k, &i), 0, "effective price {a}");
    }
    assert_eq!(kelly_fraction(0.6, f64::INFINITY), 0.0);
}

#[test]
fn under_the_minimum_size_is_zero() {
    // 2 USDC at 0.50 = 4 shares < 5-share minimum.
    let small = SizingConfig {
        notional_usdc: 2.0,
        ..SizingConfig::default()
    };
    assert_eq!(size_order_e6(&small, &inputs()), 0);
    // Exactly the minimum passes: 2.5 USDC = 5 shares.
    let exact = SizingConfig {
        notional_usdc: 2.5,
        ..SizingConfig::default()
    };
    assert_eq!(size_order_e6(&exact, &inputs()), 5_000_000);
}

#[test]
fn a_marketable_buy_under_one_dollar_is_zero() {
    // At 0.10 the 5-share minimum costs 0.50: the venue refuses a marketable BUY under $1.
    let cheap = SizingInputs {
        limit_price_e4: 1000,
        depth_at_limit_e6: 19_980_000, // × 0.5 = 9.99 shares = 0.999 → 1.00 at the cent
        ..inputs()
    };
    assert_eq!(marketable_buy_cost_u6(9_990_000, 1000), 1_000_000);
    assert_eq!(size_order_e6(&SizingConfig::default(), &cheap), 9_990_000);
    // 9.89 shares cost 0.989 → 0.99 at the cent: under $1, no order.
    let thin = SizingInputs {
        depth_at_limit_e6: 19_780_000,
        ..cheap
    };
    assert_eq!(marketable_buy_cost_u6(9_890_000, 1000), 990_000);
    assert_eq!(size_order_e6(&SizingConfig::default(), &thin), 0);
    // The cost is what the order builder signs as its maker amount.
    use cassandra::clob::amounts::{marketable_order_amounts, MarketRules, TickSize};
    use cassandra::clob::order::Side;
    for (size, px) in [
        (9_990_000u64, 1000u32),
        (5_000_000, 5300),
        (12_340_000, 4700),
    ] {
        let rules = MarketRules {
            tick: TickSize::from_e4(100).unwrap(),
            min_size_u6: 0,
        };
        let a = marketable_order_amounts(Side::Buy, u64::from(px) * 100, size, rules).unwrap();
        assert_eq!(
            a.maker_amount_u6,
            marketable_buy_cost_u6(size, px),
            "{size} @ {px}"
        );
    }
}

#[test]
fn bad_inputs_size_zero() {
    let cfg = SizingConfig::default();
    let zero_limit = SizingInputs {
        limit_price_e4: 0,
        ..inputs()
    };
    assert_eq!(size_order_e6(&cfg, &zero_limit), 0);
    let nan_room = SizingInputs {
        risk_room_usdc: f64::NAN,
        ..inputs()
    };
    assert_eq!(size_order_e6(&cfg, &nan_room), 0);
    let k = SizingConfig {
        mode: SizingMode::Kelly,
        ..cfg
    };
    let nan_p = SizingInputs {
        p_outcome: f64::NAN,
        ..inputs()
    };
    assert_eq!(size_order_e6(&k, &nan_p), 0);
    // A NaN bankroll must not fall through to the notional cap.
    let nan_bankroll = SizingInputs {
        bankroll_usdc: f64::NAN,
        ..inputs()
    };
    assert_eq!(size_order_e6(&k, &nan_bankroll), 0);
}

#[test]
fn config_validation_names_the_bad_field() {
    SizingConfig::default().validate().unwrap();
    let bad = SizingConfig {
        max_depth_fraction: 1.5,
        ..SizingConfig::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "sizing config: max_depth_fraction = 1.5: expected a fraction in [0, 1]"
    );
}
