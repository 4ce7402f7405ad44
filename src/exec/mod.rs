//! The `order` thread: executes intents from `signal` and reports back.
//!
//! In `paper` (and, until the live path lands, `shadow`) mode an intent is filled against the
//! book it carries, after a configurable added latency; the report goes back to `signal` on a
//! hot link and to the control side on a tap. The kill switch is checked again here, so an
//! intent already in flight when the switch flips is refused.

pub mod paper;

use std::sync::Arc;

use crate::clock::mono_ns;
use crate::clock::wall_ms;
use crate::pipeline::events::{ExecReport, ExecStatus, OrderIntent};
use crate::pipeline::lossless::LosslessTx;
use crate::pipeline::rings::{bump, HotRx, HotTx, TapTx};
use crate::pipeline::shared::{Mode, Shared};
use crate::pipeline::wait::{Doorbell, Idler};
use crate::telemetry::{Stage, StageRecorder};

/// Intents waiting out the paper latency at once; more are filled at once (counted).
const MAX_PENDING: usize = 64;

/// `order`'s state between passes: paper fills waiting out their latency.
pub struct OrderLoop {
    pending: [(u64, ExecReport); MAX_PENDING],
    n_pending: usize,
    was_killed: bool,
}

pub struct OrderThread {
    pub intents: HotRx<OrderIntent>,
    /// The live path (`live` and `shadow` modes), when keys and credentials were given.
    pub live: Option<live::LiveExec>,
    /// Bodies built in `shadow` mode (or sent in `live`), for the journal.
    pub bodies: Option<TapTx<(u64, orders::PostBody)>>,
    pub to_signal: HotTx<ExecReport>,
    /// Fills and refusals for the ledger: never dropped (a full ring is back-pressure).
    pub tap: LosslessTx<ExecReport>,
    /// Added latency of paper fills, ns.
    pub paper_latency_ns: u64,
    pub stages: StageRecorder,
    pub shared: Arc<Shared>,
    pub bell: Arc<Doorbell>,
    pub idler: Idler,
    pub thread_index: usize,
}

impl OrderThread {
    pub fn run(mut self) {
        self.bell.register_current(self.idler.strategy());
        let mut st = self.start();
        while self.shared.is_running() {
            let work = self.pass(&mut st);
            self.idle(&st, work);
        }
        self.stages.flush(mono_ns());
    }

    /// The loop's state, for a driver that runs passes itself (the run-to-completion thread).
    pub fn start(&mut self) -> OrderLoop {
        OrderLoop {
            pending: [(0, ExecReport::default()); MAX_PENDING],
            n_pending: 0,
            was_killed: self.shared.killed(),
        }
    }

    /// Nothing to do after a pass (own-thread driver only).
    pub fn idle(&mut self, st: &OrderLoop, work: usize) {
        if work == 0 && st.n_pending == 0 {
            let rx = &self.intents;
            self.idler.idle(&self.bell, || !rx.is_empty());
        } else if work == 0 {
            std::hint::spin_loop();
        } else {
            self.idler.reset();
        }
    }

