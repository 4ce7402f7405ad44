//! The control side: everything that is not on the path from a tick to an order.
//!
//! One control loop thread drains the hot threads' taps (dropping nothing it can keep up with,
//! and the taps count what it could not), merges latency histograms, and turns discovered
//! windows into subscriptions for `poly-ingest` and window set-ups for `signal`. Discovery has
//! its own thread because HTTP may block. Shared snapshots for the API sit behind a mutex that
//! only control-side threads take.

pub mod alerts;
pub mod api;
pub mod candles;
pub mod discovery;
pub mod journaling;
pub mod notify;
pub mod services;
pub mod state;
pub mod summary;
pub mod terminal;
pub mod whales;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::wall_ms;
use crate::pipeline::control::{PolyControl, SignalControl};
use crate::pipeline::events::{AssetId, ExecReport, PolyEvent, SpotTick, TokenId};
use crate::pipeline::lossless::{LosslessRx, LosslessTx};
use crate::pipeline::registry::AssetTable;
use crate::pipeline::rings::TapRx;
use crate::pipeline::shared::Shared;
use crate::pipeline::wait::Doorbell;
use crate::signal::SignalTap;
use crate::telemetry::LatencyBook;

use discovery::{DiscoveredWindow, Discovery};
pub use state::ControlState;

/// Keep a window's tokens subscribed this long after its end (settlement needs the last
/// prices; a late book update must still find its token).
const LINGER_S: u64 = 15;

pub struct ControlLoop {
    pub shared: Arc<Shared>,
    pub state: Arc<Mutex<ControlState>>,
    pub latency: LatencyBook,
    pub spot_tap: TapRx<SpotTick>,
    pub poly_tap: TapRx<PolyEvent>,
    /// `signal`'s ledger (intents, settlements, breaker events): lossless, drained first.
    pub signal_ledger: LosslessRx<SignalTap>,
    /// `signal`'s telemetry (decisions, account snapshots): lossy.
    pub signal_tap: TapRx<SignalTap>,
    /// `order`'s reports (fills, refusals): lossless.
    pub exec_tap: LosslessRx<ExecReport>,
    /// Control messages to the hot threads: lossless (a full ring holds this loop back).
    pub poly_ctl: LosslessTx<PolyControl>,
    pub poly_waker: Arc<mio::Waker>,
    pub signal_ctl: LosslessTx<SignalControl>,
    pub signal_bell: Arc<Doorbell>,
    pub discovered: crossbeam::channel::Receiver<DiscoveredWindow>,
    pub latency_every: Duration,
    /// Windows for the recording, when recording.
    pub record_windows: Option<crossbeam::channel::Sender<(u64, DiscoveredWindow)>>,
    /// The journal, when there is one.
    pub journal: Option<journaling::JournalFeed>,
    /// Alerts, once an alert queue is attached (`ControlState::alert_tx`).
    pub notifier: Option<notify::Notifier>,
    /// The live path, when keys were given: token set-ups for the `order` thread and the
    /// ladder signer, and the bodies the `order` thread built.
    pub live: Option<LiveLinks>,
}

/// The control loop's ends of the live path.
pub struct LiveLinks {
    pub order_tokens: LosslessTx<(TokenId, crate::exec::orders::TokenOrderInfo)>,
    pub ladder_tokens: crossbeam::channel::Sender<crate::exec::ladder::LadderToken>,
    pub bodies: TapRx<(u64, crate::exec::orders::PostBody)>,
    /// Each live token's fee schedule, to the order tracker (live mode).
    pub venue_fees: Option<crossbeam::channel::Sender<crate::venue::VenueToken>>,
}

struct LiveWindow {
    asset: AssetId,
    start_s: u64,
    end_s: u64,
    up: TokenId,
    down: TokenId,
}

