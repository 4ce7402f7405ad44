//! The `relayer` row, for deposit wallets (signature type 3) only: their approvals and
//! redemptions are `WALLET` batches that Polymarket's relayer executes, so live mode needs the
//! relayer's API key (`POLYMARKET_RELAYER_API_KEY`, `POLYMARKET_RELAYER_API_KEY_ADDRESS`) and
//! the relayer reachable (`GET /nonce` of the owner's EOA). The key itself is first used by a
//! batch: this row can say it is set and well-formed, not that the relayer accepts it.

use super::wallet::Identity;
use super::{Env, Row};
use crate::clob::order::SignatureType;
use crate::config::Config;
use crate::wallet::relayer::Relayer;
use crate::wallet::setup::RelayerCreds;

const FIX: &str = "create a relayer API key on polymarket.com (Settings, API Keys) and set \
    POLYMARKET_RELAYER_API_KEY and POLYMARKET_RELAYER_API_KEY_ADDRESS in the environment file; \
    a deposit wallet's approvals and redemptions go through Polymarket's relayer";

/// `None` unless the wallet is a deposit wallet.
pub fn check(cfg: &Config, env: Env<'_>, id: Option<&Identity>) -> Option<Row> {
    let id = id.filter(|i| i.signature_type == SignatureType::Poly1271)?;
    let creds = match RelayerCreds::from_lookup(env) {
        Ok(c) => c,
        Err(e) if cfg.live.redeem => return Some(Row::fail("relayer", e, FIX)),
        Err(_) => {
            return Some(Row::pass(
                "relayer",
                "no relayer API key; [live] redeem = false: winning tokens will wait in the \
                 deposit wallet, shown as redeemable",
            ))
        }
    };
    let relayer = match Relayer::new(&cfg.venues.relayer, creds) {
        Ok(r) => r,
        Err(e) => return Some(Row::fail("relayer", e.to_string(), FIX)),
    };
    Some(match relayer.nonce(&id.eoa) {
        Ok(n) => Row::pass(
            "relayer",
            format!(
                "{} reachable, next deposit-wallet batch nonce {n} for {}; the API key is first \
                 checked by a batch (POST /api/live-trading/allowances)",
                cfg.venues.relayer, id.eoa
            ),
        ),
        Err(e) => Row::fail(
            "relayer",
            e.to_string(),
            "check venues.relayer (https://relayer-v2.polymarket.com) and that this host can \
             reach it",
        ),
    })
}
