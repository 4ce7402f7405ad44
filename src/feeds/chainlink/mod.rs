//! Reference prices from Polymarket's PolyBolt socket (`wss://ws-live-v2.polymarket.com/ws`).
//!
//! Protocol (`docs/venue/polymarket.md` §10.4; real frames in `tests/data/venue/polybolt/`): send
//! `{"op":"auth","rid":"a1","auth":{…}}`, wait for `{"op":"authed"}`, then subscribe. Two channels
//! carry crypto prices and they are different series:
//! - `price.crypto`: **Pyth** spot (not Chainlink; never the settlement price).
//! - `price.crypto.twap` with `window_seconds:60`: the 60-second **Chainlink** TWAP, the series
//!   TWAP-settled up/down markets resolve on.
//!
//! Data frames are `{"v":1,"channel","seq","ts","snapshot"?,"payload"}`. A snapshot's payload is an
//! object `{"symbol","data":[{"timestamp","value","full_accuracy_value"}…]}` (the previous two
//! minutes; `window_seconds` added on TWAP); an update's payload is one point that names its own
//! `symbol`. `full_accuracy_value` is an exact decimal string (up to 18 decimals on TWAP) and is
//! preferred to the float `value`; it is rounded half-up to 1e-8, never read as E18.
//!
//! Acks are `{"op":"authed"|"subscribed"|"pong",…}`; refusals are `{"op":"error","code":"…"}` with
//! a **string** code. Auth codes end the session ([`ChainlinkFrame::AuthFailed`]); any other code
//! ([`ChainlinkFrame::Refused`]) means a subscription the venue will not serve, which the caller
//! must surface (a refused subscription is otherwise a silent feed). Other channels
//! (`price.equity`, `price.polymarket`, …) are [`ChainlinkFrame::Ignored`] and counted.
//!
//! Parsing reuses the scratch tape and the caller's batch: no allocation per frame.

use crate::feeds::decimal::parse_fixed;
use crate::feeds::json::{get_str, get_u64, JsonScratch, Value, ValueAsScalar};
use crate::pipeline::events::{AssetId, OraclePrice};
use crate::pipeline::registry::AssetTable;

/// Points one frame may carry (a snapshot holds up to two minutes of them).
pub const MAX_POINTS_PER_FRAME: usize = 256;

/// The two crypto price channels. Which one a deployment follows is the series its markets
/// settle on (`cryptoMarketConfig.twapEnabled` / `resolutionSource` in Gamma).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceChannel {
    /// `price.crypto`: Pyth spot.
    Spot,
    /// `price.crypto.twap`, 60-second window: Chainlink TWAP.
    Twap60,
}

impl PriceChannel {
    pub fn name(self) -> &'static str {
        match self {
            PriceChannel::Spot => "price.crypto",
            PriceChannel::Twap60 => "price.crypto.twap",
        }
    }
}

/// A refusal's string code, as the venue names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalCode {
    AuthRequired,
    AuthInvalid,
    AuthUnavailable,
    BadFilter,
    BadOp,
    /// A code this build does not know (still a refusal).
    Other,
}

impl RefusalCode {
    fn parse(code: &str) -> RefusalCode {
        match code {
            "auth_required" => RefusalCode::AuthRequired,
            "auth_invalid" => RefusalCode::AuthInvalid,
            "auth_unavailable" => RefusalCode::AuthUnavailable,
            "bad_filter" => RefusalCode::BadFilter,
            "bad_op" => RefusalCode::BadOp,
            _ => RefusalCode::Other,
        }
    }

    pub fn is_auth(self) -> bool {
        matches!(
            self,
            RefusalCode::AuthRequired | RefusalCode::AuthInvalid | RefusalCode::AuthUnavailable
        )
    }

