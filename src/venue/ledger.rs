//! The venue ledger: what the wallet holds according to the venue, apart from the paper
//! account. Cash (pUSD) and positions move only on CONFIRMED trades, with the venue's fee
//! rule ([`super::fees`]); a trade that is only MATCHED (or MINED, RETRYING) is *pending*:
//! it counts as exposure but not as cash or position, and leaves when it is CONFIRMED (booked)
//! or FAILED (unbooked: it never touches cash). Booking is idempotent by trade id, so a trade
//! seen on the user channel and again through `GET /data/trades` is booked once.
//!
//! Winning tokens are not cash until redeemed: [`VenueLedger::on_redeemed`] is the entry
//! point the redemption service calls with the payout it saw on chain.
//!
//! All amounts are integers in micro-units (1e-6 pUSD, 1e-6 shares).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::fees::FeeRule;
use super::wire::{TradeSide, VenueTrade};

/// One outcome token held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Holding {
    /// Shares held (1e-6).
    pub shares_u6: u64,
    /// pUSD paid for them, fees included (1e-6).
    pub cost_u6: u64,
}

/// What a trade moved, as booked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Booked {
    pub notional_u6: u64,
    pub fee_u6: u64,
    pub fee_tokens_u6: u64,
}

/// The ledger's numbers, for the API and the risk limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerView {
    pub cash_u6: u64,
    pub start_cash_u6: u64,
    /// token id → holding.
    pub positions: BTreeMap<String, Holding>,
    pub fees_u6: u64,
    pub realized_pnl_u6: i64,
    /// pUSD of trades matched and not yet final.
    pub pending_notional_u6: u64,
    pub pending_trades: usize,
    /// pUSD paid for positions held in markets still trading (at cost).
    pub open_cost_u6: u64,
    /// pUSD paid for positions whose market has ended, awaiting resolution and redemption
    /// (not cash until redeemed; not market exposure either).
    pub ended_cost_u6: u64,
    pub confirmed_trades: usize,
    pub failed_trades: usize,
    pub redeemed_u6: u64,
    /// Markets closed (redeemed or sold out) at a loss in a row.
    pub loss_streak: u32,
    /// The last cross-check with the Data API's positions (`None`: off or not run yet);
    /// set by the `venue` thread, not by the ledger.
    pub positions_check: Option<super::crosscheck::PositionsCheck>,
}

#[derive(Clone, Debug)]
pub struct VenueLedger {
    cash_u6: u64,
    start_cash_u6: u64,
    positions: BTreeMap<String, Holding>,
    fees_u6: u64,
    realized_pnl_u6: i64,
    pending: BTreeMap<String, VenueTrade>,
    booked: BTreeSet<String>,
    failed: BTreeSet<String>,
    fee_rules: BTreeMap<String, FeeRule>,
    default_fees: FeeRule,
    redeemed_u6: u64,
    loss_streak: u32,
    /// When each token's market ends (Unix s), as discovery says.
    ends: BTreeMap<String, u64>,
    /// Each traded token's market (condition id), from its trades: a redemption closes them.
    markets: BTreeMap<String, String>,
    /// Markets closed by a redemption or a loss: a trade of theirs confirmed afterwards (it
    /// matched before the window resolved) is closed as soon as it is booked.
    closed: BTreeSet<String>,
}

impl VenueLedger {
    /// A ledger opened on the wallet's pUSD balance as the venue reports it.
    pub fn new(cash_u6: u64, default_fees: FeeRule) -> VenueLedger {
        VenueLedger {
            cash_u6,
            start_cash_u6: cash_u6,
            positions: BTreeMap::new(),
            fees_u6: 0,
            realized_pnl_u6: 0,
            pending: BTreeMap::new(),
            booked: BTreeSet::new(),
            failed: BTreeSet::new(),
            fee_rules: BTreeMap::new(),
            default_fees,
            redeemed_u6: 0,
            loss_streak: 0,
            ends: BTreeMap::new(),
            markets: BTreeMap::new(),
            closed: BTreeSet::new(),
        }
    }

    /// The fee schedule of the market `token` belongs to.
    pub fn set_fee_rule(&mut self, token: &str, rule: FeeRule) {
        self.fee_rules.insert(token.to_string(), rule);
    }

    /// When `token`'s market ends (Unix s): its position stops counting as exposure then.
    pub fn set_market_end(&mut self, token: &str, end_s: u64) {
        self.ends.insert(token.to_string(), end_s);
    }

    fn rule(&self, token: &str) -> FeeRule {
        self.fee_rules
            .get(token)
            .copied()
            .unwrap_or(self.default_fees)
    }

    /// Whether this trade id was booked or failed already.
    pub fn is_final(&self, trade_id: &str) -> bool {
        self.booked.contains(trade_id) || self.failed.contains(trade_id)
    }

    /// A trade matched (or mined, retrying): pending, counted as exposure only.
    pub fn on_pending(&mut self, t: &VenueTrade) {
        if !self.is_final(&t.id) {
            self.pending.insert(t.id.clone(), t.clone());
        }
    }

