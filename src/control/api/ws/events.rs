//! Alerts for the dashboard's panel, derived by the broadcaster from what changed in the
//! control state since its last wake: fills and rejects, settlements, breaker trips and
//! re-arms, price feeds going stale and coming back, kill-switch and mode changes (whoever made
//! them). Telegram commands push their own alert when they run (`alerts::commands`). Each
//! becomes an [`Alert`] in `ControlState::alerts`, so `init` replays the recent ones and the
//! stream sends each once as `live_alert`.
//!
//! Runs on the API thread with the state lock held; nothing here touches a hot thread.

use crate::clock::wall_ms;
use crate::control::state::Alert;
use crate::control::ControlState;
use crate::pipeline::events::ExecStatus;
use crate::pipeline::registry::AssetTable;

use super::super::views;
use super::status::StatusView;

/// What the last wake saw.
#[derive(Default)]
pub struct Watch {
    started: bool,
    last_fill: u64,
    settlements: usize,
    breaker_log: usize,
    breakers: Vec<&'static str>,
    /// Per feed: whether it was fresh at the last wake (`None` until first seen fresh, so a
    /// feed that never started does not alert on every start).
    fresh: Vec<Option<bool>>,
    killed: bool,
    mode: &'static str,
}

fn alert(level: &str, kind: &str, message: String) -> Alert {
    Alert {
        ts_ms: wall_ms(),
        level: level.into(),
        kind: kind.into(),
        message,
    }
}

/// `HH:MM` UTC of a unix-seconds instant, for window names.
fn hhmm(s: u64) -> String {
    format!("{:02}:{:02} UTC", (s % 86_400) / 3600, (s % 3600) / 60)
}

impl Watch {
    /// Push an alert for everything that changed since the last call.
    pub fn update(&mut self, assets: &AssetTable, st: &mut ControlState, status: &StatusView) {
        let mut out = Vec::new();
        if !self.started {
            // What happened before the page's stream existed is not news.
            self.started = true;
            self.last_fill = st.fills.back().map_or(0, |r| r.intent_id);
            self.settlements = st.settlements.len();
            self.breaker_log = st.breaker_log.len();
            self.killed = status.kill_switch.active;
            self.mode = status.mode;
        }
        for r in st.fills.iter().filter(|r| r.intent_id > self.last_fill) {
            let o = views::order(assets, r);
            let what = format!("{} {} (intent {})", o.asset, o.outcome.to_uppercase(), o.intent_id);
            out.push(match r.status {
                ExecStatus::Matched | ExecStatus::Delayed => alert(
                    "info",
                    "order_filled",
                    format!(
                        "bought {} {:.2} shares at {:.3} for {:.2} USDC (fee {:.4})",
                        what,
                        o.filled,
                        o.avg_price.unwrap_or(0.0),
                        o.cost,
                        o.fee
                    ),
                ),
                ExecStatus::Unmatched => {
                    alert("info", "order_unmatched", format!("{what}: nothing matched"))
                }
                ExecStatus::Rejected => {
                    alert("warning", "order_rejected", format!("{what}: rejected"))
                }
            });
        }
        if let Some(r) = st.fills.back() {
            self.last_fill = self.last_fill.max(r.intent_id);
        }
        for s in st.settlements.iter().skip(self.settlements) {
            let v = views::settlement(assets, s);
            out.push(alert(
                if s.pnl < 0.0 { "warning" } else { "info" },
                "settled",
                format!(
                    "{} window {} settled {}: strike {:.2}, end {:.2}; PnL {:+.2} USDC",
                    v.asset,
                    hhmm(v.window_start_s),
                    v.winner.to_uppercase(),
                    v.strike,
                    v.end_price,
                    v.pnl
                ),
            ));
        }
        self.settlements = st.settlements.len();
        for t in st.breaker_log.iter().skip(self.breaker_log) {
            out.push(alert("critical", "breaker", t.message()));
        }
        self.breaker_log = st.breaker_log.len();
        let holding: Vec<&'static str> = status.breakers.iter().map(|b| b.kind).collect();
        for gone in self.breakers.iter().filter(|k| !holding.contains(k)) {
            out.push(alert(
                "info",
                "breaker_rearmed",
                format!("breaker {gone} re-armed"),
            ));
        }
        self.breakers = holding;
        self.fresh.resize(status.feeds.len(), None);
        for (f, was) in status.feeds.iter().zip(self.fresh.iter_mut()) {
            match (*was, f.fresh) {
                (Some(true), false) => out.push(alert(
                    if f.prices { "critical" } else { "warning" },
                    "feed_stale",
                    format!(
                        "{} feed stale: no data for {} ms (limit {} ms){}",
                        f.name,
                        f.last_frame_age_ms.unwrap_or(0),
                        f.stale_after_ms,
                        if f.connected { "" } else { ", disconnected" }
                    ),
                )),
                (Some(false), true) => out.push(alert(
                    "info",
                    "feed_ok",
                    format!("{} feed fresh again", f.name),
                )),
                _ => {}
            }
            if was.is_some() || f.fresh {
                *was = Some(f.fresh);
            }
        }
        let k = &status.kill_switch;
        if k.active != self.killed {
            self.killed = k.active;
            let reason = if k.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", k.reason)
            };
            out.push(if k.active {
                alert("critical", "kill_switch", format!("kill switch ON{reason}"))
            } else {
                alert("info", "kill_switch", "kill switch off: trading resumes".into())
            });
        }
        if status.mode != self.mode {
            out.push(alert(
                "warning",
                "mode_change",
                format!("mode changed from {} to {}", self.mode, status.mode),
            ));
            self.mode = status.mode;
        }
        for a in out {
            st.push_alert(a);
        }
    }
}
