//! The order tracker: follows every live order from its `Sent` note to the end, and every
//! trade to CONFIRMED or FAILED, booking the venue ledger as they become final. It runs on a
//! control thread ([`OrderTracker::step`] in a loop); nothing here touches the hot path.
//!
//! Sources, in order of speed: the `order` thread's notes (`exec::notes`: identity before the
//! bytes leave, then the answer with `orderID` and trade ids), the user channel (`trade` and
//! `order` events), and REST — `GET /data/order/{id}` for any order not final and
//! `GET /data/trades` for trades not final — on a timer and after every user-channel
//! (re)connect. Every trade the venue shows for this API key is ours.
//!
//! Rules:
//! - an order whose answer was lost is *unknown* (its exposure held) until `GET
//!   /data/order/{id}` finds it, or has not found it twice `unknown_grace_ms` apart (then it
//!   was never placed);
//! - a FAK the venue rested (`live`) is cancelled (`DELETE /order`) after
//!   `rested_fak_cancel_ms` and followed until its trades are final; `delayed` answers are
//!   followed the same way;
//! - heartbeats (`POST /v1/heartbeats`) are sent while any order may rest;
//! - the kill switch's `DELETE /cancel-all` is retried until the venue answers it;
//! - a 429 holds every request until its `Retry-After`, and is never a venue error.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::exec::notes::LiveNote;
use crate::exec::orders::order_id_hex;
use crate::pipeline::rings::TapRx;

use super::ledger::VenueLedger;
use super::rest::VenueRest;
use super::store::{StoredOrder, StoredState, VenueStore};
use super::user_ws::{UserChannel, UserEvent};
use super::wire::{OrderState, VenueOrder, VenueTrade};

/// A token live orders may trade, from the control loop's window set-up: its market's fee
/// schedule (`None`: not a whole-number exponent, booked with none) and end.
#[derive(Clone, Debug)]
pub struct VenueToken {
    pub token: String,
    pub fees: Option<super::FeeRule>,
    pub end_s: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct TrackerConfig {
    /// REST follow-up of orders and trades not final, ms.
    pub follow_every_ms: u64,
    /// Heartbeats while an order may rest, ms (the venue cancels after about 10 s without).
    pub heartbeat_every_ms: u64,
    /// A rested FAK is cancelled this long after its `live` answer, ms.
    pub rested_fak_cancel_ms: u64,
    /// An unknown order not found twice this far apart was never placed, ms.
    pub unknown_grace_ms: u64,
    /// An order sent with no answer for this long is looked up by id, ms.
    pub answer_timeout_ms: u64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            follow_every_ms: 1_000,
            heartbeat_every_ms: 5_000,
            rested_fak_cancel_ms: 500,
            unknown_grace_ms: 2_000,
            answer_timeout_ms: 5_000,
        }
    }
}

