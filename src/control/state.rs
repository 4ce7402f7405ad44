//! The control side's picture of the system: latest snapshots the API, the dashboard and the
//! demo summary read. Written by the control loop only; readers take the lock briefly. Nothing
//! here is ever touched by a hot thread.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::control::discovery::DiscoveredWindow;
use crate::control::whales::{WhaleBias, WhaleTrade};
use crate::pipeline::events::{BookTop, ExecReport, SpotTick};
use crate::signal::{AccountSnapshot, Settlement, SignalSnapshot};

/// Recent items kept for the API.
pub const RECENT: usize = 500;

#[derive(Default)]
pub struct ControlState {
    pub last_spot: BTreeMap<u8, SpotTick>,
    pub last_oracle: BTreeMap<u8, (f64, u64)>,
    pub last_book: BTreeMap<u16, BookTop>,
    pub last_signal: BTreeMap<u8, SignalSnapshot>,
    pub account: Option<AccountSnapshot>,
    pub windows: Vec<DiscoveredWindow>,
    pub fills: VecDeque<ExecReport>,
    /// Positions open at start, restored from the journal (as the fills that made them), so
    /// `/api/positions` and `/ws` show them until their windows settle.
    pub restored_positions: Vec<ExecReport>,
    pub settlements: Vec<Settlement>,
    /// The venue ledger (live mode), published by the `venue` thread.
    pub venue_ledger: Option<crate::venue::LedgerView>,
    /// Latency percentiles by stage, refreshed by the control loop.
    pub latency: BTreeMap<&'static str, crate::telemetry::StageSummary>,
    /// The full histograms by stage, filled once at shutdown for the summary's `.hgrm` export.
    pub latency_histograms: BTreeMap<&'static str, hdrhistogram::Histogram<u64>>,
    /// Live one-minute candles per asset, from the spot tap.
    pub candles: crate::control::candles::CandleBook,
    /// Recent whale trades, oldest first, bounded by `whales.recent` (the whale poller writes).
    pub whale_trades: VecDeque<WhaleTrade>,
    /// Whale trades published since start: a reader streaming `whale_trade` compares it with
    /// its own count to find the new ones at the back of `whale_trades`.
    pub whale_trades_total: u64,
    /// Net UP vs DOWN notional per wallet name in its current window.
    pub whale_bias: BTreeMap<String, WhaleBias>,
    /// Why and when (wall ms) the kill switch was set; `None` when clear. Written by whoever
    /// sets `Shared::kill` (the API, Telegram `/kill`).
    pub kill_reason: Option<(String, u64)>,
    /// Recent alerts (hook: the alerter pushes with `push_alert`).
    pub alerts: VecDeque<Alert>,
    /// Recent live orders (hook: the live order path pushes with `push_live_order`).
    pub live_orders: VecDeque<LiveOrder>,
    /// Items ever pushed to each hook queue, so readers can tell what is new.
    /// Token indexes (UP, DOWN) of each window by (asset, start_s), for books by window.
    pub window_tokens: BTreeMap<(u8, u64), (u16, u16)>,
    pub alert_seq: u64,
    pub live_order_seq: u64,
    /// Live orders since start (paper and shadow ones are not counted).
    pub live_counts: LiveCounts,
    /// The mode and kill switch the alerts last announced (see `announce_mode`).
    pub announced_mode: Option<&'static str>,
    pub announced_kill: Option<bool>,
    /// Recent intents sent to `order`.
    pub intents: VecDeque<crate::pipeline::events::OrderIntent>,
    /// Breakers tripped now.
    pub breakers: Vec<crate::risk::BreakerTrip>,
    /// Every trip since start.
    pub breaker_log: Vec<crate::risk::BreakerTrip>,
    /// The alert queue, when alerts run: the control loop sends fills, settlements, breaker
    /// trips, feed and control changes to it.
    pub alert_tx: Option<crate::control::alerts::AlertTx>,
    /// Order bodies built in `shadow` (or sent in `live`), by intent id, most recent last.
    pub bodies: VecDeque<(u64, String)>,
    /// Live mode's wallet: cash apart from redeemable winning tokens (`wallet::worker`).
    pub wallet: Option<crate::wallet::worker::WalletView>,
}

