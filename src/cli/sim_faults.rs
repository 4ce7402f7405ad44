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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        faults: FaultArgs,
    }

    #[test]
    fn every_flag_sets_its_key_and_the_rest_keep_the_configuration() {
        let cli = Cli::parse_from([
            "sim",
            "--fault-feeds",
            "binance,chainlink",
            "--fault-drop-every-ms",
            "1500",
            "--fault-malformed-every-ms",
            "700",
            "--fault-stall",
            "--fault-handshake-delay-ms",
            "8000",
            "--fault-close-after-handshake",
            "--fault-http-status",
            "429",
            "--fault-http-delay-ms",
            "50",
            "--fault-clob-status",
            "503",
            "--fault-clob-delay-ms",
            "20",
        ]);
        let plan = cli.faults.over(FaultPlan::default());
        assert_eq!(
            plan,
            FaultPlan {
                feeds: vec!["binance".into(), "chainlink".into()],
                drop_every_ms: 1500,
                malformed_every_ms: 700,
                stall: true,
                handshake_delay_ms: 8000,
                close_after_handshake: true,
                http_status: 429,
                http_delay_ms: 50,
                clob_status: 503,
                clob_delay_ms: 20,
            }
        );
        assert!(plan.validate().is_ok());
        let configured = FaultPlan {
            http_status: 503,
            drop_every_ms: 9,
            ..FaultPlan::default()
        };
        let cli = Cli::parse_from(["sim", "--fault-drop-every-ms", "100"]);
        let plan = cli.faults.over(configured);
        assert_eq!((plan.drop_every_ms, plan.http_status), (100, 503));
    }
}
