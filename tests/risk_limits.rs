//! Each pre-trade limit refuses with its own name, and precedence is killed > breaker > mode.

use cassandra::pipeline::events::{AssetId, ExecReport, ExecStatus, Outcome, TokenId};
use cassandra::pipeline::shared::Mode;
use cassandra::risk::{BreakerKind, OrderCandidate, RefuseReason, RiskBook, RiskConfig, RiskLimit};
use cassandra::signal::Settlement;
use cassandra::strategy::gates::SkipReason;

const T0_MS: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const W: u64 = 1_767_225_600;

fn cand(asset: u8, window: u64, outcome: Outcome, notional: f64, now_ns: u64) -> OrderCandidate {
    OrderCandidate {
        asset: AssetId(asset),
        outcome,
        window_start_s: window,
        notional_usdc: notional,
        now_ns,
        wall_ms: T0_MS + now_ns / 1_000_000,
        killed: false,
        mode: Mode::Paper,
    }
}

fn book(cfg: RiskConfig) -> RiskBook {
    cfg.validate().unwrap();
    RiskBook::new(cfg, 1000.0, T0_MS)
}

fn refused(b: &RiskBook, c: &OrderCandidate) -> RefuseReason {
    b.check(c).expect_err("should refuse").reason
}

fn send(b: &mut RiskBook, id: u64, c: &OrderCandidate) {
    let ok = b.check(c).expect("should approve");
    b.on_intent(id, &ok);
}

fn fill(id: u64, c: &OrderCandidate, cost: f64) -> ExecReport {
    ExecReport {
        intent_id: id,
        asset: c.asset,
        token: TokenId(id as u16),
        outcome: c.outcome,
        status: ExecStatus::Matched,
        filled_e6: 10_000_000,
        received_e6: 9_800_000,
        cost_e6: (cost * 1e6) as u64,
        window_start_s: c.window_start_s,
        ..Default::default()
    }
}

#[test]
fn max_order_notional_refuses() {
    let b = book(RiskConfig::default());
    assert!(b.check(&cand(0, W, Outcome::Up, 25.0, 1)).is_ok());
    let r = refused(&b, &cand(0, W, Outcome::Up, 25.01, 1));
    assert_eq!(r, RefuseReason::Limit(RiskLimit::OrderNotional));
    assert_eq!(r.name(), "max_order_notional");
    assert_eq!(r.skip_reason(), SkipReason::RiskLimit);
}

#[test]
fn bad_notional_or_asset_refuses() {
    let b = book(RiskConfig::default());
    for n in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(
            refused(&b, &cand(0, W, Outcome::Up, n, 1)),
            RefuseReason::Limit(RiskLimit::BadOrder)
        );
    }
    assert_eq!(
        refused(&b, &cand(200, W, Outcome::Up, 1.0, 1)),
        RefuseReason::Limit(RiskLimit::BadOrder)
    );
}

#[test]
fn window_exposure_counts_in_flight_and_filled() {
    let cfg = RiskConfig {
        max_window_exposure_usdc: 30.0,
        ..Default::default()
    };
    let mut b = book(cfg);
    let c = cand(0, W, Outcome::Up, 20.0, 1);
    send(&mut b, 1, &c);
    assert!((b.window_exposure_usdc(AssetId(0), W) - 20.0).abs() < 1e-9);
    let r = refused(&b, &cand(0, W, Outcome::Up, 15.0, 2));
    assert_eq!(r, RefuseReason::Limit(RiskLimit::WindowExposure));
    assert!((b.room_usdc(AssetId(0), W) - 10.0).abs() < 1e-9);
    // Filled for less than the notional: exposure is the cost paid.
    b.on_exec(&fill(1, &c, 12.0), T0_MS);
    assert!((b.window_exposure_usdc(AssetId(0), W) - 12.0).abs() < 1e-9);
    assert!(b.check(&cand(0, W, Outcome::Up, 15.0, 3)).is_ok());
    // Another window of the same asset has its own room.
    assert!((b.room_usdc(AssetId(0), W + 900) - 25.0).abs() < 1e-9);
}

#[test]
fn unfilled_and_rejected_orders_leave_flight() {
    let mut b = book(RiskConfig::default());
    let c = cand(1, W, Outcome::Down, 10.0, 1);
    send(&mut b, 7, &c);
    assert_eq!(b.in_flight(), 1);
    let mut r = fill(7, &c, 0.0);
    r.status = ExecStatus::Unmatched;
    r.filled_e6 = 0;
    b.on_exec(&r, T0_MS);
    assert_eq!(b.in_flight(), 0);
    assert_eq!(b.total_exposure_usdc(), 0.0);
    assert_eq!(b.open_positions(), 0);
    // A delayed report with nothing filled keeps it in flight.
    send(&mut b, 8, &c);
    r.intent_id = 8;
    r.status = ExecStatus::Delayed;
    b.on_exec(&r, T0_MS);
    assert_eq!(b.in_flight(), 1);
    assert!(b.release(8));
    assert!(!b.release(8));
    assert_eq!(b.total_exposure_usdc(), 0.0);
}

