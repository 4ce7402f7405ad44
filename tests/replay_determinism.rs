//! A recorded demo replays through the engine deterministically: the same file and
//! configuration give the same trades every time, and the replay sees what the demo traded.

mod support;

use std::io::BufReader;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::demo::Demo;
use cassandra::pipeline::registry::AssetTable;
use cassandra::record::replay::{replay, Speed};
use support::{fast_demo_config, trade_eagerly, wait_for};

fn temp_path(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!(
        "cassandra-{name}-{}-{}.rec",
        std::process::id(),
        cassandra::clock::mono_ns()
    ));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn recorded_demo_replays_the_same_trades_every_time() {
    let path = temp_path("replay");
    let mut cfg = fast_demo_config(6);
    trade_eagerly(&mut cfg);
    cfg.strategy.gates.cooldown_ms = 1000;
    let demo = Demo::start_with(cfg, Some(path.clone())).expect("demo starts");
    let shared = demo.pipeline.shared.clone();
    let strategy = demo.config.strategy.clone();
    let risk = demo.config.risk;
    let assets = AssetTable::from_names(&demo.config.assets).unwrap();
    let c = &shared.counters;
    let started = std::time::Instant::now();
    assert!(
        wait_for(Duration::from_secs(30), || {
            c.order.fills.load(Ordering::Relaxed) >= 3
                && c.signal.settlements.load(Ordering::Relaxed) >= 2
                && started.elapsed() >= Duration::from_secs(4)
        }),
        "demo did not trade and settle: {:?}",
        c.snapshot()
    );
    let summary = demo.stop();

    let run = || {
        let f = std::fs::File::open(&path).expect("recording exists");
        replay(BufReader::new(f), &assets, &strategy, &risk, Speed::Max).expect("replays")
    };
    let first = run();
    let second = run();
    assert_eq!(first, second, "replay is not deterministic");
    assert!(first.frames > 100, "{first:?}");
    assert_eq!(first.parse_errors, 0);
    assert!(first.windows >= 2);
    assert!(first.settlements >= 1, "{}", first.render());
    let trades = first.strategies["latency_arb"].trades;
    assert!(trades >= 1, "{}", first.render());
    // The replay sees the same market the demo did; with the same gates it trades on the
    // same occasions, give or take the few the live threads' interleaving decided otherwise.
    let live = summary.counters.fills as i64;
    assert!(
        (trades as i64 - live).abs() <= live / 2 + 2,
        "live fills {live} vs replayed trades {trades}\n{}",
        first.render()
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_malformed_recording_is_a_clear_error() {
    let text = b"1 1700000000000 B {\"stream\":\"x\",\"data\":{}}\nnot a record\n";
    let assets = AssetTable::from_names(&["BTC"]).unwrap();
    let err = replay(
        &text[..],
        &assets,
        &Default::default(),
        &Default::default(),
        Speed::Max,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn recording_never_overwrites_an_existing_file() {
    let path = temp_path("exists");
    std::fs::write(&path, b"keep me").unwrap();
    let cfg = fast_demo_config(30);
    let err = Demo::start_with(cfg, Some(path.clone()))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("cannot create recording"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    let _ = std::fs::remove_file(&path);
}

/// Time in a replay comes from the recording only. Without any Chainlink price the engine
/// falls back to Binance's opening price for the strike once `strike_grace_ms` has passed:
/// on the recording's clock, not the machine's. (With the grace measured from the moment the
/// replay ran, it never passed inside an older recording, so nothing was ever traded.)
#[test]
fn strike_fallback_runs_on_the_recordings_clock() {
    let path = temp_path("no-oracle");
    let mut cfg = fast_demo_config(6);
    trade_eagerly(&mut cfg);
    cfg.strategy.strike_grace_ms = 500;
    let demo = Demo::start_with(cfg, Some(path.clone())).expect("demo starts");
    let shared = demo.pipeline.shared.clone();
    let strategy = demo.config.strategy.clone();
    let risk = demo.config.risk;
    let assets = AssetTable::from_names(&demo.config.assets).unwrap();
    let c = &shared.counters;
    assert!(
        wait_for(Duration::from_secs(30), || {
            c.signal.settlements.load(Ordering::Relaxed) >= 2
        }),
        "demo did not settle windows: {:?}",
        c.snapshot()
    );
    demo.stop();
    // The same recording without its oracle lines.
    let text = std::fs::read_to_string(&path).unwrap();
    let without_oracle: String = text
        .lines()
        .filter(|l| l.split(' ').nth(2) != Some("C"))
        .map(|l| format!("{l}\n"))
        .collect();
    let _ = std::fs::remove_file(&path);
    let first = replay(
        without_oracle.as_bytes(),
        &assets,
        &strategy,
        &risk,
        Speed::Max,
    )
    .expect("replays");
    let second = replay(
        without_oracle.as_bytes(),
        &assets,
        &strategy,
        &risk,
        Speed::Max,
    )
    .unwrap();
    assert_eq!(first, second);
    assert!(
        first.strike_fallbacks >= 1,
        "no fallback strike without the oracle:\n{}",
        first.render()
    );
}
