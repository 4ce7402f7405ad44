//! The paper account, kept on `signal` so no fill or settlement can be lost to a dropped tap.
//!
//! Positions live in a fixed array indexed by token slot; fills and settlements are a few
//! float operations. Fees on buys are taken in tokens, so a position holds the tokens actually
//! received and its cost is the USDC paid.

use crate::pipeline::events::{AssetId, ExecReport, ExecStatus, Outcome, TokenId, SIZE_SCALE};
use crate::pipeline::registry::MAX_TOKENS;

use super::snapshot::AccountSnapshot;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Position {
    pub asset: AssetId,
    pub token: TokenId,
    pub outcome: Outcome,
    pub window_start_s: u64,
    /// Tokens held (after fees).
    pub tokens: f64,
    /// USDC paid.
    pub cost: f64,
}

#[derive(Clone, Debug)]
pub struct PaperAccount {
    pub start_cash: f64,
    pub cash: f64,
    pub realized_pnl: f64,
    pub fees_paid: f64,
    pub settled: u32,
    pub wins: u32,
    pub losses: u32,
    positions: [Option<Position>; MAX_TOKENS],
}

impl PaperAccount {
    pub fn new(start_cash: f64) -> Self {
        PaperAccount {
            start_cash,
            cash: start_cash,
            realized_pnl: 0.0,
            fees_paid: 0.0,
            settled: 0,
            wins: 0,
            losses: 0,
            positions: [None; MAX_TOKENS],
        }
    }

    /// Book a fill reported by `order`. Returns `false` for a report with nothing filled.
    pub fn apply(&mut self, r: &ExecReport) -> bool {
        if r.filled_e6 == 0 || !matches!(r.status, ExecStatus::Matched | ExecStatus::Delayed) {
            return false;
        }
        let cost = r.cost_e6 as f64 / SIZE_SCALE as f64;
        let tokens = r.received_e6 as f64 / SIZE_SCALE as f64;
        self.cash -= cost;
        self.fees_paid += r.fee_e6 as f64 / SIZE_SCALE as f64;
        let same = |p: &Option<Position>| {
            p.is_some_and(|p| {
                p.asset == r.asset && p.window_start_s == r.window_start_s && p.outcome == r.outcome
            })
        };
        if let Some(p) = self
            .positions
            .iter_mut()
            .find(|p| same(p))
            .and_then(Option::as_mut)
        {
            p.tokens += tokens;
            p.cost += cost;
            return true;
        }
        // A new position: its token's slot if free, else any free slot (a restored position
        // may sit where a new window's token now is).
        let home = r.token.0 as usize % MAX_TOKENS;
        let i = if self.positions[home].is_none() {
            home
        } else {
            match self.positions.iter().position(Option::is_none) {
                Some(i) => i,
                None => home, // 64 open positions: the limits stop far earlier
            }
        };
        self.positions[i] = Some(Position {
            asset: r.asset,
            token: r.token,
            outcome: r.outcome,
            window_start_s: r.window_start_s,
            tokens,
            cost,
        });
        true
    }

    /// Settle every position of `asset`'s window: winning tokens pay 1 USDC each.
    /// Returns (winning tokens, PnL) of the window.
    pub fn settle(&mut self, asset: AssetId, window_start_s: u64, up_won: bool) -> (f64, f64) {
        let (mut paid, mut pnl) = (0.0, 0.0);
        for slot in self.positions.iter_mut() {
            let Some(p) = *slot else { continue };
            if p.asset != asset || p.window_start_s != window_start_s {
                continue;
            }
            let won = (p.outcome == Outcome::Up) == up_won;
            let payout = if won { p.tokens } else { 0.0 };
            self.cash += payout;
            self.realized_pnl += payout - p.cost;
            paid += payout;
            pnl += payout - p.cost;
            self.settled += 1;
            if payout > p.cost {
                self.wins += 1;
            } else {
                self.losses += 1;
            }
            *slot = None;
        }
        (paid, pnl)
    }

