//! Every real frame under `tests/data/venue/` through the product's own parsers, checking the
//! values it became. Provenance of each file is in the README beside it; where a file is a
//! documentation example rather than a capture, its name ends in `_docs` and so does the check.

use cassandra::control::discovery::{
    parse_event_metadata, parse_gamma_market, MarketVersion, Settlement,
};
use cassandra::control::whales::wire::parse_trades;
use cassandra::feeds::binance::{BinanceFrame, BinanceParseError, BinanceParser};
use cassandra::feeds::chainlink::{
    ChainlinkBatch, ChainlinkFrame, ChainlinkParser, PriceChannel, RefusalCode,
};
use cassandra::feeds::polymarket::{PolyBatch, PolyBooks, PolyFrame, PolyParser};
use cassandra::pipeline::control::{FeeParams, TokenKey};
use cassandra::pipeline::events::{AssetId, BookTop, Side, SpotKind, TokenId};
use cassandra::pipeline::registry::AssetTable;
use serde_json::{json, Value};

macro_rules! venue {
    ($path:literal) => {
        include_bytes!(concat!("data/venue/", $path)).as_slice()
    };
}

// ---------------------------------------------------------------- Binance (docs examples)

fn binance(frame: &[u8], names: &[&str]) -> Result<BinanceFrame, BinanceParseError> {
    let mut buf = frame.to_vec();
    BinanceParser::default().parse(&mut buf, &AssetTable::from_names(names).unwrap())
}

/// The docs quote BNB against BTC; the product follows USDT pairs. The symbol is renamed (and
/// only it) so the values can be checked; the frame as written is refused as not followed.
fn as_usdt(frame: &[u8]) -> Vec<u8> {
    String::from_utf8(frame.to_vec())
        .unwrap()
        .replace("\"BNBBTC\"", "\"BNBUSDT\"")
        .into_bytes()
}

