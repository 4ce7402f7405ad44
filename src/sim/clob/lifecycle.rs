//! What happens to an order after its answer: resting orders, delayed orders matched later,
//! trades that go MATCHED → MINED → CONFIRMED (or RETRYING → FAILED, the funds given back),
//! heartbeats that keep resting orders alive, and GTD expiry.
//!
//! Nothing runs on a timer: [`settle`] brings everything up to the wall clock and is called
//! at the start of every CLOB request and by every query (HTTP or test). A trade's status is
//! a function of its match time and the configured delays, so any observer sees the same
//! progression. Lock order: the world, then the CLOB state.

use std::collections::{HashMap, HashSet};

use crate::clob::order::{OrderType, Side};
use crate::sim::Shared;

use super::accounts::{apply_fill, FeeSchedule, FillFunds};
use super::matching::{totals, walk, Fill};
use super::wire::{hex, uuid_from};
use super::ClobState;
use crate::clob::sign::keccak;

/// An order's state as `GET /data/order/{id}` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    Live,
    Matched,
    Canceled,
    /// Accepted with `"status":"delayed"`, not matched yet.
    Delayed,
    /// A delayed marketable order that found nothing when its turn came.
    Unmatched,
}

impl OrderStatus {
    pub fn wire(self) -> &'static str {
        match self {
            OrderStatus::Live => "LIVE",
            OrderStatus::Matched => "MATCHED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Delayed => "DELAYED",
            OrderStatus::Unmatched => "UNMATCHED",
        }
    }
}

/// A trade's settlement state (user channel `trade` events, `GET /data/trades`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeStatus {
    Matched,
    Mined,
    Confirmed,
    Retrying,
    Failed,
}

impl TradeStatus {
    pub fn wire(self) -> &'static str {
        match self {
            TradeStatus::Matched => "MATCHED",
            TradeStatus::Mined => "MINED",
            TradeStatus::Confirmed => "CONFIRMED",
            TradeStatus::Retrying => "RETRYING",
            TradeStatus::Failed => "FAILED",
        }
    }
}

/// An order the CLOB keeps (every accepted order that did not die at once).
#[derive(Clone, Debug)]
pub struct SimOrder {
    pub id: String,
    pub api_key: String,
    pub wallet: [u8; 20],
    pub token: String,
    pub market: String,
    pub outcome: &'static str,
    pub side: Side,
    pub order_type: OrderType,
    /// The price on the tick (1e-6).
    pub price_u6: u64,
    /// The exact implied limit the book is walked with (1e-6).
    pub limit_u6: u64,
    pub original_u6: u64,
    pub matched_u6: u64,
    pub status: OrderStatus,
    pub created_s: u64,
    pub expiration_s: u64,
    pub trade_ids: Vec<String>,
    /// When a delayed or parked order is matched (wall ms).
    pub due_ms: Option<u64>,
}

impl SimOrder {
    /// pUSD a resting BUY still ties up (1e-6).
    pub fn reserved_pusd_u6(&self) -> u64 {
        if self.side != Side::Buy
            || !matches!(self.status, OrderStatus::Live | OrderStatus::Delayed)
        {
            return 0;
        }
        let left = self.original_u6.saturating_sub(self.matched_u6);
        u64::try_from(u128::from(left) * u128::from(self.limit_u6) / 1_000_000).unwrap_or(u64::MAX)
    }
}

/// One fill of one order at one price.
#[derive(Clone, Debug)]
pub struct SimTrade {
    pub id: String,
    pub order_id: String,
    pub api_key: String,
    pub wallet: [u8; 20],
    pub token: String,
    pub market: String,
    pub outcome: &'static str,
    pub side: Side,
    pub price_u6: u64,
    pub size_u6: u64,
    pub notional_u6: u64,
    /// pUSD value of the fee; a BUY paid `fee_tokens_u6` tokens for it.
    pub fee_u6: u64,
    pub fee_tokens_u6: u64,
    pub taker: bool,
    pub match_ms: u64,
    pub mined_ms: u64,
    pub confirmed_ms: u64,
    /// Decided at match time: this trade will fail on chain.
    pub fails: bool,
    /// Its funds were given back.
    pub reverted: bool,
    pub tx_hash: String,
}

impl SimTrade {
    pub(crate) fn funds(&self) -> FillFunds {
        FillFunds {
            shares_u6: self.size_u6,
            notional_u6: self.notional_u6,
            fee_u6: self.fee_u6,
            fee_tokens_u6: self.fee_tokens_u6,
        }
    }

