//! The whole live pipeline against the simulator: `--mode live` reconciles the venue ledger
//! before trading, the `order` thread's notes reach the order tracker, and after the kill
//! switch (cancel-all confirmed by the venue) the ledger equals the simulator's record of the
//! wallet to the micro-unit, and `/api/live-trading/status` shows it.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::control::api::ApiKey;
use cassandra::demo::Demo;
use cassandra::pipeline::shared::Mode;
use support::{fast_demo_config, trade_eagerly, wait_for};

const KEY: &str = "venue-ledger-test-key";

#[test]
fn live_mode_books_the_venue_ledger_equal_to_the_wallet() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    cfg.live.venue.follow_every_ms = 200;
    let ledger = std::env::temp_dir().join(format!(
        "cassandra-venue-pipeline-{}-{}.sqlite",
        std::process::id(),
        cassandra::clock::wall_ms()
    ));
    cfg.live.venue.ledger = ledger.to_string_lossy().into_owned();
    let demo = Demo::start_with_key(cfg, ApiKey::new(KEY)).expect("demo starts");
    let wallet = demo.live_wallet.expect("live wallet");
    let snap = demo.pipeline.venue_ledger.clone();
    // Reconciled at start (cancel-all before the first order).
    assert!(demo.sim.clob().cancel_all_count() >= 1);
    let confirmed = || {
        snap.lock()
            .unwrap()
            .as_ref()
            .map_or(0, |v| v.confirmed_trades)
    };
    assert!(
        wait_for(Duration::from_secs(60), || confirmed() >= 2),
        "no confirmed live trades"
    );
    // Stop trading; the tracker cancels everything and follows what is left to the end.
    demo.pipeline.shared.kill.store(true, Ordering::SeqCst);
    let sim_trades = || demo.sim.clob().trades().len();
    assert!(
        wait_for(Duration::from_secs(30), || {
            std::thread::sleep(Duration::from_millis(300));
            snap.lock().unwrap().as_ref().is_some_and(|v| {
                v.pending_trades == 0 && v.confirmed_trades + v.failed_trades == sim_trades()
            })
        }),
        "ledger never caught up: {:?} vs {} trades",
        snap.lock().unwrap(),
        sim_trades()
    );
    demo.sim.settle_clob();
    let sim = demo.sim.clob().balance(&wallet).unwrap();
    let v = snap.lock().unwrap().clone().unwrap();
    assert_eq!(v.cash_u6, sim.pusd_u6, "pUSD: ledger vs simulator");
    // A market resolved against the only tokens held is closed in the ledger at a loss (the
    // worthless tokens stay in the wallet, nothing to redeem).
    let lost: Vec<String> = demo
        .sim
        .window_outcomes()
        .into_iter()
        .map(|o| if o.up_won { o.down_token } else { o.up_token })
        .filter(|t| !v.positions.contains_key(t))
        .collect();
    let held: Vec<(String, u64)> = sim
        .tokens
        .into_iter()
        .filter(|(t, n)| *n > 0 && !lost.contains(t))
        .collect();
    let ours: Vec<(String, u64)> = v
        .positions
        .iter()
        .filter(|(_, h)| h.shares_u6 > 0)
        .map(|(k, h)| (k.clone(), h.shares_u6))
        .collect();
    assert_eq!(ours, held, "tokens: ledger vs simulator");
    assert!(v.fees_u6 > 0, "fees from the markets' schedules");
    let demo_orders: Vec<String> = demo
        .sim
        .clob()
        .orders()
        .into_iter()
        .filter(|o| o.http_status == 200)
        .map(|o| o.order_id)
        .collect();
    let api = demo.api().expect("api");
    let s: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{}/api/live-trading/status", api.url()))
        .header("X-API-Key", KEY)
        .send()
        .and_then(|r| r.json())
        .expect("status");
    assert_eq!(s["venue_ledger"]["cash_u6"], sim.pusd_u6, "{s}");
    demo.stop();
    // Every order the venue received is in the store, done; presigned ones were written
    // before they were handed to the order thread.
    let store = cassandra::venue::store::VenueStore::open(&ledger).unwrap();
    let received = demo_orders;
    assert!(!received.is_empty());
    let mut presigned = 0;
    for id in &received {
        let o = store
            .order(id)
            .unwrap()
            .unwrap_or_else(|| panic!("order {id} not in the store"));
        assert_eq!(o.state, cassandra::venue::store::StoredState::Done, "{o:?}");
        presigned += usize::from(o.presigned);
    }
    // The ladder's orders are written ahead, used or not (whether an intent found one at its
    // price depends on the market's moves).
    let unused = store
        .load(0, cassandra::venue::FeeRule::ZERO)
        .unwrap()
        .prepared
        .len();
    assert!(presigned + unused > 0, "no presigned order in the store");
    let _ = std::fs::remove_file(&ledger);
}
