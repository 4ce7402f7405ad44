//! Each gate trips with its own reason; the defaults pass; precedence is fixed.

use cassandra::strategy::gates::{
    check_context, check_gates, check_trade, move_bps, ContextInputs, GateConfig, GateInputs,
    SkipReason, TradeInputs,
};

fn cfg() -> GateConfig {
    GateConfig::default()
}

fn with_ctx(f: impl FnOnce(&mut ContextInputs)) -> Result<(), SkipReason> {
    let mut i = GateInputs::default();
    f(&mut i.ctx);
    check_gates(&cfg(), &i)
}

fn with_trade(f: impl FnOnce(&mut TradeInputs)) -> Result<(), SkipReason> {
    let mut i = GateInputs::default();
    f(&mut i.trade);
    check_gates(&cfg(), &i)
}

#[test]
fn the_default_inputs_pass() {
    assert_eq!(check_gates(&cfg(), &GateInputs::default()), Ok(()));
}

#[test]
fn kill_switch() {
    assert_eq!(with_ctx(|c| c.killed = true), Err(SkipReason::KillSwitch));
}

#[test]
fn breaker() {
    assert_eq!(
        with_ctx(|c| c.breaker_tripped = true),
        Err(SkipReason::Breaker)
    );
}

#[test]
fn mode_off() {
    assert_eq!(with_ctx(|c| c.mode_off = true), Err(SkipReason::ModeOff));
}

#[test]
fn precedence_is_kill_then_breaker_then_mode() {
    let all = |c: &mut ContextInputs| {
        c.killed = true;
        c.breaker_tripped = true;
        c.mode_off = true;
        c.has_window = false;
    };
    assert_eq!(with_ctx(all), Err(SkipReason::KillSwitch));
    assert_eq!(
        with_ctx(|c| {
            all(c);
            c.killed = false
        }),
        Err(SkipReason::Breaker)
    );
    assert_eq!(
        with_ctx(|c| {
            all(c);
            c.killed = false;
            c.breaker_tripped = false
        }),
        Err(SkipReason::ModeOff)
    );
}

#[test]
fn no_window() {
    assert_eq!(
        with_ctx(|c| c.has_window = false),
        Err(SkipReason::NoWindow)
    );
    assert_eq!(
        with_ctx(|c| c.secs_into_window = f64::NAN),
        Err(SkipReason::NoWindow)
    );
}

#[test]
fn too_early() {
    assert_eq!(
        with_ctx(|c| c.secs_into_window = 29.9),
        Err(SkipReason::TooEarly)
    );
    assert_eq!(with_ctx(|c| c.secs_into_window = 30.0), Ok(()));
}

#[test]
fn too_late() {
    assert_eq!(
        with_ctx(|c| c.secs_into_window = 840.1),
        Err(SkipReason::TooLate)
    );
    assert_eq!(with_ctx(|c| c.secs_into_window = 840.0), Ok(()));
}

#[test]
fn window_fractions_replace_seconds_for_short_windows() {
    let short = GateConfig {
        min_frac_into_window: Some(0.1),
        max_frac_into_window: Some(0.9),
        ..cfg()
    };
    // A 60-s demo window: trade between 6 s and 54 s.
    let ctx = |s: f64| ContextInputs {
        secs_into_window: s,
        window_len_s: 60.0,
        ..ContextInputs::default()
    };
    assert_eq!(check_context(&short, &ctx(5.0)), Err(SkipReason::TooEarly));
    assert_eq!(check_context(&short, &ctx(10.0)), Ok(()));
    assert_eq!(check_context(&short, &ctx(55.0)), Err(SkipReason::TooLate));
    // Without fractions the 30-s default would block 10 s into it.
    assert_eq!(check_context(&cfg(), &ctx(10.0)), Err(SkipReason::TooEarly));
}

#[test]
fn no_spot() {
    assert_eq!(with_ctx(|c| c.has_spot = false), Err(SkipReason::NoSpot));
}

#[test]
fn stale_spot() {
    assert_eq!(
        with_ctx(|c| c.spot_age_ms = 2_001),
        Err(SkipReason::StaleSpot)
    );
    assert_eq!(with_ctx(|c| c.spot_age_ms = 2_000), Ok(()));
}

#[test]
fn no_book() {
    assert_eq!(with_ctx(|c| c.has_book = false), Err(SkipReason::NoBook));
    assert_eq!(with_trade(|t| t.best_ask_e4 = 0), Err(SkipReason::NoBook));
}

#[test]
fn stale_book() {
    assert_eq!(
        with_ctx(|c| c.book_age_ms = 5_001),
        Err(SkipReason::StaleBook)
    );
}

