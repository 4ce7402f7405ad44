//! Turning what the control loop drains into journal events: names for the indexes the hot
//! threads use, sampling of decisions, and edges of the kill switch and the mode.

use std::collections::BTreeMap;

use crate::clock::wall_ms;
use crate::control::discovery::DiscoveredWindow;
use crate::journal::{
    ControlAction, ExecRecord, JournalEvent, JournalTx, OrderRecord, SettlementRecord, SignalRecord,
};
use crate::pipeline::events::{ExecReport, TokenId};
use crate::pipeline::registry::AssetTable;
use crate::pipeline::shared::{Mode, Shared};
use crate::signal::SignalTap;

pub struct JournalFeed {
    tx: JournalTx,
    assets: AssetTable,
    /// Venue token id of each token slot in use.
    token_ids: BTreeMap<u16, String>,
    sample_every: u32,
    seen: [u32; crate::pipeline::registry::MAX_ASSETS],
    killed: bool,
    mode: Mode,
    /// Intents of `shadow`/`live` waiting briefly for the body the `order` thread builds.
    awaiting: Vec<(u64, OrderRecord)>,
}

impl JournalFeed {
    pub fn new(tx: JournalTx, assets: AssetTable, sample_every: u32, shared: &Shared) -> Self {
        JournalFeed {
            tx,
            assets,
            token_ids: BTreeMap::new(),
            sample_every: sample_every.max(1),
            seen: [0; crate::pipeline::registry::MAX_ASSETS],
            killed: shared.killed(),
            mode: shared.mode(),
            awaiting: Vec::new(),
        }
    }

    fn asset(&self, id: crate::pipeline::events::AssetId) -> String {
        self.assets
            .get(id)
            .map_or_else(|| id.0.to_string(), |a| a.name.clone())
    }

    fn token(&self, t: TokenId) -> String {
        self.token_ids
            .get(&t.0)
            .cloned()
            .unwrap_or_else(|| format!("slot:{}", t.0))
    }

    pub fn on_window(&mut self, w: &DiscoveredWindow, up: TokenId, down: TokenId) {
        self.token_ids.insert(up.0, w.up_token.clone());
        self.token_ids.insert(down.0, w.down_token.clone());
    }

    pub fn on_signal(&mut self, s: &SignalTap, mode: Mode) {
        let wall = wall_ms();
        let ev = match s {
            SignalTap::Decision(d) => {
                let n = &mut self.seen[d.asset.0 as usize % self.seen.len()];
                *n = n.wrapping_add(1);
                if d.skip.is_some() && *n % self.sample_every != 0 {
                    return;
                }
                JournalEvent::Signal(SignalRecord {
                    snapshot: *d,
                    asset: self.asset(d.asset),
                })
            }
            SignalTap::Intent(i) => {
                let rec = OrderRecord {
                    wall_ms: wall,
                    intent: *i,
                    asset: self.asset(i.asset),
                    token_id: self.token(i.token),
                    mode,
                    order_json: None,
                };
                if matches!(mode, Mode::Shadow | Mode::Live) {
                    self.awaiting.push((wall, rec));
                    return;
                }
                JournalEvent::Order(Box::new(rec))
            }
            SignalTap::Settled(st) => JournalEvent::Settlement(SettlementRecord {
                wall_ms: wall,
                settlement: *st,
                asset: self.asset(st.asset),
            }),
            SignalTap::Account(a) => JournalEvent::Account(*a),
            SignalTap::Breaker(crate::risk::BreakerEvent::Tripped(t)) => JournalEvent::Control {
                wall_ms: wall,
                action: ControlAction::BreakerTripped(*t),
            },
            SignalTap::Breaker(crate::risk::BreakerEvent::Rearmed { kind, manual, .. }) => {
                JournalEvent::Control {
                    wall_ms: wall,
                    action: ControlAction::BreakerRearmed {
                        kind: *kind,
                        manual: *manual,
                    },
                }
            }
        };
        self.tx.send(ev);
    }

    /// The exact body built for an intent (`shadow`) or sent (`live`).
    pub fn on_body(&mut self, intent_id: u64, body: &str) {
        if let Some(i) = self
            .awaiting
            .iter()
            .position(|(_, r)| r.intent.intent_id == intent_id)
        {
            let (_, mut rec) = self.awaiting.swap_remove(i);
            rec.order_json = Some(body.to_string());
            self.tx.send(JournalEvent::Order(Box::new(rec)));
        }
    }

    /// Intents whose body did not come within a second are journaled without it.
    pub fn flush_stale(&mut self) {
        let now = wall_ms();
        let mut i = 0;
        while i < self.awaiting.len() {
            if now.saturating_sub(self.awaiting[i].0) > 1000 {
                let (_, rec) = self.awaiting.swap_remove(i);
                self.tx.send(JournalEvent::Order(Box::new(rec)));
            } else {
                i += 1;
            }
        }
    }

    pub fn on_exec(&mut self, r: &ExecReport) {
        let ev = JournalEvent::Exec(ExecRecord {
            wall_ms: wall_ms(),
            report: *r,
            asset: self.asset(r.asset),
            token_id: self.token(r.token),
        });
        self.tx.send(ev);
    }

    /// Journal changes of the kill switch and the mode since the last call.
    pub fn on_control(&mut self, shared: &Shared, kill_reason: Option<&(String, u64)>) {
        let (killed, mode) = (shared.killed(), shared.mode());
        if killed != self.killed {
            self.killed = killed;
            let reason = kill_reason.map_or_else(String::new, |(r, _)| r.clone());
            self.tx.send(JournalEvent::Control {
                wall_ms: wall_ms(),
                action: ControlAction::KillSwitch {
                    active: killed,
                    reason,
                },
            });
        }
        if mode != self.mode {
            self.mode = mode;
            self.tx.send(JournalEvent::Control {
                wall_ms: wall_ms(),
                action: ControlAction::Mode {
                    mode,
                    reason: String::new(),
                },
            });
        }
    }

    pub fn dropped(&self) -> u64 {
        self.tx.dropped()
    }
}
