//! Helpers shared by the pipeline tests: demo configurations and polling with a deadline.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use cassandra::config::Config;

/// A small, fast demo: two assets, short windows, brisk feeds.
pub fn fast_demo_config(window_s: u64) -> Config {
    let mut cfg = Config {
        assets: vec!["BTC".into(), "ETH".into()],
        ..Config::default()
    };
    cfg.demo.window_s = window_s;
    // Tests run side by side: the API (and dashboard) on any free port.
    cfg.api.bind = "127.0.0.1:0".into();
    cfg.demo.binance_rate_hz = 300.0;
    cfg.demo.poly_update_hz = 10.0;
    cfg.demo.chainlink_hz = 2.0;
    cfg
}

#[allow(unused_imports)]
pub use cassandra::demo::trade_eagerly;

/// Poll `cond` until it holds or `limit` passes; returns whether it held.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}
