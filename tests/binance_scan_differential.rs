//! The Binance byte scanner agrees with the general simd-json parser on every frame it takes,
//! and the product parser (scanner first, then fallback) agrees with the general parser on
//! every frame at all.
//!
//! Frames are generated from a fixed seed: the documented trade and bookTicker layouts, in the
//! combined wrapper and raw, with good and bad values (prices, symbols, integers at the edges
//! of u64, leading zeros, signs), then mutated: keys reordered, added or removed, whitespace
//! inserted, characters escaped, bytes flipped, frames truncated.

use cassandra::feeds::binance::scan::scan_frame;
use cassandra::feeds::binance::{BinanceFrame, BinanceParseError, BinanceParser};
use cassandra::pipeline::registry::AssetTable;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const FRAMES: usize = 30_000;

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

fn decimal(rng: &mut ChaCha8Rng) -> String {
    if rng.random_ratio(1, 6) {
        let odd = [
            "0",
            "0.00000000",
            "-1",
            "1e5",
            "",
            "1.2.3",
            "999999999999.0",
            " 1",
            ".5",
            "5.",
            "0.000000001",
            "00.1",
            "+1",
        ];
        return pick(rng, &odd).to_string();
    }
    let int = rng.random_range(0..200_000u64);
    let frac = rng.random_range(0..100_000_000u64);
    match rng.random_range(0..3) {
        0 => format!("{int}.{frac:08}"),
        1 => format!("{int}"),
        _ => format!("{int}.{}", frac % 1000),
    }
}

fn integer(rng: &mut ChaCha8Rng) -> String {
    if rng.random_ratio(1, 8) {
        let odd = [
            "0",
            "01",
            "-1",
            "1.0",
            "1e3",
            "9223372036854775807",
            "9223372036854775808",
            "9999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "\"12\"",
            "null",
        ];
        return pick(rng, &odd).to_string();
    }
    let shift = rng.random_range(0..64);
    rng.random_range(0..u64::MAX >> shift).to_string()
}

fn symbol(rng: &mut ChaCha8Rng) -> String {
    let s = pick(
        rng,
        &[
            "BTCUSDT", "BTCUSDT", "ETHUSDT", "btcusdt", "SOLUSDT", "BTC", "",
        ],
    );
    format!("\"{s}\"")
}

fn boolean(rng: &mut ChaCha8Rng) -> String {
    pick(rng, &["true", "false", "true", "null", "1"]).to_string()
}

fn trade_fields(rng: &mut ChaCha8Rng) -> Vec<(String, String)> {
    let e = if rng.random_ratio(1, 12) {
        pick(rng, &["\"aggTrade\"", "\"serverShutdown\"", "\"trade \""]).to_string()
    } else {
        "\"trade\"".to_string()
    };
    vec![
        ("e".into(), e),
        ("E".into(), integer(rng)),
        ("s".into(), symbol(rng)),
        ("t".into(), integer(rng)),
        ("p".into(), format!("\"{}\"", decimal(rng))),
        ("q".into(), format!("\"{}\"", decimal(rng))),
        ("T".into(), integer(rng)),
        ("m".into(), boolean(rng)),
        ("M".into(), boolean(rng)),
    ]
}

fn book_ticker_fields(rng: &mut ChaCha8Rng) -> Vec<(String, String)> {
    // Mostly uncrossed: the bid is at most the ask.
    let bid_int = rng.random_range(1..100_000u64);
    let spread = rng.random_range(0..3u64);
    let (bid, ask) = if rng.random_ratio(1, 4) {
        (decimal(rng), decimal(rng))
    } else {
        (format!("{bid_int}.50"), format!("{}.50", bid_int + spread))
    };
    vec![
        ("u".into(), integer(rng)),
        ("s".into(), symbol(rng)),
        ("b".into(), format!("\"{bid}\"")),
        ("B".into(), format!("\"{}\"", decimal(rng))),
        ("a".into(), format!("\"{ask}\"")),
        ("A".into(), format!("\"{}\"", decimal(rng))),
    ]
}

