//! The decision engine on `signal`: market state per asset and token, fair value, edge,
//! gates, sizing, and the paper account.
//!
//! Everything here runs per event on the pinned `signal` thread: fixed arrays indexed by
//! `AssetId` / `TokenId`, `Copy` state, no allocation, no locks. The strategy math lives in
//! `crate::strategy`; this file only gathers its inputs and keeps state.

use serde::Deserialize;

use crate::pipeline::control::{SignalControl, WindowSpec};
use crate::pipeline::events::{
    AssetId, BookTop, ExecReport, OrderIntent, OrderType, Outcome, PolyEvent, Side, SpotTick,
    TokenId, WireStamps, NO_TRIGGER_SEQ,
};
use crate::pipeline::registry::{AssetTable, MAX_ASSETS, MAX_TOKENS};
use crate::pipeline::shared::Mode;
use crate::risk::{OrderCandidate, RiskBook, RiskConfig};
use crate::strategy::anchor::{market_mid_up, Anchor, FairModel};
use crate::strategy::basis::{BasisConfig, BasisEma};
use crate::strategy::candidate::{MarketView, SideView, Strategy, StrategyKind};
use crate::strategy::fair_value::{prob_of, prob_up_settled};
use crate::strategy::gates::{check_context, move_bps, ContextInputs, GateConfig, SkipReason};
use crate::strategy::latency_arb::LatencyArb;
use crate::strategy::sizing::SizingConfig;
use crate::strategy::sniper::{Sniper, SniperConfig};
use crate::strategy::twap_obs::TwapObserver;
use crate::strategy::vol::{VolConfig, VolEstimator};

use super::account::PaperAccount;
use super::snapshot::{SettleSource, Settlement, SignalSnapshot};

