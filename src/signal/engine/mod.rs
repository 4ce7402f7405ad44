//! The decision engine: market state per asset, window and token, fair value, edge, gates,
//! sizing, the risk book's last word, and the paper account.
//!
//! A pure state machine driven by [`Engine::step`]: each input carries its own time (the
//! engine never reads a clock), nothing here does I/O, and after construction nothing
//! allocates: fixed arrays indexed by `AssetId` / `TokenId`, `Copy` state. The same code runs
//! under every driver: the `signal` thread, the run-to-completion hot thread, replay, tests.
//! The strategy math lives in `crate::strategy`; this module gathers its inputs and keeps
//! state. One idea per file:
//!
//! - [`step`]: the driver-facing input/output types and `step` itself;
//! - `config`: `[strategy]`; `state`: per-asset, per-window, per-token state;
//! - `windows`: window set-up, restore and tear-down; `market`: market data in;
//! - `decide`: one decision; `orders`: approval and execution reports;
//! - `settle`: strike fallbacks and settlements.

mod config;
mod decide;
mod market;
mod orders;
mod settle;
mod state;
pub mod step;
#[cfg(test)]
mod tests;
mod windows;

pub use config::StrategyConfig;
pub use step::{At, Gate, Input, Outputs, Step, MAX_SETTLEMENTS};

use crate::pipeline::events::{OrderIntent, Outcome, TokenId, WireStamps};
use crate::pipeline::registry::{AssetTable, MAX_ASSETS, MAX_TOKENS};
use crate::risk::{RiskBook, RiskConfig};
use crate::strategy::basis::BasisEma;
use crate::strategy::latency_arb::LatencyArb;
use crate::strategy::sniper::Sniper;
use crate::strategy::vol::VolEstimator;

use super::account::PaperAccount;
use super::snapshot::SignalSnapshot;
use state::{AssetState, TokenState, ORACLE_HISTORY, WINDOW_SLOTS};

/// The decision after one event: always a snapshot, sometimes an intent.
#[derive(Clone, Copy, Debug)]
pub struct Decision {
    pub snapshot: SignalSnapshot,
    pub intent: Option<OrderIntent>,
}

pub struct Engine {
    cfg: StrategyConfig,
    latency_arb: LatencyArb,
    sniper: Sniper,
    /// Per asset: bit `StrategyKind as u8` set when enabled.
    enabled: [u8; MAX_ASSETS],
    assets: [AssetState; MAX_ASSETS],
    n_assets: usize,
    tokens: [Option<TokenState>; MAX_TOKENS],
    pub account: PaperAccount,
    /// Pre-trade limits and breakers (DESIGN §6).
    pub risk: RiskBook,
    next_intent_id: u64,
    open_orders: u32,
}

impl Engine {
    /// `now_wall_ms`: the wall clock of the first input (the machine's clock live, the
    /// recording's first line in replay): it starts the risk book's trading day. The engine
    /// never reads a clock itself.
    pub fn new(
        cfg: StrategyConfig,
        risk: RiskConfig,
        assets: &AssetTable,
        now_wall_ms: u64,
    ) -> Engine {
        let n_assets = assets.len();
        let mut enabled = [0u8; MAX_ASSETS];
        for (id, a) in assets.iter() {
            let list = cfg
                .per_asset
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&a.name))
                .map_or(&cfg.enabled, |(_, v)| v);
            for k in list {
                enabled[id.0 as usize] |= 1 << (*k as u8);
            }
        }
        let proto = AssetState {
            spot: f64::NAN,
            spot_ns: 0,
            spot_stamps: WireStamps::default(),
            spot_wall_ms: 0,
            oracle: (f64::NAN, 0),
            vol: VolEstimator::new(&cfg.vol),
            basis: BasisEma::new(&cfg.basis),
            windows: [None; WINDOW_SLOTS],
            oracle_hist: [(0, f64::NAN); ORACLE_HISTORY],
            oracle_next: 0,
        };
        Engine {
            account: PaperAccount::new(cfg.start_cash),
            risk: RiskBook::new(risk, cfg.start_cash, now_wall_ms),
            latency_arb: LatencyArb {
                gates: cfg.gates,
                sizing: cfg.sizing,
                slippage_ticks: cfg.max_slippage_ticks,
            },
            sniper: Sniper::new(cfg.sniper, &cfg.gates, cfg.sizing, cfg.max_slippage_ticks),
            enabled,
            cfg,
            assets: [proto; MAX_ASSETS],
            n_assets: n_assets.min(MAX_ASSETS),
            tokens: [None; MAX_TOKENS],
            next_intent_id: 1,
            open_orders: 0,
        }
    }

    pub fn config(&self) -> &StrategyConfig {
        &self.cfg
    }

    /// Tokens currently followed (for tests and the dashboard).
    pub fn token_outcome(&self, token: TokenId) -> Option<Outcome> {
        self.tokens.get(token.0 as usize)?.map(|t| t.outcome)
    }
}
