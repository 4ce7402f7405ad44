//! The presigned ladder: orders signed ahead on the control side, so the hot path does no
//! ECDSA.
//!
//! For every token of the current and next windows, the [`LadderSigner`] (control thread)
//! keeps BUY orders signed at every tick in a band around the best ask and at a few sizes,
//! hands them to the `order` thread by ring, replaces each one the moment it is used and
//! refreshes them before they age. The `order` thread keeps them in an [`OrderLadder`]: a
//! fixed table, allocated once; a pick is a scan of one token's slots. Each presigned order is
//! sent at most once: taking it removes it. Only orders the venue will take are signed:
//! market-order amounts for FAK/FOK, never a marketable BUY under $1 or a size under the
//! market's minimum ([`super::orders::build_buy`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clob::sign::OrderSigner;
use crate::clock::wall_ms;
use crate::control::state::ControlState;
use crate::pipeline::events::{OrderType, TokenId, PX_SCALE};
use crate::pipeline::registry::MAX_TOKENS;
use crate::pipeline::rings::{TapRx, TapTx};
use crate::pipeline::shared::Shared;

use super::orders::{build_buy, Account, PostBody, SaltSource, TokenOrderInfo};

/// Presigned orders kept per token.
pub const PER_TOKEN: usize = 48;

/// The `order` thread's table of presigned orders.
pub struct OrderLadder {
    slots: Vec<PostBody>,
}

impl Default for OrderLadder {
    fn default() -> Self {
        OrderLadder {
            slots: vec![PostBody::EMPTY; MAX_TOKENS * PER_TOKEN],
        }
    }
}

impl OrderLadder {
    fn range(token: TokenId) -> std::ops::Range<usize> {
        let t = token.0 as usize % MAX_TOKENS;
        t * PER_TOKEN..(t + 1) * PER_TOKEN
    }

    /// Store an order, replacing one at the same price and size, else an empty slot, else
    /// the oldest.
    pub fn insert(&mut self, b: PostBody) {
        let r = Self::range(b.token);
        let slots = &mut self.slots[r];
        let i = slots
            .iter()
            .position(|s| !s.is_empty() && s.price_e4 == b.price_e4 && s.size_e6 == b.size_e6)
            .or_else(|| slots.iter().position(PostBody::is_empty))
            .unwrap_or_else(|| {
                slots
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, s)| s.signed_ms)
                    .map_or(0, |(i, _)| i)
            });
        slots[i] = b;
    }

    /// Take (and remove) the largest order for `token` at exactly `price_e4` whose size is at
    /// most `max_size_e6`.
    #[inline]
    pub fn take(&mut self, token: TokenId, price_e4: u32, max_size_e6: u64) -> Option<PostBody> {
        let r = Self::range(token);
        let slots = &mut self.slots[r];
        let mut best: Option<usize> = None;
        for (i, s) in slots.iter().enumerate() {
            if s.is_empty() || s.token != token || s.price_e4 != price_e4 || s.size_e6 > max_size_e6
            {
                continue;
            }
            if best.is_none_or(|b| slots[b].size_e6 < s.size_e6) {
                best = Some(i);
            }
        }
        let i = best?;
        let b = slots[i];
        slots[i] = PostBody::EMPTY;
        Some(b)
    }

    /// Forget a token's orders (its slot is reused for another token).
    pub fn clear_token(&mut self, token: TokenId) {
        for s in &mut self.slots[Self::range(token)] {
            *s = PostBody::EMPTY;
        }
    }

    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| !s.is_empty()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A token the ladder should cover, and until when.
#[derive(Clone, Copy, Debug)]
pub struct LadderToken {
    pub slot: TokenId,
    pub info: TokenOrderInfo,
    pub end_s: u64,
}

/// Ladder settings (`[live.ladder]`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LadderConfig {
    /// Sign ahead at all (default true). Off, every order is signed on the spot: the
    /// benchmark's signing baseline.
    pub enabled: bool,
    /// Ticks each side of the best ask (default 4).
    pub band_ticks: u32,
    /// Order notionals in USDC; one order per price and notional (default [5, 2.5]).
    pub notionals_usdc: Vec<f64>,
    /// Re-sign an order older than this (default 30 000 ms).
    pub refresh_ms: u64,
    /// How often the signer looks at the books (default 200 ms).
    pub interval_ms: u64,
}

impl Default for LadderConfig {
    fn default() -> Self {
        LadderConfig {
            enabled: true,
            band_ticks: 4,
            notionals_usdc: vec![5.0, 2.5],
            refresh_ms: 30_000,
            interval_ms: 200,
        }
    }
}

