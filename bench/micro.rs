//! criterion micro-benchmarks of the hot-path pieces (issue 8, item 4), each short (0.5 s
//! warm-up, 2 s measurement) so the suite runs in about two minutes:
//! - `binance_parse`: a combined trade frame, the product's scanner vs the simd-json path;
//! - `polymarket`: a 20-level `book` frame parsed and applied, and single book updates;
//! - `strategy`: fair value (`prob_up`) then the fee-aware edge over a 20-level ask book;
//! - `order`: build + sign (ethers/k256) + HMAC vs presigned pick + HMAC;
//! - `ring`: an rtrb round trip between two threads on different cores.
//!
//! Run: `cargo bench --bench micro` (criterion's text report; no plots, no HTML).
//! `bench/components.rs` has the wider comparisons (serde_json, sonic-rs, libsecp256k1).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cassandra::clob::auth::HMAC_SIGNATURE_LEN;
use cassandra::exec::ladder::OrderLadder;
use cassandra::exec::orders::{build_buy, PostBody, SaltSource};
use cassandra::feeds::binance::BinanceParser;
use cassandra::feeds::polymarket::book::{BookSide, L2Book};
use cassandra::feeds::polymarket::{PolyBatch, PolyBooks, PolyFrame, PolyParser};
use cassandra::pipeline::control::{FeeParams, TokenKey};
use cassandra::pipeline::events::{Level, OrderType, TokenId};
use cassandra::pipeline::registry::AssetTable;
use cassandra::strategy::edge::buy_edge;
use cassandra::strategy::fair_value::prob_up;
use criterion::{criterion_group, criterion_main, Criterion};

#[path = "common/mod.rs"]
mod common;
use common::{poly_book_frame, POLY_UP};

const TRADE: &[u8] = br#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"97012.35000000","q":"0.01200000","T":1672515782136,"m":true,"M":true}}"#;

fn binance_parse(c: &mut Criterion) {
    let assets = AssetTable::from_names(&["BTC", "ETH"]).expect("assets");
    let mut parser = BinanceParser::default();
    let mut buf = TRADE.to_vec();
    let mut g = c.benchmark_group("binance_parse");
    // Both parse in place, so each iteration copies the frame in first (as the socket does).
    g.bench_function("scanner (product)", |b| {
        b.iter(|| {
            buf.copy_from_slice(TRADE);
            black_box(parser.parse(black_box(&mut buf), &assets)).ok()
        })
    });
    g.bench_function("simd-json general", |b| {
        b.iter(|| {
            buf.copy_from_slice(TRADE);
            black_box(parser.parse_general(black_box(&mut buf), &assets)).ok()
        })
    });
    g.finish();
}

fn polymarket(c: &mut Criterion) {
    let frame = poly_book_frame();
    let mut buf = frame.clone();
    let mut books = PolyBooks::default();
    assert!(books
        .tokens
        .insert(0, TokenKey::new(POLY_UP).expect("token")));
    let mut parser = PolyParser::default();
    let mut batch = PolyBatch::default();
    assert_eq!(
        parser.parse(&mut buf, &mut books, &mut batch),
        Ok(PolyFrame::Events)
    );
    let mut g = c.benchmark_group("polymarket");
    g.bench_function("book frame parse + apply (20+20 levels)", |b| {
        b.iter(|| {
            buf.copy_from_slice(&frame);
            black_box(parser.parse(black_box(&mut buf), &mut books, &mut batch)).ok()
        })
    });
    // One price_change level on a 20-level book: insert a new best ask, then remove it.
    let mut book = L2Book::default();
    book.begin_snapshot(1);
    for i in 0..20 {
        book.push_snapshot_level(BookSide::Bid, 4_900 - i * 100, 10_000_000);
        book.push_snapshot_level(BookSide::Ask, 5_100 + i * 100, 10_000_000);
    }
    book.end_snapshot();
    let mut ts = 2;
    g.bench_function("book update (set + remove a level)", |b| {
        b.iter(|| {
            ts += 1;
            black_box(book.set_level(BookSide::Ask, black_box(5_050), 3_000_000, ts));
            black_box(book.set_level(BookSide::Ask, black_box(5_050), 0, ts))
        })
    });
    g.finish();
}

