//! Starting the venue side: open the ledger's store, rebuild the ledger from it, and bring it
//! level with the venue before any order is sent — cancel whatever may rest (`DELETE
//! /cancel-all`, retried until confirmed), look up every order not known to be done by its id,
//! and read the trades (`GET /data/trades`): any trade not seen before is ours (the venue
//! shows only this key's), including those of orders signed on the spot just before a crash,
//! which never reached the store. [`reconcile`] returns once nothing is outstanding, or says
//! what still is when its time runs out.

use std::time::{Duration, Instant};

use crate::exec::notes::LiveNote;
use crate::pipeline::rings::TapRx;

use super::fees::FeeRule;
use super::rest::VenueRest;
use super::store::VenueStore;
use super::tracker::{OrderTracker, TrackerConfig};
use super::user_ws::UserChannel;

/// A tracker rebuilt from the store at `store`, following what it left open.
pub fn open_tracker(
    cfg: TrackerConfig,
    rest: VenueRest,
    store: VenueStore,
    default_fees: FeeRule,
    notes: Option<TapRx<LiveNote>>,
    user: Option<UserChannel>,
) -> anyhow::Result<OrderTracker> {
    let balance = rest
        .pusd_balance_u6()
        .map_err(|e| anyhow::anyhow!("reading the wallet's pUSD balance: {e}"))?;
    let start = store.start_cash_u6(balance)?;
    let loaded = store.load(start, default_fees)?;
    let now = crate::clock::wall_ms();
    let open = loaded.open_orders.clone();
    let pending = loaded.pending_trades.clone();
    let mut t = OrderTracker::new(cfg, rest, store, loaded.ledger, notes, user);
    // Trades before the last one seen are in the store already; a pending one is older
    // still and bounds the look-back itself.
    let oldest_pending = pending.iter().map(|t| t.match_time_s).min();
    t.set_trades_after(oldest_pending.map_or(loaded.last_match_s, |p| p.min(loaded.last_match_s)));
    for o in open {
        t.follow(&o.order_id, o.state, now);
    }
    for tr in pending {
        t.follow_trade(tr);
    }
    Ok(t)
}

/// Brings `t` level with the venue (see the module docs): `cancel_resting` first cancels every
/// resting order. `Err` names what is still outstanding after `timeout`.
pub fn reconcile(
    t: &mut OrderTracker,
    cancel_resting: bool,
    timeout: Duration,
) -> anyhow::Result<()> {
    if cancel_resting {
        t.kill();
    }
    let deadline = Instant::now() + timeout;
    loop {
        t.step(crate::clock::wall_ms());
        let (orders, trades) = t.outstanding();
        if orders == 0 && trades == 0 && !t.kill_pending() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "venue not reconciled after {} s: {orders} order(s) not final, {trades} \
                 trade(s) not confirmed or failed{}",
                timeout.as_secs(),
                if t.kill_pending() {
                    ", cancel-all not confirmed"
                } else {
                    ""
                }
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
