//! End to end against the strict simulated CLOB (real sockets on 127.0.0.1): the `order`
//! thread's live path (`LiveExec`) sends real signed orders, its notes go to the order
//! tracker, which follows them through the user channel and REST and books the venue ledger.
//! Every test ends with the ledger equal, to the micro-unit, to the simulator's own record of
//! the wallet (pUSD and every token held).

mod venue_clob_common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use cassandra::clob::http::HttpTarget;
use cassandra::clob::order::{Chain, OrderVersion};
use cassandra::exec::live::{LiveCounters, LiveExec, SendError};
use cassandra::exec::notes::{LiveNote, NOTES_CAPACITY};
use cassandra::exec::orders::{Account, TokenOrderInfo};
use cassandra::pipeline::events::{ExecReport, ExecStatus, OrderIntent, TokenId};
use cassandra::pipeline::rings::{tap, TapRx};
use cassandra::sim::clob::{LifecycleConfig, OrderStatus};
use cassandra::venue::reconcile::{open_tracker, reconcile};
use cassandra::venue::rest::VenueRest;
use cassandra::venue::store::{StoredState, VenueStore};
use cassandra::venue::user_ws::UserChannel;
use cassandra::venue::{FeeRule, OrderTracker, TrackerConfig};
use venue_clob_common::{pick_dearer_side, Trader, Venue};

const FUNDS_U6: u64 = 500_000_000;

fn quick() -> LifecycleConfig {
    LifecycleConfig {
        mined_after_ms: 200,
        confirmed_after_ms: 800,
        heartbeat_timeout_ms: 1_000,
        delayed_match_ms: 300,
    }
}

fn tracker_cfg() -> TrackerConfig {
    TrackerConfig {
        follow_every_ms: 200,
        heartbeat_every_ms: 300,
        rested_fak_cancel_ms: 1_500,
        unknown_grace_ms: 500,
        answer_timeout_ms: 2_000,
    }
}

struct Rig {
    v: Venue,
    t: Trader,
    exec: LiveExec,
    counters: std::sync::Arc<LiveCounters>,
    store_path: std::path::PathBuf,
    next_intent: u64,
}

fn store_path(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!(
        "cassandra-venue-{name}-{}-{}.sqlite",
        std::process::id(),
        cassandra::clock::wall_ms()
    ));
    let _ = std::fs::remove_file(&p);
    p
}

impl Rig {
    fn start(name: &str, key_byte: u8) -> (Rig, TapRx<LiveNote>) {
        let mut v = Venue::start();
        pick_dearer_side(&mut v);
        let t = v.eoa_trader(key_byte);
        v.sim.clob().fund(&t.maker, FUNDS_U6);
        v.sim.clob().set_lifecycle(quick());
        let key = venue_clob_common::key(key_byte);
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (_pre_tx, pre_rx) = tap(8, dropped.clone());
        let (used_tx, _used_rx) = tap(8, dropped.clone());
        let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (mut tok_tx, tok_rx) =
            cassandra::pipeline::lossless::lossless(8, dropped.clone(), alive);
        let (notes_tx, notes_rx) = tap(NOTES_CAPACITY, dropped);
        let book = v.book();
        let info = TokenOrderInfo::from_window(&v.token, book.tick_e4 as u16, false, 5_000_000)
            .expect("token");
        assert!(tok_tx.send((TokenId(1), info)));
        std::mem::forget(tok_tx);
        std::mem::forget(_pre_tx);
        std::mem::forget(_used_rx);
        let counters: std::sync::Arc<LiveCounters> = Default::default();
        let mut exec = LiveExec::new(
            HttpTarget::parse(&v.sim.http_url()).unwrap(),
            cassandra::clob::sign::OrderSigner::new(key.clone(), Chain::Polygon),
            Account {
                maker: t.maker,
                signature_type: t.signature_type,
                version: OrderVersion::V2,
            },
            t.creds.clone(),
            pre_rx,
            used_tx,
            tok_rx,
            counters.clone(),
            std::sync::Arc::new(std::sync::atomic::AtomicU8::new(2)),
        )
        .unwrap();
        exec.absorb();
        exec.notes = Some(notes_tx);
        let rig = Rig {
            v,
            t,
            exec,
            counters,
            store_path: store_path(name),
            next_intent: 1,
        };
        (rig, notes_rx)
    }

