//! Data API `/trades` rows and their conversion to [`WhaleTrade`].
//!
//! `GET https://data-api.polymarket.com/trades?user=<proxy wallet>&limit=N&takerOnly=false`
//! answers an array, newest first, of rows like (see `docs/venue/polymarket.md` §7):
//!
//! ```json
//! {"proxyWallet":"0x6031…","side":"BUY","asset":"7160…","conditionId":"0x1c…","size":1500,
//!  "price":0.62,"timestamp":1767225912,"title":"Bitcoin Up or Down - …","slug":"btc-updown-15m-1767225600",
//!  "eventSlug":"btc-updown-15m-1767225600","outcome":"Up","outcomeIndex":0,"transactionHash":"0xab…"}
//! ```
//!
//! Numbers may come as JSON numbers or strings; unknown fields are ignored (the venue adds
//! profile fields). The `/v2/trades` form is read too (real rows in
//! `tests/data/venue/data_api/`): snake_case keys (`proxy_wallet`, `token_id`, `condition_id`,
//! `event_slug`, `outcome_index`, `transaction_hash`), either bare or in the
//! `{"data":[…],"pagination":{…}}` envelope.

use serde::{Deserialize, Deserializer, Serialize};

use super::config::Wallet;

/// One row of `/trades`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataApiTrade {
    #[serde(alias = "proxy_wallet")]
    pub proxy_wallet: String,
    pub side: String,
    #[serde(alias = "token_id")]
    pub asset: String,
    #[serde(alias = "condition_id")]
    pub condition_id: String,
    #[serde(deserialize_with = "num")]
    pub size: f64,
    #[serde(deserialize_with = "num")]
    pub price: f64,
    #[serde(deserialize_with = "num")]
    pub timestamp: f64,
    pub title: String,
    pub slug: String,
    #[serde(alias = "event_slug")]
    pub event_slug: String,
    pub outcome: String,
    #[serde(deserialize_with = "num", alias = "outcome_index")]
    pub outcome_index: f64,
    #[serde(alias = "transaction_hash")]
    pub transaction_hash: String,
}

fn num<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        F(f64),
        S(String),
        Null(()),
    }
    Ok(match N::deserialize(d)? {
        N::F(f) => f,
        N::S(s) => s.trim().parse().unwrap_or(f64::NAN),
        N::Null(()) => f64::NAN,
    })
}

/// Parse a `/trades` answer: a bare array, or the v2 `{"data":[…],"pagination":…}` envelope.
pub fn parse_trades(body: &[u8]) -> Result<Vec<DataApiTrade>, String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Body {
        Rows(Vec<DataApiTrade>),
        Page { data: Vec<DataApiTrade> },
    }
    match serde_json::from_slice(body).map_err(|e| format!("bad /trades body: {e}"))? {
        Body::Rows(rows) | Body::Page { data: rows } => Ok(rows),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TradeSide {
    Buy,
    Sell,
}

/// The outcome a trade's token pays on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WhaleOutcome {
    Up,
    Down,
    /// A market that is not an Up/Down market (only with `only_15m = false`).
    Other,
}

/// A followed wallet's trade, as the control side publishes it (`whale_trade` on `/ws`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhaleTrade {
    /// Wallet name from `config/whales.toml`.
    pub wallet: String,
    pub address: String,
    pub side: TradeSide,
    pub outcome: WhaleOutcome,
    /// Price per share, USDC.
    pub price: f64,
    /// Shares.
    pub size: f64,
    /// price × size, USDC.
    pub notional: f64,
    pub slug: String,
    /// Upper-case asset of an Up/Down slug ("BTC"), else empty.
    pub asset: String,
    /// Trade time, Unix seconds.
    pub time_s: u64,
    /// Window start from the slug, when it is an Up/Down market.
    pub window_start_s: Option<u64>,
    /// Seconds from window start to the trade.
    pub secs_into_window: Option<u64>,
    pub tx_hash: String,
    /// Notional at or above `whales.large_notional_usdc`.
    pub large: bool,
}

