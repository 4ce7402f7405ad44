//! A deposit wallet's `WALLET` batch: the calls it makes, their EIP-712 signature by the
//! owner's key, and the relayer request that carries them; plus the calldata of the calls
//! this product makes (pUSD `approve`, conditional-token `setApprovalForAll` and
//! `redeemPositions`).
//!
//! EIP-712 (Polymarket builder-relayer-client `src/builder/deposit-wallet.ts`, pinned in
//! tests/data/venue/relayer/): domain `{name: "DepositWallet", version: "1", chainId,
//! verifyingContract: the wallet}`, primary type
//! `Batch(address wallet,uint256 nonce,uint256 deadline,Call[] calls)` with
//! `Call(address target,uint256 value,bytes data)`. The request is
//! `{"type":"WALLET","from":EOA,"to":factory,"nonce","signature","depositWalletParams":
//! {"depositWallet","deadline","calls":[{"target","value","data"}]}}`.

use serde::{Deserialize, Serialize};

use crate::clob::order::{Address, Chain};
use crate::clob::sign::{
    domain_separator, keccak, recover_digest_signer, typed_data_digest, PrivateKey, SignError,
};

/// The deposit wallet's own EIP-712 domain name and version.
pub const DOMAIN_NAME: &str = "DepositWallet";
pub const DOMAIN_VERSION: &str = "1";
const CALL_TYPE: &str = "Call(address target,uint256 value,bytes data)";
const BATCH_TYPE: &str = "Batch(address wallet,uint256 nonce,uint256 deadline,Call[] calls)";

/// The deposit-wallet factory the relayer's `WALLET` requests are addressed to (Polygon;
/// third-party SDK constants, docs/venue/polymarket.md §10.1: VERIFY before relying on it).
pub const DEPOSIT_WALLET_FACTORY: &str = "0x00000000000Fb5C9ADea0298D729A0CB3823Cc07";

/// One call of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub target: String,
    pub value: String,
    pub data: String,
}

impl Call {
    /// A call of `target` with `data` and no value.
    pub fn new(target: &Address, data: &[u8]) -> Call {
        Call {
            target: target.as_str().to_string(),
            value: "0".into(),
            data: hex(data),
        }
    }
}

/// `depositWalletParams`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositWalletParams {
    pub deposit_wallet: String,
    pub deadline: String,
    pub calls: Vec<Call>,
}

/// The `POST /submit` body of a deposit-wallet batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletBatchRequest {
    #[serde(rename = "type")]
    pub kind: String,
    pub from: String,
    pub to: String,
    pub nonce: String,
    pub signature: String,
    pub deposit_wallet_params: DepositWalletParams,
}

