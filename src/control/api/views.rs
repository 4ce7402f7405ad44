//! The JSON shapes the REST endpoints and `/ws` share, built from the control state.
//!
//! Builders take the locked state by reference and copy out plain values; callers serialise
//! after releasing the lock. Prices are decimals (Polymarket 0–1, spot in quote currency),
//! sizes in shares or USDC, times in unix ms or s as the name says. Non-finite numbers
//! serialise as `null`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::control::candles::Candle;
use crate::control::discovery::DiscoveredWindow;
use crate::control::state::LiveOrder;
use crate::control::ControlState;
use crate::pipeline::events::{
    BookTop, ExecReport, ExecStatus, Level, Outcome, SpotKind, SpotTick, PX_SCALE, SIZE_SCALE,
};
use crate::pipeline::registry::AssetTable;
use crate::signal::{AccountSnapshot, Settlement, SignalSnapshot};

mod pnl;
pub use pnl::{pnl, PnlView, TradeResultView};

/// Seconds in a year, for the annualised volatility.
const YEAR_S: f64 = 365.25 * 86_400.0;

pub fn asset_name(assets: &AssetTable, id: u8) -> String {
    assets
        .get(crate::pipeline::events::AssetId(id))
        .map_or_else(|| format!("#{id}"), |a| a.name.clone())
}

fn px(e4: u32) -> f64 {
    e4 as f64 / PX_SCALE as f64
}

