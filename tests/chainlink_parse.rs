//! PolyBolt frames (`protocols/polymarket.md` §5, "PolyBolt") → `ChainlinkFrame` and oracle
//! points.
//!
//! Fixtures in `tests/data/chainlink_*.json`. The envelope and payload follow the documented
//! shape `{"v":1,"channel","seq","ts","snapshot"?,"payload":{symbol,value,full_accuracy_value,
//! timestamp,source}}`; the error frame's shape (`op":"error"` with a numeric `code`) is not
//! documented and follows what the parser expects, with 4001 the documented auth code.

use std::panic::{catch_unwind, AssertUnwindSafe};

use cassandra::feeds::chainlink::{
    ChainlinkBatch, ChainlinkFrame, ChainlinkParseError, ChainlinkParser,
};
use cassandra::pipeline::events::{AssetId, OraclePrice};
use cassandra::pipeline::registry::AssetTable;

const AUTHED: &[u8] = include_bytes!("data/chainlink_authed.json");
const AUTH_ERROR: &[u8] = include_bytes!("data/chainlink_auth_error.json");
const SUBSCRIBED: &[u8] = include_bytes!("data/chainlink_subscribed.json");
const SNAPSHOT: &[u8] = include_bytes!("data/chainlink_snapshot.json");
const UPDATE: &[u8] = include_bytes!("data/chainlink_update.json");
const UPDATE_FLOAT: &[u8] = include_bytes!("data/chainlink_update_float.json");

const ALL_FIXTURES: &[(&str, &[u8])] = &[
    ("chainlink_authed", AUTHED),
    ("chainlink_auth_error", AUTH_ERROR),
    ("chainlink_subscribed", SUBSCRIBED),
    ("chainlink_snapshot", SNAPSHOT),
    ("chainlink_update", UPDATE),
    ("chainlink_update_float", UPDATE_FLOAT),
];

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
    let mut h = Harness::new();
    assert_eq!(h.parse(AUTHED), Ok(ChainlinkFrame::Authed));
    assert_eq!(
        h.parse_str(r#"{"op":"authed"}"#),
        Ok(ChainlinkFrame::Authed)
    );
    assert!(h.batch.points().is_empty());
}

#[test]
fn auth_error_4001_is_auth_failed() {
    let mut h = Harness::new();
    assert_eq!(h.parse(AUTH_ERROR), Ok(ChainlinkFrame::AuthFailed));
    // Other errors are not about credentials.
    let slow = r#"{"op":"error","rid":"s1","code":4002,"message":"slow consumer"}"#;
    assert_eq!(h.parse_str(slow), Ok(ChainlinkFrame::Ignored));
}

#[test]
fn acks_and_other_channels_are_ignored() {
    let mut h = Harness::new();
    assert_eq!(h.parse(SUBSCRIBED), Ok(ChainlinkFrame::Ignored));
    let equity = update(r#"{"symbol":"btcusd","value":1.0,"timestamp":1,"source":"x"}"#)
        .replace("price.crypto", "price.equity");
    assert_eq!(h.parse_str(&equity), Ok(ChainlinkFrame::Ignored));
    assert!(h.batch.points().is_empty());
    assert_eq!(h.parse_str("{}"), Ok(ChainlinkFrame::Ignored));
}

#[test]
fn snapshot_points_come_in_order_without_unfollowed_symbols() {
    let mut h = Harness::new();
    assert_eq!(h.parse(SNAPSHOT), Ok(ChainlinkFrame::Prices));
    assert_eq!(
        h.points(),
        vec![
            (BTC, 9_700_010_000_000, 1_757_908_890_000),
            (ETH, 345_678_000_000, 1_757_908_890_500),
            (BTC, 9_700_150_000_000, 1_757_908_891_000),
        ]
    );
    assert!(h
        .batch
        .points()
        .iter()
        .all(|p| p.stamps == Default::default()));
}

#[test]
fn full_accuracy_value_gives_the_exact_price() {
    let mut h = Harness::new();
    assert_eq!(h.parse(UPDATE), Ok(ChainlinkFrame::Prices));
    // 97012.123456789012345678 truncated to 8 decimals; the float `value` would round to …679.
    assert_eq!(
        h.batch.points(),
        &[OraclePrice {
            asset: BTC,
            price_e8: 9_701_212_345_678,
            venue_ts_ms: 1_757_908_892_001,
            stamps: Default::default(),
        }]
    );
}

#[test]
fn float_value_alone_is_used() {
    let mut h = Harness::new();
    assert_eq!(h.parse(UPDATE_FLOAT), Ok(ChainlinkFrame::Prices));
    assert_eq!(h.points(), vec![(ETH, 345_678_000_000, 1_757_908_892_101)]);
    // A full_accuracy_value that is not an 18-decimal integer falls back to `value`.
    let f = update(
        r#"{"symbol":"btc/usd","value":97000.5,"full_accuracy_value":"97000.5","timestamp":5,"source":"chainlink"}"#,
    );
    assert_eq!(h.parse_str(&f), Ok(ChainlinkFrame::Prices));
    assert_eq!(h.points(), vec![(BTC, 9_700_050_000_000, 5)]);
}

#[test]
fn whole_number_float_value_is_a_price() {
    // JSON writers print a whole f64 without a fraction (97000.0 → `97000`); it is still a price.
    let mut h = Harness::new();
    let f = update(r#"{"symbol":"btcusd","value":97000,"timestamp":7,"source":"chainlink"}"#);
    let r = h.parse_str(&f);
    assert_eq!(r, Ok(ChainlinkFrame::Prices), "{f}");
    assert_eq!(h.points(), vec![(BTC, 9_700_000_000_000, 7)]);
}

#[test]
fn unfollowed_symbol_update_has_no_points() {
    let mut h = Harness::new();
    let f = update(r#"{"symbol":"solusd","value":150.0,"timestamp":1,"source":"chainlink"}"#);
    assert_eq!(h.parse_str(&f), Ok(ChainlinkFrame::Prices));
    assert!(h.batch.points().is_empty());
}

#[test]
fn zero_or_negative_prices_are_refused() {
    let mut h = Harness::new();
    for payload in [
        r#"{"symbol":"btcusd","value":0.0,"timestamp":1,"source":"chainlink"}"#,
        r#"{"symbol":"btcusd","value":-5.5,"timestamp":1,"source":"chainlink"}"#,
        r#"{"symbol":"btcusd","value":-5.5,"full_accuracy_value":"-5500000000000000000","timestamp":1,"source":"chainlink"}"#,
        r#"{"symbol":"btcusd","value":0.0,"full_accuracy_value":"0000000000000000000","timestamp":1,"source":"chainlink"}"#,
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
        for cut in 0..fixture.len() {
            let r = catch_unwind(AssertUnwindSafe(|| h.parse(&fixture[..cut])))
                .unwrap_or_else(|_| panic!("{name}: panic when cut at byte {cut}"));
            assert!(
                matches!(r, Err(_) | Ok(ChainlinkFrame::Ignored)),
                "{name} cut at {cut}: {:?} → {r:?}",
                String::from_utf8_lossy(&fixture[..cut])
            );
            assert!(h.batch.points().is_empty(), "{name} cut at {cut}");
        }
        assert!(h.parse(fixture).is_ok(), "{name} whole");
    }
}
