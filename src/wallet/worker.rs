//! The control-side wallet thread of live mode: before each window (when discovery first
//! lists it, ahead of its open) it refreshes and reads the CLOB's pUSD balance view and pauses new orders (mode `off`, with a critical alert; never a panic, never
//! the kill switch) while it is below `[live] min_pusd_usdc`, resuming live once it is back;
//! it watches every discovered window's condition and redeems resolved winning positions
//! ([`super::redeem::Redeemer`]); it keeps [`WalletView`] (cash vs redeemable tokens) in the
//! control state for the API, and hands each [`Redeemed`] to whoever books it (the venue
//! ledger) over a channel.
//!
//! Never on the hot path: blocking HTTP on its own thread, polling every
//! `[live] redeem_interval_ms` (and at most every second while orders are paused).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::control::state::{Alert, ControlState};
use crate::pipeline::shared::{Mode, Shared};

use super::clob_funds::ClobFundsClient;
use super::redeem::{
    alert_text, fmt_u6, lost_text, RedeemEvent, RedeemTarget, Redeemable, Redeemed, Redeemer,
};

/// The wallet as the API shows it: cash (pUSD the CLOB can trade with) apart from winning
/// tokens that are worth pUSD but are not cash until redeemed.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct WalletView {
    /// The wallet that holds the funds.
    pub holder: String,
    pub signature_type: u8,
    /// The CLOB's cached pUSD balance (1e-6) as last read; `None` before the first read.
    pub cash_pusd_u6: Option<u64>,
    pub cash_read_ms: u64,
    /// Resolved winning tokens not redeemed yet (not cash).
    pub redeemable: Vec<Redeemable>,
    /// Redemptions made by this process, newest last (at most 50 kept).
    pub redeemed: Vec<Redeemed>,
    /// Markets resolved against the only tokens held (nothing to redeem; booked as losses),
    /// newest last (at most 50 kept).
    pub lost: Vec<Redeemed>,
    /// New orders paused because the pUSD balance is below `[live] min_pusd_usdc`.
    pub funds_paused: bool,
    /// Redeeming resolved winners automatically (`[live] redeem`).
    pub redeem_enabled: bool,
    pub last_error: Option<String>,
}

/// The worker's parts; [`WalletWorker::spawn`] runs it until the pipeline stops.
pub struct WalletWorker {
    pub redeemer: Option<Redeemer>,
    pub clob: Option<ClobFundsClient>,
    pub min_pusd_u6: u64,
    pub interval: Duration,
    pub state: Arc<Mutex<ControlState>>,
    pub shared: Arc<Shared>,
    /// Every redemption, once, for the venue ledger.
    pub redeemed_tx: Option<crossbeam::channel::Sender<Redeemed>>,
    pub view: WalletView,
    watched: HashSet<String>,
    checked_starts: HashSet<u64>,
    /// Warnings already raised: a condition that persists (no relayer key, the CLOB
    /// unreachable) is told once, not every round.
    raised: HashSet<String>,
}

fn alert(state: &Mutex<ControlState>, level: &str, kind: &str, message: String) {
    if let Ok(mut st) = state.lock() {
        st.push_alert(Alert {
            ts_ms: crate::clock::wall_ms(),
            level: level.into(),
            kind: kind.into(),
            message,
        });
    }
}

