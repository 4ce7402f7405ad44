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
use cassandra::sim::wire::TickToTradeReport;
use cassandra::sim::{SimClob, Simulator};

const WINDOW_S: u64 = 60;
const RUN: Duration = Duration::from_secs(6);

#[test]
fn async_baseline_trades_tagged_signed_orders_on_the_simulator() {
    // Start with enough of the window left for the run (a roll mid-run is handled, but
    // leaves the new window's first second without a strike).
    let now_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let left = WINDOW_S - now_s % WINDOW_S;
    if left < RUN.as_secs() + 3 {
        std::thread::sleep(Duration::from_secs(left + 1));
    }

    let mut cfg = Config {
        assets: vec!["BTC".into()],
        ..Config::default()
    };
    cfg.demo.window_s = WINDOW_S;
    cfg.demo.binance_rate_hz = 1000.0;
    let sim_cfg = cassandra::demo::sim_config(&cfg);
    let annual_vol = sim_cfg.annual_vol;
    let sim = Simulator::start(sim_cfg).expect("simulator");

    let key = cassandra::clob::sign::PrivateKey::parse_hex(&"42".repeat(32)).unwrap();
    let creds = SimClob::derived_credentials(&key.address(), 0);
    sim.clob().add_credentials(creds.clone(), key.address());

    let bcfg = AsyncBaselineConfig {
        binance_ws: sim.binance_ws_url(),
        poly_ws: sim.poly_ws_url(),
        chainlink_ws: sim.chainlink_ws_url(),
        http: sim.http_url(),
        key_hex: "42".repeat(32),
        creds,
        asset: "BTC".into(),
        window_s: WINDOW_S,
        cooldown_ms: 100,
        notional_usdc: 5.0,
        annual_vol,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let runner = {
        let stop = stop.clone();
        std::thread::spawn(move || baseline_async::run(bcfg, stop))
    };
    std::thread::sleep(RUN);
    stop.store(true, Ordering::Relaxed);
    let stats: AsyncBaselineStats = runner.join().expect("join").expect("run");

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

    assert!(stats.frames > 1000, "frames: {stats:?}");
    assert!(stats.decisions > 0, "decisions: {stats:?}");
    assert!(stats.orders_sent > 0, "orders: {stats:?}");
    assert_eq!(stats.build_errors, 0, "{stats:?}");
    assert_eq!(
        stats.orders_sent,
        stats.orders_ok + stats.orders_killed + stats.order_errors,
        "every post answered: {stats:?}"
    );
    assert!(stats.decisions >= stats.orders_sent, "{stats:?}");
    assert!(stats.orders_ok > 0, "some orders filled: {stats:?}");
    assert_eq!(stats.order_errors, 0, "{stats:?}");

    assert_eq!(
        orders.len() as u64,
        stats.orders_sent,
        "the venue saw them all"
    );
    for o in &orders {
        assert!(o.hmac_ok, "HMAC: {o:?}");
        assert!(o.signer_ok, "signer: {o:?}");
    }

    assert_eq!(
        report.samples_ns.len() as u64,
        stats.orders_sent,
        "{report:?}"
    );
    assert_eq!(report.unmatched, 0);
    assert_eq!(report.untagged, 0);
    assert!(report.frames_sent >= stats.frames);
}
