//! The simulated CLOB's trading side, mounted on the simulator's HTTP server and speaking the
//! venue's wire format (docs/venue/polymarket.md §3–§4 and §10,
//! docs.polymarket.com/resources/error-codes). It is at least as strict as the venue: what
//! the venue refuses it refuses, in the venue's words (`docs/venue/clob-rules.md` lists
//! every rule with its source).
//!
//! One idea per file:
//! - [`routes`]: mounting, and the fault switches every route obeys first;
//! - [`auth`]: L1/L2 authentication and the API-key routes;
//! - [`orders`]: `POST /order`, the checks in the venue's order;
//! - [`rules`]: each order rule as a pure check, with the venue's refusal text;
//! - [`matching`]: walking the live book;
//! - [`accounts`]: wallets (EOA, proxy, Safe, deposit wallet), pUSD, tokens, allowances,
//!   fees, and the CLOB's cached balance view;
//! - [`lifecycle`]: resting and delayed orders, trades MATCHED → MINED → CONFIRMED or
//!   FAILED, heartbeats;
//! - [`queries`], [`cancels`]: the read, cancel and heartbeat routes;
//! - [`user_channel`]: the user WebSocket (`/ws/user`), `trade` and `order` events;
//! - [`records`], [`wire`]: the order log for tests, and the JSON shapes.
//!
//! Accounts are strict by default: a key's EOA wallet starts with no pUSD and no allowance.
//! Tests and the demo fund it ([`SimClob::fund`]) the way an operator would (deposit,
//! approve, refresh the CLOB's cache).
//!
//! Winning tokens are redeemed through the simulator's JSON-RPC (`redeemPositions`, see
//! `super::rpc`) from an EOA wallet, or through the simulated relayer's `WALLET` batches
//! from a deposit wallet (`super::relayer`); proxy and Safe relayer transactions are not
//! modelled.
//!
//! Limits: no maker side from other traders (a resting order fills only when a fault parks
//! it, or not at all), no `/orders` batch, no neg-risk markets, no proxy/Safe relayer, the
//! conditional-token cache is never stale, a marketable BUY is filled for its share leg, the
//! user channel is served on the HTTP port (`ws://…/ws/user`), not beside the market channel.

mod accounts;
mod auth;
mod cancels;
mod lifecycle;
mod matching;
mod orders;
mod queries;
mod records;
mod routes;
mod rules;
mod user_channel;
mod wire;

pub use accounts::{FeeSchedule, SimBalance, WalletKind};
pub use lifecycle::{LifecycleConfig, OrderStatus, SimOrder, SimTrade, TradeStatus};
pub use records::{SimOrderRecord, SimVerdict};
pub use rules::{L2_TIMESTAMP_WINDOW_S, MIN_MARKETABLE_BUY_U6, MIN_ORDER_SIZE_U6};

pub(crate) use auth::check_l2;
pub(crate) use lifecycle::settle;
pub(crate) use routes::routes;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

use crate::clob::auth::{Credentials, L2Signer};
use crate::clob::order::{Address, Chain, Exchange};

/// Everything the CLOB holds, behind one lock (taken after the world's, never before).
#[derive(Default)]
pub(crate) struct ClobState {
    pub keys: HashMap<String, auth::KeyEntry>,
    /// (EOA, nonce) → API key, for keys made through L1.
    pub by_nonce: HashMap<([u8; 20], u64), String>,
    pub accounts: accounts::Accounts,
    pub accepted_salts: HashSet<u64>,
    pub records: Vec<SimOrderRecord>,
    pub life: lifecycle::Lifecycle,
    pub fees: FeeSchedule,
}

/// The simulated CLOB's accounts, settings and logs, shared by the HTTP handlers and the
/// tests ([`super::Simulator::clob`]).
pub struct SimClob {
    state: Mutex<ClobState>,
    version: AtomicU8,
    chain_id: AtomicU64,
    cancel_alls: AtomicU64,
}

impl Default for SimClob {
    fn default() -> Self {
        SimClob {
            state: Mutex::new(ClobState::default()),
            version: AtomicU8::new(2),
            chain_id: AtomicU64::new(Chain::Polygon.chain_id()),
            cancel_alls: AtomicU64::new(0),
        }
    }
}

