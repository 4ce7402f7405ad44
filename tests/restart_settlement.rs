//! Positions restored from the journal always settle: a window that ended while the process
//! was down is written off and flagged `unresolved` (its slot and exposure freed, so trading
//! goes on), one that ended during a short restart settles from the Chainlink price at its
//! end, and a window whose end the oracle missed settles flagged `stale`. The journal keeps
//! the flag, and a second restore agrees with the engine's account.

mod journal_common;

use cassandra::journal::{Journal, JournalEvent, JournalWriter, SignalRecord};
use cassandra::pipeline::control::WindowSpec;
use cassandra::pipeline::events::{AssetId, OraclePrice, Outcome, PolyEvent, TokenId};
use cassandra::pipeline::registry::AssetTable;
use cassandra::pipeline::shared::Mode;
use cassandra::risk::{OrderCandidate, RiskConfig};
use cassandra::signal::{Engine, SettleSource, Settlement, SignalSnapshot, StrategyConfig};
use journal_common::*;

const LEN_S: u64 = 900;

fn engine() -> Engine {
    let strategy = StrategyConfig {
        max_open_positions: 1,
        ..Default::default()
    };
    let risk = RiskConfig {
        max_open_positions: 1,
        ..Default::default()
    };
    Engine::new(strategy, risk, &assets(), T0_MS)
}

fn assets() -> AssetTable {
    AssetTable::from_names(&["BTC", "ETH"]).unwrap()
}

/// A journal holding one filled BTC UP position in `window` (cost 5.2, 9.85 tokens) and,
/// when `strike` is given, a journaled decision of that window carrying it.
fn journal_with_position(tag: &str, window: u64, strike: Option<f64>) -> std::path::PathBuf {
    let dir = temp_dir(tag);
    let path = dir.join("journal.db");
    let (tx, handle) = JournalWriter::spawn(Journal::open(&path).unwrap()).unwrap();
    let mut paper = cassandra::signal::account::PaperAccount::new(1000.0);
    tx.send(account(paper.snapshot(T0_MS)));
    let r = report(1, 0, 0, Outcome::Up, window, 5_200_000, 9_850_000);
    tx.send(order(1, 0, 0, Outcome::Up, window));
    tx.send(exec(&r));
    paper.apply(&r);
    if let Some(k) = strike {
        tx.send(JournalEvent::Signal(SignalRecord {
            snapshot: SignalSnapshot {
                asset: AssetId(0),
                wall_ms: window * 1000 + 10_000,
                window_start_s: window,
                strike: k,
                ..Default::default()
            },
            asset: "BTC".into(),
        }));
    }
    tx.send(account(paper.snapshot(T0_MS + 1)));
    drop(tx);
    drop(handle.join().unwrap());
    path
}

/// A new position in another asset's window: refused while the open-position limit is
/// taken.
fn new_position_in(window: u64, wall_ms: u64) -> OrderCandidate {
    OrderCandidate {
        asset: AssetId(1),
        outcome: Outcome::Down,
        window_start_s: window,
        notional_usdc: 5.0,
        now_ns: 1,
        wall_ms,
        killed: false,
        mode: Mode::Paper,
    }
}

