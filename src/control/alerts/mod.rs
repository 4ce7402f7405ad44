//! Alerts to Telegram and Discord, and commands from the Telegram chat.
//!
//! [`AlertTx::send`] is what the rest of the system calls. It never blocks and never fails: it
//! checks the alert's trigger switch (and the paper-mode and `/alerts off` mutes), then offers
//! a copy to each destination's bounded backlog; a full backlog drops its **oldest** alert and
//! counts it. Each destination (Telegram chat, Discord webhook) has its own worker thread, so a
//! dead endpoint slows only its own backlog. A worker keeps a least gap between sends
//! (`*_min_interval_ms`), honours the venue's `retry_after` (Telegram's
//! `parameters.retry_after`, Discord's body, `Retry-After` or `X-RateLimit-Reset-After`), and
//! retries transient failures with exponential backoff up to `max_attempts`; then it gives up
//! and counts the alert failed.
//!
//! Kill-switch and mode alerts are always sent, whatever the switches say. Secrets (bot token,
//! webhook URL) come from [`AlertSecrets`]; URLs are never logged and transport errors are
//! stripped of them.
//!
//! Telegram commands (`/kill [reason]`, `/resume`, `/status`, `/alerts on|off`, `/help`) are
//! long-polled by a third thread ([`commands`]); only the configured chat is obeyed.

pub mod commands;
pub mod config;
pub mod format;
mod worker;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use crate::control::state::ControlState;
use crate::control::whales::WhaleTrade;
use crate::pipeline::events::{ExecReport, ExecStatus};
use crate::pipeline::shared::{Mode, Shared};
use crate::signal::{AccountSnapshot, Settlement, SignalSnapshot};

pub use config::{AlertSecrets, AlertTriggers, AlertsConfig};
pub use format::{escape_html, Message};

/// Something worth telling the operator.
#[derive(Clone, Debug, PartialEq)]
pub enum Alert {
    /// `signal` sent an order intent (a decision with no skip reason).
    OrderSent(SignalSnapshot),
    /// An order's outcome: filled (matched, delayed) or failed (unmatched, rejected).
    Order(ExecReport),
    /// A window settled; `account` is the paper account after it, when known.
    Settled {
        settlement: Settlement,
        account: Option<AccountSnapshot>,
    },
    /// A risk breaker tripped.
    Breaker { name: String, reason: String },
    /// The kill switch changed. Always sent.
    Kill {
        active: bool,
        reason: String,
        /// Who did it: "api", "telegram", "breaker"…
        source: String,
    },
    /// The trading mode changed. Always sent.
    Mode {
        from: Mode,
        to: Mode,
        source: String,
    },
    /// A feed went down (`up = false`) or came back.
    Feed { name: String, up: bool },
    DailySummary {
        account: AccountSnapshot,
        orders: u64,
        fills: u64,
    },
    /// A large whale trade.
    Whale(WhaleTrade),
    /// Free text, sent as a title (operator notes, tests). No trigger switch: only the mutes
    /// (paper mode, `/alerts off`) apply.
    Text(String),
}

impl Alert {
    /// Kill-switch and mode alerts bypass every switch and mute.
    pub fn always_on(&self) -> bool {
        matches!(self, Alert::Kill { .. } | Alert::Mode { .. })
    }

    /// Whether the trigger switch lets this alert through.
    pub fn enabled_by(&self, t: &AlertTriggers) -> bool {
        match self {
            Alert::OrderSent(_) => t.order_sent,
            Alert::Order(r) => match r.status {
                ExecStatus::Matched | ExecStatus::Delayed => t.order_filled,
                ExecStatus::Unmatched | ExecStatus::Rejected => t.order_failed,
            },
            Alert::Settled { .. } => t.settled,
            Alert::Breaker { .. } => t.breaker,
            Alert::Feed { .. } => t.feed,
            Alert::DailySummary { .. } => t.daily_summary,
            Alert::Whale(_) => t.whale,
            Alert::Kill { .. } | Alert::Mode { .. } | Alert::Text(_) => true,
        }
    }
}

/// Counters of one destination.
#[derive(Debug, Default)]
pub struct DestStats {
    /// Alerts accepted into the backlog.
    pub queued: AtomicU64,
    /// Delivered (2xx).
    pub sent: AtomicU64,
    /// Dropped from a full backlog, oldest first.
    pub dropped: AtomicU64,
    /// Given up after `max_attempts`, or refused by the venue (4xx other than 429).
    pub failed: AtomicU64,
    /// 429 answers.
    pub rate_limited: AtomicU64,
    /// Attempts after the first.
    pub retries: AtomicU64,
}

/// Everything alerts count.
#[derive(Debug, Default)]
pub struct AlertStats {
    pub telegram: DestStats,
    pub discord: DestStats,
    /// Alerts not sent because of a trigger switch, paper mode or `/alerts off`.
    pub suppressed: AtomicU64,
    /// Commands obeyed.
    pub commands: AtomicU64,
    /// Updates from a chat other than the configured one (ignored).
    pub unauthorised: AtomicU64,
    /// Commands older than `max_command_age_s` (ignored).
    pub stale_commands: AtomicU64,
    /// Failed `getUpdates` calls.
    pub poll_errors: AtomicU64,
}