impl WalletWorker {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        redeemer: Option<Redeemer>,
        clob: Option<ClobFundsClient>,
        min_pusd_u6: u64,
        interval: Duration,
        state: Arc<Mutex<ControlState>>,
        shared: Arc<Shared>,
        view: WalletView,
    ) -> WalletWorker {
        WalletWorker {
            redeemer,
            clob,
            min_pusd_u6,
            interval,
            state,
            shared,
            redeemed_tx: None,
            view,
            watched: HashSet::new(),
            checked_starts: HashSet::new(),
            raised: HashSet::new(),
        }
    }

    /// Runs on a thread named `wallet` until the pipeline stops.
    pub fn spawn(mut self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("wallet".into())
            .spawn(move || {
                while self.shared.is_running() {
                    self.tick(crate::clock::wall_ms() / 1000);
                    let wait = if self.view.funds_paused {
                        self.interval.min(Duration::from_secs(1))
                    } else {
                        self.interval
                    };
                    let mut slept = Duration::ZERO;
                    while slept < wait && self.shared.is_running() {
                        std::thread::sleep(Duration::from_millis(50));
                        slept += Duration::from_millis(50);
                    }
                }
            })
    }

    /// One round: funds before a new window (or while paused), watch windows, redeem.
    pub fn tick(&mut self, now_s: u64) {
        let windows: Vec<(RedeemTarget, u64)> = match self.state.lock() {
            Ok(st) => st
                .windows
                .iter()
                .map(|w| {
                    (
                        RedeemTarget {
                            condition_id: w.condition_id.clone(),
                            up_token: w.up_token.clone(),
                            down_token: w.down_token.clone(),
                            end_s: w.end_s,
                        },
                        w.start_s,
                    )
                })
                .collect(),
            Err(_) => return,
        };
        // A window appears in discovery before it opens (the next one is pre-registered):
        // its funds are checked then, before any order of it.
        let new_window = windows
            .iter()
            .any(|(_, start)| !self.checked_starts.contains(start));
        if new_window || self.view.funds_paused || self.view.cash_pusd_u6.is_none() {
            for (_, start) in &windows {
                self.checked_starts.insert(*start);
            }
            self.check_funds();
        }
        if let Some(r) = self.redeemer.as_mut() {
            for (t, _) in &windows {
                if self.watched.insert(t.condition_id.clone()) {
                    if let Err(e) = r.watch(t) {
                        self.view.last_error = Some(e);
                    }
                }
            }
            for ev in r.pass(now_s) {
                match ev {
                    RedeemEvent::Redeemed(x) => {
                        alert(&self.state, "info", "redeemed", alert_text(&x));
                        if let Some(tx) = &self.redeemed_tx {
                            let _ = tx.send(x.clone());
                        }
                        self.view.redeemed.push(x);
                        if self.view.redeemed.len() > 50 {
                            self.view.redeemed.remove(0);
                        }
                    }
                    RedeemEvent::Lost(x) => {
                        alert(&self.state, "info", "lost", lost_text(&x));
                        if let Some(tx) = &self.redeemed_tx {
                            let _ = tx.send(x.clone());
                        }
                        self.view.lost.push(x);
                        if self.view.lost.len() > 50 {
                            self.view.lost.remove(0);
                        }
                    }
                    RedeemEvent::Alert { text, .. } => {
                        if self.raised.insert(text.clone()) {
                            alert(&self.state, "warning", "redemption", text.clone());
                        }
                        self.view.last_error = Some(text);
                    }
                    RedeemEvent::Pending { .. } => {}
                }
            }
            self.view.redeemable = r.view().to_vec();
        }
        if let Ok(mut st) = self.state.lock() {
            st.wallet = Some(self.view.clone());
        }
    }

    fn check_funds(&mut self) {
        let Some(clob) = &self.clob else {
            return;
        };
        // The CLOB's view is a cache a deposit reaches only through a refresh.
        let funds = match clob.refresh().and_then(|()| clob.read()) {
            Ok(f) => f,
            Err(e) => {
                let text = format!("pUSD balance not readable from the CLOB: {e}");
                if self.raised.insert(text.clone()) {
                    alert(&self.state, "warning", "funds", text.clone());
                }
                self.view.last_error = Some(text);
                return;
            }
        };
        let cash = u64::try_from(funds.balance_u6).unwrap_or(u64::MAX);
        self.view.cash_pusd_u6 = Some(cash);
        self.view.cash_read_ms = crate::clock::wall_ms();
        let short = cash < self.min_pusd_u6;
        let mode = self.shared.mode();
        if short && !self.view.funds_paused && mode == Mode::Live {
            self.shared.set_mode(Mode::Off);
            self.view.funds_paused = true;
            alert(
                &self.state,
                "critical",
                "funds",
                format!(
                    "pUSD balance {} in {} is below live.min_pusd_usdc {}: new orders paused \
                     (mode off) until it is back. Deposit pUSD to that wallet (winning tokens \
                     count only once redeemed).",
                    fmt_u6(cash),
                    self.view.holder,
                    fmt_u6(self.min_pusd_u6)
                ),
            );
        } else if !short && self.view.funds_paused {
            self.view.funds_paused = false;
            // Only undo our own pause: an operator's mode change since stands.
            if mode == Mode::Off {
                self.shared.set_mode(Mode::Live);
            }
            alert(
                &self.state,
                "info",
                "funds",
                format!(
                    "pUSD balance {} is back above the minimum: live orders resume",
                    fmt_u6(cash)
                ),
            );
        }
    }
}

