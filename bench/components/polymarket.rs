//! Polymarket market-channel frames decoded by simd-json, serde_json and sonic-rs, and the
//! product's parser applying them to books.

use cassandra::feeds::decimal::{parse_e6, parse_price_e4, parse_u64};
use cassandra::feeds::json::{self, JsonScratch};
use cassandra::feeds::polymarket::{PolyBatch, PolyBooks, PolyParser};
use cassandra::pipeline::control::TokenKey;
use hdrhistogram::Histogram;

use super::common::{poly_book_frame, POLY_UP};
use super::timing::per_parse;

const POLY_PRICE_CHANGE: &[u8] =
    include_bytes!("../../tests/data/synthetic/poly_price_change.json");
const POLY_LAST_TRADE: &[u8] =
    include_bytes!("../../tests/data/synthetic/poly_last_trade_price.json");
const POLY_TICK_SIZE: &[u8] =
    include_bytes!("../../tests/data/synthetic/poly_tick_size_change.json");

#[derive(serde::Deserialize)]
struct PolyLevelWire<'a> {
    #[serde(borrow)]
    price: &'a str,
    #[serde(borrow)]
    size: &'a str,
}

#[derive(serde::Deserialize)]
struct PolyChangeWire<'a> {
    #[serde(borrow)]
    asset_id: &'a str,
    #[serde(borrow)]
    price: &'a str,
    #[serde(borrow)]
    size: &'a str,
    #[serde(borrow)]
    side: &'a str,
}

/// Every field the product reads from the four event kinds (serde skips the rest).
#[derive(serde::Deserialize)]
struct PolyEventWire<'a> {
    #[serde(borrow)]
    event_type: &'a str,
    #[serde(borrow, default)]
    asset_id: Option<&'a str>,
    #[serde(borrow, default)]
    timestamp: Option<&'a str>,
    #[serde(borrow, default)]
    bids: Vec<PolyLevelWire<'a>>,
    #[serde(borrow, default)]
    asks: Vec<PolyLevelWire<'a>>,
    #[serde(borrow, default)]
    price_changes: Vec<PolyChangeWire<'a>>,
    #[serde(borrow, default)]
    price: Option<&'a str>,
    #[serde(borrow, default)]
    size: Option<&'a str>,
    #[serde(borrow, default)]
    side: Option<&'a str>,
    #[serde(borrow, default)]
    new_tick_size: Option<&'a str>,
}

/// The same domain work for every decoder: decimals parsed, ids and sides looked at.
fn poly_checksum(w: &PolyEventWire<'_>) -> u64 {
    let e4 = |s: &str| u64::from(parse_price_e4(s.as_bytes()).unwrap_or(0));
    let e6 = |s: &str| parse_e6(s.as_bytes()).unwrap_or(0);
    let mut sum = w.event_type.len() as u64
        + w.asset_id.map_or(0, |a| a.len() as u64)
        + w.timestamp
            .and_then(|t| parse_u64(t.as_bytes()))
            .unwrap_or(0);
    for l in w.bids.iter().chain(w.asks.iter()) {
        sum += e4(l.price) + e6(l.size);
    }
    for c in &w.price_changes {
        sum += c.asset_id.len() as u64 + e4(c.price) + e6(c.size) + c.side.len() as u64;
    }
    sum += w.price.map_or(0, e4) + w.size.map_or(0, e6) + w.side.map_or(0, |s| s.len() as u64);
    sum + w.new_tick_size.map_or(0, e4)
}

