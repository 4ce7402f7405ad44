//! The conventional async baseline (bench/baseline_async) trades against the in-process
//! simulator: its orders reach the CLOB authenticated and signed, each tagged with the Binance
//! frame that triggered it, and its counters agree with what the venue saw. No timing is
//! asserted.

#[path = "../bench/baseline_async/mod.rs"]
mod baseline_async;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use baseline_async::{AsyncBaselineConfig, AsyncBaselineStats};
use cassandra::config::Config;
use cassandra::sim::clob::SimOrderRecord;
use cassandra::sim::wire::TickToTradeReport;
use cassandra::sim::{SimClob, Simulator};

/// What one run gave: the baseline's counters, the venue's wire-to-wire report and its order
/// log.
struct Outcome {
    stats: AsyncBaselineStats,
    report: TickToTradeReport,
    orders: Vec<SimOrderRecord>,
}

/// Starts a BTC-only simulator with `window_s` windows and runs the baseline on it for `run`.
fn run_baseline(window_s: u64, run: Duration, cooldown_ms: u64) -> Outcome {
    let mut cfg = Config {
        assets: vec!["BTC".into()],
        ..Config::default()
    };
    cfg.demo.window_s = window_s;
    cfg.demo.binance_rate_hz = 1000.0;
    let sim_cfg = cassandra::demo::sim_config(&cfg);
    let annual_vol = sim_cfg.annual_vol;
    let sim = Simulator::start(sim_cfg).expect("simulator");

    let key_hex = "42".repeat(32);
    let key = cassandra::clob::sign::PrivateKey::parse_hex(&key_hex).unwrap();
    let creds = SimClob::derived_credentials(&key.address(), 0);
    sim.clob().add_credentials(creds.clone(), key.address());
    // The simulated CLOB checks the wallet's pUSD balance and allowance.
    sim.clob().fund(&key.address(), 1_000_000_000_000);

    let bcfg = AsyncBaselineConfig {
        binance_ws: sim.binance_ws_url(),
        poly_ws: sim.poly_ws_url(),
        chainlink_ws: sim.chainlink_ws_url(),
        http: sim.http_url(),
        key_hex,
        creds,
        asset: "BTC".into(),
        window_s,
        cooldown_ms,
        notional_usdc: 5.0,
        annual_vol,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let runner = {
        let stop = stop.clone();
        std::thread::spawn(move || baseline_async::run(bcfg, stop))
    };
    std::thread::sleep(run);
    stop.store(true, Ordering::Relaxed);
    let stats = runner.join().expect("join").expect("run");

    let report: TickToTradeReport =
        reqwest::blocking::get(format!("{}/bench/tick-to-trade", sim.http_url()))
            .expect("GET /bench/tick-to-trade")
            .json()
            .expect("report JSON");
    let orders = sim.clob().orders();
    sim.shutdown();
    eprintln!(
        "{stats:?}; venue saw {} orders; {} samples",
        orders.len(),
        report.samples_ns.len()
    );
    Outcome {
        stats,
        report,
        orders,
    }
}

/// What must hold after any run: counters agree with each other and with the venue, every
/// order authenticated, signed and matched to its trigger frame.
///
/// `closed_window_refusals`: with windows a few seconds long, an order decided just before a
/// roll can reach the venue after its window closed; the venue refuses it ("Invalid token
/// id") and the baseline counts an error. Allowed only where the test rolls windows, and only
/// that refusal.
fn assert_consistent(o: &Outcome, closed_window_refusals: bool) {
    let (stats, report) = (&o.stats, &o.report);
    assert!(stats.frames > 1000, "frames: {stats:?}");
    assert!(stats.orders_sent > 0, "orders: {stats:?}");
    assert_eq!(stats.build_errors, 0, "{stats:?}");
    let refused: Vec<&str> = o
        .orders
        .iter()
        .filter(|r| !r.error.is_empty())
        .map(|r| r.error.as_str())
        .collect();
    let closed = refused.iter().filter(|e| **e == "Invalid token id").count() as u64;
    let allowed = if closed_window_refusals { closed } else { 0 };
    assert_eq!(
        stats.order_errors, allowed,
        "{stats:?}, venue said {refused:?}"
    );
    assert_eq!(
        stats.orders_sent,
        stats.orders_ok + stats.orders_killed + stats.order_errors,
        "every post answered: {stats:?}"
    );
    assert!(stats.decisions >= stats.orders_sent, "{stats:?}");
    assert!(stats.orders_ok > 0, "some orders filled: {stats:?}");

    assert_eq!(
        o.orders.len() as u64,
        stats.orders_sent,
        "the venue saw them all"
    );
    for r in &o.orders {
        assert!(r.hmac_ok, "HMAC: {r:?}");
        assert!(r.signer_ok, "signer: {r:?}");
    }

    assert_eq!(
        report.samples_ns.len() as u64,
        stats.orders_sent,
        "{report:?}"
    );
    assert_eq!(report.unmatched, 0, "{report:?}");
    assert_eq!(report.untagged, 0, "{report:?}");
    assert!(report.frames_sent >= stats.frames);
}

#[test]
fn async_baseline_trades_tagged_signed_orders_on_the_simulator() {
    const WINDOW_S: u64 = 60;
    const RUN: Duration = Duration::from_secs(6);
    // Start with enough of the window left for the run (the roll is the next test's).
    let now_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let left = WINDOW_S - now_s % WINDOW_S;
    if left < RUN.as_secs() + 3 {
        std::thread::sleep(Duration::from_secs(left + 1));
    }
    let o = run_baseline(WINDOW_S, RUN, 100);
    assert_consistent(&o, false);
}

#[test]
fn async_baseline_follows_the_window_roll() {
    // 4 s windows over 9 s: at least two rolls, each re-discovered and re-subscribed.
    let o = run_baseline(4, Duration::from_secs(9), 100);
    assert_consistent(&o, true);
    let mut tokens: Vec<&str> = o.orders.iter().map(|r| r.token_id.as_str()).collect();
    tokens.sort_unstable();
    tokens.dedup();
    // Each window has its own two tokens: orders naming three or more span two windows.
    assert!(tokens.len() >= 3, "orders in one window only: {tokens:?}");
}