/// The control-side signer of the ladder.
pub struct LadderSigner {
    pub signer: OrderSigner,
    pub account: Account,
    pub owner: String,
    pub order_type: OrderType,
    pub cfg: LadderConfig,
    pub tokens: crossbeam::channel::Receiver<LadderToken>,
    /// Orders to the `order` thread.
    pub out: TapTx<PostBody>,
    /// (token, price, size) of orders the `order` thread used.
    pub used: TapRx<(TokenId, u32, u64)>,
    pub state: Arc<Mutex<ControlState>>,
    pub shared: Arc<Shared>,
    /// The order version in force (2 or 3), set by the `order` thread when the venue says.
    pub version: Arc<std::sync::atomic::AtomicU8>,
    /// Live mode: each order's identity (salt, order hash) is written here before the order
    /// is handed to the `order` thread — on disk before its bytes can leave (write-ahead).
    pub store: Option<crate::venue::store::VenueStore>,
}

impl LadderSigner {
    /// Stores `body`'s identity before it may be sent; `false` if that failed.
    fn write_ahead(&self, body: &PostBody, now_ms: u64) -> bool {
        let Some(store) = self.store.as_ref() else {
            return true;
        };
        let r = store.put_order(&crate::venue::store::StoredOrder {
            order_id: String::from_utf8_lossy(&body.order_id()).into_owned(),
            intent_id: 0,
            token_slot: body.token.0,
            salt: body.salt,
            price_e4: body.price_e4,
            size_e6: body.size_e6,
            presigned: true,
            state: crate::venue::store::StoredState::Prepared,
            created_ms: now_ms,
        });
        if let Err(e) = &r {
            tracing::error!("ladder: venue ledger write failed, order not presigned: {e:#}");
        }
        r.is_ok()
    }

    pub fn run(mut self) {
        let mut salts = SaltSource::new(wall_ms(), 1);
        let mut live: BTreeMap<u16, LadderToken> = BTreeMap::new();
        // (slot, price, size) → signed at (ms).
        let mut outstanding: BTreeMap<(u16, u32, u64), u64> = BTreeMap::new();
        let mut scratch = Vec::with_capacity(4096);
        while self.shared.is_running() {
            while let Ok(t) = self.tokens.try_recv() {
                outstanding.retain(|(slot, _, _), _| *slot != t.slot.0);
                // Switched off, the ladder takes no token and so signs nothing.
                if self.cfg.enabled {
                    live.insert(t.slot.0, t);
                }
            }
            while let Some((token, price, size)) = self.used.pop() {
                outstanding.remove(&(token.0, price, size));
            }
            let v = match self.version.load(std::sync::atomic::Ordering::SeqCst) {
                3 => crate::clob::order::OrderVersion::V3,
                _ => crate::clob::order::OrderVersion::V2,
            };
            if v != self.account.version {
                // Everything signed for the old version is useless: sign again.
                self.account.version = v;
                outstanding.clear();
            }
            let now_ms = wall_ms();
            live.retain(|_, t| t.end_s * 1000 > now_ms);
            outstanding.retain(|(slot, _, _), _| live.contains_key(slot));
            let asks: BTreeMap<u16, (u32, u16)> = {
                let st = self.state.lock().expect("state");
                live.keys()
                    .filter_map(|slot| {
                        st.last_book
                            .get(slot)
                            .and_then(|b| b.best_ask().map(|a| (*slot, (a.price_e4, b.tick_e4))))
                    })
                    .collect()
            };
            'tokens: for (slot, t) in &live {
                let Some(&(ask, tick)) = asks.get(slot) else {
                    continue;
                };
                // Sign on the grid the book is on now (the venue moves the tick near the
                // extremes), not the one the token was discovered with.
                let mut info = t.info;
                if let Some(grid) = crate::clob::amounts::TickSize::from_e4(tick) {
                    info.tick = grid;
                }
                let tick = tick.max(1) as u32;
                let lo = ask.saturating_sub(self.cfg.band_ticks * tick).max(tick);
                let hi = (ask + self.cfg.band_ticks * tick).min(PX_SCALE - tick);
                let mut price = lo - lo % tick;
                while price <= hi {
                    if price >= tick {
                        // The market's minimum size, then one size per configured notional:
                        // a pick takes the largest that fits the intent.
                        let mut sizes = [0u64; 8];
                        sizes[0] = t.info.min_size_u6.max(10_000);
                        for (i, notional) in self.cfg.notionals_usdc.iter().take(7).enumerate() {
                            sizes[i + 1] = lot_size_for(*notional, price);
                        }
                        for (i, &size_e6) in sizes.iter().enumerate() {
                            if size_e6 < t.info.min_size_u6
                                || size_e6 == 0
                                || sizes[..i].contains(&size_e6)
                            {
                                continue;
                            }
                            let key = (*slot, price, size_e6);
                            if outstanding
                                .get(&key)
                                .is_some_and(|at| now_ms < at + self.cfg.refresh_ms)
                            {
                                continue;
                            }
                            match build_buy(
                                &self.signer,
                                &self.account,
                                &self.owner,
                                &info,
                                t.slot,
                                price,
                                size_e6,
                                self.order_type,
                                salts.next_salt(),
                                now_ms,
                                &mut scratch,
                            ) {
                                Ok(body) => {
                                    if !self.write_ahead(&body, now_ms) {
                                        break 'tokens; // not on disk: not handed over
                                    }
                                    if !self.out.offer(body) {
                                        break 'tokens; // the order thread is full: next round
                                    }
                                    outstanding.insert(key, now_ms);
                                }
                                // Too small for the venue (a marketable BUY under $1 at
                                // this price): not signed, by design; nothing to report.
                                Err(e) if e.is_under_minimum() => {}
                                Err(e) => {
                                    tracing::warn!("ladder: cannot build an order: {e}");
                                }
                            }
                        }
                    }
                    price += tick;
                }
            }
            // Until the next round, look for used orders every millisecond: one the `order`
            // thread sent is replaced at once, not up to a whole interval later (at a fast
            // pace the same price is often wanted again within the interval).
            let next_round =
                std::time::Instant::now() + Duration::from_millis(self.cfg.interval_ms);
            while self.shared.is_running()
                && self.used.is_empty()
                && std::time::Instant::now() < next_round
            {
                std::thread::sleep(USED_POLL);
            }
        }
    }
}

