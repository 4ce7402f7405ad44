//! What the control loop hands the journal: one owned [`JournalEvent`] per row.
//!
//! Hot structs travel as they are (`Copy`); the names that make a row readable and stable
//! across restarts (the asset's name, the venue's token id) ride beside them, because token
//! slots are reused and asset indexes depend on the configuration.

use crate::pipeline::events::{ExecReport, OrderIntent};
use crate::pipeline::shared::Mode;
use crate::risk::{BreakerKind, BreakerTrip};
use crate::signal::{AccountSnapshot, Settlement, SignalSnapshot};

/// An order intent sent by `signal` (table `orders`).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRecord {
    pub wall_ms: u64,
    pub intent: OrderIntent,
    /// Asset name (`BTC`).
    pub asset: String,
    /// The venue's token id (the uint256 in decimal).
    pub token_id: String,
    pub mode: Mode,
    /// The would-be order JSON in `shadow` mode, the posted body in `live`.
    pub order_json: Option<String>,
}

/// A response to an order: fill, no fill or reject (table `responses`).
#[derive(Clone, Debug, PartialEq)]
pub struct ExecRecord {
    pub wall_ms: u64,
    pub report: ExecReport,
    pub asset: String,
    pub token_id: String,
}

/// A settled window (table `settlements`).
#[derive(Clone, Debug, PartialEq)]
pub struct SettlementRecord {
    pub wall_ms: u64,
    pub settlement: Settlement,
    pub asset: String,
}

/// A sampled decision with its skip reason (table `signals`). Which decisions to keep is the
/// caller's choice (e.g. every Nth per asset, plus every one that traded).
#[derive(Clone, Debug, PartialEq)]
pub struct SignalRecord {
    pub snapshot: SignalSnapshot,
    pub asset: String,
}

/// An operator or breaker action (table `control_actions`).
#[derive(Clone, Debug, PartialEq)]
pub enum ControlAction {
    /// The kill switch was set (`active`) or cleared, and why.
    KillSwitch { active: bool, reason: String },
    /// The trading mode changed, and why.
    Mode { mode: Mode, reason: String },
    /// A breaker tripped (its message is stored).
    BreakerTripped(BreakerTrip),
    /// A breaker re-armed (by itself, or by a manual reset).
    BreakerRearmed { kind: BreakerKind, manual: bool },
}

impl ControlAction {
    /// Stable name stored in `control_actions.action`.
    pub fn name(&self) -> &'static str {
        match self {
            ControlAction::KillSwitch { .. } => "kill_switch",
            ControlAction::Mode { .. } => "mode",
            ControlAction::BreakerTripped(_) => "breaker_tripped",
            ControlAction::BreakerRearmed { .. } => "breaker_rearmed",
        }
    }
}

/// One row for the journal.
#[derive(Clone, Debug, PartialEq)]
pub enum JournalEvent {
    /// Boxed: an intent carries the book it was decided on.
    Order(Box<OrderRecord>),
    Exec(ExecRecord),
    Settlement(SettlementRecord),
    Account(AccountSnapshot),
    Control {
        wall_ms: u64,
        action: ControlAction,
    },
    Signal(SignalRecord),
}