    /// A trade CONFIRMED: cash and position move, once. Returns what was booked (`None` if
    /// it was booked or failed before).
    pub fn on_confirmed(&mut self, t: &VenueTrade) -> Option<Booked> {
        if self.is_final(&t.id) {
            return None;
        }
        self.pending.remove(&t.id);
        self.booked.insert(t.id.clone());
        if !t.market.is_empty() {
            self.markets.insert(t.token.clone(), t.market.clone());
        }
        let notional_u6 = t.notional_u6();
        let fee_u6 = self.rule(&t.token).fee_u6(t.size_u6, t.price_u6, t.taker);
        let h = self.positions.entry(t.token.clone()).or_default();
        let booked = match t.side {
            TradeSide::Buy => {
                let fee_tokens_u6 = FeeRule::fee_in_tokens_u6(fee_u6, t.price_u6);
                self.cash_u6 = self.cash_u6.saturating_sub(notional_u6);
                h.shares_u6 += t.size_u6.saturating_sub(fee_tokens_u6);
                h.cost_u6 += notional_u6;
                Booked {
                    notional_u6,
                    fee_u6,
                    fee_tokens_u6,
                }
            }
            TradeSide::Sell => {
                let sold = t.size_u6.min(h.shares_u6);
                let cost_out = if h.shares_u6 == 0 {
                    0
                } else {
                    u64::try_from(
                        u128::from(h.cost_u6) * u128::from(sold) / u128::from(h.shares_u6),
                    )
                    .unwrap_or(h.cost_u6)
                };
                h.shares_u6 -= sold;
                h.cost_u6 -= cost_out;
                let proceeds = notional_u6.saturating_sub(fee_u6);
                self.cash_u6 += proceeds;
                self.realized_pnl_u6 += proceeds as i64 - cost_out as i64;
                Booked {
                    notional_u6,
                    fee_u6,
                    fee_tokens_u6: 0,
                }
            }
        };
        if h.shares_u6 == 0 && h.cost_u6 == 0 {
            self.positions.remove(&t.token);
        }
        let closed = self
            .markets
            .get(&t.token)
            .is_some_and(|m| self.closed.contains(m));
        if closed {
            // Its market was redeemed (the chain burnt these tokens with the rest, and paid
            // for them then) or lost: what it cost is realized now.
            if let Some(h) = self.positions.remove(&t.token) {
                self.realized_pnl_u6 -= h.cost_u6 as i64;
            }
        }
        self.fees_u6 += fee_u6;
        Some(booked)
    }

    /// A trade FAILED on chain: whatever was pending leaves; nothing is booked.
    pub fn on_failed(&mut self, trade_id: &str) -> bool {
        if self.booked.contains(trade_id) {
            return false;
        }
        self.pending.remove(trade_id);
        self.failed.insert(trade_id.to_string())
    }

    /// Tokens of a resolved market redeemed: `payout_u6` pUSD credited (what the chain paid),
    /// the market's `tokens` leave the positions, realized PnL = payout − their cost. Losing
    /// tokens are closed the same way with a payout of 0. `condition` names the market in the
    /// journal. This is the redemption service's entry point
    /// (`OrderTracker::on_redeemed` stores it first).
    ///
    /// Every token known to be of `condition` closes too, and so does any trade of it booked
    /// later (one matched before the window resolved and confirmed after). A market closed
    /// with nothing held and nothing paid changes no number (nor the losing streak).
    pub fn on_redeemed(&mut self, condition: &str, tokens: &[&str], payout_u6: u64) -> i64 {
        self.closed.insert(condition.to_string());
        let mut all: BTreeSet<String> = tokens.iter().map(|t| t.to_string()).collect();
        all.extend(self.market_tokens(condition));
        let closed: Vec<Holding> = all
            .iter()
            .filter_map(|t| self.positions.remove(t))
            .collect();
        if closed.is_empty() && payout_u6 == 0 {
            return 0;
        }
        let cost: u64 = closed.iter().map(|h| h.cost_u6).sum();
        self.cash_u6 += payout_u6;
        self.redeemed_u6 += payout_u6;
        let pnl = payout_u6 as i64 - cost as i64;
        self.realized_pnl_u6 += pnl;
        self.loss_streak = if pnl < 0 { self.loss_streak + 1 } else { 0 };
        pnl
    }

    /// The tokens held of market `condition` (known from their trades).
    pub fn market_tokens(&self, condition: &str) -> Vec<String> {
        self.positions
            .keys()
            .filter(|t| self.markets.get(*t).is_some_and(|m| m == condition))
            .cloned()
            .collect()
    }

    pub fn cash_u6(&self) -> u64 {
        self.cash_u6
    }

    pub fn shares_u6(&self, token: &str) -> u64 {
        self.positions.get(token).map_or(0, |h| h.shares_u6)
    }

    pub fn positions(&self) -> &BTreeMap<String, Holding> {
        &self.positions
    }

    pub fn pending(&self) -> impl Iterator<Item = &VenueTrade> {
        self.pending.values()
    }