#[test]
fn open_order() {
    assert_eq!(
        with_ctx(|c| c.open_order = true),
        Err(SkipReason::OpenOrder)
    );
}

#[test]
fn cooldown() {
    assert_eq!(
        with_ctx(|c| c.ms_since_last_order = 29_999),
        Err(SkipReason::Cooldown)
    );
    assert_eq!(with_ctx(|c| c.ms_since_last_order = 30_000), Ok(()));
}

#[test]
fn no_fair_value() {
    assert_eq!(
        with_trade(|t| t.has_fair_value = false),
        Err(SkipReason::NoFairValue)
    );
}

#[test]
fn small_move() {
    assert_eq!(with_trade(|t| t.move_bps = 0.5), Err(SkipReason::SmallMove));
    assert_eq!(
        with_trade(|t| t.move_bps = f64::NAN),
        Err(SkipReason::SmallMove)
    );
    // 100_010 vs 100_000 is ln(1.0001) ≈ 0.99995 bps: just under the 1-bps default.
    assert_eq!(
        with_trade(|t| t.move_bps = move_bps(100_010.0, 100_000.0)),
        Err(SkipReason::SmallMove)
    );
    assert!((move_bps(99_000.0, 100_000.0) - 100.503358535014).abs() < 1e-9);
    assert!(move_bps(0.0, 100.0).is_nan());
}

#[test]
fn spread_too_wide() {
    // 0.49 / 0.55 is 6 cents > 5.
    assert_eq!(
        with_trade(|t| {
            t.best_bid_e4 = 4900;
            t.best_ask_e4 = 5500
        }),
        Err(SkipReason::SpreadTooWide)
    );
    // Exactly 5 cents passes.
    assert_eq!(
        with_trade(|t| {
            t.best_bid_e4 = 4500;
            t.best_ask_e4 = 5000
        }),
        Ok(())
    );
    // No bid at all counts as a bid of 0.
    assert_eq!(
        with_trade(|t| t.best_bid_e4 = 0),
        Err(SkipReason::SpreadTooWide)
    );
}

#[test]
fn extreme_probability() {
    assert_eq!(
        with_trade(|t| t.p_outcome = 0.91),
        Err(SkipReason::ExtremeProbability)
    );
    assert_eq!(
        with_trade(|t| t.p_outcome = 0.09),
        Err(SkipReason::ExtremeProbability)
    );
    assert_eq!(
        with_trade(|t| t.p_outcome = f64::NAN),
        Err(SkipReason::ExtremeProbability)
    );
}

#[test]
fn thin_depth() {
    assert_eq!(
        with_trade(|t| t.depth_at_limit_e6 = 4_990_000),
        Err(SkipReason::ThinDepth)
    );
    assert_eq!(
        with_trade(|t| {
            t.depth_at_limit_e6 = 0;
            t.min_size_e6 = 0
        }),
        Err(SkipReason::ThinDepth)
    );
}

#[test]
fn edge_below_threshold() {
    assert_eq!(
        with_trade(|t| t.edge_per_share = 0.029),
        Err(SkipReason::EdgeBelowThreshold)
    );
    assert_eq!(
        with_trade(|t| t.edge_per_share = f64::NAN),
        Err(SkipReason::EdgeBelowThreshold)
    );
    assert_eq!(with_trade(|t| t.edge_per_share = 0.03), Ok(()));
}

#[test]
fn below_min_size() {
    assert_eq!(
        with_trade(|t| t.size_e6 = 4_990_000),
        Err(SkipReason::BelowMinSize)
    );
    assert_eq!(with_trade(|t| t.size_e6 = 0), Err(SkipReason::BelowMinSize));
}

#[test]
fn sized_to_nothing_by_the_risk_room_is_a_risk_limit() {
    // The book would give an order; the room left (limits or cash) does not.
    assert_eq!(
        with_trade(|t| {
            t.size_e6 = 0;
            t.room_bound = true;
        }),
        Err(SkipReason::RiskLimit)
    );
}

#[test]
fn risk_limit() {
    assert_eq!(
        with_trade(|t| t.risk_ok = false),
        Err(SkipReason::RiskLimit)
    );
}

#[test]
fn context_is_checked_before_the_trade() {
    let mut i = GateInputs::default();
    i.ctx.open_order = true;
    i.trade.edge_per_share = -1.0;
    assert_eq!(check_gates(&cfg(), &i), Err(SkipReason::OpenOrder));
    assert_eq!(
        check_trade(&cfg(), &i.trade),
        Err(SkipReason::EdgeBelowThreshold)
    );
}