impl SimClob {
    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, ClobState> {
        // A panicking handler must not take the whole simulator down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers API credentials belonging to `eoa` (the `POLY_ADDRESS` they sign with), and
    /// `eoa`'s own wallet (empty) if it has none yet.
    pub fn add_credentials(&self, creds: Credentials, eoa: Address) {
        let Ok(l2) = L2Signer::new(&creds) else {
            return;
        };
        let key = creds.api_key().to_string();
        let mut st = self.state();
        st.keys.insert(key, auth::KeyEntry { creds, l2, eoa });
        st.accounts
            .wallets
            .entry(*eoa.bytes())
            .or_insert_with(|| accounts::Wallet::new(*eoa.bytes(), WalletKind::Eoa));
    }

    /// Registers `funder` as a proxy wallet of `eoa` (orders of type 1 may name it as
    /// maker). See [`SimClob::add_wallet`] for the other kinds.
    pub fn add_funder(&self, eoa: Address, funder: Address) {
        self.add_wallet(eoa, funder, WalletKind::Proxy);
    }

    /// Registers `wallet` as `eoa`'s wallet of `kind`. A deposit wallet makes `eoa` a
    /// post-2026-05 account: its orders must use signature type 3 with that wallet.
    pub fn add_wallet(&self, eoa: Address, wallet: Address, kind: WalletKind) {
        let mut st = self.state();
        let w = st
            .accounts
            .wallets
            .entry(*wallet.bytes())
            .or_insert_with(|| accounts::Wallet::new(*eoa.bytes(), kind));
        w.owner = *eoa.bytes();
        w.kind = kind;
    }

    /// Credits `pusd_u6` to `wallet` on chain (the CLOB sees it after a refresh).
    pub fn deposit(&self, wallet: &Address, pusd_u6: u64) {
        if let Some(w) = self.state().accounts.wallets.get_mut(wallet.bytes()) {
            w.pusd_u6 = w.pusd_u6.saturating_add(pusd_u6);
        }
    }

    /// Sets `wallet`'s on-chain pUSD allowance to the exchanges (`u64::MAX`: unlimited).
    pub fn approve(&self, wallet: &Address, allowance_u6: u64) {
        if let Some(w) = self.state().accounts.wallets.get_mut(wallet.bytes()) {
            w.allowance_u6 = allowance_u6;
        }
    }

    /// What `GET /balance-allowance/update` does: the CLOB's cache takes the chain's values
    /// (`approved_on_chain`: an unlimited approval seen on the JSON-RPC node).
    pub fn refresh_cache(&self, wallet: &Address, approved_on_chain: bool) {
        if let Some(w) = self.state().accounts.wallets.get_mut(wallet.bytes()) {
            w.cached_pusd_u6 = w.pusd_u6;
            w.cached_allowance_u6 = if approved_on_chain {
                u64::MAX
            } else {
                w.allowance_u6
            };
        }
    }

    /// Deposit, unlimited approval and cache refresh in one: a funded, ready wallet.
    pub fn fund(&self, wallet: &Address, pusd_u6: u64) {
        self.deposit(wallet, pusd_u6);
        self.approve(wallet, u64::MAX);
        self.refresh_cache(wallet, true);
    }

    /// Gives `wallet` outcome tokens (for SELL tests).
    pub fn give_tokens(&self, wallet: &Address, token: &str, shares_u6: u64) {
        if let Some(w) = self.state().accounts.wallets.get_mut(wallet.bytes()) {
            *w.tokens.entry(token.to_string()).or_insert(0) += shares_u6;
        }
    }

    /// Takes up to `shares_u6` of `token` out of `wallet`, as a transfer made outside the
    /// product would (tests: a position changed behind the ledger's back). Returns what left.
    pub fn take_tokens(&self, wallet: &Address, token: &str, shares_u6: u64) -> u64 {
        let mut st = self.state();
        let Some(w) = st.accounts.wallets.get_mut(wallet.bytes()) else {
            return 0;
        };
        let Some(held) = w.tokens.get_mut(token) else {
            return 0;
        };
        let taken = shares_u6.min(*held);
        *held -= taken;
        if *held == 0 {
            w.tokens.remove(token);
        }
        taken
    }

    /// Redeems `wallet`'s tokens of a settled market: 1 pUSD (on chain) per `winner` share,
    /// both outcomes' tokens burnt. Returns the payout (1e-6 pUSD).
    pub(crate) fn redeem(&self, wallet: &Address, winner: &str, loser: &str) -> u64 {
        let mut st = self.state();
        let Some(w) = st.accounts.wallets.get_mut(wallet.bytes()) else {
            return 0;
        };
        let payout = w.tokens.remove(winner).unwrap_or(0);
        w.tokens.remove(loser);
        w.pusd_u6 = w.pusd_u6.saturating_add(payout);
        payout
    }

    /// Who owns `wallet`, and its kind (`None`: not registered).
    pub fn wallet_owner(&self, wallet: &Address) -> Option<(Address, WalletKind)> {
        self.state()
            .accounts
            .wallets
            .get(wallet.bytes())
            .map(|w| (Address::from_bytes(w.owner), w.kind))
    }

    /// A wallet's funds, or `None` if it is not registered.
    pub fn balance(&self, wallet: &Address) -> Option<SimBalance> {
        self.state()
            .accounts
            .wallets
            .get(wallet.bytes())
            .map(SimBalance::from)
    }

    /// The fee schedule charged on every market (default: what `/clob-markets` serves).
    pub fn set_fee_schedule(&self, fees: FeeSchedule) {
        self.state().fees = fees;
    }

    pub fn fee_schedule(&self) -> FeeSchedule {
        self.state().fees
    }

    /// The lifecycle's delays (trade settlement, heartbeat timeout, delayed matching).
    pub fn set_lifecycle(&self, cfg: LifecycleConfig) {
        self.state().life.cfg = cfg;
    }

    pub fn lifecycle(&self) -> LifecycleConfig {
        self.state().life.cfg
    }

    /// Every trade, in match order, with its status now (funds of a FAILED trade come back
    /// at the next settle: any CLOB request or `Simulator::settle_clob`).
    pub fn trades(&self) -> Vec<(SimTrade, TradeStatus)> {
        let now = crate::clock::wall_ms();
        self.state()
            .life
            .trades
            .iter()
            .map(|t| (t.clone(), t.status_at(now)))
            .collect()
    }

    /// An order the CLOB keeps, by id.
    pub fn order(&self, id: &str) -> Option<SimOrder> {
        self.state().life.orders.get(id).cloned()
    }

    /// Resting orders cancelled because their key's heartbeats stopped.
    pub fn heartbeat_cancels(&self) -> u64 {
        self.state().life.heartbeat_cancels
    }

    /// The credentials `POST /auth/api-key` issues to `eoa` for `nonce` (deterministic, so a
    /// test can know them in advance; `GET /auth/derive-api-key` returns the same once made).
    pub fn derived_credentials(eoa: &Address, nonce: u64) -> Credentials {
        auth::derived_credentials(eoa, nonce)
    }

    /// Every `POST /order` received, in arrival order.
    pub fn orders(&self) -> Vec<SimOrderRecord> {
        self.state().records.clone()
    }

    /// How many `DELETE /cancel-all` were authenticated and answered.
    pub fn cancel_all_count(&self) -> u64 {
        self.cancel_alls.load(Ordering::SeqCst)
    }

    pub(crate) fn count_cancel_all(&self) {
        self.cancel_alls.fetch_add(1, Ordering::SeqCst);
    }

    /// The order version `GET /version` serves and orders must be signed for: 2 (default;
    /// CTF Exchange V2, domain "2") or 3 (Exchange V3, domain "3").
    pub fn set_version(&self, version: u8) {
        self.version.store(version, Ordering::SeqCst);
    }

    pub fn version(&self) -> u8 {
        self.version.load(Ordering::SeqCst)
    }

    /// The chain whose EIP-712 domains orders and ClobAuth are verified on (default Polygon).
    pub fn set_chain(&self, chain: Chain) {
        self.chain_id.store(chain.chain_id(), Ordering::SeqCst);
    }

    pub fn chain(&self) -> Chain {
        Chain::from_chain_id(self.chain_id.load(Ordering::SeqCst)).unwrap_or(Chain::Polygon)
    }

    pub(crate) fn exchange(&self) -> Exchange {
        if self.version() == 3 {
            Exchange::V3
        } else {
            Exchange::CtfV2
        }
    }
}
