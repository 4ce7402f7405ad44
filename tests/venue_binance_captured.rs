//! Captures of Binance's live spot stream (`tests/data/venue/binance/*_captured*`, provenance in
//! the README there) through the product's parser, checking the values each frame became, and
//! that the byte scanner (the hot path's first try) reads the compact wire form to the same
//! result as the general parser.

use cassandra::feeds::binance::scan::scan_frame;
use cassandra::feeds::binance::{BinanceFrame, BinanceParser};
use cassandra::pipeline::events::{AssetId, SpotKind, SpotTick};
use cassandra::pipeline::registry::AssetTable;

macro_rules! venue {
    ($path:literal) => {
        include_bytes!(concat!("data/venue/binance/", $path)).as_slice()
    };
}

/// The wire form: whitespace outside strings removed (two captures were saved pretty-printed).
fn compact(saved: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(saved.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in saved {
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !b.is_ascii_whitespace() {
            in_string = b == b'"';
            out.push(b);
        }
    }
    out
}

fn assets() -> AssetTable {
    AssetTable::from_names(&["BTC", "ETH"]).unwrap()
}

/// Parses through the product path and checks the scanner, where it takes the frame, agrees.
fn parse(frame: &[u8]) -> BinanceFrame {
    let assets = assets();
    let mut general = frame.to_vec();
    let by_general = BinanceParser::default()
        .parse_general(&mut general, &assets)
        .unwrap_or_else(|e| panic!("{e:?} on {}", String::from_utf8_lossy(frame)));
    if let Some(scanned) = scan_frame(frame, &assets) {
        assert_eq!(scanned, Ok(by_general), "scanner and general parser differ");
    }
    let mut product = frame.to_vec();
    let by_product = BinanceParser::default()
        .parse(&mut product, &assets)
        .unwrap();
    assert_eq!(by_product, by_general);
    by_product
}

fn tick(frame: &[u8]) -> SpotTick {
    match parse(frame) {
        BinanceFrame::Tick(t) => t,
        other => panic!("expected a tick, got {other:?}"),
    }
}

#[test]
fn captured_trade_becomes_a_btc_trade_tick() {
    let frame = compact(venue!("trade_combined_captured.json"));
    assert!(frame.starts_with(br#"{"stream":"btcusdt@trade","data":{"e":"trade""#));
    // The compact wire layout is the scanner's, not a fallback.
    assert!(scan_frame(&frame, &assets()).is_some());
    let t = tick(&frame);
    assert_eq!(
        (t.asset, t.kind, t.price_e8, t.qty_e8, t.venue_ts_ms, t.seq),
        (
            AssetId(0),
            SpotKind::Trade,
            10_257_117_000_000, // "102571.17000000"
            100_000,            // "0.00100000"
            1_762_578_805_372,  // T, the trade time (E is 1 ms later)
            5_455_447_976,
        )
    );
}

#[test]
fn captured_trade_as_saved_with_spaces_reads_the_same() {
    // Pretty-printed, the scanner declines and the general parser reads the same values.
    let saved = venue!("trade_combined_captured.json");
    assert!(scan_frame(saved, &assets()).is_none());
    assert_eq!(parse(saved), parse(&compact(saved)));
}

#[test]
fn captured_agg_trade_is_deliberately_ignored() {
    let frame = compact(venue!("agg_trade_combined_captured.json"));
    assert!(frame.starts_with(br#"{"stream":"btcusdt@aggTrade""#));
    assert_eq!(parse(&frame), BinanceFrame::Ignored);
}

#[test]
fn captured_book_tickers_and_depth_diff_of_one_connection() {
    let lines: Vec<&[u8]> = venue!("book_ticker_depth_combined_captured.jsonl")
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 3);

    // bookTicker: mid of 95794.61 and 95794.62, the thinner side's size (0.41915 < 2.20768).
    let first = tick(lines[0]);
    assert_eq!(
        (
            first.asset,
            first.kind,
            first.price_e8,
            first.qty_e8,
            first.seq
        ),
        (
            AssetId(0),
            SpotKind::BookTicker,
            9_579_461_500_000,
            41_915_000,
            80_630_992_451
        )
    );
    // A bookTicker has no event time; the venue timestamp is left for the receiver to set.
    assert_eq!(first.venue_ts_ms, 0);

    // The depth diff on the same connection is not a stream the product follows.
    assert!(lines[1].starts_with(br#"{"stream":"btcusdt@depth@100ms""#));
    assert_eq!(parse(lines[1]), BinanceFrame::Ignored);

    // Two updates later, ask size changed, prices did not; the update id moved on.
    let third = tick(lines[2]);
    assert_eq!(third.price_e8, first.price_e8);
    assert_eq!(third.qty_e8, 41_915_000);
    assert_eq!(third.seq, 80_630_992_453);
}

#[test]
fn captured_frames_cut_short_are_refused_not_misread() {
    for saved in [
        venue!("trade_combined_captured.json"),
        venue!("agg_trade_combined_captured.json"),
    ] {
        let frame = compact(saved);
        for cut in 1..frame.len() {
            let mut part = frame[..cut].to_vec();
            let r = BinanceParser::default().parse(&mut part, &assets());
            assert!(
                r.is_err(),
                "a frame cut at {cut} bytes was accepted: {r:?} ({})",
                String::from_utf8_lossy(&frame[..cut])
            );
        }
    }
}