    fn tracker(&self, notes: Option<TapRx<LiveNote>>, cfg: TrackerConfig) -> OrderTracker {
        let rest = VenueRest::new(
            &self.v.sim.http_url(),
            self.t.creds.clone(),
            self.t.auth_address,
            0,
            Duration::from_secs(5),
        )
        .unwrap();
        let ws = format!(
            "{}/ws/user",
            self.v.sim.http_url().replacen("http://", "ws://", 1)
        );
        let user = UserChannel::new(&ws, &self.t.creds).unwrap();
        let store = VenueStore::open(&self.store_path).unwrap();
        let fees = self.v.sim.clob().fee_schedule();
        let rule = FeeRule {
            rate_ppm: fees.rate_ppm,
            exponent: fees.exponent,
            taker_only: fees.taker_only,
        };
        open_tracker(cfg, rest, store, rule, notes, Some(user)).unwrap()
    }

    /// A marketable BUY of `shares` a cent over the best ask.
    fn intent(&mut self, shares_e6: u64) -> OrderIntent {
        let book = self.v.book();
        let ask = book.best_ask().expect("ask").price_e4;
        let mut i = OrderIntent {
            intent_id: self.next_intent,
            token: TokenId(1),
            limit_price_e4: (ask + 100).min(10_000 - book.tick_e4),
            size_e6: shares_e6,
            ..Default::default()
        };
        i.book.tick_e4 = book.tick_e4 as u16;
        self.next_intent += 1;
        i
    }