/// Builds and starts the wallet thread for a live run: the CLOB balance view with the run's
/// credentials, the redeemer (sending when `[live] redeem`) with its state file, the relayer
/// when its API key is in `env` (deposit wallets). Each redemption is also sent on
/// `redeemed_tx` once (the venue ledger's hook). `None` when the mode is not live.
pub fn start_for_live(
    cfg: &crate::config::Config,
    live: &crate::runtime::LiveSetup,
    shared: Arc<Shared>,
    state: Arc<Mutex<ControlState>>,
    env: &dyn Fn(&str) -> Option<String>,
    redeemed_tx: Option<crossbeam::channel::Sender<Redeemed>>,
) -> anyhow::Result<Option<std::thread::JoinHandle<()>>> {
    if cfg.mode != Mode::Live {
        return Ok(None);
    }
    let setup = super::WalletSetup {
        key: live.key.clone(),
        signature_type: live.signature_type,
        funder: live.funder,
        chain: live.chain,
    };
    let clob = ClobFundsClient::new(
        &live.clob,
        live.creds.clone(),
        setup.eoa(),
        setup.signature_type,
    )
    .map_err(|e| anyhow::anyhow!("wallet: {e}"))?;
    let redeemer = {
        let chain = super::chain::ChainIo::new(&cfg.venues.polygon_rpc, live.chain)
            .map_err(|e| anyhow::anyhow!("wallet: {e}"))?;
        let relayer = match super::setup::RelayerCreds::from_lookup(env) {
            Ok(c) => Some(
                super::relayer::Relayer::new(&cfg.venues.relayer, c)
                    .map_err(|e| anyhow::anyhow!("wallet: {e}"))?,
            ),
            Err(_) => None,
        };
        let store =
            super::redeem::RedeemStore::open(std::path::Path::new(&cfg.live.redemptions_path))
                .map_err(|e| {
                    anyhow::anyhow!("redemption state {:?}: {e}", cfg.live.redemptions_path)
                })?;
        let clob_after = ClobFundsClient::new(
            &live.clob,
            live.creds.clone(),
            setup.eoa(),
            setup.signature_type,
        )
        .map_err(|e| anyhow::anyhow!("wallet: {e}"))?;
        let mut r = Redeemer::new(setup.clone(), chain, relayer, Some(clob_after), store);
        // Off: resolved winners are still watched and shown as redeemable, never sent.
        r.send = cfg.live.redeem;
        Some(r)
    };
    let view = WalletView {
        holder: setup.holder().as_str().to_string(),
        signature_type: setup.signature_type as u8,
        redeem_enabled: cfg.live.redeem,
        ..WalletView::default()
    };
    let mut worker = WalletWorker::new(
        redeemer,
        Some(clob),
        (cfg.live.min_pusd_usdc * 1e6).round() as u64,
        Duration::from_millis(cfg.live.redeem_interval_ms.max(100)),
        state,
        shared,
        view,
    );
    worker.redeemed_tx = redeemed_tx;
    Ok(Some(worker.spawn()?))
}