/// Counters for `/metrics` and the tests.
#[derive(Debug, Default)]
pub struct TrackerCounters {
    pub orders_followed: AtomicU64,
    pub unknown: AtomicU64,
    pub unknown_resolved: AtomicU64,
    pub never_placed: AtomicU64,
    pub trades_confirmed: AtomicU64,
    pub trades_failed: AtomicU64,
    pub rested_cancels: AtomicU64,
    pub heartbeats: AtomicU64,
    pub cancel_all_sent: AtomicU64,
    pub cancel_all_confirmed: AtomicU64,
    pub throttled: AtomicU64,
    pub rest_errors: AtomicU64,
    pub bad_events: AtomicU64,
    pub store_errors: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

#[derive(Clone, Debug)]
pub(super) struct Tracked {
    pub(super) state: StoredState,
    /// Limit × size, pUSD (0 when not known: an order first met at the venue).
    notional_u6: u64,
    /// A FAK the venue rested (to be cancelled).
    pub(super) rested: bool,
    pub(super) since_ms: u64,
    pub(super) next_check_ms: u64,
    pub(super) first_missing_ms: Option<u64>,
    pub(super) cancel_sent: bool,
}

/// Everything the tracker holds; the ledger is shared with the API.
pub struct OrderTracker {
    pub cfg: TrackerConfig,
    pub(super) rest: VenueRest,
    pub(super) store: VenueStore,
    pub ledger: Arc<Mutex<VenueLedger>>,
    pub counters: Arc<TrackerCounters>,
    pub(super) notes: Option<TapRx<LiveNote>>,
    pub(super) user: Option<UserChannel>,
    pub(super) orders: BTreeMap<String, Tracked>,
    /// Trades not final, by id.
    pub(super) trades: BTreeMap<String, VenueTrade>,
    /// Trade ids an answer named that no trade record has shown yet, with when they were
    /// first named (local wall ms).
    pub(super) awaited: BTreeMap<String, u64>,
    pub(super) throttled_until_ms: u64,
    pub(super) last_heartbeat_ms: u64,
    pub(super) heartbeat_id: Option<String>,
    pub(super) next_trades_sync_ms: u64,
    /// Trades matched before this (Unix s) are all final here: syncs ask only for later ones.
    pub(super) trades_after_s: u64,
    pub(super) resync: bool,
    pub(super) kill_pending: bool,
    pub(super) events: Vec<UserEvent>,
    /// Each market's fee schedule, by token id, as discovery finds it.
    pub(super) fee_rx: Option<crossbeam::channel::Receiver<VenueToken>>,
}

impl OrderTracker {
    pub fn new(
        cfg: TrackerConfig,
        rest: VenueRest,
        store: VenueStore,
        ledger: VenueLedger,
        notes: Option<TapRx<LiveNote>>,
        user: Option<UserChannel>,
    ) -> OrderTracker {
        OrderTracker {
            cfg,
            rest,
            store,
            ledger: Arc::new(Mutex::new(ledger)),
            counters: Arc::default(),
            notes,
            user,
            orders: BTreeMap::new(),
            trades: BTreeMap::new(),
            awaited: BTreeMap::new(),
            throttled_until_ms: 0,
            last_heartbeat_ms: 0,
            heartbeat_id: None,
            next_trades_sync_ms: 0,
            trades_after_s: 0,
            resync: true,
            kill_pending: false,
            events: Vec::new(),
            fee_rx: None,
        }
    }

    /// Where the `order` thread's notes come from (set once live trading starts).
    pub fn set_notes(&mut self, notes: TapRx<LiveNote>) {
        self.notes = Some(notes);
    }

    /// Where the markets' fee schedules and ends come from (the control loop's set-ups).
    pub fn set_fee_source(&mut self, rx: crossbeam::channel::Receiver<VenueToken>) {
        self.fee_rx = Some(rx);
    }