/// An operator alert (`live_alert` on `/ws`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Alert {
    pub ts_ms: u64,
    /// "info", "warning" or "critical".
    pub level: String,
    /// What triggered it: "order_filled", "breaker", "kill_switch", "feed_down", …
    pub kind: String,
    pub message: String,
}

/// A live order's state change (`live_order` on `/ws`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct LiveOrder {
    pub ts_ms: u64,
    pub order_id: String,
    /// The asset's name (the API fills it from `asset_id` where the recorder had only that).
    pub asset: String,
    /// The asset's index, for the API to name it; not sent.
    #[serde(skip)]
    pub asset_id: Option<u8>,
    pub outcome: String,
    pub side: String,
    pub price: f64,
    pub size: f64,
    /// "sent", "matched", "delayed", "unmatched", "rejected", "failed".
    pub status: String,
    pub message: String,
}

/// Live orders sent to the venue since start, by outcome.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct LiveCounts {
    pub sent: u64,
    pub filled: u64,
    pub rejected: u64,
}

fn push_bounded<T>(q: &mut VecDeque<T>, item: T) {
    if q.len() == RECENT {
        q.pop_front();
    }
    q.push_back(item);
}

impl ControlState {
    pub fn push_intent(&mut self, i: crate::pipeline::events::OrderIntent) {
        if self.intents.len() == RECENT {
            self.intents.pop_front();
        }
        self.intents.push_back(i);
    }

    /// A breaker tripped (kept until it re-arms) or re-armed.
    pub fn on_breaker(&mut self, e: crate::risk::BreakerEvent) {
        match e {
            crate::risk::BreakerEvent::Tripped(t) => {
                // At warn: the default log level shows it.
                tracing::warn!(breaker = t.kind.name(), "breaker tripped: {t}");
                self.breakers.retain(|b| b.kind != t.kind);
                self.breakers.push(t);
                self.breaker_log.push(t);
            }
            crate::risk::BreakerEvent::Rearmed { kind, manual, .. } => {
                tracing::warn!(breaker = kind.name(), manual, "breaker re-armed");
                self.breakers.retain(|b| b.kind != kind)
            }
        }
    }

    pub fn push_body(&mut self, intent_id: u64, body: String) {
        push_bounded(&mut self.bodies, (intent_id, body));
    }

    /// A live order's outcome for the `live_order` stream.
    pub fn push_live_report(&mut self, r: &ExecReport) {
        use crate::pipeline::events::ExecStatus;
        let status = match r.status {
            ExecStatus::Matched => "matched",
            ExecStatus::Delayed => "delayed",
            ExecStatus::Unmatched => "unmatched",
            ExecStatus::Rejected => "rejected",
        };
        self.live_counts.sent += 1;
        match r.status {
            ExecStatus::Matched | ExecStatus::Delayed => self.live_counts.filled += 1,
            ExecStatus::Rejected => self.live_counts.rejected += 1,
            ExecStatus::Unmatched => {}
        }
        let price = if r.filled_e6 > 0 {
            r.cost_e6 as f64 / r.filled_e6 as f64
        } else {
            0.0
        };
        self.push_live_order(LiveOrder {
            ts_ms: crate::clock::wall_ms(),
            order_id: format!("intent-{}", r.intent_id),
            asset: String::new(),
            asset_id: Some(r.asset.0),
            outcome: match r.outcome {
                crate::pipeline::events::Outcome::Up => "up".into(),
                crate::pipeline::events::Outcome::Down => "down".into(),
            },
            side: "buy".into(),
            price,
            size: r.filled_e6 as f64 / 1e6,
            status: status.into(),
            message: String::new(),
        });
    }

