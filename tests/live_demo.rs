//! `demo --mode live`: a throwaway key signs CLOB V2 orders, the order thread posts them on
//! its keep-alive connection, the simulated CLOB verifies every HMAC and recovers every
//! EIP-712 signer, checks market-order amounts, the $1 minimum and the wallet's pUSD, fills
//! come back and the account moves. `shadow` builds and signs the same orders, sends nothing
//! and fills on paper.

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::demo::Demo;
use cassandra::pipeline::shared::Mode;
use cassandra::sim::SimVerdict;
use support::{fast_demo_config, trade_eagerly, wait_for};

#[test]
fn live_orders_are_verified_by_the_simulated_clob_and_fill() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    let demo = Demo::start(cfg).expect("demo starts");
    let shared = demo.pipeline.shared.clone();
    let c = &shared.counters;
    assert!(
        wait_for(Duration::from_secs(30), || c
            .order
            .fills
            .load(Ordering::Relaxed)
            >= 3),
        "no live fills: {:?}, clob saw {:?}",
        c.snapshot(),
        demo.sim
            .clob()
            .orders()
            .iter()
            .map(|o| (o.verdict, o.error.clone()))
            .collect::<Vec<_>>()
    );
    let orders = demo.sim.clob().orders();
    assert!(!orders.is_empty());
    for o in &orders {
        assert!(o.hmac_ok, "HMAC refused: {o:?}");
        assert!(
            o.signer_ok,
            "signature did not recover to the signer: {o:?}"
        );
    }
    // The strict venue refused nothing for its amounts, size, price or funds: every order
    // either matched or found no liquidity at its limit (a market outcome).
    for o in &orders {
        assert!(
            matches!(o.verdict, SimVerdict::Matched | SimVerdict::Killed),
            "refused by the venue's rules: {o:?}"
        );
    }
    let matched = orders
        .iter()
        .filter(|o| o.verdict == SimVerdict::Matched)
        .count();
    assert!(matched >= 3, "{orders:?}");
    // Every salt once: a presigned order is never sent twice.
    let salts: BTreeSet<u64> = orders.iter().filter_map(|o| o.salt).collect();
    assert_eq!(salts.len(), orders.len());
    let live = demo.pipeline.live.clone().expect("live path running");
    // Once the ladder has signed ahead, intents take presigned orders.
    assert!(
        wait_for(Duration::from_secs(20), || live
            .presigned
            .load(Ordering::Relaxed)
            >= 1),
        "no presigned order was used: {} signed on the spot",
        live.signed_now.load(Ordering::Relaxed)
    );
    let orders = demo.sim.clob().orders();
    assert!(orders.iter().all(|o| o.hmac_ok && o.signer_ok));
    let salts: BTreeSet<u64> = orders.iter().filter_map(|o| o.salt).collect();
    assert_eq!(salts.len(), orders.len(), "a salt was sent twice");
    assert!(live.sent.load(Ordering::Relaxed) >= orders.len() as u64);
    eprintln!(
        "live path: {} presigned, {} signed on the spot, {} sent",
        live.presigned.load(Ordering::Relaxed),
        live.signed_now.load(Ordering::Relaxed),
        live.sent.load(Ordering::Relaxed)
    );
    // The demo tags each order with its trigger frame; the simulated CLOB matched them to
    // the frames it sent and measured wire-to-wire tick-to-trade.
    let url = format!("{}/bench/tick-to-trade", demo.sim.http_url());
    let t2t: cassandra::sim::wire::TickToTradeReport = reqwest::blocking::get(&url)
        .and_then(|r| r.json())
        .expect("tick-to-trade report");
    assert!(
        !t2t.samples_ns.is_empty(),
        "no order matched its frame: {t2t:?}"
    );
    assert!(
        t2t.samples_ns
            .iter()
            .all(|&ns| ns > 0 && ns < 30_000_000_000),
        "{t2t:?}"
    );
    assert_eq!(t2t.unmatched, 0, "{t2t:?}");
    assert!(t2t.frames_sent > 0);
    let s = demo.stop();
    assert!(
        s.paper.cash < s.paper.start_cash,
        "fills moved the account: {:?}",
        s.paper
    );
}

#[test]
fn shadow_signs_and_journals_but_sends_nothing() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Shadow;
    let demo = Demo::start(cfg).expect("demo starts");
    let c = &demo.pipeline.shared.counters;
    assert!(
        wait_for(Duration::from_secs(30), || {
            c.order.fills.load(Ordering::Relaxed) >= 2
                && !demo.pipeline.state.lock().unwrap().bodies.is_empty()
        }),
        "{:?}",
        c.snapshot()
    );
    assert!(demo.sim.clob().orders().is_empty(), "shadow must not send");
    let bodies = demo.pipeline.state.lock().unwrap().bodies.clone();
    for (_, b) in &bodies {
        let v: serde_json::Value = serde_json::from_str(b).expect("a JSON body");
        assert_eq!(v["orderType"], "FAK");
        let sig = v["order"]["signature"].as_str().unwrap();
        assert!(sig.starts_with("0x") && sig.len() == 132, "{sig}");
        assert_eq!(v["order"]["side"], "BUY");
    }
    demo.stop();
}

#[test]
fn an_order_version_mismatch_is_resolved_and_the_order_posted_again() {
    let mut cfg = fast_demo_config(20);
    trade_eagerly(&mut cfg);
    cfg.mode = Mode::Live;
    let demo = Demo::start(cfg).expect("demo starts");
    demo.sim.faults().set_order_version_mismatch(2);
    let live = demo.pipeline.live.clone().expect("live path running");
    let c = &demo.pipeline.shared.counters;
    assert!(
        wait_for(Duration::from_secs(30), || {
            live.version_retries.load(Ordering::Relaxed) >= 1
                && c.order.fills.load(Ordering::Relaxed) >= 2
        }),
        "retries {}, {:?}, clob saw {:?}",
        live.version_retries.load(Ordering::Relaxed),
        c.snapshot(),
        demo.sim
            .clob()
            .orders()
            .iter()
            .map(|o| (o.verdict, o.error.clone()))
            .collect::<Vec<_>>()
    );
    // The mismatched posts were answered, then each intent went out again and matched.
    let orders = demo.sim.clob().orders();
    let mismatched = orders
        .iter()
        .filter(|o| o.error.contains("order_version_mismatch"))
        .count();
    assert!(mismatched >= 1, "{orders:?}");
    demo.stop();
}

#[test]
fn allowances_are_read_and_set_through_the_api_for_the_live_wallet() {
    let mut cfg = fast_demo_config(30);
    cfg.mode = Mode::Live;
    cfg.api.enabled = true;
    cfg.api.bind = "127.0.0.1:0".into();
    let key = "a key for the allowances test";
    let demo =
        cassandra::demo::Demo::start_with_key(cfg, cassandra::control::api::ApiKey::new(key))
            .expect("demo starts");
    let url = format!(
        "{}/api/live-trading/allowances",
        demo.api().expect("api").url()
    );
    let http = reqwest::blocking::Client::new();
    let v: serde_json::Value = http
        .get(&url)
        .header("X-API-Key", key)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["status"]["ready"], false, "{v}");
    let r = http.post(&url).header("X-API-Key", key).send().unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["transactions"].as_array().unwrap().len(), 8, "{v}");
    assert_eq!(v["status"]["ready"], true, "{v}");
    assert_eq!(demo.sim.rpc().transactions(), 8);
    demo.stop();
}
