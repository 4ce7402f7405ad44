//! The demo sends alerts to the simulated Telegram and Discord: fills and settlements from the
//! control loop, and a kill-switch change.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::demo::Demo;
use support::{fast_demo_config, trade_eagerly, wait_for};

#[test]
fn demo_alerts_reach_the_simulated_telegram_and_discord() {
    let mut cfg = fast_demo_config(8);
    trade_eagerly(&mut cfg);
    cfg.demo.sim_alerts = true;
    cfg.alerts.telegram_min_interval_ms = 50;
    cfg.alerts.discord_min_interval_ms = 50;
    let demo = Demo::start(cfg).expect("demo starts");
    let sim = &demo.sim;
    assert!(
        wait_for(Duration::from_secs(30), || {
            sim.telegram()
                .sent_texts()
                .iter()
                .any(|t| t.contains("Order filled"))
                && !sim.discord().received().is_empty()
        }),
        "telegram: {:?}\ndiscord: {}",
        sim.telegram().sent_texts(),
        sim.discord().received().len()
    );
    // A kill switch set from the control side is announced.
    demo.pipeline.state.lock().unwrap().kill_reason = Some(("operator".into(), 1));
    demo.pipeline.shared.kill.store(true, Ordering::SeqCst);
    assert!(
        wait_for(Duration::from_secs(10), || sim
            .telegram()
            .sent_texts()
            .iter()
            .any(|t| t.to_lowercase().contains("kill"))),
        "{:?}",
        sim.telegram().sent_texts()
    );
    demo.stop();
}
