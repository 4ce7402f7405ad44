//! Windows roll over on the wall clock and settle on Chainlink.

mod sim_common;
use sim_common as common;

use cassandra::sim::{SimAsset, SimConfig, Simulator};
use common::*;
use std::time::Duration;

#[test]
fn windows_roll_over_and_settle_on_chainlink() {
    let sim = Simulator::start(SimConfig {
        assets: vec![SimAsset::new("BTC", 97_000.0), SimAsset::new("XRP", 2.4)],
        window_secs: 2,
        chainlink_hz: 20.0,
        poly_update_hz: 10.0,
        ..SimConfig::default()
    })
    .expect("start simulator");
    let first = sim.current_window("BTC").expect("window");
    assert_eq!(first.start_s % 2, 0);
    assert_eq!(first.end_s, first.start_s + 2);
    assert_eq!(
        sim.live_windows().len(),
        4,
        "current and next for two assets"
    );
    // The first window and the one after it settle within about 4 s. (A window that rolled
    // between the simulator's start and `current_window` may have settled first: wait for
    // these two by their start, not for any two.)
    let settled_by_start = |start: u64| {
        sim.window_outcomes()
            .iter()
            .any(|o| o.asset == "BTC" && o.start_s == start)
    };
    let settled = wait_until(Duration::from_secs(6), || {
        settled_by_start(first.start_s) && settled_by_start(first.start_s + 2)
    });
    assert!(settled, "outcomes: {:?}", sim.window_outcomes());
    let outs = sim.window_outcomes();
    for o in &outs {
        assert_eq!(o.up_won, o.end_price >= o.strike, "{o:?}");
        assert_eq!(o.end_s, o.start_s + 2);
        assert!(o.strike > 0.0);
    }
    let btc: Vec<_> = outs
        .iter()
        .filter(|o| o.asset == "BTC" && o.start_s >= first.start_s)
        .collect();
    assert_eq!(btc[1].start_s, btc[0].start_s + 2);
    // The end price of a window is the strike of the next one (the same observation).
    assert_eq!(btc[1].strike, btc[0].end_price);
    assert_ne!(btc[0].up_token, btc[1].up_token);
    assert_eq!(btc[0].up_token, first.up_token);
    // The first window's tokens are no longer served; the current one's are.
    assert!(sim.poly_book(&first.up_token).is_none());
    let now = sim.current_window("BTC").expect("window");
    assert!(now.start_s > first.start_s);
    assert!(sim.poly_book(&now.up_token).is_some());
    // Gamma still remembers the settled window and reports it closed.
    let (s, ev) = http_json(&sim.http_url(), &format!("/events/slug/{}", first.slug));
    assert_eq!(s, 200);
    assert_eq!(ev["markets"][0]["closed"], true);
}

#[test]
fn fair_value_is_a_probability_and_quotes_follow_it() {
    let sim = Simulator::start(SimConfig {
        poly_noise: 0.0,
        poly_lag_ms: 0,
        ..SimConfig::default()
    })
    .expect("start simulator");
    let w = sim.current_window("ETH").expect("window");
    let fair = sim.fair_up("ETH").expect("fair");
    assert!((0.0..=1.0).contains(&fair));
    // Without lag or noise the UP book brackets the fair value (within the spread and tick).
    let ok = wait_until(Duration::from_secs(2), || {
        let (Some(b), Some(f)) = (sim.poly_book(&w.up_token), sim.fair_up("ETH")) else {
            return false;
        };
        let bid = b.best_bid().map_or(0.0, |l| l.price_e4 as f64 / 1e4);
        let ask = b.best_ask().map_or(1.0, |l| l.price_e4 as f64 / 1e4);
        let f = f.clamp(0.01, 0.99);
        bid - 0.02 <= f && f <= ask + 0.02
    });
    assert!(ok);
    let spot = sim.spot_price("ETH").expect("spot");
    let (_, cl) = sim.chainlink_price("ETH").expect("chainlink");
    assert!(
        (cl / spot - 1.0).abs() < 0.005,
        "basis of a few bps: {cl} vs {spot}"
    );
}
