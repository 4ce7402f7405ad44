//! The venue ledger cross-checked with the Data API's positions in a `--mode live` demo: once
//! live trades are final the check reports the ledger equal to the venue, and a position
//! changed behind the ledger's back (tokens moved out of the wallet in the simulator) is
//! reported with both numbers, shown in `/api/live-trading/status` and alerted once, without
//! tripping the kill switch.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::control::api::ApiKey;
use cassandra::demo::Demo;
use cassandra::pipeline::shared::Mode;
use cassandra::venue::crosscheck::PositionsCheck;
use support::{fast_demo_config, trade_eagerly, wait_for};

const KEY: &str = "positions-check-test-key";

#[test]
fn the_ledger_matches_the_data_api_and_a_change_behind_its_back_is_reported() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    cfg.live.venue.follow_every_ms = 200;
    cfg.live.venue.positions_check_ms = 300;
    // Winning tokens stay in the wallet: positions to compare for the whole test.
    cfg.live.redeem = false;
    let demo = Demo::start_with_key(cfg, ApiKey::new(KEY)).expect("demo starts");
    let wallet = demo.live_wallet.expect("live wallet");
    let snap = demo.pipeline.venue_ledger.clone();
    let view = || snap.lock().unwrap().clone();
    assert!(
        wait_for(Duration::from_secs(60), || view()
            .is_some_and(|v| v.confirmed_trades >= 2)),
        "no confirmed live trades"
    );
    // Stop trading and let every trade become final.
    demo.pipeline.shared.kill.store(true, Ordering::SeqCst);
    let sim_trades = || demo.sim.clob().trades().len();
    assert!(
        wait_for(Duration::from_secs(30), || view().is_some_and(|v| {
            v.pending_trades == 0 && v.confirmed_trades + v.failed_trades == sim_trades()
        })),
        "ledger never caught up: {:?}",
        view()
    );
    let check = || view().and_then(|v| v.positions_check).unwrap_or_default();
    let since = cassandra::clock::wall_ms();
    assert!(
        wait_for(Duration::from_secs(10), || check().checked_ms > since),
        "no check after the trades settled: {:?}",
        check()
    );
    let c = check();
    assert!(
        c.ok && c.mismatches.is_empty() && c.error.is_none(),
        "{c:?}"
    );
    assert_eq!(c.mismatches_seen, 0, "{c:?}");
    // A position the ledger holds loses 0.01 share at the venue, behind its back.
    let v = view().unwrap();
    let (token, held) = v
        .positions
        .iter()
        .map(|(t, h)| (t.clone(), h.shares_u6))
        .find(|(_, n)| *n > 10_000)
        .unwrap_or_else(|| panic!("no position held: {v:?}"));
    assert_eq!(demo.sim.clob().take_tokens(&wallet, &token, 10_000), 10_000);
    let since = cassandra::clock::wall_ms();
    let found = |c: &PositionsCheck| c.mismatches.iter().find(|m| m.token == token).cloned();
    assert!(
        wait_for(Duration::from_secs(10), || {
            let c = check();
            c.checked_ms > since && found(&c).is_some()
        }),
        "mismatch not reported: {:?}",
        check()
    );
    let m = found(&check()).unwrap();
    assert_eq!((m.ledger_u6, m.venue_u6), (held, held - 10_000));
    // Shown in the API; alerted once though every check still finds it; not a kill reason.
    std::thread::sleep(Duration::from_millis(1_000));
    let api = demo.api().expect("api");
    let s: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!("{}/api/live-trading/status", api.url()))
        .header("X-API-Key", KEY)
        .send()
        .and_then(|r| r.json())
        .expect("status");
    let pc = &s["venue_ledger"]["positions_check"];
    assert_eq!(pc["ok"], false, "{s}");
    let shown = pc["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["token"] == token.as_str())
        .unwrap_or_else(|| panic!("{pc}"));
    assert_eq!(shown["ledger_u6"], held, "{pc}");
    assert_eq!(shown["venue_u6"], held - 10_000, "{pc}");
    let state = demo.pipeline.state.lock().unwrap();
    let alerts: Vec<_> = state
        .alerts
        .iter()
        .filter(|a| a.kind == "positions" && a.message.contains(&token))
        .cloned()
        .collect();
    assert!(state.kill_reason.is_none(), "{:?}", state.kill_reason);
    drop(state);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].level, "warning");
    assert_eq!(check().mismatches_seen, 1);
    // The tokens come back: the check is level again.
    demo.sim.clob().give_tokens(&wallet, &token, 10_000);
    let since = cassandra::clock::wall_ms();
    assert!(
        wait_for(Duration::from_secs(10), || {
            let c = check();
            c.checked_ms > since && found(&c).is_none()
        }),
        "{:?}",
        check()
    );
    demo.stop();
}