/// A plain copy of one destination's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DestStatsSnapshot {
    pub queued: u64,
    pub sent: u64,
    pub dropped: u64,
    pub failed: u64,
    pub rate_limited: u64,
    pub retries: u64,
}

impl DestStats {
    pub fn snapshot(&self) -> DestStatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        DestStatsSnapshot {
            queued: g(&self.queued),
            sent: g(&self.sent),
            dropped: g(&self.dropped),
            failed: g(&self.failed),
            rate_limited: g(&self.rate_limited),
            retries: g(&self.retries),
        }
    }
}

pub(crate) fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

/// The destinations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    Telegram,
    Discord,
}

/// What a worker sends.
#[derive(Clone, Debug)]
pub(crate) enum Outgoing {
    Alert(Alert),
    /// An answer to a Telegram command: Telegram only, past the mutes. Already HTML.
    Reply(String),
}

impl Outgoing {
    /// Command answers and kill-switch / mode alerts go ahead of routine alerts: an operator
    /// who sends `/kill` must not wait behind a backlog of fills.
    fn urgent(&self) -> bool {
        match self {
            Outgoing::Reply(_) => true,
            Outgoing::Alert(a) => a.always_on(),
        }
    }
}

/// One destination's backlog: both ends, so a full queue can drop its oldest entry.
#[derive(Clone)]
struct Backlog {
    dest: Dest,
    tx: crossbeam::channel::Sender<Outgoing>,
    rx: crossbeam::channel::Receiver<Outgoing>,
    /// The urgent lane, drained first by the worker.
    urgent: crossbeam::channel::Sender<Outgoing>,
}

struct TxInner {
    backlogs: Vec<Backlog>,
    triggers: AlertTriggers,
    paper: bool,
    enabled: bool,
    muted: AtomicBool,
    shared: Arc<Shared>,
    stats: Arc<AlertStats>,
    assets: Vec<String>,
}

/// The sending handle: cheap to clone, never blocks.
#[derive(Clone)]
pub struct AlertTx {
    inner: Arc<TxInner>,
}

impl AlertTx {
    /// Queue `alert` for every configured destination, unless a switch or mute holds it back.
    /// Returns at once; a full backlog drops its oldest alert (counted in `dropped`).
    pub fn send(&self, alert: Alert) {
        let i = &self.inner;
        if !alert.always_on() {
            let paper_muted = !i.paper && i.shared.mode() == Mode::Paper;
            if !i.enabled
                || i.muted.load(Ordering::Relaxed)
                || paper_muted
                || !alert.enabled_by(&i.triggers)
            {
                bump(&i.stats.suppressed);
                return;
            }
        }
        self.offer_where(|_| true, Outgoing::Alert(alert));
    }

    /// Send `alert` everywhere but `skip` (a command already answered in that chat).
    pub(crate) fn send_except(&self, skip: Dest, alert: Alert) {
        self.offer_where(|d| d != skip, Outgoing::Alert(alert));
    }

    /// Answer in the Telegram chat (HTML already escaped); past every mute.
    pub(crate) fn reply(&self, html: String) {
        self.offer_where(|d| d == Dest::Telegram, Outgoing::Reply(html));
    }

    fn offer_where(&self, want: impl Fn(Dest) -> bool, item: Outgoing) {
        for b in self.inner.backlogs.iter().filter(|b| want(b.dest)) {
            let stats = self.stats_of(b.dest);
            if item.urgent() && b.urgent.try_send(item.clone()).is_ok() {
                bump(&stats.queued);
                continue;
            }
            let mut item = item.clone();
            // A few rounds at most: another sender may refill the slot we freed.
            for _ in 0..4 {
                match b.tx.try_send(item) {
                    Ok(()) => {
                        bump(&stats.queued);
                        break;
                    }
                    Err(crossbeam::channel::TrySendError::Full(back)) => {
                        if b.rx.try_recv().is_ok() {
                            bump(&stats.dropped);
                        }
                        item = back;
                    }
                    Err(crossbeam::channel::TrySendError::Disconnected(_)) => {
                        bump(&stats.dropped);
                        break;
                    }
                }
            }
        }
    }

    fn stats_of(&self, d: Dest) -> &DestStats {
        match d {
            Dest::Telegram => &self.inner.stats.telegram,
            Dest::Discord => &self.inner.stats.discord,
        }
    }

    /// `/alerts off` mutes every alert but kill-switch and mode alerts and command answers.
    pub fn set_muted(&self, muted: bool) {
        self.inner.muted.store(muted, Ordering::SeqCst);
    }

    pub fn muted(&self) -> bool {
        self.inner.muted.load(Ordering::Relaxed)
    }

    pub fn stats(&self) -> &AlertStats {
        &self.inner.stats
    }

    /// The destinations this handle feeds.
    pub fn destinations(&self) -> Vec<Dest> {
        self.inner.backlogs.iter().map(|b| b.dest).collect()
    }

