//! Chainlink prices from Polymarket's PolyBolt socket: the resolution source of the
//! 15-minute markets (strike at window start, settlement at the end).
//!
//! Protocol (`protocols/polymarket.md` §5): send `{"op":"auth","rid":"a1","auth":{…}}`, wait
//! for `{"op":"authed"}`, then `{"op":"subscribe","rid":"s1","subscriptions":[{"channel":
//! "price.crypto","filter":{"symbol":"btcusd"}}]}`. Data arrive as
//! `{"v":1,"channel":"price.crypto","seq":N,"ts":…,"snapshot":true,"payload":[…points]}`
//! then `{"v":1,…,"payload":{"symbol":"btcusd","value":97000.1,"full_accuracy_value":"97000…","timestamp":…,"source":"chainlink"}}`.

use crate::feeds::decimal::parse_fixed;
use crate::feeds::json::{get_str, get_u64, JsonScratch, Value, ValueAsScalar};
use crate::pipeline::events::{AssetId, OraclePrice};
use crate::pipeline::registry::AssetTable;

/// Points one frame may carry (a snapshot holds up to two minutes of them).
pub const MAX_POINTS_PER_FRAME: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainlinkFrame {
    /// Auth accepted: send the subscription now.
    Authed,
    /// Auth refused: credentials are wrong; back off.
    AuthFailed,
    /// Prices parsed into the batch.
    Prices,
    /// Acks and anything else well-formed.
    Ignored,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainlinkParseError {
    #[error("not valid JSON")]
    Malformed,
    #[error("missing or mistyped field {0}")]
    Field(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub struct ChainlinkBatch {
    pub points: [OraclePrice; MAX_POINTS_PER_FRAME],
    pub n: usize,
}

impl Default for ChainlinkBatch {
    fn default() -> Self {
        ChainlinkBatch {
            points: [OraclePrice::default(); MAX_POINTS_PER_FRAME],
            n: 0,
        }
    }
}

impl ChainlinkBatch {
    pub fn points(&self) -> &[OraclePrice] {
        &self.points[..self.n]
    }
}

pub struct ChainlinkParser {
    json: JsonScratch,
}

impl Default for ChainlinkParser {
    fn default() -> Self {
        ChainlinkParser {
            json: JsonScratch::new(64 << 10),
        }
    }
}

impl ChainlinkParser {
    pub fn parse(
        &mut self,
        frame: &mut [u8],
        assets: &AssetTable,
        batch: &mut ChainlinkBatch,
    ) -> Result<ChainlinkFrame, ChainlinkParseError> {
        batch.n = 0;
        self.json
            .parse(frame, |root| route(root, assets, batch))
            .unwrap_or(Err(ChainlinkParseError::Malformed))
    }
}

fn route(
    root: Value<'_, '_>,
    assets: &AssetTable,
    batch: &mut ChainlinkBatch,
) -> Result<ChainlinkFrame, ChainlinkParseError> {
    match get_str(root, "op") {
        Some("authed") => return Ok(ChainlinkFrame::Authed),
        Some("error") => {
            return Ok(if get_u64(root, "code") == Some(4001) {
                ChainlinkFrame::AuthFailed
            } else {
                ChainlinkFrame::Ignored
            })
        }
        Some(_) => return Ok(ChainlinkFrame::Ignored),
        None => {}
    }
    let Some(channel) = get_str(root, "channel") else {
        return Ok(ChainlinkFrame::Ignored);
    };
    if !channel.starts_with("price.crypto") {
        return Ok(ChainlinkFrame::Ignored);
    }
    let payload = root
        .get("payload")
        .ok_or(ChainlinkParseError::Field("payload"))?;
    if let Some(points) = payload.as_array() {
        for p in points.iter() {
            push_point(p, assets, batch)?;
        }
    } else {
        push_point(payload, assets, batch)?;
    }
    Ok(ChainlinkFrame::Prices)
}

fn push_point(
    p: Value<'_, '_>,
    assets: &AssetTable,
    batch: &mut ChainlinkBatch,
) -> Result<(), ChainlinkParseError> {
    let sym = get_str(p, "symbol").ok_or(ChainlinkParseError::Field("symbol"))?;
    let Some(asset) = assets.by_chainlink_symbol(sym.as_bytes()) else {
        return Ok(());
    };
    let price_e8 = price_e8(p).ok_or(ChainlinkParseError::Field("value"))?;
    let venue_ts_ms = get_u64(p, "timestamp").ok_or(ChainlinkParseError::Field("timestamp"))?;
    if batch.n < MAX_POINTS_PER_FRAME {
        batch.points[batch.n] = OraclePrice {
            asset: AssetId(asset.0),
            price_e8,
            venue_ts_ms,
            stamps: Default::default(),
        };
        batch.n += 1;
    }
    Ok(())
}

/// Exact from `full_accuracy_value` (18 decimals) when present, else from the float `value`.
fn price_e8(p: Value<'_, '_>) -> Option<i64> {
    if let Some(full) = get_str(p, "full_accuracy_value") {
        // 1e18 units → 1e8 units: parse as an integer and drop ten digits.
        let s = full.as_bytes();
        if s.len() > 10 && s.iter().all(u8::is_ascii_digit) {
            return parse_fixed(&s[..s.len() - 10], 0)
                .and_then(|v| i64::try_from(v).ok())
                .filter(|&v| v > 0);
        }
    }
    // `cast_f64`: a whole-number price may be written as a JSON integer.
    let v = p.get("value")?.cast_f64()?;
    (v.is_finite() && v > 0.0).then(|| (v * 1e8).round() as i64)
}

/// The auth message. Credentials go only onto the socket, never into logs.
pub fn auth_message(out: &mut Vec<u8>, api_key: &str, secret: &str, passphrase: &str) {
    out.clear();
    let esc = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    out.extend_from_slice(
        format!(
            r#"{{"op":"auth","rid":"a1","auth":{{"apiKey":{},"secret":{},"passphrase":{}}}}}"#,
            esc(api_key),
            esc(secret),
            esc(passphrase)
        )
        .as_bytes(),
    );
}

/// The subscription for every asset's `price.crypto` channel.
pub fn subscribe_message(out: &mut Vec<u8>, assets: &AssetTable) {
    out.clear();
    let subs: Vec<String> = assets
        .iter()
        .map(|(_, a)| {
            format!(
                r#"{{"channel":"price.crypto","filter":{{"symbol":"{}"}}}}"#,
                a.chainlink_symbol
            )
        })
        .collect();
    out.extend_from_slice(
        format!(
            r#"{{"op":"subscribe","rid":"s1","subscriptions":[{}]}}"#,
            subs.join(",")
        )
        .as_bytes(),
    );
}
