//! The observed part of a TWAP settlement's averaging span, kept from the price ticks the engine
//! already receives.
//!
//! A market that settles on the average of the reference price over its last `L` seconds has,
//! once that span opens, a known part: the time-weighted mean of the price since the span
//! opened. This accumulator integrates a piecewise-constant price (each tick holds until the
//! next) over `[end − L, now]`; the price in force when the span opens is the last one before it.
//! [`crate::strategy::fair_value::prob_up_settled`] takes the result.
//!
//! Contract: `Copy`, O(1) per tick, no allocation, no panics; times are unix ms from the input
//! (the engine never reads a clock). Ticks out of order (an earlier time than the last) are
//! ignored for the integral.

use crate::strategy::fair_value::{ObservedAverage, SettlementRule};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TwapObserver {
    /// When the span opens and the window ends, unix ms; `open_ms == end_ms`: spot settlement.
    open_ms: u64,
    end_ms: u64,
    /// ∫ price dt over [open, last_ms], price·ms.
    sum: f64,
    last_px: f64,
    last_ms: u64,
    /// First price's time: before it nothing is known.
    first_ms: u64,
}

impl TwapObserver {
    pub fn new(rule: SettlementRule, end_s: u64) -> TwapObserver {
        let end_ms = end_s.saturating_mul(1000);
        let open_ms = match rule {
            SettlementRule::Twap { lookback_s } if lookback_s.is_finite() && lookback_s > 0.0 => {
                end_ms.saturating_sub((lookback_s * 1000.0) as u64)
            }
            _ => end_ms,
        };
        TwapObserver {
            open_ms,
            end_ms,
            sum: 0.0,
            last_px: f64::NAN,
            last_ms: 0,
            first_ms: 0,
        }
    }

    /// A price at `wall_ms`.
    #[inline]
    pub fn on_price(&mut self, price: f64, wall_ms: u64) {
        if !(price.is_finite() && price > 0.0) || wall_ms < self.last_ms {
            return;
        }
        if self.last_px.is_nan() {
            self.first_ms = wall_ms;
        }
        self.sum += self.segment(wall_ms);
        self.last_px = price;
        self.last_ms = wall_ms;
    }

    /// ∫ of the price in force since the last tick over [max(last, open), min(to, end)].
    #[inline]
    fn segment(&self, to_ms: u64) -> f64 {
        if self.last_px.is_nan() {
            return 0.0;
        }
        let from = self.last_ms.max(self.open_ms);
        let to = to_ms.min(self.end_ms);
        if to > from {
            self.last_px * (to - from) as f64
        } else {
            0.0
        }
    }

    /// The mean so far at `now_ms`, once the span is open and a price is known; else `None`.
    #[inline]
    pub fn observed(&self, now_ms: u64) -> Option<ObservedAverage> {
        if self.open_ms >= self.end_ms || now_ms <= self.open_ms || self.last_px.is_nan() {
            return None;
        }
        let elapsed_ms = now_ms.min(self.end_ms) - self.open_ms;
        let total = self.sum + self.segment(now_ms);
        // A process that saw its first price inside the span averages what it saw.
        let covered_from = self.open_ms.max(self.first_ms);
        let covered = now_ms.min(self.end_ms).saturating_sub(covered_from);
        if covered == 0 {
            return None;
        }
        Some(ObservedAverage {
            elapsed_s: elapsed_ms as f64 / 1000.0,
            mean: total / covered as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_time_weighted_over_the_span_only() {
        // Span [940 s, 1000 s); 100 before it, 110 from 970 s.
        let mut o = TwapObserver::new(SettlementRule::Twap { lookback_s: 60.0 }, 1000);
        o.on_price(90.0, 900_000);
        o.on_price(100.0, 930_000);
        assert_eq!(o.observed(935_000), None, "span not open yet");
        o.on_price(110.0, 970_000);
        let a = o.observed(1_000_000).unwrap();
        assert_eq!(a.elapsed_s, 60.0);
        assert!((a.mean - 105.0).abs() < 1e-12, "{a:?}");
        let a = o.observed(985_000).unwrap();
        assert!((a.mean - (100.0 * 30.0 + 110.0 * 15.0) / 45.0).abs() < 1e-12);
    }

    #[test]
    fn spot_rule_observes_nothing() {
        let mut o = TwapObserver::new(SettlementRule::Spot, 1000);
        o.on_price(100.0, 999_000);
        assert_eq!(o.observed(999_500), None);
    }
}
