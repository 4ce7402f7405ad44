//! Starting on fixed ports, refusing a bad config, and shutting down with clients connected.

mod sim_common;
use sim_common as common;

use cassandra::sim::{SimConfig, SimPorts, Simulator};
use common::*;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn start_on_fixed_ports() {
    let http = free_port();
    let sim = Simulator::start_on(
        SimConfig::default(),
        SimPorts {
            http,
            ..SimPorts::default()
        },
    )
    .expect("start");
    assert_eq!(sim.http_url(), format!("http://127.0.0.1:{http}"));
    assert_eq!(sim.ports().http, http);
    assert!(sim.binance_ws_url().starts_with("ws://127.0.0.1:"));
    assert_eq!(http_get(&sim.http_url(), "/ok").0, 200);
    // The port is taken while the simulator runs.
    let clash = Simulator::start_on(
        SimConfig::default(),
        SimPorts {
            http,
            ..SimPorts::default()
        },
    );
    assert!(clash.is_err());
}

#[test]
fn bad_config_is_refused_with_the_field_named() {
    let cfg = SimConfig {
        window_secs: 0,
        binance_rate_hz: -1.0,
        ..SimConfig::default()
    };
    let err = Simulator::start(cfg)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("window_secs") && err.contains("binance_rate_hz"),
        "{err}"
    );
}

#[test]
fn shutdown_closes_every_feed_promptly() {
    let sim = Simulator::start(SimConfig::default()).expect("start");
    let mut b = ws_connect(&format!(
        "{}/stream?streams=btcusdt@trade",
        sim.binance_ws_url()
    ));
    let mut p = ws_connect(&format!("{}/ws/market", sim.poly_ws_url()));
    let mut c = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    expect_text(&mut b, Duration::from_secs(2));
    let urls = (sim.binance_ws_url(), sim.http_url());
    let t0 = Instant::now();
    sim.shutdown();
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        t0.elapsed()
    );
    for ws in [&mut b, &mut p, &mut c] {
        let deadline = Instant::now() + Duration::from_secs(2);
        let closed = loop {
            match next_text(ws, deadline) {
                Got::Text(_) => continue,
                Got::Closed(_) => break true,
                Got::Timeout => break false,
            }
        };
        assert!(closed);
    }
    assert!(try_ws_connect(&format!("{}/stream?streams=btcusdt@trade", urls.0)).is_err());
    assert!(std::net::TcpStream::connect(urls.1.trim_start_matches("http://")).is_err());
}

#[test]
fn unknown_ws_paths_are_refused() {
    let sim = Simulator::start(SimConfig::default()).expect("start");
    assert!(try_ws_connect(&format!("{}/nope", sim.binance_ws_url())).is_err());
    assert!(try_ws_connect(&format!("{}/ws/user", sim.poly_ws_url())).is_err());
    assert!(try_ws_connect(&format!("{}/other", sim.chainlink_ws_url())).is_err());
    assert_eq!(sim.stats().binance.connections(), 0);
}
