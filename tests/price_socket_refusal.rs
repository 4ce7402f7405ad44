//! Bad price-socket credentials are not a silent feed: the simulated PolyBolt answers
//! `{"op":"error","code":"auth_invalid"}` (the venue's string code), and the pipeline counts the
//! refusal, shows the feed down and keeps retrying; with good credentials prices flow.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::demo::{point_at, sim_config};
use cassandra::feeds::polymarket::ingest::PriceSocketAuth;
use cassandra::pipeline::shared::FEED_CHAINLINK;
use cassandra::runtime::{Pipeline, StartOptions};
use cassandra::sim::Simulator;
use support::{fast_demo_config, wait_for};

fn run(api_key: &str) -> (Simulator, Pipeline) {
    let mut cfg = fast_demo_config(60);
    let sim = Simulator::start(sim_config(&cfg)).expect("simulator");
    point_at(&mut cfg, &sim);
    let pipeline = Pipeline::start(
        &cfg,
        StartOptions {
            price_socket: Some(PriceSocketAuth {
                api_key: api_key.into(),
                secret: "c2VjcmV0".into(),
                passphrase: "p".into(),
            }),
            ..StartOptions::default()
        },
    )
    .expect("pipeline");
    (sim, pipeline)
}

#[test]
fn refused_credentials_are_counted_and_the_feed_shows_down() {
    let (_sim, p) = run("");
    let c = &p.shared.counters.chainlink;
    let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    assert!(
        wait_for(Duration::from_secs(10), || get(&c.parse_errors) >= 2
            && get(&c.reconnects) >= 1),
        "refusals {} reconnects {}",
        get(&c.parse_errors),
        get(&c.reconnects)
    );
    assert!(!p.shared.feeds[FEED_CHAINLINK]
        .connected
        .load(Ordering::Relaxed));
    p.shutdown();
}

#[test]
fn accepted_credentials_bring_prices_without_refusals() {
    let (sim, p) = run("key");
    let c = &p.shared.counters.chainlink;
    assert!(wait_for(Duration::from_secs(10), || c
        .frames
        .load(Ordering::Relaxed)
        >= 5));
    assert_eq!(c.parse_errors.load(Ordering::Relaxed), 0);
    assert!(p.shared.feeds[FEED_CHAINLINK]
        .connected
        .load(Ordering::Relaxed));
    assert_eq!(sim.stats().chainlink.connections(), 1, "no reconnect loop");
    p.shutdown();
}
