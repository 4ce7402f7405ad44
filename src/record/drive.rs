//! Replay's driver of the engine: every input goes through [`Engine::step`] with the
//! recording's clocks and the paper gate, exactly as the live `signal` thread drives it; what
//! comes out is collected for the report. Every decision inside a window is recorded; an
//! approved intent waits `fill_latency_ms` (recording time) and is then filled against the
//! traded token's own book as it stands at that moment; breaker trips are counted as they
//! happen.

use crate::control::discovery::{DiscoveredWindow, TokenSlots};
use crate::exec::paper;
use crate::feeds::polymarket::PolyBooks;
use crate::pipeline::events::{BookTop, ExecReport, ExecStatus, OrderIntent};
use crate::signal::{At, Engine, Gate, Input, Outputs, SignalSnapshot, Step};
use crate::strategy::fair_value::SettlementRule;
use crate::strategy::gates::SkipReason;

use super::format::WindowLine;
use super::report::{Collector, ReplayOptions, WindowInfo};

/// An intent approved and waiting for its fill (now, or `fill_latency_ms` later).
struct Pending {
    due_wall_ms: u64,
    intent: OrderIntent,
    snapshot: SignalSnapshot,
}

/// A matched fill: the intent as filled, its report, when, and the decision behind it.
pub(super) struct Filled {
    pub intent: OrderIntent,
    pub report: ExecReport,
    pub wall_ms: u64,
    pub snapshot: SignalSnapshot,
}

/// The engine with replay's collectors around it.
pub(super) struct Drive<'o> {
    pub engine: Engine,
    out: Outputs,
    options: &'o ReplayOptions,
    slots: TokenSlots,
    pending: Vec<Pending>,
    pub col: Collector,
    pub fills: Vec<Filled>,
    pub strike_fallbacks: u32,
    pub windows: u32,
}

impl<'o> Drive<'o> {
    pub fn new(engine: Engine, options: &'o ReplayOptions) -> Self {
        Drive {
            engine,
            out: Outputs::default(),
            options,
            slots: TokenSlots::default(),
            pending: Vec::new(),
            col: Collector::default(),
            fills: Vec::new(),
            strike_fallbacks: 0,
            windows: 0,
        }
    }

    fn step(&mut self, input: Input, mono_ns: u64, wall_ms: u64) {
        let step = Step {
            at: At { mono_ns, wall_ms },
            gate: Gate::PAPER,
            input,
        };
        self.engine.step(&step, &mut self.out);
    }

    /// Periodic work: strike fallbacks and settlements, each settlement kept with its time.
    pub fn tick(&mut self, mono_ns: u64, wall_ms: u64) {
        self.step(Input::Tick { feed_ages_ms: None }, mono_ns, wall_ms);
        self.strike_fallbacks += self.out.strike_fallbacks;
        for s in self.out.settlements() {
            self.col.settlements.push((*s, wall_ms));
        }
    }

    /// A recorded window: its token slots (books reset, keys registered), the spec with the
    /// fee override if any, what the report needs to know of it, then the engine.
    pub fn window(
        &mut self,
        line: &WindowLine,
        books: &mut PolyBooks,
        asset_name: impl Fn(u8) -> String,
        mono_ns: u64,
        wall_ms: u64,
    ) -> Result<(), String> {
        let venue_up = match line.venue_outcome.as_deref() {
            None => None,
            Some("up") => Some(true),
            Some("down") => Some(false),
            Some(other) => {
                return Err(format!(
                    "venue_outcome {other:?}: expected \"up\" or \"down\""
                ))
            }
        };
        let w = DiscoveredWindow::from(line);
        let mut setup = self.slots.set_up(&w);
        for (t, key) in setup.tokens {
            books.books[t.0 as usize].reset();
            if let Some(k) = key {
                books.tokens.insert(t.0, k);
            }
        }
        if let Some(f) = self.options.fee_override {
            setup.spec.fees = f;
        }
        self.col.windows.push(WindowInfo {
            asset_id: w.asset.0,
            asset: asset_name(w.asset.0),
            slug: w.slug.clone(),
            start_s: w.start_s,
            end_s: w.end_s,
            settle: match setup.spec.settle {
                SettlementRule::Spot => "spot",
                SettlementRule::Twap { .. } => "twap",
            },
            venue_up,
        });
        self.step(Input::Control(setup.signal()), mono_ns, wall_ms);
        self.windows += 1;
        Ok(())
    }

    /// An input that may decide (a Binance tick, a book): the decision is recorded for the
    /// report; an approved intent is queued for its fill.
    pub fn decide(&mut self, input: Input, mono_ns: u64, wall_ms: u64) {
        self.step(input, mono_ns, wall_ms);
        let Some(d) = self.out.decision else { return };
        let mut snapshot = d.snapshot;
        if let Some(r) = self.out.refused {
            // An intent the risk book refused: the decision itself made one (the report
            // counts it as an intent, with the refusal apart from the strategy's skips).
            snapshot.skip = None;
            self.col.decisions.push((snapshot.asset.0, snapshot));
            self.col.why.intents += 1;
            *self.col.why.risk_refusals.entry(r.name()).or_default() += 1;
            return;
        }
        if snapshot.skip == Some(SkipReason::NoWindow) {
            return;
        }
        self.col.decisions.push((snapshot.asset.0, snapshot));
        if let Some(r) = snapshot.skip {
            self.col.skip(r);
        }
        let Some(mut intent) = d.intent else { return };
        self.col.why.intents += 1;
        intent.decision_ns = intent.trigger.read_ns;
        self.pending.push(Pending {
            due_wall_ms: wall_ms + self.options.fill_latency_ms,
            intent,
            snapshot,
        });
    }

    /// An input that never decides (a Chainlink price).
    pub fn feed(&mut self, input: Input, mono_ns: u64, wall_ms: u64) {
        self.step(input, mono_ns, wall_ms);
    }

    /// Fill what is due by `wall_ms` against the traded token's own book as it stands now.
    pub fn fill_due(&mut self, mono_ns: u64, wall_ms: u64, books: &PolyBooks) {
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].due_wall_ms > wall_ms {
                i += 1;
                continue;
            }
            let Pending {
                mut intent,
                snapshot,
                ..
            } = self.pending.remove(i);
            if let Some(b) = books.books.get(intent.token.0 as usize) {
                let mut t = BookTop::default();
                b.top(intent.token, &mut t);
                intent.book = t;
            }
            let report = paper::fill(&intent);
            let input = Input::Exec {
                report,
                local_reject: false,
            };
            self.step(input, mono_ns, wall_ms);
            if report.status == ExecStatus::Matched {
                self.fills.push(Filled {
                    intent,
                    report,
                    wall_ms,
                    snapshot,
                });
            } else {
                self.col.why.unfilled += 1;
            }
        }
    }

    /// Count the breakers tripped since the last call.
    pub fn count_trips(&mut self) {
        let why = &mut self.col.why;
        self.engine.risk.drain_events(|e| {
            if let crate::risk::BreakerEvent::Tripped(t) = e {
                *why.breaker_trips.entry(t.kind.name()).or_default() += 1;
            }
        });
    }
}
