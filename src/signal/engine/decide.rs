//! One decision: the context gates, the model's view, then each enabled strategy in order;
//! the first that picks a side makes the intent. Always a snapshot, sometimes an intent.

use crate::pipeline::events::{
    AssetId, OrderIntent, OrderType, Outcome, Side, TriggerTag, WireStamps,
};
use crate::strategy::anchor::{market_mid_up, FairModel};
use crate::strategy::candidate::{MarketView, SideView, Strategy, StrategyKind};
use crate::strategy::fair_value::{prob_of, prob_up_settled};
use crate::strategy::gates::{check_context, move_bps, ContextInputs, SkipReason};

use super::super::snapshot::SignalSnapshot;
use super::state::TokenState;
use super::{Decision, Engine};

impl Engine {
    pub(super) fn evaluate(
        &mut self,
        asset: AssetId,
        now_ns: u64,
        wall_ms: u64,
        trigger: WireStamps,
        trigger_tag: TriggerTag,
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
        // A window restored from the journal has no tokens (`u16::MAX`) until discovery
        // announces it again: no book, so no trade, and no out-of-bounds index on the hot path.
        let up = self.tokens.get(w.spec.up.0 as usize).copied().flatten();
        let down = self.tokens.get(w.spec.down.0 as usize).copied().flatten();
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
            trigger_tag,
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
}
