//! Live mode's venue side as a control thread: at start, the ledger is rebuilt from its store
//! and brought level with the venue ([`super::reconcile`]) *before* the `order` thread may
//! send anything (a failure refuses to start live mode); then [`run`] steps the tracker until
//! the process stops, turning the kill switch into a cancel-all retried until the venue
//! confirms, and publishing the ledger for the API.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clob::auth::Credentials;
use crate::clob::order::{Address, SignatureType};
use crate::config::LiveVenueConfig;
use crate::pipeline::shared::Shared;
use crate::wallet::redeem::Redeemed;

use super::crosscheck::PositionsChecker;
use super::fees::FeeRule;
use super::ledger::LedgerView;
use super::reconcile::{open_tracker, reconcile};
use super::rest::VenueRest;
use super::store::VenueStore;
use super::tracker::OrderTracker;
use super::user_ws::UserChannel;

/// The ledger as the API shows it, refreshed by the venue thread.
pub type LedgerSnapshot = Arc<Mutex<Option<LedgerView>>>;

/// Opens the store, rebuilds the ledger and reconciles it with the venue. Blocking (up to
/// `cfg.reconcile_timeout_s`); run before live orders may be sent.
pub fn start(
    cfg: &LiveVenueConfig,
    journal_path: &str,
    clob: &str,
    creds: &Credentials,
    eoa: Address,
    signature_type: SignatureType,
) -> anyhow::Result<OrderTracker> {
    let rest = VenueRest::new(
        clob,
        creds.clone(),
        eoa,
        signature_type as u8,
        Duration::from_secs(10),
    )?;
    let path = cfg.ledger_path(journal_path);
    if path == ":memory:" {
        tracing::warn!("venue ledger in memory: no journal and no [live.venue] ledger path");
    }
    let store = VenueStore::open(&path)?;
    let user = UserChannel::new(&cfg.user_channel, creds)?;
    // Until discovery names each market's schedule, trades are booked with none: every
    // market the strategy trades is set up (with its schedule) before its first order.
    let mut t = open_tracker(cfg.tracker(), rest, store, FeeRule::ZERO, None, Some(user))?;
    reconcile(
        &mut t,
        cfg.cancel_resting_on_start,
        Duration::from_secs(cfg.reconcile_timeout_s.max(1)),
    )?;
    let v = t.ledger.lock().unwrap_or_else(|e| e.into_inner()).view();
    tracing::info!(
        cash_u6 = v.cash_u6,
        positions = v.positions.len(),
        "venue ledger reconciled with the venue"
    );
    Ok(t)
}