    /// What the journal gave back at start: the last account snapshot, the open positions
    /// (asset indexes of this run, by name; a position of an asset no longer configured is
    /// left out) and the kill switch's reason.
    pub fn restore(
        &mut self,
        r: &crate::journal::Restored,
        assets: &crate::pipeline::registry::AssetTable,
    ) {
        self.account = r.last_snapshot;
        if r.kill_switch.active {
            self.kill_reason = Some((r.kill_switch.reason.clone(), r.kill_switch.wall_ms));
        }
        self.restored_positions = r
            .positions
            .iter()
            .filter_map(|p| {
                let asset = assets.by_any_name(&p.asset)?;
                let received_e6 = (p.tokens * crate::pipeline::events::SIZE_SCALE as f64).round();
                Some(ExecReport {
                    asset,
                    outcome: p.outcome,
                    status: crate::pipeline::events::ExecStatus::Matched,
                    filled_e6: received_e6 as u64,
                    received_e6: received_e6 as u64,
                    cost_e6: (p.cost * crate::pipeline::events::SIZE_SCALE as f64).round() as u64,
                    window_start_s: p.window_start_s,
                    ..Default::default()
                })
            })
            .collect();
    }

    pub fn push_fill(&mut self, r: ExecReport) {
        if self.fills.len() == RECENT {
            self.fills.pop_front();
        }
        self.fills.push_back(r);
    }

    /// A window set up by the control loop with its token indexes.
    pub fn add_window(&mut self, w: DiscoveredWindow, up: u16, down: u16) {
        // Indexes are reused modulo MAX_TOKENS: forget windows that no longer hold theirs.
        self.window_tokens
            .retain(|_, (u, d)| ![*u, *d].iter().any(|t| *t == up || *t == down));
        self.window_tokens
            .insert((w.asset.0, w.start_s), (up, down));
        self.windows.push(w);
    }

    pub fn push_whale_trade(&mut self, t: WhaleTrade) {
        push_bounded(&mut self.whale_trades, t);
        self.whale_trades_total += 1;
    }

    pub fn push_alert(&mut self, a: Alert) {
        push_bounded(&mut self.alerts, a);
        self.alert_seq += 1;
    }

    /// Alert a mode change once, whoever notices it first: the API handler that made it (so a
    /// change undone within one stream tick is still told) or the stream's broadcaster.
    pub fn announce_mode(&mut self, mode: &'static str) {
        if let Some(was) = self.announced_mode.filter(|m| *m != mode) {
            self.push_alert(Alert {
                ts_ms: crate::clock::wall_ms(),
                level: "warning".into(),
                kind: "mode_change".into(),
                message: format!("mode changed from {was} to {mode}"),
            });
        }
        self.announced_mode = Some(mode);
    }

    /// Alert a kill-switch change once, as `announce_mode`; the reason is `kill_reason`'s.
    pub fn announce_kill(&mut self, active: bool) {
        if self.announced_kill.is_some_and(|k| k != active) {
            let message = match (&self.kill_reason, active) {
                (Some((r, _)), true) if !r.is_empty() => format!("kill switch ON: {r}"),
                (_, true) => "kill switch ON".to_string(),
                (_, false) => "kill switch off: trading resumes".to_string(),
            };
            self.push_alert(Alert {
                ts_ms: crate::clock::wall_ms(),
                level: if active { "critical" } else { "info" }.into(),
                kind: "kill_switch".into(),
                message,
            });
        }
        self.announced_kill = Some(active);
    }

    pub fn push_live_order(&mut self, o: LiveOrder) {
        push_bounded(&mut self.live_orders, o);
        self.live_order_seq += 1;
    }
}

/// The paper account as the summary reports it.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct PaperSummary {
    pub start_cash: f64,
    pub cash: f64,
    pub realized_pnl: f64,
    pub fees_paid: f64,
    pub open_positions: u32,
    pub settled: u32,
    pub wins: u32,
    pub losses: u32,
}

impl From<&AccountSnapshot> for PaperSummary {
    fn from(a: &AccountSnapshot) -> Self {
        PaperSummary {
            start_cash: a.start_cash,
            cash: a.cash,
            realized_pnl: a.realized_pnl,
            fees_paid: a.fees_paid,
            open_positions: a.open_positions,
            settled: a.settled,
            wins: a.wins,
            losses: a.losses,
        }
    }
}
