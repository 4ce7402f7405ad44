//! Alerts for the dashboard's panel, derived by the broadcaster from what changed in the
//! control state since its last wake: fills and rejects, settlements, breaker trips and
//! re-arms, price feeds going stale and coming back, kill-switch and mode changes (whoever made
//! them: `ControlState::announce_*` tells each once). Telegram commands push their own alert when they run (`alerts::commands`). Each
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
            st.announce_kill(status.kill_switch.active);
            st.announce_mode(status.mode);
        }
        for r in st.fills.iter().filter(|r| r.intent_id > self.last_fill) {
            let o = views::order(assets, r);
            let what = format!(
                "{} {} (intent {})",
                o.asset,
                o.outcome.to_uppercase(),
                o.intent_id
            );
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
                ExecStatus::Unmatched => alert(
                    "info",
                    "order_unmatched",
                    format!("{what}: nothing matched"),
                ),
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
        for a in out {
            st.push_alert(a);
        }
        // Changes made elsewhere (Telegram, start-up); the API announces its own at once.
        st.announce_kill(status.kill_switch.active);
        st.announce_mode(status.mode);
    }
}

#[cfg(test)]
mod tests {
    use super::super::status::{FeedView, StatusView};
    use super::*;
    use crate::control::api::routes::KillSwitchView;
    use crate::pipeline::events::{AssetId, ExecReport, Outcome};
    use crate::signal::Settlement;

    fn status(fresh: bool, killed: bool, mode: &'static str) -> StatusView {
        StatusView {
            server_time_ms: 0,
            mode,
            live_available: false,
            kill_switch: KillSwitchView {
                active: killed,
                reason: if killed {
                    "telegram /kill".into()
                } else {
                    String::new()
                },
                changed_ms: 0,
            },
            breakers: Vec::new(),
            feeds: vec![FeedView {
                name: "binance",
                connected: fresh,
                fresh,
                last_frame_age_ms: Some(if fresh { 10 } else { 6000 }),
                stale_after_ms: 5000,
                prices: true,
            }],
            halted: killed,
            halt_reason: None,
        }
    }

    fn kinds(st: &ControlState) -> Vec<String> {
        st.alerts.iter().map(|a| a.kind.clone()).collect()
    }

    #[test]
    fn fills_settlements_feeds_kill_and_mode_become_alerts_once() {
        let assets = AssetTable::from_names(&["BTC"]).unwrap();
        let mut st = ControlState::default();
        let mut w = Watch::default();
        // A feed that never came up, and the state before the first wake, alert nothing.
        w.update(&assets, &mut st, &status(false, false, "paper"));
        w.update(&assets, &mut st, &status(true, false, "paper"));
        assert!(kinds(&st).is_empty(), "{:?}", kinds(&st));

        st.push_fill(ExecReport {
            intent_id: 7,
            asset: AssetId(0),
            outcome: Outcome::Up,
            status: ExecStatus::Matched,
            filled_e6: 10_000_000,
            received_e6: 10_000_000,
            cost_e6: 5_300_000,
            ..Default::default()
        });
        st.settlements.push(Settlement {
            asset: AssetId(0),
            window_start_s: 900,
            strike: 100.0,
            end_price: 99.0,
            up_won: false,
            pnl: -5.3,
            ..Default::default()
        });
        st.breaker_log.push(crate::risk::BreakerTrip {
            kind: crate::risk::BreakerKind::ConsecutiveLosses,
            at_wall_ms: 1,
            until_wall_ms: None,
            observed: 3.0,
            limit: 3.0,
            feed: 0,
        });
        st.kill_reason = Some(("telegram /kill".into(), 1));
        w.update(&assets, &mut st, &status(false, true, "shadow"));
        assert_eq!(
            kinds(&st),
            [
                "order_filled",
                "settled",
                "breaker",
                "feed_stale",
                "kill_switch",
                "mode_change"
            ]
        );
        let msgs: Vec<_> = st.alerts.iter().map(|a| a.message.as_str()).collect();
        assert!(
            msgs[0].contains("BTC UP") && msgs[0].contains("0.530"),
            "{}",
            msgs[0]
        );
        assert!(
            msgs[1].contains("DOWN") && msgs[1].contains("-5.30"),
            "{}",
            msgs[1]
        );
        assert!(msgs[2].starts_with("consecutive_losses"), "{}", msgs[2]);
        assert!(
            msgs[3].contains("binance") && msgs[3].contains("6000 ms"),
            "{}",
            msgs[3]
        );
        assert_eq!(msgs[4], "kill switch ON: telegram /kill");
        assert_eq!(msgs[5], "mode changed from paper to shadow");

        // Nothing new: nothing more. Then the feed recovers.
        w.update(&assets, &mut st, &status(false, true, "shadow"));
        assert_eq!(st.alerts.len(), 6);
        w.update(&assets, &mut st, &status(true, true, "shadow"));
        assert_eq!(kinds(&st).last().unwrap(), "feed_ok");
    }
}
