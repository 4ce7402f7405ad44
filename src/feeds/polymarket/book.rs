//! A local L2 book for one Polymarket outcome token.
//!
//! Levels are kept sorted, best first, in vectors allocated once with a fixed capacity: an
//! update is a binary search plus a short memmove, and the top of book is a slice copy. A
//! book that would pass its capacity drops its worst level (counted), never reallocates.
//! Updates older than the last applied one are refused, so a late frame cannot roll the book
//! back.

use crate::pipeline::events::{BookTop, Level, TokenId, BOOK_DEPTH};

/// Levels kept per side.
pub const LEVELS_PER_SIDE: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookSide {
    Bid,
    Ask,
}

#[derive(Clone, Debug)]
pub struct L2Book {
    /// Descending by price.
    bids: Vec<Level>,
    /// Ascending by price.
    asks: Vec<Level>,
    tick_e4: u16,
    last_ts_ms: u64,
    /// First 64 bits of the venue's book `hash` after the last update (0: none given).
    last_hash64: u64,
    /// Has a snapshot been applied since the last reset?
    ready: bool,
    /// Levels dropped because a side was full.
    pub overflow: u64,
}

impl Default for L2Book {
    fn default() -> Self {
        L2Book {
            bids: Vec::with_capacity(LEVELS_PER_SIDE),
            asks: Vec::with_capacity(LEVELS_PER_SIDE),
            tick_e4: 100,
            last_ts_ms: 0,
            last_hash64: 0,
            ready: false,
            overflow: 0,
        }
    }
}

impl L2Book {
    /// Forget everything (token unsubscribed, or its slot reused for a new token).
    pub fn reset(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.tick_e4 = 100;
        self.last_ts_ms = 0;
        self.last_hash64 = 0;
        self.ready = false;
    }

    /// The venue's book hash after the update just applied (its first 64 bits; 0: none).
    #[inline]
    pub fn set_hash64(&mut self, hash64: u64) {
        self.last_hash64 = hash64;
    }

    pub fn is_ready(&self) -> bool {
        self.ready
    }

    pub fn tick_e4(&self) -> u16 {
        self.tick_e4
    }

    pub fn set_tick_e4(&mut self, tick: u16) {
        if tick > 0 {
            self.tick_e4 = tick;
        }
    }

    pub fn last_ts_ms(&self) -> u64 {
        self.last_ts_ms
    }

    /// Would an update stamped `ts_ms` be out of order?
    #[inline]
    pub fn is_stale(&self, ts_ms: u64) -> bool {
        ts_ms < self.last_ts_ms
    }

    /// Start a snapshot: both sides are replaced by the levels pushed before `end_snapshot`.
    pub fn begin_snapshot(&mut self, ts_ms: u64) {
        self.bids.clear();
        self.asks.clear();
        self.last_ts_ms = ts_ms;
    }