    /// Write off every position of `asset`'s window as a loss (an outcome no price can
    /// decide): the slots are freed and the cost is realized. Returns (0, PnL).
    pub fn write_off(&mut self, asset: AssetId, window_start_s: u64) -> (f64, f64) {
        let mut pnl = 0.0;
        for slot in self.positions.iter_mut() {
            let Some(p) = *slot else { continue };
            if p.asset != asset || p.window_start_s != window_start_s {
                continue;
            }
            self.realized_pnl -= p.cost;
            pnl -= p.cost;
            self.settled += 1;
            self.losses += 1;
            *slot = None;
        }
        (0.0, pnl)
    }

    pub fn has_position(&self, asset: AssetId, window_start_s: u64) -> bool {
        self.positions
            .iter()
            .flatten()
            .any(|p| p.asset == asset && p.window_start_s == window_start_s)
    }

    pub fn positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.iter().flatten()
    }

    /// USDC at risk in open positions.
    pub fn open_cost(&self) -> f64 {
        self.positions().map(|p| p.cost).sum()
    }

    pub fn open_cost_of(&self, asset: AssetId) -> f64 {
        self.positions()
            .filter(|p| p.asset == asset)
            .map(|p| p.cost)
            .sum()
    }

    pub fn snapshot(&self, wall_ms: u64) -> AccountSnapshot {
        AccountSnapshot {
            wall_ms,
            start_cash: self.start_cash,
            cash: self.cash,
            realized_pnl: self.realized_pnl,
            fees_paid: self.fees_paid,
            open_positions: self.positions().count() as u32,
            open_cost: self.open_cost(),
            settled: self.settled,
            wins: self.wins,
            losses: self.losses,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(token: u16, outcome: Outcome, cost_e6: u64, received_e6: u64) -> ExecReport {
        ExecReport {
            token: TokenId(token),
            outcome,
            status: ExecStatus::Matched,
            filled_e6: received_e6 + 100_000,
            received_e6,
            cost_e6,
            fee_e6: 50_000,
            window_start_s: 900,
            ..Default::default()
        }
    }

    #[test]
    fn winning_and_losing_positions_settle_at_one_and_zero() {
        let mut a = PaperAccount::new(1000.0);
        assert!(a.apply(&fill(0, Outcome::Up, 5_000_000, 9_900_000)));
        assert!(a.apply(&fill(1, Outcome::Down, 2_000_000, 3_900_000)));
        assert!((a.cash - 993.0).abs() < 1e-9);
        assert!((a.fees_paid - 0.1).abs() < 1e-9);
        let (paid, pnl) = a.settle(AssetId(0), 900, true);
        assert!((paid - 9.9).abs() < 1e-9);
        assert!((pnl - (9.9 - 7.0)).abs() < 1e-9);
        assert!((a.cash - (993.0 + 9.9)).abs() < 1e-9);
        assert_eq!((a.wins, a.losses, a.settled), (1, 1, 2));
        assert_eq!(a.positions().count(), 0);
    }

    #[test]
    fn rejected_or_empty_reports_change_nothing() {
        let mut a = PaperAccount::new(1000.0);
        let mut r = fill(0, Outcome::Up, 5_000_000, 9_900_000);
        r.status = ExecStatus::Rejected;
        assert!(!a.apply(&r));
        r.status = ExecStatus::Matched;
        r.filled_e6 = 0;
        assert!(!a.apply(&r));
        assert_eq!(a.cash, 1000.0);
    }

    #[test]
    fn fills_on_the_same_token_accumulate() {
        let mut a = PaperAccount::new(100.0);
        a.apply(&fill(3, Outcome::Up, 1_000_000, 2_000_000));
        a.apply(&fill(3, Outcome::Up, 1_000_000, 2_000_000));
        let p = a.positions().next().unwrap();
        assert!((p.tokens - 4.0).abs() < 1e-9 && (p.cost - 2.0).abs() < 1e-9);
        assert!((a.open_cost() - 2.0).abs() < 1e-9);
    }
}
