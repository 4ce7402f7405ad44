//! Window discovery over async `reqwest`: Gamma's event for the current window's slug
//! (`{asset}-updown-15m-{start}`), then the CLOB's market record for fees, minimum size and
//! neg-risk. On each window roll the new window goes to the strategy and its tokens to the
//! Polymarket task.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cassandra::pipeline::control::FeeParams;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::messages::{Event, WindowInfo};

/// How often discovery looks at the clock, and retries a window not listed yet.
const POLL: Duration = Duration::from_millis(100);

#[derive(Debug, Deserialize)]
struct GammaEvent {
    markets: Vec<GammaMarket>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GammaMarket {
    condition_id: String,
    /// A JSON array in a string: `"[\"Up\", \"Down\"]"`.
    outcomes: String,
    clob_token_ids: String,
    #[serde(default)]
    neg_risk: bool,
}

#[derive(Debug, Deserialize)]
struct ClobMarket {
    mos: Option<f64>,
    nr: Option<bool>,
    fd: Option<ClobFees>,
}

#[derive(Debug, Deserialize)]
struct ClobFees {
    r: f64,
    e: f64,
    #[serde(default)]
    to: bool,
}

pub struct Discovery {
    http: reqwest::Client,
    base: String,
    asset: String,
    window_s: u64,
}

impl Discovery {
    pub fn new(http: reqwest::Client, base: &str, asset: &str, window_s: u64) -> Discovery {
        Discovery {
            http,
            base: base.trim_end_matches('/').to_string(),
            asset: asset.to_ascii_lowercase(),
            window_s: window_s.max(1),
        }
    }

    /// Looks up the window starting at `start_s`.
    pub async fn discover(&self, start_s: u64) -> anyhow::Result<WindowInfo> {
        let slug = format!("{}-updown-15m-{start_s}", self.asset);
        let ev: GammaEvent = self
            .http
            .get(format!("{}/events/slug/{slug}", self.base))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let m = ev
            .markets
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("{slug}: no market"))?;
        let outcomes: Vec<String> = serde_json::from_str(&m.outcomes)?;
        let tokens: Vec<String> = serde_json::from_str(&m.clob_token_ids)?;
        let up = outcomes
            .iter()
            .position(|o| o.eq_ignore_ascii_case("up"))
            .ok_or_else(|| anyhow::anyhow!("{slug}: no Up outcome"))?;
        anyhow::ensure!(tokens.len() == 2, "{slug}: expected two tokens");
        let cm: ClobMarket = self
            .http
            .get(format!("{}/clob-markets/{}", self.base, m.condition_id))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let fd = cm
            .fd
            .ok_or_else(|| anyhow::anyhow!("{slug}: no fee parameters"))?;
        Ok(WindowInfo {
            slug,
            start_s,
            end_s: start_s + self.window_s,
            up_token: tokens[up].clone(),
            down_token: tokens[1 - up].clone(),
            min_size_e6: (cm.mos.unwrap_or(5.0) * 1e6).round() as u64,
            neg_risk: cm.nr.unwrap_or(m.neg_risk),
            fees: FeeParams {
                rate: fd.r,
                exponent: fd.e,
                taker_only: fd.to,
            },
        })
    }
}

pub fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Follows the current window: discovers each new one, tells the strategy and the book task.
pub async fn run(
    d: Discovery,
    events: mpsc::Sender<Event>,
    subs: mpsc::Sender<Vec<String>>,
) -> anyhow::Result<()> {
    let mut known: Option<u64> = None;
    loop {
        let now = now_s();
        let start = now - now % d.window_s;
        if known != Some(start) {
            match d.discover(start).await {
                Ok(w) => {
                    let tokens = vec![w.up_token.clone(), w.down_token.clone()];
                    events.send(Event::Window(w)).await?;
                    subs.send(tokens).await?;
                    known = Some(start);
                }
                Err(e) => tracing::debug!("discovery: {e:#}"),
            }
        }
        tokio::time::sleep(POLL).await;
    }
}
