//! Polymarket market-channel frames (`docs/venue/polymarket.md` §5) applied to local L2 books
//! by `PolyParser` + `PolyBooks`.
//!
//! Fixtures in `tests/data/synthetic/poly_*.json` are hand-written in the documented event shapes
//! (the real frames: `tests/data/venue/polymarket/` and `tests/venue_conformance.rs`). Two tokens are
//! followed, registered at indexes 3 (Up) and 17 (Down) so that `touched` bits are distinct.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cassandra::feeds::polymarket::book::LEVELS_PER_SIDE;
use cassandra::feeds::polymarket::{PolyBatch, PolyBooks, PolyFrame, PolyParseError, PolyParser};
use cassandra::pipeline::control::TokenKey;
use cassandra::pipeline::events::{Level, PolyTrade, Side, TokenId};

const UP: &str = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const DOWN: &str = "52114319501245915516055106046884209969926127482827954674443846427813813222426";
const NOT_FOLLOWED: &str =
    "10000000000000000000000000000000000000000000000000000000000000000000000000001";
const MARKET: &str = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1";
const UP_IDX: usize = 3;
const DOWN_IDX: usize = 17;

const BOOK: &[u8] = include_bytes!("data/synthetic/poly_book.json");
const BOOK_DOWN: &[u8] = include_bytes!("data/synthetic/poly_book_down.json");
const PRICE_CHANGE: &[u8] = include_bytes!("data/synthetic/poly_price_change.json");
const PRICE_CHANGE_LEGACY: &[u8] = include_bytes!("data/synthetic/poly_price_change_legacy.json");
const EVENTS_ARRAY: &[u8] = include_bytes!("data/synthetic/poly_events_array.json");
const TICK_SIZE_CHANGE: &[u8] = include_bytes!("data/synthetic/poly_tick_size_change.json");
const LAST_TRADE: &[u8] = include_bytes!("data/synthetic/poly_last_trade_price.json");
const BEST_BID_ASK: &[u8] = include_bytes!("data/synthetic/poly_best_bid_ask.json");
const PONG: &[u8] = include_bytes!("data/synthetic/poly_pong.txt");

const ALL_FIXTURES: &[(&str, &[u8])] = &[
    ("poly_book", BOOK),
    ("poly_book_down", BOOK_DOWN),
    ("poly_price_change", PRICE_CHANGE),
    ("poly_price_change_legacy", PRICE_CHANGE_LEGACY),
    ("poly_events_array", EVENTS_ARRAY),
    ("poly_tick_size_change", TICK_SIZE_CHANGE),
    ("poly_last_trade_price", LAST_TRADE),
    ("poly_best_bid_ask", BEST_BID_ASK),
    ("poly_pong", PONG),
];

struct Harness {
    parser: PolyParser,
    books: PolyBooks,
    batch: PolyBatch,
}

impl Harness {
    fn new() -> Self {
        let mut books = PolyBooks::default();
        assert!(books
            .tokens
            .insert(UP_IDX as u16, TokenKey::new(UP).unwrap()));
        assert!(books
            .tokens
            .insert(DOWN_IDX as u16, TokenKey::new(DOWN).unwrap()));
        Harness {
            parser: PolyParser::default(),
            books,
            batch: PolyBatch::default(),
        }
    }

    /// Both tokens with their fixture snapshots applied.
    fn with_books() -> Self {
        let mut h = Harness::new();
        assert_eq!(h.apply(BOOK), Ok(PolyFrame::Events));
        assert_eq!(h.apply(BOOK_DOWN), Ok(PolyFrame::Events));
        h
    }

    /// Parse a fresh copy (the parser rewrites its input).
    fn apply(&mut self, frame: &[u8]) -> Result<PolyFrame, PolyParseError> {
        let mut buf = frame.to_vec();
        self.parser
            .parse(&mut buf, &mut self.books, &mut self.batch)
    }

    fn apply_str(&mut self, frame: &str) -> Result<PolyFrame, PolyParseError> {
        self.apply(frame.as_bytes())
    }

