//! The risk book allocates nothing per event: a counting global allocator (per thread) sees
//! zero allocations across checks, intents, fills, rejects, settlements, feed ages, ticks,
//! trips, re-arms and resets.

mod alloc_count;
use alloc_count::allocs;

use cassandra::pipeline::events::{AssetId, ExecReport, ExecStatus, Outcome, TokenId};
use cassandra::pipeline::shared::Mode;
use cassandra::risk::{BreakerKind, OrderCandidate, RiskBook, RiskConfig};
use cassandra::signal::Settlement;

#[test]
fn the_risk_book_allocates_nothing_per_event() {
    let cfg = RiskConfig {
        max_consecutive_losses: 3,
        loss_streak_cooldown_ms: 10_000,
        venue_error_max: 4,
        daily_loss_limit_usdc: 50.0,
        ..Default::default()
    };
    let t0 = 1_767_225_600_000u64;
    let mut b = RiskBook::new(cfg, 1000.0, t0);

    let before = allocs();
    let (mut approved, mut refused, mut trips) = (0u32, 0u32, 0u32);
    for i in 0..20_000u64 {
        let wall = t0 + i * 700; // crosses a UTC day roll
        let now_ns = wall * 1_000_000;
        let asset = AssetId((i % 4) as u8);
        let window = (wall / 1000 / 900) * 900;
        let outcome = if i % 2 == 0 {
            Outcome::Up
        } else {
            Outcome::Down
        };
        let c = OrderCandidate {
            asset,
            outcome,
            window_start_s: window,
            notional_usdc: 3.0 + (i % 5) as f64,
            now_ns,
            wall_ms: wall,
            killed: i % 97 == 0,
            mode: if i % 89 == 0 { Mode::Off } else { Mode::Paper },
        };
        let _ = b.room_usdc(asset, window);
        match b.check(&c) {
            Ok(ok) => {
                approved += 1;
                b.on_intent(i + 1, &ok);
                let status = match i % 7 {
                    0 => ExecStatus::Rejected,
                    1 => ExecStatus::Unmatched,
                    _ => ExecStatus::Matched,
                };
                b.on_exec(
                    &ExecReport {
                        intent_id: i + 1,
                        asset,
                        token: TokenId((i % 64) as u16),
                        outcome,
                        status,
                        filled_e6: if status == ExecStatus::Matched {
                            5_000_000
                        } else {
                            0
                        },
                        received_e6: 4_900_000,
                        cost_e6: 2_500_000,
                        window_start_s: window,
                        ..Default::default()
                    },
                    wall,
                );
            }
            Err(r) => {
                refused += 1;
                let _ = r.reason.name();
                let _ = r.reason.skip_reason();
            }
        }
        if i % 50 == 49 {
            b.on_settlement(
                &Settlement {
                    asset,
                    window_start_s: window.saturating_sub(900),
                    pnl: if i % 3 == 0 { 4.0 } else { -3.0 },
                    ..Default::default()
                },
                wall,
            );
        }
        b.on_feed_ages([if i % 500 < 10 { 60_000 } else { 10 }, 10, 10], wall);
        if i % 70 == 0 {
            b.tick(wall);
        }
        if i % 3000 == 0 {
            b.reset(BreakerKind::DailyLoss, wall);
        }
        let _ = b.halted();
        let _ = b.halted_at(wall);
        trips += b.breakers().count() as u32;
        b.drain_events(|e| {
            let _ = e;
        });
    }
    let after = allocs();
    assert_eq!(after - before, 0, "allocations on the risk path");
    assert!(
        approved > 100 && refused > 100 && trips > 0,
        "{approved} {refused} {trips}"
    );
}