    /// A handle with no destination (alerts off): `send` counts nothing and drops everything.
    pub fn disabled(shared: Arc<Shared>) -> AlertTx {
        AlertTx {
            inner: Arc::new(TxInner {
                backlogs: Vec::new(),
                triggers: AlertTriggers::default(),
                paper: false,
                enabled: false,
                muted: AtomicBool::new(false),
                shared,
                stats: Arc::default(),
                assets: Vec::new(),
            }),
        }
    }

    pub(crate) fn asset_name(&self, i: u8) -> String {
        self.inner
            .assets
            .get(usize::from(i))
            .cloned()
            .unwrap_or_else(|| format!("asset#{i}"))
    }
}

/// The running alert threads.
pub struct Alerts {
    tx: AlertTx,
    stop: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    commands: Option<JoinHandle<()>>,
}

impl Alerts {
    /// Start a worker per destination that has its secrets, and the Telegram command poller
    /// when `commands` is on. `assets`: names by asset index (for messages). With no
    /// destination, the handle still works and drops everything.
    pub fn start(
        cfg: &AlertsConfig,
        secrets: AlertSecrets,
        assets: Vec<String>,
        shared: Arc<Shared>,
        state: Arc<Mutex<ControlState>>,
    ) -> anyhow::Result<Alerts> {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(AlertStats::default());
        let mut backlogs = Vec::new();
        let mut workers = Vec::new();
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_millis(cfg.timeout_ms))
            .user_agent("cassandra-alerts")
            .build()
            .map_err(|e| anyhow::anyhow!("alerts HTTP client: {}", e.without_url()))?;
        let mut specs: Vec<(Dest, worker::Endpoint)> = Vec::new();
        if cfg.enabled {
            if let Some((token, chat)) = secrets.telegram() {
                specs.push((
                    Dest::Telegram,
                    worker::Endpoint::Telegram {
                        api: cfg.telegram_api.trim_end_matches('/').to_string(),
                        token: token.to_string(),
                        chat: chat.to_string(),
                    },
                ));
            }
            if let Some(url) = &secrets.discord_webhook {
                specs.push((
                    Dest::Discord,
                    worker::Endpoint::Discord {
                        url: url.clone(),
                        username: cfg.discord_username.clone(),
                    },
                ));
            }
        }
        let mut rxs = Vec::new();
        for (dest, _) in &specs {
            let (tx, rx) = crossbeam::channel::bounded(cfg.backlog);
            let (urgent_tx, urgent_rx) = crossbeam::channel::bounded(64);
            backlogs.push(Backlog {
                dest: *dest,
                tx,
                rx: rx.clone(),
                urgent: urgent_tx,
            });
            rxs.push((rx, urgent_rx));
        }
        let tx = AlertTx {
            inner: Arc::new(TxInner {
                backlogs,
                triggers: cfg.triggers.clone(),
                paper: cfg.paper,
                enabled: cfg.enabled,
                muted: AtomicBool::new(false),
                shared: shared.clone(),
                stats: stats.clone(),
                assets,
            }),
        };
        for ((dest, endpoint), (rx, urgent)) in specs.into_iter().zip(rxs) {
            let w = worker::Worker {
                dest,
                endpoint,
                rx,
                urgent,
                client: client.clone(),
                tx: tx.clone(),
                stop: stop.clone(),
                shared: shared.clone(),
                min_interval: Duration::from_millis(match dest {
                    Dest::Telegram => cfg.telegram_min_interval_ms,
                    Dest::Discord => cfg.discord_min_interval_ms,
                }),
                retry_base: Duration::from_millis(cfg.retry_base_ms),
                retry_max: Duration::from_millis(cfg.retry_max_ms),
                max_attempts: cfg.max_attempts,
            };
            let name = match dest {
                Dest::Telegram => "alerts-telegram",
                Dest::Discord => "alerts-discord",
            };
            workers.push(
                std::thread::Builder::new()
                    .name(name.into())
                    .spawn(move || w.run())?,
            );
        }
        let mut commands = None;
        if cfg.enabled && cfg.commands {
            if let Some((token, chat)) = secrets.telegram() {
                let poller = commands::CommandPoller::new(
                    cfg,
                    token,
                    chat,
                    shared.clone(),
                    state,
                    tx.clone(),
                    stop.clone(),
                )?;
                commands = Some(
                    std::thread::Builder::new()
                        .name("telegram-commands".into())
                        .spawn(move || poller.run())?,
                );
            }
        }
        Ok(Alerts {
            tx,
            stop,
            workers,
            commands,
        })
    }

    pub fn tx(&self) -> AlertTx {
        self.tx.clone()
    }

    pub fn stats(&self) -> &AlertStats {
        self.tx.stats()
    }

    /// Stop: workers get up to two seconds to flush their backlogs, then are joined. The
    /// command poller is not joined (it may sit in a long poll); it exits when that returns.
    pub fn shutdown(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        drop(self.commands.take());
    }
}

impl Drop for Alerts {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
