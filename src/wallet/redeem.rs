//! Redemption of resolved winning positions: winning tokens are not cash until redeemed
//! (docs/venue/polymarket.md §10.6), so after a window resolves the holder's winning tokens
//! are redeemed for pUSD, from the wallet that holds them (an EOA's own transaction; a deposit
//! wallet's relayer batch).
//!
//! Contract:
//! - Every watched condition is in a small SQLite store ([`RedeemStore`]) with its state:
//!   `watching` → (`sending` → `sent` →) `done`, or `lost` (resolved, only losing tokens
//!   held: one [`RedeemEvent::Lost`] so the ledger books the loss), or `nothing` (resolved, no
//!   tokens held), or `blocked` (a wallet type this product cannot redeem for: the alert says what to
//!   do). The state is written *before* each step that reaches the chain.
//! - Never twice: the chain is read first (the market's payouts, the holder's token
//!   balances); a transaction whose outcome is unknown is re-checked (receipt, relayer state,
//!   balances), never resent with a new nonce; a resend after a crash reuses the nonce written
//!   before the first send, so at most one of them can execute.
//! - Each redemption yields exactly one [`Redeemed`] (the store's `done` transition happens
//!   once), with the exact pUSD the chain paid: the ledger consumes these.
//! - [`Redeemer::view`] tells redeemable tokens (resolved winners not yet redeemed: not cash)
//!   from redeemed cash.
//!
//! Control side only: blocking I/O.

use serde::Serialize;

use crate::clob::order::{Address, SignatureType};

use super::approvals::smart_wallet_refusal;
use super::batch::{parse_condition_id, redeem_positions, sign_batch, Call};
use super::chain::ChainIo;
use super::clob_funds::ClobFundsClient;
pub use super::redeem_store::RedeemStore;
use super::redeem_store::{now_ms, Row};
use super::relayer::{Relayer, TxState};
use super::WalletSetup;

/// A resolved winning position turned into pUSD: what the venue ledger books.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redeemed {
    pub condition_id: String,
    pub winning_token: String,
    /// Winning tokens burnt (1e-6 shares).
    pub shares_micro: u64,
    /// pUSD paid into the holder (1e-6).
    pub usdc_micro: u64,
    /// Transaction hash (EOA) or relayer transaction id (deposit wallet).
    pub tx: String,
}

/// What one pass found worth telling the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedeemEvent {
    Redeemed(Redeemed),
    /// A resolved market where the holder had only losing tokens: nothing to redeem, the
    /// position is lost (`usdc_micro` 0, `shares_micro` the losing shares held,
    /// `winning_token` the outcome that won). Once per condition, like `Redeemed`.
    Lost(Redeemed),
    /// Sent; its outcome is not known yet (re-checked next pass, never resent blindly).
    Pending {
        condition_id: String,
        tx: String,
    },
    /// This wallet type cannot be redeemed for by this product, or a send failed: the text
    /// says what happened and what to do.
    Alert {
        condition_id: String,
        text: String,
    },
}

/// What the chain says of a resolved condition for the holder.
struct Resolved {
    /// The winning token held with the best payout (empty when none is held).
    token: String,
    shares: u64,
    payout: u64,
    /// A token with a payout (the outcome that won).
    winner: String,
    /// Tokens held with no payout (1e-6 shares).
    losing_shares: u64,
}

/// A window whose tokens may need redeeming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedeemTarget {
    pub condition_id: String,
    /// Outcome index 0 (Up) and 1 (Down) token ids, decimal.
    pub up_token: String,
    pub down_token: String,
    pub end_s: u64,
}

/// Resolved winning tokens not redeemed yet: worth pUSD, but not cash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redeemable {
    pub condition_id: String,
    pub token: String,
    pub shares_micro: u64,
    pub state: String,
}

/// An EOA redemption without a receipt this long after it was sent is sent again with the
/// same nonce (it was dropped, or it is still pending: either way at most one executes).
pub const RESEND_AFTER_MS: i64 = 300_000;

/// The redemption worker's state: the wallet, the chain, the relayer for deposit wallets,
/// the CLOB (refreshed after each redemption), and the store.
pub struct Redeemer {
    pub setup: WalletSetup,
    pub chain: ChainIo,
    pub relayer: Option<Relayer>,
    pub clob: Option<ClobFundsClient>,
    pub store: RedeemStore,
    /// Send redemptions (`[live] redeem`); off, resolved winners are only watched and shown
    /// as redeemable.
    pub send: bool,
    redeemable: Vec<Redeemable>,
}

impl Redeemer {
    pub fn new(
        setup: WalletSetup,
        chain: ChainIo,
        relayer: Option<Relayer>,
        clob: Option<ClobFundsClient>,
        store: RedeemStore,
    ) -> Redeemer {
        Redeemer {
            setup,
            chain,
            relayer,
            clob,
            store,
            send: true,
            redeemable: Vec::new(),
        }
    }

