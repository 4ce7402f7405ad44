//! Telegram commands through the simulator's Bot API: only the configured chat is obeyed,
//! `/kill` sets the kill switch and records why, `/status`, `/alerts off`, `/resume`, and old
//! commands are not replayed.

mod support;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cassandra::control::alerts::{AlertSecrets, Alerts, AlertsConfig};
use cassandra::control::ControlState;
use cassandra::pipeline::shared::{Mode, Shared};
use cassandra::sim::{SimAsset, SimConfig, Simulator};
use support::wait_for;

const CHAT: i64 = 777;

#[test]
fn commands_from_the_configured_chat_only() {
    let sim = Simulator::start(SimConfig {
        assets: vec![SimAsset::new("BTC", 97_000.0)],
        binance_rate_hz: 5.0,
        ..SimConfig::default()
    })
    .unwrap();
    let cfg = AlertsConfig {
        telegram_api: sim.telegram_api_url(),
        poll_timeout_s: 1,
        telegram_min_interval_ms: 20,
        ..AlertsConfig::default()
    };
    let secrets = AlertSecrets {
        telegram_token: Some("42:secret".into()),
        telegram_chat_id: Some(CHAT.to_string()),
        discord_webhook: Some(sim.discord_webhook_url()),
    };
    let shared = Arc::new(Shared::new(Mode::Paper));
    let state = Arc::new(Mutex::new(ControlState::default()));
    let alerts = Alerts::start(
        &cfg,
        secrets,
        vec!["BTC".into()],
        shared.clone(),
        state.clone(),
    )
    .unwrap();
    let tg = sim.telegram();
    let st = alerts.stats();

    // Another chat: ignored, no answer.
    tg.push_command(CHAT + 1, "/kill intruder");
    assert!(wait_for(Duration::from_secs(5), || st
        .unauthorised
        .load(Ordering::Relaxed)
        == 1));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!shared.killed());
    assert!(tg.sent().is_empty());

    // An old command is not replayed.
    tg.push_command_at(
        CHAT,
        "/kill stale",
        cassandra::clock::wall_ms() / 1000 - 3_600,
    );
    assert!(wait_for(Duration::from_secs(5), || st
        .stale_commands
        .load(Ordering::Relaxed)
        == 1));
    assert!(!shared.killed());

    // The configured chat: /kill takes effect within a second and is answered.
    let t0 = Instant::now();
    tg.push_command(CHAT, "/kill fat <finger>");
    assert!(
        wait_for(Duration::from_secs(1), || shared.killed()),
        "not killed within 1 s"
    );
    let killed_in = t0.elapsed();
    assert!(wait_for(Duration::from_secs(5), || !tg.sent().is_empty()));
    let texts = tg.sent_texts();
    assert!(texts[0].contains("Kill switch ON"), "{texts:?}");
    assert!(texts[0].contains("fat &lt;finger&gt;"), "{texts:?}");
    assert_eq!(tg.sent()[0]["chat_id"], CHAT);
    let (reason, at_ms) = state.lock().unwrap().kill_reason.clone().unwrap();
    assert_eq!(reason, "fat <finger>");
    assert!(at_ms > 0);
    // The kill alert went to Discord (always on, even in paper mode); the chat got the answer.
    assert!(wait_for(Duration::from_secs(5), || !sim
        .discord()
        .received()
        .is_empty()));
    let d = &sim.discord().received()[0];
    assert_eq!(d["embeds"][0]["title"], "Kill switch ON: no new orders");

    tg.push_command(CHAT, "/status");
    tg.push_command(CHAT, "/alerts off");
    tg.push_command(CHAT, "/help");
    tg.push_command(CHAT, "/resume");
    assert!(wait_for(Duration::from_secs(5), || tg.sent().len() >= 5));
    let texts = tg.sent_texts();
    assert!(
        texts[1].contains("mode: paper") && texts[1].contains("kill switch: <b>ON</b>"),
        "{}",
        texts[1]
    );
    assert!(texts[2].contains("Alerts <b>off</b>"), "{}", texts[2]);
    assert!(texts[3].contains("/kill [reason]"), "{}", texts[3]);
    assert!(texts[4].contains("Kill switch OFF"), "{}", texts[4]);
    assert!(alerts.tx().muted());
    assert!(!shared.killed());
    assert!(state.lock().unwrap().kill_reason.is_none());
    // Every command reached the dashboard's alerts panel, in order.
    let said: Vec<String> = state
        .lock()
        .unwrap()
        .alerts
        .iter()
        .filter(|a| a.kind == "telegram_command")
        .map(|a| a.message.clone())
        .collect();
    assert_eq!(
        said,
        [
            "Telegram: /kill fat <finger>",
            "Telegram: /status",
            "Telegram: /alerts off",
            "Telegram: /help",
            "Telegram: /resume"
        ]
    );
    assert_eq!(st.commands.load(Ordering::Relaxed), 5);
    // Every answer passed the simulator's HTML check; updates were confirmed.
    assert_eq!(tg.bad_html(), 0);
    assert!(wait_for(Duration::from_secs(3), || tg.pending_updates() == 0));
    eprintln!("killed in {killed_in:?}");
    shared.stop();
    alerts.shutdown();
}
