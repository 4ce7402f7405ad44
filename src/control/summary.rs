//! The run summary: printed for humans at the end of `demo`, written as JSON with `--summary`.
//!
//! Field names are a contract (README, "Demo summary"): later versions add fields, never
//! rename these.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::control::state::{ControlState, PaperSummary};
use crate::pipeline::cores::CorePlan;
use crate::pipeline::shared::Shared;
use crate::telemetry::counters::CounterSnapshot;
use crate::telemetry::StageSummary;

#[derive(Clone, Debug, Serialize)]
pub struct ThreadSummary {
    pub name: &'static str,
    pub core: Option<usize>,
    pub wait: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub threads: Vec<ThreadSummary>,
    pub counters: CounterSnapshot,
    pub latency_ns: BTreeMap<&'static str, StageSummary>,
    /// The histograms behind `latency_ns`, for `.hgrm` files; not part of the JSON summary.
    #[serde(skip)]
    pub latency_histograms: BTreeMap<&'static str, hdrhistogram::Histogram<u64>>,
    pub paper: PaperSummary,
    pub skips: BTreeMap<&'static str, u64>,
    pub breakers: Vec<String>,
    pub windows_settled: usize,
    pub strike_fallbacks: u64,
    pub duration_s: f64,
}

impl RunSummary {
    pub fn collect(
        plan: &CorePlan,
        shared: &Shared,
        state: &ControlState,
        duration_s: f64,
    ) -> Self {
        RunSummary {
            threads: plan
                .threads
                .iter()
                .map(|t| ThreadSummary {
                    name: t.name,
                    core: t.core,
                    wait: t.wait.name(),
                })
                .collect(),
            counters: shared.counters.snapshot(),
            latency_ns: state.latency.clone(),
            latency_histograms: state.latency_histograms.clone(),
            paper: state
                .account
                .as_ref()
                .map(PaperSummary::from)
                .unwrap_or_default(),
            skips: shared.counters.skips(),
            breakers: state.breaker_log.iter().map(|t| t.message()).collect(),
            windows_settled: state.settlements.len(),
            strike_fallbacks: shared
                .counters
                .signal
                .strike_fallbacks
                .load(std::sync::atomic::Ordering::Relaxed),
            duration_s,
        }
    }

    /// The human report.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("Run of {:.1} s\n\nThreads\n", self.duration_s));
        for t in &self.threads {
            let core = t.core.map_or("unpinned".into(), |c| format!("core {c}"));
            s.push_str(&format!("  {:<15} {:<9} {}\n", t.name, core, t.wait));
        }
        let c = &self.counters;
        s.push_str(&format!(
            "\nFrames  binance {}  polymarket {}  chainlink {}  parse errors {}  reconnects {}\n",
            c.binance_frames, c.poly_frames, c.chainlink_frames, c.parse_errors, c.reconnects
        ));
        s.push_str(&format!(
            "Rings   hot ring full {}  tap dropped {}\n",
            c.hot_ring_full, c.tap_dropped
        ));
        s.push_str(&format!(
            "Signal  decisions {}  orders {}  fills {}\n",
            c.signals, c.orders, c.fills
        ));
        s.push_str(
            "\nLatency (ns)        count        p50        p90        p99      p99.9        max\n",
        );
        for (name, l) in &self.latency_ns {
            s.push_str(&format!(
                "  {:<16} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
                name, l.count, l.p50, l.p90, l.p99, l.p999, l.max
            ));
        }
        let p = &self.paper;
        let decided = p.wins + p.losses;
        s.push_str(&format!(
            "\nPaper   cash {:.2} (start {:.2})  realized PnL {:+.2}  fees {:.2}  open {}  settled {}  wins {}  losses {}{}\n",
            p.cash,
            p.start_cash,
            p.realized_pnl,
            p.fees_paid,
            p.open_positions,
            p.settled,
            p.wins,
            p.losses,
            if decided > 0 {
                format!("  win rate {:.0}%", 100.0 * p.wins as f64 / decided as f64)
            } else {
                String::new()
            }
        ));
        if !self.skips.is_empty() {
            s.push_str("Skips  ");
            for (r, n) in &self.skips {
                s.push_str(&format!(" {r} {n}"));
            }
            s.push('\n');
        }
        s.push_str(&format!(
            "Windows settled {}  strikes from Binance fallback {}\n",
            self.windows_settled, self.strike_fallbacks
        ));
        s
    }
}
