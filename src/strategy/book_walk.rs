//! Walking one side of a Polymarket book: what a taker order of a given size would fill.
//!
//! Levels are `&[Level]`, **best first** (as in [`BookTop`](crate::pipeline::events::BookTop)):
//! asks ascending for a BUY, bids descending for a SELL. Prices are 1e-4 units (`price_e4`),
//! sizes 1e-6 shares (`size_e6`).
//!
//! Exactness: the USDC cost is accumulated as `Σ price_e4 × size_e6` in a `u128` of 1e-10 USDC
//! units ([`Walk::cost_e10`]), which is exact for any book (≤ 2^32 · 2^64 per level). Only the
//! derived averages are `f64`. Spending a USDC budget rounds each level's shares *down* to the
//! 1e-6 unit, so the walk never spends more than the budget; rounding to the venue's size
//! precision is the sizer's job.
//!
//! Contract: O(levels), no allocation, no panics. Levels with zero price or zero size are
//! skipped. An empty side gives an empty [`Walk`].

use crate::pipeline::events::{Level, OrderType, Side};

/// 1e-10 USDC per (1e-4 price × 1e-6 share).
pub const COST_E10_PER_USDC: u128 = 10_000_000_000;

/// Result of a walk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    /// Shares filled, 1e-6 units.
    pub filled_e6: u64,
    /// Exact USDC cost, 1e-10 units (`Σ price_e4 × size_e6`).
    pub cost_e10: u128,
    /// Best price touched (the first level used); 0 when nothing filled.
    pub best_price_e4: u32,
    /// Worst price touched; 0 when nothing filled.
    pub worst_price_e4: u32,
    /// Levels used (partly or fully).
    pub levels_used: u8,
}

impl Walk {
    /// Volume-weighted average price (0..1); 0.0 when nothing filled.
    #[inline]
    pub fn avg_price(&self) -> f64 {
        if self.filled_e6 == 0 {
            return 0.0;
        }
        self.cost_e10 as f64 / (self.filled_e6 as f64 * 1e4)
    }

    /// USDC cost as `f64`.
    #[inline]
    pub fn cost_usdc(&self) -> f64 {
        self.cost_e10 as f64 / COST_E10_PER_USDC as f64
    }

    /// USDC cost in 1e-6 units rounded up (what a budget must cover).
    #[inline]
    pub fn cost_e6_ceil(&self) -> u64 {
        let e6 = self.cost_e10.div_ceil(10_000);
        u64::try_from(e6).unwrap_or(u64::MAX)
    }

    /// Shares filled as `f64`.
    #[inline]
    pub fn filled_shares(&self) -> f64 {
        self.filled_e6 as f64 * 1e-6
    }

    #[inline]
    fn take(&mut self, price_e4: u32, size_e6: u64) {
        if self.levels_used == 0 {
            self.best_price_e4 = price_e4;
        }
        self.worst_price_e4 = self.worst_price_e4.max(price_e4);
        self.filled_e6 = self.filled_e6.saturating_add(size_e6);
        self.cost_e10 = self
            .cost_e10
            .saturating_add(price_e4 as u128 * size_e6 as u128);
        self.levels_used = self.levels_used.saturating_add(1);
    }
}

#[inline]
fn usable(l: &Level) -> bool {
    l.price_e4 > 0 && l.size_e6 > 0
}

/// Calls `f(price_e4, size_e6)` for each partial fill of a taker order for `target_e6`
/// shares walking `levels` best first; returns the shares filled (≤ `target_e6`).
/// This is the primitive the edge uses to charge fees per level.
#[inline]
pub fn for_each_fill(levels: &[Level], target_e6: u64, mut f: impl FnMut(u32, u64)) -> u64 {
    let mut left = target_e6;
    for l in levels.iter().filter(|l| usable(l)) {
        if left == 0 {
            break;
        }
        let take = l.size_e6.min(left);
        f(l.price_e4, take);
        left -= take;
    }
    target_e6 - left
}

/// Walks `levels` (best first) for `target_e6` shares. A short book fills what it has.
#[inline]
pub fn walk_for_shares(levels: &[Level], target_e6: u64) -> Walk {
    let mut w = Walk::default();
    for_each_fill(levels, target_e6, |p, s| w.take(p, s));
    w
}

