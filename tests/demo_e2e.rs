//! `demo` end to end on loopback: frames cross every hot thread, every stage histogram gets
//! samples, orders are filled on paper and the summary reports it all.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::demo::Demo;
use support::{fast_demo_config, trade_eagerly, wait_for};

#[test]
fn demo_moves_frames_through_every_thread_and_stage() {
    let mut cfg = fast_demo_config(30);
    trade_eagerly(&mut cfg);
    let demo = Demo::start(cfg).expect("demo starts");
    let shared = demo.pipeline.shared.clone();
    let c = &shared.counters;
    let fills = || c.order.fills.load(Ordering::Relaxed);
    assert!(
        wait_for(Duration::from_secs(20), || fills() >= 2),
        "no paper fills within 20 s: {:?}",
        c.snapshot()
    );
    std::thread::sleep(Duration::from_millis(600)); // one more latency hand-over
    let s = demo.stop();

    assert_eq!(s.threads.len(), 4);
    let names: Vec<_> = s.threads.iter().map(|t| t.name).collect();
    assert_eq!(names, ["binance-ingest", "poly-ingest", "signal", "order"]);
    let k = &s.counters;
    assert!(k.binance_frames > 100, "{k:?}");
    assert!(k.poly_frames > 10, "{k:?}");
    assert!(k.chainlink_frames > 0, "{k:?}");
    assert!(k.signals > 100, "{k:?}");
    assert!(k.orders >= 2 && k.fills >= 2, "{k:?}");
    assert_eq!(k.parse_errors, 0, "{k:?}");
    assert_eq!(k.hot_ring_full, 0, "{k:?}");
    for stage in [
        "binance_parse",
        "poly_parse",
        "chainlink_parse",
        "spot_to_signal",
        "book_to_signal",
        "decide",
        "tick_to_decision",
        "intent_to_order",
        "order_exec",
        "tick_to_trade",
    ] {
        let l = s
            .latency_ns
            .get(stage)
            .unwrap_or_else(|| panic!("stage {stage} missing: {:?}", s.latency_ns.keys()));
        assert!(l.count > 0, "{stage}: {l:?}");
        assert!(
            l.p50 > 0 && l.p50 <= l.p99 && l.p99 <= l.max,
            "{stage}: {l:?}"
        );
    }
    // Paper fills cost cash and paid fees (taken in tokens, valued in USDC).
    assert!(s.paper.cash < s.paper.start_cash, "{:?}", s.paper);
    assert!(s.paper.fees_paid > 0.0, "{:?}", s.paper);

    // The JSON summary carries the documented fields.
    let json: serde_json::Value = serde_json::to_value(&s).unwrap();
    for key in [
        "threads",
        "counters",
        "latency_ns",
        "paper",
        "skips",
        "breakers",
    ] {
        assert!(json.get(key).is_some(), "summary lacks {key}: {json}");
    }
    for key in [
        "binance_frames",
        "poly_frames",
        "chainlink_frames",
        "parse_errors",
        "reconnects",
        "hot_ring_full",
        "tap_dropped",
        "signals",
        "orders",
        "fills",
    ] {
        assert!(json["counters"].get(key).is_some(), "counters lack {key}");
    }
    for key in ["name", "core", "wait"] {
        assert!(json["threads"][0].get(key).is_some(), "threads lack {key}");
    }
}
