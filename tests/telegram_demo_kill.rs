//! End to end: the demo pipeline trades on paper; `/kill` from the simulated Telegram chat sets
//! the kill switch within a second, the order counter stops, and the dashboard's state and
//! alerts panel show it.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::demo::{Demo, DEMO_CHAT_ID};
use support::{fast_demo_config, trade_eagerly, wait_for};

#[test]
fn kill_from_telegram_stops_orders() {
    let mut cfg = fast_demo_config(30);
    trade_eagerly(&mut cfg);
    cfg.demo.sim_alerts = true;
    cfg.alerts.poll_timeout_s = 1;
    let demo = Demo::start(cfg).expect("demo starts");
    let shared = demo.pipeline.shared.clone();
    let orders = || shared.counters.order.orders.load(Ordering::Relaxed);
    assert!(
        wait_for(Duration::from_secs(20), || orders() >= 2),
        "no orders: {:?}",
        shared.counters.snapshot()
    );
    demo.sim
        .telegram()
        .push_command(DEMO_CHAT_ID, "/kill demo test");
    assert!(
        wait_for(Duration::from_secs(1), || shared.killed()),
        "kill switch not set within 1 s"
    );
    // Let an order already past the check finish, then the counter must stand still.
    std::thread::sleep(Duration::from_millis(300));
    let at_kill = orders();
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(orders(), at_kill, "orders kept going after /kill");
    assert!(wait_for(Duration::from_secs(5), || {
        demo.sim
            .telegram()
            .sent_texts()
            .iter()
            .any(|t| t.contains("Kill switch ON"))
    }));
    let reason = demo.pipeline.state.lock().unwrap().kill_reason.clone();
    assert_eq!(reason.map(|r| r.0).as_deref(), Some("demo test"));
    // The dashboard sees it without a reload: the API's kill switch carries Telegram's reason,
    // and the alerts panel has the command and the kill.
    let url = demo.api().expect("api on").url();
    let health: serde_json::Value = reqwest::blocking::get(format!("{url}/health"))
        .and_then(|r| r.json())
        .expect("health");
    assert_eq!(health["kill_switch"]["active"], true);
    assert_eq!(health["kill_switch"]["reason"], "demo test");
    let has = |kind: &str, message: &str| {
        demo.pipeline
            .state
            .lock()
            .unwrap()
            .alerts
            .iter()
            .any(|a| a.kind == kind && a.message == message)
    };
    assert!(wait_for(Duration::from_secs(2), || has(
        "telegram_command",
        "Telegram: /kill demo test"
    ) && has(
        "kill_switch",
        "kill switch ON: demo test"
    )));
    // The whale poller ran against the simulated Data API too.
    let whales = demo
        .services
        .whales
        .clone()
        .expect("whale poller on by default");
    assert!(whales.snapshot().requests > 0);
    demo.stop();
}
