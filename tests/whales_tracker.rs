//! The whale tracker without I/O: de-duplication across overlapping polls, the 15-minute
//! filter, the age cut, the large flag and the per-wallet bias.

use std::collections::BTreeMap;

use cassandra::control::whales::bias::{apply, expire};
use cassandra::control::whales::{
    DataApiTrade, TradeSide, Wallet, WhaleOutcome, WhaleStats, WhaleTracker, WhalesConfig,
};

const NOW: u64 = 1_767_226_000;
const START: u64 = 1_767_225_600;

fn wallet() -> Wallet {
    Wallet {
        name: "gabagool22".into(),
        address: "0x6031b6eed1c97e853c6e0f03ad3ce3529351f96d".into(),
        enabled: true,
    }
}

fn row(
    tx: &str,
    slug: &str,
    side: &str,
    outcome: &str,
    price: f64,
    size: f64,
    ts: u64,
) -> DataApiTrade {
    DataApiTrade {
        proxy_wallet: wallet().address,
        side: side.into(),
        asset: format!("token-{outcome}"),
        condition_id: "0xc".into(),
        size,
        price,
        timestamp: ts as f64,
        slug: slug.into(),
        event_slug: slug.into(),
        outcome: outcome.into(),
        outcome_index: if outcome == "Up" { 0.0 } else { 1.0 },
        transaction_hash: tx.into(),
        ..DataApiTrade::default()
    }
}

fn btc() -> String {
    format!("btc-updown-15m-{START}")
}

#[test]
fn overlapping_polls_publish_each_trade_once() {
    let cfg = WhalesConfig::default();
    let mut t = WhaleTracker::new(&cfg);
    let stats = WhaleStats::default();
    let a = row("0xa", &btc(), "BUY", "Up", 0.6, 100.0, NOW - 30);
    let b = row("0xb", &btc(), "BUY", "Down", 0.4, 100.0, NOW - 20);
    let c = row("0xc", &btc(), "SELL", "Up", 0.7, 100.0, NOW - 10);
    let d = row("0xd", &btc(), "BUY", "Up", 0.5, 100.0, NOW - 5);
    // Newest first, as the venue answers.
    let first = t.ingest(&wallet(), &[c.clone(), b.clone(), a], NOW, &stats);
    assert_eq!(
        first.iter().map(|x| x.tx_hash.as_str()).collect::<Vec<_>>(),
        ["0xa", "0xb", "0xc"],
        "oldest first"
    );
    let second = t.ingest(&wallet(), &[d, c, b], NOW, &stats);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].tx_hash, "0xd");
    let s = stats.snapshot();
    assert_eq!((s.rows, s.duplicates), (6, 2));
}

#[test]
fn two_fills_in_one_transaction_are_two_trades() {
    let mut t = WhaleTracker::new(&WhalesConfig::default());
    let stats = WhaleStats::default();
    let x = row("0xa", &btc(), "BUY", "Up", 0.6, 100.0, NOW - 30);
    let y = row("0xa", &btc(), "BUY", "Up", 0.61, 40.0, NOW - 30);
    assert_eq!(
        t.ingest(&wallet(), &[x.clone(), y.clone()], NOW, &stats)
            .len(),
        2
    );
    assert!(t.ingest(&wallet(), &[x, y], NOW, &stats).is_empty());
}

#[test]
fn filter_keeps_only_15_minute_markets_when_asked() {
    let stats = WhaleStats::default();
    let rows = [
        row("0x1", &btc(), "BUY", "Up", 0.5, 10.0, NOW),
        row(
            "0x2",
            "eth-updown-5m-1767225600",
            "BUY",
            "Up",
            0.5,
            10.0,
            NOW,
        ),
        row("0x3", "will-it-rain", "BUY", "Yes", 0.5, 10.0, NOW),
    ];
    let mut only = WhaleTracker::new(&WhalesConfig::default());
    let kept = only.ingest(&wallet(), &rows, NOW, &stats);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].slug, btc());
    assert_eq!(stats.snapshot().filtered, 2);

    let mut all = WhaleTracker::new(&WhalesConfig {
        only_15m: false,
        ..WhalesConfig::default()
    });
    let kept = all.ingest(&wallet(), &rows, NOW, &WhaleStats::default());
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[2].outcome, WhaleOutcome::Other);
}

