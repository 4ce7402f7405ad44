//! Binance spot frames (`docs/venue/binance.md` §1.3) → `BinanceFrame`.
//!
//! Fixtures in `tests/data/synthetic/binance_*.json` are hand-written in the documented shapes, in
//! both the combined-stream wrapper and the raw form (the real frames: `tests/data/venue/` and
//! `tests/venue_conformance.rs`). The parser works in place, so every parse gets a
//! fresh copy of the fixture.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cassandra::feeds::binance::{BinanceFrame, BinanceParseError, BinanceParser};
use cassandra::pipeline::events::{AssetId, SpotKind, SpotTick};
use cassandra::pipeline::registry::AssetTable;

const TRADE: &[u8] = include_bytes!("data/synthetic/binance_trade.json");
const TRADE_RAW: &[u8] = include_bytes!("data/synthetic/binance_trade_raw.json");
const TRADE_WITH_ORDER_IDS: &[u8] =
    include_bytes!("data/synthetic/binance_trade_with_order_ids.json");
const BOOK_TICKER: &[u8] = include_bytes!("data/synthetic/binance_book_ticker.json");
const BOOK_TICKER_RAW: &[u8] = include_bytes!("data/synthetic/binance_book_ticker_raw.json");
const SHUTDOWN: &[u8] = include_bytes!("data/synthetic/binance_server_shutdown.json");
const SHUTDOWN_RAW: &[u8] = include_bytes!("data/synthetic/binance_server_shutdown_raw.json");
const SUBSCRIBE_REPLY: &[u8] = include_bytes!("data/synthetic/binance_subscribe_reply.json");
const AGG_TRADE: &[u8] = include_bytes!("data/synthetic/binance_agg_trade.json");

const ALL_FIXTURES: &[(&str, &[u8])] = &[
    ("binance_trade", TRADE),
    ("binance_trade_raw", TRADE_RAW),
    ("binance_trade_with_order_ids", TRADE_WITH_ORDER_IDS),
    ("binance_book_ticker", BOOK_TICKER),
    ("binance_book_ticker_raw", BOOK_TICKER_RAW),
    ("binance_server_shutdown", SHUTDOWN),
    ("binance_server_shutdown_raw", SHUTDOWN_RAW),
    ("binance_subscribe_reply", SUBSCRIBE_REPLY),
    ("binance_agg_trade", AGG_TRADE),
];

fn assets() -> AssetTable {
    AssetTable::from_names(&["BTC", "ETH"]).unwrap()
}

/// Parse a fresh copy of `bytes` (the parser rewrites its input).
fn parse(p: &mut BinanceParser, bytes: &[u8]) -> Result<BinanceFrame, BinanceParseError> {
    let mut buf = bytes.to_vec();
    p.parse(&mut buf, &assets())
}

fn parse_str(s: &str) -> Result<BinanceFrame, BinanceParseError> {
    parse(&mut BinanceParser::default(), s.as_bytes())
}

fn tick(r: Result<BinanceFrame, BinanceParseError>) -> SpotTick {
    match r {
        Ok(BinanceFrame::Tick(t)) => t,
        other => panic!("expected a tick, got {other:?}"),
    }
}

/// A trade frame in the combined wrapper with the given `data` fields after `"s"`.
fn trade_with(fields: &str) -> String {
    format!(
        r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","E":1672515782136,"s":"BTCUSDT",{fields},"m":true,"M":true}}}}"#
    )
}

#[test]
fn combined_trade_sets_every_field() {
    let t = tick(parse(&mut BinanceParser::default(), TRADE));
    assert_eq!(t.asset, AssetId(0));
    assert_eq!(t.kind, SpotKind::Trade);
    assert_eq!(t.price_e8, 9_701_235_000_000);
    assert_eq!(t.qty_e8, 150_000);
    assert_eq!(t.seq, 12345);
    // Trade time `T`, not event time `E`.
    assert_eq!(t.venue_ts_ms, 1_672_515_782_130);
    assert_eq!(t.stamps, Default::default(), "stamps are the caller's");
}

#[test]
fn raw_trade_sets_every_field() {
    let t = tick(parse(&mut BinanceParser::default(), TRADE_RAW));
    assert_eq!(
        t,
        SpotTick {
            asset: AssetId(0),
            kind: SpotKind::Trade,
            price_e8: 100_000,
            qty_e8: 10_000_000_000,
            venue_ts_ms: 1_672_515_782_136,
            seq: 12346,
            stamps: Default::default(),
        }
    );
}

