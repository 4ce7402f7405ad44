//! PolyBolt frames (`docs/venue/polymarket.md` §10.4) → `ChainlinkFrame` and oracle points.
//!
//! Fixtures are the real frames in `tests/data/venue/polybolt/` (Polymarket ts-sdk staging
//! capture, provenance in its README): string error codes, the snapshot payload as an object
//! `{"symbol","data":[…]}`, decimal-string `full_accuracy_value`. Hand-written variations below are
//! cut from those shapes and say what they change.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cassandra::feeds::chainlink::{
    ChainlinkBatch, ChainlinkFrame, ChainlinkParseError, ChainlinkParser, PriceChannel, RefusalCode,
};
use cassandra::pipeline::events::{AssetId, OraclePrice};
use cassandra::pipeline::registry::AssetTable;

const BAD_OP: &[u8] = include_bytes!("data/venue/polybolt/error_bad_op.json");
const BAD_FILTER: &[u8] = include_bytes!("data/venue/polybolt/error_bad_filter.json");
const SUBSCRIBED: &[u8] = include_bytes!("data/venue/polybolt/subscribed_price_crypto.json");
const PONG: &[u8] = include_bytes!("data/venue/polybolt/pong.json");
const SNAPSHOT: &[u8] = include_bytes!("data/venue/polybolt/price_crypto_snapshot_btcusd.json");
const TWAP_SNAPSHOT: &[u8] =
    include_bytes!("data/venue/polybolt/price_crypto_twap_snapshot_btcusd_60s.json");
const UPDATE: &[u8] = include_bytes!("data/venue/polybolt/price_crypto_update_btcusd.json");
const TWAP_UPDATE: &[u8] =
    include_bytes!("data/venue/polybolt/price_crypto_twap_update_btcusd_60s.json");
const EQUITY: &[u8] = include_bytes!("data/venue/polybolt/price_equity_update_aapl.json");

const ALL_FIXTURES: &[(&str, &[u8])] = &[
    ("error_bad_op", BAD_OP),
    ("error_bad_filter", BAD_FILTER),
    ("subscribed", SUBSCRIBED),
    ("pong", PONG),
    ("snapshot", SNAPSHOT),
    ("twap_snapshot", TWAP_SNAPSHOT),
    ("update", UPDATE),
    ("twap_update", TWAP_UPDATE),
    ("equity", EQUITY),
];

const SPOT: ChainlinkFrame = ChainlinkFrame::Prices {
    channel: PriceChannel::Spot,
    snapshot: false,
};

const BTC: AssetId = AssetId(0);
const ETH: AssetId = AssetId(1);

struct Harness {
    parser: ChainlinkParser,
    assets: AssetTable,
    batch: Box<ChainlinkBatch>,
}

impl Harness {
    fn new() -> Self {
        Harness {
            parser: ChainlinkParser::default(),
            assets: AssetTable::from_names(&["BTC", "ETH"]).unwrap(),
            batch: Box::default(),
        }
    }

    /// Parse a fresh copy (the parser rewrites its input).
    fn parse(&mut self, frame: &[u8]) -> Result<ChainlinkFrame, ChainlinkParseError> {
        let mut buf = frame.to_vec();
        self.parser.parse(&mut buf, &self.assets, &mut self.batch)
    }

    fn parse_str(&mut self, frame: &str) -> Result<ChainlinkFrame, ChainlinkParseError> {
        self.parse(frame.as_bytes())
    }

    fn points(&self) -> Vec<(AssetId, i64, u64)> {
        self.batch
            .points()
            .iter()
            .map(|p| (p.asset, p.price_e8, p.venue_ts_ms))
            .collect()
    }
}