/// The documented combined-stream envelope around a raw example.
fn combined(stream: &str, raw: &[u8]) -> Vec<u8> {
    let raw = std::str::from_utf8(raw).unwrap().trim();
    format!(r#"{{"stream":"{stream}","data":{raw}}}"#).into_bytes()
}

#[test]
fn binance_trade_docs() {
    let raw = venue!("binance/trade_raw_docs.json");
    assert_eq!(
        binance(raw, &["BNB"]),
        Err(BinanceParseError::UnknownSymbol)
    );
    for frame in [as_usdt(raw), combined("bnbusdt@trade", &as_usdt(raw))] {
        let Ok(BinanceFrame::Tick(t)) = binance(&frame, &["BTC", "BNB"]) else {
            panic!("{:?}", binance(&frame, &["BTC", "BNB"]));
        };
        assert_eq!(
            (t.asset, t.kind, t.price_e8, t.qty_e8, t.venue_ts_ms, t.seq),
            (
                AssetId(1),
                SpotKind::Trade,
                100_000,
                10_000_000_000,
                1_672_515_782_136,
                12345
            )
        );
    }
}

#[test]
fn binance_agg_trade_docs() {
    // The product trades on `@trade`; an `aggTrade` is deliberately ignored (counted by the
    // caller), never read as a trade, raw or wrapped.
    let raw = as_usdt(venue!("binance/agg_trade_raw_docs.json"));
    for frame in [raw.clone(), combined("bnbusdt@aggTrade", &raw)] {
        assert_eq!(binance(&frame, &["BNB"]), Ok(BinanceFrame::Ignored));
    }
}

#[test]
fn binance_book_ticker_docs() {
    let raw = venue!("binance/book_ticker_raw_docs.json");
    for frame in [raw.to_vec(), combined("bnbusdt@bookTicker", raw)] {
        let Ok(BinanceFrame::Tick(t)) = binance(&frame, &["BNB"]) else {
            panic!("bookTicker: {:?}", binance(&frame, &["BNB"]));
        };
        assert_eq!(t.kind, SpotKind::BookTicker);
        // Mid of 25.35190000 and 25.36520000; the smaller size (31.21 < 40.66).
        assert_eq!(t.price_e8, 2_535_855_000);
        assert_eq!(t.qty_e8, 3_121_000_000);
        assert_eq!(t.seq, 400_900_217);
    }
}

#[test]
fn binance_control_frames_docs() {
    for f in [
        venue!("binance/server_shutdown_raw_docs.json"),
        venue!("binance/server_shutdown_combined_docs.json"),
    ] {
        assert_eq!(binance(f, &["BTC"]), Ok(BinanceFrame::ServerShutdown));
    }
    assert_eq!(
        binance(venue!("binance/subscribe_reply_docs.json"), &["BTC"]),
        Ok(BinanceFrame::Ignored)
    );
}

// ---------------------------------------------------------------- Polymarket market channel

struct Market {
    parser: PolyParser,
    books: PolyBooks,
    batch: PolyBatch,
}

impl Market {
    fn with(tokens: &[&str]) -> Market {
        let mut books = PolyBooks::default();
        for (i, t) in tokens.iter().enumerate() {
            assert!(books.tokens.insert(i as u16, TokenKey::new(t).unwrap()));
        }
        Market {
            parser: PolyParser::default(),
            books,
            batch: PolyBatch::default(),
        }
    }

    fn apply(&mut self, frame: &[u8]) -> PolyFrame {
        let mut buf = frame.to_vec();
        self.parser
            .parse(&mut buf, &mut self.books, &mut self.batch)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(frame)))
    }

    /// The first 64 bits of the book hash the token's last update carried.
    fn hash64(&self, tok: usize) -> u64 {
        let mut top = BookTop::default();
        self.books.books[tok].top(TokenId(tok as u16), &mut top);
        top.venue_hash64
    }

    fn level(&self, tok: usize, bid: bool, price_e4: u32) -> Option<u64> {
        let b = &self.books.books[tok];
        let side = if bid { b.bids() } else { b.asks() };
        side.iter()
            .find(|l| l.price_e4 == price_e4)
            .map(|l| l.size_e6)
    }
}

const CAPTURED_BOOK_TOKEN: &str =
    "350977769852917329387037893294763093471844346281449484439085576212613048126";
const BURST_A: &str =
    "76670567130917723816490572615540605537878462672464291990940067659127658071111";
const BURST_B: &str =
    "54179564009642723353355316176091991063553046330768303687769988635499280029688";

#[test]
fn market_book_captured() {
    let mut m = Market::with(&[CAPTURED_BOOK_TOKEN]);
    assert_eq!(
        m.apply(venue!("polymarket/book_captured.json")),
        PolyFrame::Events
    );
    assert_eq!(m.batch.touched, 1);
    let b = &m.books.books[0];
    // Best first on both sides, whatever order the venue wrote them in.
    assert_eq!(
        (b.bids()[0].price_e4, b.bids()[0].size_e6),
        (700, 182_528_550_000)
    );
    assert_eq!(
        (b.asks()[0].price_e4, b.asks()[0].size_e6),
        (800, 228_198_280_000)
    );
    assert_eq!(b.bids().len(), 7);
    assert_eq!(b.asks().len().min(57), b.asks().len());
    assert_eq!(b.tick_e4(), 100);
    assert_eq!(b.last_ts_ms(), 1_786_604_072_222);
    // "hash":"ed47eb91f3c7985fac1cb18cb7c19535eddd3c0a": with the timestamp, the update's name.
    assert_eq!(m.hash64(0), 0xed47_eb91_f3c7_985f);
}

#[test]
fn market_price_change_captured() {
    let mut m = Market::with(&[BURST_A, BURST_B]);
    m.apply(venue!("polymarket/price_change_captured.json"));
    assert_eq!(m.batch.touched, 0b11, "one entry per token of the market");
    assert_eq!(m.level(0, true, 3010), Some(1_000_000_000));
    assert_eq!(m.level(1, false, 6990), Some(1_000_000_000));
    assert_eq!(m.books.books[0].last_ts_ms(), 1_790_658_674_035);
    // Each entry carries its own token's hash.
    assert_eq!(m.hash64(0), 0xb762_3b64_17b3_ae46);
    assert_eq!(m.hash64(1), 0xc097_8ce4_8e52_5b35);
}

