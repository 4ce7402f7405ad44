//! Gamma market and event bodies → the facts discovery trades on.
//!
//! Wire shapes pinned by `tests/data/venue/gamma/market_btc_updown_5m_twap.json` (a real capture):
//! `clobTokenIds`/`outcomes` are JSON-encoded strings in the same order; tick and minimum size are
//! numbers (numeric strings are accepted); `cryptoMarketConfig` and `resolutionSource` name the
//! settlement series; `feeSchedule` the fee curve. `version`/`positionIds` and
//! `eventMetadata.priceToBeat`/`finalPrice` follow `docs/venue/polymarket.md` (no public capture).
//! Pure functions: no I/O, so the conformance tests feed them the captured bodies.

use serde::Deserialize;

use crate::pipeline::control::FeeParams;

/// The series a market settles on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Settlement {
    /// Chainlink TWAP over `lookback_s` seconds (`price.crypto.twap`).
    ChainlinkTwap { lookback_s: u32 },
    /// The Chainlink Data Streams spot price (not on PolyBolt).
    ChainlinkSpot,
    /// Binance candles (the hourly and daily markets: `resolutionSource` on binance.com); not on
    /// the strike feed, so discovery names it and refuses the market.
    BinanceCandle,
    /// Not said (an old record): treated as the feed's series by callers that must.
    #[default]
    Unstated,
}

impl Settlement {
    /// The pricing rule: a TWAP's lookback, else spot (a market that does not say is priced as
    /// the spot settlement it was before TWAP markets existed; a Binance candle's close is a
    /// spot value at the end, though discovery refuses those markets).
    pub fn rule(self) -> crate::strategy::fair_value::SettlementRule {
        match self {
            Settlement::ChainlinkTwap { lookback_s } => {
                crate::strategy::fair_value::SettlementRule::Twap {
                    lookback_s: lookback_s as f64,
                }
            }
            Settlement::ChainlinkSpot | Settlement::BinanceCandle | Settlement::Unstated => {
                crate::strategy::fair_value::SettlementRule::Spot
            }
        }
    }
}

/// Which token ids a market trades (`version` in Gamma).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MarketVersion {
    /// CTF ERC-1155 tokens (`clobTokenIds`), exchange V2.
    #[default]
    V1,
    /// Protocol-V2 position ids (`positionIds`), exchange V3.
    V2,
}

/// Gamma's settlement facts about one window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MarketRules {
    pub settlement: Settlement,
    pub resolution_source: String,
    pub version: MarketVersion,
    /// `eventMetadata.priceToBeat`, once published.
    pub price_to_beat: Option<f64>,
    /// `eventMetadata.finalPrice`, once settled.
    pub final_price: Option<f64>,
    /// `feeSchedule`, when Gamma gives one.
    pub fee_schedule: Option<FeeParams>,
}

