//! Live mode's wallet thread, end to end in a `--mode live` demo: positions the pipeline won
//! are redeemed automatically after their windows resolve, the API's
//! `/api/live-trading/status` shows the wallet's cash apart from redeemable tokens, and the
//! wallet's cash ends equal, to the micro-unit, to the simulator's record (start − what the
//! fills cost + what the redemptions paid). A pUSD balance under `[live] min_pusd_usdc`
//! pauses new orders with a critical alert instead, until a deposit brings it back.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::clob::order::Address;
use cassandra::control::api::ApiKey;
use cassandra::demo::{Demo, DEMO_WALLET_PUSD_U6};
use cassandra::pipeline::shared::Mode;
use cassandra::sim::SimVerdict;
use serde_json::Value;
use support::{fast_demo_config, trade_eagerly, wait_for};

const KEY: &str = "wallet-demo-test-key";

fn status(url: &str) -> Value {
    reqwest::blocking::Client::new()
        .get(format!("{url}/api/live-trading/status"))
        .header("X-API-Key", KEY)
        .send()
        .and_then(|r| r.json())
        .expect("status")
}

#[test]
fn won_positions_are_redeemed_and_the_wallet_matches_the_venue() {
    let mut cfg = fast_demo_config(8);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    cfg.live.redeem_interval_ms = 200;
    let demo = Demo::start_with_key(cfg, ApiKey::new(KEY)).expect("demo starts");
    let url = demo.api().expect("api").url();
    let redeemed = wait_for(Duration::from_secs(90), || {
        status(&url)["wallet"]["redeemed"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    });
    assert!(redeemed, "nothing redeemed: {}", status(&url)["wallet"]);
    let s = status(&url);
    let w = &s["wallet"];
    assert_eq!(w["signature_type"], 0);
    assert_eq!(w["redeem_enabled"], true);
    assert!(w["cash_pusd_u6"].is_u64(), "{w}");
    assert!(w["redeemable"].is_array(), "{w}");
    // Stop trading and redeeming, then compare with the venue's own record.
    demo.pipeline.shared.stop();
    std::thread::sleep(Duration::from_millis(800));
    let view = demo
        .pipeline
        .state
        .lock()
        .unwrap()
        .wallet
        .clone()
        .expect("wallet view");
    let holder = Address::parse_hex(&view.holder).unwrap();
    assert!(!view.redeemed.is_empty());
    for r in &view.redeemed {
        assert!(r.usdc_micro > 0 && r.usdc_micro == r.shares_micro, "{r:?}");
        assert!(r.tx.starts_with("0x"), "{r:?}");
    }
    let paid: u64 = view.redeemed.iter().map(|r| r.usdc_micro).sum();
    let orders = demo.sim.clob().orders();
    // Only matched orders moved pUSD (a refused one, e.g. on a window that just closed,
    // moved nothing); fees on BUYs are paid in tokens.
    assert!(orders
        .iter()
        .filter(|o| o.verdict != SimVerdict::Matched)
        .all(|o| o.notional_u6 == 0));
    let spent: u64 = orders.iter().map(|o| o.notional_u6).sum();
    let venue = demo.sim.clob().balance(&holder).unwrap();
    assert_eq!(venue.pusd_u6, DEMO_WALLET_PUSD_U6 - spent + paid);
    assert_eq!(demo.sim.rpc().redemptions(), view.redeemed.len() as u64);
    // The venue ledger booked every redemption (the wallet thread's hook). (Its cash against
    // the wallet's is checked where trading stops cleanly first, tests/venue_live_pipeline.rs:
    // here orders are still in flight when the pipeline stops.)
    let ledger = demo
        .pipeline
        .venue_ledger
        .lock()
        .unwrap()
        .clone()
        .expect("venue ledger view");
    assert_eq!(ledger.redeemed_u6, paid, "{ledger:?}");
    let alerts = demo.pipeline.state.lock().unwrap().alerts.clone();
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == "redeemed" && a.message.contains("now cash")),
        "{alerts:?}"
    );
    demo.stop();
}

#[test]
fn a_pusd_shortfall_pauses_new_orders_with_an_alert_not_a_panic() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    // More than the demo wallet holds.
    cfg.live.min_pusd_usdc = 2_000_000.0;
    let demo = Demo::start_with_key(cfg, ApiKey::new(KEY)).expect("demo starts");
    let url = demo.api().expect("api").url();
    let shared = demo.pipeline.shared.clone();
    assert!(wait_for(Duration::from_secs(20), || shared.mode() == Mode::Off));
    assert!(wait_for(Duration::from_secs(5), || status(&url)["wallet"]
        ["funds_paused"]
        == true));
    let alerts = demo.pipeline.state.lock().unwrap().alerts.clone();
    let a = alerts
        .iter()
        .find(|a| a.kind == "funds")
        .expect("a funds alert");
    assert_eq!(a.level, "critical");
    assert!(a.message.contains("new orders paused"), "{}", a.message);
    assert!(!shared.kill.load(Ordering::SeqCst), "not the kill switch");
    // Paused: the order thread sends nothing more (requests already on the wire may still
    // be arriving at the venue).
    let live = demo.pipeline.live.clone().expect("live path");
    let sent = live.sent.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(live.sent.load(Ordering::SeqCst), sent);
    assert!(shared.is_running());
    // A deposit brings the balance back: live orders resume by themselves.
    let holder = Address::parse_hex(status(&url)["wallet"]["holder"].as_str().unwrap()).unwrap();
    demo.sim.clob().deposit(&holder, 1_500_000_000_000);
    assert!(wait_for(Duration::from_secs(10), || shared.mode() == Mode::Live));
    assert!(wait_for(Duration::from_secs(5), || status(&url)["wallet"]
        ["funds_paused"]
        == false));
    let alerts = demo.pipeline.state.lock().unwrap().alerts.clone();
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == "funds" && a.level == "info" && a.message.contains("resume")),
        "{alerts:?}"
    );
    demo.stop();
}

