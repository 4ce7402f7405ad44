//! Whale monitoring: the recent trades of followed wallets, from the Polymarket Data API.
//!
//! One control-side thread (`whales`) with one blocking HTTP client polls
//! `GET {data_api}/trades?user=<addr>&limit=N&takerOnly=false` for each wallet of
//! `config/whales.toml`, once per `whales.interval_ms`, spacing requests by `request_gap_ms`.
//! On 429 it waits `Retry-After` (or an exponential backoff when absent), on other errors an
//! exponential backoff capped at `backoff_max_ms`; it never stops polling while the process
//! runs. Polls overlap (the `limit` exceeds what a wallet trades in one interval), so each row
//! is checked against a bounded memory of seen keys ([`dedup`]). Rows outside the 15-minute
//! markets are dropped when `only_15m`; rows older than `max_age_s` when first seen (the
//! history of a first poll) are remembered, not published.
//!
//! A new trade goes to: [`ControlState::whale_trades`] (bounded) and
//! [`ControlState::whale_bias`] (see [`bias`]); the journal channel, if one is attached
//! (dropped and counted when full); and an alert when it is large and `alert_large` is on.
//!
//! Nothing here touches a hot thread. The state lock is taken once per poll that found
//! something.

pub mod bias;
pub mod config;
pub mod dedup;
pub mod wire;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clock::wall_ms;
use crate::control::alerts::{Alert, AlertTx};
use crate::control::state::ControlState;
use crate::pipeline::shared::Shared;

pub use bias::WhaleBias;
pub use config::{Wallet, WalletList, WhalesConfig};
pub use dedup::{trade_key, SeenKeys};
pub use wire::{DataApiTrade, TradeSide, WhaleOutcome, WhaleTrade};

/// The journal's record of a whale trade: what to write, one row per trade.
pub type WhaleJournalEvent = WhaleTrade;

/// What the poller counted. Read at any time.
#[derive(Debug, Default)]
pub struct WhaleStats {
    pub requests: AtomicU64,
    /// 429 answers.
    pub rate_limited: AtomicU64,
    /// Transport errors, other HTTP errors and bad bodies.
    pub errors: AtomicU64,
    /// Rows received, duplicates included.
    pub rows: AtomicU64,
    pub duplicates: AtomicU64,
    /// Rows dropped by the 15-minute filter or as malformed.
    pub filtered: AtomicU64,
    /// Rows too old when first seen.
    pub too_old: AtomicU64,
    pub published: AtomicU64,
    pub large: AtomicU64,
    /// Trades the journal channel had no room for.
    pub journal_dropped: AtomicU64,
}

/// A plain copy of [`WhaleStats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WhaleStatsSnapshot {
    pub requests: u64,
    pub rate_limited: u64,
    pub errors: u64,
    pub rows: u64,
    pub duplicates: u64,
    pub filtered: u64,
    pub too_old: u64,
    pub published: u64,
    pub large: u64,
    pub journal_dropped: u64,
}

impl WhaleStats {
    pub fn snapshot(&self) -> WhaleStatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WhaleStatsSnapshot {
            requests: g(&self.requests),
            rate_limited: g(&self.rate_limited),
            errors: g(&self.errors),
            rows: g(&self.rows),
            duplicates: g(&self.duplicates),
            filtered: g(&self.filtered),
            too_old: g(&self.too_old),
            published: g(&self.published),
            large: g(&self.large),
            journal_dropped: g(&self.journal_dropped),
        }
    }
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

/// The pure part of the poller: rows in, new trades out. No I/O, testable alone.
#[derive(Debug)]
pub struct WhaleTracker {
    seen: SeenKeys,
    only_15m: bool,
    large_usdc: f64,
    max_age_s: u64,
}

impl WhaleTracker {
    pub fn new(cfg: &WhalesConfig) -> WhaleTracker {
        WhaleTracker {
            seen: SeenKeys::new(cfg.seen_capacity),
            only_15m: cfg.only_15m,
            large_usdc: cfg.large_notional_usdc,
            max_age_s: cfg.max_age_s,
        }
    }

