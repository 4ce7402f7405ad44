//! Binance frames: the product's parser (scanner, simd-json fallback), the general simd-json
//! path, serde_json and sonic-rs, each doing the same domain work.

use cassandra::feeds::binance::{BinanceFrame, BinanceParser};
use cassandra::feeds::decimal::parse_e8;
use cassandra::pipeline::events::{SpotKind, SpotTick};
use cassandra::pipeline::registry::AssetTable;
use hdrhistogram::Histogram;

use super::timing::per_parse;

const TRADE: &[u8] = br#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"97012.35000000","q":"0.01200000","T":1672515782136,"m":true,"M":true}}"#;
const TRADE_RAW: &[u8] = br#"{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12346,"p":"97012.36000000","q":"0.00150000","T":1672515782136,"m":false,"M":true}"#;
const BOOK_TICKER: &[u8] = br#"{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"97012.35000000","B":"1.21000000","a":"97012.36000000","A":"0.66000000"}}"#;

/// The combined wrapper with either payload; `stream` routes it, as in the product.
#[derive(serde::Deserialize)]
struct CombinedWire<'a> {
    #[serde(borrow)]
    stream: &'a str,
    #[serde(borrow)]
    data: BinanceWire<'a>,
}

/// The fields of a trade or a bookTicker (both optional so one struct decodes either).
#[derive(serde::Deserialize)]
#[allow(non_snake_case)]
struct BinanceWire<'a> {
    #[serde(borrow, default)]
    e: Option<&'a str>,
    #[serde(borrow)]
    s: &'a str,
    t: Option<u64>,
    u: Option<u64>,
    #[serde(borrow, default)]
    p: Option<&'a str>,
    #[serde(borrow, default)]
    q: Option<&'a str>,
    T: Option<u64>,
    E: Option<u64>,
    #[serde(borrow, default)]
    b: Option<&'a str>,
    #[serde(borrow, default)]
    B: Option<&'a str>,
    #[serde(borrow, default)]
    a: Option<&'a str>,
    #[serde(borrow, default)]
    A: Option<&'a str>,
}

/// The product's domain work on decoded fields: symbol lookup, decimals, mid for bookTicker.
fn binance_tick(w: &BinanceWire<'_>, trade: bool, assets: &AssetTable) -> Option<SpotTick> {
    let asset = assets.by_binance_symbol(w.s.as_bytes())?;
    let e8 = |v: Option<&str>| v.and_then(|v| parse_e8(v.as_bytes()));
    if trade {
        return Some(SpotTick {
            asset,
            kind: SpotKind::Trade,
            price_e8: e8(w.p)?,
            qty_e8: e8(w.q)?,
            venue_ts_ms: w.T.or(w.E)?,
            seq: w.t?,
            stamps: Default::default(),
        });
    }
    let (bid, bid_qty, ask, ask_qty) = (e8(w.b)?, e8(w.B)?, e8(w.a)?, e8(w.A)?);
    Some(SpotTick {
        asset,
        kind: SpotKind::BookTicker,
        price_e8: bid + (ask - bid) / 2,
        qty_e8: bid_qty.min(ask_qty),
        venue_ts_ms: 0,
        seq: w.u?,
        stamps: Default::default(),
    })
}

/// A combined or raw frame decoded by a serde deserializer, then the domain work.
fn binance_serde<'a>(
    frame: &'a [u8],
    assets: &AssetTable,
    combined: fn(&'a [u8]) -> Option<CombinedWire<'a>>,
    raw: fn(&'a [u8]) -> Option<BinanceWire<'a>>,
) -> Option<SpotTick> {
    if frame.starts_with(b"{\"stream\"") {
        let c = combined(frame)?;
        binance_tick(&c.data, c.stream.ends_with("@trade"), assets)
    } else {
        let w = raw(frame)?;
        binance_tick(&w, w.e == Some("trade"), assets)
    }
}

pub struct BinanceRow {
    pub frame: &'static str,
    pub scanner: Histogram<u64>,
    pub simd: Histogram<u64>,
    pub serde: Histogram<u64>,
    pub sonic: Histogram<u64>,
}

pub fn bench_binance(assets: &AssetTable) -> Vec<BinanceRow> {
    let mut out = Vec::new();
    for (name, frame) in [
        ("trade, combined", TRADE),
        ("trade, raw", TRADE_RAW),
        ("bookTicker, combined", BOOK_TICKER),
    ] {
        let mut parser = BinanceParser::default();
        let mut buf = frame.to_vec();
        // Every parser must agree on the tick before it is timed.
        let want = parser.parse(&mut buf, assets).expect("product parses");
        buf.copy_from_slice(frame);
        assert_eq!(parser.parse_general(&mut buf, assets), Ok(want));
        let serde = |f| {
            binance_serde(
                f,
                assets,
                |b| serde_json::from_slice(b).ok(),
                |b| serde_json::from_slice(b).ok(),
            )
        };
        let sonic = |f| {
            binance_serde(
                f,
                assets,
                |b| sonic_rs::from_slice(b).ok(),
                |b| sonic_rs::from_slice(b).ok(),
            )
        };
        assert_eq!(serde(frame).map(BinanceFrame::Tick), Some(want));
        assert_eq!(sonic(frame).map(BinanceFrame::Tick), Some(want));
        // The product and the simd-json path parse in place: each call gets a fresh copy.
        let (mut general, mut buf2) = (BinanceParser::default(), frame.to_vec());
        let mut h = per_parse(&mut [
            &mut || {
                buf.copy_from_slice(frame);
                std::hint::black_box(parser.parse(std::hint::black_box(&mut buf), assets)).ok();
            },
            &mut || {
                buf2.copy_from_slice(frame);
                let r = general.parse_general(std::hint::black_box(&mut buf2), assets);
                std::hint::black_box(r).ok();
            },
            &mut || {
                std::hint::black_box(serde(std::hint::black_box(frame)));
            },
            &mut || {
                std::hint::black_box(sonic(std::hint::black_box(frame)));
            },
        ])
        .into_iter();
        let mut next = || h.next().expect("four histograms");
        out.push(BinanceRow {
            frame: name,
            scanner: next(),
            simd: next(),
            serde: next(),
            sonic: next(),
        });
    }
    out
}