#[test]
fn a_market_lost_without_a_redemption_closes_in_the_venue_ledger_at_a_loss() {
    let mut cfg = fast_demo_config(8);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    cfg.live.redeem_interval_ms = 200;
    // Winners stay in the wallet (shown as redeemable): the test picks one and makes its
    // market a loss for the wallet.
    cfg.live.redeem = false;
    let demo = Demo::start_with_key(cfg, ApiKey::new(KEY)).expect("demo starts");
    let wallet = || {
        demo.pipeline
            .state
            .lock()
            .unwrap()
            .wallet
            .clone()
            .expect("wallet view")
    };
    let ledger = || {
        demo.pipeline
            .venue_ledger
            .lock()
            .unwrap()
            .clone()
            .expect("venue ledger view")
    };
    assert!(
        wait_for(Duration::from_secs(60), || demo
            .pipeline
            .venue_ledger
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|v| v.confirmed_trades >= 2)),
        "no confirmed live trades"
    );
    // Stop trading; wait until every market held has ended and the ledger is still, with a
    // resolved winner shown as redeemable.
    demo.pipeline.shared.kill.store(true, Ordering::SeqCst);
    let mut last = None;
    let still = wait_for(Duration::from_secs(60), || {
        std::thread::sleep(Duration::from_millis(500));
        let (l, w) = (ledger(), wallet());
        let ready = l.pending_trades == 0
            && l.open_cost_u6 == 0
            && w.redeemable
                .iter()
                .any(|r| l.positions.contains_key(&r.token));
        let same = last.as_ref() == Some(&l.positions);
        last = Some(l.positions);
        ready && same
    });
    assert!(still, "{:?} {:?}", ledger(), wallet());
    let before = ledger();
    let w = wallet();
    let r = w
        .redeemable
        .iter()
        .find(|r| before.positions.contains_key(&r.token))
        .expect("a winner held");
    let token = r.token.clone();
    let o = demo
        .sim
        .window_outcomes()
        .into_iter()
        .find(|o| o.condition_id == r.condition_id)
        .expect("resolved");
    let loser = if o.up_token == token {
        o.down_token
    } else {
        o.up_token
    };
    // The ledger closes every token of the market it holds (losing ones bought too).
    let cost: u64 = [&token, &loser]
        .iter()
        .filter_map(|t| before.positions.get(*t))
        .map(|h| h.cost_u6)
        .sum();
    // Behind the product's back the winning tokens leave, and the wallet holds only losing
    // ones: the market is lost, with nothing to redeem.
    let holder = Address::parse_hex(&w.holder).unwrap();
    demo.sim.clob().take_tokens(&holder, &token, u64::MAX);
    demo.sim.clob().give_tokens(&holder, &loser, 1_000_000);
    let told = wait_for(Duration::from_secs(20), || {
        wallet()
            .lost
            .iter()
            .any(|l| l.condition_id == r.condition_id)
    });
    assert!(told, "{:?}", wallet());
    let lost = wallet().lost;
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0].usdc_micro, 0, "{lost:?}");
    assert!(lost[0].shares_micro > 0, "{lost:?}");
    assert_eq!(lost[0].winning_token, token);
    assert!(wait_for(Duration::from_secs(5), || !ledger()
        .positions
        .contains_key(&token)));
    let after = ledger();
    let mut rest = before.positions.clone();
    rest.remove(&token);
    rest.remove(&loser);
    assert_eq!(after.positions, rest, "only that market closed meanwhile");
    // The ledger closed the position at a loss of what it cost: the day's PnL and the
    // streak see it, and nothing of it is left in `ended_cost_u6`.
    assert_eq!(after.realized_pnl_u6, before.realized_pnl_u6 - cost as i64);
    assert_eq!(after.ended_cost_u6, before.ended_cost_u6 - cost);
    assert_eq!(after.loss_streak, before.loss_streak + 1);
    assert_eq!(after.cash_u6, before.cash_u6, "nothing paid");
    assert_eq!(after.redeemed_u6, before.redeemed_u6);
    demo.stop();
}
