//! Window set-up and tear-down: control messages, windows restored from the journal, and
//! the token slots each window follows. Run on control input only, never per tick.

use crate::pipeline::control::{SignalControl, WindowSpec};
use crate::pipeline::events::{AssetId, BookTop, Outcome, TokenId};
use crate::strategy::anchor::Anchor;
use crate::strategy::twap_obs::TwapObserver;

use super::state::{AssetState, TokenState, WindowState};
use super::Engine;

impl Engine {
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

    /// The window of `asset` open at `wall_ms`.
    pub(super) fn current_window(
        &self,
        asset: AssetId,
        wall_ms: u64,
    ) -> Option<(usize, WindowState)> {
        self.assets[asset.0 as usize]
            .windows
            .iter()
            .enumerate()
            .find_map(|(i, w)| {
                w.filter(|w| w.spec.start_s * 1000 <= wall_ms && wall_ms < w.spec.end_s * 1000)
                    .map(|w| (i, w))
            })
    }
}