#[test]
fn fields_flag_and_age() {
    let cfg = WhalesConfig {
        large_notional_usdc: 500.0,
        max_age_s: 600,
        ..WhalesConfig::default()
    };
    let mut t = WhaleTracker::new(&cfg);
    let stats = WhaleStats::default();
    let rows = [
        row("0xbig", &btc(), "BUY", "Down", 0.5, 1000.0, START + 125),
        row("0xsmall", &btc(), "SELL", "Up", 0.5, 10.0, START + 130),
        row("0xold", &btc(), "BUY", "Up", 0.5, 10.0, NOW - 601),
    ];
    let got = t.ingest(&wallet(), &rows, NOW, &stats);
    assert_eq!(got.len(), 2);
    assert_eq!(stats.snapshot().too_old, 1);
    let big = &got[0];
    assert_eq!(big.wallet, "gabagool22");
    assert_eq!(big.side, TradeSide::Buy);
    assert_eq!(big.outcome, WhaleOutcome::Down);
    assert_eq!(big.notional, 500.0);
    assert!(big.large);
    assert_eq!(big.asset, "BTC");
    assert_eq!(big.window_start_s, Some(START));
    assert_eq!(big.secs_into_window, Some(125));
    assert!(!got[1].large);
    // The JSON the API streams as `whale_trade`.
    let v = serde_json::to_value(big).unwrap();
    assert_eq!(v["side"], "BUY");
    assert_eq!(v["outcome"], "DOWN");
}

#[test]
fn seen_memory_is_bounded() {
    let mut t = WhaleTracker::new(&WhalesConfig {
        seen_capacity: 16,
        ..WhalesConfig::default()
    });
    let stats = WhaleStats::default();
    for i in 0..100 {
        let r = row(&format!("0x{i}"), &btc(), "BUY", "Up", 0.5, 1.0, NOW);
        t.ingest(&wallet(), &[r], NOW, &stats);
    }
    assert_eq!(t.seen_len(), 16);
}

#[test]
fn bias_nets_up_against_down_in_the_current_window() {
    let mut t = WhaleTracker::new(&WhalesConfig {
        max_age_s: u64::MAX / 2,
        ..WhalesConfig::default()
    });
    let stats = WhaleStats::default();
    let next = format!("btc-updown-15m-{}", START + 900);
    let rows = [
        row("0x1", &btc(), "BUY", "Up", 0.5, 200.0, START + 10), // +100 UP
        row("0x2", &btc(), "SELL", "Down", 0.5, 100.0, START + 20), // +50 UP
        row("0x3", &btc(), "BUY", "Down", 0.5, 60.0, START + 30), // +30 DOWN
        row("0x4", &btc(), "SELL", "Up", 0.5, 40.0, START + 40), // +20 DOWN
    ];
    let trades = t.ingest(&wallet(), &rows, NOW, &stats);
    let mut book = BTreeMap::new();
    for tr in &trades {
        assert!(apply(&mut book, tr));
    }
    let b = &book["gabagool22"];
    assert_eq!(
        (b.up_notional, b.down_notional, b.net_up),
        (150.0, 50.0, 100.0)
    );
    assert_eq!((b.trades, b.window_start_s), (4, START));

    // A newer window restarts the tally; an older one changes nothing.
    let newer = t.ingest(
        &wallet(),
        &[row("0x5", &next, "BUY", "Down", 0.5, 10.0, START + 905)],
        NOW,
        &stats,
    );
    assert!(apply(&mut book, &newer[0]));
    let old = t.ingest(
        &wallet(),
        &[row("0x6", &btc(), "BUY", "Up", 0.5, 10.0, START + 50)],
        NOW,
        &stats,
    );
    assert!(!apply(&mut book, &old[0]));
    let b = &book["gabagool22"];
    assert_eq!(
        (b.net_up, b.trades, b.window_start_s),
        (-5.0, 1, START + 900)
    );

    expire(&mut book, START + 1800, 900);
    assert!(book.is_empty());
}