    /// pUSD at risk now: positions in markets still trading at cost, plus trades pending.
    pub fn exposure_u6(&self) -> u64 {
        let v = self.view();
        v.open_cost_u6 + v.pending_notional_u6
    }

    pub fn view(&self) -> LedgerView {
        self.view_at(crate::clock::wall_ms())
    }

    /// The numbers at `now_ms` (which markets have ended).
    pub fn view_at(&self, now_ms: u64) -> LedgerView {
        let ended = |t: &str| self.ends.get(t).is_some_and(|e| e * 1000 <= now_ms);
        let cost = |want_ended: bool| -> u64 {
            self.positions
                .iter()
                .filter(|(t, _)| ended(t) == want_ended)
                .map(|(_, h)| h.cost_u6)
                .sum()
        };
        LedgerView {
            cash_u6: self.cash_u6,
            start_cash_u6: self.start_cash_u6,
            positions: self.positions.clone(),
            fees_u6: self.fees_u6,
            realized_pnl_u6: self.realized_pnl_u6,
            pending_notional_u6: self
                .pending
                .values()
                .filter(|t| t.side == TradeSide::Buy)
                .map(VenueTrade::notional_u6)
                .sum(),
            pending_trades: self.pending.len(),
            open_cost_u6: cost(false),
            ended_cost_u6: cost(true),
            confirmed_trades: self.booked.len(),
            failed_trades: self.failed.len(),
            redeemed_u6: self.redeemed_u6,
            loss_streak: self.loss_streak,
            positions_check: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::wire::TradeStatus;

    fn trade(id: &str, side: TradeSide, price_u6: u64, size_u6: u64) -> VenueTrade {
        VenueTrade {
            id: id.into(),
            order_id: "0xo".into(),
            token: "7".into(),
            market: "0xm".into(),
            side,
            price_u6,
            size_u6,
            status: TradeStatus::Matched,
            taker: true,
            match_time_s: 0,
        }
    }

    #[test]
    fn confirmed_trades_book_once_and_failed_ones_never() {
        let fees = FeeRule::from_params(0.072, 1.0, true).unwrap();
        let mut l = VenueLedger::new(100_000_000, fees);
        let a = trade("a", TradeSide::Buy, 500_000, 10_000_000);
        l.on_pending(&a);
        assert_eq!(l.view().pending_notional_u6, 5_000_000);
        assert_eq!(l.cash_u6(), 100_000_000, "matched is not cash");
        let b = l.on_confirmed(&a).unwrap();
        assert_eq!(b.fee_tokens_u6, 360_000);
        assert!(l.on_confirmed(&a).is_none(), "booked once");
        assert_eq!(l.cash_u6(), 95_000_000);
        assert_eq!(l.shares_u6("7"), 9_640_000);
        let f = trade("f", TradeSide::Buy, 500_000, 4_000_000);
        l.on_pending(&f);
        assert!(l.on_failed("f"));
        assert!(
            l.on_confirmed(&f).is_none(),
            "a failed trade is never booked"
        );
        assert_eq!(l.view().pending_trades, 0);
        assert_eq!(l.cash_u6(), 95_000_000);
        // Sell half at 0.6: proceeds 2.892 − fee 4.82 × 0.072 × 0.24 = 0.083290 → 2.808710.
        let s = trade("s", TradeSide::Sell, 600_000, 4_820_000);
        let b = l.on_confirmed(&s).unwrap();
        assert_eq!((b.notional_u6, b.fee_u6), (2_892_000, 83_290));
        assert_eq!(l.cash_u6(), 95_000_000 + 2_892_000 - 83_290);
        assert_eq!(l.view().realized_pnl_u6, 2_808_710 - 2_500_000);
        // The rest wins: 4.82 pUSD redeemed.
        let pnl = l.on_redeemed("0xm", &["7", "8"], 4_820_000);
        assert_eq!(pnl, 4_820_000 - 2_500_000);
        assert!(l.positions().is_empty());
    }

    #[test]
    fn a_trade_confirmed_after_its_market_closed_is_closed_at_once() {
        let mut l = VenueLedger::new(100_000_000, FeeRule::ZERO);
        let a = trade("a", TradeSide::Buy, 400_000, 10_000_000);
        l.on_confirmed(&a);
        // Lost: nothing paid, the 4 pUSD are a loss; the streak counts it.
        assert_eq!(l.on_redeemed("0xm", &[], 0), -4_000_000);
        assert_eq!(l.view().loss_streak, 1);
        // A trade matched before the resolution, confirmed after.
        let b = trade("b", TradeSide::Buy, 500_000, 2_000_000);
        l.on_confirmed(&b);
        assert!(l.positions().is_empty());
        let v = l.view();
        assert_eq!(v.realized_pnl_u6, -5_000_000);
        assert_eq!(v.cash_u6, 95_000_000);
        assert_eq!((v.ended_cost_u6, v.open_cost_u6), (0, 0));
        // A market closed with nothing held and nothing paid changes nothing.
        assert_eq!(l.on_redeemed("0xother", &[], 0), 0);
        assert_eq!(l.view().loss_streak, 1);
        assert_eq!(l.view().realized_pnl_u6, -5_000_000);
    }
}