    fn bids(&self, idx: usize) -> Vec<(u32, u64)> {
        pairs(self.books.books[idx].bids())
    }

    fn asks(&self, idx: usize) -> Vec<(u32, u64)> {
        pairs(self.books.books[idx].asks())
    }

    /// Everything observable about the books, to prove a frame changed nothing.
    fn fingerprint(&self) -> Vec<BookState> {
        self.books
            .books
            .iter()
            .map(|b| {
                (
                    pairs(b.bids()),
                    pairs(b.asks()),
                    b.last_ts_ms(),
                    b.tick_e4(),
                    b.is_ready(),
                )
            })
            .collect()
    }
}

/// Bids, asks, last timestamp, tick, ready.
type BookState = (Vec<(u32, u64)>, Vec<(u32, u64)>, u64, u16, bool);

fn pairs(l: &[Level]) -> Vec<(u32, u64)> {
    l.iter().map(|l| (l.price_e4, l.size_e6)).collect()
}

const fn bit(idx: usize) -> u64 {
    1 << idx
}

fn book_frame(asset: &str, ts: &str, bids: &str, asks: &str) -> String {
    format!(
        r#"{{"event_type":"book","asset_id":"{asset}","market":"{MARKET}","bids":[{bids}],"asks":[{asks}],"timestamp":"{ts}","hash":"0x00"}}"#
    )
}

fn change(asset: &str, price: &str, size: &str, side: &str) -> String {
    format!(
        r#"{{"asset_id":"{asset}","price":"{price}","size":"{size}","side":"{side}","hash":"0x00","best_bid":"0.5","best_ask":"0.51"}}"#
    )
}

fn price_change_frame(ts: &str, changes: &[String]) -> String {
    format!(
        r#"{{"event_type":"price_change","market":"{MARKET}","timestamp":"{ts}","price_changes":[{}]}}"#,
        changes.join(",")
    )
}

#[test]
fn snapshot_in_venue_order_is_sorted_best_first() {
    let mut h = Harness::new();
    assert_eq!(h.apply(BOOK), Ok(PolyFrame::Events));
    assert_eq!(h.batch.touched, bit(UP_IDX));
    // Venue order was bids ascending, asks descending (best last).
    assert_eq!(
        h.bids(UP_IDX),
        vec![(4900, 20_000_000), (4800, 30_000_000), (4700, 100_000_000)]
    );
    assert_eq!(
        h.asks(UP_IDX),
        vec![(5100, 10_000_000), (5200, 25_000_000), (5300, 60_000_000)]
    );
    let b = &h.books.books[UP_IDX];
    assert!(b.is_ready());
    assert_eq!(b.last_ts_ms(), 1_757_908_892_351);
    assert!(!h.books.books[DOWN_IDX].is_ready());
    assert_eq!(h.books.stale_updates, 0);
}

#[test]
fn new_snapshot_replaces_the_old_book() {
    let mut h = Harness::with_books();
    let f = book_frame(
        UP,
        "1757908892999",
        r#"{"price":"0.30","size":"1"}"#,
        r#"{"price":"0.70","size":"2"}"#,
    );
    assert_eq!(h.apply_str(&f), Ok(PolyFrame::Events));
    assert_eq!(h.bids(UP_IDX), vec![(3000, 1_000_000)]);
    assert_eq!(h.asks(UP_IDX), vec![(7000, 2_000_000)]);
    // Zero-size levels in a snapshot are not levels.
    let f = book_frame(
        UP,
        "1757908893000",
        r#"{"price":"0.30","size":"0"},{"price":"0.31","size":"4"}"#,
        "",
    );
    assert_eq!(h.apply_str(&f), Ok(PolyFrame::Events));
    assert_eq!(h.bids(UP_IDX), vec![(3100, 4_000_000)]);
    assert!(h.asks(UP_IDX).is_empty());
}

