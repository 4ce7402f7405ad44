//! A fault plan: the simulator's fault switches as data, so they are reachable from the
//! configuration (`[demo.faults]`, read by `demo` and `sim`), from `cassandra sim` flags, and
//! at run time from another process (`POST /sim/faults` with the plan as JSON; what was
//! injected: `GET /sim/stats`). Tests drive the same switches directly through [`Faults`].
//!
//! Contract: [`FaultPlan::apply`] replaces every switch the plan names (a default plan clears
//! them all) for the feeds in `feeds` (empty: all three); the periodic faults (`drop_every_ms`,
//! `malformed_every_ms`) are fired by one schedule thread that looks every 10 ms and counts
//! what it fired. Control routes (`/sim/...`) are never themselves faulted.
//!
//! [`Faults`]: super::Faults

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::faults::Feed;
use super::stats::{bump, FeedStats};
use super::Shared;

const FEEDS: [(Feed, &str); 3] = [
    (Feed::Binance, "binance"),
    (Feed::Poly, "poly"),
    (Feed::Chainlink, "chainlink"),
];

/// The fault switches of a simulator. Every key is optional; the default injects nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultPlan {
    /// WebSocket feeds the feed faults act on: "binance", "poly", "chainlink" (empty: all).
    pub feeds: Vec<String>,
    /// Close every open connection (TCP close, no close frame) every this many ms (0: never).
    pub drop_every_ms: u64,
    /// Send a truncated frame and one of an unknown type every this many ms (0: never).
    pub malformed_every_ms: u64,
    /// Keep connections open but send nothing (no data, no pings).
    pub stall: bool,
    /// Answer each WebSocket handshake this late (0: at once).
    pub handshake_delay_ms: u64,
    /// Complete each handshake, then close at once.
    pub close_after_handshake: bool,
    /// Answer every HTTP request (Gamma, CLOB, Data API, ...) with this status (0: normally),
    /// e.g. 429 or 503.
    pub http_status: u16,
    /// Delay every HTTP answer by this much.
    pub http_delay_ms: u64,
    /// Answer the simulated CLOB's trading and auth routes with this status (0: normally),
    /// with the venue's body for it.
    pub clob_status: u16,
    /// Delay every simulated CLOB answer by this much.
    pub clob_delay_ms: u64,
}

impl FaultPlan {
    /// The feeds named in `feeds`, or an error naming the unknown one.
    fn feed_list(&self) -> Result<Vec<Feed>, String> {
        if self.feeds.is_empty() {
            return Ok(FEEDS.iter().map(|(f, _)| *f).collect());
        }
        self.feeds
            .iter()
            .map(|n| {
                FEEDS
                    .iter()
                    .find(|(_, name)| name.eq_ignore_ascii_case(n))
                    .map(|(f, _)| *f)
                    .ok_or_else(|| {
                        format!("faults.feeds: unknown feed {n:?} (binance, poly, chainlink)")
                    })
            })
            .collect()
    }

    /// What is wrong with the plan, if anything.
    pub fn validate(&self) -> Result<(), String> {
        self.feed_list()?;
        for (key, s) in [
            ("http_status", self.http_status),
            ("clob_status", self.clob_status),
        ] {
            if s != 0 && !(100..=599).contains(&s) {
                return Err(format!("faults.{key} = {s}: 0 (none) or an HTTP status"));
            }
        }
        Ok(())
    }

    /// Whether the plan injects anything at all.
    pub fn is_empty(&self) -> bool {
        FaultPlan {
            feeds: Vec::new(),
            ..self.clone()
        } == FaultPlan::default()
    }

    /// Set the simulator's switches to this plan.
    pub(crate) fn apply(&self, sh: &Shared) -> Result<(), String> {
        self.validate()?;
        let chosen = self.feed_list()?;
        let f = &sh.faults;
        for (feed, _) in FEEDS {
            let on = chosen.contains(&feed);
            let pick = |v: u64| if on { v } else { 0 };
            f.set_drop_every_ms(feed, pick(self.drop_every_ms));
            f.set_malformed_every_ms(feed, pick(self.malformed_every_ms));
            f.set_stall(feed, on && self.stall);
            f.set_handshake_delay_ms(feed, pick(self.handshake_delay_ms));
            f.set_close_after_handshake(feed, on && self.close_after_handshake);
        }
        f.set_http_status((self.http_status != 0).then_some(self.http_status));
        f.set_http_delay_ms(self.http_delay_ms);
        f.set_clob_status((self.clob_status != 0).then_some(self.clob_status));
        f.set_clob_delay_ms(self.clob_delay_ms);
        Ok(())
    }
}

/// The schedule thread: fires the periodic faults until the simulator stops.
pub(crate) fn run_schedule(sh: Arc<Shared>) {
    let start = Instant::now();
    let mut last_drop = [start; 3];
    let mut last_malformed = [start; 3];
    while !sh.stopping() {
        std::thread::sleep(Duration::from_millis(10));
        let now = Instant::now();
        for (i, (feed, _)) in FEEDS.iter().enumerate() {
            let every = sh.faults.drop_every_ms(*feed);
            if every > 0 && now >= last_drop[i] + Duration::from_millis(every) {
                sh.faults.drop_feed(*feed);
                bump(&sh.stats.scheduled_drops);
                last_drop[i] = now;
            } else if every == 0 {
                last_drop[i] = now;
            }
            let every = sh.faults.malformed_every_ms(*feed);
            if every > 0 && now >= last_malformed[i] + Duration::from_millis(every) {
                sh.faults.malformed_feed(*feed);
                bump(&sh.stats.scheduled_malformed);
                last_malformed[i] = now;
            } else if every == 0 {
                last_malformed[i] = now;
            }
        }
    }
}

fn feed_json(s: &FeedStats) -> serde_json::Value {
    serde_json::json!({
        "accepted": s.accepted(),
        "connections": s.connections(),
        "open": s.open_connections(),
        "frames_sent": s.frames_sent(),
        "dropped_by_fault": s.dropped_by_fault(),
        "malformed_sent": s.malformed_sent(),
        "slow_handshakes": s.slow_handshakes(),
        "closed_after_handshake": s.closed_after_handshake(),
    })
}

/// `GET /sim/stats`: what the simulator served and the faults it injected.
pub(crate) fn stats_json(sh: &Shared) -> serde_json::Value {
    let st = &sh.stats;
    serde_json::json!({
        "binance": feed_json(&st.binance),
        "poly": feed_json(&st.poly),
        "chainlink": feed_json(&st.chainlink),
        "http_requests": st.http_requests(),
        "http_faulted": st.http_faulted(),
        "scheduled_drops": st.scheduled_drops.load(Ordering::Relaxed),
        "scheduled_malformed": st.scheduled_malformed.load(Ordering::Relaxed),
        "clob_orders": sh.clob.orders().len(),
    })
}
