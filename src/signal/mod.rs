//! The `signal` thread: market state in, decisions out.
//!
//! It drains its rings (control, Binance ticks, Polymarket events, execution reports), keeps
//! the engine's state, decides on every tick and book update, pushes intents to `order` and
//! snapshots to the control side. The kill switch and the mode are read from atomics on every
//! decision. Steady state: no allocation, no lock, no log.

pub mod account;
pub mod engine;
pub mod snapshot;

use std::sync::atomic::Ordering;
use std::sync::Arc;

pub use engine::{At, Decision, Engine, Gate, Input, Outputs, Step, StrategyConfig};
pub use snapshot::{AccountSnapshot, SettleSource, Settlement, SignalSnapshot, SignalTap};

use crate::clock::{mono_ns, wall_ms};
use crate::pipeline::control::SignalControl;
use crate::pipeline::events::{ExecReport, OrderIntent, PolyEvent, SpotTick};
use crate::pipeline::lossless::{LosslessRx, LosslessTx};
use crate::pipeline::rings::{bump, HotRx, HotTx, TapTx};
use crate::pipeline::shared::Shared;
use crate::pipeline::wait::{Doorbell, Idler};
use crate::telemetry::{Stage, StageRecorder};

/// Events taken from one ring before looking at the others.
const BATCH: usize = 64;
/// Settlement and strike checks run this often.
const TICK_EVERY_NS: u64 = 50_000_000;

/// `signal`'s state between passes.
pub struct SignalLoop {
    last_tick_ns: u64,
    /// The engine's outputs, reused every step (boxed: a tick's settlements make it large).
    out: Box<Outputs>,
}

pub struct SignalThread {
    pub engine: Engine,
    /// Window set-up and tear-down: lossless (a full ring holds the control side back).
    pub control: LosslessRx<SignalControl>,
    pub spot_rx: HotRx<SpotTick>,
    pub poly_rx: HotRx<PolyEvent>,
    pub exec_rx: HotRx<ExecReport>,
    pub to_order: HotTx<OrderIntent>,
    /// Ledger events (intents, settlements, breaker events): never dropped; a full ring is
    /// back-pressure on this thread, counted.
    pub ledger: LosslessTx<SignalTap>,
    /// Telemetry and snapshots (decisions, account snapshots): dropped and counted when the
    /// control side is behind.
    pub tap: TapTx<SignalTap>,
    pub stages: StageRecorder,
    pub shared: Arc<Shared>,
    pub bell: Arc<Doorbell>,
    pub idler: Idler,
    pub thread_index: usize,
}

impl SignalThread {
    pub fn run(mut self) {
        self.bell.register_current(self.idler.strategy());
        let mut st = self.start();
        while self.shared.is_running() {
            let work = self.pass(&mut st);
            self.idle(work);
        }
        self.stages.flush(mono_ns());
    }

    /// The loop's state, for a driver that runs passes itself (the run-to-completion thread).
    pub fn start(&mut self) -> SignalLoop {
        // Publish the starting account so the control side has one before any fill.
        self.tap
            .offer(SignalTap::Account(self.engine.account.snapshot(wall_ms())));
        SignalLoop {
            last_tick_ns: 0,
            out: Box::default(),
        }
    }

    /// Nothing to do after a pass (own-thread driver only).
    pub fn idle(&mut self, work: usize) {
        if work == 0 {
            let (s, p, e) = (&self.spot_rx, &self.poly_rx, &self.exec_rx);
            self.idler.idle(&self.bell, || {
                !s.is_empty() || !p.is_empty() || !e.is_empty()
            });
        } else {
            self.idler.reset();
        }
    }

