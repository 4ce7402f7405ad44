//! The engine's one entry point for drivers: `step(input at its time) → outputs`.
//!
//! Every driver (the `signal` thread of the four-thread plan, the run-to-completion hot
//! thread, replay, the tests) turns what it received into an [`Input`] stamped with both
//! clocks ([`At`]) and the operator's switches as it read them ([`Gate`]), and acts on the
//! [`Outputs`]. The engine reads no clock, does no I/O, and `step` allocates nothing: the
//! outputs live in a caller-owned [`Outputs`] that is cleared and refilled on each step.

use crate::pipeline::control::SignalControl;
use crate::pipeline::events::{ExecReport, OrderIntent, PolyEvent, SpotTick};
use crate::pipeline::registry::MAX_ASSETS;
use crate::pipeline::shared::Mode;
use crate::strategy::gates::SkipReason;

use super::super::snapshot::Settlement;
use super::state::WINDOW_SLOTS;
use super::{Decision, Engine};

/// When an input happened, on both clocks. Live: when the driver took it off the wire or
/// ring; replay: the recording's stamps. The monotonic clock measures ages and cooldowns,
/// the wall clock places the input in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct At {
    pub mono_ns: u64,
    pub wall_ms: u64,
}

/// The operator's switches as the driver read them for this input (atomics live; fixed in
/// replay). An intent is refused when `killed`, or when the mode does not trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    pub killed: bool,
    pub mode: Mode,
}

impl Gate {
    /// Paper trading, kill switch off: replay's and most tests' gate.
    pub const PAPER: Gate = Gate {
        killed: false,
        mode: Mode::Paper,
    };
}

/// One thing that happened, for the engine.
#[derive(Clone, Copy, Debug)]
pub enum Input {
    /// Window set-up or tear-down from the control side.
    Control(SignalControl),
    /// A Binance price: updates the asset, then decides for it.
    Spot(SpotTick),
    /// A Polymarket book (decides for its asset), trade, or Chainlink price.
    Poly(PolyEvent),
    /// An execution report for an intent; `local_reject`: refused on our side (the kill
    /// switch), not by the venue.
    Exec {
        report: ExecReport,
        local_reject: bool,
    },
    /// Periodic work: risk day roll, strike fallbacks, settlements; and, when the driver
    /// watches feeds, each feed's silence in ms (Binance, Polymarket, Chainlink; `u64::MAX`
    /// never heard) for the staleness breaker.
    Tick { feed_ages_ms: Option<[u64; 3]> },
}

/// An input with its time and gate.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub at: At,
    pub gate: Gate,
    pub input: Input,
}

/// Most settlements one tick can produce: every window slot of every asset.
pub const MAX_SETTLEMENTS: usize = MAX_ASSETS * WINDOW_SLOTS;

/// What one step produced. Owned by the driver and reused: no allocation per step.
#[derive(Clone, Debug)]
pub struct Outputs {
    /// After a tick or a book update: the snapshot, and the intent when one was decided and
    /// approved (kill switch, breakers, mode, risk limits). A refused intent is gone and the
    /// snapshot says why.
    pub decision: Option<Decision>,
    /// Set when this step decided an intent and `approve` refused it (the snapshot's skip
    /// says the same): lets a driver tell a refused intent from a decision that never made one.
    pub refused: Option<SkipReason>,
    settled: [Settlement; MAX_SETTLEMENTS],
    n_settled: usize,
    /// Windows whose strike fell back to Binance's opening price on this tick.
    pub strike_fallbacks: u32,
    /// The paper account changed (a fill, a settlement): time to publish a new snapshot.
    pub account_changed: bool,
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            decision: None,
            refused: None,
            settled: [Settlement::default(); MAX_SETTLEMENTS],
            n_settled: 0,
            strike_fallbacks: 0,
            account_changed: false,
        }
    }
}

impl Outputs {
    #[inline]
    fn clear(&mut self) {
        self.decision = None;
        self.refused = None;
        self.n_settled = 0;
        self.strike_fallbacks = 0;
        self.account_changed = false;
    }

    /// Windows settled on this step, in slot order.
    pub fn settlements(&self) -> &[Settlement] {
        &self.settled[..self.n_settled]
    }

    /// The approved intent, if the step made one.
    pub fn intent(&self) -> Option<&OrderIntent> {
        self.decision.as_ref().and_then(|d| d.intent.as_ref())
    }
}

impl Engine {
    /// Apply one input at its time; `out` is cleared and then holds what it produced.
    #[inline]
    pub fn step(&mut self, step: &Step, out: &mut Outputs) {
        out.clear();
        let Step { at, gate, input } = *step;
        match input {
            Input::Control(msg) => self.control(msg, at.wall_ms),
            Input::Spot(t) => {
                out.decision = self.on_spot(&t, at.mono_ns, at.wall_ms);
                self.gate_intent(at, gate, out);
            }
            Input::Poly(ev) => {
                out.decision = self.on_poly(&ev, at.mono_ns, at.wall_ms);
                self.gate_intent(at, gate, out);
            }
            Input::Exec {
                report,
                local_reject,
            } => out.account_changed = self.on_exec_report(&report, at.wall_ms, local_reject),
            Input::Tick { feed_ages_ms } => {
                let (settled, n) = (&mut out.settled, &mut out.n_settled);
                out.strike_fallbacks = self.tick(at.wall_ms, |s| {
                    // At most one settlement per window slot per tick.
                    if *n < MAX_SETTLEMENTS {
                        settled[*n] = s;
                        *n += 1;
                    }
                });
                out.account_changed = out.n_settled > 0;
                if let Some(ages) = feed_ages_ms {
                    self.on_feed_ages(ages, at.wall_ms);
                }
            }
        }
    }

    /// The last word on a decided intent: refused, it is dropped and the snapshot says why.
    #[inline]
    fn gate_intent(&mut self, at: At, gate: Gate, out: &mut Outputs) {
        let Some(d) = out.decision.as_mut() else {
            return;
        };
        if let Some(intent) = d.intent {
            if let Err(r) = self.approve(&intent, at.mono_ns, at.wall_ms, gate.killed, gate.mode) {
                d.intent = None;
                d.snapshot.skip = Some(r);
                out.refused = Some(r);
            }
        }
    }
}
