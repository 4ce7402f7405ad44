//! Component baselines measured in one run (issue 8's parts (b), (c) and (d)):
//! - a ring hop between two threads with rtrb (the product's), crossbeam's bounded channel and
//!   std's sync_channel;
//! - Binance frames (combined and raw trade, bookTicker) parsed by the product (byte scanner,
//!   falling back to simd-json), the general simd-json tape path alone, serde_json and sonic-rs
//!   into borrowed structs; every parser does the same domain work (symbol lookup, decimals);
//! - Polymarket market-channel frames (`book`, `price_change`, `last_trade_price`,
//!   `tick_size_change`) decoded by simd-json, serde_json and sonic-rs, plus the product's
//!   parser applying them to books;
//! - order signing: a presigned order picked from the ladder + the HMAC header (the product),
//!   against building and signing on the fly with ethers/k256 (`build_buy`) or libsecp256k1.
//!
//! Run: `cargo bench --bench components` (writes `perf/COMPONENTS.md`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use cassandra::feeds::binance::{BinanceFrame, BinanceParser};
use cassandra::feeds::decimal::{parse_e6, parse_e8, parse_price_e4, parse_u64};
use cassandra::feeds::json::{self, JsonScratch};
use cassandra::feeds::polymarket::{PolyBatch, PolyBooks, PolyParser};
use cassandra::pipeline::control::TokenKey;
use cassandra::pipeline::events::{SpotKind, SpotTick};
use cassandra::pipeline::registry::AssetTable;
use hdrhistogram::Histogram;

const ROUND_TRIPS: usize = 100_000;

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 10_000_000_000, 3).expect("bounds")
}

fn pct(h: &Histogram<u64>) -> (u64, u64, u64) {
    (
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
    )
}