#[test]
fn a_window_that_ended_while_down_is_written_off_flagged_and_frees_its_slot() {
    let now_ms = T0_MS + 5 * 3600 * 1000; // five hours after the window opened
    let path = journal_with_position("zombie", W, Some(97_000.0));
    let restored = Journal::open(&path).unwrap().restore(1000.0).unwrap();
    assert_eq!(restored.positions.len(), 1);
    assert_eq!(restored.positions[0].strike, 97_000.0);

    let mut e = engine();
    restored.seed_engine(&mut e, &assets(), LEN_S, now_ms);
    assert_eq!(e.account.positions().count(), 1);
    // With one open position allowed, the restored one blocks a new window's order...
    let current = now_ms / 1000 / LEN_S * LEN_S;
    let c = new_position_in(current, now_ms);
    assert!(
        e.risk.check(&c).is_err(),
        "the restored position should count"
    );

    // ...until the first tick settles it: no price from its time is known.
    let mut out: Vec<Settlement> = Vec::new();
    e.tick(now_ms, |s| out.push(s));
    assert_eq!(out.len(), 1, "{out:?}");
    let s = out[0];
    assert_eq!(s.source, SettleSource::Unresolved);
    assert_eq!((s.asset, s.window_start_s), (AssetId(0), W));
    assert!((s.pnl + 5.2).abs() < 1e-9, "written off at its cost: {s:?}");
    assert_eq!(e.account.positions().count(), 0);
    assert!((e.account.realized_pnl + 5.2).abs() < 1e-9);
    assert_eq!(e.account.losses, 1);
    assert!(e.risk.check(&c).is_ok(), "the slot must be free again");
    // It does not settle twice.
    e.tick(now_ms + 60_000, |s| out.push(s));
    assert_eq!(out.len(), 1);

    // The journal keeps the flag; the next restore agrees with the engine.
    let mut j = Journal::open(&path).unwrap();
    j.write(&settled(&s, now_ms)).unwrap();
    let flag: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT price_source FROM settlements", [], |r| r.get(0))
        .unwrap();
    assert_eq!(flag, "unresolved");
    let again = j.restore(1000.0).unwrap();
    assert!(again.positions.is_empty(), "{:?}", again.positions);
    let a = again.account.unwrap();
    assert!(
        (a.realized_pnl - e.account.realized_pnl).abs() < 1e-9,
        "{a:?}"
    );
    assert!((a.cash - e.account.cash).abs() < 1e-9, "{a:?}");
    assert_eq!((a.settled, a.losses), (1, 1));
}

#[test]
fn a_window_that_ended_during_a_short_restart_settles_from_the_oracle() {
    // Restarted 2 s after the window's end; Chainlink's price at the end comes in.
    let end_ms = (W + LEN_S) * 1000;
    let now_ms = end_ms + 2_000;
    let path = journal_with_position("short", W, Some(97_000.0));
    let restored = Journal::open(&path).unwrap().restore(1000.0).unwrap();
    let mut e = engine();
    restored.seed_engine(&mut e, &assets(), LEN_S, now_ms);
    let mut out = Vec::new();
    e.tick(now_ms, |s| out.push(s));
    assert!(out.is_empty(), "still inside the settle grace: {out:?}");
    let oracle = |ts: u64, price: f64| {
        PolyEvent::Oracle(OraclePrice {
            asset: AssetId(0),
            price_e8: (price * 1e8) as i64,
            venue_ts_ms: ts,
            stamps: Default::default(),
        })
    };
    e.on_poly(&oracle(end_ms + 400, 97_050.0), 1, now_ms + 100);
    e.tick(now_ms + 200, |s| out.push(s));
    assert_eq!(out.len(), 1);
    let s = out[0];
    assert_eq!(s.source, SettleSource::Oracle);
    assert!(s.up_won && (s.end_price - 97_050.0).abs() < 1e-6, "{s:?}");
    assert!((s.pnl - (9.85 - 5.2)).abs() < 1e-9, "{s:?}");
    assert!((e.account.cash - (1000.0 - 5.2 + 9.85)).abs() < 1e-9);
}

#[test]
fn todays_price_never_settles_a_window_restored_long_after_its_end() {
    // A Chainlink price hours after the end must not decide the window.
    let now_ms = T0_MS + 3 * 3600 * 1000;
    let path = journal_with_position("late-price", W, Some(97_000.0));
    let restored = Journal::open(&path).unwrap().restore(1000.0).unwrap();
    let mut e = engine();
    restored.seed_engine(&mut e, &assets(), LEN_S, now_ms);
    e.on_poly(
        &PolyEvent::Oracle(OraclePrice {
            asset: AssetId(0),
            price_e8: 99_000 * 100_000_000,
            venue_ts_ms: now_ms,
            stamps: Default::default(),
        }),
        1,
        now_ms,
    );
    let mut out = Vec::new();
    e.tick(now_ms + 10, |s| out.push(s));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].source, SettleSource::Unresolved, "{:?}", out[0]);
}

#[test]
fn a_window_restored_mid_way_is_traded_again_once_discovery_announces_it() {
    // Restart in the middle of the window: discovery's announcement must attach its tokens
    // (the restored window has none) and keep the journaled strike.
    let now_ms = T0_MS + 300_000;
    let path = journal_with_position("mid", W, Some(97_000.0));
    let restored = Journal::open(&path).unwrap().restore(1000.0).unwrap();
    let mut e = engine();
    restored.seed_engine(&mut e, &assets(), LEN_S, now_ms);
    e.control(
        cassandra::pipeline::control::SignalControl::Window(WindowSpec {
            asset: AssetId(0),
            start_s: W,
            end_s: W + LEN_S,
            up: TokenId(0),
            down: TokenId(1),
            tick_e4: 100,
            min_size_e6: 5_000_000,
            fees: Default::default(),
            neg_risk: false,
            settle: Default::default(),
        }),
        now_ms,
    );
    assert_eq!(e.token_outcome(TokenId(0)), Some(Outcome::Up));
    assert_eq!(e.token_outcome(TokenId(1)), Some(Outcome::Down));
}

