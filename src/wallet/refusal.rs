//! The venue's identity refusals, turned into what the operator must change. The texts are
//! the CLOB's (docs/venue/clob-rules.md rules 5–7); the fixes name environment variables,
//! never values that could be secrets.

use super::setup::{ENV_FUNDER, ENV_SIGNATURE_TYPE};

/// The fix for a `POST /order` refusal about who signs or which wallet trades; `None` for any
/// other refusal.
pub fn operator_fix(venue_error: &str) -> Option<String> {
    let e = venue_error.to_ascii_lowercase();
    if e.contains("maker address not allowed, please use the deposit wallet flow") {
        return Some(format!(
            "this account trades through a deposit wallet (every polymarket.com account made since \
             May 2026): set {ENV_SIGNATURE_TYPE}=3 and {ENV_FUNDER} to the deposit wallet's 0x \
             address (polymarket.com shows it as your wallet address), keep the same signing key \
             and API key, move the approvals to that wallet (POST /api/live-trading/allowances), \
             then run `cassandra preflight`"
        ));
    }
    if e.contains("the order signer address has to be the address of the api key") {
        return Some(format!(
            "the API key belongs to another signer: derive the key with this signing key \
             (`cassandra auth derive-key`), and for a deposit wallet set {ENV_SIGNATURE_TYPE}=3 \
             with {ENV_FUNDER} = a deposit wallet this key owns"
        ));
    }
    if e.contains("the order owner has to be the owner of the api key") {
        return Some(
            "POLYMARKET_API_KEY, POLYMARKET_API_SECRET and POLYMARKET_API_PASSPHRASE must be one \
             key's three parts"
                .into(),
        );
    }
    if e.contains("invalid signature") {
        return Some(format!(
            "check {ENV_SIGNATURE_TYPE} and {ENV_FUNDER}: a proxy (1) or Safe (2) funder must be \
             the wallet polymarket.com made for this signing key"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deposit_wallet_refusal_names_both_variables() {
        let f =
            operator_fix("maker address not allowed, please use the deposit wallet flow").unwrap();
        assert!(f.contains("POLYMARKET_SIGNATURE_TYPE=3") && f.contains("POLYMARKET_FUNDER"));
        assert!(operator_fix("not enough balance / allowance").is_none());
    }
}
