//! The `order` thread's live path with its hand-off to the order tracker allocates nothing in
//! steady state: signing on the spot, writing the request, reading the answer, and pushing the
//! `Sent` / `Answered` notes (with `orderID` and trade ids) onto the ring. Against the strict
//! simulated CLOB on 127.0.0.1; only this thread's allocations are counted.

mod alloc_count;
mod venue_clob_common;

use std::time::{Duration, Instant};

use cassandra::clob::http::HttpTarget;
use cassandra::clob::order::{Chain, OrderVersion};
use cassandra::exec::live::{LiveCounters, LiveExec};
use cassandra::exec::notes::{LiveNote, NOTES_CAPACITY};
use cassandra::exec::orders::{Account, TokenOrderInfo};
use cassandra::pipeline::events::{ExecReport, OrderIntent, TokenId};
use cassandra::pipeline::rings::tap;
use venue_clob_common::Venue;

#[test]
fn sending_answering_and_handing_off_allocate_nothing() {
    let mut v = Venue::start();
    venue_clob_common::pick_dearer_side(&mut v);
    let t = v.eoa_trader(0x61);
    v.sim.clob().fund(&t.maker, 1_000_000_000);
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (_pre_tx, pre_rx) = tap(8, dropped.clone());
    let (used_tx, _used_rx) = tap(8, dropped.clone());
    let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (mut tok_tx, tok_rx) = cassandra::pipeline::lossless::lossless(8, dropped.clone(), alive);
    let (notes_tx, mut notes_rx) = tap(NOTES_CAPACITY, dropped);
    let book = v.book();
    let info =
        TokenOrderInfo::from_window(&v.token, book.tick_e4 as u16, false, 5_000_000).unwrap();
    assert!(tok_tx.send((TokenId(1), info)));
    let counters: std::sync::Arc<LiveCounters> = Default::default();
    let mut exec = LiveExec::new(
        HttpTarget::parse(&v.sim.http_url()).unwrap(),
        cassandra::clob::sign::OrderSigner::new(venue_clob_common::key(0x61), Chain::Polygon),
        Account {
            maker: t.maker,
            signature_type: t.signature_type,
            version: OrderVersion::V2,
        },
        t.creds.clone(),
        pre_rx,
        used_tx,
        tok_rx,
        counters,
        std::sync::Arc::new(std::sync::atomic::AtomicU8::new(2)),
    )
    .unwrap();
    exec.absorb();
    exec.notes = Some(notes_tx);
    let ask = book.best_ask().unwrap().price_e4;
    let mut intent = OrderIntent {
        token: TokenId(1),
        limit_price_e4: (ask + 100).min(10_000 - book.tick_e4),
        size_e6: 5_000_000,
        ..Default::default()
    };
    intent.book.tick_e4 = book.tick_e4 as u16;
    let mut reports = [ExecReport::default(); 64];
    let mut n_reports = 0usize;
    let mut one = |exec: &mut LiveExec, id: u64, reports: &mut [ExecReport; 64], n: &mut usize| {
        intent.intent_id = id;
        exec.send(
            &intent,
            cassandra::clock::mono_ns(),
            cassandra::clock::wall_ms(),
        )
        .expect("sent");
        let deadline = Instant::now() + Duration::from_secs(10);
        let before = *n;
        while *n == before {
            assert!(Instant::now() < deadline, "no answer");
            exec.poll(cassandra::clock::mono_ns(), |r| {
                reports[*n % 64] = r;
                *n += 1;
            });
        }
    };
    // Warm up: the connection, buffers, lazily built hashes.
    for id in 1..=3 {
        one(&mut exec, id, &mut reports, &mut n_reports);
    }
    while notes_rx.pop().is_some() {}
    let n = alloc_count::allocations_during(|| {
        for id in 10..30 {
            one(&mut exec, id, &mut reports, &mut n_reports);
        }
    });
    assert_eq!(n, 0, "allocations on the live path");
    // Every order sent is handed off: a Sent and an Answered note each.
    let (mut sent, mut answered) = (0, 0);
    while let Some(note) = notes_rx.pop() {
        match note {
            LiveNote::Sent { .. } => sent += 1,
            LiveNote::Answered { answer, .. } => {
                assert!(answer.is_some_and(|a| a.order_id().starts_with("0x")));
                answered += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((sent, answered), (20, 20));
}