fn update(payload: &str) -> String {
    format!(r#"{{"v":1,"channel":"price.crypto","seq":9,"ts":1757908892300,"payload":{payload}}}"#)
}

#[test]
fn authed_reply_is_authed() {
    // Not in the staging capture (shadow auth); shape from Polymarket's PolyBolt docs.
    let mut h = Harness::new();
    assert_eq!(
        h.parse_str(r#"{"op":"authed","rid":"a1"}"#),
        Ok(ChainlinkFrame::Authed)
    );
}

#[test]
fn string_error_codes_are_refusals_the_caller_must_surface() {
    let mut h = Harness::new();
    assert_eq!(
        h.parse(BAD_OP),
        Ok(ChainlinkFrame::Refused(RefusalCode::BadOp))
    );
    assert_eq!(
        h.parse(BAD_FILTER),
        Ok(ChainlinkFrame::Refused(RefusalCode::BadFilter))
    );
    // The documented auth codes, in the captured error shape.
    for (code, want) in [
        ("auth_required", RefusalCode::AuthRequired),
        ("auth_invalid", RefusalCode::AuthInvalid),
        ("auth_unavailable", RefusalCode::AuthUnavailable),
    ] {
        let f = format!(r#"{{"op":"error","rid":"a1","code":"{code}"}}"#);
        assert_eq!(h.parse_str(&f), Ok(ChainlinkFrame::AuthFailed(want)), "{f}");
        assert_eq!(want.as_str(), code);
    }
    // An unknown code is still a refusal, never ignored.
    assert_eq!(
        h.parse_str(r#"{"op":"error","code":"rate_limited"}"#),
        Ok(ChainlinkFrame::Refused(RefusalCode::Other))
    );
}

#[test]
fn acks_pongs_and_other_channels_are_ignored() {
    let mut h = Harness::new();
    assert_eq!(h.parse(SUBSCRIBED), Ok(ChainlinkFrame::Ignored));
    assert_eq!(h.parse(PONG), Ok(ChainlinkFrame::Ignored));
    assert_eq!(h.parse(EQUITY), Ok(ChainlinkFrame::Ignored));
    assert!(h.batch.points().is_empty());
    assert_eq!(h.parse_str("{}"), Ok(ChainlinkFrame::Ignored));
}

#[test]
fn snapshot_object_gives_two_minutes_of_points_in_order() {
    let mut h = Harness::new();
    assert_eq!(
        h.parse(SNAPSHOT),
        Ok(ChainlinkFrame::Prices {
            channel: PriceChannel::Spot,
            snapshot: true
        })
    );
    let pts = h.points();
    assert_eq!(pts.len(), 120);
    assert_eq!(pts[0], (BTC, 7_880_376_173_179, 1_788_886_057_000));
    assert_eq!(pts[119], (BTC, 7_879_501_552_451, 1_788_886_176_000));
    assert!(pts.windows(2).all(|w| w[0].2 < w[1].2));
    assert!(h
        .batch
        .points()
        .iter()
        .all(|p| p.stamps == Default::default()));
}

#[test]
fn twap_snapshot_and_update_round_the_long_decimal_exactly() {
    let mut h = Harness::new();
    assert_eq!(
        h.parse(TWAP_SNAPSHOT),
        Ok(ChainlinkFrame::Prices {
            channel: PriceChannel::Twap60,
            snapshot: true
        })
    );
    let pts = h.points();
    assert_eq!(pts.len(), 111);
    // "78788.525642908795142144" → 78788.52564291 (half-up at the 9th decimal, 8 ≥ 5).
    assert_eq!(pts[0], (BTC, 7_878_852_564_291, 1_788_886_057_000));
    assert_eq!(
        h.parse(TWAP_UPDATE),
        Ok(ChainlinkFrame::Prices {
            channel: PriceChannel::Twap60,
            snapshot: false
        })
    );
    // "78803.715261094101516288" → 78803.71526109 (9th decimal 4: down).
    assert_eq!(
        h.points(),
        vec![(BTC, 7_880_371_526_109, 1_788_886_177_000)]
    );
}

#[test]
fn full_accuracy_value_gives_the_exact_price() {
    let mut h = Harness::new();
    assert_eq!(h.parse(UPDATE), Ok(SPOT));
    assert_eq!(
        h.batch.points(),
        &[OraclePrice {
            asset: BTC,
            price_e8: 7_879_415_450_441,
            venue_ts_ms: 1_788_886_177_000,
            stamps: Default::default(),
        }]
    );
    // The decimal string wins over the float when they differ (a float cannot hold it).
    let f = update(
        r#"{"full_accuracy_value":"78794.15450449","symbol":"btcusd","timestamp":9,"value":1.5}"#,
    );
    assert_eq!(h.parse_str(&f), Ok(SPOT));
    assert_eq!(h.points(), vec![(BTC, 7_879_415_450_449, 9)]);
}

#[test]
fn float_value_alone_is_used() {
    // The captured update without its `full_accuracy_value`.
    let mut h = Harness::new();
    let f = update(r#"{"symbol":"ethusd","timestamp":1788886177000,"value":2497.38586148}"#);
    assert_eq!(h.parse_str(&f), Ok(SPOT));
    assert_eq!(h.points(), vec![(ETH, 249_738_586_148, 1_788_886_177_000)]);
}

#[test]
fn whole_number_float_value_is_a_price() {
    // JSON writers print a whole f64 without a fraction (97000.0 → `97000`); it is still a price.
    let mut h = Harness::new();
    let f = update(r#"{"symbol":"btcusd","value":97000,"timestamp":7,"source":"chainlink"}"#);
    let r = h.parse_str(&f);
    assert_eq!(r, Ok(SPOT), "{f}");
    assert_eq!(h.points(), vec![(BTC, 9_700_000_000_000, 7)]);
}

#[test]
fn unfollowed_symbol_update_has_no_points() {
    let mut h = Harness::new();
    let f = update(r#"{"symbol":"solusd","value":150.0,"timestamp":1,"source":"chainlink"}"#);
    assert_eq!(h.parse_str(&f), Ok(SPOT));
    assert!(h.batch.points().is_empty());
}

#[test]
fn zero_or_negative_prices_are_refused() {
    let mut h = Harness::new();
    for payload in [
        r#"{"symbol":"btcusd","value":0.0,"timestamp":1,"source":"chainlink"}"#,
        r#"{"symbol":"btcusd","value":-5.5,"timestamp":1,"source":"chainlink"}"#,
        r#"{"symbol":"btcusd","value":-5.5,"full_accuracy_value":"-5.5","timestamp":1}"#,
        r#"{"symbol":"btcusd","value":0.0,"full_accuracy_value":"0.000000000","timestamp":1}"#,
    ] {
        let r = h.parse_str(&update(payload));
        assert_eq!(
            r,
            Err(ChainlinkParseError::Field("value")),
            "{payload} gave {:?}",
            h.points()
        );
    }
}

#[test]
fn missing_or_mistyped_fields_are_errors() {
    use ChainlinkParseError::Field;
    let mut h = Harness::new();
    let cases = [
        (r#"{"value":1.0,"timestamp":1}"#, Field("symbol")),
        (r#"{"symbol":"btcusd","timestamp":1}"#, Field("value")),
        (
            r#"{"symbol":"btcusd","value":"1.0","timestamp":1}"#,
            Field("value"),
        ),
        (r#"{"symbol":"btcusd","value":1.0}"#, Field("timestamp")),
        (
            r#"{"symbol":"btcusd","value":1.0,"timestamp":"1"}"#,
            Field("timestamp"),
        ),
    ];
    for (payload, want) in cases {
        assert_eq!(h.parse_str(&update(payload)), Err(want), "{payload}");
    }
    let no_payload = r#"{"v":1,"channel":"price.crypto","seq":1,"ts":1}"#;
    assert_eq!(h.parse_str(no_payload), Err(Field("payload")));
}

#[test]
fn malformed_frames_are_errors() {
    let mut h = Harness::new();
    for c in [
        &b""[..],
        b"not json",
        b"{",
        b"{\"op\":",
        b"\xff\xfe",
        b"PING",
    ] {
        assert_eq!(
            h.parse(c),
            Err(ChainlinkParseError::Malformed),
            "{:?}",
            String::from_utf8_lossy(c)
        );
    }
}

#[test]
fn every_truncation_is_refused_without_panic() {
    let mut h = Harness::new();
    for (name, fixture) in ALL_FIXTURES {
        // The files end in a newline; a cut that only drops it is the whole frame.
        let fixture = fixture.trim_ascii_end();
        for cut in 0..fixture.len() {
            let r = catch_unwind(AssertUnwindSafe(|| h.parse(&fixture[..cut])))
                .unwrap_or_else(|_| panic!("{name}: panic when cut at byte {cut}"));
            assert!(
                matches!(
                    r,
                    Err(_) | Ok(ChainlinkFrame::Ignored) | Ok(ChainlinkFrame::Refused(_))
                ),
                "{name} cut at {cut}: {:?} → {r:?}",
                String::from_utf8_lossy(&fixture[..cut])
            );
            assert!(h.batch.points().is_empty(), "{name} cut at {cut}");
        }
        assert!(h.parse(fixture).is_ok(), "{name} whole");
    }
}
