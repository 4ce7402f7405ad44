//! Property tests of every parser that reads the network past the wire (the wire itself:
//! `tests/fuzz_wire.rs`): Binance, the Polymarket market channel, PolyBolt, Gamma and the CLOB
//! market record, the Data API, and the CLOB's order answers.
//!
//! Two kinds of property:
//! - mutation fuzzing: the cases of `tests/fuzz_common` (captured venue frames, mutated) go
//!   through each parser, which must not panic and must keep the invariants its `Target`
//!   asserts (scanner = general parser, sorted books, positive prices, the answer parser =
//!   `serde_json`, ...);
//! - round trips: frames generated from values in the venues' documented layouts parse back
//!   to exactly those values.
//!
//! A short deterministic slice runs by default (fixed seed; 16 proptest cases × 48 mutated
//! frames per parser). `PROPTEST_CASES=N` runs more; the million-case run is
//! `cargo bench --bench fuzz` (see RELIABILITY.md).

mod fuzz_common;

use fuzz_common::targets;
use fuzz_common::{corpus, Mutator};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use cassandra::exec::answer::{parse_order_response, AnswerStatus};
use cassandra::feeds::binance::scan::scan_frame;
use cassandra::feeds::binance::{BinanceFrame, BinanceParser};
use cassandra::feeds::chainlink::{ChainlinkBatch, ChainlinkFrame, ChainlinkParser};
use cassandra::feeds::json::JsonScratch;
use cassandra::feeds::polymarket::{PolyBatch, PolyBooks, PolyParser};
use cassandra::pipeline::control::TokenKey;
use cassandra::pipeline::registry::AssetTable;

const FRAMES_PER_CASE: usize = 48;

fn config() -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(16),
        rng_seed: RngSeed::Fixed(0x17),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Run `FRAMES_PER_CASE` mutated frames from `seed` through the target named `name`.