    /// Watch a window's condition (kept across restarts).
    pub fn watch(&self, t: &RedeemTarget) -> Result<(), String> {
        self.store
            .watch(t)
            .map_err(|e| format!("redemption store: {e}"))
    }

    /// Resolved winning tokens not redeemed yet, as of the last pass.
    pub fn view(&self) -> &[Redeemable] {
        &self.redeemable
    }

    /// One pass over every open condition whose window ended by `now_s`.
    pub fn pass(&mut self, now_s: u64) -> Vec<RedeemEvent> {
        let mut events = Vec::new();
        let rows = match self.store.open_rows() {
            Ok(r) => r,
            Err(e) => {
                events.push(RedeemEvent::Alert {
                    condition_id: String::new(),
                    text: format!("redemption store unreadable: {e}"),
                });
                return events;
            }
        };
        self.redeemable.clear();
        for row in rows.into_iter().filter(|r| r.target.end_s <= now_s) {
            let cid = row.target.condition_id.clone();
            if let Err(text) = self.step(&row, &mut events) {
                events.push(RedeemEvent::Alert {
                    condition_id: cid,
                    text,
                });
            }
        }
        events
    }

    /// The holder's tokens of a resolved condition, or `None` while unresolved.
    fn winnings(&self, t: &RedeemTarget, cid: &[u8; 32]) -> Result<Option<Resolved>, String> {
        let rpc = |e: crate::clob::allowances::AllowanceError| e.to_string();
        let (den, nums) = self.chain.payouts(cid).map_err(rpc)?;
        if den == 0 {
            return Ok(None);
        }
        let holder = self.setup.holder();
        let mut r = Resolved {
            token: String::new(),
            shares: 0,
            payout: 0,
            winner: String::new(),
            losing_shares: 0,
        };
        for (token, num) in [(&t.up_token, nums[0]), (&t.down_token, nums[1])] {
            let held = self.chain.token_balance(&holder, token).map_err(rpc)?;
            let held = u64::try_from(held).unwrap_or(u64::MAX);
            if num == 0 {
                r.losing_shares = r.losing_shares.saturating_add(held);
                continue;
            }
            if r.winner.is_empty() {
                r.winner = token.clone();
            }
            if held > 0 {
                let payout = (u128::from(held) * num / den) as u64;
                if r.shares == 0 || payout > r.payout {
                    (r.token, r.shares, r.payout) = (token.clone(), held, payout);
                }
            }
        }
        Ok(Some(r))
    }