#[test]
fn market_price_change_burst_and_removal_captured() {
    let mut m = Market::with(&[BURST_A, BURST_B]);
    m.apply(venue!("polymarket/price_change_burst_captured.json"));
    assert_eq!(m.level(0, true, 3010), Some(1_000_000_000));
    assert_eq!(m.level(0, true, 3110), Some(2_000_000_000));
    assert_eq!(m.level(1, false, 6890), Some(2_000_000_000));
    // Set the levels the removal frame names, then apply it: size "0" removes them.
    let mut m = Market::with(&[BURST_A, BURST_B]);
    m.apply(
        br#"{"market":"0x285746de0e4f751fd4dc8f9dc2cecd0101ba9ad0096a43145ed9643b09514f01","price_changes":[{"asset_id":"76670567130917723816490572615540605537878462672464291990940067659127658071111","price":"0.399","size":"300","side":"SELL"},{"asset_id":"54179564009642723353355316176091991063553046330768303687769988635499280029688","price":"0.601","size":"300","side":"BUY"}],"timestamp":"1790658692000","event_type":"price_change"}"#,
    );
    assert_eq!(m.level(0, false, 3990), Some(300_000_000));
    m.apply(venue!("polymarket/price_change_remove_level_captured.json"));
    assert_eq!(m.level(0, false, 3990), None);
    assert_eq!(m.level(1, true, 6010), None);
}

