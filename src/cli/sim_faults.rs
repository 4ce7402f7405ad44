//! `cassandra sim` fault flags: each sets one key of the simulator's fault plan
//! (`[demo.faults]` in the configuration, which they override; see `sim::FaultPlan`).

use crate::sim::FaultPlan;

/// Faults for `cassandra sim`; a flag left out keeps the configuration's value.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct FaultArgs {
    /// Feeds the WebSocket faults act on, comma-separated: binance, poly, chainlink (default:
    /// all).
    #[arg(long = "fault-feeds", value_delimiter = ',')]
    pub feeds: Option<Vec<String>>,
    /// Close every connection (TCP close, no close frame) every MS milliseconds.
    #[arg(long = "fault-drop-every-ms", value_name = "MS")]
    pub drop_every_ms: Option<u64>,
    /// Send a truncated frame and one of an unknown type every MS milliseconds.
    #[arg(long = "fault-malformed-every-ms", value_name = "MS")]
    pub malformed_every_ms: Option<u64>,
    /// Keep connections open but send nothing.
    #[arg(long = "fault-stall")]
    pub stall: bool,
    /// Answer each WebSocket handshake MS milliseconds late.
    #[arg(long = "fault-handshake-delay-ms", value_name = "MS")]
    pub handshake_delay_ms: Option<u64>,
    /// Complete each WebSocket handshake, then close at once.
    #[arg(long = "fault-close-after-handshake")]
    pub close_after_handshake: bool,
    /// Answer every HTTP request with this status (e.g. 429, 503).
    #[arg(long = "fault-http-status", value_name = "STATUS")]
    pub http_status: Option<u16>,
    /// Delay every HTTP answer by MS milliseconds.
    #[arg(long = "fault-http-delay-ms", value_name = "MS")]
    pub http_delay_ms: Option<u64>,
    /// Answer the simulated CLOB's trading and auth routes with this status.
    #[arg(long = "fault-clob-status", value_name = "STATUS")]
    pub clob_status: Option<u16>,
    /// Delay every simulated CLOB answer by MS milliseconds.
    #[arg(long = "fault-clob-delay-ms", value_name = "MS")]
    pub clob_delay_ms: Option<u64>,
}

impl FaultArgs {
    /// `plan` with the flags given applied over it.
    pub fn over(&self, mut plan: FaultPlan) -> FaultPlan {
        if let Some(f) = &self.feeds {
            plan.feeds = f.clone();
        }
        plan.drop_every_ms = self.drop_every_ms.unwrap_or(plan.drop_every_ms);
        plan.malformed_every_ms = self.malformed_every_ms.unwrap_or(plan.malformed_every_ms);
        plan.stall |= self.stall;
        plan.handshake_delay_ms = self.handshake_delay_ms.unwrap_or(plan.handshake_delay_ms);
        plan.close_after_handshake |= self.close_after_handshake;
        plan.http_status = self.http_status.unwrap_or(plan.http_status);
        plan.http_delay_ms = self.http_delay_ms.unwrap_or(plan.http_delay_ms);
        plan.clob_status = self.clob_status.unwrap_or(plan.clob_status);
        plan.clob_delay_ms = self.clob_delay_ms.unwrap_or(plan.clob_delay_ms);
        plan
    }
}
