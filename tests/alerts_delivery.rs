//! Alert delivery against the simulator's Telegram and Discord: both receive, `retry_after`
//! is honoured, paper mode mutes all but kill/mode alerts, a dead endpoint never slows the
//! caller (the backlog drops oldest-first and counts), and retries give up.

mod support;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cassandra::control::alerts::{Alert, AlertSecrets, Alerts, AlertsConfig};
use cassandra::control::ControlState;
use cassandra::pipeline::shared::{Mode, Shared};
use cassandra::sim::{SimAsset, SimConfig, Simulator};
use support::wait_for;

fn sim() -> Simulator {
    Simulator::start(SimConfig {
        assets: vec![SimAsset::new("BTC", 97_000.0)],
        binance_rate_hz: 5.0,
        ..SimConfig::default()
    })
    .expect("sim starts")
}

fn cfg(telegram_api: String) -> AlertsConfig {
    AlertsConfig {
        telegram_api,
        commands: false,
        telegram_min_interval_ms: 50,
        discord_min_interval_ms: 50,
        retry_base_ms: 100,
        ..AlertsConfig::default()
    }
}

fn secrets(sim: &Simulator) -> AlertSecrets {
    AlertSecrets {
        telegram_token: Some("123:abc".into()),
        telegram_chat_id: Some("-1001".into()),
        discord_webhook: Some(sim.discord_webhook_url()),
    }
}

fn start(cfg: &AlertsConfig, secrets: AlertSecrets, mode: Mode) -> (Alerts, Arc<Shared>) {
    let shared = Arc::new(Shared::new(mode));
    let state = Arc::new(Mutex::new(ControlState::default()));
    let a = Alerts::start(cfg, secrets, vec!["BTC".into()], shared.clone(), state).unwrap();
    (a, shared)
}

fn breaker(i: usize) -> Alert {
    Alert::Breaker {
        name: format!("b{i}"),
        reason: "x < y & z".into(),
    }
}

#[test]
fn both_destinations_receive_and_retry_after_is_honoured() {
    let sim = sim();
    sim.telegram().rate_limit_sends(1, 1);
    sim.discord().rate_limit_next(1, 0.5);
    let (alerts, _shared) = start(&cfg(sim.telegram_api_url()), secrets(&sim), Mode::Live);
    let tx = alerts.tx();
    let t0 = Instant::now();
    tx.send(breaker(1));
    assert!(wait_for(Duration::from_secs(5), || {
        !sim.telegram().sent().is_empty() && !sim.discord().received().is_empty()
    }));
    // Telegram said retry after 1 s, Discord 0.5 s.
    let t = sim.telegram();
    assert_eq!((t.rate_limited(), t.send_calls()), (1, 2));
    assert!(
        t0.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t0.elapsed()
    );
    let body = &t.sent()[0];
    assert_eq!(body["chat_id"], -1001);
    assert_eq!(body["parse_mode"], "HTML");
    assert!(
        body["text"].as_str().unwrap().contains("x &lt; y &amp; z"),
        "{body}"
    );
    assert_eq!(sim.discord().rate_limited(), 1);
    let d = &sim.discord().received()[0];
    assert_eq!(d["embeds"][0]["title"], "Breaker tripped: b1");
    let s = alerts.stats();
    assert_eq!(s.telegram.snapshot().rate_limited, 1);
    assert_eq!(s.telegram.snapshot().retries, 1);
    assert_eq!(s.discord.snapshot().sent, 1);
    alerts.shutdown();
}

#[test]
fn paper_mode_sends_only_kill_and_mode_alerts() {
    let sim = sim();
    let (alerts, shared) = start(&cfg(sim.telegram_api_url()), secrets(&sim), Mode::Paper);
    let tx = alerts.tx();
    tx.send(breaker(1));
    tx.send(Alert::Mode {
        from: Mode::Paper,
        to: Mode::Live,
        source: "api".into(),
    });
    tx.send(Alert::Kill {
        active: true,
        reason: "test".into(),
        source: "api".into(),
    });
    assert!(wait_for(Duration::from_secs(5), || sim
        .telegram()
        .sent()
        .len()
        >= 2));
    std::thread::sleep(Duration::from_millis(300));
    let texts = sim.telegram().sent_texts();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].contains("Mode: paper → live") && texts[1].contains("Kill switch ON"));
    assert_eq!(alerts.stats().suppressed.load(Ordering::Relaxed), 1);
    // Muting (`/alerts off`) holds back the rest too, in live mode.
    shared.set_mode(Mode::Live);
    tx.set_muted(true);
    tx.send(breaker(2));
    assert_eq!(alerts.stats().suppressed.load(Ordering::Relaxed), 2);
    alerts.shutdown();
}

#[test]
fn a_dead_endpoint_never_slows_the_caller_and_the_backlog_drops_oldest() {
    // Accepts connections (kernel backlog) but never answers.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", dead.local_addr().unwrap());
    let c = AlertsConfig {
        backlog: 4,
        timeout_ms: 500,
        ..cfg(api.clone())
    };
    let s = AlertSecrets {
        telegram_token: Some("1:x".into()),
        telegram_chat_id: Some("1".into()),
        discord_webhook: Some(format!("{api}/discord/api/webhooks/1/t")),
    };
    let (alerts, _shared) = start(&c, s, Mode::Live);
    let tx = alerts.tx();
    let t0 = Instant::now();
    let mut worst = Duration::ZERO;
    for i in 0..200 {
        let t = Instant::now();
        tx.send(breaker(i));
        worst = worst.max(t.elapsed());
    }
    let total = t0.elapsed();
    assert!(
        total < Duration::from_millis(200),
        "200 sends took {total:?}"
    );
    assert!(worst < Duration::from_millis(20), "worst send {worst:?}");
    for d in [&alerts.stats().telegram, &alerts.stats().discord] {
        let s = d.snapshot();
        assert_eq!(s.queued, 200, "{s:?}");
        // At most the backlog plus the one in flight survive.
        assert!(s.dropped >= 200 - 4 - 1, "{s:?}");
        assert_eq!(s.sent, 0);
    }
    let t = Instant::now();
    alerts.shutdown();
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    drop(dead);
}

#[test]
fn transient_failures_are_retried_then_given_up() {
    let sim = sim();
    sim.faults().set_http_status(Some(503));
    let c = AlertsConfig {
        max_attempts: 3,
        ..cfg(sim.telegram_api_url())
    };
    let (alerts, _shared) = start(&c, secrets(&sim), Mode::Live);
    alerts.tx().send(breaker(1));
    let s = alerts.stats();
    assert!(wait_for(Duration::from_secs(5), || {
        s.telegram.snapshot().failed == 1 && s.discord.snapshot().failed == 1
    }));
    assert_eq!(s.telegram.snapshot().retries, 2);
    sim.faults().set_http_status(None);
    alerts.tx().send(breaker(2));
    assert!(wait_for(Duration::from_secs(5), || s
        .telegram
        .snapshot()
        .sent
        == 1));
    alerts.shutdown();
}
