//! `latency_arb`, the primary strategy: when Binance moves, buy whichever side the book has not
//! repriced yet, if the edge net of the taker fee beats the threshold.

use crate::strategy::candidate::{price_side, Candidate, MarketView, Strategy, StrategyKind};
use crate::strategy::gates::{check_trade, GateConfig, SkipReason};
use crate::strategy::sizing::SizingConfig;

pub struct LatencyArb {
    pub gates: GateConfig,
    pub sizing: SizingConfig,
    pub slippage_ticks: u32,
}

impl Strategy for LatencyArb {
    fn kind(&self) -> StrategyKind {
        StrategyKind::LatencyArb
    }

    /// Price both sides; the better edge is judged by the trade gates.
    #[inline]
    fn pick(
        &self,
        view: &MarketView<'_>,
        seen: &mut Option<Candidate>,
    ) -> Result<Candidate, SkipReason> {
        let mut best: Option<Candidate> = None;
        for side in view.sides() {
            let Some(c) = price_side(view, &side, self.slippage_ticks, &self.sizing) else {
                continue;
            };
            let better = best.as_ref().is_none_or(|b| {
                c.inputs.edge_per_share > b.inputs.edge_per_share
                    || b.inputs.edge_per_share.is_nan()
            });
            if better {
                best = Some(c);
            }
        }
        let c = best.ok_or(SkipReason::NoBook)?;
        *seen = Some(c);
        check_trade(&self.gates, &c.inputs).map(|()| c)
    }
}
