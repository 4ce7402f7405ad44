//! The paper account never spends money it does not have: with the risk limits lifted and the
//! gates open (the demo's "trade on everything" settings), orders are sized to the cash not
//! already promised to orders in flight, so cash never goes below zero. (It went to −214 USDC
//! from a 1000 start in the dashboard's browser run.)

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use cassandra::demo::Demo;
use support::{fast_demo_config, trade_eagerly};

#[test]
fn eager_trading_never_overdraws_the_paper_account() {
    let mut cfg = fast_demo_config(30);
    trade_eagerly(&mut cfg);
    cfg.strategy.start_cash = 40.0;
    cfg.strategy.sizing.notional_usdc = 7.0;
    cfg.strategy.sizing.max_notional_usdc = 7.0;
    let demo = Demo::start(cfg).expect("demo starts");
    let shared = demo.pipeline.shared.clone();
    let state = demo.pipeline.state.clone();
    let started = Instant::now();
    let mut lowest = f64::INFINITY;
    while started.elapsed() < Duration::from_secs(12) {
        if let Some(a) = state.lock().unwrap().account {
            lowest = lowest.min(a.cash);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let fills = shared.counters.order.fills.load(Ordering::Relaxed);
    let summary = demo.stop();
    assert!(
        fills >= 5,
        "the demo should have spent its cash on several orders: {fills} fills"
    );
    assert!(
        lowest >= -1e-9,
        "cash went to {lowest:.2}\n{}",
        summary.render()
    );
    // And it did run the cash down: the bound, not a lack of trading, kept it positive.
    assert!(lowest < 7.0, "cash never ran low: {lowest:.2}");
}