/// How often the signer looks for used orders between rounds.
const USED_POLL: Duration = Duration::from_millis(1);

/// Shares (1e-6 units, a multiple of 0.01 share) that `notional` USDC buys at `price_e4`.
pub fn lot_size_for(notional_usdc: f64, price_e4: u32) -> u64 {
    if price_e4 == 0 || notional_usdc.is_nan() || notional_usdc <= 0.0 {
        return 0;
    }
    let shares_e6 = notional_usdc * 1e6 * PX_SCALE as f64 / price_e4 as f64;
    let lots = (shares_e6 / 10_000.0).floor() as u64;
    lots * 10_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(token: u16, price: u32, size: u64, ms: u64) -> PostBody {
        let mut b = PostBody::EMPTY;
        b.token = TokenId(token);
        b.price_e4 = price;
        b.size_e6 = size;
        b.signed_ms = ms;
        b
    }

    #[test]
    fn take_picks_the_largest_fitting_size_once() {
        let mut l = OrderLadder::default();
        for (s, ms) in [(5_000_000, 1), (10_000_000, 2), (20_000_000, 3)] {
            l.insert(body(3, 5000, s, ms));
        }
        l.insert(body(3, 5100, 9_000_000, 4));
        assert_eq!(l.len(), 4);
        let b = l.take(TokenId(3), 5000, 12_000_000).unwrap();
        assert_eq!(b.size_e6, 10_000_000);
        // Used once: the same request now gets the next one down.
        assert_eq!(
            l.take(TokenId(3), 5000, 12_000_000).unwrap().size_e6,
            5_000_000
        );
        assert!(l.take(TokenId(3), 5000, 12_000_000).is_none());
        assert!(l.take(TokenId(4), 5100, 12_000_000).is_none());
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn a_full_token_replaces_its_oldest_order() {
        let mut l = OrderLadder::default();
        for i in 0..PER_TOKEN as u64 {
            l.insert(body(1, 100 + i as u32, 1, 10 + i));
        }
        l.insert(body(1, 9000, 1, 1000));
        assert!(
            l.take(TokenId(1), 100, 1).is_none(),
            "the oldest was replaced"
        );
        assert!(l.take(TokenId(1), 9000, 1).is_some());
        l.clear_token(TokenId(1));
        assert!(l.is_empty());
    }

    #[test]
    fn lot_sizes_round_down_to_hundredths() {
        assert_eq!(lot_size_for(5.0, 5000), 10_000_000);
        assert_eq!(lot_size_for(5.0, 3300), 15_150_000); // 15.1515… shares
        assert_eq!(lot_size_for(0.0, 5000), 0);
        assert_eq!(lot_size_for(5.0, 0), 0);
    }
}