/// Why a batch could not be made or checked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchError {
    #[error("batch field {0} is malformed")]
    Malformed(&'static str),
    #[error("signing: {0}")]
    Sign(#[from] SignError),
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn word_u128(v: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    w
}

fn word_address(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.bytes());
    w
}

fn concat_hash(words: &[[u8; 32]]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(32 * words.len());
    for w in words {
        buf.extend_from_slice(w);
    }
    keccak(&buf)
}

/// The digest the wallet's owner signs for `(wallet, nonce, deadline, calls)`.
pub fn batch_digest(
    chain: Chain,
    wallet: &Address,
    nonce: u128,
    deadline_s: u64,
    calls: &[Call],
) -> Result<[u8; 32], BatchError> {
    let call_typehash = keccak(CALL_TYPE.as_bytes());
    let batch_typehash = keccak(format!("{BATCH_TYPE}{CALL_TYPE}").as_bytes());
    let mut call_hashes = Vec::with_capacity(calls.len());
    for c in calls {
        let target = Address::parse_hex(&c.target).map_err(|_| BatchError::Malformed("target"))?;
        let value: u128 = c
            .value
            .parse()
            .map_err(|_| BatchError::Malformed("value"))?;
        let data = unhex(&c.data).ok_or(BatchError::Malformed("data"))?;
        call_hashes.push(concat_hash(&[
            call_typehash,
            word_address(&target),
            word_u128(value),
            keccak(&data),
        ]));
    }
    let struct_hash = concat_hash(&[
        batch_typehash,
        word_address(wallet),
        word_u128(nonce),
        word_u128(u128::from(deadline_s)),
        concat_hash(&call_hashes),
    ]);
    let domain = domain_separator(
        DOMAIN_NAME,
        DOMAIN_VERSION,
        chain.chain_id(),
        Some(wallet.bytes()),
    );
    Ok(typed_data_digest(&domain, &struct_hash))
}

/// A signed `WALLET` batch request from `key` (the wallet's owner) for `wallet`.
pub fn sign_batch(
    key: &PrivateKey,
    chain: Chain,
    wallet: &Address,
    nonce: u128,
    deadline_s: u64,
    calls: Vec<Call>,
) -> Result<WalletBatchRequest, BatchError> {
    let digest = batch_digest(chain, wallet, nonce, deadline_s, &calls)?;
    let sig = key.sign_typed_digest(&digest)?;
    Ok(WalletBatchRequest {
        kind: "WALLET".into(),
        from: key.address().as_str().to_string(),
        to: DEPOSIT_WALLET_FACTORY.into(),
        nonce: nonce.to_string(),
        signature: hex(&sig),
        deposit_wallet_params: DepositWalletParams {
            deposit_wallet: wallet.as_str().to_string(),
            deadline: deadline_s.to_string(),
            calls,
        },
    })
}

/// Who signed a batch request (the relayer's side; the simulator uses it).
pub fn recover_batch_signer(chain: Chain, req: &WalletBatchRequest) -> Result<Address, BatchError> {
    let p = &req.deposit_wallet_params;
    let wallet = Address::parse_hex(&p.deposit_wallet)
        .map_err(|_| BatchError::Malformed("depositWallet"))?;
    let nonce: u128 = req
        .nonce
        .parse()
        .map_err(|_| BatchError::Malformed("nonce"))?;
    let deadline: u64 = p
        .deadline
        .parse()
        .map_err(|_| BatchError::Malformed("deadline"))?;
    let digest = batch_digest(chain, &wallet, nonce, deadline, &p.calls)?;
    let sig = unhex(&req.signature).ok_or(BatchError::Malformed("signature"))?;
    Ok(recover_digest_signer(&digest, &sig)?)
}

pub(crate) fn selector(sig: &str) -> [u8; 4] {
    let h = keccak(sig.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// pUSD (ERC-20) `approve(spender, 2^256 − 1)`.
pub fn approve_max(spender: &Address) -> Vec<u8> {
    let mut d = selector("approve(address,uint256)").to_vec();
    d.extend_from_slice(&word_address(spender));
    d.extend_from_slice(&[0xff; 32]);
    d
}

/// Conditional tokens (ERC-1155) `setApprovalForAll(operator, true)`.
pub fn set_approval_for_all(operator: &Address) -> Vec<u8> {
    let mut d = selector("setApprovalForAll(address,bool)").to_vec();
    d.extend_from_slice(&word_address(operator));
    d.extend_from_slice(&word_u128(1));
    d
}

/// `redeemPositions(collateral, parentCollectionId = 0, conditionId, indexSets = [1, 2])`:
/// both outcomes of a binary market (docs trading/ctf/redeem).
pub fn redeem_positions(collateral: &Address, condition_id: &[u8; 32]) -> Vec<u8> {
    let mut d = selector("redeemPositions(address,bytes32,bytes32,uint256[])").to_vec();
    d.extend_from_slice(&word_address(collateral));
    d.extend_from_slice(&[0u8; 32]);
    d.extend_from_slice(condition_id);
    d.extend_from_slice(&word_u128(0x80));
    d.extend_from_slice(&word_u128(2));
    d.extend_from_slice(&word_u128(1));
    d.extend_from_slice(&word_u128(2));
    d
}

/// A `0x` + 64-hex condition id as bytes.
pub fn parse_condition_id(s: &str) -> Option<[u8; 32]> {
    unhex(s).and_then(|v| v.try_into().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_batch_recovers_its_signer_and_a_changed_call_does_not() {
        let key = PrivateKey::parse_hex(&"11".repeat(32)).unwrap();
        let wallet = Address::parse_hex("0x00000000000000000000000000000000000000d3").unwrap();
        let pusd = Address::parse_hex(Chain::Polygon.contracts().collateral).unwrap();
        let calls = vec![Call::new(&pusd, &approve_max(&wallet))];
        let req = sign_batch(&key, Chain::Polygon, &wallet, 7, 1_900_000_000, calls).unwrap();
        assert_eq!(req.kind, "WALLET");
        assert_eq!(req.nonce, "7");
        assert_eq!(
            recover_batch_signer(Chain::Polygon, &req).unwrap(),
            key.address()
        );
        let mut forged = req.clone();
        forged.deposit_wallet_params.calls[0].data.push_str("00");
        assert_ne!(
            recover_batch_signer(Chain::Polygon, &forged).ok(),
            Some(key.address())
        );
        let json = serde_json::to_value(&req).unwrap();
        assert!(json["depositWalletParams"]["calls"][0]["target"].is_string());
        assert_eq!(json["type"], "WALLET");
    }
}