    /// Sends and waits for the report.
    fn send(&mut self, shares_e6: u64) -> Result<ExecReport, SendError> {
        let intent = self.intent(shares_e6);
        self.exec.send(
            &intent,
            cassandra::clock::mono_ns(),
            cassandra::clock::wall_ms(),
        )?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut out = Vec::new();
        while out.is_empty() {
            assert!(Instant::now() < deadline, "no report");
            self.exec.poll(cassandra::clock::mono_ns(), |r| out.push(r));
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(out[0])
    }

    /// The ledger equals the simulator's record of the wallet.
    fn assert_ledger_matches(&self, tr: &OrderTracker) {
        self.v.sim.settle_clob();
        let sim = self.v.sim.clob().balance(&self.t.maker).expect("wallet");
        let l = tr.ledger.lock().unwrap();
        assert_eq!(l.cash_u6(), sim.pusd_u6, "pUSD: ledger vs simulator");
        let held: Vec<(String, u64)> = sim.tokens.into_iter().filter(|(_, n)| *n > 0).collect();
        let ours: Vec<(String, u64)> = l
            .positions()
            .iter()
            .filter(|(_, h)| h.shares_u6 > 0)
            .map(|(k, h)| (k.clone(), h.shares_u6))
            .collect();
        assert_eq!(ours, held, "tokens: ledger vs simulator");
    }
}

/// Steps until nothing is outstanding (or `cond` holds), or panics after `secs`.
fn run_until(tr: &mut OrderTracker, secs: u64, mut cond: impl FnMut(&OrderTracker) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        tr.step(cassandra::clock::wall_ms());
        if cond(tr) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not done after {secs} s: outstanding {:?}, unknown {}",
            tr.outstanding(),
            tr.unknown()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn settled(tr: &OrderTracker) -> bool {
    tr.outstanding() == (0, 0)
}

#[test]
fn a_matched_trade_that_fails_is_unbooked_and_a_confirmed_one_booked() {
    let (mut rig, notes) = Rig::start("failed", 0x51);
    let mut tr = rig.tracker(Some(notes), tracker_cfg());
    rig.v.sim.faults().fail_next_trades(1);
    let r = rig.send(10_000_000).expect("sent");
    assert_eq!(
        r.status,
        ExecStatus::Matched,
        "the answer says matched: {:?} {:?}",
        rig.v
            .sim
            .clob()
            .orders()
            .last()
            .map(|o| (&o.error, o.price_u6, o.size_u6)),
        rig.v.book()
    );
    // Pending first: matched is exposure, not cash.
    run_until(&mut tr, 5, |t| {
        t.ledger.lock().unwrap().view().pending_trades == 1
    });
    assert_eq!(tr.ledger.lock().unwrap().cash_u6(), FUNDS_U6);
    run_until(&mut tr, 10, settled);
    let view = tr.ledger.lock().unwrap().view();
    assert_eq!((view.failed_trades, view.confirmed_trades), (1, 0));
    assert_eq!(view.cash_u6, FUNDS_U6, "a FAILED trade never touches cash");
    assert!(view.positions.is_empty());
    rig.assert_ledger_matches(&tr);
    // The next one confirms and is booked with the venue's fee.
    let r = rig.send(10_000_000).expect("sent");
    assert_eq!(r.status, ExecStatus::Matched);
    run_until(&mut tr, 10, settled);
    let view = tr.ledger.lock().unwrap().view();
    assert_eq!(view.confirmed_trades, rig.v.sim.clob().trades().len() - 1);
    assert!(view.fees_u6 > 0, "the taker fee is charged");
    assert!(view.cash_u6 < FUNDS_U6);
    rig.assert_ledger_matches(&tr);
    assert_eq!(tr.counters.trades_failed.load(Ordering::Relaxed), 1);
}

#[test]
fn an_order_whose_answer_is_cut_is_unknown_then_resolved_by_id() {
    let (mut rig, notes) = Rig::start("cut", 0x52);
    let mut tr = rig.tracker(Some(notes), tracker_cfg());
    rig.v.sim.faults().cut_next_order_answers(1);
    let r = rig.send(10_000_000).expect("written");
    assert_eq!(
        r.status,
        ExecStatus::Delayed,
        "in doubt, exposure held: never Rejected"
    );
    assert_eq!(r.filled_e6, 0);
    assert_eq!(rig.counters.in_doubt.load(Ordering::Relaxed), 1);
    assert_eq!(rig.counters.venue_errors.load(Ordering::Relaxed), 0);
    // The venue did take it.
    let rec = rig.v.sim.clob().orders();
    assert_eq!(rec.len(), 1);
    assert!(rec[0].filled_u6 > 0);
    run_until(&mut tr, 10, settled);
    assert_eq!(
        tr.counters.unknown.load(Ordering::Relaxed),
        1,
        "the tracker was told it is unknown"
    );
    assert_eq!(
        tr.counters.unknown_resolved.load(Ordering::Relaxed),
        1,
        "and resolved it by order id"
    );
    assert_eq!(tr.order_state(&rec[0].order_id), Some(StoredState::Done));
    let view = tr.ledger.lock().unwrap().view();
    assert_eq!(view.confirmed_trades, rig.v.sim.clob().trades().len());
    assert!(
        !view.positions.is_empty(),
        "the fill the answer lost is booked"
    );
    rig.assert_ledger_matches(&tr);
    // The order thread reconnects and trades on.
    let r = rig.send(10_000_000).expect("sent after reconnect");
    assert_eq!(r.status, ExecStatus::Matched);
    run_until(&mut tr, 10, settled);
    rig.assert_ledger_matches(&tr);
}

#[test]
fn a_fak_that_rests_then_fills_is_followed_and_one_that_stays_is_cancelled() {
    let (mut rig, notes) = Rig::start("rest", 0x53);
    let mut tr = rig.tracker(Some(notes), tracker_cfg());
    rig.v.sim.faults().rest_next_faks(1, 200);
    let r = rig.send(10_000_000).expect("sent");
    assert_eq!(r.status, ExecStatus::Delayed, "rested: not a fill yet");
    run_until(&mut tr, 10, settled);
    let view = tr.ledger.lock().unwrap().view();
    assert!(view.confirmed_trades >= 1, "the rested FAK filled later");
    assert_eq!(tr.counters.rested_cancels.load(Ordering::Relaxed), 0);
    rig.assert_ledger_matches(&tr);
    // One that would rest for a minute is cancelled after the grace.
    rig.v.sim.faults().rest_next_faks(1, 60_000);
    let r = rig.send(10_000_000).expect("sent");
    assert_eq!(r.status, ExecStatus::Delayed);
    let id = rig.v.sim.clob().orders().last().unwrap().order_id.clone();
    run_until(&mut tr, 10, settled);
    assert_eq!(tr.counters.rested_cancels.load(Ordering::Relaxed), 1);
    assert_eq!(
        rig.v.sim.clob().order(&id).unwrap().status,
        OrderStatus::Canceled
    );
    rig.assert_ledger_matches(&tr);
}

#[test]
fn a_429_storm_is_waited_out_without_venue_errors() {
    let (mut rig, notes) = Rig::start("storm", 0x54);
    let mut tr = rig.tracker(Some(notes), tracker_cfg());
    run_until(&mut tr, 5, settled);
    rig.v.sim.faults().set_clob_retry_after_s(1);
    rig.v.sim.faults().fail_next_clob_requests(4, 429);
    let r = rig.send(10_000_000).expect("sent");
    assert_eq!(
        r.status,
        ExecStatus::Unmatched,
        "throttled: not placed, not a venue error"
    );
    assert_eq!(rig.counters.throttled.load(Ordering::Relaxed), 1);
    // Within Retry-After nothing is sent.
    assert_eq!(rig.send(10_000_000).err(), Some(SendError::Throttled));
    let t0 = Instant::now();
    let mut matched = 0;
    let mut throttled_reports = 1;
    while matched < 2 {
        assert!(t0.elapsed() < Duration::from_secs(15), "storm never ended");
        tr.step(cassandra::clock::wall_ms());
        match rig.send(10_000_000) {
            Ok(r) if r.status == ExecStatus::Matched => matched += 1,
            Ok(r) => {
                assert_eq!(r.status, ExecStatus::Unmatched, "{r:?}");
                throttled_reports += 1;
            }
            Err(SendError::Throttled) => {}
            Err(e) => panic!("{e:?}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "Retry-After honoured"
    );
    assert_eq!(rig.counters.venue_errors.load(Ordering::Relaxed), 0);
    assert!(throttled_reports >= 1);
    run_until(&mut tr, 15, settled);
    rig.assert_ledger_matches(&tr);
    let every_429_sent: u64 = rig
        .v
        .sim
        .clob()
        .orders()
        .iter()
        .filter(|o| o.http_status == 429)
        .count() as u64;
    assert_eq!(
        every_429_sent,
        rig.counters.throttled.load(Ordering::Relaxed),
        "each 429 answer counted as throttled, none as an error"
    );
}

#[test]
fn resting_orders_are_cancelled_by_the_venue_when_heartbeats_stop() {
    let (mut rig, notes) = Rig::start("heartbeat", 0x55);
    let cfg = TrackerConfig {
        rested_fak_cancel_ms: 600_000,
        ..tracker_cfg()
    };
    let mut tr = rig.tracker(Some(notes), cfg);
    rig.v.sim.faults().rest_next_faks(1, 600_000);
    let r = rig.send(10_000_000).expect("sent");
    assert_eq!(r.status, ExecStatus::Delayed);
    let id = rig.v.sim.clob().orders().last().unwrap().order_id.clone();
    // Heartbeats keep it alive well past the venue's 1 s timeout.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(2_500) {
        tr.step(cassandra::clock::wall_ms());
        std::thread::sleep(Duration::from_millis(20));
    }
    rig.v.sim.settle_clob();
    assert!(tr.counters.heartbeats.load(Ordering::Relaxed) >= 3);
    assert_eq!(
        rig.v.sim.clob().order(&id).unwrap().status,
        OrderStatus::Live
    );
    assert_eq!(rig.v.sim.clob().heartbeat_cancels(), 0);
    // The process stops: no more heartbeats; the venue cancels the resting order.
    drop(tr);
    std::thread::sleep(Duration::from_millis(1_500));
    rig.v.sim.settle_clob();
    assert_eq!(rig.v.sim.clob().heartbeat_cancels(), 1);
    assert_eq!(
        rig.v.sim.clob().order(&id).unwrap().status,
        OrderStatus::Canceled
    );
    // A restart follows it from the store to its end.
    let mut tr = rig.tracker(None, tracker_cfg());
    assert_eq!(tr.order_state(&id), Some(StoredState::Open));
    reconcile(&mut tr, false, Duration::from_secs(10)).expect("reconciled");
    assert_eq!(tr.order_state(&id), Some(StoredState::Done));
    rig.assert_ledger_matches(&tr);
}

#[test]
fn a_restart_mid_window_with_unconfirmed_fills_reconciles_before_trading() {
    let (mut rig, notes) = Rig::start("restart", 0x56);
    rig.v.sim.clob().set_lifecycle(LifecycleConfig {
        confirmed_after_ms: 2_500,
        ..quick()
    });
    let mut tr = rig.tracker(Some(notes), tracker_cfg());
    assert_eq!(rig.send(10_000_000).unwrap().status, ExecStatus::Matched);
    assert_eq!(rig.send(12_000_000).unwrap().status, ExecStatus::Matched);
    run_until(&mut tr, 5, |t| {
        t.ledger.lock().unwrap().view().pending_trades >= 2
    });
    // Written ahead: a second connection to the store sees both orders and pending trades.
    {
        let other = VenueStore::open(&rig.store_path).unwrap();
        let l = other.load(FUNDS_U6, FeeRule::ZERO).unwrap();
        assert!(l.pending_trades.len() >= 2, "pending trades on disk");
        assert!(l.known_trades.len() >= 2);
    }
    // An order sent on the spot whose note never reached the tracker (the process dies
    // between the write and the journal).
    rig.exec.notes = None;
    assert_eq!(rig.send(8_000_000).unwrap().status, ExecStatus::Matched);
    let lost_id = rig.v.sim.clob().orders().last().unwrap().order_id.clone();
    drop(tr); // the crash: nothing confirmed yet
    assert!(rig
        .v
        .sim
        .clob()
        .trades()
        .iter()
        .all(|(_, s)| !matches!(s, cassandra::sim::clob::TradeStatus::Confirmed)));
    let mut tr = rig.tracker(None, tracker_cfg());
    assert!(
        tr.outstanding().1 >= 2,
        "pending trades reloaded from the store"
    );
    reconcile(&mut tr, true, Duration::from_secs(15)).expect("reconciled");
    let view = tr.ledger.lock().unwrap().view();
    assert_eq!(view.pending_trades, 0);
    assert_eq!(view.confirmed_trades, rig.v.sim.clob().trades().len());
    assert!(
        rig.v.sim.clob().cancel_all_count() >= 1,
        "cancel-all before trading"
    );
    // The order the tracker never heard of is in the store now, done.
    let store = VenueStore::open(&rig.store_path).unwrap();
    let l = store.load(view.start_cash_u6, FeeRule::ZERO).unwrap();
    assert!(l.open_orders.iter().all(|o| o.order_id != lost_id));
    rig.assert_ledger_matches(&tr);
}

#[test]
fn a_delayed_answer_is_followed_until_its_trades_are_final() {
    let (mut rig, notes) = Rig::start("delayed", 0x57);
    let mut tr = rig.tracker(Some(notes), tracker_cfg());
    rig.v.sim.faults().set_delayed_orders(1);
    let r = rig.send(10_000_000).expect("sent");
    assert_eq!(r.status, ExecStatus::Delayed);
    assert_eq!(r.filled_e6, 0, "nothing booked from a delayed answer");
    run_until(&mut tr, 10, settled);
    let view = tr.ledger.lock().unwrap().view();
    assert!(
        view.confirmed_trades >= 1,
        "matched after its delay and booked"
    );
    assert_eq!(view.confirmed_trades, rig.v.sim.clob().trades().len());
    rig.assert_ledger_matches(&tr);
}

#[test]
fn the_kill_switch_cancel_all_is_retried_until_the_venue_confirms() {
    let (mut rig, notes) = Rig::start("kill", 0x58);
    let cfg = TrackerConfig {
        rested_fak_cancel_ms: 600_000,
        ..tracker_cfg()
    };
    let mut tr = rig.tracker(Some(notes), cfg);
    run_until(&mut tr, 5, settled);
    rig.v.sim.faults().rest_next_faks(1, 600_000);
    assert_eq!(rig.send(10_000_000).unwrap().status, ExecStatus::Delayed);
    let id = rig.v.sim.clob().orders().last().unwrap().order_id.clone();
    run_until(&mut tr, 5, |t| {
        t.order_state(&id) == Some(StoredState::Open)
    });
    // The venue fails the next requests: the cancel-all is sent again until answered.
    rig.v.sim.faults().fail_next_clob_requests(3, 500);
    tr.kill();
    run_until(&mut tr, 10, |t| !t.kill_pending());
    assert_eq!(tr.counters.cancel_all_confirmed.load(Ordering::Relaxed), 1);
    assert!(
        tr.counters.cancel_all_sent.load(Ordering::Relaxed) >= 4,
        "three refused, the fourth confirmed"
    );
    assert_eq!(rig.v.sim.clob().cancel_all_count(), 1);
    assert_eq!(
        rig.v.sim.clob().order(&id).unwrap().status,
        OrderStatus::Canceled
    );
    run_until(&mut tr, 10, settled);
    rig.assert_ledger_matches(&tr);
}

#[test]
fn trade_syncs_of_a_busy_session_start_from_the_oldest_pending_trade() {
    let (mut rig, notes) = Rig::start("busy", 0x58);
    // Each trade pending 2.5 s, an order every 1.2 s: something is always pending.
    rig.v.sim.clob().set_lifecycle(LifecycleConfig {
        confirmed_after_ms: 2_500,
        ..quick()
    });
    let mut tr = rig.tracker(Some(notes), tracker_cfg());
    for _ in 0..5 {
        let r = rig.send(10_000_000).expect("sent");
        assert_eq!(r.status, ExecStatus::Matched);
        let until = Instant::now() + Duration::from_millis(1_200);
        while Instant::now() < until {
            tr.step(cassandra::clock::wall_ms());
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(tr.outstanding().1 > 0, "a trade is pending at every point");
    }
    let first_match_s = rig
        .v
        .sim
        .clob()
        .trades()
        .iter()
        .map(|(t, _)| t.match_ms / 1000)
        .min()
        .expect("trades");
    // The first trades are final by now: syncs no longer reach back to them (before the fix
    // the bound stayed at the session's start while anything was pending, so every sync
    // returned every trade since).
    assert!(
        tr.trades_synced_after_s() > first_match_s,
        "syncs still start at {} (first trade matched at {first_match_s})",
        tr.trades_synced_after_s()
    );
    run_until(&mut tr, 15, settled);
    rig.assert_ledger_matches(&tr);
}
