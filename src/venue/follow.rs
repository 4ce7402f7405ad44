//! The tracker's REST follow-ups (see [`super::tracker`] for the rules): orders not final
//! looked up by id (a rested FAK cancelled first when its grace is over; an order not found
//! twice `unknown_grace_ms` apart was never placed), trades not final read again, heartbeats
//! while anything may rest, and the 429 hold.

use std::sync::atomic::Ordering;

use super::rest::RestError;
use super::store::StoredState;
use super::tracker::OrderTracker;

fn bump(c: &std::sync::atomic::AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl OrderTracker {
    pub(super) fn throttle(&mut self, e: &RestError, now_ms: u64) -> bool {
        match e {
            RestError::Throttled { retry_after_s } => {
                bump(&self.counters.throttled);
                self.throttled_until_ms = self
                    .throttled_until_ms
                    .max(now_ms + retry_after_s.max(&1) * 1000);
                true
            }
            _ => {
                bump(&self.counters.rest_errors);
                false
            }
        }
    }

    pub(super) fn follow_orders(&mut self, now_ms: u64) -> usize {
        let resync = std::mem::take(&mut self.resync);
        let due: Vec<String> = self
            .orders
            .iter()
            .filter(|(_, o)| o.state != StoredState::Done && (resync || o.next_check_ms <= now_ms))
            .map(|(id, _)| id.clone())
            .collect();
        if resync {
            self.next_trades_sync_ms = now_ms;
        }
        let mut work = 0;
        for id in due {
            work += 1;
            let (rested, since, cancel_sent) = {
                let o = &self.orders[&id];
                (o.rested, o.since_ms, o.cancel_sent)
            };
            if rested && !cancel_sent && now_ms >= since + self.cfg.rested_fak_cancel_ms {
                match self.rest.cancel(&id) {
                    Ok(_) => {
                        bump(&self.counters.rested_cancels);
                        if let Some(o) = self.orders.get_mut(&id) {
                            o.cancel_sent = true;
                        }
                    }
                    Err(e) => {
                        if self.throttle(&e, now_ms) {
                            return work;
                        }
                    }
                }
            }
            let next = now_ms + self.cfg.follow_every_ms;
            match self.rest.order(&id) {
                Ok(o) => {
                    self.on_order(o, now_ms);
                    if let Some(t) = self.orders.get_mut(&id) {
                        t.next_check_ms = if t.rested && !t.cancel_sent {
                            (t.since_ms + self.cfg.rested_fak_cancel_ms).min(next)
                        } else {
                            next
                        };
                    }
                }
                Err(RestError::NotFound) => {
                    let grace = self.cfg.unknown_grace_ms;
                    let Some(o) = self.orders.get_mut(&id) else {
                        continue;
                    };
                    o.next_check_ms = now_ms + grace;
                    match o.first_missing_ms {
                        None => o.first_missing_ms = Some(now_ms),
                        Some(first) if now_ms >= first + grace => {
                            // Looked up twice, `grace` apart: the venue never had it.
                            let was_unknown = o.state == StoredState::Unknown;
                            self.set_state(&id, StoredState::Done);
                            bump(&self.counters.never_placed);
                            if was_unknown {
                                bump(&self.counters.unknown_resolved);
                            }
                        }
                        Some(_) => {}
                    }
                }
                Err(e) => {
                    if let Some(o) = self.orders.get_mut(&id) {
                        o.next_check_ms = next;
                    }
                    if self.throttle(&e, now_ms) {
                        return work;
                    }
                }
            }
        }
        work
    }

    pub(super) fn follow_trades(&mut self, now_ms: u64) -> usize {
        let waiting = !self.trades.is_empty() || !self.awaited.is_empty();
        if !waiting && self.next_trades_sync_ms == u64::MAX {
            return 0;
        }
        if now_ms < self.next_trades_sync_ms {
            return 0;
        }
        // A margin for clocks and for trades stamped before the answer that named them.
        let after = self.trades_after_s.saturating_sub(TRADES_MARGIN_S);
        match self.rest.trades(None, after) {
            Ok(ts) => {
                for t in ts {
                    self.on_trade(t);
                }
                // Everything matched before the oldest trade still pending is final here: the
                // next sync asks from there, not from the first trade of the run. (Only moving
                // on when nothing was pending made every sync of a busy session return every
                // trade since it began: the venue's answer, and the time the simulated venue's
                // one HTTP thread spent on it, grew with the session.)
                let oldest_pending_s = self
                    .trades
                    .values()
                    .map(|t| t.match_time_s)
                    .chain(self.awaited.values().map(|&ms| ms / 1000))
                    .min()
                    .unwrap_or(now_ms / 1000);
                self.trades_after_s = self.trades_after_s.max(oldest_pending_s.min(now_ms / 1000));
                self.next_trades_sync_ms = if self.trades.is_empty() && self.awaited.is_empty() {
                    u64::MAX
                } else {
                    now_ms + self.cfg.follow_every_ms
                };
            }
            Err(e) => {
                self.next_trades_sync_ms = now_ms + self.cfg.follow_every_ms;
                self.throttle(&e, now_ms);
            }
        }
        1
    }

    pub(super) fn heartbeat(&mut self, now_ms: u64) -> usize {
        let may_rest = self
            .orders
            .values()
            .any(|o| matches!(o.state, StoredState::Open | StoredState::Unknown));
        if !may_rest || now_ms < self.last_heartbeat_ms + self.cfg.heartbeat_every_ms {
            return 0;
        }
        self.last_heartbeat_ms = now_ms;
        match self.rest.heartbeat(self.heartbeat_id.as_deref()) {
            Ok(id) => {
                bump(&self.counters.heartbeats);
                self.heartbeat_id = Some(id);
            }
            Err(e) => {
                self.throttle(&e, now_ms);
            }
        }
        1
    }
}

/// How far before the oldest pending trade a `/data/trades` sync reaches back, s: room for the
/// venue's clock against ours and for trades matched before the answer that named them.
const TRADES_MARGIN_S: u64 = 60;
