//! The paper account's P&L as a trader reads it: equity with open positions at their best bid,
//! return on the starting cash, today's PnL (windows that ended today, UTC, plus the open
//! positions' unrealized PnL), win rate and each trade's result.

use serde::Serialize;

use super::{order, positions, px, window_books};
use crate::control::ControlState;
use crate::pipeline::events::Outcome;
use crate::pipeline::registry::AssetTable;

/// One paper trade and how it ended.
#[derive(Clone, Debug, Serialize)]
pub struct TradeResultView {
    pub intent_id: u64,
    pub ts_ms: u64,
    pub asset: String,
    pub window_start_s: u64,
    pub outcome: &'static str,
    pub shares: f64,
    pub avg_price: Option<f64>,
    pub cost: f64,
    /// "won", "lost" or "open".
    pub result: &'static str,
    /// Settled: payout − cost. Open: tokens × best bid − cost, when the book is known.
    pub pnl: Option<f64>,
}

/// The P&L a trader reads first.
#[derive(Clone, Debug, Serialize)]
pub struct PnlView {
    pub start_cash: f64,
    /// Cash plus open positions at their best bid (at cost where no book is known).
    pub equity_at_mark: f64,
    /// equity_at_mark / start_cash − 1.
    pub return_frac: f64,
    /// PnL of the windows that ended today (UTC) plus the open positions' unrealized PnL.
    pub today_pnl: f64,
    pub unrealized_pnl: f64,
    pub win_rate: Option<f64>,
    pub wins: u32,
    pub losses: u32,
    /// The newest trades first (at most 50).
    pub trades: Vec<TradeResultView>,
}

/// The P&L of the paper account at `now_ms`; `None` before its first snapshot.
pub fn pnl(assets: &AssetTable, st: &ControlState, now_ms: u64) -> Option<PnlView> {
    let a = st.account.as_ref()?;
    let open = positions(assets, st);
    let unrealized: f64 = open.iter().filter_map(|p| p.unrealized_pnl).sum();
    let at_mark: f64 = open
        .iter()
        .map(|p| p.mark.map_or(p.cost, |m| p.tokens * m))
        .sum();
    let day_start_s = now_ms / 1000 / 86_400 * 86_400;
    let window_s = st
        .windows
        .first()
        .map_or(0, |w| w.end_s.saturating_sub(w.start_s));
    let today_realized: f64 = st
        .settlements
        .iter()
        .filter(|s| s.window_start_s + window_s >= day_start_s)
        .map(|s| s.pnl)
        .sum();
    let equity_at_mark = a.cash + at_mark;
    let decided = a.wins + a.losses;
    let trades = st
        .fills
        .iter()
        .rev()
        .filter(|r| r.filled_e6 > 0)
        .take(50)
        .map(|r| {
            let o = order(assets, r);
            let settled = st
                .settlements
                .iter()
                .find(|s| s.asset == r.asset && s.window_start_s == r.window_start_s);
            let (result, pnl) = match settled {
                Some(s) => {
                    let won = s.up_won == (r.outcome == Outcome::Up);
                    let payout = if won { o.received } else { 0.0 };
                    (if won { "won" } else { "lost" }, Some(payout - o.cost))
                }
                None => {
                    let (up, down) = window_books(st, r.asset.0, r.window_start_s);
                    let b = if r.outcome == Outcome::Up { up } else { down };
                    let mark = b.and_then(|b| b.best_bid()).map(|l| px(l.price_e4));
                    ("open", mark.map(|m| o.received * m - o.cost))
                }
            };
            TradeResultView {
                intent_id: o.intent_id,
                ts_ms: o.ts_ms,
                asset: o.asset,
                window_start_s: o.window_start_s,
                outcome: o.outcome,
                shares: o.received,
                avg_price: o.avg_price,
                cost: o.cost,
                result,
                pnl,
            }
        })
        .collect();
    Some(PnlView {
        start_cash: a.start_cash,
        equity_at_mark,
        return_frac: if a.start_cash > 0.0 {
            equity_at_mark / a.start_cash - 1.0
        } else {
            0.0
        },
        today_pnl: today_realized + unrealized,
        unrealized_pnl: unrealized,
        win_rate: (decided > 0).then(|| a.wins as f64 / decided as f64),
        wins: a.wins,
        losses: a.losses,
        trades,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::events::{AssetId, ExecReport, ExecStatus};
    use crate::signal::{AccountSnapshot, Settlement};

    #[test]
    fn pnl_marks_open_positions_and_scores_settled_trades() {
        let assets = AssetTable::from_names(&["BTC"]).unwrap();
        let mut st = ControlState::default();
        assert!(pnl(&assets, &st, 0).is_none());
        st.account = Some(AccountSnapshot {
            start_cash: 100.0,
            cash: 94.7,
            wins: 0,
            losses: 1,
            ..Default::default()
        });
        st.push_fill(ExecReport {
            intent_id: 1,
            asset: AssetId(0),
            outcome: Outcome::Up,
            status: ExecStatus::Matched,
            filled_e6: 10_000_000,
            received_e6: 10_000_000,
            cost_e6: 5_300_000,
            window_start_s: 86_400,
            ..Default::default()
        });
        st.settlements.push(Settlement {
            asset: AssetId(0),
            window_start_s: 86_400,
            up_won: false,
            pnl: -5.3,
            ..Default::default()
        });
        let p = pnl(&assets, &st, 86_400_000 + 1_000_000).unwrap();
        assert_eq!(p.trades.len(), 1);
        assert_eq!(p.trades[0].result, "lost");
        assert!((p.trades[0].pnl.unwrap() + 5.3).abs() < 1e-9);
        assert!((p.equity_at_mark - 94.7).abs() < 1e-9);
        assert!((p.return_frac + 0.053).abs() < 1e-9);
        assert!((p.today_pnl + 5.3).abs() < 1e-9);
        assert_eq!(p.win_rate, Some(0.0));
        // The next UTC day's PnL starts from zero.
        let next_day = pnl(&assets, &st, 2 * 86_400_000 + 1_000_000).unwrap();
        assert_eq!(next_day.today_pnl, 0.0);
    }
}
