//! The writer never blocks its producer: a full channel drops and counts; what was queued is
//! written in batches, and settling a window removes its positions from the restore.

mod journal_common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::journal::{Journal, JournalEvent, JournalWriter, WriterConfig};
use cassandra::pipeline::events::{AssetId, Outcome};
use cassandra::signal::{AccountSnapshot, Settlement};
use journal_common::*;

#[test]
fn a_full_channel_drops_and_counts() {
    let dir = temp_dir("full");
    let path = dir.join("j.db");
    let journal = Journal::open(&path).unwrap();
    let (tx, rx) = JournalWriter::channel(4);
    let mut sent = 0;
    for i in 0..10u64 {
        if tx.send(JournalEvent::Account(AccountSnapshot {
            wall_ms: T0_MS + i,
            start_cash: 1000.0,
            cash: 1000.0,
            ..Default::default()
        })) {
            sent += 1;
        }
    }
    assert_eq!(sent, 4);
    assert_eq!(tx.dropped(), 6);
    let cfg = WriterConfig {
        capacity: 4,
        batch_max: 3,
        flush_every: Duration::from_millis(5),
    };
    let h = JournalWriter::start(journal, rx, cfg).unwrap();
    let counters = tx.counters().clone();
    drop(tx);
    let j = h.join().unwrap();
    assert_eq!(j.count("account_snapshots").unwrap(), 4);
    assert_eq!(counters.written.load(Ordering::Relaxed), 4);
    assert!(counters.batches.load(Ordering::Relaxed) >= 2);
    assert_eq!(counters.dropped.load(Ordering::Relaxed), 6);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn events_are_flushed_within_the_interval_while_running() {
    let dir = temp_dir("interval");
    let path = dir.join("j.db");
    let (tx, h) = JournalWriter::spawn(Journal::open(&path).unwrap()).unwrap();
    tx.send(order(1, 0, 0, Outcome::Up, W));
    // Readers see it without the writer stopping.
    let reader = Journal::open_read_only(&path).unwrap();
    let mut seen = 0;
    for _ in 0..100 {
        seen = reader.count("orders").unwrap();
        if seen == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(seen, 1);
    drop(tx);
    h.join().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn settlement_removes_positions_from_the_restore() {
    let dir = temp_dir("settle");
    let path = dir.join("j.db");
    let mut j = Journal::open(&path).unwrap();
    j.write(&account(AccountSnapshot {
        start_cash: 500.0,
        cash: 500.0,
        ..Default::default()
    }))
    .unwrap();
    let a = report(1, 0, 2, Outcome::Down, W, 4_000_000, 7_800_000);
    let b = report(2, 0, 4, Outcome::Up, W + 900, 4_000_000, 7_800_000);
    j.write_batch(&[exec(&a), exec(&b)]).unwrap();
    let r = j.restore(1000.0).unwrap();
    assert_eq!(r.positions.len(), 2);
    assert!((r.account.as_ref().unwrap().cash - 492.0).abs() < 1e-9);
    // The first window settles DOWN: the position pays 7.8.
    j.write(&settled(
        &Settlement {
            asset: AssetId(0),
            window_start_s: W,
            up_won: false,
            winning_tokens: 7.8,
            pnl: 3.8,
            ..Default::default()
        },
        T0_MS + 900_000,
    ))
    .unwrap();
    drop(j);
    let r = Journal::open(&path).unwrap().restore(1000.0).unwrap();
    assert_eq!(r.positions.len(), 1);
    assert_eq!(r.positions[0].window_start_s, W + 900);
    let acct = r.account.unwrap();
    assert!((acct.cash - 499.8).abs() < 1e-9, "{}", acct.cash);
    assert!((acct.realized_pnl - 3.8).abs() < 1e-9);
    assert_eq!((acct.settled, acct.wins, acct.losses), (1, 1, 0));
    assert_eq!(r.risk.consecutive_losses, 0);
    assert!((r.risk.equity_usdc - 503.8).abs() < 1e-9);
    let _ = std::fs::remove_dir_all(dir);
}