/// Strategy settings (`[strategy]` in the configuration).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrategyConfig {
    pub gates: GateConfig,
    pub sizing: SizingConfig,
    pub vol: VolConfig,
    pub basis: BasisConfig,
    /// Limit price = best ask + this many ticks (default 2).
    pub max_slippage_ticks: u32,
    /// Paper account's starting cash, USDC (default 1000).
    pub start_cash: f64,
    /// After a window opens, wait this long for a Chainlink price before taking Binance's
    /// opening price as the strike, flagged (default 5000 ms).
    pub strike_grace_ms: u64,
    /// After a window ends, wait this long for a Chainlink price at or after the end before
    /// settling on the last price seen (default 5000 ms).
    pub settle_grace_ms: u64,
    /// Most positions open at once (default 3).
    pub max_open_positions: u32,
    /// Strategies evaluated for every asset, in order (default `["latency_arb"]`).
    pub enabled: Vec<StrategyKind>,
    /// Per-asset override of `enabled`, by asset name: `BTC = ["latency_arb", "sniper"]`.
    pub per_asset: std::collections::BTreeMap<String, Vec<StrategyKind>>,
    pub sniper: SniperConfig,
    /// Fair value traded on: `"anchored"` (the book's mid before a Binance move plus the move
    /// priced by the model, default) or `"absolute"` (the model's own level).
    pub model: FairModel,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        StrategyConfig {
            gates: GateConfig::default(),
            sizing: SizingConfig::default(),
            vol: VolConfig::default(),
            basis: BasisConfig::default(),
            max_slippage_ticks: 2,
            start_cash: 1000.0,
            strike_grace_ms: 5000,
            settle_grace_ms: 5000,
            max_open_positions: 3,
            enabled: vec![StrategyKind::LatencyArb],
            per_asset: Default::default(),
            sniper: SniperConfig::default(),
            model: FairModel::default(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct WindowState {
    spec: WindowSpec,
    /// Chainlink price at the start (or the Binance fallback); NaN until known.
    strike: f64,
    strike_fallback: bool,
    /// First Binance price at or after the start: the fallback strike.
    binance_open: f64,
    /// First Chainlink price at or after the end; NaN until seen.
    end_price: f64,
    last_order_ns: u64,
    /// When the window was set up: the strike grace runs from here if it was set up late.
    added_wall_ms: u64,
    /// Set up from the journal at restart (a position's window), with no tokens followed
    /// until discovery announces it again.
    restored: bool,
    /// The book's mid and the model's view when it last changed (market anchoring).
    anchor: Anchor,
    /// The observed part of a TWAP settlement's span (basis-corrected Binance).
    twap: TwapObserver,
    /// Last Binance price seen during the window (before its end): with no reference price after
    /// the end, the window settles on this (flagged stale), never on a price from after its end.
    binance_before_end: f64,
}

#[derive(Clone, Copy, Debug)]
struct AssetState {
    spot: f64,
    spot_ns: u64,
    spot_stamps: WireStamps,
    /// Wall clock of the last Binance price, unix ms (0: none yet).
    spot_wall_ms: u64,
    /// Last Chainlink price (price, venue ms).
    oracle: (f64, u64),
    vol: VolEstimator,
    basis: BasisEma,
    /// Windows being traded or awaiting settlement: previous, current, next, and one spare.
    windows: [Option<WindowState>; WINDOW_SLOTS],
    /// Recent Chainlink points (venue ms, price), oldest overwritten first: a window set up
    /// after it opened still finds the price at its start.
    oracle_hist: [(u64, f64); ORACLE_HISTORY],
    oracle_next: usize,
}

/// Windows per asset kept at once.
const WINDOW_SLOTS: usize = 4;
/// Chainlink points remembered per asset (at 1 Hz, four minutes).
const ORACLE_HISTORY: usize = 256;
/// A fallback end price (no Chainlink price after the end) must be from no later than this
/// past the settle grace: the window was watched around its end, not restored long after.
const STALE_SLACK_MS: u64 = 5_000;

#[derive(Clone, Copy, Debug)]
struct TokenState {
    asset: AssetId,
    outcome: Outcome,
    window_start_s: u64,
    book: BookTop,
    book_ns: u64,
    open_order: bool,
}

/// The decision after one event: always a snapshot, sometimes an intent.
#[derive(Clone, Copy, Debug)]
pub struct Decision {
    pub snapshot: SignalSnapshot,
    pub intent: Option<OrderIntent>,
}

pub struct Engine {
    cfg: StrategyConfig,
    latency_arb: LatencyArb,
    sniper: Sniper,
    /// Per asset: bit `StrategyKind as u8` set when enabled.
    enabled: [u8; MAX_ASSETS],
    assets: [AssetState; MAX_ASSETS],
    n_assets: usize,
    tokens: [Option<TokenState>; MAX_TOKENS],
    pub account: PaperAccount,
    /// Pre-trade limits and breakers (DESIGN §6).
    pub risk: RiskBook,
    next_intent_id: u64,
    open_orders: u32,
}

impl Engine {
    /// `now_wall_ms`: the wall clock of the first input (the machine's clock live, the
    /// recording's first line in replay): it starts the risk book's trading day. The engine
    /// never reads a clock itself.
    pub fn new(
        cfg: StrategyConfig,
        risk: RiskConfig,
        assets: &AssetTable,
        now_wall_ms: u64,
    ) -> Engine {
        let n_assets = assets.len();
        let mut enabled = [0u8; MAX_ASSETS];
        for (id, a) in assets.iter() {
            let list = cfg
                .per_asset
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&a.name))
                .map_or(&cfg.enabled, |(_, v)| v);
            for k in list {
                enabled[id.0 as usize] |= 1 << (*k as u8);
            }
        }
        let proto = AssetState {
            spot: f64::NAN,
            spot_ns: 0,
            spot_stamps: WireStamps::default(),
            spot_wall_ms: 0,
            oracle: (f64::NAN, 0),
            vol: VolEstimator::new(&cfg.vol),
            basis: BasisEma::new(&cfg.basis),
            windows: [None; WINDOW_SLOTS],
            oracle_hist: [(0, f64::NAN); ORACLE_HISTORY],
            oracle_next: 0,
        };
        Engine {
            account: PaperAccount::new(cfg.start_cash),
            risk: RiskBook::new(risk, cfg.start_cash, now_wall_ms),
            latency_arb: LatencyArb {
                gates: cfg.gates,
                sizing: cfg.sizing,
                slippage_ticks: cfg.max_slippage_ticks,
            },
            sniper: Sniper::new(cfg.sniper, &cfg.gates, cfg.sizing, cfg.max_slippage_ticks),
            enabled,
            cfg,
            assets: [proto; MAX_ASSETS],
            n_assets: n_assets.min(MAX_ASSETS),
            tokens: [None; MAX_TOKENS],
            next_intent_id: 1,
            open_orders: 0,
        }
    }

    pub fn config(&self) -> &StrategyConfig {
        &self.cfg
    }

    /// A control message, applied at `now_wall_ms` (when a window set up late starts its
    /// strike grace).
    pub fn control(&mut self, msg: SignalControl, now_wall_ms: u64) {
        match msg {
            SignalControl::Window(spec) => self.add_window(spec, now_wall_ms),
            SignalControl::WindowClosed { asset, start_s } => {
                // Settlement happens on `tick`; here only forget a window that never traded.
                if let Some(a) = self.assets.get_mut(asset.0 as usize) {
                    for w in a.windows.iter_mut() {
                        if w.is_some_and(|w| w.spec.start_s == start_s)
                            && !self.account.has_position(asset, start_s)
                        {
                            *w = None;
                        }
                    }
                }
            }
        }
    }

    fn add_window(&mut self, spec: WindowSpec, now_wall_ms: u64) {
        let Some(a) = self.assets.get_mut(spec.asset.0 as usize) else {
            return;
        };
        if let Some(w) = a
            .windows
            .iter_mut()
            .flatten()
            .find(|w| w.spec.start_s == spec.start_s)
        {
            if !w.restored {
                return;
            }
            // A window restored from the journal, announced again: follow its tokens, keep
            // its journaled strike.
            w.spec = spec;
            w.restored = false;
            self.follow_tokens(spec);
            return;
        }
        let grace = self.cfg.settle_grace_ms;
        let (start_ms, end_ms) = (spec.start_s * 1000, spec.end_s * 1000);
        let first_at = |from: u64, to: u64| {
            a.oracle_hist
                .iter()
                .filter(|(ts, p)| *ts >= from && *ts < to && !p.is_nan())
                .min_by_key(|(ts, _)| *ts)
                .map_or(f64::NAN, |(_, p)| *p)
        };
        let fresh = WindowState {
            spec,
            strike: first_at(start_ms, end_ms),
            strike_fallback: false,
            binance_open: f64::NAN,
            end_price: first_at(end_ms, end_ms + grace),
            last_order_ns: 0,
            added_wall_ms: now_wall_ms,
            restored: false,
            anchor: Anchor::default(),
            twap: TwapObserver::new(spec.settle, spec.end_s),
            binance_before_end: f64::NAN,
        };
        a.windows[Self::free_slot(a)] = Some(fresh);
        self.follow_tokens(spec);
    }

    /// An empty window slot, else the oldest window's.
    fn free_slot(a: &AssetState) -> usize {
        match a.windows.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                let (i, _) = a
                    .windows
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, w)| w.map_or(0, |w| w.spec.start_s))
                    .expect("slots");
                i
            }
        }
    }

    /// The window of a position restored from the journal, so it settles like any other:
    /// from a Chainlink price at its end seen by this run, else (it ended while the process
    /// was down) written off and flagged `Unresolved`. `strike` is the journaled one (NaN if
    /// none). No token is followed until discovery announces the window again.
    pub fn restore_window(
        &mut self,
        asset: AssetId,
        start_s: u64,
        end_s: u64,
        strike: f64,
        strike_fallback: bool,
        wall_ms: u64,
    ) {
        let Some(a) = self.assets.get_mut(asset.0 as usize) else {
            return;
        };
        if a.windows
            .iter()
            .flatten()
            .any(|w| w.spec.start_s == start_s)
        {
            return;
        }
        let slot = Self::free_slot(a);
        a.windows[slot] = Some(WindowState {
            spec: WindowSpec {
                asset,
                start_s,
                end_s,
                up: TokenId(u16::MAX),
                down: TokenId(u16::MAX),
                tick_e4: 0,
                min_size_e6: 0,
                fees: Default::default(),
                neg_risk: false,
                settle: Default::default(),
            },
            strike,
            strike_fallback: strike_fallback && !strike.is_nan(),
            binance_open: f64::NAN,
            end_price: f64::NAN,
            last_order_ns: 0,
            added_wall_ms: wall_ms,
            restored: true,
            anchor: Anchor::default(),
            twap: TwapObserver::new(Default::default(), end_s),
            binance_before_end: f64::NAN,
        });
    }

    fn follow_tokens(&mut self, spec: WindowSpec) {
        for (token, outcome) in [(spec.up, Outcome::Up), (spec.down, Outcome::Down)] {
            if let Some(t) = self.tokens.get_mut(token.0 as usize) {
                *t = Some(TokenState {
                    asset: spec.asset,
                    outcome,
                    window_start_s: spec.start_s,
                    book: BookTop {
                        token,
                        ..Default::default()
                    },
                    book_ns: 0,
                    open_order: false,
                });
            }
        }
    }

    /// A Binance tick: update price, volatility, basis, then decide for its asset.
    #[inline]
    pub fn on_spot(&mut self, t: &SpotTick, now_ns: u64, wall_ms: u64) -> Option<Decision> {
        let a = self.assets.get_mut(t.asset.0 as usize)?;
        let price = t.price();
        a.spot = price;
        a.spot_ns = now_ns;
        a.spot_stamps = t.stamps;
        a.spot_wall_ms = wall_ms;
        a.vol.update(price, now_ns);
        a.basis.on_binance(price, now_ns);
        let model_spot = a.basis.corrected_spot(price);
        for w in a.windows.iter_mut().flatten() {
            if w.binance_open.is_nan() && wall_ms >= w.spec.start_s * 1000 {
                w.binance_open = price;
            }
            w.twap.on_price(model_spot, wall_ms);
            if wall_ms >= w.spec.start_s * 1000 && wall_ms < w.spec.end_s * 1000 {
                w.binance_before_end = price;
            }
        }
        Some(self.evaluate(t.asset, now_ns, wall_ms, t.stamps, t.seq))
    }

    /// A Polymarket book, trade or Chainlink price.
    #[inline]
    pub fn on_poly(&mut self, ev: &PolyEvent, now_ns: u64, wall_ms: u64) -> Option<Decision> {
        match ev {
            PolyEvent::Book(b) => {
                let t = self.tokens.get_mut(b.token.0 as usize)?.as_mut()?;
                t.book = *b;
                t.book_ns = now_ns;
                let asset = t.asset;
                // Triggered by a Polymarket frame: no Binance sequence to tag the order with.
                Some(self.evaluate(asset, now_ns, wall_ms, b.stamps, NO_TRIGGER_SEQ))
            }
            PolyEvent::Trade(_) => None,
            PolyEvent::Oracle(o) => {
                let a = self.assets.get_mut(o.asset.0 as usize)?;
                let price = o.price_e8 as f64 / 1e8;
                a.oracle = (price, o.venue_ts_ms);
                a.oracle_hist[a.oracle_next] = (o.venue_ts_ms, price);
                a.oracle_next = (a.oracle_next + 1) % ORACLE_HISTORY;
                a.basis.on_chainlink(price, now_ns);
                for w in a.windows.iter_mut().flatten() {
                    let (start_ms, end_ms) = (w.spec.start_s * 1000, w.spec.end_s * 1000);
                    if w.strike.is_nan() && o.venue_ts_ms >= start_ms && o.venue_ts_ms < end_ms {
                        w.strike = price;
                        w.strike_fallback = false;
                    }
                    // Only a price from the end's neighbourhood decides a window: a window
                    // restored long after its end must not settle on today's price.
                    if w.end_price.is_nan()
                        && o.venue_ts_ms >= end_ms
                        && o.venue_ts_ms < end_ms + self.cfg.settle_grace_ms
                    {
                        w.end_price = price;
                    }
                }
                None
            }
        }
    }

    /// An execution report from `order` (also booked by the risk limits).
    pub fn on_exec_report(&mut self, r: &ExecReport, wall_ms: u64, local_reject: bool) -> bool {
        if local_reject {
            // Refused on our side (kill switch): not a venue error.
            self.risk.release(r.intent_id);
        } else {
            self.risk.on_exec(r, wall_ms);
        }
        self.on_exec(r)
    }

    /// The last word on an intent: kill switch > breaker > mode > risk limits. On refusal the
    /// engine forgets the intent (its token is free again) and says why.
    pub fn approve(
        &mut self,
        intent: &OrderIntent,
        now_ns: u64,
        wall_ms: u64,
        killed: bool,
        mode: Mode,
    ) -> Result<(), SkipReason> {
        match self.risk.check(&OrderCandidate::from_intent(
            intent, now_ns, wall_ms, killed, mode,
        )) {
            Ok(a) => {
                self.risk.on_intent(intent.intent_id, &a);
                Ok(())
            }
            Err(r) => {
                self.on_exec(&ExecReport {
                    intent_id: intent.intent_id,
                    token: intent.token,
                    status: crate::pipeline::events::ExecStatus::Rejected,
                    ..Default::default()
                });
                Err(r.reason.skip_reason())
            }
        }
    }

    /// Feed silence per feed (Binance, Polymarket, Chainlink), ms; `u64::MAX` = never heard.
    pub fn on_feed_ages(&mut self, ages_ms: [u64; 3], wall_ms: u64) {
        self.risk.on_feed_ages(ages_ms, wall_ms);
    }

    /// An execution report from `order`, for the account and the engine's open orders.
    pub fn on_exec(&mut self, r: &ExecReport) -> bool {
        if let Some(Some(t)) = self.tokens.get_mut(r.token.0 as usize) {
            if t.open_order {
                t.open_order = false;
                self.open_orders = self.open_orders.saturating_sub(1);
            }
        }
        self.account.apply(r)
    }

    /// Periodic work: strike fallbacks and settlements. `emit` gets each settlement.
    pub fn tick(&mut self, wall_ms: u64, mut emit: impl FnMut(Settlement)) -> u32 {
        self.risk.tick(wall_ms);
        let mut fallbacks = 0;
        for i in 0..self.n_assets {
            let asset = AssetId(i as u8);
            for slot in 0..WINDOW_SLOTS {
                let Some(mut w) = self.assets[i].windows[slot] else {
                    continue;
                };
                let (start_ms, end_ms) = (w.spec.start_s * 1000, w.spec.end_s * 1000);
                if w.strike.is_nan()
                    && wall_ms >= start_ms.max(w.added_wall_ms) + self.cfg.strike_grace_ms
                    && !w.binance_open.is_nan()
                {
                    w.strike = w.binance_open;
                    w.strike_fallback = true;
                    fallbacks += 1;
                }
                if wall_ms >= end_ms {
                    let grace = self.cfg.settle_grace_ms;
                    let end_price = if !w.end_price.is_nan() {
                        Some((w.end_price, SettleSource::Oracle))
                    } else if wall_ms >= end_ms + grace {
                        // No Chainlink price after the end: the last price seen during the
                        // window (Chainlink's, else Binance's), flagged stale; none from the
                        // window's time (it ended while the process was down): unresolved.
                        let st = &self.assets[i];
                        let during =
                            |ts: u64| ts >= start_ms && ts <= end_ms + grace + STALE_SLACK_MS;
                        let (p, ts) = st.oracle;
                        Some(if !p.is_nan() && during(ts) {
                            (p, SettleSource::Stale)
                        } else if !w.binance_before_end.is_nan() {
                            (w.binance_before_end, SettleSource::Stale)
                        } else if !st.spot.is_nan() && during(st.spot_wall_ms) {
                            (st.spot, SettleSource::Stale)
                        } else {
                            (f64::NAN, SettleSource::Unresolved)
                        })
                    } else {
                        None
                    };
                    if let Some((end, source)) = end_price {
                        self.assets[i].windows[slot] = None;
                        for t in self.tokens.iter_mut() {
                            if t.is_some_and(|t| {
                                t.asset == asset && t.window_start_s == w.spec.start_s
                            }) {
                                if t.is_some_and(|t| t.open_order) {
                                    self.open_orders = self.open_orders.saturating_sub(1);
                                }
                                *t = None;
                            }
                        }
                        let decided = !w.strike.is_nan() && !end.is_nan();
                        if !decided && !self.account.has_position(asset, w.spec.start_s) {
                            continue;
                        }
                        let (up_won, source) = if decided {
                            (end >= w.strike, source)
                        } else {
                            (false, SettleSource::Unresolved)
                        };
                        let (paid, pnl) = if decided {
                            self.account.settle(asset, w.spec.start_s, up_won)
                        } else {
                            self.account.write_off(asset, w.spec.start_s)
                        };
                        let s = Settlement {
                            asset,
                            window_start_s: w.spec.start_s,
                            strike: w.strike,
                            end_price: end,
                            up_won,
                            winning_tokens: paid,
                            pnl,
                            strike_fallback: w.strike_fallback,
                            source,
                        };
                        self.risk.on_settlement(&s, wall_ms);
                        emit(s);
                        continue;
                    }
                }
                self.assets[i].windows[slot] = Some(w);
            }
        }
        fallbacks
    }

    /// The window of `asset` open at `wall_ms`.
    fn current_window(&self, asset: AssetId, wall_ms: u64) -> Option<(usize, WindowState)> {
        self.assets[asset.0 as usize]
            .windows
            .iter()
            .enumerate()
            .find_map(|(i, w)| {
                w.filter(|w| w.spec.start_s * 1000 <= wall_ms && wall_ms < w.spec.end_s * 1000)
                    .map(|w| (i, w))
            })
    }

    fn evaluate(
        &mut self,
        asset: AssetId,
        now_ns: u64,
        wall_ms: u64,
        trigger: WireStamps,
        trigger_seq: u64,
    ) -> Decision {
        let a = &self.assets[asset.0 as usize];
        let mut snap = SignalSnapshot {
            asset,
            wall_ms,
            spot: a.spot,
            model_spot: f64::NAN,
            strike: f64::NAN,
            tau_s: f64::NAN,
            sigma_per_sqrt_s: a.vol.sigma_per_sqrt_s(),
            p_up: f64::NAN,
            p_model: f64::NAN,
            p_anchored: f64::NAN,
            mid_up: f64::NAN,
            edge: f64::NAN,
            ..Default::default()
        };
        let skip = |mut s: SignalSnapshot, r: SkipReason| {
            s.skip = Some(r);
            Decision {
                snapshot: s,
                intent: None,
            }
        };
        let Some((slot, w)) = self.current_window(asset, wall_ms) else {
            return skip(snap, SkipReason::NoWindow);
        };
        snap.window_start_s = w.spec.start_s;
        snap.strike = w.strike;
        snap.strike_fallback = w.strike_fallback;
        let window_len_s = (w.spec.end_s - w.spec.start_s) as f64;
        let secs_into = (wall_ms as f64 / 1000.0) - w.spec.start_s as f64;
        let tau_s = window_len_s - secs_into;
        snap.tau_s = tau_s;
        let up = self.tokens[w.spec.up.0 as usize];
        let down = self.tokens[w.spec.down.0 as usize];
        if let Some(t) = up {
            snap.up_ask_e4 = t.book.best_ask().map_or(0, |l| l.price_e4);
        }
        if let Some(t) = down {
            snap.down_ask_e4 = t.book.best_ask().map_or(0, |l| l.price_e4);
        }
        let age_ms = |ns: u64| {
            if ns == 0 {
                u64::MAX
            } else {
                now_ns.saturating_sub(ns) / 1_000_000
            }
        };
        let book_ns = |t: Option<TokenState>| t.map_or(0, |t| t.book_ns);
        let has_book = |t: Option<TokenState>| t.is_some_and(|t| t.book.n_asks > 0);
        let ctx = ContextInputs {
            killed: false,
            breaker_tripped: self.risk.halted_at(wall_ms).is_some(),
            mode_off: false,
            has_window: !w.strike.is_nan(),
            secs_into_window: secs_into,
            window_len_s,
            has_spot: !a.spot.is_nan(),
            spot_age_ms: age_ms(a.spot_ns),
            has_book: has_book(up) || has_book(down),
            book_age_ms: age_ms(book_ns(up).max(book_ns(down))),
            open_order: up.is_some_and(|t| t.open_order) || down.is_some_and(|t| t.open_order),
            ms_since_last_order: if w.last_order_ns == 0 {
                u64::MAX
            } else {
                now_ns.saturating_sub(w.last_order_ns) / 1_000_000
            },
        };
        // The model's view goes in the snapshot even when the context says no: the momentum
        // panel shows P(UP) through cooldowns and timing gates. A few float operations.
        let model_spot = a.basis.corrected_spot(a.spot);
        snap.model_spot = model_spot;
        let p_model = prob_up_settled(
            model_spot,
            w.strike,
            snap.sigma_per_sqrt_s,
            tau_s,
            w.spec.settle,
            w.twap.observed(wall_ms),
        );
        // Market anchoring: follow the book's mid; the anchored view moves it only by what the
        // Binance move since the mid last changed is worth.
        let mid = market_mid_up(up.as_ref().map(|t| &t.book), down.as_ref().map(|t| &t.book));
        let mut anchor = w.anchor;
        if anchor.observe(mid, p_model) {
            if let Some(ws) = self.assets[asset.0 as usize].windows[slot].as_mut() {
                ws.anchor = anchor;
            }
        }
        let p_anchored = anchor.p_up(p_model);
        snap.p_model = p_model.unwrap_or(f64::NAN);
        snap.p_anchored = p_anchored.unwrap_or(f64::NAN);
        snap.mid_up = mid.unwrap_or(f64::NAN);
        let p_up = match self.cfg.model {
            FairModel::Anchored => p_anchored,
            FairModel::Absolute => p_model,
        };
        snap.p_up = p_up.unwrap_or(f64::NAN);
        if let Err(r) = check_context(&self.cfg.gates, &ctx) {
            return skip(snap, r);
        }

        fn side_of(
            outcome: Outcome,
            t: &Option<TokenState>,
            p_up: Option<f64>,
        ) -> Option<SideView<'_>> {
            t.as_ref().map(|t| SideView {
                outcome,
                book: &t.book,
                p: p_up.map_or(f64::NAN, |p| prob_of(outcome, p)),
            })
        }
        let (up_t, down_t) = (up, down);
        let view = MarketView {
            has_fair_value: p_up.is_some(),
            move_bps: move_bps(model_spot, w.strike),
            secs_into_window: secs_into,
            window_len_s,
            fees: w.spec.fees,
            min_size_e6: w.spec.min_size_e6,
            bankroll_usdc: self.account.cash,
            // Never more than the cash not already promised to orders in flight: the account
            // cannot spend money it does not have, whatever the limits allow.
            risk_room_usdc: self
                .risk
                .room_usdc(asset, w.spec.start_s)
                .min((self.account.cash - self.risk.in_flight_usdc()).max(0.0)),
            // The risk book judges the intent in full (`approve`); here only the cheap count.
            risk_ok: (self.open_orders + self.account.positions().count() as u32)
                < self.cfg.max_open_positions,
            up: side_of(Outcome::Up, &up_t, p_up),
            down: side_of(Outcome::Down, &down_t, p_up),
        };
        let mask = self.enabled[asset.0 as usize];
        let mut first_skip: Option<SkipReason> = None;
        let mut seen = None;
        let mut picked = None;
        for kind in StrategyKind::ALL {
            if mask & (1 << kind as u8) == 0 {
                continue;
            }
            let s: &dyn Strategy = match kind {
                StrategyKind::LatencyArb => &self.latency_arb,
                StrategyKind::Sniper => &self.sniper,
            };
            match s.pick(&view, &mut seen) {
                Ok(c) => {
                    picked = Some((kind, c));
                    break;
                }
                Err(r) => {
                    first_skip.get_or_insert(r);
                }
            }
        }
        let Some((kind, c)) = picked else {
            if let Some(c) = seen {
                snap.side = c.outcome;
                snap.edge = c.inputs.edge_per_share;
            }
            return skip(snap, first_skip.unwrap_or(SkipReason::NoStrategy));
        };
        snap.side = c.outcome;
        snap.edge = c.inputs.edge_per_share;
        let (outcome, limit, p_x, ti) = (c.outcome, c.limit_price_e4, c.p, c.inputs);
        let tok = if outcome == Outcome::Up { up_t } else { down_t }.expect("picked side exists");
        let intent = OrderIntent {
            intent_id: self.next_intent_id,
            asset,
            token: tok.book.token,
            outcome,
            side: Side::Buy,
            order_type: OrderType::Fak,
            limit_price_e4: limit,
            size_e6: ti.size_e6,
            fair_e6: (p_x * 1e6) as u32,
            edge_e6: (ti.edge_per_share * 1e6) as i32,
            strategy: kind as u8,
            window_start_s: w.spec.start_s,
            fees: w.spec.fees,
            book: tok.book,
            trigger,
            trigger_seq,
            decision_ns: 0,
        };
        self.next_intent_id += 1;
        if let Some(Some(t)) = self.tokens.get_mut(tok.book.token.0 as usize) {
            t.open_order = true;
        }
        self.open_orders += 1;
        if let Some(ws) = self.assets[asset.0 as usize].windows[slot].as_mut() {
            ws.last_order_ns = now_ns;
        }
        Decision {
            snapshot: snap,
            intent: Some(intent),
        }
    }

    /// Tokens currently followed (for tests and the dashboard).
    pub fn token_outcome(&self, token: TokenId) -> Option<Outcome> {
        self.tokens.get(token.0 as usize)?.map(|t| t.outcome)
    }
}