/// Walks `levels` (best first) spending at most `budget_e6` USDC (1e-6 units): how many shares
/// the amount buys. Each level's share count is rounded down to 1e-6.
#[inline]
pub fn walk_for_usdc(levels: &[Level], budget_e6: u64) -> Walk {
    let mut w = Walk::default();
    let mut left_e10 = budget_e6 as u128 * 10_000;
    for l in levels.iter().filter(|l| usable(l)) {
        let affordable = left_e10 / l.price_e4 as u128;
        // The fill is a u64 count: stop at u64::MAX shares rather than overflow.
        let room = (u64::MAX - w.filled_e6) as u128;
        let take = (l.size_e6 as u128).min(affordable).min(room) as u64;
        if take == 0 {
            break;
        }
        w.take(l.price_e4, take);
        left_e10 -= l.price_e4 as u128 * take as u128;
    }
    w
}

/// Visible size (1e-6 shares) a taker order of side `taker` with limit `limit_price_e4` could
/// reach: for a BUY (walking asks) levels at or below the limit; for a SELL (bids) at or above.
#[inline]
pub fn depth_within_limit(levels: &[Level], taker: Side, limit_price_e4: u32) -> u64 {
    levels
        .iter()
        .filter(|l| usable(l))
        .filter(|l| match taker {
            Side::Buy => l.price_e4 <= limit_price_e4,
            Side::Sell => l.price_e4 >= limit_price_e4,
        })
        .fold(0u64, |acc, l| acc.saturating_add(l.size_e6))
}

/// The book is too thin for a fill-or-kill market order (the clients' "no match").
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarketPriceError {
    /// Not enough size on the book (or an empty book): transient, skip this decision.
    #[error("no match")]
    NoMatch,
}

/// The limit price Polymarket's clients put on a market order when none is given
/// (`calculate_buy_market_price` / `calculate_sell_market_price`).
///
/// Walks `levels_best_first` accumulating, for a BUY, `size × price` until it reaches
/// `amount_e6` USDC, or for a SELL, `size` until it reaches `amount_e6` shares, and returns the
/// price of the level where it got there. If the book is too thin: FOK → `NoMatch`; FAK → the
/// worst price on the book (the clients' `levels[0]`, since `/book` lists the best level last).
/// An empty book is `NoMatch` for both. Comparisons are exact (integers), where the clients
/// use floats; no vector differs.
#[inline]
pub fn market_price_from_book(
    levels_best_first: &[Level],
    side: Side,
    amount_e6: u64,
    order_type: OrderType,
) -> Result<u32, MarketPriceError> {
    let target: u128 = match side {
        Side::Buy => amount_e6 as u128 * 10_000,
        Side::Sell => amount_e6 as u128,
    };
    let mut sum: u128 = 0;
    for l in levels_best_first {
        sum += match side {
            Side::Buy => l.price_e4 as u128 * l.size_e6 as u128,
            Side::Sell => l.size_e6 as u128,
        };
        if sum >= target {
            return Ok(l.price_e4);
        }
    }
    match (order_type, levels_best_first.last()) {
        (OrderType::Fak, Some(worst)) => Ok(worst.price_e4),
        _ => Err(MarketPriceError::NoMatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(price_e4: u32, size_e6: u64) -> Level {
        Level { price_e4, size_e6 }
    }

    #[test]
    fn fills_sum_to_the_walk() {
        let asks = [
            lv(5000, 3_000_000),
            lv(5100, 2_000_000),
            lv(5300, 9_000_000),
        ];
        let mut sum = 0;
        let filled = for_each_fill(&asks, 6_500_000, |_, s| sum += s);
        assert_eq!(filled, 6_500_000);
        assert_eq!(sum, filled);
        assert_eq!(walk_for_shares(&asks, 6_500_000).filled_e6, filled);
    }

    #[test]
    fn usdc_walk_never_overspends() {
        let asks = [lv(3333, 1_000_000), lv(6667, 50_000_000)];
        for budget in [1u64, 333_299, 333_300, 1_000_000, 7_777_777, 40_000_000] {
            let w = walk_for_usdc(&asks, budget);
            assert!(w.cost_e10 <= budget as u128 * 10_000, "budget {budget}");
        }
    }
}