    /// The venue's word, for logs and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::AuthRequired => "auth_required",
            RefusalCode::AuthInvalid => "auth_invalid",
            RefusalCode::AuthUnavailable => "auth_unavailable",
            RefusalCode::BadFilter => "bad_filter",
            RefusalCode::BadOp => "bad_op",
            RefusalCode::Other => "unknown error code",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainlinkFrame {
    /// Auth accepted: send the subscription now.
    Authed,
    /// Auth refused (`auth_*` code): credentials are wrong or missing; back off and say so.
    AuthFailed(RefusalCode),
    /// A non-auth refusal (`bad_filter`, `bad_op`, …): the subscription will deliver nothing.
    Refused(RefusalCode),
    /// Prices of `channel` parsed into the batch (`snapshot`: the history that seeds a strike).
    Prices {
        channel: PriceChannel,
        snapshot: bool,
    },
    /// Acks, pongs and other channels: well-formed, not used.
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
            let code = get_str(root, "code")
                .map(RefusalCode::parse)
                // The pre-PolyBolt numeric auth code, kept so an old relay is not silent.
                .or_else(|| {
                    (get_u64(root, "code") == Some(4001)).then_some(RefusalCode::AuthInvalid)
                })
                .unwrap_or(RefusalCode::Other);
            return Ok(if code.is_auth() {
                ChainlinkFrame::AuthFailed(code)
            } else {
                ChainlinkFrame::Refused(code)
            });
        }
        Some(_) => return Ok(ChainlinkFrame::Ignored),
        None => {}
    }
    let channel = match get_str(root, "channel") {
        Some("price.crypto") => PriceChannel::Spot,
        Some("price.crypto.twap") => PriceChannel::Twap60,
        _ => return Ok(ChainlinkFrame::Ignored),
    };
    let payload = root
        .get("payload")
        .ok_or(ChainlinkParseError::Field("payload"))?;
    let snapshot = root
        .get("snapshot")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if let Some(points) = payload.get("data") {
        // Snapshot: the symbol is the payload's, the points carry none.
        let points = points
            .as_array()
            .ok_or(ChainlinkParseError::Field("data"))?;
        let sym = get_str(payload, "symbol").ok_or(ChainlinkParseError::Field("symbol"))?;
        let asset = assets.by_chainlink_symbol(sym.as_bytes());
        for p in points.iter() {
            push_point(p, asset, batch)?;
        }
    } else {
        let sym = get_str(payload, "symbol").ok_or(ChainlinkParseError::Field("symbol"))?;
        push_point(payload, assets.by_chainlink_symbol(sym.as_bytes()), batch)?;
    }
    Ok(ChainlinkFrame::Prices { channel, snapshot })
}

fn push_point(
    p: Value<'_, '_>,
    asset: Option<AssetId>,
    batch: &mut ChainlinkBatch,
) -> Result<(), ChainlinkParseError> {
    // Validate even the points of symbols we do not follow: a bad frame is a bad frame.
    let price_e8 = price_e8(p).ok_or(ChainlinkParseError::Field("value"))?;
    let venue_ts_ms = get_u64(p, "timestamp").ok_or(ChainlinkParseError::Field("timestamp"))?;
    let Some(asset) = asset else {
        return Ok(());
    };
    if batch.n < MAX_POINTS_PER_FRAME {
        batch.points[batch.n] = OraclePrice {
            asset,
            price_e8,
            venue_ts_ms,
            stamps: Default::default(),
        };
        batch.n += 1;
    }
    Ok(())
}

/// Exact from the decimal string `full_accuracy_value` (rounded half-up at 1e-8) when present,
/// else from the float `value`.
fn price_e8(p: Value<'_, '_>) -> Option<i64> {
    if let Some(full) = get_str(p, "full_accuracy_value") {
        return parse_fixed(full.as_bytes(), 9)
            .map(|e9| e9 / 10 + u64::from(e9 % 10 >= 5))
            .and_then(|v| i64::try_from(v).ok())
            .filter(|&v| v > 0);
    }
    // `cast_f64`: a whole-number price may be written as a JSON integer. Checked after
    // scaling: a positive value under 0.5e-8 rounds to a price of 0, and one past i64 in
    // 1e-8 units would saturate; both are refused, not read as prices.
    let e8 = (p.get("value")?.cast_f64()? * 1e8).round();
    (e8 >= 1.0 && e8 < i64::MAX as f64).then_some(e8 as i64)
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

/// The subscription of every asset to `channel` (TWAP with its 60-second window).
pub fn subscribe_message(out: &mut Vec<u8>, assets: &AssetTable, channel: PriceChannel) {
    out.clear();
    let window = match channel {
        PriceChannel::Spot => "",
        PriceChannel::Twap60 => r#","window_seconds":60"#,
    };
    let subs: Vec<String> = assets
        .iter()
        .map(|(_, a)| {
            format!(
                r#"{{"channel":"{}","filter":{{"symbol":"{}"{window}}}}}"#,
                channel.name(),
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