    /// A token's market: its fee schedule (used for its trades) and end (its position stops
    /// counting as exposure then), kept in the store.
    pub fn set_market(&mut self, t: &VenueToken) {
        let r = self.store.put_market(&t.token, t.fees, t.end_s);
        self.store_ok(r);
        let mut l = self.ledger();
        if let Some(rule) = t.fees {
            l.set_fee_rule(&t.token, rule);
        }
        if t.end_s > 0 {
            l.set_market_end(&t.token, t.end_s);
        }
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, VenueLedger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn store_ok(&self, r: anyhow::Result<()>) {
        if let Err(e) = r {
            bump(&self.counters.store_errors);
            tracing::error!("venue ledger write failed: {e:#}");
        }
    }

    /// Follow `order_id` (a restart's orders not final, or one found at the venue).
    pub fn follow(&mut self, order_id: &str, state: StoredState, now_ms: u64) {
        let id = order_id.to_ascii_lowercase();
        self.orders.entry(id).or_insert(Tracked {
            state,
            notional_u6: 0,
            rested: false,
            since_ms: now_ms,
            next_check_ms: now_ms,
            first_missing_ms: None,
            cancel_sent: false,
        });
    }

    /// Trades matched before `after_s` are known and final (a restart's last one seen).
    pub fn set_trades_after(&mut self, after_s: u64) {
        self.trades_after_s = after_s;
    }

    /// Follow a trade not final (a restart's).
    pub fn follow_trade(&mut self, t: VenueTrade) {
        self.trades.insert(t.id.clone(), t);
    }

    /// The kill switch flipped on: cancel everything, retried until the venue confirms.
    pub fn kill(&mut self) {
        self.kill_pending = true;
    }

    pub fn kill_pending(&self) -> bool {
        self.kill_pending
    }

    /// `GET /data/trades` syncs ask for trades matched from this (Unix s) less a margin.
    pub fn trades_synced_after_s(&self) -> u64 {
        self.trades_after_s
    }

    /// Orders not done and trades not final.
    pub fn outstanding(&self) -> (usize, usize) {
        let open = self
            .orders
            .values()
            .filter(|o| o.state != StoredState::Done)
            .count();
        (open, self.trades.len() + self.awaited.len())
    }

    /// Orders whose state is unknown (answer lost, not found yet).
    pub fn unknown(&self) -> usize {
        self.orders
            .values()
            .filter(|o| o.state == StoredState::Unknown)
            .count()
    }

    /// The redemption service's entry point: a resolved market's `tokens` closed for
    /// `payout_u6` (0 for losing tokens), written to the store, then to the ledger.
    pub fn on_redeemed(&mut self, condition: &str, tokens: &[&str], payout_u6: u64) -> i64 {
        let r = self.store.put_redemption(condition, tokens, payout_u6);
        self.store_ok(r);
        self.ledger().on_redeemed(condition, tokens, payout_u6)
    }

    /// The tokens the ledger holds of market `condition`.
    pub fn market_tokens(&self, condition: &str) -> Vec<String> {
        self.ledger().market_tokens(condition)
    }

    /// pUSD held by orders that may still fill (unknown, or open at the venue), at their
    /// limit: exposure the ledger does not show yet.
    pub fn order_exposure_u6(&self) -> u64 {
        self.orders
            .values()
            .filter(|o| {
                matches!(
                    o.state,
                    StoredState::Unknown | StoredState::Open | StoredState::Sent
                )
            })
            .map(|o| o.notional_u6)
            .sum()
    }

    /// The state of an order the tracker follows.
    pub fn order_state(&self, order_id: &str) -> Option<StoredState> {
        self.orders
            .get(&order_id.to_ascii_lowercase())
            .map(|o| o.state)
    }

    pub(super) fn set_state(&mut self, id: &str, state: StoredState) {
        if let Some(o) = self.orders.get_mut(id) {
            if o.state == state {
                return;
            }
            o.state = state;
        }
        let r = self.store.set_order_state(id, state);
        self.store_ok(r);
    }

    /// A note from the `order` thread.
    pub fn on_note(&mut self, note: LiveNote) {
        match note {
            LiveNote::Sent {
                intent_id,
                token,
                order_hash,
                salt,
                price_e4,
                size_e6,
                presigned,
                wall_ms,
            } => {
                let id = String::from_utf8_lossy(&order_id_hex(&order_hash)).into_owned();
                let r = self.store.put_order(&StoredOrder {
                    order_id: id.clone(),
                    intent_id,
                    token_slot: token.0,
                    salt,
                    price_e4,
                    size_e6,
                    presigned,
                    state: StoredState::Sent,
                    created_ms: wall_ms,
                });
                self.store_ok(r);
                bump(&self.counters.orders_followed);
                self.follow(&id, StoredState::Sent, wall_ms);
                if let Some(o) = self.orders.get_mut(&id) {
                    o.next_check_ms = wall_ms + self.cfg.answer_timeout_ms;
                    o.notional_u6 = size_e6.saturating_mul(u64::from(price_e4)) / 10_000;
                }
            }
            LiveNote::Answered {
                order_hash,
                http_status,
                answer,
                wall_ms,
                ..
            } => {
                let id = String::from_utf8_lossy(&order_id_hex(&order_hash)).into_owned();
                self.follow(&id, StoredState::Sent, wall_ms);
                let Some(a) = answer.filter(|a| a.accepted(http_status)) else {
                    // Refused, killed or throttled: never placed.
                    self.set_state(&id, StoredState::Done);
                    return;
                };
                for i in 0..crate::exec::answer::TRADE_IDS_KEPT {
                    let t = a.trade_id(i);
                    if !t.is_empty() && !self.ledger().is_final(t) && !self.trades.contains_key(t) {
                        self.awaited.entry(t.to_string()).or_insert(wall_ms);
                    }
                }
                use crate::exec::answer::AnswerStatus as A;
                match a.status {
                    A::Live | A::Delayed => {
                        if let Some(o) = self.orders.get_mut(&id) {
                            o.rested = a.status == A::Live;
                            o.since_ms = wall_ms;
                            o.next_check_ms = wall_ms + self.cfg.follow_every_ms;
                        }
                        self.set_state(&id, StoredState::Open);
                    }
                    _ => self.set_state(&id, StoredState::Done),
                }
                if a.trade_ids > 0 {
                    self.next_trades_sync_ms = wall_ms + self.cfg.follow_every_ms / 2;
                }
            }
            LiveNote::Unknown {
                order_hash,
                wall_ms,
                ..
            } => {
                let id = String::from_utf8_lossy(&order_id_hex(&order_hash)).into_owned();
                self.follow(&id, StoredState::Unknown, wall_ms);
                bump(&self.counters.unknown);
                if let Some(o) = self.orders.get_mut(&id) {
                    o.next_check_ms = wall_ms;
                }
                self.set_state(&id, StoredState::Unknown);
            }
            LiveNote::Throttled { until_wall_ms } => {
                self.throttled_until_ms = self.throttled_until_ms.max(until_wall_ms);
            }
        }
    }

    /// A trade record (user channel or REST): stored, then booked or unbooked when final.
    pub fn on_trade(&mut self, t: VenueTrade) {
        self.awaited.remove(&t.id);
        if self.ledger().is_final(&t.id) {
            return;
        }
        let r = self.store.put_trade(&t);
        self.store_ok(r);
        if !self.orders.contains_key(&t.order_id) {
            // Ours (the venue shows only this key's trades) but unknown here: sent on the
            // spot just before a crash, or first seen after a restart.
            let r = self.store.set_order_state(&t.order_id, StoredState::Done);
            self.store_ok(r);
        }
        use super::wire::TradeStatus as S;
        match t.status {
            S::Confirmed => {
                self.trades.remove(&t.id);
                self.ledger().on_confirmed(&t);
                bump(&self.counters.trades_confirmed);
            }
            S::Failed => {
                self.trades.remove(&t.id);
                self.ledger().on_failed(&t.id);
                bump(&self.counters.trades_failed);
            }
            _ => {
                self.ledger().on_pending(&t);
                self.trades.insert(t.id.clone(), t);
            }
        }
    }

    /// An order record (user channel or REST).
    pub fn on_order(&mut self, o: VenueOrder, now_ms: u64) {
        for t in &o.trade_ids {
            if !self.ledger().is_final(t) && !self.trades.contains_key(t) {
                self.awaited.entry(t.clone()).or_insert(now_ms);
            }
        }
        if !o.trade_ids.is_empty() {
            self.next_trades_sync_ms = self.next_trades_sync_ms.min(now_ms);
        }
        let was_unknown = self.order_state(&o.id) == Some(StoredState::Unknown);
        self.follow(&o.id, StoredState::Open, now_ms);
        if was_unknown {
            bump(&self.counters.unknown_resolved);
        }
        if let Some(t) = self.orders.get_mut(&o.id) {
            t.first_missing_ms = None;
            if o.state == OrderState::Live && o.order_type.eq_ignore_ascii_case("FAK") {
                if !t.rested {
                    t.since_ms = now_ms;
                }
                t.rested = true;
            }
        }
        let state = if o.state.is_done() {
            StoredState::Done
        } else {
            StoredState::Open
        };
        self.set_state(&o.id, state);
    }

    /// One pass: notes, user channel, then the REST follow-ups that are due. Returns how much
    /// work it found.
    pub fn step(&mut self, now_ms: u64) -> usize {
        let mut work = 0;
        while let Some(t) = self.fee_rx.as_ref().and_then(|r| r.try_recv().ok()) {
            self.set_market(&t);
            work += 1;
        }
        while let Some(n) = self.notes.as_mut().and_then(|r| r.pop()) {
            self.on_note(n);
            work += 1;
        }
        if let Some(u) = self.user.as_mut() {
            let mut evs = std::mem::take(&mut self.events);
            u.poll(now_ms, &mut evs);
            for ev in evs.drain(..) {
                work += 1;
                match ev {
                    UserEvent::Connected => self.resync = true,
                    UserEvent::Trade(t) => self.on_trade(t),
                    UserEvent::Order(o) => self.on_order(o, now_ms),
                    UserEvent::Bad(_) => bump(&self.counters.bad_events),
                }
            }
            self.events = evs;
        }
        if now_ms < self.throttled_until_ms {
            return work;
        }
        if self.kill_pending {
            bump(&self.counters.cancel_all_sent);
            match self.rest.cancel_all() {
                Ok(c) => {
                    self.kill_pending = false;
                    bump(&self.counters.cancel_all_confirmed);
                    for id in c.canceled {
                        self.follow(&id, StoredState::Open, now_ms);
                        if let Some(o) = self.orders.get_mut(&id) {
                            o.next_check_ms = now_ms;
                        }
                    }
                }
                Err(e) => {
                    self.throttle(&e, now_ms);
                    return work + 1;
                }
            }
        }
        work += self.follow_orders(now_ms);
        work += self.follow_trades(now_ms);
        work += self.heartbeat(now_ms);
        work
    }
}
