//! What the control loop turns into alerts: fills and failures, settlements, breaker trips,
//! feeds going down or up, and kill-switch / mode changes not made from Telegram (Telegram's
//! `/kill` announces itself).

use crate::control::alerts::{Alert, AlertTx};
use crate::pipeline::events::ExecReport;
use crate::pipeline::shared::{Mode, Shared, FEED_NAMES};
use crate::signal::{AccountSnapshot, SignalTap};

pub struct Notifier {
    tx: AlertTx,
    feeds_up: [bool; 3],
    killed: bool,
    mode: Mode,
}

impl Notifier {
    pub fn new(tx: AlertTx, shared: &Shared) -> Self {
        Notifier {
            tx,
            feeds_up: [false; 3],
            killed: shared.killed(),
            mode: shared.mode(),
        }
    }

    pub fn on_signal(&self, s: &SignalTap, account: Option<AccountSnapshot>) {
        match s {
            SignalTap::Decision(d) if d.skip.is_none() => self.tx.send(Alert::OrderSent(*d)),
            SignalTap::Settled(st) => self.tx.send(Alert::Settled {
                settlement: *st,
                account,
            }),
            SignalTap::Breaker(crate::risk::BreakerEvent::Tripped(t)) => {
                self.tx.send(Alert::Breaker {
                    name: t.kind.name().to_string(),
                    reason: t.message(),
                })
            }
            _ => {}
        }
    }

    pub fn on_exec(&self, r: &ExecReport) {
        self.tx.send(Alert::Order(*r));
    }

    /// Edges of the feeds, the kill switch and the mode since the last call.
    pub fn on_control(&mut self, shared: &Shared, kill_reason: Option<&(String, u64)>) {
        for (i, up) in self.feeds_up.iter_mut().enumerate() {
            let now_up = shared.feeds[i]
                .connected
                .load(std::sync::atomic::Ordering::Relaxed);
            if now_up != *up {
                *up = now_up;
                self.tx.send(Alert::Feed {
                    name: FEED_NAMES[i].to_string(),
                    up: now_up,
                });
            }
        }
        let killed = shared.killed();
        if killed != self.killed {
            self.killed = killed;
            let reason = kill_reason.map_or_else(String::new, |(r, _)| r.clone());
            // Telegram's `/kill` and `/resume` send their own alert.
            if !reason.starts_with("telegram") {
                self.tx.send(Alert::Kill {
                    active: killed,
                    reason,
                    source: "control".into(),
                });
            }
        }
        let mode = shared.mode();
        if mode != self.mode {
            self.tx.send(Alert::Mode {
                from: self.mode,
                to: mode,
                source: "control".into(),
            });
            self.mode = mode;
        }
    }
}
