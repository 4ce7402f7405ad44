//! The risk limits of live mode, on the venue ledger (control side): total exposure
//! (positions at cost, trades pending, and orders that may still fill — unknown or open —
//! at their limit), the day's loss, the drawdown from peak equity, and the losing streak.
//! Equity is the ledger's opening cash plus its realized PnL (as the paper book counts it).
//! A breach is a reason to halt live trading; the caller flips the kill switch.
//!
//! The signal thread's pre-trade checks (per order, window and asset) still run on its own
//! book, fed by the order answers; this is the check on what the venue says was done.

use super::ledger::LedgerView;
use crate::risk::RiskConfig;

const DAY_MS: u64 = 86_400_000;

#[derive(Clone, Debug, Default)]
pub struct VenueRisk {
    day: u64,
    day_start_equity_u6: i64,
    peak_equity_u6: i64,
}

impl VenueRisk {
    /// Why live trading must stop now, if it must.
    pub fn check(
        &mut self,
        cfg: &RiskConfig,
        v: &LedgerView,
        order_exposure_u6: u64,
        wall_ms: u64,
    ) -> Option<String> {
        let usdc = |u: i64| u as f64 / 1e6;
        let equity = v.start_cash_u6 as i64 + v.realized_pnl_u6;
        let day = wall_ms / DAY_MS;
        if day != self.day || self.peak_equity_u6 == 0 {
            self.day = day;
            self.day_start_equity_u6 = equity;
        }
        self.peak_equity_u6 = self.peak_equity_u6.max(equity);
        let exposure = v.open_cost_u6 + v.pending_notional_u6 + order_exposure_u6;
        if usdc(exposure as i64) > cfg.max_total_exposure_usdc {
            return Some(format!(
                "venue exposure {:.2} USDC over the limit {:.2}",
                usdc(exposure as i64),
                cfg.max_total_exposure_usdc
            ));
        }
        let day_loss = self.day_start_equity_u6 - equity;
        if usdc(day_loss) >= cfg.daily_loss_limit_usdc {
            return Some(format!(
                "venue ledger lost {:.2} USDC today (limit {:.2})",
                usdc(day_loss),
                cfg.daily_loss_limit_usdc
            ));
        }
        if self.peak_equity_u6 > 0 {
            let dd = (self.peak_equity_u6 - equity) as f64 / self.peak_equity_u6 as f64;
            if dd >= cfg.max_drawdown_frac {
                return Some(format!(
                    "venue ledger {:.1}% below its peak (limit {:.1}%)",
                    dd * 100.0,
                    cfg.max_drawdown_frac * 100.0
                ));
            }
        }
        if cfg.max_consecutive_losses > 0 && v.loss_streak >= cfg.max_consecutive_losses {
            return Some(format!(
                "{} losing markets in a row on the venue ledger (limit {})",
                v.loss_streak, cfg.max_consecutive_losses
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(start: u64, pnl: i64) -> LedgerView {
        LedgerView {
            start_cash_u6: start,
            cash_u6: start,
            realized_pnl_u6: pnl,
            ..Default::default()
        }
    }

    #[test]
    fn each_limit_trips_on_the_ledger() {
        let cfg = RiskConfig::default();
        let mut r = VenueRisk::default();
        let t = 1_800_000_000_000;
        assert_eq!(r.check(&cfg, &view(1_000_000_000, 0), 0, t), None);
        // Exposure counts orders that may still fill.
        let mut v = view(1_000_000_000, 0);
        v.open_cost_u6 = 150_000_000;
        assert_eq!(r.check(&cfg, &v, 0, t), None);
        assert!(r
            .check(&cfg, &v, 60_000_000, t)
            .unwrap()
            .contains("exposure"));
        // The day's loss.
        let msg = r
            .check(&cfg, &view(1_000_000_000, -100_000_000), 0, t)
            .unwrap();
        assert!(msg.contains("today"), "{msg}");
        // A new day starts from where the last ended; the drawdown remembers the peak.
        let mut r = VenueRisk::default();
        let small = RiskConfig {
            daily_loss_limit_usdc: 1e9,
            ..cfg
        };
        assert_eq!(r.check(&small, &view(100_000_000, 0), 0, t), None);
        let msg = r
            .check(&small, &view(100_000_000, -25_000_000), 0, t + DAY_MS)
            .unwrap();
        assert!(msg.contains("below its peak"), "{msg}");
        let mut v = view(100_000_000, 0);
        v.loss_streak = cfg.max_consecutive_losses;
        assert!(VenueRisk::default()
            .check(&cfg, &v, 0, t)
            .unwrap()
            .contains("in a row"));
    }
}
