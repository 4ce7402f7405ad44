//! What an operator sees: feed connection errors reach the log (the control loop logs what
//! the ingest threads record), `/health` names the breakers tripped now (the stale-feed one
//! included) and each feed's last error, and `run` reports how long it really ran.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use cassandra::config::{ApiConfig, Config};
use cassandra::control::api::{self, ApiContext};
use cassandra::control::{ControlState, FeedWatch};
use cassandra::feeds::link::{FeedLink, LinkRules, LinkState};
use cassandra::feeds::ws::{WsConfig, WsUrl};
use cassandra::pipeline::shared::{Mode, Shared};
use cassandra::risk::{BreakerEvent, BreakerKind, BreakerTrip};
use cassandra::telemetry::counters::FeedCounters;

#[test]
fn a_failed_feed_connection_is_logged_once_per_new_error() {
    let shared = Shared::new(Mode::Paper);
    let mut watch = FeedWatch::default();
    assert!(watch.watch(&shared).is_empty());
    // A real failed attempt on the Binance link: nothing listens on the port.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let url = WsUrl::parse(&format!("ws://127.0.0.1:{port}/ws")).unwrap();
    let mut link = FeedLink::new(url, WsConfig::default(), LinkRules::default(), 1);
    let c = FeedCounters::default();
    assert_eq!(
        link.ensure(cassandra::clock::mono_ns(), &c, &shared.feeds[0]),
        LinkState::Down
    );
    let lines = watch.watch(&shared);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("binance connection failed:"),
        "{lines:?}"
    );
    assert!(lines[0].to_lowercase().contains("refused"), "{lines:?}");
    // The same error again is not logged again.
    assert!(watch.watch(&shared).is_empty());
    // A connect is.
    shared.feeds[0].connected.store(true, Ordering::SeqCst);
    assert_eq!(watch.watch(&shared), vec!["binance connected".to_string()]);
}

#[test]
fn health_names_the_stale_feed_breaker_and_the_feed_error() {
    let shared = Arc::new(Shared::new(Mode::Paper));
    *shared.feeds[1].last_error.lock().unwrap() = "feed silent past its limit".into();
    let mut st = ControlState::default();
    st.on_breaker(BreakerEvent::Tripped(BreakerTrip {
        kind: BreakerKind::StaleFeed,
        at_wall_ms: 1,
        until_wall_ms: None,
        observed: 31_000.0,
        limit: 30_000.0,
        feed: 1,
    }));
    let ctx = ApiContext::new(
        &Config::default(),
        shared,
        Arc::new(Mutex::new(st)),
        cassandra::pipeline::cores::CorePlan::compute(&[0, 1], &Default::default()),
        None,
    )
    .unwrap();
    let h = api::spawn(
        ApiConfig {
            bind: "127.0.0.1:0".into(),
            ..Default::default()
        },
        ctx,
    )
    .unwrap();
    let v: serde_json::Value = reqwest::blocking::get(format!("{}/health", h.url()))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["breaker"]["tripped"], true, "{v}");
    assert_eq!(
        v["breaker"]["trips"][0]["kind"],
        BreakerKind::StaleFeed.name()
    );
    assert!(
        v["breaker"]["trips"][0]["message"]
            .as_str()
            .unwrap()
            .contains("polymarket"),
        "{v}"
    );
    assert_eq!(v["feeds"][1]["last_error"], "feed silent past its limit");
    assert!(v["feeds"][0]["last_error"].is_null());
}

#[test]
fn run_reports_the_time_it_ran() {
    // Paper mode against venues that are not there (closed loopback ports), no API.
    let dir = std::env::temp_dir().join(format!("cassandra-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("run.toml");
    std::fs::write(
        &cfg,
        "mode = \"paper\"\n[api]\nenabled = false\n[venues]\n\
         binance_ws = \"ws://127.0.0.1:9\"\nbinance_rest = \"http://127.0.0.1:9\"\n\
         poly_ws = \"ws://127.0.0.1:9\"\nchainlink_ws = \"ws://127.0.0.1:9\"\n\
         gamma = \"http://127.0.0.1:9\"\nclob = \"http://127.0.0.1:9\"\n\
         polygon_rpc = \"http://127.0.0.1:9\"\ndata_api = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cassandra"))
        .args(["run", "--duration", "1.5", "--config"])
        .arg(&cfg)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secs: f64 = text
        .split("Run of ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no 'Run of' line: {text}"));
    assert!((1.4..5.0).contains(&secs), "ran {secs} s: {text}");
    let _ = std::fs::remove_dir_all(&dir);
}
