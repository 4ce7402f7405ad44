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
use crate::pipeline::rings::{bump, HotRx, HotTx, TapRx, TapTx};
use crate::pipeline::shared::Shared;
use crate::pipeline::wait::{Doorbell, Idler};
use crate::telemetry::{Stage, StageRecorder};

/// Events taken from one ring before looking at the others.
const BATCH: usize = 64;
/// Settlement and strike checks run this often.
const TICK_EVERY_NS: u64 = 50_000_000;

pub struct SignalThread {
    pub engine: Engine,
    pub control: TapRx<SignalControl>,
    pub spot_rx: HotRx<SpotTick>,
    pub poly_rx: HotRx<PolyEvent>,
    pub exec_rx: HotRx<ExecReport>,
    pub to_order: HotTx<OrderIntent>,
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
        let shared = self.shared.clone();
        let mut last_tick_ns = 0u64;
        // Publish the starting account so the control side has one before any fill.
        self.tap
            .offer(SignalTap::Account(self.engine.account.snapshot(wall_ms())));
        while shared.is_running() {
            let mut work = 0usize;
            while let Some(msg) = self.control.pop() {
                self.engine.control(msg, wall_ms());
                work += 1;
            }
            for _ in 0..BATCH {
                let Some(t) = self.spot_rx.pop() else { break };
                work += 1;
                let now = mono_ns();
                bump(&shared.counters.signal.spot_events);
                self.stages
                    .record_span(Stage::SpotToSignal, t.stamps.read_ns, now);
                let d = self.engine.on_spot(&t, now, wall_ms());
                if let Some(d) = d {
                    self.decided(d, now, t.stamps.read_ns);
                }
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
                if let Some(d) = self.engine.on_poly(&ev, now, wall_ms()) {
                    self.decided(d, now, 0);
                }
            }
            while let Some(r) = self.exec_rx.pop() {
                work += 1;
                bump(&shared.counters.signal.exec_reports);
                let local =
                    r.status == crate::pipeline::events::ExecStatus::Rejected && shared.killed();
                if self.engine.on_exec_report(&r, wall_ms(), local) {
                    let snap = self.engine.account.snapshot(wall_ms());
                    self.tap.offer(SignalTap::Account(snap));
                }
            }
            let now = mono_ns();
            shared.beat(self.thread_index, now);
            if now.wrapping_sub(last_tick_ns) >= TICK_EVERY_NS {
                last_tick_ns = now;
                let tap = &mut self.tap;
                let mut settled = 0u64;
                let fallbacks = self.engine.tick(wall_ms(), |s| {
                    settled += 1;
                    tap.offer(SignalTap::Settled(s));
                });
                let wall = wall_ms();
                let ages = std::array::from_fn(|i| {
                    let last = shared.feeds[i].last_frame_ns.load(Ordering::Relaxed);
                    if last == 0 {
                        u64::MAX
                    } else {
                        now.saturating_sub(last) / 1_000_000
                    }
                });
                self.engine.on_feed_ages(ages, wall);
                let tap = &mut self.tap;
                self.engine.risk.drain_events(|e| {
                    tap.offer(SignalTap::Breaker(e));
                });
                let c = &shared.counters.signal;
                for _ in 0..fallbacks {
                    bump(&c.strike_fallbacks);
                }
                if settled > 0 {
                    c.settlements.store(
                        c.settlements.load(Ordering::Relaxed) + settled,
                        Ordering::Relaxed,
                    );
                    let snap = self.engine.account.snapshot(wall_ms());
                    self.tap.offer(SignalTap::Account(snap));
                }
            }
            self.stages.maybe_flush(now);
            if work == 0 {
                let (s, p, e) = (&self.spot_rx, &self.poly_rx, &self.exec_rx);
                self.idler.idle(&self.bell, || {
                    !s.is_empty() || !p.is_empty() || !e.is_empty()
                });
            } else {
                self.idler.reset();
            }
        }
        self.stages.flush(mono_ns());
    }

    /// Gate the engine's decision on control state, record it, and send it on.
    /// `tick_read_ns` is the read stamp of the Binance frame behind it (0 for book updates).
    #[inline]
    fn decided(&mut self, mut d: Decision, dequeued_ns: u64, tick_read_ns: u64) {
        let shared = &self.shared;
        let c = &shared.counters.signal;
        bump(&c.signals);
        if let Some(intent) = d.intent {
            if let Err(r) = self.engine.approve(
                &intent,
                dequeued_ns,
                wall_ms(),
                shared.killed(),
                shared.mode(),
            ) {
                d.intent = None;
                d.snapshot.skip = Some(r);
            }
        }
        let decided_ns = mono_ns();
        self.stages.record(Stage::Decide, decided_ns - dequeued_ns);
        self.stages
            .record_span(Stage::TickToDecision, tick_read_ns, decided_ns);
        if let Some(r) = d.snapshot.skip {
            bump(&c.skips[r as usize]);
        }
        if let Some(mut intent) = d.intent {
            intent.decision_ns = decided_ns;
            self.tap.offer(SignalTap::Intent(intent));
            bump(&c.intents);
            self.to_order.push(intent);
        }
        self.tap.offer(SignalTap::Decision(d.snapshot));
    }
}