    pub fn status_at(&self, now_ms: u64) -> TradeStatus {
        match (self.fails, now_ms) {
            (false, t) if t >= self.confirmed_ms => TradeStatus::Confirmed,
            (false, t) if t >= self.mined_ms => TradeStatus::Mined,
            (true, t) if t >= self.confirmed_ms => TradeStatus::Failed,
            (true, t) if t >= self.mined_ms => TradeStatus::Retrying,
            _ => TradeStatus::Matched,
        }
    }
}

/// Delays of the lifecycle (set with [`super::SimClob::set_lifecycle`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifecycleConfig {
    /// MATCHED → MINED (default 200 ms).
    pub mined_after_ms: u64,
    /// MATCHED → CONFIRMED or FAILED (default 1 000 ms).
    pub confirmed_after_ms: u64,
    /// Resting orders of a key are cancelled this long after its last heartbeat, once it has
    /// sent one (default 10 000 ms).
    pub heartbeat_timeout_ms: u64,
    /// A `delayed` order is matched this long after its answer (default 300 ms).
    pub delayed_match_ms: u64,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig {
            mined_after_ms: 200,
            confirmed_after_ms: 1_000,
            heartbeat_timeout_ms: 10_000,
            delayed_match_ms: 300,
        }
    }
}

/// Orders, trades and heartbeats.
#[derive(Default)]
pub(crate) struct Lifecycle {
    pub orders: HashMap<String, SimOrder>,
    pub trades: Vec<SimTrade>,
    /// API key → last heartbeat (wall ms).
    pub heartbeats: HashMap<String, u64>,
    pub cfg: LifecycleConfig,
    pub trade_seq: u64,
    /// Resting orders cancelled because heartbeats stopped.
    pub heartbeat_cancels: u64,
    /// Orders that can change without a request (resting, or due to match later): what
    /// `settle` looks at, so its cost follows what is open, not the session's length.
    watch: HashSet<String>,
    /// Trades bound to fail whose funds are not given back yet (indices into `trades`).
    failing: Vec<usize>,
    /// Order ids in the order they were accepted (the user channel reads on from where it
    /// last looked).
    pub order_log: Vec<String>,
}

impl Lifecycle {
    /// Add an accepted order (every insertion goes through here, so `settle` sees it).
    pub(crate) fn insert_order(&mut self, o: SimOrder) {
        if o.status == OrderStatus::Live || o.due_ms.is_some() {
            self.watch.insert(o.id.clone());
        }
        self.order_log.push(o.id.clone());
        self.orders.insert(o.id.clone(), o);
    }
}

/// Books `fills` of `order_id` as trades and moves the wallet's funds. Returns the trade ids
/// and the fee charged in total (pUSD value).
#[allow(clippy::too_many_arguments)]
pub(crate) fn book_fills(
    st: &mut ClobState,
    order_id: &str,
    fills: &[Fill],
    taker: bool,
    fail_ppm: u64,
    force_fail: &mut dyn FnMut() -> bool,
    now_ms: u64,
) -> (Vec<String>, u64) {
    let Some(o) = st.life.orders.get(order_id).cloned() else {
        return (Vec::new(), 0);
    };
    let fees = st.fees;
    let cfg = st.life.cfg;
    let mut ids = Vec::new();
    let mut fee_total = 0;
    for (i, f) in fills.iter().enumerate() {
        st.life.trade_seq += 1;
        let seed = keccak(format!("trade:{}:{order_id}:{i}", st.life.trade_seq).as_bytes());
        let id = uuid_from(&seed);
        let tx_hash = hex(&keccak(format!("tx:{id}").as_bytes()));
        let notional = f.notional_u6();
        let fee_u6 = if taker || !fees.taker_only {
            fees.fee_u6(f.shares_u6, f.price_u6)
        } else {
            0
        };
        let fee_tokens_u6 = match o.side {
            Side::Buy => FeeSchedule::fee_in_tokens_u6(fee_u6, f.price_u6),
            Side::Sell => 0,
        };
        // Deterministic per trade: the same seed fails the same trades.
        let roll = u64::from_be_bytes(seed[24..32].try_into().unwrap_or([0; 8])) % 1_000_000;
        let fails = force_fail() || roll < fail_ppm;
        if let Some(w) = st.accounts.wallets.get_mut(&o.wallet) {
            apply_fill(
                w,
                &o.token,
                o.side,
                FillFunds {
                    shares_u6: f.shares_u6,
                    notional_u6: notional,
                    fee_u6,
                    fee_tokens_u6,
                },
                false,
            );
        }
        fee_total += fee_u6;
        if fails {
            let at = st.life.trades.len();
            st.life.failing.push(at);
        }
        st.life.trades.push(SimTrade {
            id: id.clone(),
            order_id: order_id.to_string(),
            api_key: o.api_key.clone(),
            wallet: o.wallet,
            token: o.token.clone(),
            market: o.market.clone(),
            outcome: o.outcome,
            side: o.side,
            price_u6: f.price_u6,
            size_u6: f.shares_u6,
            notional_u6: notional,
            fee_u6,
            fee_tokens_u6,
            taker,
            match_ms: now_ms,
            mined_ms: now_ms + cfg.mined_after_ms,
            confirmed_ms: now_ms + cfg.confirmed_after_ms,
            fails,
            reverted: false,
            tx_hash,
        });
        ids.push(id);
    }
    let (shares, _) = totals(fills);
    if let Some(o) = st.life.orders.get_mut(order_id) {
        o.matched_u6 += shares;
        o.trade_ids.extend(ids.iter().cloned());
    }
    (ids, fee_total)
}

