//! The engine's side of the order path: the last word on an intent (kill switch, breaker,
//! mode, risk limits) and execution reports, which free the token and move the account.

use crate::pipeline::events::{ExecReport, ExecStatus, OrderIntent};
use crate::pipeline::shared::Mode;
use crate::risk::OrderCandidate;
use crate::strategy::gates::SkipReason;

use super::Engine;

impl Engine {
    /// An execution report from `order` (also booked by the risk limits).
    pub fn on_exec_report(&mut self, r: &ExecReport, wall_ms: u64, local_reject: bool) -> bool {
        if local_reject {
            // Refused on our side (kill switch): not a venue error.
            self.risk.release(r.intent_id);
        } else {
            self.risk.on_exec(r, wall_ms);
        }
        self.on_exec(r)
    }

    /// The last word on an intent: kill switch > breaker > mode > risk limits. On refusal the
    /// engine forgets the intent (its token is free again) and says why.
    pub fn approve(
        &mut self,
        intent: &OrderIntent,
        now_ns: u64,
        wall_ms: u64,
        killed: bool,
        mode: Mode,
    ) -> Result<(), SkipReason> {
        match self.risk.check(&OrderCandidate::from_intent(
            intent, now_ns, wall_ms, killed, mode,
        )) {
            Ok(a) => {
                self.risk.on_intent(intent.intent_id, &a);
                Ok(())
            }
            Err(r) => {
                self.on_exec(&ExecReport {
                    intent_id: intent.intent_id,
                    token: intent.token,
                    status: ExecStatus::Rejected,
                    ..Default::default()
                });
                Err(r.reason.skip_reason())
            }
        }
    }

    /// Feed silence per feed (Binance, Polymarket, Chainlink), ms; `u64::MAX` = never heard.
    pub fn on_feed_ages(&mut self, ages_ms: [u64; 3], wall_ms: u64) {
        self.risk.on_feed_ages(ages_ms, wall_ms);
    }

    /// An execution report from `order`, for the account and the engine's open orders.
    pub fn on_exec(&mut self, r: &ExecReport) -> bool {
        if let Some(Some(t)) = self.tokens.get_mut(r.token.0 as usize) {
            if t.open_order {
                t.open_order = false;
                self.open_orders = self.open_orders.saturating_sub(1);
            }
        }
        self.account.apply(r)
    }
}
