//! What `signal` tells the control side about each decision, and about settled windows.

use crate::pipeline::events::{AssetId, Outcome};
use crate::strategy::gates::SkipReason;

/// One evaluated decision (trade or skip), for the momentum panel, the journal and counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SignalSnapshot {
    pub asset: AssetId,
    pub wall_ms: u64,
    pub window_start_s: u64,
    pub spot: f64,
    /// Basis-corrected spot used by the model.
    pub model_spot: f64,
    pub strike: f64,
    /// The strike came from Binance because no Chainlink price was seen at window start.
    pub strike_fallback: bool,
    pub tau_s: f64,
    pub sigma_per_sqrt_s: f64,
    /// P(UP) traded on (the configured model's).
    pub p_up: f64,
    /// The absolute model's P(UP) (settlement-rule aware); NaN when not computed.
    pub p_model: f64,
    /// The market-anchored P(UP); NaN without a two-sided book.
    pub p_anchored: f64,
    /// The book's P(UP): the UP mid, else one minus the DOWN mid; NaN without one.
    pub mid_up: f64,
    pub up_ask_e4: u32,
    pub down_ask_e4: u32,
    /// Edge per share net of fees for the better side; NaN when not computed.
    pub edge: f64,
    pub side: Outcome,
    /// `None`: an order intent was sent.
    pub skip: Option<SkipReason>,
}

/// A window's settlement in the paper account.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Settlement {
    pub asset: AssetId,
    pub window_start_s: u64,
    pub strike: f64,
    pub end_price: f64,
    pub up_won: bool,
    /// Tokens held that paid 1 USDC.
    pub winning_tokens: f64,
    /// Realized PnL of the window's positions, USDC.
    pub pnl: f64,
    pub strike_fallback: bool,
    /// Where the end price came from; anything but `Oracle` is flagged in the journal and
    /// the API.
    pub source: SettleSource,
}

/// How a window's outcome was decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SettleSource {
    /// A Chainlink price at or just after the window's end (within the settle grace).
    #[default]
    Oracle,
    /// No Chainlink price after the end within the grace (an oracle outage): the last price
    /// seen during the window (Chainlink's, else Binance's) decided it. May be wrong.
    Stale,
    /// No price from the window's time is known (it ended while the process was down, or it
    /// never had a strike): its positions are written off as losses so their slots and
    /// exposure are freed. `up_won` means nothing; the venue's resolution must be checked.
    Unresolved,
}

impl SettleSource {
    /// Stable name (journal column `price_source`, API).
    pub const fn name(self) -> &'static str {
        match self {
            SettleSource::Oracle => "oracle",
            SettleSource::Stale => "stale",
            SettleSource::Unresolved => "unresolved",
        }
    }

    pub fn parse(s: &str) -> Option<SettleSource> {
        match s {
            "oracle" => Some(SettleSource::Oracle),
            "stale" => Some(SettleSource::Stale),
            "unresolved" => Some(SettleSource::Unresolved),
            _ => None,
        }
    }
}

/// The paper account's state after a change.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AccountSnapshot {
    pub wall_ms: u64,
    pub start_cash: f64,
    pub cash: f64,
    pub realized_pnl: f64,
    pub fees_paid: f64,
    pub open_positions: u32,
    pub open_cost: f64,
    pub settled: u32,
    pub wins: u32,
    pub losses: u32,
}

/// Everything on `signal`'s tap.
// Ring cells are fixed-size; boxing the large variant would allocate on the hot thread.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SignalTap {
    Decision(SignalSnapshot),
    /// An intent sent to `order` (for the journal and the API).
    Intent(crate::pipeline::events::OrderIntent),
    Settled(Settlement),
    Account(AccountSnapshot),
    /// A breaker tripped or re-armed.
    Breaker(crate::risk::BreakerEvent),
}
