//! Paper fills: an intent executed against the book as it stood at decision time.
//!
//! The fill walks the asks up to the limit price (FAK: what is there; FOK: all or nothing),
//! charges the taker fee per level at that level's price the way the venue does on a BUY
//! (taken in tokens: fewer tokens received than shares matched), and reports in the venue's
//! integer units.

use crate::pipeline::events::{ExecReport, ExecStatus, OrderIntent, OrderType};
use crate::strategy::book_walk::for_each_fill;
use crate::strategy::fees::taker_fee_usdc;

/// Fill `intent` against its own book snapshot.
pub fn fill(intent: &OrderIntent) -> ExecReport {
    let n = intent
        .book
        .asks()
        .iter()
        .take_while(|l| l.price_e4 <= intent.limit_price_e4)
        .count();
    let asks = &intent.book.asks()[..n];
    let mut cost_e10: u128 = 0;
    let mut fee_usdc = 0.0;
    let mut fee_tokens = 0.0;
    let filled = for_each_fill(asks, intent.size_e6, |price_e4, take_e6| {
        let price = price_e4 as f64 * 1e-4;
        let f = taker_fee_usdc(take_e6 as f64 * 1e-6, price, intent.fees);
        fee_usdc += f;
        fee_tokens += f / price;
        cost_e10 += price_e4 as u128 * take_e6 as u128;
    });
    let mut r = ExecReport {
        intent_id: intent.intent_id,
        asset: intent.asset,
        token: intent.token,
        outcome: intent.outcome,
        window_start_s: intent.window_start_s,
        decision_ns: intent.decision_ns,
        ..Default::default()
    };
    if filled == 0 || (intent.order_type == OrderType::Fok && filled < intent.size_e6) {
        r.status = ExecStatus::Unmatched;
        return r;
    }
    r.status = ExecStatus::Matched;
    r.filled_e6 = filled;
    // USDC in 1e-6 units, rounded up: the buyer never pays less than the book says.
    r.cost_e6 = cost_e10.div_ceil(10_000) as u64;
    r.fee_e6 = (fee_usdc * 1e6).round() as u64;
    r.received_e6 = filled.saturating_sub((fee_tokens * 1e6).ceil() as u64);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::control::FeeParams;
    use crate::pipeline::events::{BookTop, Level};

    fn intent(levels: &[(u32, u64)], limit: u32, size_e6: u64, ot: OrderType) -> OrderIntent {
        let mut book = BookTop::default();
        for (i, (p, s)) in levels.iter().enumerate() {
            book.asks[i] = Level {
                price_e4: *p,
                size_e6: *s,
            };
        }
        book.n_asks = levels.len() as u8;
        OrderIntent {
            book,
            limit_price_e4: limit,
            size_e6,
            order_type: ot,
            fees: FeeParams {
                rate: 0.07,
                exponent: 1.0,
                taker_only: true,
            },
            ..Default::default()
        }
    }

    #[test]
    fn fak_walks_levels_up_to_the_limit_and_pays_fee_in_tokens() {
        // 10 shares at 0.50 then 10 at 0.52; limit 0.52; want 15.
        let i = intent(
            &[(5000, 10_000_000), (5200, 10_000_000), (5400, 50_000_000)],
            5200,
            15_000_000,
            OrderType::Fak,
        );
        let r = fill(&i);
        assert_eq!(r.status, ExecStatus::Matched);
        assert_eq!(r.filled_e6, 15_000_000);
        assert_eq!(r.cost_e6, 5_000_000 + 2_600_000);
        // fee = 10·0.07·0.25 + 5·0.07·(0.52·0.48) = 0.175 + 0.08736 USDC
        assert_eq!(r.fee_e6, 262_360);
        // tokens lost = 0.175/0.5 + 0.08736/0.52 = 0.35 + 0.168 = 0.518
        assert_eq!(r.received_e6, 15_000_000 - 518_000);
    }

    #[test]
    fn fak_takes_what_is_there_and_fok_refuses_a_partial() {
        let levels = [(5000, 3_000_000), (6000, 100_000_000)];
        let r = fill(&intent(&levels, 5000, 10_000_000, OrderType::Fak));
        assert_eq!((r.status, r.filled_e6), (ExecStatus::Matched, 3_000_000));
        let r = fill(&intent(&levels, 5000, 10_000_000, OrderType::Fok));
        assert_eq!((r.status, r.filled_e6), (ExecStatus::Unmatched, 0));
    }

    #[test]
    fn nothing_under_the_limit_is_unmatched() {
        let r = fill(&intent(
            &[(5100, 10_000_000)],
            5000,
            1_000_000,
            OrderType::Fak,
        ));
        assert_eq!(r.status, ExecStatus::Unmatched);
        assert_eq!(r.cost_e6, 0);
    }
}