/// Brings orders, trades and heartbeats up to now (see the module docs).
pub(crate) fn settle(sh: &Shared) {
    let now_ms = crate::clock::wall_ms();
    let mut world = sh.world.lock().unwrap_or_else(|e| e.into_inner());
    world.tick(crate::sim::wall_ns());
    let mut st = sh.clob.state();
    // Failed trades give their funds back.
    let (failed, later): (Vec<usize>, Vec<usize>) = std::mem::take(&mut st.life.failing)
        .into_iter()
        .partition(|&i| now_ms >= st.life.trades[i].confirmed_ms);
    st.life.failing = later;
    for i in failed {
        let t = st.life.trades[i].clone();
        if let Some(w) = st.accounts.wallets.get_mut(&t.wallet) {
            apply_fill(w, &t.token, t.side, t.funds(), true);
        }
        st.life.trades[i].reverted = true;
    }
    // Heartbeats that stopped cancel the key's resting orders.
    let timeout = st.life.cfg.heartbeat_timeout_ms;
    let lapsed: Vec<String> = st
        .life
        .heartbeats
        .iter()
        .filter(|(_, at)| now_ms > **at + timeout)
        .map(|(k, _)| k.clone())
        .collect();
    for key in lapsed {
        st.life.heartbeats.remove(&key);
        let mut n = 0;
        for o in st.life.orders.values_mut() {
            if o.api_key == key && o.status == OrderStatus::Live {
                o.status = OrderStatus::Canceled;
                o.due_ms = None;
                n += 1;
            }
        }
        st.life.heartbeat_cancels += n;
    }
    // Forget watched orders that can no longer change by themselves (matched, cancelled).
    let Lifecycle { watch, orders, .. } = &mut st.life;
    watch.retain(|id| {
        orders
            .get(id)
            .is_some_and(|o| o.status == OrderStatus::Live || o.due_ms.is_some())
    });
    // GTD expiry.
    let now_s = now_ms / 1000;
    for id in watch.iter() {
        let Some(o) = orders.get_mut(id) else {
            continue;
        };
        if o.status == OrderStatus::Live && o.expiration_s != 0 && o.expiration_s <= now_s {
            o.status = OrderStatus::Canceled;
            o.due_ms = None;
        }
    }
    // Delayed and parked orders whose turn has come.
    let mut due: Vec<(u64, String)> = watch
        .iter()
        .filter_map(|id| orders.get(id))
        .filter_map(|o| o.due_ms.filter(|d| *d <= now_ms).map(|d| (d, o.id.clone())))
        .collect();
    due.sort();
    let fail_ppm = sh.faults.trade_failure_ppm();
    for (_, id) in due {
        let Some(o) = st.life.orders.get(&id).cloned() else {
            continue;
        };
        let book = world.market_of(&o.token).and_then(|m| m.book_of(&o.token));
        let want = o.original_u6.saturating_sub(o.matched_u6);
        let (fills, taken) = book.map_or((Vec::new(), Vec::new()), |b| {
            walk(&b, o.side, o.limit_u6, want)
        });
        let (shares, _) = totals(&fills);
        let fok_short = o.order_type == OrderType::Fok && shares < want;
        let was_delayed = o.status == OrderStatus::Delayed;
        if !fills.is_empty() && !fok_short {
            world.take_liquidity(&o.token, o.side == Side::Buy, &taken, now_ms);
            let mut force = || sh.faults.take_trade_failure();
            // A delayed order takes liquidity as a taker; a parked FAK was on the book.
            book_fills(
                &mut st,
                &id,
                &fills,
                was_delayed,
                fail_ppm,
                &mut force,
                now_ms,
            );
        }
        if let Some(o) = st.life.orders.get_mut(&id) {
            o.due_ms = None;
            o.status = if o.matched_u6 > 0 {
                OrderStatus::Matched
            } else if was_delayed {
                OrderStatus::Unmatched
            } else {
                OrderStatus::Canceled
            };
        }
    }
}