    fn step(&mut self, row: &Row, events: &mut Vec<RedeemEvent>) -> Result<(), String> {
        let t = &row.target;
        let cid = parse_condition_id(&t.condition_id)
            .ok_or_else(|| format!("condition id {:?} is not 0x + 64 hex", t.condition_id))?;
        let db = |e: rusqlite::Error| format!("redemption store: {e}");
        // The chain first: resolved? what does the holder still have?
        let Some(res) = self.winnings(t, &cid)? else {
            return Ok(()); // not resolved yet
        };
        let (token, shares, payout) = (res.token.clone(), res.shares, res.payout);
        if row.state == "sent" {
            return self.confirm(row, shares, events);
        }
        if shares == 0 {
            if row.state == "sending" {
                // Sent before a restart and since executed: the tokens are gone.
                if self.store.done(&t.condition_id).map_err(db)? {
                    events.push(RedeemEvent::Redeemed(self.redeemed_of(row, String::new())));
                }
                self.refresh_clob();
            } else if res.losing_shares > 0 {
                // Only losing tokens: nothing to redeem, but the market is over and lost.
                // Told once (the store's `lost` transition), so the ledger closes it at 0.
                if self.store.lost(&t.condition_id).map_err(db)? {
                    events.push(RedeemEvent::Lost(Redeemed {
                        condition_id: t.condition_id.clone(),
                        winning_token: res.winner.clone(),
                        shares_micro: res.losing_shares,
                        usdc_micro: 0,
                        tx: String::new(),
                    }));
                }
            } else {
                self.store
                    .set(
                        &t.condition_id,
                        "nothing",
                        "resolved; no winning tokens held",
                    )
                    .map_err(db)?;
            }
            return Ok(());
        }
        self.redeemable.push(Redeemable {
            condition_id: t.condition_id.clone(),
            token: token.clone(),
            shares_micro: shares,
            state: row.state.clone(),
        });
        if !self.send {
            return Ok(());
        }
        let holder = self.setup.holder();
        let collateral = Address::parse_hex(self.setup.chain.contracts().collateral).expect("pUSD");
        let ctf = Address::parse_hex(self.setup.chain.contracts().conditional_tokens).expect("CTF");
        let data = redeem_positions(&collateral, &cid);
        match self.setup.signature_type {
            SignatureType::Eoa => {
                let nonce = match row.nonce.filter(|_| row.state == "sending") {
                    Some(n) => n as u64,
                    None => self.chain.next_nonce(&holder).map_err(|e| e.to_string())?,
                };
                self.store
                    .reserve(&t.condition_id, u128::from(nonce), &token, shares, payout)
                    .map_err(db)?;
                match self.chain.send_call(&self.setup.key, nonce, &ctf, &data) {
                    Ok(tx) => self.after_send(row, &tx, events),
                    Err(e) if e.to_string().contains("nonce too low") => {
                        // The nonce went to another transaction (ours would have burnt the
                        // tokens): start over with a fresh one next pass.
                        self.store
                            .set(&t.condition_id, "watching", "nonce used elsewhere")
                            .map_err(db)
                    }
                    Err(e) => Err(format!("redeem transaction not sent: {e}")),
                }
            }
            SignatureType::Poly1271 => {
                let Some(relayer) = self.relayer.as_ref() else {
                    self.store
                        .set(&t.condition_id, "watching", "no relayer key")
                        .map_err(db)?;
                    return Err(format!(
                        "{} winning shares of {} wait in the deposit wallet {holder}: redemption \
                         goes through Polymarket's relayer and no relayer API key is configured \
                         (set POLYMARKET_RELAYER_API_KEY and POLYMARKET_RELAYER_API_KEY_ADDRESS)",
                        fmt_u6(shares),
                        t.condition_id
                    ));
                };
                let nonce = match row.nonce.filter(|_| row.state == "sending") {
                    Some(n) => n,
                    None => relayer
                        .nonce(&self.setup.eoa())
                        .map_err(|e| e.to_string())?,
                };
                self.store
                    .reserve(&t.condition_id, nonce, &token, shares, payout)
                    .map_err(db)?;
                let deadline = crate::clock::wall_ms() / 1000 + 240;
                let req = sign_batch(
                    &self.setup.key,
                    self.setup.chain,
                    &holder,
                    nonce,
                    deadline,
                    vec![Call::new(&ctf, &data)],
                )
                .map_err(|e| e.to_string())?;
                match relayer.submit(&req) {
                    Ok((id, _)) => self.after_send(row, &id, events),
                    Err(super::relayer::RelayerError::Refused { body, .. })
                        if body.contains("nonce") =>
                    {
                        self.store
                            .set(&t.condition_id, "watching", "relayer nonce used")
                            .map_err(db)
                    }
                    Err(e) => Err(format!("redeem batch not submitted: {e}")),
                }
            }
            other => {
                self.store
                    .set(&t.condition_id, "blocked", "wallet type")
                    .map_err(db)?;
                Err(format!(
                    "{} winning shares of {} are not cash until redeemed. {}",
                    fmt_u6(shares),
                    t.condition_id,
                    smart_wallet_refusal(other, &holder, "Redeeming winning positions")
                ))
            }
        }
    }

    fn after_send(
        &mut self,
        row: &Row,
        tx: &str,
        events: &mut Vec<RedeemEvent>,
    ) -> Result<(), String> {
        self.store
            .sent(&row.target.condition_id, tx)
            .map_err(|e| format!("redemption store: {e}"))?;
        let mut sent = row.clone();
        sent.state = "sent".into();
        sent.tx = Some(tx.to_string());
        // Re-read what was reserved (amounts) for the event.
        if let Ok(rows) = self.store.open_rows() {
            if let Some(r) = rows
                .into_iter()
                .find(|r| r.target.condition_id == row.target.condition_id)
            {
                sent = r;
            }
        }
        let cid = parse_condition_id(&row.target.condition_id).expect("checked");
        let shares = self
            .winnings(&row.target, &cid)?
            .map(|w| w.shares)
            .unwrap_or(sent.shares);
        self.confirm(&sent, shares, events)
    }