    /// Add a level of a snapshot, in any order. Size 0 is skipped.
    #[inline]
    pub fn push_snapshot_level(&mut self, side: BookSide, price_e4: u32, size_e6: u64) {
        if size_e6 == 0 {
            return;
        }
        let v = match side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        };
        let level = Level { price_e4, size_e6 };
        if v.len() < v.capacity() {
            v.push(level);
            return;
        }
        // Full: the venue lists the best levels last, so keep the best ones seen, dropping
        // the worst (one linear scan, only on books deeper than the capacity).
        self.overflow += 1;
        let worse = |a: u32, b: u32| match side {
            BookSide::Bid => a < b,
            BookSide::Ask => a > b,
        };
        let (wi, w) = v
            .iter()
            .enumerate()
            .fold((0, v[0].price_e4), |(bi, bp), (i, l)| {
                if worse(l.price_e4, bp) {
                    (i, l.price_e4)
                } else {
                    (bi, bp)
                }
            });
        if worse(w, price_e4) {
            v[wi] = level;
        }
    }

    pub fn end_snapshot(&mut self) {
        self.bids
            .sort_unstable_by_key(|l| std::cmp::Reverse(l.price_e4));
        self.bids.dedup_by_key(|l| l.price_e4);
        self.asks.sort_unstable_by_key(|l| l.price_e4);
        self.asks.dedup_by_key(|l| l.price_e4);
        self.ready = true;
    }

    /// Set the resting size at a price (0 removes the level). Returns `false` if the update is
    /// older than the book and was refused.
    #[inline]
    pub fn set_level(&mut self, side: BookSide, price_e4: u32, size_e6: u64, ts_ms: u64) -> bool {
        if self.is_stale(ts_ms) {
            return false;
        }
        self.last_ts_ms = ts_ms;
        let (v, pos) = match side {
            BookSide::Bid => {
                let pos = self.bids.binary_search_by(|l| price_e4.cmp(&l.price_e4));
                (&mut self.bids, pos)
            }
            BookSide::Ask => {
                let pos = self.asks.binary_search_by(|l| l.price_e4.cmp(&price_e4));
                (&mut self.asks, pos)
            }
        };
        match (pos, size_e6) {
            (Ok(i), 0) => {
                v.remove(i);
            }
            (Ok(i), s) => v[i].size_e6 = s,
            (Err(_), 0) => {}
            (Err(i), s) => {
                if v.len() == v.capacity() {
                    // Full: the worst level makes room, unless the new one would be the worst.
                    self.overflow += 1;
                    if i == v.len() {
                        return true;
                    }
                    v.pop();
                }
                v.insert(
                    i,
                    Level {
                        price_e4,
                        size_e6: s,
                    },
                );
            }
        }
        true
    }

    pub fn bids(&self) -> &[Level] {
        &self.bids
    }

    pub fn asks(&self) -> &[Level] {
        &self.asks
    }

    /// Fill `out` with the top [`BOOK_DEPTH`] levels each side.
    #[inline]
    pub fn top(&self, token: TokenId, out: &mut BookTop) {
        out.token = token;
        let nb = self.bids.len().min(BOOK_DEPTH);
        let na = self.asks.len().min(BOOK_DEPTH);
        out.bids[..nb].copy_from_slice(&self.bids[..nb]);
        out.asks[..na].copy_from_slice(&self.asks[..na]);
        out.bids[nb..].fill(Level::default());
        out.asks[na..].fill(Level::default());
        out.n_bids = nb as u8;
        out.n_asks = na as u8;
        out.tick_e4 = self.tick_e4;
        out.venue_ts_ms = self.last_ts_ms;
        out.venue_hash64 = self.last_hash64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices(l: &[Level]) -> Vec<u32> {
        l.iter().map(|l| l.price_e4).collect()
    }

    #[test]
    fn snapshot_in_venue_order_is_sorted_best_first() {
        let mut b = L2Book::default();
        b.begin_snapshot(10);
        // Polymarket lists bids ascending and asks descending (best last).
        for (p, s) in [(4700, 1), (4800, 2), (4900, 3)] {
            b.push_snapshot_level(BookSide::Bid, p, s);
        }
        for (p, s) in [(5300, 1), (5200, 2), (5100, 3)] {
            b.push_snapshot_level(BookSide::Ask, p, s);
        }
        b.end_snapshot();
        assert_eq!(prices(b.bids()), vec![4900, 4800, 4700]);
        assert_eq!(prices(b.asks()), vec![5100, 5200, 5300]);
        assert!(b.is_ready());
    }

    #[test]
    fn deltas_insert_update_and_remove_at_zero() {
        let mut b = L2Book::default();
        b.begin_snapshot(1);
        b.push_snapshot_level(BookSide::Ask, 5100, 10);
        b.end_snapshot();
        assert!(b.set_level(BookSide::Ask, 5000, 5, 2)); // new best
        assert!(b.set_level(BookSide::Ask, 5100, 7, 3)); // resize
        assert!(b.set_level(BookSide::Bid, 4900, 9, 3));
        assert_eq!(
            b.asks()[0],
            Level {
                price_e4: 5000,
                size_e6: 5
            }
        );
        assert_eq!(b.asks()[1].size_e6, 7);
        assert!(b.set_level(BookSide::Ask, 5000, 0, 4)); // removal
        assert_eq!(prices(b.asks()), vec![5100]);
        assert!(b.set_level(BookSide::Ask, 4000, 0, 4)); // removing a missing level is a no-op
        assert_eq!(prices(b.asks()), vec![5100]);
    }

    #[test]
    fn out_of_order_updates_are_refused() {
        let mut b = L2Book::default();
        b.begin_snapshot(100);
        b.push_snapshot_level(BookSide::Bid, 4000, 1);
        b.end_snapshot();
        assert!(!b.set_level(BookSide::Bid, 4000, 0, 99));
        assert_eq!(b.bids().len(), 1);
        assert!(b.set_level(BookSide::Bid, 4000, 0, 100)); // same stamp is in order
        assert!(b.bids().is_empty());
    }

    #[test]
    fn full_side_drops_the_worst_level_without_growing() {
        let mut b = L2Book::default();
        b.begin_snapshot(1);
        for i in 0..LEVELS_PER_SIDE as u32 {
            b.push_snapshot_level(BookSide::Ask, 100 + i, 1);
        }
        b.end_snapshot();
        let cap = b.asks.capacity();
        assert!(b.set_level(BookSide::Ask, 50, 1, 2)); // better than all: the worst goes
        assert_eq!(b.asks().len(), LEVELS_PER_SIDE);
        assert_eq!(b.asks()[0].price_e4, 50);
        assert_eq!(
            b.asks().last().unwrap().price_e4,
            100 + LEVELS_PER_SIDE as u32 - 2
        );
        assert!(b.set_level(BookSide::Ask, 9999, 1, 3)); // worse than all: dropped
        assert_eq!(
            b.asks().last().unwrap().price_e4,
            100 + LEVELS_PER_SIDE as u32 - 2
        );
        assert_eq!(b.overflow, 2);
        assert_eq!(b.asks.capacity(), cap);
    }

    #[test]
    fn top_copies_best_levels_and_clears_the_rest() {
        let mut b = L2Book::default();
        b.begin_snapshot(7);
        b.push_snapshot_level(BookSide::Bid, 4000, 1);
        b.push_snapshot_level(BookSide::Ask, 6000, 2);
        b.end_snapshot();
        let mut top = BookTop {
            n_asks: 5,
            asks: [Level {
                price_e4: 1,
                size_e6: 1,
            }; BOOK_DEPTH],
            ..Default::default()
        };
        b.top(TokenId(3), &mut top);
        assert_eq!(top.token, TokenId(3));
        assert_eq!(top.best_bid().unwrap().price_e4, 4000);
        assert_eq!(
            top.asks(),
            &[Level {
                price_e4: 6000,
                size_e6: 2
            }]
        );
        assert_eq!(top.asks[1], Level::default());
        assert_eq!(top.venue_ts_ms, 7);
    }
}
