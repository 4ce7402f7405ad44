//! On-chain reads and EOA transactions over Polygon JSON-RPC for funds and redemption:
//! pUSD `balanceOf`, conditional-token `balanceOf(owner, id)` (ERC-1155), the condition's
//! `payoutDenominator` / `payoutNumerators` (non-zero once the market resolved), signed
//! legacy transactions from an EOA, and their receipts.

use serde_json::{json, Value};

use crate::clob::allowances::{AllowanceError, Rpc};
use crate::clob::order::{Address, Chain};
use crate::clob::sign::{sign_call_tx, PrivateKey};

use super::batch::{hex, selector};

/// Gas limit of one wallet call (approve, redeem) sent from an EOA.
const CALL_GAS: u64 = 300_000;

fn word_address(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.bytes());
    w
}

fn low_u128(word: &[u8]) -> u128 {
    if word.len() < 32 || word[..16].iter().any(|&b| b != 0) {
        return u128::MAX;
    }
    word[16..32]
        .iter()
        .fold(0u128, |a, &b| a << 8 | u128::from(b))
}

/// Reads and sends through one JSON-RPC endpoint on one chain.
pub struct ChainIo {
    pub rpc: Rpc,
    pub chain: Chain,
}

impl ChainIo {
    pub fn new(url: &str, chain: Chain) -> Result<ChainIo, AllowanceError> {
        Ok(ChainIo {
            rpc: Rpc::new(url)?,
            chain,
        })
    }

    fn contract(&self, which: &str) -> Address {
        Address::parse_hex(which).expect("contract constants are addresses")
    }

    /// pUSD held by `owner` on chain (1e-6).
    pub fn pusd_balance(&self, owner: &Address) -> Result<u128, AllowanceError> {
        let mut d = selector("balanceOf(address)").to_vec();
        d.extend_from_slice(&word_address(owner));
        let w = self
            .rpc
            .eth_call(&self.contract(self.chain.contracts().collateral), &d)?;
        Ok(low_u128(&w))
    }

    /// Outcome tokens `id` (decimal uint256) held by `owner` (1e-6 shares).
    pub fn token_balance(&self, owner: &Address, token_id: &str) -> Result<u128, AllowanceError> {
        let id = crate::clob::order::TokenId::parse_decimal(token_id)
            .map_err(|_| AllowanceError::Rpc(format!("token id {token_id:?} is not decimal")))?;
        let mut d = selector("balanceOf(address,uint256)").to_vec();
        d.extend_from_slice(&word_address(owner));
        d.extend_from_slice(id.be_bytes());
        let w = self.rpc.eth_call(
            &self.contract(self.chain.contracts().conditional_tokens),
            &d,
        )?;
        Ok(low_u128(&w))
    }

    /// `(payoutDenominator, [numerator of outcome 0, of outcome 1])`; a zero denominator
    /// means the condition is not resolved yet.
    pub fn payouts(&self, condition_id: &[u8; 32]) -> Result<(u128, [u128; 2]), AllowanceError> {
        let ctf = self.contract(self.chain.contracts().conditional_tokens);
        let mut d = selector("payoutDenominator(bytes32)").to_vec();
        d.extend_from_slice(condition_id);
        let den = low_u128(&self.rpc.eth_call(&ctf, &d)?);
        if den == 0 {
            return Ok((0, [0, 0]));
        }
        let mut nums = [0u128; 2];
        for (i, n) in nums.iter_mut().enumerate() {
            let mut d = selector("payoutNumerators(bytes32,uint256)").to_vec();
            d.extend_from_slice(condition_id);
            let mut w = [0u8; 32];
            w[31] = i as u8;
            d.extend_from_slice(&w);
            *n = low_u128(&self.rpc.eth_call(&ctf, &d)?);
        }
        Ok((den, nums))
    }

    /// The next nonce of `owner`, counting pending transactions.
    pub fn next_nonce(&self, owner: &Address) -> Result<u64, AllowanceError> {
        Ok(self.rpc.quantity(
            "eth_getTransactionCount",
            json!([owner.as_str(), "pending"]),
        )? as u64)
    }

    /// Sends a call from `key`'s address at `nonce`; returns the transaction hash.
    pub fn send_call(
        &self,
        key: &PrivateKey,
        nonce: u64,
        to: &Address,
        data: &[u8],
    ) -> Result<String, AllowanceError> {
        let gas_price = self.rpc.quantity("eth_gasPrice", json!([]))?;
        let raw = sign_call_tx(
            key,
            self.chain.chain_id(),
            nonce,
            gas_price,
            CALL_GAS,
            to,
            data,
        )
        .map_err(|e| AllowanceError::Sign(e.to_string()))?;
        let h = self
            .rpc
            .call("eth_sendRawTransaction", json!([hex(&raw)]))?;
        Ok(h.as_str().unwrap_or_default().to_string())
    }

    /// `Some(true)` mined and succeeded, `Some(false)` mined and reverted, `None` unknown
    /// (pending or dropped).
    pub fn receipt(&self, tx: &str) -> Result<Option<bool>, AllowanceError> {
        let r = self.rpc.call("eth_getTransactionReceipt", json!([tx]))?;
        Ok(match r {
            Value::Null => None,
            v => Some(v.get("status").and_then(Value::as_str) == Some("0x1")),
        })
    }
}
