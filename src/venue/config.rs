//! `[live.venue]`: the settings of live mode's order tracker and venue ledger.

use serde::Deserialize;

/// The order tracker and the venue ledger of live mode (`[live.venue]`, `crate::venue`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveVenueConfig {
    /// The venue ledger's own SQLite file (write-ahead). Empty: beside the journal
    /// (`<journal>.venue`), or in memory when there is no journal (not kept across restarts).
    pub ledger: String,
    /// The CLOB user channel.
    pub user_channel: String,
    /// Cancel every resting order at start, before trading (`DELETE /cancel-all`).
    pub cancel_resting_on_start: bool,
    /// Live mode does not start until the ledger is level with the venue; give up after this.
    pub reconcile_timeout_s: u64,
    /// A FAK the venue rested is cancelled this long after its answer.
    pub rested_fak_cancel_ms: u64,
    /// Heartbeats while an order may rest (the venue cancels resting orders without them).
    pub heartbeat_every_ms: u64,
    /// REST follow-up of orders and trades not final.
    pub follow_every_ms: u64,
    /// The ledger's positions are compared with the Data API's (`GET /positions` of the
    /// funder) this often; a difference is shown and alerted, not a kill. 0: off.
    pub positions_check_ms: u64,
}

impl Default for LiveVenueConfig {
    fn default() -> Self {
        LiveVenueConfig {
            ledger: String::new(),
            user_channel: "wss://ws-subscriptions-clob.polymarket.com/ws/user".into(),
            cancel_resting_on_start: true,
            reconcile_timeout_s: 30,
            rested_fak_cancel_ms: 500,
            heartbeat_every_ms: 5_000,
            follow_every_ms: 1_000,
            positions_check_ms: 30_000,
        }
    }
}

impl LiveVenueConfig {
    /// The tracker's settings.
    pub fn tracker(&self) -> super::TrackerConfig {
        super::TrackerConfig {
            follow_every_ms: self.follow_every_ms.max(50),
            heartbeat_every_ms: self.heartbeat_every_ms.max(100),
            rested_fak_cancel_ms: self.rested_fak_cancel_ms,
            ..Default::default()
        }
    }

    /// Where the ledger lives given the journal's path (see [`LiveVenueConfig::ledger`]).
    pub fn ledger_path(&self, journal: &str) -> String {
        if !self.ledger.is_empty() {
            self.ledger.clone()
        } else if !journal.is_empty() {
            format!("{journal}.venue")
        } else {
            ":memory:".into()
        }
    }
}
