//! One-minute OHLCV candles per asset, built on the control side from the spot tap.
//!
//! The control loop feeds every `SpotTick` it drains; the API merges these live candles with
//! Binance's klines history. Trades carry volume; bookTicker mids move the price only. Ticks
//! older than the current candle of their asset update that older candle if it is still kept,
//! otherwise they are ignored. Memory is bounded: [`KEEP_MINUTES`] candles per asset.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::pipeline::events::{SpotKind, SpotTick};

/// Candles kept per asset: one day.
pub const KEEP_MINUTES: usize = 1440;

/// One OHLCV candle. `open_ms` is the start of its interval (unix ms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Candle {
    pub open_ms: u64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    /// Base-asset volume of the trades seen.
    pub volume: f64,
    pub trades: u64,
}

impl Candle {
    fn start(open_ms: u64, price: f64) -> Candle {
        Candle {
            open_ms,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: 0.0,
            trades: 0,
        }
    }

    fn add(&mut self, price: f64, volume: f64, trade: bool) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        if trade {
            self.volume += volume;
            self.trades += 1;
        }
    }
}

/// Live one-minute candles by asset index.
#[derive(Clone, Debug, Default)]
pub struct CandleBook {
    by_asset: BTreeMap<u8, VecDeque<Candle>>,
    /// Bumped on every change, so readers can tell whether anything moved.
    pub version: u64,
}

impl CandleBook {
    /// Fold one spot observation into its asset's minute candle.
    pub fn record(&mut self, t: &SpotTick) {
        let price = t.price();
        if !(price.is_finite() && price > 0.0) || t.venue_ts_ms == 0 {
            return;
        }
        let trade = t.kind == SpotKind::Trade;
        let volume = t.qty_e8 as f64 / 1e8;
        let open_ms = t.venue_ts_ms - t.venue_ts_ms % 60_000;
        let q = self.by_asset.entry(t.asset.0).or_default();
        self.version += 1;
        match q.back_mut() {
            Some(last) if last.open_ms == open_ms => last.add(price, volume, trade),
            Some(last) if last.open_ms > open_ms => {
                // A late tick: update its candle if we still hold it.
                if let Some(c) = q.iter_mut().rev().find(|c| c.open_ms == open_ms) {
                    c.add(price, volume, trade);
                }
            }
            _ => {
                if q.len() == KEEP_MINUTES {
                    q.pop_front();
                }
                let mut c = Candle::start(open_ms, price);
                if trade {
                    c.volume = volume;
                    c.trades = 1;
                }
                q.push_back(c);
            }
        }
    }

    /// The asset's candles, oldest first.
    pub fn minutes(&self, asset: u8) -> impl Iterator<Item = &Candle> {
        self.by_asset.get(&asset).into_iter().flatten()
    }

    /// The asset's newest candle.
    pub fn last(&self, asset: u8) -> Option<&Candle> {
        self.by_asset.get(&asset).and_then(|q| q.back())
    }
}

/// Aggregate one-minute candles into `interval_ms` candles (a whole number of minutes).
pub fn aggregate<'a>(minutes: impl Iterator<Item = &'a Candle>, interval_ms: u64) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    for m in minutes {
        let open_ms = m.open_ms - m.open_ms % interval_ms;
        match out.last_mut() {
            Some(c) if c.open_ms == open_ms => {
                c.high = c.high.max(m.high);
                c.low = c.low.min(m.low);
                c.close = m.close;
                c.volume += m.volume;
                c.trades += m.trades;
            }
            _ => out.push(Candle { open_ms, ..*m }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::events::AssetId;

    fn tick(ms: u64, px: f64, qty: f64) -> SpotTick {
        SpotTick {
            asset: AssetId(0),
            price_e8: (px * 1e8) as i64,
            qty_e8: (qty * 1e8) as i64,
            venue_ts_ms: ms,
            ..Default::default()
        }
    }

    #[test]
    fn ticks_fold_into_minutes_and_aggregate() {
        let mut b = CandleBook::default();
        b.record(&tick(60_000, 10.0, 1.0));
        b.record(&tick(61_000, 12.0, 1.0));
        b.record(&tick(62_000, 9.0, 2.0));
        b.record(&tick(120_500, 11.0, 1.0));
        b.record(&tick(119_000, 8.0, 1.0)); // late: back into the first minute
        let m: Vec<_> = b.minutes(0).copied().collect();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].open, m[0].high, m[0].low, m[0].close),
            (10.0, 12.0, 8.0, 8.0)
        );
        assert_eq!(m[0].volume, 5.0);
        assert_eq!(m[0].trades, 4);
        let five = aggregate(b.minutes(0), 300_000);
        assert_eq!(five.len(), 1);
        assert_eq!(
            (five[0].open, five[0].close, five[0].low),
            (10.0, 11.0, 8.0)
        );
        assert_eq!(five[0].volume, 6.0);
    }

    #[test]
    fn memory_is_bounded() {
        let mut b = CandleBook::default();
        for i in 0..(KEEP_MINUTES as u64 + 10) {
            b.record(&tick(60_000 * (i + 1), 1.0, 1.0));
        }
        assert_eq!(b.minutes(0).count(), KEEP_MINUTES);
    }
}
