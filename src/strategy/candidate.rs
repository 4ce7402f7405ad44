//! What a strategy sees and what it proposes: the `Strategy` trait and the pricing of one
//! side of a window (limit, visible depth, size, edge net of fees) shared by every strategy.
//!
//! Everything here runs on the pinned `signal` thread per decision: borrowed views, `Copy`
//! results, no allocation.

use serde::Deserialize;

use crate::pipeline::control::FeeParams;
use crate::pipeline::events::{BookTop, Level, Outcome, Side, TokenId, PX_SCALE};
use crate::strategy::book_walk::depth_within_limit;
use crate::strategy::edge::buy_edge;
use crate::strategy::gates::{SkipReason, TradeInputs};
use crate::strategy::sizing::{size_order_e6, SizingConfig, SizingInputs};

/// One outcome token of the window, as the model and the book see it.
#[derive(Clone, Copy, Debug)]
pub struct SideView<'a> {
    pub outcome: Outcome,
    pub book: &'a BookTop,
    /// Model probability of this outcome; NaN without a fair value.
    pub p: f64,
}

/// Everything a strategy may look at for one decision.
#[derive(Clone, Copy, Debug)]
pub struct MarketView<'a> {
    pub has_fair_value: bool,
    /// |ln(S/K)| in basis points.
    pub move_bps: f64,
    pub secs_into_window: f64,
    pub window_len_s: f64,
    pub fees: FeeParams,
    pub min_size_e6: u64,
    pub bankroll_usdc: f64,
    /// Notional the risk limits still allow for this asset and window, USDC.
    pub risk_room_usdc: f64,
    pub risk_ok: bool,
    pub up: Option<SideView<'a>>,
    pub down: Option<SideView<'a>>,
}

impl<'a> MarketView<'a> {
    pub fn sides(&self) -> impl Iterator<Item = SideView<'a>> {
        self.up.into_iter().chain(self.down)
    }
}

/// A proposed buy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub outcome: Outcome,
    pub token: TokenId,
    pub limit_price_e4: u32,
    /// Model probability of the outcome bought.
    pub p: f64,
    /// The numbers the trade gates judged.
    pub inputs: TradeInputs,
}

/// The pinned strategies, by index (carried in `OrderIntent::strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum StrategyKind {
    LatencyArb = 0,
    Sniper = 1,
}

impl StrategyKind {
    pub const ALL: [StrategyKind; 2] = [StrategyKind::LatencyArb, StrategyKind::Sniper];

    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::LatencyArb => "latency_arb",
            StrategyKind::Sniper => "sniper",
        }
    }

    pub fn from_u8(v: u8) -> StrategyKind {
        if v == 1 {
            StrategyKind::Sniper
        } else {
            StrategyKind::LatencyArb
        }
    }
}

/// A trading strategy: looks at one market view, proposes a buy or says why not. `seen` gets
/// the best candidate it priced even when it declines (the dashboard shows its edge).
pub trait Strategy: Send {
    fn kind(&self) -> StrategyKind;
    fn pick(
        &self,
        view: &MarketView<'_>,
        seen: &mut Option<Candidate>,
    ) -> Result<Candidate, SkipReason>;
}

/// The prefix of `asks` (best first) priced at or under `limit`.
#[inline]
pub fn within_limit(asks: &[Level], limit_e4: u32) -> &[Level] {
    let n = asks.iter().take_while(|l| l.price_e4 <= limit_e4).count();
    &asks[..n]
}

/// Price a buy of `side`: limit = best ask + `slippage_ticks`, the depth under it, the size the
/// sizing rules give, and the edge net of fees for that size. `None` without an ask.
#[inline]
pub fn price_side(
    view: &MarketView<'_>,
    side: &SideView<'_>,
    slippage_ticks: u32,
    sizing: &SizingConfig,
) -> Option<Candidate> {
    let ask = side.book.best_ask()?;
    let tick = side.book.tick_e4.max(1) as u32;
    let limit = (ask.price_e4 + slippage_ticks * tick).min(PX_SCALE - tick);
    let asks = within_limit(side.book.asks(), limit);
    let depth = depth_within_limit(asks, Side::Buy, limit);
    let full = buy_edge(side.p, asks, depth, view.fees);
    let inputs = SizingInputs {
        p_outcome: side.p,
        effective_price: full.effective_price(),
        limit_price_e4: limit,
        depth_at_limit_e6: depth,
        bankroll_usdc: view.bankroll_usdc,
        risk_room_usdc: view.risk_room_usdc,
        min_size_e6: view.min_size_e6,
    };
    let size = size_order_e6(sizing, &inputs);
    // Sized to nothing: by the room left, or by the book? The skip reason says which.
    let room_bound = size == 0
        && size_order_e6(
            sizing,
            &SizingInputs {
                risk_room_usdc: f64::INFINITY,
                ..inputs
            },
        ) > 0;
    let e = if size > 0 {
        buy_edge(side.p, asks, size, view.fees)
    } else {
        full
    };
    Some(Candidate {
        outcome: side.outcome,
        token: side.book.token,
        limit_price_e4: limit,
        p: side.p,
        inputs: TradeInputs {
            has_fair_value: view.has_fair_value,
            move_bps: view.move_bps,
            best_bid_e4: side.book.best_bid().map_or(0, |l| l.price_e4),
            best_ask_e4: ask.price_e4,
            p_outcome: side.p,
            edge_per_share: e.edge_per_share,
            depth_at_limit_e6: depth,
            min_size_e6: view.min_size_e6,
            size_e6: size,
            risk_ok: view.risk_ok,
            room_bound,
        },
    })
}
