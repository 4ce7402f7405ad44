//! `[live]`: how shadow and live mode post orders, follow them at the venue and redeem.

use serde::Deserialize;

pub use crate::venue::config::LiveVenueConfig;

/// How shadow and live mode post orders (`[live]`, `[live.ladder]`). Slippage is the
/// strategy's `max_slippage_ticks`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// `"FAK"` (default: fill what is there, cancel the rest) or `"FOK"` (all or nothing).
    /// Both are marketable: signed with market-order amounts, at least $1.
    pub order_type: LiveOrderType,
    /// The presigned ladder.
    pub ladder: crate::exec::ladder::LadderConfig,
    /// `[live.venue]`: the order tracker and the venue ledger (live mode).
    pub venue: LiveVenueConfig,
    /// Redeem resolved winning positions automatically (default true; `src/wallet/redeem.rs`).
    /// Off: winning tokens stay in the wallet, shown as redeemable, never as cash.
    pub redeem: bool,
    /// How often the redeemer looks at ended windows, ms (default 10000).
    pub redeem_interval_ms: u64,
    /// The redemption state file (SQLite; what makes redemption idempotent across
    /// restarts). Default `redemptions.sqlite` in the working directory.
    pub redemptions_path: String,
    /// Before each window the CLOB's pUSD balance view is read; below this (pUSD) new orders
    /// pause with an alert until it is back. Default 5.
    pub min_pusd_usdc: f64,
    /// Tag every order with the venue's name for the frame that triggered it and two local
    /// clock stamps (`x-trigger-*` headers), so a simulator on this machine measures the
    /// production command wire to wire (`sim::wire`, `bench/wire`). Default false; refused
    /// unless `venues.clob` is on loopback (the real venue has no use for them).
    pub tag_orders: bool,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            order_type: LiveOrderType::default(),
            ladder: crate::exec::ladder::LadderConfig::default(),
            venue: LiveVenueConfig::default(),
            redeem: true,
            redeem_interval_ms: 10_000,
            redemptions_path: "redemptions.sqlite".into(),
            min_pusd_usdc: 5.0,
            tag_orders: false,
        }
    }
}

/// The venue order type of live orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum LiveOrderType {
    #[default]
    #[serde(rename = "FAK")]
    Fak,
    #[serde(rename = "FOK")]
    Fok,
}

impl From<LiveOrderType> for crate::pipeline::events::OrderType {
    fn from(t: LiveOrderType) -> Self {
        match t {
            LiveOrderType::Fak => crate::pipeline::events::OrderType::Fak,
            LiveOrderType::Fok => crate::pipeline::events::OrderType::Fok,
        }
    }
}