#[test]
fn price_change_touching_two_tokens_sets_both_bits() {
    let mut h = Harness::with_books();
    assert_eq!(h.apply(PRICE_CHANGE), Ok(PolyFrame::Events));
    assert_eq!(h.batch.touched, bit(UP_IDX) | bit(DOWN_IDX));
    assert_eq!(
        h.batch.touched_tokens().collect::<Vec<_>>(),
        vec![TokenId(UP_IDX as u16), TokenId(DOWN_IDX as u16)]
    );
    // Up: a new best bid at 0.50 for 200.
    assert_eq!(h.bids(UP_IDX)[0], (5000, 200_000_000));
    assert_eq!(h.bids(UP_IDX).len(), 4);
    // Down: a new best ask at 0.50 for 15.
    assert_eq!(h.asks(DOWN_IDX)[0], (5000, 15_000_000));
    assert_eq!(h.asks(DOWN_IDX)[1], (5100, 12_000_000));
    assert_eq!(h.books.books[UP_IDX].last_ts_ms(), 1_757_908_892_400);
    assert_eq!(h.books.stale_updates, 0);
}

#[test]
fn legacy_price_change_schema_is_applied() {
    let mut h = Harness::with_books();
    assert_eq!(h.apply(PRICE_CHANGE_LEGACY), Ok(PolyFrame::Events));
    assert_eq!(h.batch.touched, bit(UP_IDX));
    // 0.52 SELL size 0 removed; 0.46 BUY 5 added at the bottom.
    assert_eq!(h.asks(UP_IDX), vec![(5100, 10_000_000), (5300, 60_000_000)]);
    assert_eq!(
        h.bids(UP_IDX),
        vec![
            (4900, 20_000_000),
            (4800, 30_000_000),
            (4700, 100_000_000),
            (4600, 5_000_000)
        ]
    );
    // The other book did not move.
    assert_eq!(
        h.bids(DOWN_IDX),
        vec![(4900, 15_000_000), (4800, 40_000_000)]
    );
}

#[test]
fn size_zero_removes_the_level() {
    let mut h = Harness::with_books();
    let f = price_change_frame(
        "1757908892400",
        &[
            change(UP, "0.49", "0", "BUY"),
            change(UP, "0.51", "0", "SELL"),
        ],
    );
    assert_eq!(h.apply_str(&f), Ok(PolyFrame::Events));
    assert_eq!(h.bids(UP_IDX)[0], (4800, 30_000_000));
    assert_eq!(h.asks(UP_IDX)[0], (5200, 25_000_000));
    assert_eq!(h.bids(UP_IDX).len(), 2);
    assert_eq!(h.asks(UP_IDX).len(), 2);
    // Resizing keeps the level where it is.
    let f = price_change_frame("1757908892401", &[change(UP, "0.48", "7.5", "BUY")]);
    assert_eq!(h.apply_str(&f), Ok(PolyFrame::Events));
    assert_eq!(h.bids(UP_IDX), vec![(4800, 7_500_000), (4700, 100_000_000)]);
}

