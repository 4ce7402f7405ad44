//! Window discovery: the current and next up/down market of each asset, from Gamma (ids, tick,
//! minimum size, neg-risk, settlement series, fee schedule, price to beat) and the CLOB's compact
//! market record (fee parameters).
//!
//! Runs on its own control-side thread with a blocking HTTP client; what it finds goes to the
//! control loop over a channel. Which windows exist and their slugs follow the configured kind
//! (`windows.slug_kind`, see [`Cadence`]): `updown-5m`/`updown-15m` on UTC multiples, `updown-4h`
//! on US Eastern 4-hour blocks, and the hourly and daily markets named by Eastern wall time.
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

mod cadence;
mod gamma;
mod setup;
pub use cadence::{eastern_to_utc, Cadence, WindowTimes};
pub use gamma::{
    parse_event_metadata, parse_gamma_market, GammaWindow, MarketRules, MarketVersion, Settlement,
};
pub use setup::{TokenSlots, WindowSetup};

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

impl DiscoveredWindow {
    /// The engine's view of this window, its tokens at the registry slots `up` and `down`:
    /// what the control loop sends to `signal` and what replay hands its engine.
    pub fn spec(
        &self,
        up: crate::pipeline::events::TokenId,
        down: crate::pipeline::events::TokenId,
    ) -> crate::pipeline::control::WindowSpec {
        crate::pipeline::control::WindowSpec {
            asset: self.asset,
            start_s: self.start_s,
            end_s: self.end_s,
            up,
            down,
            tick_e4: self.tick_e4,
            min_size_e6: self.min_size_e6,
            fees: self.fees,
            neg_risk: self.neg_risk,
            settle: self.rules.settlement.rule(),
        }
    }
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

/// The compact CLOB market record `GET /clob-markets/{condition_id}`: the keys discovery reads
/// (`mts` tick, `mos` minimum size, `nr` neg-risk, `fd {r, e, to}` fee curve); the venue's other
/// keys (`gst`, `r`, `t`, `mbf`, `tbf`, `rfqe`, `itode`, `ibce`, `oas`, …) are ignored. Shape of
/// Polymarket's documented `ClobMarketDetails` example (`tests/data/venue/clob_markets/`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ClobMarketInfo {
    #[serde(default)]
    pub mts: Option<f64>,
    #[serde(default)]
    pub mos: Option<f64>,
    #[serde(default)]
    pub nr: Option<bool>,
    #[serde(default)]
    fd: Option<ClobFees>,
}

impl ClobMarketInfo {
    /// The fee curve, when the record has one.
    pub fn fees(&self) -> Option<FeeParams> {
        self.fd.as_ref().map(|fd| FeeParams {
            rate: fd.r,
            exponent: fd.e,
            taker_only: fd.to,
        })
    }
}

/// Parse a `/clob-markets/{condition_id}` body.
pub fn parse_clob_market(body: &[u8]) -> Result<ClobMarketInfo, String> {
    serde_json::from_slice(body).map_err(|e| format!("bad /clob-markets body: {e}"))
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
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
    cadence: Cadence,
}

impl Discovery {
    pub fn new(gamma: &str, clob: &str, slug_kind: &str, length_s: u64) -> anyhow::Result<Self> {
        Ok(Discovery {
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            gamma: gamma.trim_end_matches('/').to_string(),
            clob: clob.trim_end_matches('/').to_string(),
            cadence: Cadence::from_config(slug_kind, length_s).map_err(anyhow::Error::msg)?,
        })
    }

    /// The window containing `now_s`.
    pub fn window_at(&self, now_s: u64) -> WindowTimes {
        self.cadence.window_at(now_s)
    }

    /// Start of the window containing `now_s`.
    pub fn window_start(&self, now_s: u64) -> u64 {
        self.window_at(now_s).start_s
    }

    /// The window after `w`.
    pub fn next(&self, w: WindowTimes) -> WindowTimes {
        self.cadence.next(w)
    }

    /// Nominal window length (a 4-hour or daily window across a daylight-saving change is an
    /// hour shorter or longer; [`Self::window_at`] has its real bounds).
    pub fn length_s(&self) -> u64 {
        self.cadence.nominal_length_s()
    }

    /// Gamma's slug of the window starting at `start_s`.
    pub fn slug(&self, asset_name: &str, start_s: u64) -> String {
        self.cadence.slug(asset_name, self.window_at(start_s))
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
        let ev: gamma::GammaEvent =
            self.get(&format!("{}/events/slug/{slug}", self.gamma), &slug)?;
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
        let other_series = match m.rules.settlement {
            Settlement::ChainlinkSpot => Some("the Chainlink spot stream"),
            Settlement::BinanceCandle => Some("Binance candles"),
            Settlement::ChainlinkTwap { .. } | Settlement::Unstated => None,
        };
        if let Some(series) = other_series {
            return Err(bad(format!(
                "settles on {series} ({}); the strike feed follows the 60 s Chainlink TWAP (price.crypto.twap), so this market is not traded",
                m.rules.resolution_source
            )));
        }
        let what = format!("clob-markets/{}", m.condition_id);
        let cm: ClobMarketInfo = self.get(
            &format!("{}/clob-markets/{}", self.clob, m.condition_id),
            &what,
        )?;
        let fees = match (cm.fees(), m.rules.fee_schedule) {
            (Some(fd), _) => fd,
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
            end_s: self.window_at(start_s).end_s,
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
