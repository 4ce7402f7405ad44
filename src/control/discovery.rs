//! Window discovery: the current and next 15-minute market of each asset, from Gamma (ids,
//! tick, minimum size, neg-risk) and the CLOB's compact market record (fee parameters).
//!
//! Runs on its own control-side thread with a blocking HTTP client; what it finds goes to the
//! control loop over a channel. Slugs are `{asset}-updown-15m-{window_start_unix}`.

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
struct GammaEvent {
    #[serde(default)]
    markets: Vec<GammaMarket>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GammaMarket {
    condition_id: String,
    #[serde(default)]
    question: String,
    outcomes: String,
    clob_token_ids: String,
    #[serde(default)]
    order_price_min_tick_size: Option<f64>,
    #[serde(default)]
    order_min_size: Option<f64>,
    #[serde(default)]
    neg_risk: bool,
    #[serde(default = "yes")]
    accepting_orders: bool,
}

fn yes() -> bool {
    true
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
        let m = ev
            .markets
            .into_iter()
            .next()
            .ok_or_else(|| bad("event has no market".into()))?;
        if !m.accepting_orders {
            return Err(bad("market is not accepting orders".into()));
        }
        let outcomes: Vec<String> = serde_json::from_str(&m.outcomes)
            .map_err(|e| bad(format!("outcomes {:?}: {e}", m.outcomes)))?;
        let tokens: Vec<String> = serde_json::from_str(&m.clob_token_ids)
            .map_err(|e| bad(format!("clobTokenIds {:?}: {e}", m.clob_token_ids)))?;
        if outcomes.len() != 2 || tokens.len() != 2 {
            return Err(bad(format!("expected 2 outcomes, got {outcomes:?}")));
        }
        let up = outcomes
            .iter()
            .position(|o| o.eq_ignore_ascii_case("up"))
            .ok_or_else(|| bad(format!("no Up outcome in {outcomes:?}")))?;
        let what = format!("clob-markets/{}", m.condition_id);
        let cm: ClobMarket = self.get(
            &format!("{}/clob-markets/{}", self.clob, m.condition_id),
            &what,
        )?;
        let fd = cm
            .fd
            .ok_or_else(|| bad("no fee parameters (fd) on the CLOB market".into()))?;
        let tick = cm.mts.or(m.order_price_min_tick_size).unwrap_or(0.01);
        let tick_e4 = (tick * 1e4).round();
        if !(1.0..=1000.0).contains(&tick_e4) {
            return Err(bad(format!("tick size {tick}")));
        }
        let min_size = cm.mos.or(m.order_min_size).unwrap_or(5.0);
        Ok(DiscoveredWindow {
            asset,
            question: m.question,
            condition_id: m.condition_id,
            start_s,
            end_s: start_s + self.length_s,
            up_token: tokens[up].clone(),
            down_token: tokens[1 - up].clone(),
            tick_e4: tick_e4 as u16,
            min_size_e6: (min_size * SIZE_SCALE as f64).round() as u64,
            fees: FeeParams {
                rate: fd.r,
                exponent: fd.e,
                taker_only: fd.to,
            },
            neg_risk: cm.nr.unwrap_or(m.neg_risk),
            slug,
        })
    }
}
