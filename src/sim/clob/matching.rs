//! Matching a taker against the simulator's live book of a token: levels at or better than
//! the limit, best first. A BUY wants its share leg (takerAmount), a SELL gives its share leg
//! (makerAmount). Nothing here touches the book; the caller takes the liquidity it used.

use super::super::book::{SimBook, SimLevel};
use crate::clob::order::Side;

/// One level's part of a fill: shares (1e-6) at a price (1e-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub price_u6: u64,
    pub shares_u6: u64,
}

impl Fill {
    /// pUSD for these shares (1e-6), truncated.
    pub fn notional_u6(&self) -> u64 {
        u64::try_from(u128::from(self.shares_u6) * u128::from(self.price_u6) / 1_000_000)
            .unwrap_or(u64::MAX)
    }
}

/// The fills a taker on `side` with limit `limit_u6` gets for up to `want_u6` shares, best
/// level first, and the same as book levels (0.01-share units, rounded up) for
/// `World::take_liquidity`.
pub fn walk(book: &SimBook, side: Side, limit_u6: u64, want_u6: u64) -> (Vec<Fill>, Vec<SimLevel>) {
    let levels = match side {
        Side::Buy => &book.asks,
        Side::Sell => &book.bids,
    };
    let mut fills = Vec::new();
    let mut taken = Vec::new();
    let mut left = want_u6;
    for l in levels {
        if left == 0 {
            break;
        }
        let px_u6 = u64::from(l.price_e4) * 100;
        let ok = match side {
            Side::Buy => px_u6 <= limit_u6,
            Side::Sell => px_u6 >= limit_u6,
        };
        if !ok {
            break;
        }
        let q = left.min(l.size_e2 * 10_000);
        left -= q;
        fills.push(Fill {
            price_u6: px_u6,
            shares_u6: q,
        });
        taken.push(SimLevel {
            price_e4: l.price_e4,
            size_e2: q.div_ceil(10_000),
        });
    }
    (fills, taken)
}

/// Shares and pUSD of a list of fills.
pub fn totals(fills: &[Fill]) -> (u64, u64) {
    fills
        .iter()
        .fold((0, 0), |(s, n), f| (s + f.shares_u6, n + f.notional_u6()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> SimBook {
        SimBook {
            tick_e4: 100,
            bids: vec![
                SimLevel {
                    price_e4: 4900,
                    size_e2: 1000,
                },
                SimLevel {
                    price_e4: 4800,
                    size_e2: 2000,
                },
            ],
            asks: vec![
                SimLevel {
                    price_e4: 5100,
                    size_e2: 1000,
                },
                SimLevel {
                    price_e4: 5200,
                    size_e2: 2000,
                },
            ],
        }
    }

    #[test]
    fn walk_stops_at_the_limit() {
        // 15 shares at <= 0.52: 10 @ 0.51 + 5 @ 0.52.
        let (fills, taken) = walk(&book(), Side::Buy, 520_000, 15_000_000);
        assert_eq!(totals(&fills), (15_000_000, 5_100_000 + 2_600_000));
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[1].size_e2, 500);
        // At 0.51 only the first level.
        let (fills, _) = walk(&book(), Side::Buy, 510_000, 15_000_000);
        assert_eq!(totals(&fills).0, 10_000_000);
        // SELL 40 at >= 0.48: 10 + 20, short by 10.
        let (fills, _) = walk(&book(), Side::Sell, 480_000, 40_000_000);
        assert_eq!(totals(&fills), (30_000_000, 4_900_000 + 9_600_000));
    }
}
