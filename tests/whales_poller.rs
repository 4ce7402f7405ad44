//! The whale poller against the simulator's Data API: overlapping polls publish each trade
//! once, injected non-15-minute trades are filtered, and a 429 with Retry-After is honoured.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cassandra::control::whales::{Wallet, WhalePoller, WhalesConfig};
use cassandra::control::ControlState;
use cassandra::pipeline::shared::{Mode, Shared};
use cassandra::sim::{SimAsset, SimConfig, Simulator};
use serde_json::json;
use support::wait_for;

fn sim() -> Simulator {
    Simulator::start(SimConfig {
        assets: vec![
            SimAsset::new("BTC", 97_000.0),
            SimAsset::new("ETH", 3_600.0),
        ],
        window_secs: 60,
        binance_rate_hz: 5.0,
        ..SimConfig::default()
    })
    .expect("sim starts")
}

fn wallets() -> Vec<Wallet> {
    [
        "0x6031b6eed1c97e853c6e0f03ad3ce3529351f96d",
        "0x7f69983eb28245bba0d5083502a78744a8f66162",
    ]
    .iter()
    .enumerate()
    .map(|(i, a)| Wallet {
        name: format!("w{i}"),
        address: a.to_string(),
        enabled: true,
    })
    .collect()
}

fn cfg() -> WhalesConfig {
    WhalesConfig {
        interval_ms: 300,
        request_gap_ms: 10,
        limit: 20,
        large_notional_usdc: 1_000.0,
        ..WhalesConfig::default()
    }
}

#[test]
fn overlapping_polls_publish_each_generated_trade_once() {
    let sim = sim();
    let shared = Arc::new(Shared::new(Mode::Paper));
    let state = Arc::new(Mutex::new(ControlState::default()));
    let poller = WhalePoller::new(&cfg(), &sim.http_url(), 60, shared.clone(), state.clone())
        .unwrap()
        .with_wallets(wallets());
    let stats = poller.stats();
    let h = poller.spawn().unwrap();
    // Generated wallets trade about every 6 s each; wait for several trades and overlaps.
    let ok = wait_for(Duration::from_secs(25), || {
        let s = stats.snapshot();
        s.published >= 4 && s.duplicates >= 10
    });
    shared.stop();
    h.join().unwrap();
    let s = stats.snapshot();
    assert!(ok, "{s:?}");
    let st = state.lock().unwrap();
    let keys: HashSet<_> = st
        .whale_trades
        .iter()
        .map(|t| (t.wallet.clone(), t.tx_hash.clone()))
        .collect();
    assert_eq!(
        keys.len(),
        st.whale_trades.len(),
        "a trade was published twice"
    );
    assert_eq!(st.whale_trades_total, s.published);
    for t in &st.whale_trades {
        assert!(t.slug.contains("-updown-15m-"), "{t:?}");
        assert_eq!(
            t.secs_into_window,
            Some(t.time_s - t.window_start_s.unwrap())
        );
        assert!(t.secs_into_window.unwrap() < 60, "{t:?}");
        assert_eq!(t.large, t.notional >= 1_000.0);
    }
    assert!(!st.whale_bias.is_empty());
    assert_eq!(s.errors, 0, "{s:?}");
}

#[test]
fn injected_trades_are_filtered_and_a_429_is_honoured() {
    let sim = sim();
    sim.data_api().set_generate(false);
    let w = &wallets()[0];
    // The bias book keeps only the trade's window: start well inside one (windows are 60 s
    // here) so the window cannot end, and the bias expire, before the assertions.
    let btc = loop {
        let w = sim.current_window("BTC").unwrap();
        if w.end_s.saturating_sub(cassandra::clock::wall_ms() / 1000) >= 20 {
            break w;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let now = cassandra::clock::wall_ms() / 1000;
    let mk = |tx: &str, slug: &str, size: f64| {
        json!({"proxyWallet": w.address, "side": "BUY", "asset": btc.up_token, "conditionId": btc.condition_id,
               "size": size, "price": 0.5, "timestamp": now, "slug": slug, "eventSlug": slug,
               "outcome": "Up", "outcomeIndex": 0, "transactionHash": tx})
    };
    sim.data_api()
        .inject(&w.address, mk("0x01", &btc.slug, 4_000.0));
    sim.data_api()
        .inject(&w.address, mk("0x02", "will-it-rain-tomorrow", 10.0));
    sim.data_api().rate_limit_next(2, 1);

    let shared = Arc::new(Shared::new(Mode::Paper));
    let state = Arc::new(Mutex::new(ControlState::default()));
    let poller = WhalePoller::new(&cfg(), &sim.http_url(), 60, shared.clone(), state.clone())
        .unwrap()
        .with_wallets(vec![w.clone()]);
    let stats = poller.stats();
    let t0 = Instant::now();
    let h = poller.spawn().unwrap();
    let ok = wait_for(Duration::from_secs(10), || stats.snapshot().published >= 1);
    let took = t0.elapsed();
    // A few more overlapping polls.
    std::thread::sleep(Duration::from_millis(800));
    shared.stop();
    h.join().unwrap();
    let s = stats.snapshot();
    assert!(ok, "{s:?}");
    assert_eq!(s.rate_limited, 2, "{s:?}");
    assert_eq!(sim.data_api().rate_limited(), 2);
    // Two 429s with Retry-After: 1 s each: the first trade cannot arrive before 2 s.
    assert!(took >= Duration::from_millis(1_900), "{took:?}");
    assert_eq!(s.published, 1, "{s:?}");
    assert!(s.filtered >= 1 && s.duplicates >= 2, "{s:?}");
    let st = state.lock().unwrap();
    assert_eq!(st.whale_trades.len(), 1);
    let t = &st.whale_trades[0];
    assert!(
        t.large && t.notional == 2_000.0 && t.asset == "BTC",
        "{t:?}"
    );
    assert_eq!(st.whale_bias["w0"].net_up, 2_000.0);
}