    /// The trades of `rows` (one `/trades` answer for `wallet`, any order) not seen before,
    /// that pass the filters, oldest first.
    pub fn ingest(
        &mut self,
        wallet: &Wallet,
        rows: &[DataApiTrade],
        now_s: u64,
        stats: &WhaleStats,
    ) -> Vec<WhaleTrade> {
        let mut out = Vec::new();
        for row in rows {
            bump(&stats.rows);
            if !self.seen.insert(trade_key(&wallet.address, row)) {
                bump(&stats.duplicates);
                continue;
            }
            match wire::to_whale_trade(row, wallet, self.only_15m, self.large_usdc) {
                Ok(t) if t.time_s + self.max_age_s < now_s => bump(&stats.too_old),
                Ok(t) => out.push(t),
                Err(_) => bump(&stats.filtered),
            }
        }
        out.sort_by_key(|t| t.time_s);
        out
    }

    pub fn seen_len(&self) -> usize {
        self.seen.len()
    }
}

/// Why a poll failed. All are transient: the poller waits and goes on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// 429: wait `retry_after` when given, else back off.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    #[error("HTTP {0}")]
    Status(u16),
    /// Connection, timeout, TLS (never carries the URL).
    #[error("transport: {0}")]
    Transport(String),
    #[error("{0}")]
    Bad(String),
}

/// `Retry-After` in seconds (integer or fractional). HTTP dates are not used by these venues.
pub fn parse_retry_after(v: Option<&reqwest::header::HeaderValue>) -> Option<Duration> {
    let s = v?.to_str().ok()?.trim().parse::<f64>().ok()?;
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s.min(3600.0)))
}

/// The poller thread's settings and connections.
pub struct WhalePoller {
    cfg: WhalesConfig,
    wallets: Vec<Wallet>,
    data_api: String,
    window_length_s: u64,
    shared: Arc<Shared>,
    state: Arc<Mutex<ControlState>>,
    alerts: Option<AlertTx>,
    journal: Option<crossbeam::channel::Sender<WhaleJournalEvent>>,
    stats: Arc<WhaleStats>,
}

impl WhalePoller {
    /// `data_api`: base URL (`[venues] data_api`); `window_length_s`: for expiring biases.
    pub fn new(
        cfg: &WhalesConfig,
        data_api: &str,
        window_length_s: u64,
        shared: Arc<Shared>,
        state: Arc<Mutex<ControlState>>,
    ) -> anyhow::Result<WhalePoller> {
        let wallets = cfg.wallets().map_err(anyhow::Error::msg)?;
        Ok(WhalePoller {
            cfg: cfg.clone(),
            wallets,
            data_api: data_api.trim_end_matches('/').to_string(),
            window_length_s: window_length_s.max(1),
            shared,
            state,
            alerts: None,
            journal: None,
            stats: Arc::new(WhaleStats::default()),
        })
    }

    /// Replace the wallet list (tests, or a list built elsewhere).
    pub fn with_wallets(mut self, wallets: Vec<Wallet>) -> Self {
        self.wallets = wallets;
        self
    }

    /// Alert on large trades through `tx` (when `alert_large`).
    pub fn with_alerts(mut self, tx: AlertTx) -> Self {
        self.alerts = Some(tx);
        self
    }

    /// Also hand every published trade to the journal writer (never blocks: full = dropped and
    /// counted in `journal_dropped`).
    pub fn with_journal(mut self, tx: crossbeam::channel::Sender<WhaleJournalEvent>) -> Self {
        self.journal = Some(tx);
        self
    }

    pub fn stats(&self) -> Arc<WhaleStats> {
        self.stats.clone()
    }

    /// Start the `whales` thread; it ends when `shared` stops running.
    pub fn spawn(self) -> anyhow::Result<JoinHandle<()>> {
        Ok(std::thread::Builder::new()
            .name("whales".into())
            .spawn(move || self.run())?)
    }

    fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while self.shared.is_running() {
            let now = Instant::now();
            if now >= until {
                return;
            }
            std::thread::sleep((until - now).min(Duration::from_millis(20)));
        }
    }

    fn fetch(
        &self,
        client: &reqwest::blocking::Client,
        w: &Wallet,
    ) -> Result<Vec<DataApiTrade>, FetchError> {
        bump(&self.stats.requests);
        let url = format!("{}/trades", self.data_api);
        let limit = self.cfg.limit.to_string();
        let resp = client
            .get(url)
            .query(&[
                ("user", w.address.as_str()),
                ("limit", limit.as_str()),
                ("takerOnly", "false"),
            ])
            .send()
            .map_err(|e| FetchError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        if status == 429 {
            return Err(FetchError::RateLimited {
                retry_after: parse_retry_after(resp.headers().get("retry-after")),
            });
        }
        if status != 200 {
            return Err(FetchError::Status(status));
        }
        let body = resp
            .bytes()
            .map_err(|e| FetchError::Transport(e.without_url().to_string()))?;
        wire::parse_trades(&body).map_err(FetchError::Bad)
    }

    fn publish(&self, trades: Vec<WhaleTrade>) {
        let now_s = wall_ms() / 1000;
        {
            let mut st = self.state.lock().expect("state");
            for t in &trades {
                if st.whale_trades.len() >= self.cfg.recent {
                    st.whale_trades.pop_front();
                }
                st.whale_trades.push_back(t.clone());
                st.whale_trades_total += 1;
                bias::apply(&mut st.whale_bias, t);
            }
            bias::expire(&mut st.whale_bias, now_s, self.window_length_s);
        }
        for t in trades {
            bump(&self.stats.published);
            if t.large {
                bump(&self.stats.large);
                if self.cfg.alert_large {
                    if let Some(a) = &self.alerts {
                        a.send(Alert::Whale(t.clone()));
                    }
                }
            }
            if let Some(j) = &self.journal {
                if j.try_send(t).is_err() {
                    bump(&self.stats.journal_dropped);
                }
            }
        }
    }

    fn run(mut self) {
        let client = match reqwest::blocking::Client::builder()
            .timeout(Duration::from_millis(self.cfg.timeout_ms))
            .user_agent("cassandra-whales")
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(
                    "whale poller: cannot build an HTTP client: {}",
                    e.without_url()
                );
                return;
            }
        };
        let mut tracker = WhaleTracker::new(&self.cfg);
        let wallets = std::mem::take(&mut self.wallets);
        let base = Duration::from_millis(self.cfg.request_gap_ms.max(100));
        let cap = Duration::from_millis(self.cfg.backoff_max_ms);
        let mut backoff = base;
        let mut last_error: Option<String> = None;
        while self.shared.is_running() {
            let cycle = Instant::now();
            for w in &wallets {
                if !self.shared.is_running() {
                    return;
                }
                match self.fetch(&client, w) {
                    Ok(rows) => {
                        backoff = base;
                        last_error = None;
                        let new = tracker.ingest(w, &rows, wall_ms() / 1000, &self.stats);
                        if !new.is_empty() {
                            self.publish(new);
                        }
                    }
                    Err(e) => {
                        let wait = match &e {
                            FetchError::RateLimited { retry_after } => {
                                bump(&self.stats.rate_limited);
                                retry_after.map_or(backoff, |r| r.min(cap))
                            }
                            _ => {
                                bump(&self.stats.errors);
                                backoff
                            }
                        };
                        let msg = e.to_string();
                        if last_error.as_deref() != Some(msg.as_str()) {
                            tracing::warn!(wallet = %w.name, "whale poll: {msg}; waiting {wait:?}");
                            last_error = Some(msg);
                        }
                        backoff = (backoff * 2).min(cap);
                        self.sleep(wait);
                    }
                }
                self.sleep(Duration::from_millis(self.cfg.request_gap_ms));
            }
            let interval = Duration::from_millis(self.cfg.interval_ms);
            self.sleep(interval.saturating_sub(cycle.elapsed()));
        }
    }
}