fn strategy(c: &mut Criterion) {
    let asks: Vec<Level> = (0..20)
        .map(|i| Level {
            price_e4: 5_100 + i * 100,
            size_e6: 25_000_000 + u64::from(i) * 1_000_000,
        })
        .collect();
    let fee = FeeParams {
        rate: 0.072,
        exponent: 1.0,
        taker_only: true,
    };
    let mut g = c.benchmark_group("strategy");
    g.bench_function("fair value + edge (20 asks, 100 shares)", |b| {
        b.iter(|| {
            let p = prob_up(
                black_box(97_012.35),
                black_box(96_950.0),
                black_box(0.000_12),
                black_box(312.0),
            )
            .unwrap_or(0.5);
            black_box(buy_edge(p, black_box(&asks), 100_000_000, fee))
        })
    });
    g.finish();
}

fn order(c: &mut Criterion) {
    let common::OrderFixture {
        signer,
        account,
        info,
        l2,
        ..
    } = common::order_fixture();
    let hmac = |body: &[u8]| {
        let mut sig = [0u8; HMAC_SIGNATURE_LEN];
        black_box(
            l2.sign_into(1_800_000_000, "POST", "/order", Some(body), &mut sig)
                .len(),
        );
    };
    let mut salts = SaltSource::new(1_800_000_000_000, 3);
    let mut scratch = Vec::with_capacity(4096);
    let mut build = |salt: u64| -> PostBody {
        build_buy(
            &signer,
            &account,
            "k",
            &info,
            TokenId(1),
            5200,
            9_610_000,
            OrderType::Fak,
            salt,
            1_800_000_000_000,
            &mut scratch,
        )
        .expect("build")
    };
    let mut g = c.benchmark_group("order");
    g.bench_function("build + sign (ethers/k256) + HMAC", |b| {
        b.iter(|| {
            let body = build(salts.next_salt());
            hmac(body.bytes());
        })
    });
    // Refilled off the clock with copies of one signed body (the control side's job), so
    // the untimed part stays cheap and criterion's iteration count stays sane.
    let presigned = build(salts.next_salt());
    let mut ladder = OrderLadder::default();
    g.bench_function("presigned pick + HMAC", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                ladder.insert(presigned);
                let t = Instant::now();
                let body = ladder.take(TokenId(1), 5200, 9_610_000).expect("presigned");
                hmac(body.bytes());
                spent += t.elapsed();
            }
            spent
        })
    });
    g.finish();
}

fn ring(c: &mut Criterion) {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let mut g = c.benchmark_group("ring");
    g.bench_function("rtrb round trip, two threads", |b| {
        b.iter_custom(|iters| {
            let (mut tx_a, mut rx_a) = rtrb::RingBuffer::<u64>::new(1024);
            let (mut tx_b, mut rx_b) = rtrb::RingBuffer::<u64>::new(1024);
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            let echo_core = cores.last().copied();
            let echo = std::thread::spawn(move || {
                if let Some(core) = echo_core {
                    core_affinity::set_for_current(core);
                }
                while !s.load(Ordering::Relaxed) {
                    match rx_a.pop() {
                        Ok(v) => while tx_b.push(v).is_err() {},
                        Err(_) => std::hint::spin_loop(),
                    }
                }
            });
            if cores.len() >= 2 {
                core_affinity::set_for_current(cores[0]);
            }
            // Off the clock: the echo thread is up and spinning (its start-up would otherwise
            // land in the first round trips of every sample).
            for i in 0..1_000 {
                while tx_a.push(i).is_err() {}
                while rx_b.pop().is_err() {
                    std::hint::spin_loop();
                }
            }
            let t = Instant::now();
            for i in 0..iters {
                while tx_a.push(i).is_err() {}
                while rx_b.pop().is_err() {
                    std::hint::spin_loop();
                }
            }
            let spent = t.elapsed();
            stop.store(true, Ordering::Relaxed);
            echo.join().expect("echo thread");
            spent
        })
    });
    g.finish();
}

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = micro;
    config = short();
    targets = binance_parse, polymarket, strategy, order, ring
}
criterion_main!(micro);
