//! The risk book: exposure, order rate, realized PnL and breakers, kept on `signal`.
//!
//! Fixed arrays only (per asset × window slot, a table of orders in flight, two stamp rings),
//! so every method here is allocation-free and O(slots). Amounts are USDC as `f64`: the book
//! bounds risk, it does not keep the ledger (the paper account and the venue do).

use crate::pipeline::events::{
    AssetId, ExecReport, ExecStatus, OrderIntent, Outcome, PX_SCALE, SIZE_SCALE,
};
use crate::pipeline::registry::MAX_ASSETS;
use crate::pipeline::shared::Mode;
use crate::signal::Settlement;
use crate::strategy::gates::SkipReason;

use super::breakers::{BreakerEvent, BreakerKind, BreakerTrip, DAY_MS};
use super::config::RiskConfig;
use super::rate::StampRing;

/// Windows per asset the book tracks at once (previous, current, next and a spare).
pub const WINDOW_SLOTS: usize = 4;
/// Orders in flight tracked at once (one per token at most, so the token registry's size).
pub const MAX_IN_FLIGHT: usize = crate::pipeline::registry::MAX_TOKENS;
/// Breaker events kept until the control side drains them.
const EVENT_RING: usize = 32;
const MINUTE_NS: u64 = 60_000_000_000;
/// Tolerance on exposure comparisons, USDC.
const EPS: f64 = 1e-9;

/// One order `signal` wants to send, as the risk checks see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderCandidate {
    pub asset: AssetId,
    pub outcome: Outcome,
    /// Window the order belongs to (unix seconds of its start).
    pub window_start_s: u64,
    /// USDC at risk: limit price × size.
    pub notional_usdc: f64,
    /// `clock::mono_ns` now (order-rate window).
    pub now_ns: u64,
    /// Wall clock now, unix ms (breaker cool-downs, UTC day).
    pub wall_ms: u64,
    /// The kill switch as read for this decision.
    pub killed: bool,
    /// The trading mode as read for this decision.
    pub mode: Mode,
}

impl OrderCandidate {
    /// The candidate for an intent built by the engine.
    #[inline]
    pub fn from_intent(
        i: &OrderIntent,
        now_ns: u64,
        wall_ms: u64,
        killed: bool,
        mode: Mode,
    ) -> Self {
        OrderCandidate {
            asset: i.asset,
            outcome: i.outcome,
            window_start_s: i.window_start_s,
            notional_usdc: intent_notional_usdc(i),
            now_ns,
            wall_ms,
            killed,
            mode,
        }
    }
}

/// USDC at risk in an intent: its limit price × its size.
#[inline]
pub fn intent_notional_usdc(i: &OrderIntent) -> f64 {
    (i.limit_price_e4 as f64 / PX_SCALE as f64) * (i.size_e6 as f64 / SIZE_SCALE as f64)
}

/// A pre-trade limit that refused an order. `name()` is stable (journal, API).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RiskLimit {
    /// The order's notional is over `max_order_notional_usdc`.
    OrderNotional,
    /// The window's exposure would pass `max_window_exposure_usdc`.
    WindowExposure,
    /// The asset's exposure would pass `max_asset_exposure_usdc`.
    AssetExposure,
    /// Total exposure would pass `max_total_exposure_usdc`.
    TotalExposure,
    /// A new position would pass `max_open_positions`.
    OpenPositions,
    /// `max_orders_per_minute` orders already in the last 60 s.
    OrderRate,
    /// The in-flight table is full (a bug upstream: more orders in flight than tokens).
    InFlightFull,
    /// Every window slot of the asset holds exposure.
    WindowSlotsFull,
    /// Notional not a positive number, or an unknown asset (a bug upstream).
    BadOrder,
}

impl RiskLimit {
    pub const fn name(self) -> &'static str {
        match self {
            RiskLimit::OrderNotional => "max_order_notional",
            RiskLimit::WindowExposure => "max_window_exposure",
            RiskLimit::AssetExposure => "max_asset_exposure",
            RiskLimit::TotalExposure => "max_total_exposure",
            RiskLimit::OpenPositions => "max_open_positions",
            RiskLimit::OrderRate => "max_orders_per_minute",
            RiskLimit::InFlightFull => "in_flight_full",
            RiskLimit::WindowSlotsFull => "window_slots_full",
            RiskLimit::BadOrder => "bad_order",
        }
    }
}

