//! Events written through the writer thread come back from `restore` after a reopen: the same
//! paper account, open positions (by venue token id), kill switch, mode and risk state.

mod journal_common;

use cassandra::journal::{ControlAction, Journal, JournalEvent, JournalWriter, SignalRecord};
use cassandra::pipeline::events::{AssetId, ExecStatus, Outcome, TokenId};
use cassandra::pipeline::shared::Mode;
use cassandra::risk::{BreakerKind, BreakerTrip, RiskBook, RiskConfig, DAY_MS};
use cassandra::signal::account::PaperAccount;
use cassandra::signal::{Settlement, SignalSnapshot};
use cassandra::strategy::gates::SkipReason;
use journal_common::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn restore_gives_back_account_positions_and_kill_switch() {
    let dir = temp_dir("restore");
    let path = dir.join("journal.db");
    let journal = Journal::open(&path).unwrap();
    let (tx, handle) = JournalWriter::spawn(journal).unwrap();

    // The same story in a paper account and in the journal.
    let mut paper = PaperAccount::new(1000.0);
    tx.send(account(paper.snapshot(T0_MS)));
    let fills = [
        report(1, 0, 0, Outcome::Up, W, 5_200_000, 9_850_000),
        report(2, 1, 3, Outcome::Down, W, 4_000_000, 7_700_000),
        report(3, 0, 0, Outcome::Up, W, 2_600_000, 4_900_000), // adds to the BTC position
        report(4, 2, 5, Outcome::Up, W + 900, 3_000_000, 5_800_000),
    ];
    for (i, r) in fills.iter().enumerate() {
        tx.send(order(
            r.intent_id,
            r.asset.0,
            r.token.0,
            r.outcome,
            r.window_start_s,
        ));
        tx.send(exec(r));
        paper.apply(r);
        if i == 1 {
            // An order that did not fill changes nothing.
            let mut none = report(9, 3, 7, Outcome::Up, W, 0, 0);
            none.status = ExecStatus::Unmatched;
            none.filled_e6 = 0;
            tx.send(exec(&none));
        }
    }
    // BTC's and ETH's windows settle: UP won.
    for asset in [0u8, 1] {
        let (paid, pnl) = paper.settle(AssetId(asset), W, true);
        let s = Settlement {
            asset: AssetId(asset),
            window_start_s: W,
            strike: 100.0,
            end_price: 101.0,
            up_won: true,
            winning_tokens: paid,
            pnl,
            strike_fallback: false,
            source: cassandra::signal::SettleSource::Oracle,
        };
        tx.send(settled(&s, T0_MS + 900_000));
    }
    tx.send(account(paper.snapshot(T0_MS + 900_001)));
    tx.send(JournalEvent::Control {
        wall_ms: T0_MS + 5,
        action: ControlAction::KillSwitch {
            active: true,
            reason: "operator: test".into(),
        },
    });
    tx.send(JournalEvent::Control {
        wall_ms: T0_MS + 6,
        action: ControlAction::Mode {
            mode: Mode::Shadow,
            reason: "api".into(),
        },
    });
    tx.send(JournalEvent::Control {
        wall_ms: T0_MS + 7,
        action: ControlAction::BreakerTripped(BreakerTrip {
            kind: BreakerKind::VenueErrors,
            at_wall_ms: T0_MS + 7,
            until_wall_ms: Some(T0_MS + 300_007),
            observed: 5.0,
            limit: 5.0,
            feed: 0,
        }),
    });
    tx.send(JournalEvent::Signal(SignalRecord {
        snapshot: SignalSnapshot {
            asset: AssetId(0),
            wall_ms: T0_MS,
            p_up: f64::NAN,
            skip: Some(SkipReason::Cooldown),
            ..Default::default()
        },
        asset: "BTC".into(),
    }));
    assert_eq!(tx.dropped(), 0);
    let counters = tx.counters().clone();
    drop(tx);
    let journal = handle.join().unwrap();
    assert_eq!(
        counters
            .failed_batches
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    assert_eq!(journal.journal_mode().unwrap(), "wal");
    drop(journal);

    // Reopen as a new process would.
    let j = Journal::open(&path).unwrap();
    let r = j.restore(1000.0).unwrap();
    let a = r.account.clone().expect("account");
    assert!(close(a.start_cash, paper.start_cash));
    assert!(close(a.cash, paper.cash), "{} vs {}", a.cash, paper.cash);
    assert!(close(a.realized_pnl, paper.realized_pnl));
    assert!(close(a.fees_paid, paper.fees_paid));
    assert_eq!(
        (a.settled, a.wins, a.losses),
        (paper.settled, paper.wins, paper.losses)
    );
    assert_eq!((a.wins, a.losses), (1, 1));

    // Settled positions are gone; the SOL position of the next window is open.
    assert_eq!(r.positions.len(), 1);
    let p = &r.positions[0];
    let q = paper.positions().next().unwrap();
    assert_eq!(p.asset, "SOL");
    assert_eq!(p.asset_idx, 2);
    assert_eq!(p.token_id, token_id(5));
    assert_eq!(p.token_slot, 5);
    assert_eq!(p.outcome, Outcome::Up);
    assert_eq!(p.window_start_s, W + 900);
    assert!(close(p.tokens, q.tokens) && close(p.cost, q.cost));

    assert!(r.kill_switch.active);
    assert_eq!(r.kill_switch.reason, "operator: test");
    assert_eq!(r.mode, Some(Mode::Shadow));
    assert_eq!(r.last_snapshot, Some(paper.snapshot(T0_MS + 900_001)));

    // The paper account rebuilt from it matches, positions mapped to this run's slots.
    let rebuilt = r
        .paper_account(|p| (p.token_id == token_id(5)).then_some(TokenId(11)))
        .unwrap();
    assert!(close(rebuilt.cash, paper.cash));
    let rp = rebuilt.positions().next().unwrap();
    assert_eq!(rp.token, TokenId(11));
    assert!(close(rp.tokens, q.tokens) && close(rp.cost, q.cost));
    assert!(close(rebuilt.open_cost(), paper.open_cost()));

    // The risk seed: equity and the day's PnL from the settlements.
    let seed = r.risk;
    assert!(close(seed.equity_usdc, 1000.0 + paper.realized_pnl));
    assert_eq!(seed.day_index, (T0_MS + 900_000) / DAY_MS);
    assert!(close(seed.day_realized_pnl_usdc, paper.realized_pnl));
    assert_eq!(seed.consecutive_losses, 1); // ETH's DOWN position lost last
    let mut book = RiskBook::new(RiskConfig::default(), 1000.0, T0_MS + 900_002);
    book.seed(&seed, T0_MS + 900_002);
    assert_eq!(book.halted(), None);

    // Read helpers for the API.
    assert_eq!(j.count("signals").unwrap(), 1);
    assert_eq!(j.count("control_actions").unwrap(), 3);
    let o = j.recent_orders(2).unwrap();
    assert_eq!(o.len(), 2);
    assert_eq!(o[0].intent_id, 4);
    assert_eq!(o[0].token_id, token_id(5));
    let f = j.recent_fills(10).unwrap();
    assert_eq!(f.len(), 4);
    assert_eq!(f[0].intent_id, 4);
    assert_eq!(j.recent_responses(10).unwrap().len(), 5);
    assert!(j.count("nope").is_err());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_fresh_journal_restores_nothing() {
    let dir = temp_dir("fresh");
    let j = Journal::open(dir.join("j.db")).unwrap();
    let r = j.restore(1000.0).unwrap();
    assert!(r.account.is_none());
    assert!(r.positions.is_empty());
    assert!(!r.kill_switch.active);
    assert_eq!(r.mode, None);
    drop(j);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_last_kill_switch_action_wins() {
    let dir = temp_dir("kill");
    let path = dir.join("j.db");
    let mut j = Journal::open(&path).unwrap();
    for (i, active) in [true, false, true, false].into_iter().enumerate() {
        j.write(&JournalEvent::Control {
            wall_ms: T0_MS + i as u64,
            action: ControlAction::KillSwitch {
                active,
                reason: format!("step {i}"),
            },
        })
        .unwrap();
    }
    drop(j);
    let r = Journal::open(&path).unwrap().restore(1000.0).unwrap();
    assert!(!r.kill_switch.active);
    assert_eq!(r.kill_switch.reason, "step 3");
    assert_eq!(r.kill_switch.wall_ms, T0_MS + 3);
    let _ = std::fs::remove_dir_all(dir);
}