#[test]
fn market_price_change_entry_without_size() {
    // No capture has one; the docs mark `size` optional. The captured frame with the first
    // entry's `size` cut out: that entry changes no level and is counted, the second applies.
    let mut m = Market::with(&[BURST_A, BURST_B]);
    let frame = String::from_utf8(venue!("polymarket/price_change_captured.json").to_vec())
        .unwrap()
        .replacen(r#""size":"1000","#, "", 1);
    assert!(frame.matches(r#""size""#).count() == 1, "{frame}");
    m.apply(frame.as_bytes());
    assert_eq!(m.batch.unsized_changes, 1);
    assert_eq!(m.level(0, true, 3010), None);
    assert_eq!(m.level(1, false, 6990), Some(1_000_000_000));
}

#[test]
fn market_price_change_docs() {
    let mut m = Market::with(&[
        "71321045679252212594626385532706912750332728571942532289631379312455583992563",
    ]);
    m.apply(venue!("polymarket/price_change_docs.json"));
    assert_eq!(m.level(0, true, 5000), Some(200_000_000));
}

#[test]
fn market_last_trade_price_docs() {
    let mut m = Market::with(&[
        "114122071509644379678018727908709560226618148003371446110114509806601493071694",
    ]);
    m.apply(venue!("polymarket/last_trade_price_docs.json"));
    assert_eq!(m.batch.n_trades, 1);
    let t = m.batch.trades[0];
    assert_eq!(
        (t.token, t.side, t.price_e4, t.size_e6, t.venue_ts_ms),
        (TokenId(0), Side::Buy, 4560, 219_217_767, 1_750_428_146_322)
    );
}

#[test]
fn market_tick_size_change_nautilus() {
    let mut m = Market::with(&[
        "71321045679252212594626385532706912750332728571942532289631379312455583992563",
    ]);
    // A book first, so the token has an update's name to lose.
    m.apply(
        br#"{"event_type":"book","asset_id":"71321045679252212594626385532706912750332728571942532289631379312455583992563","market":"0x00","bids":[{"price":"0.40","size":"10"}],"asks":[{"price":"0.60","size":"10"}],"timestamp":"1","hash":"ed47eb91f3c7985fac1cb18cb7c19535eddd3c0a"}"#,
    );
    assert_ne!(m.hash64(0), 0);
    m.apply(venue!("polymarket/tick_size_change_nautilus.json"));
    assert_eq!(m.books.books[0].tick_e4(), 100);
    // The tick change carries no hash: what it triggers goes untagged, not named after the book.
    assert_eq!(m.hash64(0), 0);
}

#[test]
fn market_events_not_applied_are_counted_docs() {
    let mut m = Market::with(&[
        "85354956062430465315924116860125388538595433819574542752031640332592237464430",
    ]);
    for f in [
        venue!("polymarket/best_bid_ask_docs.json"),
        venue!("polymarket/new_market_docs.json"),
        venue!("polymarket/resolved_docs.json"),
    ] {
        assert_eq!(m.apply(f), PolyFrame::Events);
        assert_eq!(
            (m.batch.ignored, m.batch.unknown, m.batch.touched),
            (1, 0, 0)
        );
    }
    m.apply(br#"{"event_type":"brand_new_event","market":"0x1"}"#);
    assert_eq!((m.batch.ignored, m.batch.unknown), (0, 1));
}

// ---------------------------------------------------------------- PolyBolt (staging capture)

fn polybolt(frame: &[u8]) -> (ChainlinkFrame, Vec<(AssetId, i64, u64)>) {
    let assets = AssetTable::from_names(&["BTC", "ETH"]).unwrap();
    let mut batch = Box::<ChainlinkBatch>::default();
    let mut buf = frame.to_vec();
    let r = ChainlinkParser::default()
        .parse(&mut buf, &assets, &mut batch)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(frame)));
    let pts = batch
        .points()
        .iter()
        .map(|p| (p.asset, p.price_e8, p.venue_ts_ms))
        .collect();
    (r, pts)
}

#[test]
fn polybolt_acks_and_refusals() {
    use ChainlinkFrame::*;
    assert_eq!(
        polybolt(venue!("polybolt/error_bad_op.json")).0,
        Refused(RefusalCode::BadOp)
    );
    assert_eq!(
        polybolt(venue!("polybolt/error_bad_filter.json")).0,
        Refused(RefusalCode::BadFilter)
    );
    for f in [
        venue!("polybolt/pong.json"),
        venue!("polybolt/subscribed_price_crypto.json"),
        venue!("polybolt/subscribed_price_crypto_twap.json"),
        venue!("polybolt/price_equity_update_aapl.json"),
        venue!("polybolt/price_polymarket_snapshot_empty.json"),
    ] {
        assert_eq!(
            polybolt(f),
            (Ignored, vec![]),
            "{}",
            String::from_utf8_lossy(f)
        );
    }
}

#[test]
fn polybolt_snapshots() {
    let (r, pts) = polybolt(venue!("polybolt/price_crypto_snapshot_btcusd.json"));
    assert_eq!(
        r,
        ChainlinkFrame::Prices {
            channel: PriceChannel::Spot,
            snapshot: true
        }
    );
    assert_eq!(pts.len(), 120);
    assert_eq!(
        pts[27],
        (AssetId(0), 7_880_845_000_000, 1_788_886_084_000),
        "78808.45"
    );
    let (r, pts) = polybolt(venue!(
        "polybolt/price_crypto_twap_snapshot_btcusd_60s.json"
    ));
    assert_eq!(
        r,
        ChainlinkFrame::Prices {
            channel: PriceChannel::Twap60,
            snapshot: true
        }
    );
    assert_eq!(pts.len(), 111);
    assert_eq!(pts[110], (AssetId(0), 7_880_445_997_747, 1_788_886_175_000));
    for f in [
        venue!("polybolt/price_crypto_snapshot_empty_btcusdt.json"),
        venue!("polybolt/price_crypto_twap_snapshot_empty_30s.json"),
    ] {
        let (r, pts) = polybolt(f);
        assert!(matches!(r, ChainlinkFrame::Prices { snapshot: true, .. }));
        assert!(pts.is_empty());
    }
}

#[test]
fn polybolt_updates() {
    let spot = ChainlinkFrame::Prices {
        channel: PriceChannel::Spot,
        snapshot: false,
    };
    assert_eq!(
        polybolt(venue!("polybolt/price_crypto_update_btcusd.json")),
        (
            spot,
            vec![(AssetId(0), 7_879_415_450_441, 1_788_886_177_000)]
        )
    );
    assert_eq!(
        polybolt(venue!("polybolt/price_crypto_update_ethusd.json")),
        (spot, vec![(AssetId(1), 249_738_586_148, 1_788_886_177_000)])
    );
    assert_eq!(
        polybolt(venue!("polybolt/price_crypto_twap_update_btcusd_60s.json")),
        (
            ChainlinkFrame::Prices {
                channel: PriceChannel::Twap60,
                snapshot: false
            },
            vec![(AssetId(0), 7_880_371_526_109, 1_788_886_177_000)]
        )
    );
}

// ---------------------------------------------------------------- Gamma

#[test]
fn gamma_market_5m_twap_captured() {
    let v: Value = serde_json::from_slice(venue!("gamma/market_btc_updown_5m_twap.json")).unwrap();
    let g = parse_gamma_market(&v).unwrap();
    assert_eq!(
        g.condition_id,
        "0x2eea28aa905ace2f5cace17ea2b9e0e7b85a27f32ee14ed292f02fa104956bc4"
    );
    assert_eq!(
        g.up_token,
        "113013382422133157315656090194075928009220145127085300671933810669470922115281"
    );
    assert_eq!(
        g.down_token,
        "38034349155375505476764349018583065542443879908961992019053731521216367745079"
    );
    assert_eq!(
        (g.tick, g.min_size, g.neg_risk),
        (Some(0.01), Some(5.0), false)
    );
    assert_eq!(
        g.rules.settlement,
        Settlement::ChainlinkTwap { lookback_s: 60 }
    );
    assert_eq!(
        g.rules.resolution_source,
        "https://data.chain.link/streams/btc-usd-twap-60s-streams"
    );
    assert_eq!(g.rules.version, MarketVersion::V1);
    assert_eq!(
        g.rules.fee_schedule,
        Some(FeeParams {
            rate: 0.07,
            exponent: 1.0,
            taker_only: true
        })
    );
    // The same market without cryptoMarketConfig: the resolution source alone says TWAP-60.
    let mut bare = v.clone();
    bare.as_object_mut().unwrap().remove("cryptoMarketConfig");
    assert_eq!(
        parse_gamma_market(&bare).unwrap().rules.settlement,
        Settlement::ChainlinkTwap { lookback_s: 60 }
    );
    // An hourly/daily-style record naming a Binance pair (no capture: the resolution source as
    // those markets' rules text names it) is read as settling on Binance candles.
    let mut binance = bare.clone();
    binance["resolutionSource"] = json!("https://www.binance.com/en/trade/BTC_USDT");
    assert_eq!(
        parse_gamma_market(&binance).unwrap().rules.settlement,
        Settlement::BinanceCandle
    );
}

#[test]
fn gamma_market_states_that_cannot_trade_are_refused() {
    let v: Value = serde_json::from_slice(venue!("gamma/market_btc_updown_5m_twap.json")).unwrap();
    let with = |k: &str, x: Value| {
        let mut m = v.clone();
        m[k] = x;
        parse_gamma_market(&m)
    };
    assert_eq!(with("closed", json!(true)), Err("market is closed".into()));
    assert!(with("enableOrderBook", json!(false))
        .unwrap_err()
        .contains("order book"));
    assert!(with("acceptingOrders", json!(false))
        .unwrap_err()
        .contains("not accepting"));
    let e = with("version", json!("v3")).unwrap_err();
    assert!(e.contains("unknown market version \"v3\""), "{e}");
    assert!(with("version", json!("v2"))
        .unwrap_err()
        .contains("positionIds"));
    let mut v2 = v.clone();
    v2["version"] = json!("v2");
    v2["positionIds"] = json!(["72057594037927936", "72057594037927937"]);
    let g = parse_gamma_market(&v2).unwrap();
    assert_eq!(
        (g.rules.version, g.up_token.as_str()),
        (MarketVersion::V2, "72057594037927936")
    );
}

#[test]
fn gamma_event_metadata_shapes() {
    // No public capture of an event with eventMetadata: the shapes third-party parsers report.
    assert_eq!(
        parse_event_metadata(&json!({"priceToBeat": 77986.83150999999})),
        (Some(77986.83150999999), None)
    );
    assert_eq!(
        parse_event_metadata(
            &json!({"priceToBeat": 72151.5956398658, "finalPrice": 72304.1338669154})
        ),
        (Some(72151.5956398658), Some(72304.1338669154))
    );
    assert_eq!(
        parse_event_metadata(&json!(
            "{\"priceToBeat\":\"76994.84244708234\",\"finalPrice\":77000}"
        )),
        (Some(76994.84244708234), Some(77000.0))
    );
    assert_eq!(parse_event_metadata(&json!(null)), (None, None));
}

// ---------------------------------------------------------------- Data API

#[test]
fn data_api_v2_trades_pysdk() {
    let rows = parse_trades(venue!("data_api/v2_trades_pysdk.json")).unwrap();
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    assert_eq!(r.proxy_wallet, "0x84cfffc3f16dcc353094de30d4a45226eccd2f63");
    assert_eq!(
        r.asset,
        "100621704916396384184205224105871827982844371725320616822883322969092312254616"
    );
    assert_eq!(
        r.condition_id,
        "0xc8a2f17f42fa8493ebae503abec9d51efa7b57c3cc59a7b88933bffaa3618387"
    );
    assert_eq!(
        (r.side.as_str(), r.size, r.price, r.timestamp),
        ("BUY", 78.55, 0.62, 1_788_887_014.0)
    );
    assert_eq!((r.outcome.as_str(), r.outcome_index), ("Yes", 999.0));
    assert_eq!(
        r.transaction_hash,
        "0x8b2fd0c7480cd78bd9f57e8b935cf10c6635d2c479c66ea26d358e1425f44a95"
    );
    assert_eq!(rows[1].side, "SELL");
}

#[test]
fn data_api_v2_envelope_nautilus() {
    let rows = parse_trades(venue!("data_api/v2_trades_envelope_nautilus.json")).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!((rows[1].size, rows[1].price), (1.464786, 0.709999959));
    assert_eq!(rows[2].outcome_index, 1.0);
    assert_eq!(rows[0].event_slug, "sanitized-event");
}

#[test]
fn data_api_v2_positions_pysdk_shape() {
    // The product does not read positions; the file pins what the simulator serves.
    let v: Value = serde_json::from_slice(venue!("data_api/v2_positions_pysdk.json")).unwrap();
    let p = &v[0];
    assert_eq!(p["current_size"], 400000.0);
    assert_eq!(p["status"], "OPEN");
    assert!(p["redeemable"].is_boolean() && p["opposite_token_id"].is_string());
}

// ---------------------------------------------------------------- CLOB /clob-markets (docs)

#[test]
fn clob_market_details_docs() {
    use cassandra::control::discovery::parse_clob_market;
    let m = parse_clob_market(venue!("clob_markets/clob_market_details_docs.json")).unwrap();
    assert_eq!((m.mts, m.mos, m.nr), (Some(0.01), Some(5.0), None));
    assert_eq!(
        m.fees(),
        Some(FeeParams {
            rate: 0.02,
            exponent: 2.0,
            taker_only: true
        })
    );
    // A fee rate written as a string is not the documented number: refused, named.
    assert!(parse_clob_market(br#"{"fd":{"r":"0.02","e":2}}"#)
        .unwrap_err()
        .contains("/clob-markets"));
}
