//! No panic and no NaN out of the strategy math on hostile numbers (NaN, ±∞, 0, extremes).

use cassandra::pipeline::control::FeeParams;
use cassandra::pipeline::events::{Level, OrderType, Side};
use cassandra::strategy::{basis, book_walk, edge, fair_value, fees, gates, sizing, vol};

const NUMS: [f64; 12] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    -1.0,
    1e-300,
    1e300,
    0.5,
    1.0,
    f64::MIN_POSITIVE,
    f64::MAX,
];

#[test]
fn fair_value_answers_none_or_a_probability() {
    for s in NUMS {
        for k in NUMS {
            for sig in NUMS {
                for tau in NUMS {
                    if let Some(p) = fair_value::prob_up(s, k, sig, tau) {
                        assert!((0.0..=1.0).contains(&p), "{s} {k} {sig} {tau} -> {p}");
                    }
                }
            }
        }
    }
}

#[test]
fn fees_and_edges_stay_finite() {
    for r in NUMS {
        for e in NUMS {
            let fee = FeeParams {
                rate: r,
                exponent: e,
                taker_only: true,
            };
            for p in NUMS {
                for s in NUMS {
                    assert!(!fees::taker_fee_usdc(s, p, fee).is_nan());
                    let f = fees::buy_fill(s, p, fee);
                    assert!(!f.tokens_received.is_nan() && !f.usdc_paid.is_nan());
                    assert!(!fees::effective_buy_price(p, fee).is_nan());
                    assert!(!fees::adjust_buy_amount_for_fees(s, p, s, fee, r, e).is_nan());
                    assert!(!edge::buy_edge_at_price(s, p, fee).is_nan());
                }
                let asks = [
                    Level {
                        price_e4: 9_999,
                        size_e6: u64::MAX,
                    },
                    Level {
                        price_e4: u32::MAX,
                        size_e6: u64::MAX,
                    },
                ];
                for size in [0, 1, u64::MAX] {
                    let be = edge::buy_edge(p, &asks, size, fee);
                    assert!(!be.edge_per_share.is_nan() && !be.edge_total.is_nan());
                }
            }
        }
    }
}

#[test]
fn book_walks_handle_extreme_levels() {
    let levels = [
        Level {
            price_e4: u32::MAX,
            size_e6: u64::MAX,
        },
        Level {
            price_e4: 1,
            size_e6: u64::MAX,
        },
    ];
    // Cheap deep levels: a huge budget could fill more than u64::MAX shares in total.
    let cheap = [
        Level {
            price_e4: 1,
            size_e6: u64::MAX,
        },
        Level {
            price_e4: 1,
            size_e6: u64::MAX,
        },
    ];
    let w = book_walk::walk_for_usdc(&cheap, u64::MAX);
    assert_eq!(w.filled_e6, u64::MAX);
    let e = edge::buy_edge(
        0.5,
        &cheap,
        u64::MAX,
        FeeParams {
            rate: 0.072,
            exponent: 1.0,
            taker_only: true,
        },
    );
    assert!(e.edge_per_share.is_finite());
    for amt in [0, 1, u64::MAX] {
        let _ = book_walk::walk_for_shares(&levels, amt);
        let _ = book_walk::walk_for_usdc(&levels, amt);
        let _ = book_walk::depth_within_limit(&levels, Side::Buy, u32::MAX);
        for side in [Side::Buy, Side::Sell] {
            for ot in [OrderType::Fak, OrderType::Fok] {
                let _ = book_walk::market_price_from_book(&levels, side, amt, ot);
            }
        }
    }
}

#[test]
fn estimators_and_sizing_ignore_garbage() {
    let mut v = vol::VolEstimator::new(&vol::VolConfig::default());
    let mut b = basis::BasisEma::new(&basis::BasisConfig::default());
    for (i, x) in NUMS.iter().enumerate() {
        let ts = (i as u64 + 1) * 40_000_000_000;
        v.update(*x, ts);
        b.on_binance(*x, ts);
        b.on_chainlink(*x, ts);
        assert!(v.sigma_per_sqrt_s().is_finite());
        assert!(b.basis().is_finite());
    }
    for x in NUMS {
        let inp = sizing::SizingInputs {
            p_outcome: x,
            effective_price: x,
            limit_price_e4: 5000,
            depth_at_limit_e6: u64::MAX,
            bankroll_usdc: x,
            risk_room_usdc: x,
            min_size_e6: 0,
        };
        for mode in [sizing::SizingMode::Fixed, sizing::SizingMode::Kelly] {
            let cfg = sizing::SizingConfig {
                mode,
                notional_usdc: x,
                ..sizing::SizingConfig::default()
            };
            let s = sizing::size_order_e6(&cfg, &inp);
            assert_eq!(s % sizing::SIZE_LOT_E6, 0);
        }
        let mut g = gates::GateInputs::default();
        g.trade.p_outcome = x;
        g.trade.edge_per_share = x;
        g.trade.move_bps = x;
        g.ctx.secs_into_window = x;
        let _ = gates::check_gates(&gates::GateConfig::default(), &g);
    }
}
