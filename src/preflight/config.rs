//! `[preflight]`: where the checks look and how much they tolerate.

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PreflightConfig {
    /// Polymarket's geoblock endpoint (on polymarket.com, not the API hosts). Configurable so
    /// the simulator can answer it.
    pub geoblock_url: String,
    /// Largest clock offset against the CLOB's `GET /time` accepted, ms (default 1000). The
    /// venue answers in whole seconds, so only an offset that is certain counts.
    pub max_clock_skew_ms: u64,
    /// pUSD the wallet holding the funds must have, USDC (default 1: a marketable buy is at
    /// least $1).
    pub min_balance_usdc: f64,
    /// Slowest request/reply round trip accepted on each feed, ms (default 500).
    pub max_feed_rtt_ms: u64,
    /// Each network step gives up after this long, ms (default 5000).
    pub timeout_ms: u64,
}

impl Default for PreflightConfig {
    fn default() -> Self {
        PreflightConfig {
            geoblock_url: "https://polymarket.com/api/geoblock".into(),
            max_clock_skew_ms: 1000,
            min_balance_usdc: 1.0,
            max_feed_rtt_ms: 500,
            timeout_ms: 5000,
        }
    }
}

impl PreflightConfig {
    /// Every bad field of `[preflight]`, as `preflight.key = value: what is expected`.
    pub fn problems(&self) -> Vec<String> {
        let mut bad = Vec::new();
        let u = &self.geoblock_url;
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            bad.push(format!(
                "preflight.geoblock_url = {u:?}: an http:// or https:// URL"
            ));
        }
        if !(self.min_balance_usdc.is_finite() && self.min_balance_usdc >= 0.0) {
            bad.push(format!(
                "preflight.min_balance_usdc = {}: a number ≥ 0",
                self.min_balance_usdc
            ));
        }
        if self.max_feed_rtt_ms == 0 {
            bad.push("preflight.max_feed_rtt_ms = 0: at least 1".into());
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            bad.push(format!(
                "preflight.timeout_ms = {}: 100 to 60000",
                self.timeout_ms
            ));
        }
        bad
    }
}
