//! Window discovery: the current and next up/down market of each asset, from Gamma (ids, tick,
//! minimum size, neg-risk, settlement series, fee schedule, price to beat) and the CLOB's compact
//! market record (fee parameters).
//!
//! Runs on its own control-side thread with a blocking HTTP client; what it finds goes to the
//! control loop over a channel. Slugs are `{asset}-{slug_kind}-{window_start_unix}` with
//! `slug_kind` like `updown-15m` or `updown-5m` and the matching window length.
//!
//! Gamma fields read (real capture `tests/data/venue/gamma/market_btc_updown_5m_twap.json`):
//! `cryptoMarketConfig` and `resolutionSource` say which Chainlink series settles the market (the
//! 60-second TWAP or the spot stream); `feeSchedule` is the fee fallback when the CLOB record has
//! no `fd`; `acceptingOrders`, `enableOrderBook` and `closed` must allow trading; `version` picks
//! the token ids (`"v1"`/absent: `clobTokenIds`, `"v2"`: `positionIds`), any other version is
//! refused. The event's `eventMetadata.priceToBeat`/`finalPrice` (published some seconds after
//! the window opens) are read when present, as numbers or numeric strings.
//!
//! The strike feed follows PolyBolt's `price.crypto.twap` (the only Chainlink series there), so a
//! market that settles on another series is refused with the reason rather than traded on the
//! wrong series.

use std::time::Duration;

use serde::Deserialize;

use crate::pipeline::control::FeeParams;
use crate::pipeline::events::{AssetId, SIZE_SCALE};

/// A window ready to trade.
#[derive(Clone, Debug, PartialEq)]
pub struct DiscoveredWindow {
    pub asset: AssetId,
    pub slug: String,
    pub question: String,
    pub condition_id: String,
    pub start_s: u64,
    pub end_s: u64,
    pub up_token: String,
    pub down_token: String,
    pub tick_e4: u16,
    pub min_size_e6: u64,
    pub fees: FeeParams,
    pub neg_risk: bool,
    /// What Gamma says about settlement and the strike.
    pub rules: MarketRules,
}

/// The series a market settles on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Settlement {
    /// Chainlink TWAP over `lookback_s` seconds (`price.crypto.twap`).
    ChainlinkTwap { lookback_s: u32 },
    /// The Chainlink Data Streams spot price (not on PolyBolt).
    ChainlinkSpot,
    /// Not said (an old record): treated as the feed's series by callers that must.
    #[default]
    Unstated,
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

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// Not listed (yet): try again later.
    #[error("{0}: not found")]
    NotFound(String),
    #[error("{what}: HTTP {status}")]
    Status { what: String, status: u16 },
    #[error("{what}: {why}")]
    Transport { what: String, why: String },
    /// The venue answered something we cannot trade on.
    #[error("{what}: {why}")]
    Bad { what: String, why: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GammaEvent {
    #[serde(default)]
    markets: Vec<serde_json::Value>,
    #[serde(default)]
    event_metadata: Option<serde_json::Value>,
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

#[derive(Deserialize)]
struct ClobMarket {
    #[serde(default)]
    mts: Option<f64>,
    #[serde(default)]
    mos: Option<f64>,
    #[serde(default)]
    nr: Option<bool>,
    fd: Option<ClobFees>,
}

#[derive(Deserialize)]
struct ClobFees {
    r: f64,
    e: f64,
    #[serde(default)]
    to: bool,
}

pub struct Discovery {
    http: reqwest::blocking::Client,
    gamma: String,
    clob: String,
    slug_kind: String,
    length_s: u64,
}

impl Discovery {
    pub fn new(gamma: &str, clob: &str, slug_kind: &str, length_s: u64) -> anyhow::Result<Self> {
        Ok(Discovery {
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            gamma: gamma.trim_end_matches('/').to_string(),
            clob: clob.trim_end_matches('/').to_string(),
            slug_kind: slug_kind.to_string(),
            length_s,
        })
    }

    /// Start of the window containing `now_s`.
    pub fn window_start(&self, now_s: u64) -> u64 {
        now_s - now_s % self.length_s
    }

    pub fn length_s(&self) -> u64 {
        self.length_s
    }

    pub fn slug(&self, asset_name: &str, start_s: u64) -> String {
        format!(
            "{}-{}-{start_s}",
            asset_name.to_ascii_lowercase(),
            self.slug_kind
        )
    }

    fn get<T: for<'de> Deserialize<'de>>(
        &self,
        url: &str,
        what: &str,
    ) -> Result<T, DiscoveryError> {
        let resp = self
            .http
            .get(url)
            .send()
            .map_err(|e| DiscoveryError::Transport {
                what: what.to_string(),
                why: e.without_url().to_string(),
            })?;
        match resp.status().as_u16() {
            200 => {}
            404 => return Err(DiscoveryError::NotFound(what.to_string())),
            s => {
                return Err(DiscoveryError::Status {
                    what: what.to_string(),
                    status: s,
                })
            }
        }
        resp.json::<T>().map_err(|e| DiscoveryError::Bad {
            what: what.to_string(),
            why: e.without_url().to_string(),
        })
    }

    /// Look up one window of one asset.
    pub fn discover(
        &self,
        asset: AssetId,
        asset_name: &str,
        start_s: u64,
    ) -> Result<DiscoveredWindow, DiscoveryError> {
        let slug = self.slug(asset_name, start_s);
        let ev: GammaEvent = self.get(&format!("{}/events/slug/{slug}", self.gamma), &slug)?;
        let bad = |why: String| DiscoveryError::Bad {
            what: slug.clone(),
            why,
        };
        let market = ev
            .markets
            .first()
            .ok_or_else(|| bad("event has no market".into()))?;
        let mut m = parse_gamma_market(market).map_err(bad)?;
        if let Some(meta) = &ev.event_metadata {
            (m.rules.price_to_beat, m.rules.final_price) = parse_event_metadata(meta);
        }
        if m.rules.settlement == Settlement::ChainlinkSpot {
            return Err(bad(format!(
                "settles on the Chainlink spot stream ({}); the strike feed follows the 60 s TWAP (price.crypto.twap), so this market is not traded",
                m.rules.resolution_source
            )));
        }
        let what = format!("clob-markets/{}", m.condition_id);
        let cm: ClobMarket = self.get(
            &format!("{}/clob-markets/{}", self.clob, m.condition_id),
            &what,
        )?;
        let fees = match (cm.fd, m.rules.fee_schedule) {
            (Some(fd), _) => FeeParams {
                rate: fd.r,
                exponent: fd.e,
                taker_only: fd.to,
            },
            (None, Some(fs)) => fs,
            (None, None) => {
                return Err(bad(
                    "no fee parameters (no fd on the CLOB market, no feeSchedule in Gamma)".into(),
                ))
            }
        };
        let tick = cm.mts.or(m.tick).unwrap_or(0.01);
        let tick_e4 = (tick * 1e4).round();
        if !(1.0..=1000.0).contains(&tick_e4) {
            return Err(bad(format!("tick size {tick}")));
        }
        let min_size = cm.mos.or(m.min_size).unwrap_or(5.0);
        Ok(DiscoveredWindow {
            asset,
            question: m.question,
            condition_id: m.condition_id,
            start_s,
            end_s: start_s + self.length_s,
            up_token: m.up_token,
            down_token: m.down_token,
            tick_e4: tick_e4 as u16,
            min_size_e6: (min_size * SIZE_SCALE as f64).round() as u64,
            fees,
            neg_risk: cm.nr.unwrap_or(m.neg_risk),
            rules: m.rules,
            slug,
        })
    }
}