/// The trading facts of one Gamma market object.
#[derive(Clone, Debug, PartialEq)]
pub struct GammaWindow {
    pub condition_id: String,
    pub question: String,
    pub up_token: String,
    pub down_token: String,
    pub tick: Option<f64>,
    pub min_size: Option<f64>,
    pub neg_risk: bool,
    pub rules: MarketRules,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GammaEvent {
    #[serde(default)]
    pub(super) markets: Vec<serde_json::Value>,
    #[serde(default)]
    pub(super) event_metadata: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GammaMarket {
    condition_id: String,
    #[serde(default)]
    question: String,
    outcomes: String,
    #[serde(default)]
    clob_token_ids: Option<String>,
    #[serde(default)]
    position_ids: Option<serde_json::Value>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    order_price_min_tick_size: Option<Num>,
    #[serde(default)]
    order_min_size: Option<Num>,
    #[serde(default)]
    neg_risk: bool,
    #[serde(default = "yes")]
    accepting_orders: bool,
    #[serde(default = "yes")]
    enable_order_book: bool,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    resolution_source: String,
    #[serde(default)]
    crypto_market_config: Option<CryptoMarketConfig>,
    #[serde(default)]
    fee_schedule: Option<FeeSchedule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CryptoMarketConfig {
    #[serde(default)]
    twap_enabled: bool,
    #[serde(default)]
    twap_lookback_seconds: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeeSchedule {
    rate: f64,
    exponent: f64,
    #[serde(default)]
    taker_only: bool,
}

/// A number Gamma may write as a JSON number or a numeric string.
#[derive(Deserialize, Clone, Copy)]
#[serde(untagged)]
enum NumOrText {
    N(f64),
    S(#[serde(deserialize_with = "num_text")] f64),
}

type Num = NumOrText;

fn num_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let s = String::deserialize(d)?;
    s.trim().parse().map_err(serde::de::Error::custom)
}

impl NumOrText {
    fn get(self) -> f64 {
        match self {
            NumOrText::N(v) | NumOrText::S(v) => v,
        }
    }
}

fn yes() -> bool {
    true
}

/// Which series settles a market: `cryptoMarketConfig` first, then `resolutionSource`.
fn settlement_of(m: &GammaMarket) -> Settlement {
    if let Some(c) = &m.crypto_market_config {
        return if c.twap_enabled {
            Settlement::ChainlinkTwap {
                lookback_s: c.twap_lookback_seconds.unwrap_or(60),
            }
        } else {
            Settlement::ChainlinkSpot
        };
    }
    let src = m.resolution_source.to_ascii_lowercase();
    if src.contains("binance.com") {
        return Settlement::BinanceCandle;
    }
    if !src.contains("chain.link") {
        return Settlement::Unstated;
    }
    // ".../streams/btc-usd-twap-60s-streams"
    match src.split("-twap-").nth(1) {
        Some(rest) => Settlement::ChainlinkTwap {
            lookback_s: rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(60),
        },
        None => Settlement::ChainlinkSpot,
    }
}

/// A list of ids written as a JSON array or as a JSON-encoded string of one.
fn id_list(v: &serde_json::Value) -> Result<Vec<String>, String> {
    let arr: Vec<serde_json::Value> = match v {
        serde_json::Value::String(s) => {
            serde_json::from_str(s).map_err(|e| format!("{s:?}: {e}"))?
        }
        serde_json::Value::Array(a) => a.clone(),
        other => return Err(format!("{other} is not a list")),
    };
    arr.into_iter()
        .map(|x| match x {
            serde_json::Value::String(s) => Ok(s),
            other => Err(format!("id {other} is not a string")),
        })
        .collect()
}

/// `eventMetadata` → (priceToBeat, finalPrice). It may be an object or a JSON-encoded string;
/// the prices numbers or numeric strings.
pub fn parse_event_metadata(meta: &serde_json::Value) -> (Option<f64>, Option<f64>) {
    let owned;
    let meta = match meta {
        serde_json::Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(v) => {
                owned = v;
                &owned
            }
            Err(_) => return (None, None),
        },
        v => v,
    };
    let price = |k: &str| {
        match meta.get(k)? {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|v: &f64| v.is_finite() && *v > 0.0)
    };
    (price("priceToBeat"), price("finalPrice"))
}

/// Read one Gamma market object (as in `/markets/slug/..` or an event's `markets[]`) and check
/// that it can be traded: open, with an order book, a known version and an Up and a Down token.
pub fn parse_gamma_market(v: &serde_json::Value) -> Result<GammaWindow, String> {
    let m: GammaMarket =
        serde_json::from_value(v.clone()).map_err(|e| format!("Gamma market: {e}"))?;
    if m.closed {
        return Err("market is closed".into());
    }
    if !m.enable_order_book {
        return Err("market has no order book (enableOrderBook false)".into());
    }
    if !m.accepting_orders {
        return Err("market is not accepting orders".into());
    }
    let outcomes: Vec<String> =
        serde_json::from_str(&m.outcomes).map_err(|e| format!("outcomes {:?}: {e}", m.outcomes))?;
    let (version, tokens) = match m.version.as_deref() {
        None | Some("v1") => {
            let ids = m.clob_token_ids.as_deref().ok_or("no clobTokenIds")?;
            let ids = id_list(&serde_json::Value::String(ids.to_string()))
                .map_err(|e| format!("clobTokenIds {e}"))?;
            (MarketVersion::V1, ids)
        }
        Some("v2") => {
            let ids = m.position_ids.as_ref().ok_or("version v2 without positionIds")?;
            (MarketVersion::V2, id_list(ids).map_err(|e| format!("positionIds {e}"))?)
        }
        Some(other) => {
            return Err(format!(
                "unknown market version {other:?}: this build trades v1 (clobTokenIds) and v2 (positionIds) only"
            ))
        }
    };
    if outcomes.len() != 2 || tokens.len() != 2 {
        return Err(format!(
            "expected 2 outcomes and 2 tokens, got {outcomes:?}"
        ));
    }
    let up = outcomes
        .iter()
        .position(|o| o.eq_ignore_ascii_case("up"))
        .ok_or_else(|| format!("no Up outcome in {outcomes:?}"))?;
    let rules = MarketRules {
        settlement: settlement_of(&m),
        resolution_source: m.resolution_source.clone(),
        version,
        price_to_beat: None,
        final_price: None,
        fee_schedule: m.fee_schedule.as_ref().map(|f| FeeParams {
            rate: f.rate,
            exponent: f.exponent,
            taker_only: f.taker_only,
        }),
    };
    Ok(GammaWindow {
        condition_id: m.condition_id,
        question: m.question,
        up_token: tokens[up].clone(),
        down_token: tokens[1 - up].clone(),
        tick: m.order_price_min_tick_size.map(Num::get),
        min_size: m.order_min_size.map(Num::get),
        neg_risk: m.neg_risk,
        rules,
    })
}
