//! The venue's fee rule for one fill, in exact integer units (polymarket.md §2, "Fees (V2)"):
//! `fee = shares × r × (p·(1−p))^e` in pUSD, rounded half up to the micro-unit; charged to
//! the taker only when the market's schedule says `takerOnly`; a BUY pays it in tokens
//! (`fee / p`, rounded up), a SELL in pUSD. `r`, `e` and `takerOnly` come from each market's
//! `feeSchedule` (Gamma) or `fd` (`/clob-markets`), never from a constant.

/// One market's fee schedule: rate in parts per million, exponent, taker-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeeRule {
    pub rate_ppm: u64,
    pub exponent: u32,
    pub taker_only: bool,
}

impl FeeRule {
    /// No fee at all.
    pub const ZERO: FeeRule = FeeRule {
        rate_ppm: 0,
        exponent: 1,
        taker_only: true,
    };

    /// From the strategy's float schedule (`rate` 0.072, `exponent` 1.0): the rate is taken
    /// to the micro-unit; a fractional exponent is refused (`None`).
    pub fn from_params(rate: f64, exponent: f64, taker_only: bool) -> Option<FeeRule> {
        if !(rate.is_finite() && rate >= 0.0 && (0.0..=8.0).contains(&exponent)) {
            return None;
        }
        if exponent.fract() != 0.0 {
            return None;
        }
        Some(FeeRule {
            rate_ppm: (rate * 1e6).round() as u64,
            exponent: exponent as u32,
            taker_only,
        })
    }

    /// The fee in pUSD (1e-6, half up) on `shares_u6` at `price_u6`, for a taker or a maker.
    pub fn fee_u6(&self, shares_u6: u64, price_u6: u64, taker: bool) -> u64 {
        if !taker && self.taker_only {
            return 0;
        }
        let p = u128::from(price_u6.min(1_000_000));
        let pq = p * (1_000_000 - p); // p(1−p) in 1e-12
        let mut curve: u128 = 1_000_000_000_000;
        for _ in 0..self.exponent {
            curve = curve * pq / 1_000_000_000_000;
        }
        let num = u128::from(shares_u6) * u128::from(self.rate_ppm) * curve;
        let fee = (num + 500_000_000_000_000_000) / 1_000_000_000_000_000_000;
        u64::try_from(fee).unwrap_or(u64::MAX)
    }

    /// The same fee paid in tokens at `price_u6` (a BUY's), rounded up.
    pub fn fee_in_tokens_u6(fee_u6: u64, price_u6: u64) -> u64 {
        if price_u6 == 0 {
            return 0;
        }
        u64::try_from((u128::from(fee_u6) * 1_000_000).div_ceil(u128::from(price_u6)))
            .unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto_schedule_fees() {
        let f = FeeRule::from_params(0.072, 1.0, true).unwrap();
        // 10 shares at 0.5: 10 × 0.072 × 0.25 = 0.18 pUSD = 0.36 tokens.
        assert_eq!(f.fee_u6(10_000_000, 500_000, true), 180_000);
        assert_eq!(FeeRule::fee_in_tokens_u6(180_000, 500_000), 360_000);
        // 7 shares at 0.33: 7 × 0.072 × 0.2211 = 0.1114344 → 0.111434.
        assert_eq!(f.fee_u6(7_000_000, 330_000, true), 111_434);
        assert_eq!(f.fee_u6(7_000_000, 330_000, false), 0, "makers pay none");
        assert!(FeeRule::from_params(0.25, 1.5, true).is_none());
        assert!(FeeRule::from_params(f64::NAN, 1.0, true).is_none());
    }
}
