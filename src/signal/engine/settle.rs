//! Periodic work: strike fallbacks and settlements. A window settles on the first Chainlink
//! price at or after its end; failing that, after the grace, on the last price seen during it
//! (flagged stale); a window with no price from its time is written off (unresolved).

use crate::pipeline::events::AssetId;

use super::super::snapshot::{SettleSource, Settlement};
use super::state::{STALE_SLACK_MS, WINDOW_SLOTS};
use super::Engine;

impl Engine {
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
                        // window (Chainlink's, else the last Binance price before the end, else
                        // Binance's latest if from the window's time), flagged stale; none from
                        // the window's time (it ended while the process was down): unresolved.
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
}