#[test]
fn trade_needs_no_order_ids_and_tolerates_old_ones() {
    // The documented (post 2024-06-18) trade has no `b`/`a`; older frames had them.
    assert!(!TRADE.windows(4).any(|w| w == br#""b":"# || w == br#""a":"#));
    let t = tick(parse(&mut BinanceParser::default(), TRADE));
    assert_eq!(t.seq, 12345);
    let t = tick(parse(&mut BinanceParser::default(), TRADE_WITH_ORDER_IDS));
    assert_eq!(
        (t.price_e8, t.qty_e8, t.seq, t.venue_ts_ms),
        (9_701_300_000_000, 1_000_000, 12347, 1_672_515_782_137)
    );
}

#[test]
fn trade_falls_back_to_event_time_without_trade_time() {
    let t = tick(parse_str(&trade_with(r#""t":7,"p":"1.5","q":"2""#)));
    assert_eq!(t.venue_ts_ms, 1_672_515_782_136);
}

#[test]
fn trade_for_second_asset_carries_its_index() {
    let frame = r#"{"stream":"ethusdt@trade","data":{"e":"trade","E":1,"s":"ETHUSDT","t":9,"p":"3456.78","q":"1","T":2,"m":false,"M":true}}"#;
    let t = tick(parse_str(frame));
    assert_eq!(
        (t.asset, t.price_e8, t.seq),
        (AssetId(1), 345_678_000_000, 9)
    );
}

#[test]
fn combined_book_ticker_is_mid_and_thinner_side() {
    let t = tick(parse(&mut BinanceParser::default(), BOOK_TICKER));
    assert_eq!(t.kind, SpotKind::BookTicker);
    assert_eq!(t.asset, AssetId(0));
    // bid 25.35190000, ask 25.36520000 → mid 25.35855000
    assert_eq!(t.price_e8, 2_535_855_000);
    // min(31.21, 40.66)
    assert_eq!(t.qty_e8, 3_121_000_000);
    assert_eq!(t.seq, 400_900_217);
    // The spot bookTicker carries no time.
    assert_eq!(t.venue_ts_ms, 0);
}

#[test]
fn raw_book_ticker_is_routed_without_e() {
    let t = tick(parse(&mut BinanceParser::default(), BOOK_TICKER_RAW));
    assert_eq!(t.kind, SpotKind::BookTicker);
    // bid 97000.00, ask 97000.01 → mid 97000.005
    assert_eq!(t.price_e8, 9_700_000_500_000);
    assert_eq!(t.qty_e8, 25_000_000);
    assert_eq!(t.seq, 400_900_218);
}

#[test]
fn book_ticker_crossed_or_zero_bid_is_refused() {
    let crossed = r#"{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"2.0","B":"1","a":"1.0","A":"1"}}"#;
    assert!(parse_str(crossed).is_err(), "{:?}", parse_str(crossed));
    let zero = r#"{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"0","B":"1","a":"1.0","A":"1"}}"#;
    assert!(parse_str(zero).is_err(), "{:?}", parse_str(zero));
    let no_u = r#"{"stream":"btcusdt@bookTicker","data":{"s":"BTCUSDT","b":"1.0","B":"1","a":"1.0","A":"1"}}"#;
    assert_eq!(parse_str(no_u), Err(BinanceParseError::Field("u")));
}

#[test]
fn server_shutdown_in_both_forms() {
    let mut p = BinanceParser::default();
    assert_eq!(parse(&mut p, SHUTDOWN), Ok(BinanceFrame::ServerShutdown));
    assert_eq!(
        parse(&mut p, SHUTDOWN_RAW),
        Ok(BinanceFrame::ServerShutdown)
    );
}

#[test]
fn subscription_reply_is_ignored() {
    assert_eq!(
        parse(&mut BinanceParser::default(), SUBSCRIBE_REPLY),
        Ok(BinanceFrame::Ignored)
    );
    assert_eq!(
        parse_str(r#"{"result":null,"id":"abc-123"}"#),
        Ok(BinanceFrame::Ignored)
    );
}

#[test]
fn unknown_stream_is_ignored() {
    assert_eq!(
        parse(&mut BinanceParser::default(), AGG_TRADE),
        Ok(BinanceFrame::Ignored)
    );
    let kline = r#"{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{}}}"#;
    assert_eq!(parse_str(kline), Ok(BinanceFrame::Ignored));
    let raw_kline = r#"{"e":"kline","E":1,"s":"BTCUSDT","k":{}}"#;
    assert_eq!(parse_str(raw_kline), Ok(BinanceFrame::Ignored));
}

#[test]
fn unknown_symbol_is_reported() {
    let frame = r#"{"stream":"solusdt@trade","data":{"e":"trade","E":1,"s":"SOLUSDT","t":1,"p":"150.0","q":"1","T":1,"m":true,"M":true}}"#;
    assert_eq!(parse_str(frame), Err(BinanceParseError::UnknownSymbol));
    let bt = r#"{"stream":"solusdt@bookTicker","data":{"u":1,"s":"SOLUSDT","b":"1.0","B":"1","a":"1.0","A":"1"}}"#;
    assert_eq!(parse_str(bt), Err(BinanceParseError::UnknownSymbol));
}

#[test]
fn wrong_types_are_field_errors() {
    use BinanceParseError::Field;
    let cases = [
        (r#""t":1,"p":97000,"q":"1","T":1"#, Field("p")),
        (r#""t":1,"p":"97000.0","q":1,"T":1"#, Field("q")),
        (r#""t":"1","p":"97000.0","q":"1","T":1"#, Field("t")),
        (r#""t":1,"p":null,"q":"1","T":1"#, Field("p")),
        (r#""t":1,"p":"97000.0","T":1"#, Field("q")),
        (r#""t":1,"p":"9e4","q":"1","T":1"#, Field("p")),
        (r#""t":1,"p":" 97000","q":"1","T":1"#, Field("p")),
    ];
    for (fields, want) in cases {
        let frame = trade_with(fields);
        assert_eq!(parse_str(&frame), Err(want), "{frame}");
    }
    let sym_number = r#"{"e":"trade","E":1,"s":1,"t":1,"p":"1.0","q":"1","T":1}"#;
    assert_eq!(parse_str(sym_number), Err(Field("s")));
    let no_time = r#"{"e":"trade","s":"BTCUSDT","t":1,"p":"1.0","q":"1"}"#;
    assert_eq!(parse_str(no_time), Err(Field("T")));
}

#[test]
fn negative_zero_and_overflowing_prices_are_refused() {
    for p in [
        "-97000.0",
        "0",
        "0.00000000",
        "0.000000001",
        "999999999999.0",
        "",
    ] {
        let frame = trade_with(&format!(r#""t":1,"p":"{p}","q":"1","T":1"#));
        assert_eq!(
            parse_str(&frame),
            Err(BinanceParseError::Field("p")),
            "price {p:?}"
        );
    }
}

#[test]
fn malformed_frames_are_errors() {
    let cases: &[&[u8]] = &[
        b"",
        b"   ",
        b"not json",
        b"{",
        b"{}}",
        br#"{"stream":"btcusdt@trade","data":}"#,
        br#"{"stream":"btcusdt@trade","data":{"e":"trade""#,
        b"\xff\xfe{\"e\":\"trade\"}",
        b"PING",
    ];
    for c in cases {
        let r = parse(&mut BinanceParser::default(), c);
        assert_eq!(
            r,
            Err(BinanceParseError::Malformed),
            "{:?}",
            String::from_utf8_lossy(c)
        );
    }
    // Valid JSON, wrong shape.
    assert_eq!(
        parse_str(r#"{"stream":"btcusdt@trade"}"#),
        Err(BinanceParseError::Field("data"))
    );
    assert!(parse_str("[1,2,3]").is_err());
    assert!(parse_str("42").is_err());
    assert!(parse_str(r#"{"stream":"btcusdt@trade","data":"x"}"#).is_err());
}

#[test]
fn every_truncation_is_refused_without_panic() {
    let table = assets();
    for (name, fixture) in ALL_FIXTURES {
        let mut p = BinanceParser::default();
        for cut in 0..fixture.len() {
            let mut buf = fixture[..cut].to_vec();
            let r = catch_unwind(AssertUnwindSafe(|| p.parse(&mut buf, &table)))
                .unwrap_or_else(|_| panic!("{name}: panic when cut at byte {cut}"));
            assert!(
                matches!(r, Err(_) | Ok(BinanceFrame::Ignored)),
                "{name} cut at {cut}: {:?} → {r:?}",
                String::from_utf8_lossy(&fixture[..cut])
            );
        }
        // And the parser is still good for the whole frame afterwards.
        let whole = parse(&mut p, fixture);
        assert!(whole.is_ok(), "{name}: {whole:?}");
    }
}

#[test]
fn parser_is_reusable_across_frame_kinds() {
    let mut p = BinanceParser::default();
    for _ in 0..3 {
        assert_eq!(tick(parse(&mut p, TRADE)).seq, 12345);
        assert!(parse(&mut p, b"{oops").is_err());
        assert_eq!(tick(parse(&mut p, BOOK_TICKER)).seq, 400_900_217);
        assert_eq!(parse(&mut p, SHUTDOWN), Ok(BinanceFrame::ServerShutdown));
    }
}
