//! The sniper buys the market's favourite late in the window, inside its price band, only
//! with positive expected value after fees; `latency_arb` takes the better edge of two sides.

use cassandra::pipeline::control::FeeParams;
use cassandra::pipeline::events::{BookTop, Level, Outcome, TokenId};
use cassandra::strategy::candidate::{MarketView, SideView, Strategy, StrategyKind};
use cassandra::strategy::gates::{GateConfig, SkipReason};
use cassandra::strategy::latency_arb::LatencyArb;
use cassandra::strategy::sizing::SizingConfig;
use cassandra::strategy::sniper::{Sniper, SniperConfig};

fn book(token: u16, ask_e4: u32, bid_e4: u32) -> BookTop {
    let mut b = BookTop {
        token: TokenId(token),
        tick_e4: 100,
        ..Default::default()
    };
    b.asks[0] = Level {
        price_e4: ask_e4,
        size_e6: 500_000_000,
    };
    b.bids[0] = Level {
        price_e4: bid_e4,
        size_e6: 500_000_000,
    };
    b.n_asks = 1;
    b.n_bids = 1;
    b
}

fn view<'a>(up: &'a BookTop, down: &'a BookTop, p_up: f64, secs_into: f64) -> MarketView<'a> {
    MarketView {
        has_fair_value: true,
        move_bps: 20.0,
        secs_into_window: secs_into,
        window_len_s: 900.0,
        fees: FeeParams {
            rate: 0.072,
            exponent: 1.0,
            taker_only: true,
        },
        min_size_e6: 5_000_000,
        bankroll_usdc: 1000.0,
        risk_room_usdc: f64::INFINITY,
        risk_ok: true,
        up: Some(SideView {
            outcome: Outcome::Up,
            book: up,
            p: p_up,
        }),
        down: Some(SideView {
            outcome: Outcome::Down,
            book: down,
            p: 1.0 - p_up,
        }),
    }
}

fn sniper() -> Sniper {
    Sniper::new(
        SniperConfig::default(),
        &GateConfig::default(),
        SizingConfig::default(),
        0,
    )
}

#[test]
fn sniper_buys_the_favourite_late_with_positive_ev() {
    // UP is the favourite at 0.88; the model says 0.97.
    let (up, down) = (book(0, 8800, 8700), book(1, 1300, 1200));
    let mut seen = None;
    let c = sniper()
        .pick(&view(&up, &down, 0.97, 800.0), &mut seen)
        .expect("trades");
    assert_eq!(c.outcome, Outcome::Up);
    assert_eq!(c.token, TokenId(0));
    assert!(c.inputs.edge_per_share > 0.005, "{c:?}");
    assert_eq!(sniper().kind(), StrategyKind::Sniper);
}

#[test]
fn sniper_waits_for_its_part_of_the_window() {
    let (up, down) = (book(0, 8800, 8700), book(1, 1300, 1200));
    let mut seen = None;
    let r = sniper().pick(&view(&up, &down, 0.97, 600.0), &mut seen);
    assert_eq!(r.unwrap_err(), SkipReason::TooEarly);
}

#[test]
fn sniper_keeps_to_its_price_band() {
    // Favourite at 0.97 is above the default band's 0.95.
    let (up, down) = (book(0, 9700, 9600), book(1, 400, 300));
    let mut seen = None;
    let r = sniper().pick(&view(&up, &down, 0.99, 850.0), &mut seen);
    assert_eq!(r.unwrap_err(), SkipReason::PriceOutOfRange);
}

#[test]
fn sniper_refuses_negative_expected_value_after_fees() {
    // The model agrees with the price: after the taker fee the EV is negative.
    let (up, down) = (book(0, 8800, 8700), book(1, 1300, 1200));
    let mut seen = None;
    let r = sniper().pick(&view(&up, &down, 0.88, 850.0), &mut seen);
    assert_eq!(r.unwrap_err(), SkipReason::EdgeBelowThreshold);
    let c = seen.expect("the candidate it priced is reported");
    assert!(c.inputs.edge_per_share < 0.0, "{c:?}");
}

#[test]
fn latency_arb_takes_the_side_with_the_better_edge() {
    // The model says UP 0.70 while UP is offered at 0.55: buy UP, not DOWN.
    let (up, down) = (book(0, 5500, 5400), book(1, 4700, 4600));
    let la = LatencyArb {
        gates: GateConfig::default(),
        sizing: SizingConfig::default(),
        slippage_ticks: 1,
    };
    let mut seen = None;
    let c = la
        .pick(&view(&up, &down, 0.70, 100.0), &mut seen)
        .expect("trades");
    assert_eq!(c.outcome, Outcome::Up);
    assert_eq!(c.limit_price_e4, 5600);
    // The DOWN side at 0.47 against 0.30 would lose; the UP edge is about 0.70 − 0.55 − fee.
    assert!((0.10..0.15).contains(&c.inputs.edge_per_share), "{c:?}");
}

#[test]
fn no_cash_or_room_left_skips_as_a_risk_limit_not_a_small_size() {
    let (up, down) = (book(0, 8800, 8700), book(1, 1300, 1200));
    let broke = MarketView {
        risk_room_usdc: 0.0,
        ..view(&up, &down, 0.97, 800.0)
    };
    let mut seen = None;
    assert_eq!(
        sniper().pick(&broke, &mut seen).unwrap_err(),
        SkipReason::RiskLimit
    );
    // A room too small for the market's minimum is the same: 0.50 buys under 5 shares.
    let thin = MarketView {
        risk_room_usdc: 0.5,
        ..view(&up, &down, 0.97, 800.0)
    };
    assert_eq!(
        sniper().pick(&thin, &mut seen).unwrap_err(),
        SkipReason::RiskLimit
    );
}