    /// A sent redemption: confirmed (→ `done`, one event), failed (→ `watching`, alert), or
    /// still unknown (re-checked next pass).
    fn confirm(
        &mut self,
        row: &Row,
        shares_now: u64,
        events: &mut Vec<RedeemEvent>,
    ) -> Result<(), String> {
        let cid = &row.target.condition_id;
        let tx = row.tx.clone().unwrap_or_default();
        let db = |e: rusqlite::Error| format!("redemption store: {e}");
        let state = match self.setup.signature_type {
            SignatureType::Poly1271 => match self.relayer.as_ref() {
                Some(r) => match r.transaction(&tx).map_err(|e| e.to_string())? {
                    Some(t) => TxState::parse(&t.state),
                    None => TxState::Pending("unknown".into()),
                },
                None => TxState::Pending("no relayer".into()),
            },
            _ => match self.chain.receipt(&tx).map_err(|e| e.to_string())? {
                Some(true) => TxState::Confirmed,
                Some(false) => TxState::Failed("reverted".into()),
                None => TxState::Pending("no receipt".into()),
            },
        };
        match state {
            TxState::Confirmed if shares_now == 0 => {
                if self.store.done(cid).map_err(db)? {
                    events.push(RedeemEvent::Redeemed(self.redeemed_of(row, tx)));
                }
                self.refresh_clob();
                Ok(())
            }
            TxState::Confirmed => {
                self.store
                    .set(cid, "watching", "confirmed but tokens remain")
                    .map_err(db)?;
                Err(format!(
                    "redemption {tx} confirmed but {} shares remain: redeeming again next pass",
                    fmt_u6(shares_now)
                ))
            }
            TxState::Failed(s) => {
                self.store.set(cid, "watching", &s).map_err(db)?;
                Err(format!("redemption {tx} of {cid} {s}: retried next pass"))
            }
            TxState::Pending(_) => {
                let stale = now_ms() - row.updated_ms > RESEND_AFTER_MS;
                if let (true, SignatureType::Eoa, Some(nonce)) =
                    (stale, self.setup.signature_type, row.nonce)
                {
                    return self.resend(row, nonce as u64, shares_now, events);
                }
                events.push(RedeemEvent::Pending {
                    condition_id: cid.clone(),
                    tx,
                });
                Ok(())
            }
        }
    }

    /// An EOA redemption with no receipt for [`RESEND_AFTER_MS`]: the same call at the same
    /// nonce (never a new one), so the two cannot both execute.
    fn resend(
        &mut self,
        row: &Row,
        nonce: u64,
        shares_now: u64,
        events: &mut Vec<RedeemEvent>,
    ) -> Result<(), String> {
        let cid = &row.target.condition_id;
        let db = |e: rusqlite::Error| format!("redemption store: {e}");
        let c = self.setup.chain.contracts();
        let collateral = Address::parse_hex(c.collateral).expect("pUSD");
        let ctf = Address::parse_hex(c.conditional_tokens).expect("CTF");
        let condition = parse_condition_id(cid).expect("checked");
        match self.chain.send_call(
            &self.setup.key,
            nonce,
            &ctf,
            &redeem_positions(&collateral, &condition),
        ) {
            Ok(tx) => self.after_send(row, &tx, events),
            Err(e) if e.to_string().contains("nonce too low") => {
                if shares_now == 0 {
                    // The first one executed after all.
                    if self.store.done(cid).map_err(db)? {
                        events.push(RedeemEvent::Redeemed(
                            self.redeemed_of(row, row.tx.clone().unwrap_or_default()),
                        ));
                    }
                    self.refresh_clob();
                    Ok(())
                } else {
                    self.store
                        .set(cid, "watching", "nonce used elsewhere")
                        .map_err(db)
                }
            }
            Err(e) => Err(format!("redeem transaction not resent: {e}")),
        }
    }

    fn redeemed_of(&self, row: &Row, tx: String) -> Redeemed {
        let (shares, usdc, token) = self.store.amounts(&row.target.condition_id).unwrap_or((
            row.shares,
            row.usdc,
            row.winning_token.clone(),
        ));
        Redeemed {
            condition_id: row.target.condition_id.clone(),
            winning_token: token.unwrap_or_default(),
            shares_micro: shares,
            usdc_micro: usdc,
            tx,
        }
    }

    fn refresh_clob(&self) {
        if let Some(c) = &self.clob {
            if let Err(e) = c.refresh() {
                tracing::warn!("balance-allowance refresh after a redemption failed: {e}");
            }
        }
    }
}

/// 1e-6 units as a decimal.
pub fn fmt_u6(v: u64) -> String {
    format!("{}.{:06}", v / 1_000_000, v % 1_000_000)
}

/// The alert text of a redemption: redeemed winnings are cash now.
pub fn alert_text(r: &Redeemed) -> String {
    format!(
        "redeemed {} winning shares of {} for {} pUSD (now cash; tx {})",
        fmt_u6(r.shares_micro),
        r.condition_id,
        fmt_u6(r.usdc_micro),
        if r.tx.is_empty() {
            "found executed after a restart"
        } else {
            &r.tx
        }
    )
}

/// The alert text of a market lost: its losing tokens are worth nothing.
pub fn lost_text(r: &Redeemed) -> String {
    format!(
        "market {} resolved against the {} losing shares held: nothing to redeem, booked as \
         a loss",
        r.condition_id,
        fmt_u6(r.shares_micro)
    )
}