#[test]
fn asset_and_total_exposure_refuse() {
    let cfg = RiskConfig {
        max_order_notional_usdc: 25.0,
        max_window_exposure_usdc: 25.0,
        max_asset_exposure_usdc: 40.0,
        max_total_exposure_usdc: 60.0,
        max_open_positions: 10,
        ..Default::default()
    };
    let mut b = book(cfg);
    let c1 = cand(0, W, Outcome::Up, 25.0, 1);
    send(&mut b, 1, &c1);
    b.on_exec(&fill(1, &c1, 25.0), T0_MS);
    assert_eq!(
        refused(&b, &cand(0, W + 900, Outcome::Up, 20.0, 2)),
        RefuseReason::Limit(RiskLimit::AssetExposure)
    );
    send(&mut b, 2, &cand(0, W + 900, Outcome::Up, 15.0, 2));
    send(&mut b, 3, &cand(1, W, Outcome::Up, 15.0, 3));
    assert!((b.total_exposure_usdc() - 55.0).abs() < 1e-9);
    assert_eq!(
        refused(&b, &cand(2, W, Outcome::Up, 10.0, 4)),
        RefuseReason::Limit(RiskLimit::TotalExposure)
    );
    assert!((b.room_usdc(AssetId(2), W) - 5.0).abs() < 1e-9);
}

#[test]
fn max_open_positions_refuses_a_new_position_only() {
    let mut b = book(RiskConfig::default()); // 3 positions
    for (i, asset) in [0u8, 1, 2].into_iter().enumerate() {
        let c = cand(asset, W, Outcome::Up, 5.0, i as u64 + 1);
        send(&mut b, i as u64 + 1, &c);
        b.on_exec(&fill(i as u64 + 1, &c, 5.0), T0_MS);
    }
    assert_eq!(b.open_positions(), 3);
    let r = refused(&b, &cand(3, W, Outcome::Up, 5.0, 10));
    assert_eq!(r, RefuseReason::Limit(RiskLimit::OpenPositions));
    assert_eq!(r.name(), "max_open_positions");
    // Adding to a position already open is not a new position.
    assert!(b.check(&cand(0, W, Outcome::Up, 5.0, 11)).is_ok());
    // The other side of the same window is.
    assert_eq!(
        refused(&b, &cand(0, W, Outcome::Down, 5.0, 12)),
        RefuseReason::Limit(RiskLimit::OpenPositions)
    );
    // Settlement frees it.
    b.on_settlement(
        &Settlement {
            asset: AssetId(0),
            window_start_s: W,
            up_won: true,
            winning_tokens: 9.8,
            pnl: 4.8,
            ..Default::default()
        },
        T0_MS + 1000,
    );
    assert_eq!(b.open_positions(), 2);
    assert!(b.check(&cand(3, W, Outcome::Up, 5.0, 13)).is_ok());
}

#[test]
fn orders_per_minute_is_a_sliding_window() {
    let cfg = RiskConfig {
        max_orders_per_minute: 3,
        max_open_positions: 100,
        max_total_exposure_usdc: 1e6,
        max_asset_exposure_usdc: 1e6,
        max_window_exposure_usdc: 1e6,
        ..Default::default()
    };
    let mut b = book(cfg);
    let s = 1_000_000_000u64;
    for (i, t) in [0u64, 10, 20].into_iter().enumerate() {
        let c = cand(0, W, Outcome::Up, 1.0, t * s + 1);
        send(&mut b, i as u64 + 1, &c);
        b.release(i as u64 + 1);
    }
    let r = refused(&b, &cand(0, W, Outcome::Up, 1.0, 59 * s));
    assert_eq!(r, RefuseReason::Limit(RiskLimit::OrderRate));
    assert_eq!(r.name(), "max_orders_per_minute");
    // 60 s after the first, one slot is free again.
    assert!(b.check(&cand(0, W, Outcome::Up, 1.0, 60 * s + 2)).is_ok());
}

#[test]
fn precedence_killed_then_breaker_then_mode_then_limits() {
    let cfg = RiskConfig {
        max_consecutive_losses: 1,
        ..Default::default()
    };
    let mut b = book(cfg);
    let c = cand(0, W, Outcome::Up, 5.0, 1);
    send(&mut b, 1, &c);
    b.on_exec(&fill(1, &c, 5.0), T0_MS);
    b.on_settlement(
        &Settlement {
            asset: AssetId(0),
            window_start_s: W,
            pnl: -5.0,
            ..Default::default()
        },
        T0_MS + 1,
    );
    assert_eq!(b.halted(), Some(BreakerKind::ConsecutiveLosses));
    let mut x = cand(0, W + 900, Outcome::Up, 100.0, 2); // also over the notional limit
    x.killed = true;
    x.mode = Mode::Off;
    assert_eq!(refused(&b, &x), RefuseReason::KillSwitch);
    x.killed = false;
    let r = refused(&b, &x);
    assert_eq!(r, RefuseReason::Breaker(BreakerKind::ConsecutiveLosses));
    assert_eq!(r.skip_reason(), SkipReason::Breaker);
    assert_eq!(r.name(), "consecutive_losses");
    b.reset_all(x.wall_ms);
    assert_eq!(refused(&b, &x), RefuseReason::ModeOff);
    x.mode = Mode::Live;
    assert_eq!(
        refused(&b, &x),
        RefuseReason::Limit(RiskLimit::OrderNotional)
    );
    x.notional_usdc = 5.0;
    assert!(b.check(&x).is_ok());
}

#[test]
fn restored_positions_count_in_exposure() {
    let mut b = book(RiskConfig::default());
    b.restore_position(AssetId(2), W, Outcome::Down, 30.0);
    assert!((b.asset_exposure_usdc(AssetId(2)) - 30.0).abs() < 1e-9);
    assert_eq!(b.open_positions(), 1);
    assert!((b.room_usdc(AssetId(2), W) - 20.0).abs() < 1e-9);
}