fn fuzz(name: &str, seed: u64) {
    let corpus = corpus();
    let mut target = targets::all(&corpus)
        .into_iter()
        .find(|t| t.name() == name)
        .unwrap();
    let mut m = Mutator::new(seed, &corpus, |p| target.owns(p));
    let mut case = Vec::new();
    for _ in 0..FRAMES_PER_CASE {
        m.next_case(&mut case);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target.check(&case)));
        if let Err(e) = r {
            let text = String::from_utf8_lossy(&case);
            let cut: String = text.chars().take(600).collect();
            eprintln!("{name}: the failing input ({} bytes): {cut}", case.len());
            std::panic::resume_unwind(e);
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn binance_frames_never_break_the_parser(seed in any::<u64>()) {
        fuzz("binance", seed);
    }

    #[test]
    fn polymarket_frames_never_break_the_books(seed in any::<u64>()) {
        fuzz("polymarket", seed);
    }

    #[test]
    fn polybolt_frames_never_break_the_parser(seed in any::<u64>()) {
        fuzz("polybolt", seed);
    }

    #[test]
    fn gamma_answers_never_break_discovery(seed in any::<u64>()) {
        fuzz("gamma", seed);
    }

    #[test]
    fn data_api_answers_never_break_the_whale_poller(seed in any::<u64>()) {
        fuzz("data_api", seed);
    }

    #[test]
    fn order_answers_read_as_serde_json_reads_them(seed in any::<u64>()) {
        fuzz("order_answer", seed);
    }

    #[test]
    fn tracker_records_never_break_the_parser(seed in any::<u64>()) {
        fuzz("venue_records", seed);
    }

    /// A trade in Binance's layout reads back exactly, through the scanner and the general
    /// parser alike.
    #[test]
    fn a_binance_trade_round_trips(
        int in 1u64..10_000_000,
        frac in 0u64..100_000_000,
        qty in 0u64..1_000_000_000_000,
        seq in any::<u64>().prop_map(|v| v % 10_000_000_000_000_000_000),
        ts in 0u64..4_102_444_800_000,
        wrapped in any::<bool>(),
    ) {
        let trade = format!(
            r#"{{"e":"trade","E":{ts},"s":"ETHUSDT","t":{seq},"p":"{int}.{frac:08}","q":"{}.{:08}","T":{ts},"m":true,"M":true}}"#,
            qty / 100_000_000,
            qty % 100_000_000
        );
        let frame = if wrapped {
            format!(r#"{{"stream":"ethusdt@trade","data":{trade}}}"#)
        } else {
            trade
        };
        let assets = AssetTable::from_names(&["BTC", "ETH"]).unwrap();
        let scanned = scan_frame(frame.as_bytes(), &assets);
        let mut buf = frame.clone().into_bytes();
        let general = BinanceParser::default().parse_general(&mut buf, &assets);
        prop_assert_eq!(scanned, Some(general));
        let Ok(BinanceFrame::Tick(t)) = general else {
            return Err(TestCaseError::fail(format!("{general:?}")));
        };
        prop_assert_eq!(t.price_e8, (int * 100_000_000 + frac) as i64);
        prop_assert_eq!(t.qty_e8, qty as i64);
        prop_assert_eq!((t.seq, t.venue_ts_ms), (seq, ts));
        prop_assert_eq!(assets.by_any_name("ETH"), Some(t.asset));
    }

    /// A PolyBolt TWAP update's exact decimal is rounded half-up to 1e-8, never through a
    /// float.
    #[test]
    fn a_polybolt_price_round_trips(int in 1u64..1_000_000, frac in 0u64..1_000_000_000_000_000_000) {
        let frame = format!(
            r#"{{"v":1,"channel":"price.crypto.twap","seq":9,"ts":1767225600000,"payload":{{"symbol":"btc/usd","timestamp":1767225600000,"value":1.0,"full_accuracy_value":"{int}.{frac:018}","window_seconds":60}}}}"#
        );
        let assets = AssetTable::from_names(&["BTC"]).unwrap();
        let mut batch = Box::<ChainlinkBatch>::default();
        let mut buf = frame.into_bytes();
        let r = ChainlinkParser::default().parse(&mut buf, &assets, &mut batch);
        prop_assert!(matches!(r, Ok(ChainlinkFrame::Prices { .. })), "{:?}", r);
        let e8 = int * 100_000_000 + frac / 10_000_000_000 + u64::from(frac % 10_000_000_000 >= 5_000_000_000);
        prop_assert_eq!(batch.points().len(), 1);
        prop_assert_eq!(batch.points()[0].price_e8, e8 as i64);
    }

    /// A book snapshot with distinct levels becomes exactly that book, best first.
    #[test]
    fn a_polymarket_snapshot_round_trips(
        bids in prop::collection::btree_map(1u32..5_000, 1u64..10_000_000_000, 0..40),
        asks in prop::collection::btree_map(5_000u32..10_000, 1u64..10_000_000_000, 0..40),
        ts in 1u64..4_102_444_800_000,
    ) {
        const TOKEN: &str = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
        let level = |(p, s): (&u32, &u64)| {
            format!(r#"{{"price":"0.{p:04}","size":"{}.{:06}"}}"#, s / 1_000_000, s % 1_000_000)
        };
        let list = |m: &std::collections::BTreeMap<u32, u64>| {
            m.iter().map(level).collect::<Vec<_>>().join(",")
        };
        let frame = format!(
            r#"{{"event_type":"book","asset_id":"{TOKEN}","market":"0x1","bids":[{}],"asks":[{}],"timestamp":"{ts}","hash":"0x2"}}"#,
            list(&bids),
            list(&asks)
        );
        let mut books = PolyBooks::default();
        prop_assert!(books.tokens.insert(3, TokenKey::new(TOKEN).unwrap()));
        let mut batch = PolyBatch::default();
        let mut buf = frame.into_bytes();
        let r = PolyParser::default().parse(&mut buf, &mut books, &mut batch);
        prop_assert!(r.is_ok(), "{:?}", r);
        let book = &books.books[3];
        let got_bids: Vec<(u32, u64)> = book.bids().iter().map(|l| (l.price_e4, l.size_e6)).collect();
        let got_asks: Vec<(u32, u64)> = book.asks().iter().map(|l| (l.price_e4, l.size_e6)).collect();
        prop_assert_eq!(got_bids, bids.iter().rev().map(|(p, s)| (*p, *s)).collect::<Vec<_>>());
        prop_assert_eq!(got_asks, asks.iter().map(|(p, s)| (*p, *s)).collect::<Vec<_>>());
        prop_assert_eq!(batch.touched, 1 << 3);
    }

    /// An order answer built from values reads back as those values.
    #[test]
    fn an_order_answer_round_trips(
        success in any::<bool>(),
        status in prop::sample::select(vec!["matched", "LIVE", "delayed", "Unmatched", ""]),
        making in 0u64..1_000_000_000_000,
        id in "0x[0-9a-f]{64}",
        trades in 0usize..5,
        err in prop::sample::select(vec!["", "not enough balance / allowance", "order couldn't be fully filled. FOK orders are fully filled or killed."]),
    ) {
        let ids: Vec<String> = (0..trades).map(|i| format!("\"t{i}\"")).collect();
        let body = format!(
            r#"{{"errorMsg":"{err}","orderID":"{id}","takingAmount":"1","makingAmount":"{}.{:06}","status":"{status}","transactionsHashes":[],"success":{success},"tradeIDs":[{}]}}"#,
            making / 1_000_000,
            making % 1_000_000,
            ids.join(",")
        );
        let mut buf = body.into_bytes();
        let a = parse_order_response(&mut JsonScratch::default(), &mut buf).unwrap();
        prop_assert_eq!(a.success, success);
        prop_assert_eq!(a.making_e6, making);
        prop_assert_eq!(a.taking_e6, 1_000_000);
        prop_assert_eq!(a.order_id(), id.as_str());
        prop_assert_eq!(a.trade_ids as usize, trades);
        prop_assert_eq!(a.refused, !err.is_empty());
        prop_assert_eq!(a.no_match, err.contains("fully filled or killed"));
        let want = match status.to_ascii_lowercase().as_str() {
            "matched" => AnswerStatus::Matched,
            "live" => AnswerStatus::Live,
            "delayed" => AnswerStatus::Delayed,
            "unmatched" => AnswerStatus::Unmatched,
            _ => AnswerStatus::None,
        };
        prop_assert_eq!(a.status, want);
    }
}

/// Found by the million-case run: a PolyBolt `value` too small to be a price at 1e-8 read as
/// a price of 0, and one too large saturated; both are now a bad field.
#[test]
fn polybolt_values_that_are_no_price_at_1e8_are_refused() {
    let assets = AssetTable::from_names(&["BTC"]).unwrap();
    for (value, ok) in [
        ("0.0000000000000000000000001", false),
        ("0.000000004", false),
        ("0.000000005", true),
        ("1e300", false),
        ("97000.5", true),
    ] {
        let mut frame = format!(
            r#"{{"v":1,"channel":"price.crypto","seq":5,"ts":1,"payload":{{"symbol":"btcusd","timestamp":1,"value":{value}}}}}"#
        )
        .into_bytes();
        let mut batch = Box::<ChainlinkBatch>::default();
        let r = ChainlinkParser::default().parse(&mut frame, &assets, &mut batch);
        assert_eq!(r.is_ok(), ok, "{value}: {r:?}");
        if ok {
            assert!(batch.points()[0].price_e8 > 0, "{value}");
        }
    }
}

/// Found by the fuzzer: a level at price 0 was applied (an ask at zero); it is refused, and a
/// snapshot carrying one leaves the book as it was.
#[test]
fn a_polymarket_level_at_price_zero_is_refused() {
    const TOKEN: &str =
        "71321045679252212594626385532706912750332728571942532289631379312455583992563";
    let mut books = PolyBooks::default();
    assert!(books.tokens.insert(0, TokenKey::new(TOKEN).unwrap()));
    let mut batch = PolyBatch::default();
    let mut parser = PolyParser::default();
    let mut good = format!(
        r#"{{"event_type":"book","asset_id":"{TOKEN}","market":"0x1","bids":[{{"price":"0.40","size":"10"}}],"asks":[{{"price":"0.60","size":"10"}}],"timestamp":"100","hash":"0x2"}}"#
    )
    .into_bytes();
    assert!(parser.parse(&mut good, &mut books, &mut batch).is_ok());
    for price in ["0", "0.0000", "0.00001"] {
        let mut snapshot = format!(
            r#"{{"event_type":"book","asset_id":"{TOKEN}","market":"0x1","bids":[{{"price":"0.40","size":"10"}}],"asks":[{{"price":"{price}","size":"10"}}],"timestamp":"200","hash":"0x2"}}"#
        )
        .into_bytes();
        let r = parser.parse(&mut snapshot, &mut books, &mut batch);
        assert!(r.is_err(), "snapshot with an ask at {price}: {r:?}");
        let mut change = format!(
            r#"{{"event_type":"price_change","market":"0x1","timestamp":"300","price_changes":[{{"asset_id":"{TOKEN}","price":"{price}","size":"5","side":"SELL"}}]}}"#
        )
        .into_bytes();
        let r = parser.parse(&mut change, &mut books, &mut batch);
        assert!(r.is_err(), "change at {price}: {r:?}");
        let asks: Vec<u32> = books.books[0].asks().iter().map(|l| l.price_e4).collect();
        assert_eq!(asks, vec![6000], "{price}");
    }
}

/// Found by the fuzzer: valid JSON with an integer past u64 anywhere made the whole order
/// answer unreadable; it is read, and the field itself is not taken for an integer.
#[test]
fn an_order_answer_with_an_integer_past_u64_is_read() {
    let mut body = br#"{"errorMsg":"","orderID":"0xabc","takingAmount":"2","makingAmount":"1","status":"matched","success":true,"version":18446744073709551616}"#.to_vec();
    let a = parse_order_response(&mut JsonScratch::default(), &mut body).expect("read");
    assert!(a.accepted(200));
    assert_eq!(a.order_id(), "0xabc");
    assert_eq!(a.version, 0);
}

/// Every captured frame, unmutated, reads as what it is: the corpus is real input, not noise
/// the parsers refuse (so mutations start from frames that reach the deep code paths).
#[test]
fn the_captured_frames_parse() {
    let corpus = corpus();
    let frame = |name: &str| {
        corpus
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not in the corpus"))
            .1
            .clone()
    };
    let gamma: serde_json::Value =
        serde_json::from_slice(&frame("gamma/market_btc_updown_5m_twap.json")).unwrap();
    let w = cassandra::control::discovery::parse_gamma_market(&gamma).unwrap();
    assert_ne!(w.up_token, w.down_token);
    let rows = cassandra::control::whales::wire::parse_trades(&frame(
        "data_api/v2_trades_envelope_nautilus.json",
    ))
    .unwrap();
    assert!(!rows.is_empty());
    let mut twap = frame("polybolt/price_crypto_twap_snapshot_btcusd_60s.json");
    let mut batch = Box::<ChainlinkBatch>::default();
    let r = ChainlinkParser::default().parse(
        &mut twap,
        &AssetTable::from_names(&["BTC"]).unwrap(),
        &mut batch,
    );
    assert!(matches!(
        r,
        Ok(ChainlinkFrame::Prices { snapshot: true, .. })
    ));
    assert!(batch.points().len() > 10);
    let mut answer = frame("clob/answers/matched_fok_buy.json");
    let a = parse_order_response(&mut JsonScratch::default(), &mut answer).unwrap();
    assert!(a.accepted(200) && a.status == AnswerStatus::Matched);
    // Every target takes every frame of the corpus without a failed property.
    for mut t in targets::all(&corpus) {
        for (_, f) in &corpus {
            t.check(f);
        }
    }
}

/// Frames of several MB (deep nesting, long strings, thousands of events) leave memory
/// bounded: once each parser has seen them, seeing them again adds (almost) nothing (each
/// parser gives back what a huge frame grew; what the allocator keeps is reused), and the
/// peak stays far below what issue 17 saw (225 MB kept from one 4 MiB frame of `[`).
#[test]
fn huge_frames_leave_memory_bounded() {
    let corpus = corpus();
    let mut all = targets::all(&corpus);
    let deep_arrays = vec![b'['; 4 << 20];
    let mut deep_objects = Vec::with_capacity(6 << 20);
    for _ in 0..(1 << 18) {
        deep_objects.extend_from_slice(b"{\"a\":");
    }
    let mut long_string = b"{\"event_type\":\"book\",\"asset_id\":\"".to_vec();
    long_string.resize(4 << 20, b'7');
    long_string.extend_from_slice(b"\"}");
    let many: Vec<u8> = {
        let one = &corpus
            .iter()
            .find(|(p, _)| p.ends_with("polymarket/price_change_captured.json"))
            .unwrap()
            .1;
        let mut v = b"[".to_vec();
        while v.len() < 4 << 20 {
            v.extend_from_slice(one);
            v.push(b',');
        }
        v.pop();
        v.push(b']');
        v
    };
    let huge = [deep_arrays, deep_objects, long_string, many];
    let round = |all: &mut Vec<Box<dyn targets::Target>>| {
        for t in all.iter_mut() {
            for f in &huge {
                t.check(f);
            }
        }
    };
    round(&mut all);
    let (_, first) = fuzz_common::rss_kib();
    round(&mut all);
    let (peak, last) = fuzz_common::rss_kib();
    eprintln!("resident memory after one round of huge frames {first} KiB, after two {last} KiB, peak {peak} KiB");
    assert!(
        last < first + (16 << 10),
        "memory grows with each round: {first} KiB after one, {last} KiB after two"
    );
    assert!(peak < 512 << 10, "peak {peak} KiB");
}
