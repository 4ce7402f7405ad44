//! The per-event strategy functions do not allocate: a counting global allocator (per thread)
//! sees zero allocations across a realistic decision.

mod alloc_count;
use alloc_count::allocs;

use cassandra::pipeline::control::FeeParams;
use cassandra::pipeline::events::{BookTop, Level, Side};
use cassandra::strategy::{basis, book_walk, edge, fair_value, fees, gates, sizing, vol};

#[test]
fn a_full_decision_allocates_nothing() {
    // Set-up (allowed to allocate): configs and state.
    let vol_cfg = vol::VolConfig::default();
    let gate_cfg = gates::GateConfig::default();
    let size_cfg = sizing::SizingConfig::default();
    let mut v = vol::VolEstimator::new(&vol_cfg);
    let mut b = basis::BasisEma::new(&basis::BasisConfig::default());
    let fee = FeeParams {
        rate: 0.072,
        exponent: 1.0,
        taker_only: true,
    };
    let mut book = BookTop::default();
    book.asks[0] = Level {
        price_e4: 5200,
        size_e6: 30_000_000,
    };
    book.asks[1] = Level {
        price_e4: 5300,
        size_e6: 30_000_000,
    };
    book.n_asks = 2;
    book.bids[0] = Level {
        price_e4: 5100,
        size_e6: 10_000_000,
    };
    book.n_bids = 1;

    let before = allocs();
    let mut trades = 0u32;
    for i in 0..5_000u64 {
        let ts = 1_000_000_000 + i * 250_000_000;
        let px = 100_000.0 + (i % 97) as f64 - 48.0;
        v.update(px, ts);
        b.on_binance(px, ts);
        if i % 4 == 0 {
            b.on_chainlink(px - 12.0, ts);
        }
        let spot = b.corrected_spot(px);
        let p_up = fair_value::prob_up(spot, 99_950.0, v.sigma_per_sqrt_s(), 600.0);
        let p = fair_value::prob_of(
            cassandra::pipeline::events::Outcome::Up,
            p_up.unwrap_or(0.5),
        );
        let w = book_walk::walk_for_shares(book.asks(), 10_000_000);
        let _ = book_walk::walk_for_usdc(book.asks(), 5_000_000);
        let _ = book_walk::market_price_from_book(
            book.asks(),
            Side::Buy,
            5_000_000,
            cassandra::pipeline::events::OrderType::Fok,
        );
        let depth = book_walk::depth_within_limit(book.asks(), Side::Buy, w.worst_price_e4);
        let e = edge::buy_edge(p, book.asks(), 10_000_000, fee);
        let _ = fees::tokens_received(10.0, 0.52, fee);
        let size = sizing::size_order_e6(
            &size_cfg,
            &sizing::SizingInputs {
                p_outcome: p,
                effective_price: e.effective_price(),
                limit_price_e4: e.worst_price_e4,
                depth_at_limit_e6: depth,
                bankroll_usdc: 1_000.0,
                risk_room_usdc: f64::INFINITY,
                min_size_e6: 5_000_000,
            },
        );
        let inputs = gates::GateInputs {
            ctx: gates::ContextInputs::default(),
            trade: gates::TradeInputs {
                has_fair_value: p_up.is_some(),
                move_bps: gates::move_bps(spot, 99_950.0),
                best_bid_e4: book.best_bid().map_or(0, |l| l.price_e4),
                best_ask_e4: book.best_ask().map_or(0, |l| l.price_e4),
                p_outcome: p,
                edge_per_share: e.edge_per_share,
                depth_at_limit_e6: depth,
                min_size_e6: 5_000_000,
                size_e6: size,
                risk_ok: true,
                room_bound: false,
            },
        };
        if gates::check_gates(&gate_cfg, &inputs).is_ok() {
            trades += 1;
        }
        std::hint::black_box(gates::SkipReason::Cooldown.name());
    }
    let after = allocs();
    std::hint::black_box(trades);
    assert_eq!(
        after - before,
        0,
        "hot path allocated {} times",
        after - before
    );
}

#[test]
fn the_counter_sees_an_allocation() {
    // Proves the test above could fail.
    let before = allocs();
    let v: Vec<u64> = std::hint::black_box(vec![1, 2, 3]);
    assert!(allocs() > before);
    drop(v);
}
