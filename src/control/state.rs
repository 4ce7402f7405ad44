//! The control side's picture of the system: latest snapshots the API, the dashboard and the
//! demo summary read. Written by the control loop only; readers take the lock briefly. Nothing
//! here is ever touched by a hot thread.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::control::discovery::DiscoveredWindow;
use crate::control::whales::{WhaleBias, WhaleTrade};
use crate::pipeline::events::{BookTop, ExecReport, SpotTick};
use crate::signal::{AccountSnapshot, Settlement, SignalSnapshot};

/// Recent items kept for the API.
pub const RECENT: usize = 500;

#[derive(Default)]
pub struct ControlState {
    pub last_spot: BTreeMap<u8, SpotTick>,
    pub last_oracle: BTreeMap<u8, (f64, u64)>,
    pub last_book: BTreeMap<u16, BookTop>,
    pub last_signal: BTreeMap<u8, SignalSnapshot>,
    pub account: Option<AccountSnapshot>,
    pub windows: Vec<DiscoveredWindow>,
    pub fills: VecDeque<ExecReport>,
    pub settlements: Vec<Settlement>,
    /// Latency percentiles by stage, refreshed by the control loop.
    pub latency: BTreeMap<&'static str, crate::telemetry::StageSummary>,
    /// Recent whale trades, oldest first, bounded by `whales.recent` (the whale poller writes).
    pub whale_trades: VecDeque<WhaleTrade>,
    /// Whale trades published since start: a reader streaming `whale_trade` compares it with
    /// its own count to find the new ones at the back of `whale_trades`.
    pub whale_trades_total: u64,
    /// Net UP vs DOWN notional per wallet name in its current window.
    pub whale_bias: BTreeMap<String, WhaleBias>,
    /// Why and when (wall ms) the kill switch was set; `None` when clear. Written by whoever
    /// sets `Shared::kill` (the API, Telegram `/kill`).
    pub kill_reason: Option<(String, u64)>,
}

impl ControlState {
    pub fn push_fill(&mut self, r: ExecReport) {
        if self.fills.len() == RECENT {
            self.fills.pop_front();
        }
        self.fills.push_back(r);
    }
}

/// The paper account as the summary reports it.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct PaperSummary {
    pub start_cash: f64,
    pub cash: f64,
    pub realized_pnl: f64,
    pub fees_paid: f64,
    pub open_positions: u32,
    pub settled: u32,
    pub wins: u32,
    pub losses: u32,
}

impl From<&AccountSnapshot> for PaperSummary {
    fn from(a: &AccountSnapshot) -> Self {
        PaperSummary {
            start_cash: a.start_cash,
            cash: a.cash,
            realized_pnl: a.realized_pnl,
            fees_paid: a.fees_paid,
            open_positions: a.open_positions,
            settled: a.settled,
            wins: a.wins,
            losses: a.losses,
        }
    }
}
