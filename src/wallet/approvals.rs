//! Token approvals made from the wallet that holds the funds, then the CLOB's cache
//! refreshed and read back.
//!
//! - Type 0 (EOA): signed transactions from the key over JSON-RPC
//!   ([`crate::clob::allowances::set_missing`]).
//! - Type 3 (deposit wallet): one `WALLET` batch of the missing `approve` /
//!   `setApprovalForAll` calls, signed by the owner's key and executed by the relayer; waited
//!   on until confirmed.
//! - Types 1 and 2 (proxy, Safe): refused with what the operator must do ([`Refusal`]): their
//!   relayer transactions (proxy `RelayHub` payloads, Safe multisend signatures) are not built
//!   by this product.
//!
//! Then `GET /balance-allowance/update` and `GET /balance-allowance`: what the CLOB will check
//! orders against.

use std::time::Duration;

use serde::Serialize;

use crate::clob::allowances::{self, AllowanceStatus};
use crate::clob::order::{Address, SignatureType};

use super::batch::{approve_max, set_approval_for_all, sign_batch, Call};
use super::chain::ChainIo;
use super::clob_funds::{ClobFunds, ClobFundsClient};
use super::relayer::{Relayer, TxState};
use super::setup::type_name;
use super::WalletSetup;

/// How long a relayer batch may take to confirm before the call gives up waiting (it is not
/// resent: the next call reads the chain again).
pub const RELAYER_WAIT: Duration = Duration::from_secs(60);

/// A wallet call this product will not make, and what the operator must do instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}. What to do: {fix}")]
pub struct Refusal {
    pub what: String,
    pub fix: String,
}

/// Proxy and Safe wallets: approvals and redemptions go through their own relayer
/// transactions, which this product does not build.
pub fn smart_wallet_refusal(t: SignatureType, holder: &Address, action: &str) -> Refusal {
    Refusal {
        what: format!(
            "{action} for a signature type {} wallet ({holder}) must be sent by that wallet \
             through Polymarket's relayer, which this product does only for deposit wallets (type 3)",
            type_name(t)
        ),
        fix: format!(
            "{action} once from polymarket.com with this account (it sends them through the \
             relayer), or move the funds to a deposit wallet and set POLYMARKET_SIGNATURE_TYPE=3 \
             and POLYMARKET_FUNDER to its address; then run `cassandra preflight` again"
        ),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("Polygon RPC: {0}")]
    Chain(String),
    #[error("relayer: {0}")]
    Relayer(String),
    #[error("CLOB balance view: {0}")]
    Clob(String),
}

/// What was sent and what the CLOB sees afterwards.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ApprovalOutcome {
    pub holder: String,
    /// Transaction hashes (EOA) or relayer transaction ids (deposit wallet).
    pub sent: Vec<String>,
    /// Every approval in place on chain after sending.
    pub ready: bool,
    /// The CLOB's cached pUSD balance and smallest allowance after the refresh (1e-6;
    /// `None` without CLOB credentials).
    pub clob_balance_u6: Option<String>,
    pub clob_allowance_u6: Option<String>,
}

fn missing_calls(status: &AllowanceStatus, pusd: &Address, ctf: &Address) -> Vec<Call> {
    let mut calls = Vec::new();
    for a in &status.collateral {
        if !a.approved {
            if let Ok(spender) = Address::parse_hex(&a.address) {
                calls.push(Call::new(pusd, &approve_max(&spender)));
            }
        }
    }
    for a in &status.conditional_tokens {
        if !a.approved {
            if let Ok(spender) = Address::parse_hex(&a.address) {
                calls.push(Call::new(ctf, &set_approval_for_all(&spender)));
            }
        }
    }
    calls
}

/// Sends the missing approvals from the holder, then refreshes and reads the CLOB's view.
pub fn approve_from_holder(
    setup: &WalletSetup,
    chain: &ChainIo,
    relayer: Option<&Relayer>,
    clob: Option<&ClobFundsClient>,
) -> Result<ApprovalOutcome, ApprovalError> {
    let holder = setup.holder();
    let chain_err = |e: allowances::AllowanceError| ApprovalError::Chain(e.to_string());
    let sent = match setup.signature_type {
        SignatureType::Eoa => {
            allowances::set_missing(&chain.rpc, setup.chain, &setup.key).map_err(chain_err)?
        }
        SignatureType::Poly1271 => {
            let status = allowances::read(&chain.rpc, setup.chain, &holder).map_err(chain_err)?;
            let c = setup.chain.contracts();
            let pusd = Address::parse_hex(c.collateral).expect("pUSD address");
            let ctf = Address::parse_hex(c.conditional_tokens).expect("CTF address");
            let calls = missing_calls(&status, &pusd, &ctf);
            if calls.is_empty() {
                Vec::new()
            } else {
                let relayer = relayer.ok_or_else(|| Refusal {
                    what: format!(
                        "approvals for the deposit wallet {holder} go through Polymarket's \
                         relayer, and no relayer API key is configured"
                    ),
                    fix: "create a relayer API key on polymarket.com (Settings, API Keys) and set \
                          POLYMARKET_RELAYER_API_KEY and POLYMARKET_RELAYER_API_KEY_ADDRESS in \
                          the environment file"
                        .into(),
                })?;
                let rel = |e: super::relayer::RelayerError| ApprovalError::Relayer(e.to_string());
                let nonce = relayer.nonce(&setup.eoa()).map_err(rel)?;
                let deadline = crate::clock::wall_ms() / 1000 + 240;
                let req = sign_batch(&setup.key, setup.chain, &holder, nonce, deadline, calls)
                    .map_err(|e| ApprovalError::Relayer(e.to_string()))?;
                let (id, _) = relayer.submit(&req).map_err(rel)?;
                match relayer.wait(&id, RELAYER_WAIT).map_err(rel)? {
                    (TxState::Confirmed, _) => {}
                    (TxState::Failed(s), _) => {
                        return Err(ApprovalError::Relayer(format!(
                            "approval batch {id} ended {s}; nothing was approved"
                        )))
                    }
                    (TxState::Pending(s), _) => {
                        return Err(ApprovalError::Relayer(format!(
                            "approval batch {id} still {s} after {}s; check it later (it is not resent)",
                            RELAYER_WAIT.as_secs()
                        )))
                    }
                }
                vec![id]
            }
        }
        t => return Err(smart_wallet_refusal(t, &holder, "Token approvals").into()),
    };
    let status = allowances::read(&chain.rpc, setup.chain, &holder).map_err(chain_err)?;
    let mut out = ApprovalOutcome {
        holder: holder.as_str().to_string(),
        sent,
        ready: status.ready,
        clob_balance_u6: None,
        clob_allowance_u6: None,
    };
    if let Some(c) = clob {
        let clob_err = |e: super::clob_funds::ClobFundsError| ApprovalError::Clob(e.to_string());
        c.refresh().map_err(clob_err)?;
        let ClobFunds {
            balance_u6,
            min_allowance_u6,
            ..
        } = c.read().map_err(clob_err)?;
        out.clob_balance_u6 = Some(balance_u6.to_string());
        out.clob_allowance_u6 = Some(if min_allowance_u6 == u128::MAX {
            "max".into()
        } else {
            min_allowance_u6.to_string()
        });
    }
    Ok(out)
}