/// A failed journal write (`seen`: failures already handled): in `live` mode trading stops
/// (kill switch, with the reason) because orders would go unrecorded; in every mode it is a
/// critical alert, and `/health` and `/metrics` show it.
pub fn watch_journal(shared: &Shared, state: &Mutex<ControlState>, seen: &mut u64) {
    let j = &shared.counters.journal;
    let failed = j.failed_batches.load(std::sync::atomic::Ordering::SeqCst);
    if failed <= *seen {
        return;
    }
    *seen = failed;
    let error = j.last_error();
    let live = shared.mode() == crate::pipeline::shared::Mode::Live;
    let mut st = state.lock().expect("state");
    if live && !shared.killed() {
        let reason = format!("journal write failed, live trading halted: {error}");
        tracing::error!("{reason}");
        st.kill_reason = Some((reason, wall_ms()));
        shared.kill.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    st.push_alert(state::Alert {
        ts_ms: wall_ms(),
        level: "critical".into(),
        kind: "journal".into(),
        message: format!("journal write failed ({failed} batches lost so far): {error}"),
    });
}

/// A hot thread died (it set the kill switch): record why as the switch's reason, once, and
/// alert. The reason stays until an operator resumes.
pub fn watch_hot_death(shared: &Shared, state: &Mutex<ControlState>, seen: &mut bool) {
    if *seen {
        return;
    }
    let Some(reason) = shared.hot_death.lock().ok().and_then(|d| d.clone()) else {
        return;
    };
    *seen = true;
    let mut st = state.lock().expect("state");
    st.kill_reason = Some((reason.clone(), wall_ms()));
    st.announce_kill(true);
    st.push_alert(state::Alert {
        ts_ms: wall_ms(),
        level: "critical".into(),
        kind: "hot_thread".into(),
        message: reason,
    });
}

/// What the feed log last said per feed: connected, and the error logged.
#[derive(Default)]
pub struct FeedWatch {
    connected: [bool; 3],
    error: [String; 3],
}

impl FeedWatch {
    /// Log each feed's connects, drops and new connection errors (the hot threads never
    /// log). Returns the lines logged, for tests.
    pub fn watch(&mut self, shared: &Shared) -> Vec<String> {
        use crate::pipeline::shared::FEED_NAMES;
        let mut lines = Vec::new();
        for (i, name) in FEED_NAMES.iter().enumerate() {
            let h = &shared.feeds[i];
            let up = h.connected.load(std::sync::atomic::Ordering::Relaxed);
            let err = h.last_error.lock().map(|e| e.clone()).unwrap_or_default();
            if up && !self.connected[i] {
                tracing::info!(feed = name, "feed connected");
                lines.push(format!("{name} connected"));
            } else if !up && (self.connected[i] || err != self.error[i]) && !err.is_empty() {
                let line = format!("{name} connection failed: {err}");
                tracing::warn!(feed = name, "feed connection failed: {err}");
                lines.push(line);
            }
            self.connected[i] = up;
            if !err.is_empty() {
                self.error[i] = err;
            }
        }
        lines
    }
}

impl ControlLoop {
    pub fn run(mut self) {
        let mut live: Vec<LiveWindow> = Vec::new();
        let mut slots = discovery::TokenSlots::default();
        let mut last_latency = std::time::Instant::now();
        let mut journal_failures = 0u64;
        let mut hot_death_seen = false;
        let mut feeds = FeedWatch::default();
        loop {
            let running = self.shared.is_running();
            let mut busy = self.drain_taps();
            watch_journal(&self.shared, &self.state, &mut journal_failures);
            watch_hot_death(&self.shared, &self.state, &mut hot_death_seen);
            feeds.watch(&self.shared);
            while let Ok(w) = self.discovered.try_recv() {
                busy = true;
                let setup = slots.set_up(&w);
                let (up, down) = (setup.up(), setup.down());
                self.set_up(&w, &setup);
                if let Some(j) = self.journal.as_mut() {
                    j.on_window(&w, up, down);
                }
                if let Some(tx) = &self.record_windows {
                    // Stamped when `signal` is told, so a replay sets it up at the same point.
                    let _ = tx.send((crate::clock::mono_ns(), w.clone()));
                }
                live.push(LiveWindow {
                    asset: w.asset,
                    start_s: w.start_s,
                    end_s: w.end_s,
                    up,
                    down,
                });
                self.state
                    .lock()
                    .expect("state")
                    .add_window(w, up.0, down.0);
            }
            let now_s = wall_ms() / 1000;
            live.retain(|w| {
                if now_s < w.end_s + LINGER_S {
                    return true;
                }
                for token in [w.up, w.down] {
                    self.poly_ctl.send(PolyControl::Unsubscribe { token });
                }
                let _ = self.poly_waker.wake();
                self.signal_ctl.send(SignalControl::WindowClosed {
                    asset: w.asset,
                    start_s: w.start_s,
                });
                self.signal_bell.ring();
                false
            });
            if self
                .shared
                .reset_latency
                .swap(false, std::sync::atomic::Ordering::SeqCst)
            {
                self.latency.reset();
            }
            if last_latency.elapsed() >= self.latency_every || !running {
                last_latency = std::time::Instant::now();
                self.latency.drain();
                let summary = self.latency.summary();
                let mut st = self.state.lock().expect("state");
                st.latency = summary;
                st.windows.retain(|w| now_s < w.end_s + LINGER_S);
            }
            if !running {
                // Final drain after the hot threads stopped and flushed.
                self.drain_taps();
                self.latency.drain();
                let summary = self.latency.summary();
                let histograms = self.latency.histograms();
                let mut st = self.state.lock().expect("state");
                st.latency = summary;
                st.latency_histograms = histograms;
                return;
            }
            if !busy {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    fn set_up(&mut self, w: &DiscoveredWindow, setup: &discovery::WindowSetup) {
        if let Some(l) = self.live.as_mut() {
            for (slot, id) in [(setup.up(), &w.up_token), (setup.down(), &w.down_token)] {
                if let Some(info) = crate::exec::orders::TokenOrderInfo::from_window(
                    id,
                    w.tick_e4,
                    w.neg_risk,
                    w.min_size_e6,
                ) {
                    if let Some(tx) = l.venue_fees.as_ref() {
                        let _ = tx.send(crate::venue::VenueToken {
                            token: id.clone(),
                            fees: crate::venue::FeeRule::from_params(
                                w.fees.rate,
                                w.fees.exponent,
                                w.fees.taker_only,
                            ),
                            end_s: w.end_s,
                        });
                    }
                    l.order_tokens.send((slot, info));
                    let _ = l.ladder_tokens.send(crate::exec::ladder::LadderToken {
                        slot,
                        info,
                        end_s: w.end_s,
                    });
                }
            }
        }
        for sub in setup.subscriptions() {
            self.poly_ctl.send(sub);
        }
        let _ = self.poly_waker.wake();
        self.signal_ctl.send(setup.signal());
        self.signal_bell.ring();
    }

    /// Move everything the taps hold into the shared state. Returns whether anything came.
    fn drain_taps(&mut self) -> bool {
        let mut st = self.state.lock().expect("state");
        let mut n = 0usize;
        while let Some(t) = self.spot_tap.pop() {
            st.candles.record(&t);
            st.last_spot.insert(t.asset.0, t);
            n += 1;
        }
        while let Some(ev) = self.poly_tap.pop() {
            match ev {
                PolyEvent::Book(b) => {
                    st.last_book.insert(b.token.0, b);
                }
                PolyEvent::Oracle(o) => {
                    st.last_oracle
                        .insert(o.asset.0, (o.price_e8 as f64 / 1e8, o.venue_ts_ms));
                }
                PolyEvent::Trade(_) => {}
            }
            n += 1;
        }
        let mode = self.shared.mode();
        if self.notifier.is_none() {
            if let Some(tx) = st.alert_tx.clone() {
                self.notifier = Some(notify::Notifier::new(tx, &self.shared));
            }
        }
        // The ledger first: a decision or snapshot never overtakes the intent behind it.
        while let Some(s) = self.signal_ledger.pop().or_else(|| self.signal_tap.pop()) {
            if let Some(j) = self.journal.as_mut() {
                j.on_signal(&s, mode);
            }
            if let Some(a) = self.notifier.as_ref() {
                a.on_signal(&s, st.account);
            }
            match s {
                SignalTap::Decision(d) => {
                    st.last_signal.insert(d.asset.0, d);
                }
                SignalTap::Settled(s) => st.settlements.push(s),
                SignalTap::Account(a) => st.account = Some(a),
                SignalTap::Intent(i) => st.push_intent(i),
                SignalTap::Breaker(e) => st.on_breaker(e),
            }
            n += 1;
        }
        if let Some(j) = self.journal.as_mut() {
            j.on_control(&self.shared, st.kill_reason.as_ref());
        }
        if let Some(a) = self.notifier.as_mut() {
            a.on_control(&self.shared, st.kill_reason.as_ref());
        }
        if let Some(l) = self.live.as_mut() {
            while let Some((intent_id, body)) = l.bodies.pop() {
                let text = String::from_utf8_lossy(body.bytes()).into_owned();
                if let Some(j) = self.journal.as_mut() {
                    j.on_body(intent_id, &text);
                }
                st.push_body(intent_id, text);
                n += 1;
            }
        }
        if let Some(j) = self.journal.as_mut() {
            j.flush_stale();
        }
        while let Some(r) = self.exec_tap.pop() {
            if mode == crate::pipeline::shared::Mode::Live {
                st.push_live_report(&r);
            }
            if let Some(j) = self.journal.as_mut() {
                j.on_exec(&r);
            }
            if let Some(a) = self.notifier.as_ref() {
                a.on_exec(&r);
            }
            st.push_fill(r);
            n += 1;
        }
        n > 0
    }
}

/// The discovery thread: look for the current and next window of every asset.
pub fn run_discovery(
    shared: Arc<Shared>,
    assets: AssetTable,
    discovery: Discovery,
    every: Duration,
    out: crossbeam::channel::Sender<DiscoveredWindow>,
    log_errors: bool,
) {
    let mut known: BTreeMap<(u8, u64), ()> = BTreeMap::new();
    let mut last_error: BTreeMap<u8, String> = BTreeMap::new();
    while shared.is_running() {
        let now_s = wall_ms() / 1000;
        let cur_w = discovery.window_at(now_s);
        let cur = cur_w.start_s;
        for (id, a) in assets.iter() {
            for start in [cur, discovery.next(cur_w).start_s] {
                if known.contains_key(&(id.0, start)) {
                    continue;
                }
                match discovery.discover(id, &a.name, start) {
                    Ok(w) => {
                        known.insert((id.0, start), ());
                        if out.send(w).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        if log_errors && last_error.get(&id.0) != Some(&msg) {
                            tracing::warn!(asset = %a.name, "window discovery: {msg}");
                        }
                        last_error.insert(id.0, msg);
                    }
                }
            }
        }
        known.retain(|(_, start), _| *start >= cur);
        // Sleep in short steps so shutdown is prompt.
        let until = std::time::Instant::now() + every;
        while shared.is_running() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
