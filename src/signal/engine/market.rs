//! Market data in: Binance ticks, Polymarket books and Chainlink prices update the state;
//! a tick or a book update then asks for a decision on its asset.

use crate::pipeline::events::{book_frame_tag, PolyEvent, SpotTick, TriggerTag};

use super::state::ORACLE_HISTORY;
use super::{Decision, Engine};

impl Engine {
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
        Some(self.evaluate(
            t.asset,
            now_ns,
            wall_ms,
            t.stamps,
            TriggerTag::Binance(t.seq),
        ))
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
                let tag = if b.venue_hash64 == 0 {
                    TriggerTag::None
                } else {
                    TriggerTag::Book(book_frame_tag(b.venue_ts_ms, b.venue_hash64))
                };
                Some(self.evaluate(asset, now_ns, wall_ms, b.stamps, tag))
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
}
