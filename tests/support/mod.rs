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

/// Gates wide open, so every evaluated decision with a book and a strike trades: for tests
/// that need orders to flow, not for judging the strategy.
pub fn trade_eagerly(cfg: &mut Config) {
    let g = &mut cfg.strategy.gates;
    g.min_edge = -1.0;
    g.min_move_bps = 0.0;
    g.max_spread = 1.0;
    g.max_prob = 1.0;
    g.cooldown_ms = 0;
    g.min_frac_into_window = Some(0.0);
    g.max_frac_into_window = Some(1.0);
    cfg.strategy.max_open_positions = 1000;
    let r = &mut cfg.risk;
    r.max_open_positions = 1000;
    r.max_orders_per_minute = 256;
    r.max_window_exposure_usdc = 1e6;
    r.max_asset_exposure_usdc = 1e6;
    r.max_total_exposure_usdc = 1e6;
    r.daily_loss_limit_usdc = 1e6;
    r.max_consecutive_losses = 1000;
    r.max_drawdown_frac = 1.0;
}

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