impl WhaleTrade {
    /// Net UP notional this trade expresses: buying UP or selling DOWN is for UP (+), buying
    /// DOWN or selling UP is against (−); other markets count 0.
    pub fn up_notional(&self) -> f64 {
        let sign = match (self.side, self.outcome) {
            (_, WhaleOutcome::Other) => 0.0,
            (TradeSide::Buy, WhaleOutcome::Up) | (TradeSide::Sell, WhaleOutcome::Down) => 1.0,
            _ => -1.0,
        };
        sign * self.notional
    }
}

/// `("BTC", 1767225600)` from `btc-updown-15m-1767225600` (any `-updown-<len>-` kind).
pub fn parse_updown_slug(slug: &str) -> Option<(String, u64)> {
    let (asset, rest) = slug.split_once("-updown-")?;
    let (_, start) = rest.rsplit_once('-')?;
    let start = start.parse().ok()?;
    (!asset.is_empty()).then(|| (asset.to_ascii_uppercase(), start))
}

/// Whether a slug is a 15-minute crypto Up/Down market.
pub fn is_15m_slug(slug: &str) -> bool {
    slug.contains("-updown-15m-") && parse_updown_slug(slug).is_some()
}

/// Why a row was not turned into a trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Not a 15-minute market while `only_15m` is on.
    NotFifteenMinute,
    /// Missing or impossible numbers, side or hash.
    Malformed,
}

/// Convert a row. `large_usdc`: the flag threshold.
pub fn to_whale_trade(
    row: &DataApiTrade,
    wallet: &Wallet,
    only_15m: bool,
    large_usdc: f64,
) -> Result<WhaleTrade, Rejected> {
    let slug = if row.slug.is_empty() {
        &row.event_slug
    } else {
        &row.slug
    };
    if only_15m && !is_15m_slug(slug) {
        return Err(Rejected::NotFifteenMinute);
    }
    let side = match row.side.to_ascii_uppercase().as_str() {
        "BUY" => TradeSide::Buy,
        "SELL" => TradeSide::Sell,
        _ => return Err(Rejected::Malformed),
    };
    let ok = |x: f64| x.is_finite() && x >= 0.0;
    if !ok(row.size) || !ok(row.price) || !ok(row.timestamp) || row.transaction_hash.is_empty() {
        return Err(Rejected::Malformed);
    }
    let updown = parse_updown_slug(slug);
    let outcome = match row.outcome.to_ascii_lowercase().as_str() {
        "up" => WhaleOutcome::Up,
        "down" => WhaleOutcome::Down,
        _ if updown.is_some() && row.outcome_index == 0.0 => WhaleOutcome::Up,
        _ if updown.is_some() && row.outcome_index == 1.0 => WhaleOutcome::Down,
        _ => WhaleOutcome::Other,
    };
    // Timestamps are seconds; tolerate milliseconds.
    let mut time_s = row.timestamp as u64;
    if time_s > 100_000_000_000 {
        time_s /= 1000;
    }
    let notional = row.price * row.size;
    let (asset, window_start_s) = match updown {
        Some((a, s)) => (a, Some(s)),
        None => (String::new(), None),
    };
    Ok(WhaleTrade {
        wallet: wallet.name.clone(),
        address: wallet.address.clone(),
        side,
        outcome,
        price: row.price,
        size: row.size,
        notional,
        slug: slug.clone(),
        asset,
        time_s,
        window_start_s,
        secs_into_window: window_start_s.map(|s| time_s.saturating_sub(s)),
        tx_hash: row.transaction_hash.clone(),
        large: notional >= large_usdc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            parse_updown_slug("btc-updown-15m-1767225600"),
            Some(("BTC".into(), 1_767_225_600))
        );
        assert!(is_15m_slug("eth-updown-15m-900"));
        assert!(!is_15m_slug("eth-updown-5m-900"));
        assert!(!is_15m_slug("will-it-rain-tomorrow"));
        assert!(!is_15m_slug("btc-updown-15m-soon"));
    }

    #[test]
    fn numbers_as_strings_or_numbers() {
        let rows = parse_trades(
            br#"[{"side":"BUY","size":"10.5","price":0.5,"timestamp":1,"transactionHash":"0x1","slug":"x","extra":1}]"#,
        )
        .unwrap();
        assert_eq!(rows[0].size, 10.5);
        assert_eq!(rows[0].price, 0.5);
    }
}