    /// One pass: the live connection's answers, every intent waiting (written to the venue
    /// or filled on paper), paper fills now due. Returns the work done.
    pub fn pass(&mut self, st: &mut OrderLoop) -> usize {
        let shared = self.shared.clone();
        let mut work = 0usize;
        if let Some(live) = self.live.as_mut() {
            work += live.absorb();
            let now = mono_ns();
            live.ensure_connected(now);
            let (to_signal, tap, c) = (&mut self.to_signal, &mut self.tap, &shared.counters.order);
            work += live.poll(now, |r| {
                match r.status {
                    ExecStatus::Matched | ExecStatus::Delayed => bump(&c.fills),
                    ExecStatus::Rejected => bump(&c.rejects),
                    ExecStatus::Unmatched => {}
                }
                tap.send(r);
                to_signal.push(r);
            });
            let killed = shared.killed();
            if killed && !st.was_killed && shared.mode() == Mode::Live {
                live.cancel_all(now, wall_ms());
            }
            st.was_killed = killed;
        }
        while let Some(intent) = self.intents.pop() {
            work += 1;
            let now = mono_ns();
            self.stages
                .record_span(Stage::IntentToOrder, intent.decision_ns, now);
            bump(&shared.counters.order.orders);
            let mode = shared.mode();
            if !shared.killed() && mode == Mode::Live {
                if let Some(live) = self.live.as_mut() {
                    let sent = live.send(&intent, now, wall_ms());
                    let done = mono_ns();
                    self.stages.record(Stage::OrderExec, done - now);
                    self.stages
                        .record_span(Stage::TickToTrade, intent.trigger.read_ns, done);
                    match sent {
                        Ok(presigned) => {
                            let stage = if presigned {
                                Stage::OrderWritePresigned
                            } else {
                                Stage::OrderWriteSigned
                            };
                            self.stages.record(stage, done - now);
                            let ready = live.ready_ns();
                            self.stages.record_span(
                                Stage::TickToOrderReady,
                                intent.trigger.read_ns,
                                ready,
                            );
                            self.stages.record_span(Stage::OrderWriteCall, ready, done);
                            if let Some(b) = self.bodies.as_mut() {
                                b.offer((intent.intent_id, live.last_body()));
                            }
                        }
                        Err(e) => {
                            // Not sent (no connection, unknown token, full queue):
                            // refused on our side, nothing filled. A throttled order is
                            // not placed either, but is no fault of ours or the venue's;
                            // one whose write broke off is in doubt (held in flight).
                            let mut r = refused(&intent);
                            r.status = match e {
                                live::SendError::InDoubt => ExecStatus::Delayed,
                                live::SendError::Throttled => ExecStatus::Unmatched,
                                _ => ExecStatus::Rejected,
                            };
                            r.done_ns = done;
                            self.report(r);
                        }
                    }
                    continue;
                }
            }
            if mode == Mode::Shadow && !shared.killed() {
                // Build and sign exactly what live would send; journal it; fill on paper.
                if let Some(live) = self.live.as_mut() {
                    if let Ok(b) = live.build_only(&intent, wall_ms()) {
                        let b = *b;
                        if let Some(t) = self.bodies.as_mut() {
                            t.offer((intent.intent_id, b));
                        }
                    }
                }
            }
            let mut report = if shared.killed() {
                refused(&intent)
            } else {
                paper::fill(&intent)
            };
            let done = mono_ns();
            report.done_ns = done;
            self.stages.record(Stage::OrderExec, done - now);
            self.stages
                .record_span(Stage::TickToTrade, intent.trigger.read_ns, done);
            if self.paper_latency_ns == 0 || st.n_pending == MAX_PENDING {
                self.report(report);
            } else {
                st.pending[st.n_pending] = (now + self.paper_latency_ns, report);
                st.n_pending += 1;
            }
        }
        if st.n_pending > 0 {
            let now = mono_ns();
            let mut i = 0;
            while i < st.n_pending {
                if st.pending[i].0 <= now {
                    let r = st.pending[i].1;
                    st.pending[i] = st.pending[st.n_pending - 1];
                    st.n_pending -= 1;
                    self.report(r);
                    work += 1;
                } else {
                    i += 1;
                }
            }
        }
        let now = mono_ns();
        shared.beat(self.thread_index, now);
        self.stages.maybe_flush(now);
        work
    }

    fn report(&mut self, r: ExecReport) {
        let c = &self.shared.counters.order;
        match r.status {
            ExecStatus::Matched | ExecStatus::Delayed => bump(&c.fills),
            ExecStatus::Rejected => bump(&c.rejects),
            ExecStatus::Unmatched => {}
        }
        self.tap.send(r);
        self.to_signal.push(r);
    }
}
pub mod answer;
pub mod ladder;
pub mod live;
pub mod live_report;
pub mod notes;
pub mod orders;
pub mod request;

/// An intent refused on our side: nothing was sent, nothing filled.
pub(crate) fn refused(intent: &OrderIntent) -> ExecReport {
    ExecReport {
        intent_id: intent.intent_id,
        asset: intent.asset,
        token: intent.token,
        outcome: intent.outcome,
        status: ExecStatus::Rejected,
        window_start_s: intent.window_start_s,
        decision_ns: intent.decision_ns,
        ..Default::default()
    }
}