/// Round trips through a pair of rings of one kind; the echo thread busy-polls.
fn ping_pong<S, R>(
    make: impl Fn() -> (S, R),
    send: fn(&mut S, u64),
    recv: fn(&mut R) -> Option<u64>,
) -> Histogram<u64>
where
    S: Send + 'static,
    R: Send + 'static,
{
    let (mut tx_a, mut rx_a) = make();
    let (mut tx_b, mut rx_b) = make();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let echo = std::thread::spawn(move || {
        while !s.load(Ordering::Relaxed) {
            if let Some(v) = recv(&mut rx_a) {
                send(&mut tx_b, v);
            } else {
                std::hint::spin_loop();
            }
        }
    });
    let mut h = hist();
    for i in 0..ROUND_TRIPS as u64 + 1_000 {
        let t = Instant::now();
        send(&mut tx_a, i);
        loop {
            if recv(&mut rx_b).is_some() {
                break;
            }
            std::hint::spin_loop();
        }
        if i >= 1_000 {
            h.saturating_record(t.elapsed().as_nanos() as u64);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = echo.join();
    h
}

// ---------------------------------------------------------------------------------------------
// Binance frames
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Polymarket frames
// ---------------------------------------------------------------------------------------------

const POLY_UP: &str =
    "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const POLY_PRICE_CHANGE: &[u8] = include_bytes!("../tests/data/poly_price_change.json");
const POLY_LAST_TRADE: &[u8] = include_bytes!("../tests/data/poly_last_trade_price.json");
const POLY_TICK_SIZE: &[u8] = include_bytes!("../tests/data/poly_tick_size_change.json");

/// A `book` snapshot with 20 levels a side (a busy 15-minute market), the fixture's shape.
fn poly_book_frame() -> Vec<u8> {
    let side = |from: u32, step: i32| {
        (0..20)
            .map(|i| {
                let p = (from as i32 + step * i) as u32;
                format!(
                    r#"{{"price":"0.{p:02}","size":"{}.{:02}"}}"#,
                    50 + i * 17,
                    i * 3
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"event_type":"book","asset_id":"{POLY_UP}","market":"0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1","bids":[{}],"asks":[{}],"timestamp":"1757908892351","hash":"0x0a1b2c3d4e5f60718293a4b5c6d7e8f901234567","tick_size":"0.01"}}"#,
        side(29, 1),
        side(70, -1)
    )
    .into_bytes()
}

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

// ---------------------------------------------------------------------------------------------
// Timing and the report
// ---------------------------------------------------------------------------------------------

/// ns per call of each of `fs`, in batches of `batch` (so the clock's own cost is
/// amortised) taken in turn, one batch of each per round: a noisy moment on the shared
/// machine then lands on every contender alike instead of on whichever ran at the time.
fn interleaved(batch: u32, rounds: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<Histogram<u64>> {
    for f in fs.iter_mut() {
        for _ in 0..batch.max(100) * 10 {
            f();
        }
    }
    let mut hs: Vec<Histogram<u64>> = fs.iter().map(|_| hist()).collect();
    for _ in 0..rounds {
        for (f, h) in fs.iter_mut().zip(hs.iter_mut()) {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            h.saturating_record((t.elapsed().as_nanos() / u128::from(batch)) as u64);
        }
    }
    hs
}

/// Parsers: 300 rounds of batches of 1000 frames.
fn per_parse(fs: &mut [&mut dyn FnMut()]) -> Vec<Histogram<u64>> {
    interleaved(1000, 300, fs)
}

/// A table of `rows` with p50, p99 and the p50 ratio to the first row.
fn table(md: &mut String, first_col: &str, rows: &[(&str, &Histogram<u64>)]) {
    let base_name = rows[0].0;
    let _ = writeln!(
        md,
        "| {first_col} | p50 ns | p99 ns | ratio to {base_name} (p50) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|");
    let base = pct(rows[0].1).0.max(1) as f64;
    for (name, h) in rows {
        let (p50, p99, _) = pct(h);
        let _ = writeln!(md, "| {name} | {p50} | {p99} | {:.2}× |", p50 as f64 / base);
    }
}

struct BinanceRow {
    frame: &'static str,
    scanner: Histogram<u64>,
    simd: Histogram<u64>,
    serde: Histogram<u64>,
    sonic: Histogram<u64>,
}

fn bench_binance(assets: &AssetTable) -> Vec<BinanceRow> {
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

struct PolyRow {
    frame: &'static str,
    bytes: usize,
    product: Histogram<u64>,
    simd: Histogram<u64>,
    serde: Histogram<u64>,
    sonic: Histogram<u64>,
}

fn bench_polymarket() -> Vec<PolyRow> {
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

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

const KEY_HEX: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const TOKEN_ID: &str = POLY_UP;

struct SignRows {
    presigned: Histogram<u64>,
    ethers_build: Histogram<u64>,
    secp_build: Histogram<u64>,
    secp_ffi_build: Histogram<u64>,
    ethers_sign: Histogram<u64>,
    secp_sign: Histogram<u64>,
    secp_ffi_sign: Histogram<u64>,
}

/// The Ethereum `r ‖ s ‖ v` form of a libsecp256k1 signature over `digest`.
fn sign_secp(sk: &secp256k1::SecretKey, digest: [u8; 32]) -> [u8; 65] {
    let sig = secp256k1::ecdsa::RecoverableSignature::sign_ecdsa_recoverable(
        secp256k1::Message::from_digest(digest),
        sk,
    );
    let (rec, rs) = sig.serialize_compact();
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = 27 + u8::from(rec);
    out
}

/// The same signature through libsecp256k1's C API with a context randomized once at start
/// (what the crate did before 0.33, which now rerandomizes its context on every signature).
fn sign_secp_ffi(
    ctx: &secp256k1::Secp256k1<secp256k1::SignOnly>,
    sk: &[u8; 32],
    digest: &[u8; 32],
) -> [u8; 65] {
    use secp256k1::ffi::{self, recovery};
    let mut sig = recovery::RecoverableSignature::new();
    let mut out = [0u8; 65];
    let mut recid: ffi::types::c_int = 0;
    // SAFETY: `ctx` is a live signing context; `sig` (65 bytes), `digest` and `sk` (32 bytes
    // each) and `out` (64 bytes written) are valid for what the C functions read and write;
    // the RFC 6979 nonce function is the library's own static.
    let ok = unsafe {
        let ok = recovery::secp256k1_ecdsa_sign_recoverable(
            ctx.ctx().as_ptr(),
            &mut sig,
            digest.as_ptr(),
            sk.as_ptr(),
            ffi::secp256k1_nonce_function_rfc6979,
            std::ptr::null(),
        );
        recovery::secp256k1_ecdsa_recoverable_signature_serialize_compact(
            ctx.ctx().as_ptr(),
            out.as_mut_ptr(),
            &mut recid,
            &sig,
        );
        ok
    };
    assert_eq!(ok, 1, "a valid key and digest always sign");
    out[64] = 27 + recid as u8;
    out
}

fn bench_signing(n: usize) -> SignRows {
    use cassandra::clob::amounts::{limit_order_amounts, MarketRules};
    use cassandra::clob::auth::{Credentials, L2Signer, HMAC_SIGNATURE_LEN};
    use cassandra::clob::body::{write_post_order_body, PostOptions};
    use cassandra::clob::order::{
        Bytes32, Chain, Exchange, OrderSignature, OrderType as ClobOrderType, OrderV2,
        OrderVersion, Side as ClobSide, SignatureType, SignedOrder,
    };
    use cassandra::clob::sign::{ExchangeDomains, OrderSigner, PrivateKey};
    use cassandra::exec::ladder::OrderLadder;
    use cassandra::exec::orders::{build_buy, Account, SaltSource, TokenOrderInfo, BODY_MAX};
    use cassandra::pipeline::events::{OrderType, TokenId};

    let key = PrivateKey::parse_hex(KEY_HEX).expect("key");
    let mut key_bytes = [0u8; 32];
    for (i, b) in key_bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&KEY_HEX[2 * i..2 * i + 2], 16).expect("hex");
    }
    let sk = secp256k1::SecretKey::from_secret_bytes(key_bytes).expect("secp key");
    let mut ctx = secp256k1::Secp256k1::signing_only();
    ctx.seeded_randomize(&[7u8; 32]);
    let signer = OrderSigner::new(key.clone(), Chain::Polygon);
    let domains = ExchangeDomains::new(Chain::Polygon);
    let account = Account {
        maker: key.address(),
        signature_type: SignatureType::Eoa,
        version: OrderVersion::V2,
    };
    let info = TokenOrderInfo::from_window(TOKEN_ID, 100, false, 5_000_000).expect("token");
    let creds = Credentials::new(
        "00000000-0000-0000-0000-000000000000".into(),
        "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==".into(),
        "passphrase".into(),
    )
    .expect("creds");
    let l2 = L2Signer::new(&creds).expect("l2");
    let hmac = |body: &[u8]| {
        let mut sig = [0u8; HMAC_SIGNATURE_LEN];
        std::hint::black_box(l2.sign_into(1_800_000_000, "POST", "/order", Some(body), &mut sig));
    };
    let mut salts = SaltSource::new(1_800_000_000_000, 3);
    let mut scratch = Vec::with_capacity(4096);
    let (price_e4, size_e6) = (5200u32, 9_610_000u64);

    // The product's fallback: amounts, EIP-712 digest, ethers/k256 signature, body.
    let build_ethers = |salt: u64, scratch: &mut Vec<u8>| {
        build_buy(
            &signer,
            &account,
            "k",
            &info,
            TokenId(1),
            price_e4,
            size_e6,
            OrderType::Fak,
            salt,
            1_800_000_000_000,
            scratch,
        )
        .expect("build")
    };
    // The same steps with libsecp256k1 doing the ECDSA.
    let order_of = |salt: u64| {
        let amounts = limit_order_amounts(
            ClobSide::Buy,
            u64::from(price_e4) * 100,
            size_e6,
            MarketRules {
                tick: info.tick,
                min_size_u6: info.min_size_u6,
            },
        )
        .expect("amounts");
        OrderV2 {
            salt,
            maker: account.maker,
            signer: account.maker,
            token_id: info.token_id,
            maker_amount_u6: amounts.maker_amount_u6,
            taker_amount_u6: amounts.taker_amount_u6,
            side: ClobSide::Buy,
            signature_type: SignatureType::Eoa,
            timestamp_ms: 1_800_000_000_000,
            metadata: Bytes32([0; 32]),
            builder: Bytes32([0; 32]),
            expiration_s: 0,
        }
    };
    let exchange = Exchange::select(account.version, info.neg_risk);
    let build_secp = |salt: u64, scratch: &mut Vec<u8>, sign: &dyn Fn([u8; 32]) -> [u8; 65]| {
        let order = order_of(salt);
        let sig = sign(domains.order_digest(exchange, &order));
        let signature = OrderSignature::from_slice(&sig).expect("65 bytes");
        scratch.clear();
        write_post_order_body(
            scratch,
            &SignedOrder { order, signature },
            "k",
            PostOptions::new(ClobOrderType::Fak),
        )
        .expect("body");
        let mut body = [0u8; BODY_MAX];
        body[..scratch.len()].copy_from_slice(scratch);
        body
    };
    // Both builds give the same bytes for the same salt (RFC 6979 signatures are equal).
    let a = build_ethers(42, &mut scratch);
    let secp = |d: [u8; 32]| sign_secp(&sk, d);
    let secp_ffi = |d: [u8; 32]| sign_secp_ffi(&ctx, &key_bytes, &d);
    for sign in [&secp as &dyn Fn([u8; 32]) -> [u8; 65], &secp_ffi] {
        let b = build_secp(42, &mut scratch, sign);
        assert_eq!(
            a.bytes(),
            &b[..a.bytes().len()],
            "libsecp256k1 body differs"
        );
    }

    let mut ladder = OrderLadder::default();
    let mut presigned = hist();
    for _ in 0..n {
        // Refill off the clock (the control side's job).
        ladder.insert(build_ethers(salts.next_salt(), &mut scratch));
        let t = Instant::now();
        let b = ladder
            .take(TokenId(1), price_e4, size_e6)
            .expect("presigned");
        hmac(b.bytes());
        presigned.saturating_record(t.elapsed().as_nanos() as u64);
    }
    // The on-the-spot paths and the bare signatures, one call of each in turn; each has its
    // own scratch and salts.
    let (mut salts_a, mut salts_b, mut salts_c) = (
        SaltSource::new(1_800_000_000_000, 4),
        SaltSource::new(1_800_000_000_000, 5),
        SaltSource::new(1_800_000_000_000, 6),
    );
    let (mut scratch_a, mut scratch_b, mut scratch_c) =
        (scratch.clone(), scratch.clone(), scratch.clone());
    let order = order_of(7);
    let mut h = interleaved(
        1,
        n,
        &mut [
            &mut || {
                let b = build_ethers(salts_a.next_salt(), &mut scratch_a);
                hmac(b.bytes());
            },
            &mut || {
                std::hint::black_box(build_secp(salts_b.next_salt(), &mut scratch_b, &secp));
                hmac(&scratch_b);
            },
            &mut || {
                std::hint::black_box(build_secp(salts_c.next_salt(), &mut scratch_c, &secp_ffi));
                hmac(&scratch_c);
            },
            &mut || {
                let sig = signer.sign_order(exchange, std::hint::black_box(&order));
                std::hint::black_box(sig).ok();
            },
            &mut || {
                let digest = domains.order_digest(exchange, std::hint::black_box(&order));
                std::hint::black_box(sign_secp(&sk, digest));
            },
            &mut || {
                let digest = domains.order_digest(exchange, std::hint::black_box(&order));
                std::hint::black_box(sign_secp_ffi(&ctx, &key_bytes, &digest));
            },
        ],
    )
    .into_iter();
    let mut next = || h.next().expect("six histograms");
    let (ethers_build, secp_build, secp_ffi_build) = (next(), next(), next());
    let (ethers_sign, secp_sign, secp_ffi_sign) = (next(), next(), next());
    SignRows {
        presigned,
        ethers_build,
        secp_build,
        secp_ffi_build,
        ethers_sign,
        secp_sign,
        secp_ffi_sign,
    }
}

fn sh(cmd: &str) -> String {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Cores, CPU model, kernel and date, for the report's header.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cores} cores, {cpu}, kernel {}, {}",
        sh("uname -r"),
        sh("date -u +%Y-%m-%dT%H:%MZ")
    )
}

fn main() {
    let rtrb = ping_pong(
        || rtrb::RingBuffer::<u64>::new(1024),
        |p, v| while p.push(v).is_err() {},
        |c| c.pop().ok(),
    );
    let xbeam = ping_pong(
        || crossbeam::channel::bounded::<u64>(1024),
        |s, v| s.send(v).expect("open"),
        |r| r.try_recv().ok(),
    );
    let std_mpsc = ping_pong(
        || std::sync::mpsc::sync_channel::<u64>(1024),
        |s, v| s.send(v).expect("open"),
        |r| r.try_recv().ok(),
    );

    let assets = AssetTable::from_names(&["BTC", "ETH"]).expect("assets");
    let binance = bench_binance(&assets);
    let poly = bench_polymarket();
    let signing = bench_signing(3_000);

    let mut md = String::new();
    let _ = writeln!(md, "# Component baselines\n");
    let _ = writeln!(
        md,
        "Generated by `cargo bench --bench components` (bench/components.rs) on {}. Shared \
         machine: read ratios measured in this run, not absolutes.\n",
        machine()
    );
    let _ = writeln!(
        md,
        "## Ring hop between two threads ({ROUND_TRIPS} round trips, busy-polling both ends)\n"
    );
    let _ = writeln!(
        md,
        "| ring | RTT p50 ns | RTT p99 ns | RTT p99.9 ns | ratio to rtrb (p50) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    let base = pct(&rtrb).0.max(1) as f64;
    for (name, h) in [
        ("rtrb (product)", &rtrb),
        ("crossbeam bounded", &xbeam),
        ("std sync_channel", &std_mpsc),
    ] {
        let (p50, p99, p999) = pct(h);
        let _ = writeln!(
            md,
            "| {name} | {p50} | {p99} | {p999} | {:.2}× |",
            p50 as f64 / base
        );
    }

    let _ = writeln!(
        md,
        "\n## Binance frame parse to a `SpotTick` (ns per frame, batches of 1000)\n\n\
         Every parser does the same work: decode, symbol lookup, decimals to 1e-8 integers \
         (and the mid for bookTicker); all four are checked to give the same tick first. The \
         product is the byte scanner (`src/feeds/binance/scan.rs`), which falls back to the \
         simd-json path for any other layout; the simd-json row is that fallback alone. \
         serde_json and sonic-rs decode into borrowed structs.\n"
    );
    for r in &binance {
        let _ = writeln!(md, "### {}\n", r.frame);
        table(
            &mut md,
            "parser",
            &[
                ("scanner (product)", &r.scanner),
                ("simd-json tape, reused (fallback)", &r.simd),
                ("serde_json, borrowed", &r.serde),
                ("sonic-rs, borrowed", &r.sonic),
            ],
        );
        let _ = writeln!(md);
    }

    let _ = writeln!(
        md,
        "## Polymarket market-channel frames (ns per frame, batches of 1000)\n\n\
         The general parsers decode every field the product reads and parse its decimals \
         (checked to agree first); serde_json and sonic-rs allocate a `Vec` per level array. \
         The product row is `PolyParser::parse` (simd-json) including applying the frame to \
         the book (the same frame each time: a snapshot is rebuilt, a level is re-set), for \
         reference; the ratio column compares everything with the simd-json decode row.\n"
    );
    for r in &poly {
        let _ = writeln!(md, "### {} ({} B)\n", r.frame, r.bytes);
        table(
            &mut md,
            "parser",
            &[
                ("simd-json tape, reused (product's decoder)", &r.simd),
                ("serde_json, borrowed", &r.serde),
                ("sonic-rs, borrowed", &r.sonic),
                ("product: PolyParser::parse + book", &r.product),
            ],
        );
        let _ = writeln!(md);
    }

    let _ = writeln!(
        md,
        "## Order signing (ns per order, 3000 orders of each path taken in turn, one clock read each)\n\n\
         The full paths end with the `POLY_SIGNATURE` HMAC over the body. The product picks a \
         presigned body from the ladder; without one it builds and signs on the spot with \
         ethers/k256 (`build_buy`). The libsecp256k1 rows sign the same EIP-712 digest with the \
         `secp256k1` crate: its signatures are byte-equal to ethers' (RFC 6979), checked here \
         and in `tests/clob_secp256k1.rs`. Since 0.33 the crate's signing call rerandomizes \
         its global context on every signature (side-channel defence in depth, about one \
         more point multiplication); the C-API rows call the same library with a context \
         randomized once, as earlier versions of the crate did.\n"
    );
    table(
        &mut md,
        "path",
        &[
            ("presigned pick + HMAC (product)", &signing.presigned),
            (
                "build + sign ethers/k256 + HMAC (product fallback)",
                &signing.ethers_build,
            ),
            (
                "build + sign libsecp256k1 (secp256k1 0.33 API) + HMAC",
                &signing.secp_build,
            ),
            (
                "build + sign libsecp256k1 (C API, context randomized once) + HMAC",
                &signing.secp_ffi_build,
            ),
        ],
    );
    let _ = writeln!(md);
    table(
        &mut md,
        "signature only (digest + ECDSA)",
        &[
            (
                "ethers/k256 (`OrderSigner::sign_order`)",
                &signing.ethers_sign,
            ),
            (
                "libsecp256k1, secp256k1 0.33 API (rerandomizes per signature)",
                &signing.secp_sign,
            ),
            (
                "libsecp256k1, C API, context randomized once",
                &signing.secp_ffi_sign,
            ),
        ],
    );
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/perf/COMPONENTS.md");
    std::fs::write(out, &md).expect("write report");
    println!("{md}\nwritten to {out}");
}
