//! Each breaker trips with its named reason, time and message; cool-downs re-arm by
//! themselves; the daily-loss and drawdown breakers hold until the UTC day rolls or a reset.

use cassandra::pipeline::events::{AssetId, ExecReport, ExecStatus, Outcome, TokenId};
use cassandra::pipeline::shared::Mode;
use cassandra::risk::{
    BreakerEvent, BreakerKind, OrderCandidate, RefuseReason, RiskBook, RiskConfig, RiskSeed, DAY_MS,
};
use cassandra::signal::Settlement;

const T0_MS: u64 = 1_767_225_600_000 + 10 * 3_600_000; // 2026-01-01T10:00:00Z
const W: u64 = T0_MS / 1000;

fn cand(asset: u8, window: u64, wall_ms: u64) -> OrderCandidate {
    OrderCandidate {
        asset: AssetId(asset),
        outcome: Outcome::Up,
        window_start_s: window,
        notional_usdc: 5.0,
        now_ns: wall_ms * 1_000_000,
        wall_ms,
        killed: false,
        mode: Mode::Paper,
    }
}

/// Trade window `k` of asset 0 and settle it with `pnl`.
fn trade_and_settle(b: &mut RiskBook, k: u64, pnl: f64, wall_ms: u64) {
    let window = W + k * 900;
    let c = cand(0, window, wall_ms);
    let ok = b.check(&c).expect("approve");
    b.on_intent(k + 1, &ok);
    b.on_exec(
        &ExecReport {
            intent_id: k + 1,
            asset: AssetId(0),
            token: TokenId(0),
            outcome: Outcome::Up,
            status: ExecStatus::Matched,
            filled_e6: 10_000_000,
            received_e6: 9_900_000,
            cost_e6: 5_000_000,
            window_start_s: window,
            ..Default::default()
        },
        wall_ms,
    );
    b.on_settlement(
        &Settlement {
            asset: AssetId(0),
            window_start_s: window,
            pnl,
            ..Default::default()
        },
        wall_ms,
    );
}

fn events(b: &mut RiskBook) -> Vec<BreakerEvent> {
    let mut v = Vec::new();
    b.drain_events(|e| v.push(e));
    v
}

fn loose() -> RiskConfig {
    RiskConfig {
        max_orders_per_minute: 256,
        daily_loss_limit_usdc: 1e6,
        max_drawdown_frac: 1.0,
        max_consecutive_losses: 1000,
        ..Default::default()
    }
}