/// Why the book refused an order, in precedence order: killed > breaker > mode > limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefuseReason {
    KillSwitch,
    Breaker(BreakerKind),
    ModeOff,
    Limit(RiskLimit),
}

impl RefuseReason {
    /// Stable name: `kill_switch`, `mode_off`, the breaker's or the limit's name.
    pub const fn name(self) -> &'static str {
        match self {
            RefuseReason::KillSwitch => "kill_switch",
            RefuseReason::Breaker(k) => k.name(),
            RefuseReason::ModeOff => "mode_off",
            RefuseReason::Limit(l) => l.name(),
        }
    }

    /// The skip reason a snapshot carries for it.
    pub const fn skip_reason(self) -> SkipReason {
        match self {
            RefuseReason::KillSwitch => SkipReason::KillSwitch,
            RefuseReason::Breaker(_) => SkipReason::Breaker,
            RefuseReason::ModeOff => SkipReason::ModeOff,
            RefuseReason::Limit(_) => SkipReason::RiskLimit,
        }
    }
}

impl std::fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An order the risk checks passed. Only [`RiskBook::check`] makes one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RiskApproved(OrderCandidate);

impl RiskApproved {
    #[inline]
    pub fn candidate(&self) -> &OrderCandidate {
        &self.0
    }
}

/// An order the risk checks refused, and the first rule that refused it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RiskRefused {
    pub candidate: OrderCandidate,
    pub reason: RefuseReason,
}

/// State restored at start (from the journal) so limits that span a restart still hold.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RiskSeed {
    /// Start cash + realized PnL, USDC.
    pub equity_usdc: f64,
    /// Highest equity seen, USDC (at least `equity_usdc`).
    pub peak_equity_usdc: f64,
    /// Realized PnL of the UTC day `day_index` (unix ms / 86 400 000), USDC.
    pub day_index: u64,
    pub day_realized_pnl_usdc: f64,
    /// Losing windows in a row at the end of the journal.
    pub consecutive_losses: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct WindowExposure {
    used: bool,
    start_s: u64,
    /// USDC paid for filled positions, by outcome (Up, Down).
    cost: [f64; 2],
    /// Notional of orders in flight, by outcome.
    in_flight: [f64; 2],
    n_in_flight: [u16; 2],
}