fn object(fields: &[(String, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    format!("{{{}}}", body.join(","))
}

/// One frame: a layout, then zero or more mutations of its fields or bytes.
fn frame(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let is_trade = rng.random_bool(0.6);
    let mut fields = if is_trade {
        trade_fields(rng)
    } else {
        book_ticker_fields(rng)
    };
    // Field-level mutations, each rare enough that many frames stay canonical.
    if rng.random_ratio(1, 10) {
        fields.shuffle(rng);
    }
    if rng.random_ratio(1, 15) {
        let at = rng.random_range(0..=fields.len());
        fields.insert(at, ("b".into(), "88".into()));
    }
    if rng.random_ratio(1, 15) {
        let at = rng.random_range(0..fields.len());
        fields.remove(at);
    }
    if rng.random_ratio(1, 15) {
        // Escape one character of a string value: same value, different bytes.
        let i = rng.random_range(0..fields.len());
        let v = &fields[i].1;
        if v.len() > 2 && v.starts_with('"') {
            let c = v.as_bytes()[1];
            fields[i].1 = format!("\"\\u00{c:02x}{}", &v[2..]);
        }
    }
    let data = object(&fields);
    let stream_kind = if is_trade { "trade" } else { "bookTicker" };
    let mut text = match rng.random_range(0..10) {
        0..=5 => format!(r#"{{"stream":"btcusdt@{stream_kind}","data":{data}}}"#),
        6 => {
            let other = pick(rng, &["aggTrade", "trade", "bookTicker", "kline_1m", ""]);
            format!(r#"{{"stream":"ethusdt@{other}","data":{data}}}"#)
        }
        _ => data,
    };
    if rng.random_ratio(1, 12) {
        // Whitespace after a random comma or colon, or at the end.
        let spots: Vec<usize> = text
            .match_indices([',', ':'])
            .map(|(i, _)| i + 1)
            .chain([text.len()])
            .collect();
        let at = spots[rng.random_range(0..spots.len())];
        text.insert_str(at, pick(rng, &[" ", "\n", "\t", "  \r\n"]));
    }
    let mut bytes = text.into_bytes();
    if rng.random_ratio(1, 12) {
        let cut = rng.random_range(0..bytes.len());
        bytes.truncate(cut);
    }
    if rng.random_ratio(1, 15) && !bytes.is_empty() {
        let i = rng.random_range(0..bytes.len());
        bytes[i] = pick(rng, &["\"", "\\", "{", "}", ",", "0", "x", "\u{1}", " "]).as_bytes()[0];
    }
    if rng.random_ratio(1, 40) && !bytes.is_empty() {
        let i = rng.random_range(0..bytes.len());
        bytes[i] = 0xff;
    }
    bytes
}

fn general(
    p: &mut BinanceParser,
    bytes: &[u8],
    a: &AssetTable,
) -> Result<BinanceFrame, BinanceParseError> {
    p.parse_general(&mut bytes.to_vec(), a)
}

#[test]
fn scanner_and_product_agree_with_the_general_parser() {
    let assets = AssetTable::from_names(&["BTC", "ETH"]).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5ca1_ab1e);
    let mut gen = BinanceParser::default();
    let mut product = BinanceParser::default();
    let (mut taken, mut ticks_taken, mut fell_back) = (0usize, 0usize, 0usize);
    for n in 0..FRAMES {
        let bytes = frame(&mut rng);
        let want = general(&mut gen, &bytes, &assets);
        let show = || format!("frame {n}: {}", String::from_utf8_lossy(&bytes));
        match scan_frame(&bytes, &assets) {
            Some(got) => {
                assert_eq!(got, want, "scanner disagrees on {}", show());
                taken += 1;
                ticks_taken += usize::from(matches!(got, Ok(BinanceFrame::Tick(_))));
            }
            None => fell_back += 1,
        }
        let got = product.parse(&mut bytes.clone(), &assets);
        assert_eq!(got, want, "product parser disagrees on {}", show());
    }
    // Both paths must be exercised in earnest, or the test proves nothing.
    assert!(
        ticks_taken > FRAMES / 10,
        "scanner took {ticks_taken} ticks of {FRAMES}"
    );
    assert!(
        fell_back > FRAMES / 4,
        "only {fell_back} of {FRAMES} fell back"
    );
    println!("scanner took {taken} ({ticks_taken} ticks), {fell_back} fell back");
}

#[test]
fn documented_variants_give_the_same_result_both_ways() {
    let assets = AssetTable::from_names(&["BTC", "ETH"]).unwrap();
    let canonical = r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"97012.35000000","q":"0.01200000","T":1672515782130,"m":true,"M":true}}"#;
    let variants = [
        // Keys reordered.
        r#"{"data":{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"97012.35000000","q":"0.01200000","T":1672515782130,"m":true,"M":true},"stream":"btcusdt@trade"}"#,
        r#"{"stream":"btcusdt@trade","data":{"s":"BTCUSDT","e":"trade","T":1672515782130,"E":1672515782136,"t":12345,"q":"0.01200000","p":"97012.35000000","M":true,"m":true}}"#,
        // Extra whitespace.
        "{ \"stream\" : \"btcusdt@trade\",\n \"data\": {\"e\":\"trade\", \"E\":1672515782136, \"s\":\"BTCUSDT\", \"t\":12345, \"p\":\"97012.35000000\", \"q\":\"0.01200000\", \"T\":1672515782130, \"m\":true, \"M\":true} }\n",
        // Escaped strings with the same values.
        r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,"s":"\u0042TCUSDT","t":12345,"p":"97012\u002e35000000","q":"0.01200000","T":1672515782130,"m":true,"M":true}}"#,
    ];
    let mut p = BinanceParser::default();
    let want = p.parse(&mut canonical.as_bytes().to_vec(), &assets);
    assert!(matches!(want, Ok(BinanceFrame::Tick(_))), "{want:?}");
    assert!(scan_frame(canonical.as_bytes(), &assets).is_some());
    for v in variants {
        assert_eq!(scan_frame(v.as_bytes(), &assets), None, "{v}");
        assert_eq!(p.parse(&mut v.as_bytes().to_vec(), &assets), want, "{v}");
    }
    // Every truncation gives the general parser's answer, which is an error.
    for cut in 0..canonical.len() {
        let bytes = &canonical.as_bytes()[..cut];
        let want = general(&mut p, bytes, &assets);
        assert!(want.is_err(), "cut at {cut}: {want:?}");
        assert_eq!(p.parse(&mut bytes.to_vec(), &assets), want, "cut at {cut}");
    }
}