/// Steps `t` until the process stops; the ledger goes to `snapshot` and `publish` (the API's
/// state) four times a second.
///
/// The risk limits run on the ledger ([`super::risk`]): a breach calls `halt` with the reason
/// (the caller flips the kill switch) while trading is on.
///
/// With `check`, each read of the Data API's positions is compared with the ledger as it
/// arrives ([`super::crosscheck`]); `warn` gets each new mismatch's alert text.
#[allow(clippy::too_many_arguments)]
pub fn run(
    mut t: OrderTracker,
    shared: Arc<Shared>,
    snapshot: LedgerSnapshot,
    risk: crate::risk::RiskConfig,
    redeemed: crossbeam::channel::Receiver<Redeemed>,
    mut check: Option<PositionsChecker>,
    mut publish: impl FnMut(&LedgerView),
    mut halt: impl FnMut(String),
    mut warn: impl FnMut(String),
) {
    let mut was_killed = shared.killed();
    let mut last_publish = 0u64;
    let mut limits = super::risk::VenueRisk::default();
    while shared.is_running() {
        let killed = shared.killed();
        if killed && !was_killed {
            t.kill();
        }
        was_killed = killed;
        let now = crate::clock::wall_ms();
        let mut work = t.step(now);
        work += book_redemptions(&mut t, &redeemed);
        if let Some(c) = check.as_mut().filter(|c| c.ready()) {
            let (v, pending) = ledger_and_pending(&t);
            if let Some(new) = c.poll(&v, &pending, now) {
                work += 1;
                for m in &new {
                    warn(super::crosscheck::alert_text(m));
                }
            }
        }
        if now >= last_publish + 250 {
            last_publish = now;
            let mut v = t.ledger.lock().unwrap_or_else(|e| e.into_inner()).view();
            v.positions_check = check.as_ref().map(|c| c.state.clone());
            if let Some(why) = limits.check(&risk, &v, t.order_exposure_u6(), now) {
                if !shared.killed() {
                    halt(why);
                }
            }
            publish(&v);
            *snapshot.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        }
        if work == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // Last steps: whatever answers are still in the ring, and redemptions on their way, reach
    // the store; the final view is published.
    t.step(crate::clock::wall_ms());
    book_redemptions(&mut t, &redeemed);
    let mut v = t.ledger.lock().unwrap_or_else(|e| e.into_inner()).view();
    v.positions_check = check.as_ref().map(|c| c.state.clone());
    publish(&v);
    *snapshot.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
}

/// The ledger's view and the tokens with a trade pending (not compared with the venue).
fn ledger_and_pending(t: &OrderTracker) -> (LedgerView, BTreeSet<String>) {
    let l = t.ledger.lock().unwrap_or_else(|e| e.into_inner());
    (l.view(), l.pending().map(|p| p.token.clone()).collect())
}

/// Books the wallet thread's redemptions: each closes every position of its market, the
/// winning tokens for what the chain paid, the losing ones (burnt by the same redemption) for
/// nothing. A market lost (only losing tokens held: `usdc_micro` 0, no redemption on chain)
/// closes the same way at a loss. Returns how many.
fn book_redemptions(
    t: &mut OrderTracker,
    redeemed: &crossbeam::channel::Receiver<Redeemed>,
) -> usize {
    let mut n = 0;
    while let Ok(r) = redeemed.try_recv() {
        let mut tokens = t.market_tokens(&r.condition_id);
        if !r.winning_token.is_empty() && !tokens.contains(&r.winning_token) {
            tokens.push(r.winning_token.clone());
        }
        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
        let pnl = t.on_redeemed(&r.condition_id, &refs, r.usdc_micro);
        tracing::info!(
            condition = %r.condition_id,
            payout_u6 = r.usdc_micro,
            pnl_u6 = pnl,
            tx = %r.tx,
            "venue ledger: redemption booked"
        );
        n += 1;
    }
    n
}

/// Starts the `venue` thread: [`run`], publishing the ledger into the API's state; a limit
/// breached on the ledger halts live trading as a journal failure does (kill switch with the
/// reason, and a critical alert); a position the Data API shows differently is a warning
/// alert (kind `positions`).
pub fn spawn(
    t: OrderTracker,
    shared: Arc<Shared>,
    snapshot: LedgerSnapshot,
    state: Arc<Mutex<crate::control::ControlState>>,
    risk: crate::risk::RiskConfig,
    redeemed: crossbeam::channel::Receiver<Redeemed>,
    check: Option<PositionsChecker>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let st = state.clone();
    let st_warn = state.clone();
    let sh = shared.clone();
    std::thread::Builder::new()
        .name("venue".into())
        .spawn(move || {
            run(
                t,
                shared,
                snapshot,
                risk,
                redeemed,
                check,
                |v| {
                    if let Ok(mut s) = st.lock() {
                        s.venue_ledger = Some(v.clone());
                    }
                },
                |why| {
                    let reason = format!("live trading halted: {why}");
                    tracing::error!("{reason}");
                    let now = crate::clock::wall_ms();
                    if let Ok(mut s) = state.lock() {
                        s.kill_reason = Some((reason.clone(), now));
                        s.push_alert(crate::control::state::Alert {
                            ts_ms: now,
                            level: "critical".into(),
                            kind: "risk".into(),
                            message: reason,
                        });
                    }
                    sh.kill.store(true, std::sync::atomic::Ordering::SeqCst);
                },
                |text| {
                    tracing::warn!("{text}");
                    if let Ok(mut s) = st_warn.lock() {
                        s.push_alert(crate::control::state::Alert {
                            ts_ms: crate::clock::wall_ms(),
                            level: "warning".into(),
                            kind: "positions".into(),
                            message: text,
                        });
                    }
                },
            )
        })
}