impl WindowExposure {
    #[inline]
    fn total(&self) -> f64 {
        self.cost[0] + self.cost[1] + self.in_flight[0] + self.in_flight[1]
    }
    #[inline]
    fn side_open(&self, o: usize) -> bool {
        self.cost[o] > EPS || self.n_in_flight[o] > 0
    }
    #[inline]
    fn positions(&self) -> u32 {
        self.side_open(0) as u32 + self.side_open(1) as u32
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct InFlight {
    /// 0: free.
    intent_id: u64,
    asset: AssetId,
    outcome: Outcome,
    window_start_s: u64,
    notional: f64,
}

#[inline]
fn oi(o: Outcome) -> usize {
    match o {
        Outcome::Up => 0,
        Outcome::Down => 1,
    }
}

/// Limits, exposure and breakers. One per process, owned by the `signal` thread.
pub struct RiskBook {
    cfg: RiskConfig,
    windows: [[WindowExposure; WINDOW_SLOTS]; MAX_ASSETS],
    in_flight: [InFlight; MAX_IN_FLIGHT],
    /// `mono_ns` of accepted orders.
    orders: StampRing,
    /// Wall ms of venue rejects.
    rejects: StampRing,
    trips: [Option<BreakerTrip>; BreakerKind::COUNT],
    events: [Option<BreakerEvent>; EVENT_RING],
    ev_next: usize,
    ev_len: usize,
    events_dropped: u64,
    untracked: u64,
    equity: f64,
    peak: f64,
    day: u64,
    day_pnl: f64,
    loss_streak: u32,
}

impl RiskBook {
    /// A book for a fresh account of `start_equity_usdc`, on the UTC day of `wall_ms`.
    /// Call [`RiskConfig::validate`] first.
    pub fn new(cfg: RiskConfig, start_equity_usdc: f64, wall_ms: u64) -> RiskBook {
        RiskBook {
            cfg,
            windows: [[WindowExposure::default(); WINDOW_SLOTS]; MAX_ASSETS],
            in_flight: [InFlight::default(); MAX_IN_FLIGHT],
            orders: StampRing::default(),
            rejects: StampRing::default(),
            trips: [None; BreakerKind::COUNT],
            events: [None; EVENT_RING],
            ev_next: 0,
            ev_len: 0,
            events_dropped: 0,
            untracked: 0,
            equity: start_equity_usdc,
            peak: start_equity_usdc,
            day: wall_ms / DAY_MS,
            day_pnl: 0.0,
            loss_streak: 0,
        }
    }

    pub fn config(&self) -> &RiskConfig {
        &self.cfg
    }

    // ---- pre-trade ------------------------------------------------------------------------

    /// The pre-trade verdict, first refusal wins: kill switch, breaker, mode `off`, then the
    /// limits (notional, in-flight table, order rate, window slots, open positions, window,
    /// asset and total exposure). Pure: nothing is recorded until [`RiskBook::on_intent`].
    #[inline]
    pub fn check(&self, c: &OrderCandidate) -> Result<RiskApproved, RiskRefused> {
        match self.refusal(c) {
            None => Ok(RiskApproved(*c)),
            Some(reason) => Err(RiskRefused {
                candidate: *c,
                reason,
            }),
        }
    }

    fn refusal(&self, c: &OrderCandidate) -> Option<RefuseReason> {
        if c.killed {
            return Some(RefuseReason::KillSwitch);
        }
        if let Some(k) = self.halted_at(c.wall_ms) {
            return Some(RefuseReason::Breaker(k));
        }
        if c.mode == Mode::Off {
            return Some(RefuseReason::ModeOff);
        }
        let lim = |l| Some(RefuseReason::Limit(l));
        let a = c.asset.0 as usize;
        if a >= MAX_ASSETS || !(c.notional_usdc.is_finite() && c.notional_usdc > 0.0) {
            return lim(RiskLimit::BadOrder);
        }
        if c.notional_usdc > self.cfg.max_order_notional_usdc + EPS {
            return lim(RiskLimit::OrderNotional);
        }
        if self.in_flight.iter().all(|f| f.intent_id != 0) {
            return lim(RiskLimit::InFlightFull);
        }
        if self
            .orders
            .at_least(self.cfg.max_orders_per_minute as usize, MINUTE_NS, c.now_ns)
        {
            return lim(RiskLimit::OrderRate);
        }
        let Some(slot) = self.slot_for(a, c.window_start_s) else {
            return lim(RiskLimit::WindowSlotsFull);
        };
        let w = &self.windows[a][slot];
        let same_window = w.used && w.start_s == c.window_start_s;
        let side_open = same_window && w.side_open(oi(c.outcome));
        if !side_open && self.open_positions() + 1 > self.cfg.max_open_positions {
            return lim(RiskLimit::OpenPositions);
        }
        let w_exp = if same_window { w.total() } else { 0.0 };
        if w_exp + c.notional_usdc > self.cfg.max_window_exposure_usdc + EPS {
            return lim(RiskLimit::WindowExposure);
        }
        if self.asset_exposure_usdc(c.asset) + c.notional_usdc
            > self.cfg.max_asset_exposure_usdc + EPS
        {
            return lim(RiskLimit::AssetExposure);
        }
        if self.total_exposure_usdc() + c.notional_usdc > self.cfg.max_total_exposure_usdc + EPS {
            return lim(RiskLimit::TotalExposure);
        }
        None
    }

    /// USDC one more order in this window may risk: the smallest room left under the order,
    /// window, asset and total limits (0 when none). Ignores the kill switch and breakers;
    /// feed it to sizing as `risk_room_usdc`.
    #[inline]
    pub fn room_usdc(&self, asset: AssetId, window_start_s: u64) -> f64 {
        let a = asset.0 as usize;
        if a >= MAX_ASSETS {
            return 0.0;
        }
        let w = self.window_exposure_usdc(asset, window_start_s);
        let room = self
            .cfg
            .max_order_notional_usdc
            .min(self.cfg.max_window_exposure_usdc - w)
            .min(self.cfg.max_asset_exposure_usdc - self.asset_exposure_usdc(asset))
            .min(self.cfg.max_total_exposure_usdc - self.total_exposure_usdc());
        room.max(0.0)
    }

    // ---- events -----------------------------------------------------------------------------

    /// An approved order was sent as intent `intent_id` (non-zero): it is in flight, counts in
    /// exposure at its notional and in the order rate.
    pub fn on_intent(&mut self, intent_id: u64, approved: &RiskApproved) {
        let c = approved.0;
        self.orders.push(c.now_ns);
        let a = c.asset.0 as usize;
        let free = self.in_flight.iter().position(|f| f.intent_id == 0);
        let slot = if a < MAX_ASSETS {
            self.slot_for(a, c.window_start_s)
        } else {
            None
        };
        let (Some(i), Some(s), true) = (free, slot, intent_id != 0) else {
            self.untracked += 1;
            return;
        };
        self.in_flight[i] = InFlight {
            intent_id,
            asset: c.asset,
            outcome: c.outcome,
            window_start_s: c.window_start_s,
            notional: c.notional_usdc,
        };
        let w = &mut self.windows[a][s];
        if !w.used {
            *w = WindowExposure {
                used: true,
                start_s: c.window_start_s,
                ..Default::default()
            };
        }
        let o = oi(c.outcome);
        w.in_flight[o] += c.notional_usdc;
        w.n_in_flight[o] += 1;
    }

    /// An execution report (from `order`): the intent leaves flight; what filled counts at
    /// its cost; a `Rejected` report of an intent in flight counts toward the venue-error
    /// breaker. A `Delayed` report with nothing filled keeps the intent in flight (until a
    /// later report or the window's settlement).
    pub fn on_exec(&mut self, r: &ExecReport, wall_ms: u64) {
        let filled =
            r.filled_e6 > 0 && matches!(r.status, ExecStatus::Matched | ExecStatus::Delayed);
        if r.status == ExecStatus::Delayed && !filled {
            return;
        }
        let was_in_flight = self.release(r.intent_id);
        if filled {
            self.add_cost(
                r.asset,
                r.window_start_s,
                r.outcome,
                r.cost_e6 as f64 / SIZE_SCALE as f64,
            );
        }
        if was_in_flight && r.status == ExecStatus::Rejected {
            self.rejects.push(wall_ms);
            let n = self.cfg.venue_error_max as usize;
            if self.trips[BreakerKind::VenueErrors as usize].is_none()
                && self
                    .rejects
                    .at_least(n, self.cfg.venue_error_window_ms, wall_ms)
            {
                let seen =
                    self.rejects
                        .count_within(self.cfg.venue_error_window_ms, wall_ms, usize::MAX);
                self.trip(BreakerTrip {
                    kind: BreakerKind::VenueErrors,
                    at_wall_ms: wall_ms,
                    until_wall_ms: Some(wall_ms + self.cfg.venue_error_cooldown_ms),
                    observed: seen as f64,
                    limit: n as f64,
                    feed: 0,
                });
            }
        }
    }

    /// Take intent `intent_id` out of flight without counting a venue error (a local refusal:
    /// the kill switch on `order`, a veto after `on_intent`). Returns whether it was in flight.
    pub fn release(&mut self, intent_id: u64) -> bool {
        if intent_id == 0 {
            return false;
        }
        let Some(i) = self.in_flight.iter().position(|f| f.intent_id == intent_id) else {
            return false;
        };
        let f = self.in_flight[i];
        self.in_flight[i] = InFlight::default();
        let a = f.asset.0 as usize;
        if let Some(w) = self.windows[a]
            .iter_mut()
            .find(|w| w.used && w.start_s == f.window_start_s)
        {
            let o = oi(f.outcome);
            w.in_flight[o] = (w.in_flight[o] - f.notional).max(0.0);
            w.n_in_flight[o] = w.n_in_flight[o].saturating_sub(1);
            if w.n_in_flight[o] == 0 {
                w.in_flight[o] = 0.0;
            }
            if w.total() <= EPS && w.n_in_flight == [0, 0] {
                *w = WindowExposure::default();
            }
        }
        true
    }

    /// A window settled: its exposure goes, its PnL is realized (equity, peak, today's PnL),
    /// and a window that held positions counts as a win (PnL > 0) or a loss. Trips the
    /// daily-loss, drawdown and consecutive-loss breakers.
    pub fn on_settlement(&mut self, s: &Settlement, wall_ms: u64) {
        self.roll_day(wall_ms);
        let a = s.asset.0 as usize;
        let mut had_cost = false;
        if a < MAX_ASSETS {
            for w in self.windows[a].iter_mut() {
                if w.used && w.start_s == s.window_start_s {
                    had_cost = w.cost[0] + w.cost[1] > EPS;
                    *w = WindowExposure::default();
                }
            }
            for f in self.in_flight.iter_mut() {
                if f.intent_id != 0 && f.asset == s.asset && f.window_start_s == s.window_start_s {
                    *f = InFlight::default();
                }
            }
        }
        let pnl = if s.pnl.is_finite() { s.pnl } else { 0.0 };
        self.equity += pnl;
        self.day_pnl += pnl;
        self.peak = self.peak.max(self.equity);
        if had_cost || pnl != 0.0 {
            if pnl > 0.0 {
                self.loss_streak = 0;
            } else {
                self.loss_streak += 1;
            }
        }
        self.check_loss_breakers(wall_ms);
    }

    /// Feed silence, ms, in `FEED_NAMES` order (`u64::MAX`: never heard from, not judged:
    /// the no-spot/no-book gates cover a feed that never came). Trips the stale-feed breaker
    /// when one is past its limit; re-arms it when all are fresh.
    pub fn on_feed_ages(&mut self, ages_ms: [u64; 3], wall_ms: u64) {
        let limits = self.cfg.feed_silence_limits_ms();
        let stale =
            (0..3).find(|&i| limits[i] > 0 && ages_ms[i] != u64::MAX && ages_ms[i] > limits[i]);
        let k = BreakerKind::StaleFeed as usize;
        match (stale, self.trips[k].is_some()) {
            (Some(i), false) => self.trip(BreakerTrip {
                kind: BreakerKind::StaleFeed,
                at_wall_ms: wall_ms,
                until_wall_ms: None,
                observed: ages_ms[i] as f64,
                limit: limits[i] as f64,
                feed: i as u8,
            }),
            (None, true) => self.rearm(BreakerKind::StaleFeed, wall_ms, false),
            _ => {}
        }
    }

    /// Periodic: the UTC day roll (today's PnL back to 0) and re-arming of breakers whose
    /// cool-down or day is over.
    pub fn tick(&mut self, wall_ms: u64) {
        self.roll_day(wall_ms);
        for k in BreakerKind::ALL {
            if let Some(t) = self.trips[k as usize] {
                if !t.active_at(wall_ms) {
                    self.rearm(k, wall_ms, false);
                }
            }
        }
    }

    /// Manual reset of one breaker (from the operator). A reset daily-loss breaker starts
    /// today's PnL again at 0; a reset drawdown breaker takes the current equity as the peak.
    /// Returns whether it was tripped.
    pub fn reset(&mut self, kind: BreakerKind, wall_ms: u64) -> bool {
        if self.trips[kind as usize].is_none() {
            return false;
        }
        self.rearm(kind, wall_ms, true);
        true
    }

    /// Manual reset of every breaker.
    pub fn reset_all(&mut self, wall_ms: u64) {
        for k in BreakerKind::ALL {
            self.reset(k, wall_ms);
        }
    }

    /// A position restored at start: it counts in exposure at its cost.
    pub fn restore_position(
        &mut self,
        asset: AssetId,
        window_start_s: u64,
        outcome: Outcome,
        cost_usdc: f64,
    ) {
        self.add_cost(asset, window_start_s, outcome, cost_usdc.max(0.0));
    }

    /// Equity, peak, today's PnL and the loss streak restored at start; breakers whose
    /// condition still holds trip again at `wall_ms`.
    pub fn seed(&mut self, s: &RiskSeed, wall_ms: u64) {
        self.equity = s.equity_usdc;
        self.peak = s.peak_equity_usdc.max(s.equity_usdc);
        self.day = s.day_index;
        self.day_pnl = s.day_realized_pnl_usdc;
        self.loss_streak = s.consecutive_losses;
        self.roll_day(wall_ms);
        self.check_loss_breakers(wall_ms);
    }

    /// Hand each breaker change since the last call to `f` (oldest first).
    pub fn drain_events(&mut self, mut f: impl FnMut(BreakerEvent)) {
        while self.ev_len > 0 {
            let i = (self.ev_next + EVENT_RING - self.ev_len) % EVENT_RING;
            self.ev_len -= 1;
            if let Some(e) = self.events[i].take() {
                f(e);
            }
        }
    }

    // ---- state ----------------------------------------------------------------------------

    /// The first tripped breaker (as of the last update; [`RiskBook::check`] also lets a
    /// cool-down that has run out pass before `tick` re-arms it).
    pub fn halted(&self) -> Option<BreakerKind> {
        self.trips.iter().flatten().map(|t| t.kind).next()
    }

    /// The first breaker that still holds at `wall_ms`.
    #[inline]
    pub fn halted_at(&self, wall_ms: u64) -> Option<BreakerKind> {
        self.trips
            .iter()
            .flatten()
            .find(|t| t.active_at(wall_ms))
            .map(|t| t.kind)
    }

    /// Every tripped breaker.
    pub fn breakers(&self) -> impl Iterator<Item = BreakerTrip> + '_ {
        self.trips.iter().flatten().copied()
    }

    pub fn equity_usdc(&self) -> f64 {
        self.equity
    }
    pub fn peak_equity_usdc(&self) -> f64 {
        self.peak
    }
    /// Realized PnL of the current UTC day.
    pub fn day_realized_pnl_usdc(&self) -> f64 {
        self.day_pnl
    }
    pub fn consecutive_losses(&self) -> u32 {
        self.loss_streak
    }
    /// Breaker events lost because the control side did not drain them in time.
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }
    /// Intents or fills the book could not place (table or slots full): a bug upstream.
    pub fn untracked(&self) -> u64 {
        self.untracked
    }
    /// Orders in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.iter().filter(|f| f.intent_id != 0).count()
    }

    /// Notional of the orders in flight, USDC: cash they may still spend.
    pub fn in_flight_usdc(&self) -> f64 {
        self.in_flight
            .iter()
            .filter(|f| f.intent_id != 0)
            .map(|f| f.notional)
            .sum::<f64>()
            + 0.0
    }

    /// Positions open, an order in flight on a token without a position counting as one.
    pub fn open_positions(&self) -> u32 {
        self.windows.iter().flatten().map(|w| w.positions()).sum()
    }

    pub fn window_exposure_usdc(&self, asset: AssetId, window_start_s: u64) -> f64 {
        self.windows
            .get(asset.0 as usize)
            .and_then(|ws| ws.iter().find(|w| w.used && w.start_s == window_start_s))
            .map_or(0.0, |w| w.total())
    }

    pub fn asset_exposure_usdc(&self, asset: AssetId) -> f64 {
        self.windows
            .get(asset.0 as usize)
            .map_or(0.0, |ws| ws.iter().map(|w| w.total()).sum())
    }

    pub fn total_exposure_usdc(&self) -> f64 {
        self.windows.iter().flatten().map(|w| w.total()).sum()
    }

    // ---- internals ------------------------------------------------------------------------

    /// The slot holding `window_start_s` for asset `a`, else a free one.
    #[inline]
    fn slot_for(&self, a: usize, window_start_s: u64) -> Option<usize> {
        let ws = &self.windows[a];
        ws.iter()
            .position(|w| w.used && w.start_s == window_start_s)
            .or_else(|| ws.iter().position(|w| !w.used))
    }

    fn add_cost(&mut self, asset: AssetId, window_start_s: u64, outcome: Outcome, cost: f64) {
        let a = asset.0 as usize;
        if a >= MAX_ASSETS || !cost.is_finite() {
            self.untracked += 1;
            return;
        }
        let Some(s) = self.slot_for(a, window_start_s) else {
            self.untracked += 1;
            return;
        };
        let w = &mut self.windows[a][s];
        if !w.used {
            *w = WindowExposure {
                used: true,
                start_s: window_start_s,
                ..Default::default()
            };
        }
        w.cost[oi(outcome)] += cost;
    }

    fn roll_day(&mut self, wall_ms: u64) {
        let day = wall_ms / DAY_MS;
        if day > self.day {
            self.day = day;
            self.day_pnl = 0.0;
        }
    }

    fn next_day_ms(&self, wall_ms: u64) -> u64 {
        (wall_ms / DAY_MS + 1) * DAY_MS
    }

    fn check_loss_breakers(&mut self, wall_ms: u64) {
        let cfg = self.cfg;
        if self.trips[BreakerKind::DailyLoss as usize].is_none()
            && -self.day_pnl >= cfg.daily_loss_limit_usdc - EPS
        {
            self.trip(BreakerTrip {
                kind: BreakerKind::DailyLoss,
                at_wall_ms: wall_ms,
                until_wall_ms: Some(self.next_day_ms(wall_ms)),
                observed: -self.day_pnl,
                limit: cfg.daily_loss_limit_usdc,
                feed: 0,
            });
        }
        let dd = if self.peak > 0.0 {
            (self.peak - self.equity) / self.peak
        } else {
            0.0
        };
        if self.trips[BreakerKind::Drawdown as usize].is_none() && dd >= cfg.max_drawdown_frac - EPS
        {
            self.trip(BreakerTrip {
                kind: BreakerKind::Drawdown,
                at_wall_ms: wall_ms,
                until_wall_ms: Some(self.next_day_ms(wall_ms)),
                observed: dd,
                limit: cfg.max_drawdown_frac,
                feed: 0,
            });
        }
        if self.trips[BreakerKind::ConsecutiveLosses as usize].is_none()
            && self.loss_streak >= cfg.max_consecutive_losses
        {
            self.trip(BreakerTrip {
                kind: BreakerKind::ConsecutiveLosses,
                at_wall_ms: wall_ms,
                until_wall_ms: Some(wall_ms + cfg.loss_streak_cooldown_ms),
                observed: self.loss_streak as f64,
                limit: cfg.max_consecutive_losses as f64,
                feed: 0,
            });
        }
    }

    fn trip(&mut self, t: BreakerTrip) {
        self.trips[t.kind as usize] = Some(t);
        self.push_event(BreakerEvent::Tripped(t));
    }

    fn rearm(&mut self, kind: BreakerKind, wall_ms: u64, manual: bool) {
        if self.trips[kind as usize].take().is_none() {
            return;
        }
        match kind {
            BreakerKind::ConsecutiveLosses => self.loss_streak = 0,
            BreakerKind::VenueErrors => self.rejects.clear(),
            // The drawdown limit applies again from here.
            BreakerKind::Drawdown => self.peak = self.equity,
            BreakerKind::DailyLoss => {
                if manual {
                    self.day_pnl = 0.0;
                }
            }
            BreakerKind::StaleFeed => {}
        }
        self.push_event(BreakerEvent::Rearmed {
            kind,
            at_wall_ms: wall_ms,
            manual,
        });
    }

    fn push_event(&mut self, e: BreakerEvent) {
        if self.ev_len == EVENT_RING {
            self.events_dropped += 1;
            return;
        }
        self.events[self.ev_next] = Some(e);
        self.ev_next = (self.ev_next + 1) % EVENT_RING;
        self.ev_len += 1;
    }
}