#[test]
fn older_updates_are_refused_and_counted() {
    let mut h = Harness::with_books();
    let before = h.fingerprint();
    // Older than the Up snapshot (…351): both changes refused.
    let f = price_change_frame(
        "1757908892350",
        &[
            change(UP, "0.49", "0", "BUY"),
            change(UP, "0.50", "9", "SELL"),
        ],
    );
    assert_eq!(h.apply_str(&f), Ok(PolyFrame::Events));
    assert_eq!(h.books.stale_updates, 2);
    assert_eq!(h.batch.touched, 0);
    // An older snapshot is refused too.
    let f = book_frame(UP, "1757908892000", r#"{"price":"0.1","size":"1"}"#, "");
    assert_eq!(h.apply_str(&f), Ok(PolyFrame::Events));
    assert_eq!(h.books.stale_updates, 3);
    assert_eq!(h.batch.touched, 0);
    assert_eq!(h.fingerprint(), before);
    // The same timestamp is in order.
    let f = price_change_frame("1757908892351", &[change(UP, "0.49", "0", "BUY")]);
    assert_eq!(h.apply_str(&f), Ok(PolyFrame::Events));
    assert_eq!(h.batch.touched, bit(UP_IDX));
    assert_eq!(h.bids(UP_IDX)[0].0, 4800);
    assert_eq!(h.books.stale_updates, 3);
}

#[test]
fn array_frame_applies_every_event() {
    let mut h = Harness::new();
    assert_eq!(h.apply(EVENTS_ARRAY), Ok(PolyFrame::Events));
    assert_eq!(h.batch.touched, bit(UP_IDX) | bit(DOWN_IDX));
    assert_eq!(h.bids(UP_IDX), vec![(4000, 10_000_000)]);
    assert_eq!(h.asks(UP_IDX), vec![(6000, 10_000_000)]);
    assert_eq!(h.bids(DOWN_IDX), vec![(3900, 11_000_000)]);
    assert_eq!(h.asks(DOWN_IDX), vec![(6100, 11_000_000)]);
    assert_eq!(h.batch.n_trades, 1);
    assert_eq!(
        h.batch.trades[0],
        PolyTrade {
            token: TokenId(DOWN_IDX as u16),
            side: Side::Sell,
            price_e4: 6100,
            size_e6: 3_000_000,
            venue_ts_ms: 1_757_908_892_301,
            stamps: Default::default(),
        }
    );
    // An empty array is a frame with nothing in it.
    assert_eq!(h.apply(b"[]"), Ok(PolyFrame::Events));
    assert_eq!((h.batch.touched, h.batch.n_trades), (0, 0));
}

#[test]
fn tick_size_change_sets_the_tick() {
    let mut h = Harness::with_books();
    assert_eq!(h.books.books[UP_IDX].tick_e4(), 100);
    assert_eq!(h.apply(TICK_SIZE_CHANGE), Ok(PolyFrame::Events));
    assert_eq!(h.books.books[UP_IDX].tick_e4(), 10);
    assert_eq!(h.batch.touched, bit(UP_IDX));
    assert_eq!(h.books.books[DOWN_IDX].tick_e4(), 100);
    let zero = format!(
        r#"{{"event_type":"tick_size_change","asset_id":"{UP}","market":"{MARKET}","old_tick_size":"0.001","new_tick_size":"0","timestamp":"1757908892600"}}"#
    );
    assert_eq!(
        h.apply_str(&zero),
        Err(PolyParseError::Field("new_tick_size"))
    );
    assert_eq!(h.books.books[UP_IDX].tick_e4(), 10);
}

#[test]
fn last_trade_price_goes_to_batch_trades() {
    let mut h = Harness::with_books();
    let before = h.fingerprint();
    assert_eq!(h.apply(LAST_TRADE), Ok(PolyFrame::Events));
    assert_eq!(h.batch.n_trades, 1);
    assert_eq!(
        h.batch.trades[0],
        PolyTrade {
            token: TokenId(UP_IDX as u16),
            side: Side::Buy,
            price_e4: 5200,
            size_e6: 12_500_000,
            venue_ts_ms: 1_757_908_892_460,
            stamps: Default::default(),
        }
    );
    assert_eq!(h.batch.touched, 0, "a trade print does not move the book");
    assert_eq!(h.fingerprint(), before);
    // The batch is cleared by the next frame.
    assert_eq!(h.apply(BEST_BID_ASK), Ok(PolyFrame::Events));
    assert_eq!(h.batch.n_trades, 0);
}

#[test]
fn pong_text_is_the_keepalive_answer() {
    let mut h = Harness::with_books();
    let before = h.fingerprint();
    assert_eq!(h.apply(PONG), Ok(PolyFrame::Pong));
    assert_eq!(h.apply(b"PONG\n"), Ok(PolyFrame::Pong));
    assert_eq!(h.batch.touched, 0);
    assert_eq!(h.fingerprint(), before);
    assert_eq!(h.apply(b"PING"), Err(PolyParseError::Malformed));
}

#[test]
fn best_bid_ask_and_other_kinds_are_counted_as_ignored() {
    let mut h = Harness::with_books();
    let before = h.fingerprint();
    assert_eq!(h.apply(BEST_BID_ASK), Ok(PolyFrame::Events));
    assert_eq!(h.batch.ignored, 1);
    assert_eq!(h.batch.touched, 0);
    let two = format!(
        r#"[{},{{"event_type":"market_resolved","market":"{MARKET}","winning_asset_id":"{UP}"}}]"#,
        std::str::from_utf8(BEST_BID_ASK).unwrap()
    );
    assert_eq!(h.apply_str(&two), Ok(PolyFrame::Events));
    assert_eq!(h.batch.ignored, 2);
    assert_eq!(h.fingerprint(), before);
}

#[test]
fn unknown_tokens_are_skipped_without_error() {
    let mut h = Harness::with_books();
    let before = h.fingerprint();
    let book = book_frame(
        NOT_FOLLOWED,
        "1757908899999",
        r#"{"price":"0.1","size":"1"}"#,
        r#"{"price":"0.9","size":"1"}"#,
    );
    assert_eq!(h.apply_str(&book), Ok(PolyFrame::Events));
    assert_eq!(h.batch.touched, 0);
    let trade = format!(
        r#"{{"event_type":"last_trade_price","asset_id":"{NOT_FOLLOWED}","market":"{MARKET}","price":"0.5","side":"BUY","size":"1","fee_rate_bps":"0","timestamp":"1757908899999"}}"#
    );
    assert_eq!(h.apply_str(&trade), Ok(PolyFrame::Events));
    assert_eq!(h.batch.n_trades, 0);
    let legacy = format!(
        r#"{{"event_type":"price_change","asset_id":"{NOT_FOLLOWED}","market":"{MARKET}","timestamp":"1757908899999","changes":[{{"price":"0.5","side":"BUY","size":"1"}}]}}"#
    );
    assert_eq!(h.apply_str(&legacy), Ok(PolyFrame::Events));
    assert_eq!(h.fingerprint(), before);
    // One unknown and one followed token in the same frame: the followed one is applied.
    let f = price_change_frame(
        "1757908892400",
        &[
            change(NOT_FOLLOWED, "0.5", "1", "BUY"),
            change(DOWN, "0.5", "3", "BUY"),
        ],
    );
    assert_eq!(h.apply_str(&f), Ok(PolyFrame::Events));
    assert_eq!(h.batch.touched, bit(DOWN_IDX));
    assert_eq!(h.bids(DOWN_IDX)[0], (5000, 3_000_000));
    assert_eq!(h.books.stale_updates, 0);
}

#[test]
fn malformed_frames_are_errors() {
    let mut h = Harness::with_books();
    let before = h.fingerprint();
    let cases: &[&[u8]] = &[
        b"",
        b"not json",
        b"{",
        b"[{}",
        b"\xff\xfe",
        br#"{"event_type":"book","asset_id":"#,
    ];
    for c in cases {
        assert_eq!(
            h.apply(c),
            Err(PolyParseError::Malformed),
            "{:?}",
            String::from_utf8_lossy(c)
        );
    }
    use PolyParseError::Field;
    assert_eq!(h.apply(b"{}"), Err(Field("event_type")));
    assert_eq!(h.apply(b"42"), Err(Field("event_type")));
    let no_ts = format!(r#"{{"event_type":"book","asset_id":"{UP}","bids":[],"asks":[]}}"#);
    assert_eq!(h.apply_str(&no_ts), Err(Field("timestamp")));
    let bad_side = price_change_frame("1757908892400", &[change(UP, "0.5", "1", "HOLD")]);
    assert_eq!(h.apply_str(&bad_side), Err(Field("side")));
    let bad_price = price_change_frame("1757908892400", &[change(UP, "1.5", "1", "BUY")]);
    assert_eq!(h.apply_str(&bad_price), Err(Field("price")));
    assert_eq!(h.fingerprint(), before);
}

#[test]
fn bad_snapshot_leaves_the_previous_book_intact() {
    let mut h = Harness::with_books();
    let before = h.fingerprint();
    use PolyParseError::Field;
    let good = r#"{"price":"0.30","size":"1"}"#;
    let cases = [
        // A bad level after good ones, on either side.
        (
            book_frame(UP, "1757908893000", good, r#"{"price":"1.5","size":"1"}"#),
            Field("price"),
        ),
        (
            book_frame(
                UP,
                "1757908893000",
                &format!(r#"{good},{{"price":"0.2","size":"x"}}"#),
                good,
            ),
            Field("size"),
        ),
        (
            book_frame(UP, "1757908893000", good, r#"{"size":"1"}"#),
            Field("price"),
        ),
        (
            book_frame(UP, "1757908893000", r#"{"price":0.3,"size":"1"}"#, ""),
            Field("price"),
        ),
        (
            format!(
                r#"{{"event_type":"book","asset_id":"{UP}","timestamp":"1757908893000","bids":{{}},"asks":[]}}"#
            ),
            Field("bids"),
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(h.apply_str(&frame), Err(want), "{frame}");
        assert_eq!(h.fingerprint(), before, "book changed by {frame}");
    }
}

#[test]
fn truncated_frames_never_panic_and_change_nothing() {
    let mut h = Harness::with_books();
    let before = h.fingerprint();
    for (name, fixture) in ALL_FIXTURES {
        for cut in 0..fixture.len() {
            let r = catch_unwind(AssertUnwindSafe(|| h.apply(&fixture[..cut])))
                .unwrap_or_else(|_| panic!("{name}: panic when cut at byte {cut}"));
            assert!(
                r.is_err(),
                "{name} cut at {cut}: {:?} → {r:?}",
                String::from_utf8_lossy(&fixture[..cut])
            );
            assert_eq!(h.batch.touched, 0, "{name} cut at {cut}");
            assert_eq!(h.batch.n_trades, 0, "{name} cut at {cut}");
            assert_eq!(
                h.fingerprint(),
                before,
                "{name} cut at {cut} changed a book"
            );
        }
    }
    assert_eq!(h.books.stale_updates, 0);
    // The parser still works afterwards.
    assert_eq!(h.apply(PRICE_CHANGE), Ok(PolyFrame::Events));
    assert_eq!(h.batch.touched, bit(UP_IDX) | bit(DOWN_IDX));
}

/// A snapshot with `n` levels per side in venue order: bids ascending from 0.0001, asks
/// descending to 0.9999 − (n−1)·0.0001, so the best of each side comes last.
fn oversized_book(n: u32) -> String {
    let level = |p: u32| format!(r#"{{"price":"0.{p:04}","size":"1"}}"#);
    let bids: Vec<String> = (1..=n).map(level).collect();
    let asks: Vec<String> = (0..n).map(|i| level(9999 - i)).collect();
    book_frame(UP, "1757908893000", &bids.join(","), &asks.join(","))
}

#[test]
fn oversized_snapshot_is_bounded() {
    let n = LEVELS_PER_SIDE as u32 + 44;
    let mut h = Harness::new();
    assert_eq!(h.apply_str(&oversized_book(n)), Ok(PolyFrame::Events));
    let b = &h.books.books[UP_IDX];
    assert_eq!(b.bids().len(), LEVELS_PER_SIDE);
    assert_eq!(b.asks().len(), LEVELS_PER_SIDE);
    assert_eq!(b.overflow, 88);
    assert!(b.bids().windows(2).all(|w| w[0].price_e4 > w[1].price_e4));
    assert!(b.asks().windows(2).all(|w| w[0].price_e4 < w[1].price_e4));
}

#[test]
fn oversized_snapshot_keeps_the_best_levels() {
    let n = LEVELS_PER_SIDE as u32 + 44;
    let mut h = Harness::new();
    assert_eq!(h.apply_str(&oversized_book(n)), Ok(PolyFrame::Events));
    let b = &h.books.books[UP_IDX];
    // The venue lists the best level last; a bounded book must drop the worst levels, not
    // the best ones, or the top of book is wrong.
    assert_eq!(
        b.bids()[0].price_e4,
        n,
        "best bid should be 0.{n:04}, the book kept 0.{:04}",
        b.bids()[0].price_e4
    );
    assert_eq!(
        b.asks()[0].price_e4,
        9999 - (n - 1),
        "best ask should be 0.{:04}, the book kept 0.{:04}",
        9999 - (n - 1),
        b.asks()[0].price_e4
    );
}