fn sz(e6: u64) -> f64 {
    e6 as f64 / SIZE_SCALE as f64
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Up => "up",
        Outcome::Down => "down",
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct MomentumView {
    pub asset: String,
    pub ts_ms: u64,
    pub window_start_s: u64,
    pub spot: f64,
    pub model_spot: f64,
    pub strike: f64,
    /// "chainlink", or "binance" when no Chainlink price was seen at the window's start.
    pub strike_source: &'static str,
    /// Latest Chainlink price, if any.
    pub oracle: Option<f64>,
    pub move_bps: f64,
    pub tau_s: f64,
    pub sigma_per_sqrt_s: f64,
    pub sigma_annual: f64,
    /// Model probability of UP.
    pub p_up: f64,
    pub up_ask: Option<f64>,
    pub down_ask: Option<f64>,
    /// Edge per share net of fees for `side`.
    pub edge: f64,
    pub side: &'static str,
    /// "trade" or "skip".
    pub decision: &'static str,
    pub skip_reason: Option<&'static str>,
}

pub fn momentum(assets: &AssetTable, s: &SignalSnapshot, oracle: Option<f64>) -> MomentumView {
    let ask = |e4: u32| (e4 > 0).then(|| px(e4));
    MomentumView {
        asset: asset_name(assets, s.asset.0),
        ts_ms: s.wall_ms,
        window_start_s: s.window_start_s,
        spot: s.spot,
        model_spot: s.model_spot,
        strike: s.strike,
        strike_source: if s.strike_fallback {
            "binance"
        } else {
            "chainlink"
        },
        oracle,
        move_bps: (s.spot / s.strike - 1.0) * 1e4,
        tau_s: s.tau_s,
        sigma_per_sqrt_s: s.sigma_per_sqrt_s,
        sigma_annual: s.sigma_per_sqrt_s * YEAR_S.sqrt(),
        p_up: s.p_up,
        up_ask: ask(s.up_ask_e4),
        down_ask: ask(s.down_ask_e4),
        edge: s.edge,
        side: outcome_name(s.side),
        decision: if s.skip.is_none() { "trade" } else { "skip" },
        skip_reason: s.skip.map(|r| r.name()),
    }
}

pub fn momentum_all(assets: &AssetTable, st: &ControlState) -> Vec<MomentumView> {
    st.last_signal
        .values()
        .map(|s| momentum(assets, s, st.last_oracle.get(&s.asset.0).map(|o| o.0)))
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct BookView {
    pub best_bid: Option<f64>,
    pub best_ask: Option<f64>,
    pub mid: Option<f64>,
    /// `[price, shares]`, best first.
    pub bids: Vec<[f64; 2]>,
    pub asks: Vec<[f64; 2]>,
    pub tick: f64,
    pub ts_ms: u64,
}

pub fn book(b: &BookTop) -> BookView {
    let lv = |l: &[Level]| l.iter().map(|l| [px(l.price_e4), sz(l.size_e6)]).collect();
    let best_bid = b.best_bid().map(|l| px(l.price_e4));
    let best_ask = b.best_ask().map(|l| px(l.price_e4));
    BookView {
        best_bid,
        best_ask,
        mid: best_bid.zip(best_ask).map(|(b, a)| (b + a) / 2.0),
        bids: lv(b.bids()),
        asks: lv(b.asks()),
        tick: b.tick_e4 as f64 / PX_SCALE as f64,
        ts_ms: b.venue_ts_ms,
    }
}

/// The books of a window's UP and DOWN tokens, when known.
pub fn window_books(
    st: &ControlState,
    asset: u8,
    start_s: u64,
) -> (Option<&BookTop>, Option<&BookTop>) {
    match st.window_tokens.get(&(asset, start_s)) {
        Some((up, down)) => (st.last_book.get(up), st.last_book.get(down)),
        None => (None, None),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct WindowView {
    pub asset: String,
    pub slug: String,
    pub question: String,
    pub condition_id: String,
    pub start_s: u64,
    pub end_s: u64,
    /// "upcoming", "open" or "closed".
    pub status: &'static str,
    pub up_token: String,
    pub down_token: String,
    pub tick: f64,
    pub min_size: f64,
    pub fee_rate: f64,
    pub neg_risk: bool,
    /// The window's strike (its open price), once `signal` has it.
    pub strike: Option<f64>,
    pub up: Option<BookView>,
    pub down: Option<BookView>,
}

pub fn window(
    assets: &AssetTable,
    st: &ControlState,
    w: &DiscoveredWindow,
    now_s: u64,
) -> WindowView {
    let (up, down) = window_books(st, w.asset.0, w.start_s);
    let strike = st
        .last_signal
        .get(&w.asset.0)
        .filter(|s| s.window_start_s == w.start_s && s.strike.is_finite())
        .map(|s| s.strike);
    WindowView {
        asset: asset_name(assets, w.asset.0),
        slug: w.slug.clone(),
        question: w.question.clone(),
        condition_id: w.condition_id.clone(),
        start_s: w.start_s,
        end_s: w.end_s,
        status: if now_s < w.start_s {
            "upcoming"
        } else if now_s < w.end_s {
            "open"
        } else {
            "closed"
        },
        up_token: w.up_token.clone(),
        down_token: w.down_token.clone(),
        tick: w.tick_e4 as f64 / PX_SCALE as f64,
        min_size: sz(w.min_size_e6),
        fee_rate: w.fees.rate,
        neg_risk: w.neg_risk,
        strike,
        up: up.map(book),
        down: down.map(book),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct AccountView {
    pub ts_ms: u64,
    pub start_cash: f64,
    pub cash: f64,
    /// Cash plus the cost of open positions.
    pub equity_at_cost: f64,
    pub realized_pnl: f64,
    pub fees_paid: f64,
    pub open_positions: u32,
    pub open_cost: f64,
    pub settled: u32,
    pub wins: u32,
    pub losses: u32,
    pub win_rate: Option<f64>,
}

pub fn account(a: &AccountSnapshot) -> AccountView {
    let decided = a.wins + a.losses;
    AccountView {
        ts_ms: a.wall_ms,
        start_cash: a.start_cash,
        cash: a.cash,
        equity_at_cost: a.cash + a.open_cost,
        realized_pnl: a.realized_pnl,
        fees_paid: a.fees_paid,
        open_positions: a.open_positions,
        open_cost: a.open_cost,
        settled: a.settled,
        wins: a.wins,
        losses: a.losses,
        win_rate: (decided > 0).then(|| a.wins as f64 / decided as f64),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct OrderView {
    pub intent_id: u64,
    pub asset: String,
    pub outcome: &'static str,
    pub side: &'static str,
    /// "matched", "delayed", "unmatched" or "rejected".
    pub status: &'static str,
    pub window_start_s: u64,
    pub filled: f64,
    /// Tokens received after the fee taken in shares.
    pub received: f64,
    pub cost: f64,
    pub fee: f64,
    pub avg_price: Option<f64>,
    /// Decision → executed, µs.
    pub exec_us: f64,
    /// When it executed, unix ms (the monotonic stamp brought to the wall clock now).
    pub ts_ms: u64,
}

pub fn order(assets: &AssetTable, r: &ExecReport) -> OrderView {
    OrderView {
        intent_id: r.intent_id,
        asset: asset_name(assets, r.asset.0),
        outcome: outcome_name(r.outcome),
        side: "buy",
        status: match r.status {
            ExecStatus::Matched => "matched",
            ExecStatus::Delayed => "delayed",
            ExecStatus::Unmatched => "unmatched",
            ExecStatus::Rejected => "rejected",
        },
        window_start_s: r.window_start_s,
        filled: sz(r.filled_e6),
        received: sz(r.received_e6),
        cost: sz(r.cost_e6),
        fee: sz(r.fee_e6),
        avg_price: (r.filled_e6 > 0).then(|| r.cost_e6 as f64 / r.filled_e6 as f64),
        exec_us: r.done_ns.saturating_sub(r.decision_ns) as f64 / 1e3,
        ts_ms: crate::clock::wall_ms()
            .saturating_sub(crate::clock::mono_ns().saturating_sub(r.done_ns) / 1_000_000),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PositionView {
    pub asset: String,
    pub window_start_s: u64,
    pub outcome: &'static str,
    /// Tokens held.
    pub tokens: f64,
    pub cost: f64,
    pub avg_price: f64,
    /// Best bid of the token now, if its book is known.
    pub mark: Option<f64>,
    /// tokens × mark − cost.
    pub unrealized_pnl: Option<f64>,
}

/// Open positions: fills of windows not settled yet, by (asset, window, outcome).
pub fn positions(assets: &AssetTable, st: &ControlState) -> Vec<PositionView> {
    let mut acc: BTreeMap<(u8, u64, u8), (f64, f64)> = BTreeMap::new();
    for r in st
        .restored_positions
        .iter()
        .chain(st.fills.iter())
        .filter(|r| r.received_e6 > 0)
    {
        let settled = st
            .settlements
            .iter()
            .any(|s| s.asset == r.asset && s.window_start_s == r.window_start_s);
        if settled {
            continue;
        }
        let e = acc
            .entry((r.asset.0, r.window_start_s, r.outcome as u8))
            .or_default();
        e.0 += sz(r.received_e6);
        e.1 += sz(r.cost_e6);
    }
    acc.into_iter()
        .map(|((asset, start, o), (tokens, cost))| {
            let outcome = if o == Outcome::Up as u8 {
                Outcome::Up
            } else {
                Outcome::Down
            };
            let (up, down) = window_books(st, asset, start);
            let b = if outcome == Outcome::Up { up } else { down };
            let mark = b.and_then(|b| b.best_bid()).map(|l| px(l.price_e4));
            PositionView {
                asset: asset_name(assets, asset),
                window_start_s: start,
                outcome: outcome_name(outcome),
                tokens,
                cost,
                avg_price: if tokens > 0.0 { cost / tokens } else { 0.0 },
                mark,
                unrealized_pnl: mark.map(|m| tokens * m - cost),
            }
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct SettlementView {
    pub asset: String,
    pub window_start_s: u64,
    pub strike: f64,
    pub end_price: f64,
    /// "up" or "down".
    pub winner: &'static str,
    pub winning_tokens: f64,
    pub pnl: f64,
    pub strike_source: &'static str,
}

pub fn settlement(assets: &AssetTable, s: &Settlement) -> SettlementView {
    SettlementView {
        asset: asset_name(assets, s.asset.0),
        window_start_s: s.window_start_s,
        strike: s.strike,
        end_price: s.end_price,
        winner: if s.up_won { "up" } else { "down" },
        winning_tokens: s.winning_tokens,
        pnl: s.pnl,
        strike_source: if s.strike_fallback {
            "binance"
        } else {
            "chainlink"
        },
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TradeView {
    pub asset: String,
    pub price: f64,
    pub qty: f64,
    /// "trade" or "book_ticker" (mid of best bid/ask).
    pub kind: &'static str,
    pub ts_ms: u64,
    pub seq: u64,
}

pub fn trade(assets: &AssetTable, t: &SpotTick) -> TradeView {
    TradeView {
        asset: asset_name(assets, t.asset.0),
        price: t.price(),
        qty: t.qty_e8 as f64 / 1e8,
        kind: match t.kind {
            SpotKind::Trade => "trade",
            SpotKind::BookTicker => "book_ticker",
        },
        ts_ms: t.venue_ts_ms,
        seq: t.seq,
    }
}

/// One candle as the API and the chart use it (`time` in unix seconds).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CandleView {
    pub time: u64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

pub fn candle(c: &Candle) -> CandleView {
    CandleView {
        time: c.open_ms / 1000,
        open: c.open,
        high: c.high,
        low: c.low,
        close: c.close,
        volume: c.volume,
    }
}

/// A live order with its asset named (the control loop records the asset's index).
pub fn live_order(assets: &AssetTable, o: &LiveOrder) -> LiveOrder {
    let mut o = o.clone();
    if let Some(id) = o.asset_id {
        o.asset = asset_name(assets, id);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::events::AssetId;

    #[test]
    fn live_orders_are_named_by_asset_and_counted_apart_from_paper() {
        let assets = AssetTable::from_names(&["BTC", "ETH"]).unwrap();
        let mut st = ControlState::default();
        for status in [ExecStatus::Matched, ExecStatus::Rejected] {
            st.push_live_report(&ExecReport {
                intent_id: 3,
                asset: AssetId(1),
                outcome: Outcome::Down,
                status,
                filled_e6: 2_000_000,
                cost_e6: 1_000_000,
                ..Default::default()
            });
        }
        // A paper fill is not a live order.
        st.push_fill(ExecReport::default());
        let o = live_order(&assets, st.live_orders.back().unwrap());
        assert_eq!(o.asset, "ETH");
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["asset"], "ETH");
        assert!(v.get("asset_id").is_none());
        assert_eq!(
            st.live_counts,
            crate::control::state::LiveCounts {
                sent: 2,
                filled: 1,
                rejected: 1
            }
        );
    }
}