    /// One pass: control messages, then up to a batch of ticks and of Polymarket events
    /// (each stepped through the engine, its intent pushed to `order` at once), execution
    /// reports, and the periodic tick when due. Returns the work done.
    pub fn pass(&mut self, st: &mut SignalLoop) -> usize {
        let shared = self.shared.clone();
        // This driver's clocks and switches, read once per input; the engine reads none.
        let now_at = |mono_ns: u64| At {
            mono_ns,
            wall_ms: wall_ms(),
        };
        let gate = || Gate {
            killed: shared.killed(),
            mode: shared.mode(),
        };
        let mut work = 0usize;
        while let Some(msg) = self.control.pop() {
            let step = Step {
                at: now_at(mono_ns()),
                gate: gate(),
                input: Input::Control(msg),
            };
            self.engine.step(&step, &mut st.out);
            work += 1;
        }
        for _ in 0..BATCH {
            let Some(t) = self.spot_rx.pop() else { break };
            work += 1;
            let now = mono_ns();
            bump(&shared.counters.signal.spot_events);
            self.stages
                .record_span(Stage::SpotToSignal, t.stamps.read_ns, now);
            let step = Step {
                at: now_at(now),
                gate: gate(),
                input: Input::Spot(t),
            };
            self.engine.step(&step, &mut st.out);
            self.decided(&st.out, now, t.stamps.read_ns);
        }
        for _ in 0..BATCH {
            let Some(ev) = self.poly_rx.pop() else { break };
            work += 1;
            let now = mono_ns();
            bump(&shared.counters.signal.poly_events);
            if let PolyEvent::Book(b) = &ev {
                self.stages
                    .record_span(Stage::BookToSignal, b.stamps.read_ns, now);
            }
            let step = Step {
                at: now_at(now),
                gate: gate(),
                input: Input::Poly(ev),
            };
            self.engine.step(&step, &mut st.out);
            self.decided(&st.out, now, 0);
        }
        while let Some(r) = self.exec_rx.pop() {
            work += 1;
            bump(&shared.counters.signal.exec_reports);
            let local =
                r.status == crate::pipeline::events::ExecStatus::Rejected && shared.killed();
            let step = Step {
                at: now_at(mono_ns()),
                gate: gate(),
                input: Input::Exec {
                    report: r,
                    local_reject: local,
                },
            };
            self.engine.step(&step, &mut st.out);
            if st.out.account_changed {
                let snap = self.engine.account.snapshot(step.at.wall_ms);
                self.tap.offer(SignalTap::Account(snap));
            }
        }
        let now = mono_ns();
        shared.beat(self.thread_index, now);
        if now.wrapping_sub(st.last_tick_ns) >= TICK_EVERY_NS {
            st.last_tick_ns = now;
            let ages = std::array::from_fn(|i| {
                let last = shared.feeds[i].last_frame_ns.load(Ordering::Relaxed);
                if last == 0 {
                    u64::MAX
                } else {
                    now.saturating_sub(last) / 1_000_000
                }
            });
            let step = Step {
                at: now_at(now),
                gate: gate(),
                input: Input::Tick {
                    feed_ages_ms: Some(ages),
                },
            };
            self.engine.step(&step, &mut st.out);
            for s in st.out.settlements() {
                self.ledger.send(SignalTap::Settled(*s));
            }
            let ledger = &mut self.ledger;
            self.engine.risk.drain_events(|e| {
                ledger.send(SignalTap::Breaker(e));
            });
            let c = &shared.counters.signal;
            for _ in 0..st.out.strike_fallbacks {
                bump(&c.strike_fallbacks);
            }
            let settled = st.out.settlements().len() as u64;
            if settled > 0 {
                c.settlements.store(
                    c.settlements.load(Ordering::Relaxed) + settled,
                    Ordering::Relaxed,
                );
            }
            if st.out.account_changed {
                let snap = self.engine.account.snapshot(step.at.wall_ms);
                self.tap.offer(SignalTap::Account(snap));
            }
        }
        self.stages.maybe_flush(now);
        work
    }

    /// Count and send on what the engine decided: the intent to `order` and the ledger, the
    /// snapshot to the telemetry tap. `tick_read_ns` is the read stamp of the Binance frame
    /// behind it (0 for book updates).
    #[inline]
    fn decided(&mut self, out: &Outputs, dequeued_ns: u64, tick_read_ns: u64) {
        let Some(d) = out.decision else {
            return;
        };
        let c = &self.shared.counters.signal;
        bump(&c.signals);
        let decided_ns = mono_ns();
        self.stages.record(Stage::Decide, decided_ns - dequeued_ns);
        self.stages
            .record_span(Stage::TickToDecision, tick_read_ns, decided_ns);
        if let Some(r) = d.snapshot.skip {
            bump(&c.skips[r as usize]);
        }
        if let Some(mut intent) = d.intent {
            intent.decision_ns = decided_ns;
            bump(&c.intents);
            self.to_order.push(intent);
            self.ledger.send(SignalTap::Intent(intent));
        }
        self.tap.offer(SignalTap::Decision(d.snapshot));
    }
}