#[test]
fn an_oracle_outage_at_the_end_settles_flagged_stale() {
    // Watched the whole window; Chainlink went silent 30 s before the end.
    let end_ms = (W + LEN_S) * 1000;
    let mut e = engine();
    e.control(
        cassandra::pipeline::control::SignalControl::Window(WindowSpec {
            asset: AssetId(0),
            start_s: W,
            end_s: W + LEN_S,
            up: TokenId(0),
            down: TokenId(1),
            tick_e4: 100,
            min_size_e6: 5_000_000,
            fees: Default::default(),
            neg_risk: false,
            settle: Default::default(),
        }),
        T0_MS,
    );
    for (ts, p) in [(T0_MS + 500, 97_000.0), (end_ms - 30_000, 96_990.0)] {
        e.on_poly(
            &PolyEvent::Oracle(OraclePrice {
                asset: AssetId(0),
                price_e8: (p * 1e8) as i64,
                venue_ts_ms: ts,
                stamps: Default::default(),
            }),
            1,
            ts,
        );
    }
    let mut out = Vec::new();
    e.tick(end_ms + 1_000, |s| out.push(s));
    assert!(out.is_empty());
    e.tick(end_ms + 5_000, |s| out.push(s));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].source, SettleSource::Stale, "{:?}", out[0]);
    assert!(!out[0].up_won);

    // The journal says so.
    let dir = temp_dir("stale");
    let mut j = Journal::open(dir.join("j.db")).unwrap();
    j.write(&settled(&out[0], end_ms + 5_000)).unwrap();
    let flag: String = rusqlite::Connection::open(dir.join("j.db"))
        .unwrap()
        .query_row("SELECT price_source FROM settlements", [], |r| r.get(0))
        .unwrap();
    assert_eq!(flag, "stale");
}

#[test]
fn a_version_1_journal_is_migrated_and_its_settlements_read_as_oracle() {
    let dir = temp_dir("v1");
    let path = dir.join("j.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        let v1 = cassandra::journal::schema::CREATE_V1.replace(",\n    price_source TEXT", "");
        c.execute_batch(&v1).unwrap();
        c.execute_batch("PRAGMA user_version = 1;").unwrap();
        c.execute(
            "INSERT INTO settlements (wall_ms, asset, asset_idx, window_start_s, up_won,
                strike_fallback) VALUES (1, 'BTC', 0, 900, 1, 0)",
            [],
        )
        .unwrap();
    }
    let j = Journal::open(&path).unwrap();
    let r = j.restore(1000.0).unwrap();
    assert!(r.account.is_some());
    let v: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, cassandra::journal::SCHEMA_VERSION);
}

#[test]
fn a_fresh_journal_seeds_the_risk_book_at_the_start_cash() {
    let dir = temp_dir("fresh");
    let j = Journal::open(dir.join("j.db")).unwrap();
    let r = j.restore(1000.0).unwrap();
    assert!(r.account.is_none(), "nothing journaled yet");
    assert_eq!(
        (r.risk.equity_usdc, r.risk.peak_equity_usdc),
        (1000.0, 1000.0)
    );
    let mut e = engine();
    let now = T0_MS;
    r.seed_engine(&mut e, &assets(), LEN_S, now);
    // A win then a smaller loss: realized PnL positive, nowhere near a 20% drawdown.
    for (i, pnl) in [2.0, -1.5].into_iter().enumerate() {
        e.risk.on_settlement(
            &Settlement {
                asset: AssetId(0),
                window_start_s: W + i as u64 * LEN_S,
                pnl,
                ..Default::default()
            },
            now + i as u64,
        );
    }
    assert_eq!(
        e.risk.halted_at(now + 2),
        None,
        "{:?}",
        e.risk.halted_at(now + 2)
    );
    assert_eq!(e.account.cash, 1000.0);
}
