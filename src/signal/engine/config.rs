//! `[strategy]` in the configuration: gates, sizing, the model's inputs, the strategies
//! enabled per asset, and the settlement timing the engine applies.

use serde::Deserialize;

use crate::strategy::anchor::FairModel;
use crate::strategy::basis::BasisConfig;
use crate::strategy::candidate::StrategyKind;
use crate::strategy::gates::GateConfig;
use crate::strategy::sizing::SizingConfig;
use crate::strategy::sniper::SniperConfig;
use crate::strategy::vol::VolConfig;

/// Strategy settings (`[strategy]` in the configuration).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrategyConfig {
    pub gates: GateConfig,
    pub sizing: SizingConfig,
    pub vol: VolConfig,
    pub basis: BasisConfig,
    /// Limit price = best ask + this many ticks (default 2).
    pub max_slippage_ticks: u32,
    /// Paper account's starting cash, USDC (default 1000).
    pub start_cash: f64,
    /// After a window opens, wait this long for a Chainlink price before taking Binance's
    /// opening price as the strike, flagged (default 5000 ms).
    pub strike_grace_ms: u64,
    /// After a window ends, wait this long for a Chainlink price at or after the end before
    /// settling on the last price seen (default 5000 ms).
    pub settle_grace_ms: u64,
    /// Most positions open at once (default 3).
    pub max_open_positions: u32,
    /// Strategies evaluated for every asset, in order (default `["latency_arb"]`).
    pub enabled: Vec<StrategyKind>,
    /// Per-asset override of `enabled`, by asset name: `BTC = ["latency_arb", "sniper"]`.
    pub per_asset: std::collections::BTreeMap<String, Vec<StrategyKind>>,
    pub sniper: SniperConfig,
    /// Fair value traded on: `"anchored"` (the book's mid before a Binance move plus the move
    /// priced by the model, default) or `"absolute"` (the model's own level).
    pub model: FairModel,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        StrategyConfig {
            gates: GateConfig::default(),
            sizing: SizingConfig::default(),
            vol: VolConfig::default(),
            basis: BasisConfig::default(),
            max_slippage_ticks: 2,
            start_cash: 1000.0,
            strike_grace_ms: 5000,
            settle_grace_ms: 5000,
            max_open_positions: 3,
            enabled: vec![StrategyKind::LatencyArb],
            per_asset: Default::default(),
            sniper: SniperConfig::default(),
            model: FairModel::default(),
        }
    }
}