#[test]
fn consecutive_losses_trip_then_rearm_after_the_cooldown() {
    let cfg = RiskConfig {
        max_consecutive_losses: 3,
        loss_streak_cooldown_ms: 60_000,
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    trade_and_settle(&mut b, 0, -1.0, T0_MS);
    trade_and_settle(&mut b, 1, -1.0, T0_MS + 1);
    trade_and_settle(&mut b, 2, 2.0, T0_MS + 2); // a win resets the streak
    assert_eq!(b.consecutive_losses(), 0);
    for k in 3..6 {
        assert_eq!(b.halted(), None);
        trade_and_settle(&mut b, k, -1.0, T0_MS + 10);
    }
    assert_eq!(b.halted(), Some(BreakerKind::ConsecutiveLosses));
    let t = b.breakers().next().unwrap();
    assert_eq!(t.kind.name(), "consecutive_losses");
    assert_eq!(t.at_wall_ms, T0_MS + 10);
    assert_eq!(t.until_wall_ms, Some(T0_MS + 10 + 60_000));
    let msg = t.message();
    assert!(msg.contains("3 losing windows in a row (limit 3)"), "{msg}");
    assert!(msg.contains("re-arms at 10:01:00 UTC"), "{msg}");
    assert!(matches!(events(&mut b)[..], [BreakerEvent::Tripped(x)] if x == t));
    // Refused during the cool-down; passes after it, even before `tick`.
    assert_eq!(
        b.check(&cand(1, W, T0_MS + 59_000)).unwrap_err().reason,
        RefuseReason::Breaker(BreakerKind::ConsecutiveLosses)
    );
    assert!(b.check(&cand(1, W, T0_MS + 60_010)).is_ok());
    b.tick(T0_MS + 60_010);
    assert_eq!(b.halted(), None);
    assert_eq!(b.consecutive_losses(), 0);
    assert!(matches!(
        events(&mut b)[..],
        [BreakerEvent::Rearmed {
            kind: BreakerKind::ConsecutiveLosses,
            manual: false,
            ..
        }]
    ));
}

#[test]
fn a_settlement_without_positions_is_not_a_loss() {
    let cfg = RiskConfig {
        max_consecutive_losses: 1,
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    b.on_settlement(
        &Settlement {
            asset: AssetId(0),
            window_start_s: W,
            pnl: 0.0,
            ..Default::default()
        },
        T0_MS,
    );
    assert_eq!(b.consecutive_losses(), 0);
    assert_eq!(b.halted(), None);
}

#[test]
fn daily_loss_holds_until_the_next_utc_day() {
    let cfg = RiskConfig {
        daily_loss_limit_usdc: 10.0,
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    trade_and_settle(&mut b, 0, -6.0, T0_MS);
    assert_eq!(b.halted(), None);
    trade_and_settle(&mut b, 1, -4.5, T0_MS + 1000);
    assert_eq!(b.halted(), Some(BreakerKind::DailyLoss));
    let t = b.breakers().next().unwrap();
    let next_day = (T0_MS / DAY_MS + 1) * DAY_MS;
    assert_eq!(t.until_wall_ms, Some(next_day));
    assert!((t.observed - 10.5).abs() < 1e-9 && t.limit == 10.0);
    assert!(t
        .message()
        .starts_with("daily_loss: realized loss today 10.50 USDC"));
    // Hours later, same day: still halted (no cool-down).
    b.tick(next_day - 1);
    assert_eq!(b.halted(), Some(BreakerKind::DailyLoss));
    // The day rolls: re-armed, today's PnL starts again.
    b.tick(next_day);
    assert_eq!(b.halted(), None);
    assert_eq!(b.day_realized_pnl_usdc(), 0.0);
    trade_and_settle(&mut b, 2, -9.0, next_day + 5);
    assert_eq!(b.halted(), None);
}

#[test]
fn daily_loss_manual_reset_restarts_the_day_count() {
    let cfg = RiskConfig {
        daily_loss_limit_usdc: 10.0,
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    trade_and_settle(&mut b, 0, -11.0, T0_MS);
    assert_eq!(b.halted(), Some(BreakerKind::DailyLoss));
    assert!(b.reset(BreakerKind::DailyLoss, T0_MS + 5));
    assert!(!b.reset(BreakerKind::DailyLoss, T0_MS + 6));
    assert_eq!(b.halted(), None);
    let ev = events(&mut b);
    assert!(matches!(
        ev.last(),
        Some(BreakerEvent::Rearmed {
            kind: BreakerKind::DailyLoss,
            manual: true,
            ..
        })
    ));
    trade_and_settle(&mut b, 1, -2.0, T0_MS + 10);
    assert_eq!(b.halted(), None);
}

#[test]
fn drawdown_from_the_equity_peak_trips() {
    let cfg = RiskConfig {
        max_drawdown_frac: 0.20,
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 100.0, T0_MS);
    trade_and_settle(&mut b, 0, 25.0, T0_MS); // peak 125
    assert_eq!(b.peak_equity_usdc(), 125.0);
    trade_and_settle(&mut b, 1, -20.0, T0_MS + 1); // 105: 16%
    assert_eq!(b.halted(), None);
    trade_and_settle(&mut b, 2, -5.0, T0_MS + 2); // 100: 20%
    assert_eq!(b.halted(), Some(BreakerKind::Drawdown));
    let t = b.breakers().next().unwrap();
    assert_eq!(t.kind.name(), "max_drawdown");
    assert!((t.observed - 0.2).abs() < 1e-9);
    assert!(
        t.message().contains("20.0% below its peak"),
        "{}",
        t.message()
    );
    // Manual reset takes today's equity as the new peak.
    b.reset(BreakerKind::Drawdown, T0_MS + 3);
    assert_eq!(b.peak_equity_usdc(), 100.0);
    assert_eq!(b.halted(), None);
}

#[test]
fn venue_errors_trip_on_n_rejects_in_the_span() {
    let cfg = RiskConfig {
        venue_error_max: 3,
        venue_error_window_ms: 10_000,
        venue_error_cooldown_ms: 30_000,
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    let reject = |b: &mut RiskBook, id: u64, wall_ms: u64| {
        let ok = b.check(&cand(0, W, wall_ms)).expect("approve");
        b.on_intent(id, &ok);
        b.on_exec(
            &ExecReport {
                intent_id: id,
                asset: AssetId(0),
                status: ExecStatus::Rejected,
                window_start_s: W,
                ..Default::default()
            },
            wall_ms,
        );
    };
    reject(&mut b, 1, T0_MS);
    reject(&mut b, 2, T0_MS + 5_000);
    reject(&mut b, 3, T0_MS + 10_500); // the first is out of the span
    assert_eq!(b.halted(), None);
    // A reject for an intent never in flight (a local veto) does not count.
    b.on_exec(
        &ExecReport {
            intent_id: 99,
            status: ExecStatus::Rejected,
            ..Default::default()
        },
        T0_MS + 11_000,
    );
    assert_eq!(b.halted(), None);
    reject(&mut b, 4, T0_MS + 12_000);
    assert_eq!(b.halted(), Some(BreakerKind::VenueErrors));
    let t = b.breakers().next().unwrap();
    assert_eq!(t.until_wall_ms, Some(T0_MS + 42_000));
    assert!(
        t.message().starts_with("venue_errors: 3 rejects"),
        "{}",
        t.message()
    );
    b.tick(T0_MS + 42_000);
    assert_eq!(b.halted(), None);
    // The count starts afresh after re-arming.
    reject(&mut b, 5, T0_MS + 42_001);
    assert_eq!(b.halted(), None);
}

#[test]
fn stale_feed_trips_and_rearms_when_fresh() {
    let cfg = RiskConfig {
        max_binance_silence_ms: 2_000,
        max_polymarket_silence_ms: 5_000,
        max_chainlink_silence_ms: 0, // not checked
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    b.on_feed_ages([100, 4_000, 999_999], T0_MS);
    assert_eq!(b.halted(), None);
    // Never heard from: not judged here.
    b.on_feed_ages([u64::MAX, 100, 0], T0_MS);
    assert_eq!(b.halted(), None);
    b.on_feed_ages([100, 6_000, 0], T0_MS + 1);
    assert_eq!(b.halted(), Some(BreakerKind::StaleFeed));
    let t = b.breakers().next().unwrap();
    assert_eq!(t.until_wall_ms, None);
    assert_eq!(
        t.message(),
        "stale_feed: polymarket silent for 6000 ms (limit 5000 ms); re-arms when it is fresh again"
    );
    // No cool-down: time alone does not re-arm it.
    b.tick(T0_MS + 3_600_000);
    assert_eq!(b.halted(), Some(BreakerKind::StaleFeed));
    assert_eq!(
        b.check(&cand(0, W, T0_MS + 3_600_000)).unwrap_err().reason,
        RefuseReason::Breaker(BreakerKind::StaleFeed)
    );
    b.on_feed_ages([100, 100, 0], T0_MS + 3_600_001);
    assert_eq!(b.halted(), None);
    let ev = events(&mut b);
    assert_eq!(ev.len(), 2);
}

#[test]
fn several_breakers_report_in_order() {
    let cfg = RiskConfig {
        max_consecutive_losses: 1,
        daily_loss_limit_usdc: 1.0,
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    trade_and_settle(&mut b, 0, -2.0, T0_MS);
    let kinds: Vec<_> = b.breakers().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [BreakerKind::DailyLoss, BreakerKind::ConsecutiveLosses]
    );
    assert_eq!(b.halted(), Some(BreakerKind::DailyLoss));
    // Serialised for the API with its message.
    let json = serde_json::to_value(b.breakers().next().unwrap()).unwrap();
    assert_eq!(json["kind"], "daily_loss");
    assert!(json["message"].as_str().unwrap().contains("daily_loss"));
}

#[test]
fn a_seed_from_the_journal_keeps_todays_loss_and_streak() {
    let cfg = RiskConfig {
        daily_loss_limit_usdc: 10.0,
        max_consecutive_losses: 3,
        ..loose()
    };
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    b.seed(
        &RiskSeed {
            equity_usdc: 988.0,
            peak_equity_usdc: 1000.0,
            day_index: T0_MS / DAY_MS,
            day_realized_pnl_usdc: -12.0,
            consecutive_losses: 2,
        },
        T0_MS,
    );
    assert_eq!(b.halted(), Some(BreakerKind::DailyLoss));
    assert_eq!(b.consecutive_losses(), 2);
    // Yesterday's loss does not count today.
    let mut b = RiskBook::new(cfg, 1000.0, T0_MS);
    b.seed(
        &RiskSeed {
            equity_usdc: 988.0,
            peak_equity_usdc: 1000.0,
            day_index: T0_MS / DAY_MS - 1,
            day_realized_pnl_usdc: -12.0,
            consecutive_losses: 0,
        },
        T0_MS,
    );
    assert_eq!(b.halted(), None);
}

#[test]
fn breaker_names_are_stable() {
    let names: Vec<_> = BreakerKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(
        names,
        [
            "daily_loss",
            "max_drawdown",
            "consecutive_losses",
            "venue_errors",
            "stale_feed"
        ]
    );
    for k in BreakerKind::ALL {
        assert_eq!(BreakerKind::from_name(k.name()), Some(k));
    }
}