/// The same fields read from simd-json's tape, reused between frames; like the product it
/// looks only for the fields of the frame's event type.
fn poly_checksum_tape(ev: json::Value<'_, '_>) -> u64 {
    use cassandra::feeds::json::get_str;
    let e4 =
        |s: Option<&str>| s.map_or(0, |s| u64::from(parse_price_e4(s.as_bytes()).unwrap_or(0)));
    let e6 = |s: Option<&str>| s.map_or(0, |s| parse_e6(s.as_bytes()).unwrap_or(0));
    let len = |s: Option<&str>| s.map_or(0, |s| s.len() as u64);
    let kind = get_str(ev, "event_type");
    let mut sum = len(kind)
        + get_str(ev, "timestamp")
            .and_then(|t| parse_u64(t.as_bytes()))
            .unwrap_or(0);
    match kind {
        Some("book") => {
            sum += len(get_str(ev, "asset_id"));
            for key in ["bids", "asks"] {
                if let Some(levels) = ev.get(key).and_then(|v| v.as_array()) {
                    for l in levels.iter() {
                        sum += e4(get_str(l, "price")) + e6(get_str(l, "size"));
                    }
                }
            }
        }
        Some("price_change") => {
            if let Some(changes) = ev.get("price_changes").and_then(|v| v.as_array()) {
                for c in changes.iter() {
                    sum += len(get_str(c, "asset_id"))
                        + e4(get_str(c, "price"))
                        + e6(get_str(c, "size"))
                        + len(get_str(c, "side"));
                }
            }
        }
        Some("last_trade_price") => {
            sum += len(get_str(ev, "asset_id"))
                + e4(get_str(ev, "price"))
                + e6(get_str(ev, "size"))
                + len(get_str(ev, "side"));
        }
        Some("tick_size_change") => {
            sum += len(get_str(ev, "asset_id")) + e4(get_str(ev, "new_tick_size"));
        }
        _ => {}
    }
    sum
}

pub struct PolyRow {
    pub frame: &'static str,
    pub bytes: usize,
    pub product: Histogram<u64>,
    pub simd: Histogram<u64>,
    pub serde: Histogram<u64>,
    pub sonic: Histogram<u64>,
}

pub fn bench_polymarket() -> Vec<PolyRow> {
    let book = poly_book_frame();
    let mut out = Vec::new();
    for (name, frame) in [
        ("book (20 levels a side)", &book[..]),
        ("price_change (2 changes)", POLY_PRICE_CHANGE),
        ("last_trade_price", POLY_LAST_TRADE),
        ("tick_size_change", POLY_TICK_SIZE),
    ] {
        let mut scratch = JsonScratch::new(64 << 10);
        let mut buf = frame.to_vec();
        let want = scratch.parse(&mut buf, poly_checksum_tape).expect("valid");
        let serde_sum = |f| serde_json::from_slice::<PolyEventWire>(f).map(|w| poly_checksum(&w));
        let sonic_sum = |f| sonic_rs::from_slice::<PolyEventWire>(f).map(|w| poly_checksum(&w));
        assert_eq!(serde_sum(frame).expect("serde_json"), want, "{name}");
        assert_eq!(sonic_sum(frame).expect("sonic-rs"), want, "{name}");

        let mut books = PolyBooks::default();
        assert!(books
            .tokens
            .insert(0, TokenKey::new(POLY_UP).expect("token")));
        let mut parser = PolyParser::default();
        let mut batch = PolyBatch::default();
        let mut buf2 = frame.to_vec();
        let mut h = per_parse(&mut [
            &mut || {
                buf.copy_from_slice(frame);
                let r = parser.parse(std::hint::black_box(&mut buf), &mut books, &mut batch);
                std::hint::black_box(r).ok();
            },
            &mut || {
                buf2.copy_from_slice(frame);
                let r = scratch.parse(std::hint::black_box(&mut buf2), poly_checksum_tape);
                std::hint::black_box(r);
            },
            &mut || {
                std::hint::black_box(serde_sum(std::hint::black_box(frame))).ok();
            },
            &mut || {
                std::hint::black_box(sonic_sum(std::hint::black_box(frame))).ok();
            },
        ])
        .into_iter();
        let mut next = || h.next().expect("four histograms");
        let (product, simd, serde, sonic) = (next(), next(), next(), next());
        out.push(PolyRow {
            frame: name,
            bytes: frame.len(),
            product,
            simd,
            serde,
            sonic,
        });
    }
    out
}
