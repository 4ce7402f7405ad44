//! The simulator drops the Binance and Polymarket connections mid-stream; the pipeline
//! reconnects, resubscribes every followed token, and frames flow again.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::demo::Demo;
use support::{fast_demo_config, wait_for};

#[test]
fn dropped_feeds_reconnect_and_resubscribe() {
    let demo = Demo::start(fast_demo_config(60)).expect("demo starts");
    let shared = demo.pipeline.shared.clone();
    let c = &shared.counters;
    let sim = &demo.sim;
    let frames = |f: &std::sync::atomic::AtomicU64| f.load(Ordering::Relaxed);

    // Steady flow with tokens subscribed.
    assert!(wait_for(Duration::from_secs(15), || {
        frames(&c.poly.frames) > 20
            && frames(&c.binance.frames) > 100
            && sim.stats().poly_subscriptions().iter().flatten().count() >= 4
    }));
    let subscribed: std::collections::BTreeSet<String> = sim
        .stats()
        .poly_subscriptions()
        .into_iter()
        .flatten()
        .collect();
    let conns = (
        sim.stats().binance.connections(),
        sim.stats().poly.connections(),
    );

    sim.faults().drop_binance();
    sim.faults().drop_poly();

    assert!(
        wait_for(Duration::from_secs(10), || {
            sim.stats().binance.connections() > conns.0 && sim.stats().poly.connections() > conns.1
        }),
        "no reconnect: {conns:?}"
    );
    let (b0, p0) = (frames(&c.binance.frames), frames(&c.poly.frames));
    assert!(
        wait_for(Duration::from_secs(10), || {
            frames(&c.binance.frames) > b0 + 100 && frames(&c.poly.frames) > p0 + 10
        }),
        "frames did not resume"
    );
    assert!(frames(&c.binance.reconnects) >= 1);
    assert!(frames(&c.poly.reconnects) >= 1);
    // The last subscription (the one after the reconnect) names every token followed before.
    let subs = sim.stats().poly_subscriptions();
    let last: std::collections::BTreeSet<String> = subs.last().unwrap().iter().cloned().collect();
    for token in &subscribed {
        // Tokens of windows that ended meanwhile may be gone; live ones must be back.
        if sim
            .live_windows()
            .iter()
            .any(|w| &w.up_token == token || &w.down_token == token)
        {
            assert!(
                last.contains(token),
                "token {token} not resubscribed: {last:?}"
            );
        }
    }
    // The Binance connection asked for the same streams again.
    let streams = sim.stats().binance_streams();
    assert_eq!(streams.first(), streams.last());
    let s = demo.stop();
    assert!(s.counters.reconnects >= 2, "{:?}", s.counters);
}
