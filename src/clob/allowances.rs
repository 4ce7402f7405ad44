//! Token approvals the V2 exchange contracts need, read and set through a Polygon JSON-RPC
//! endpoint: pUSD `allowance`/`approve` (ERC-20) and conditional-token
//! `isApprovedForAll`/`setApprovalForAll` (ERC-1155), for the CTF exchange, the neg-risk
//! exchange, the neg-risk adapter and Exchange V3 (`docs/venue/polymarket.md` §1, Collateral).
//!
//! Control side only (the API, the CLI): blocking HTTP, allocation is fine here.

use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::clob::order::{Address, Chain, Contracts};
use crate::clob::sign::{keccak, sign_call_tx, PrivateKey};

#[derive(Debug, thiserror::Error)]
pub enum AllowanceError {
    #[error("Polygon RPC: {0}")]
    Rpc(String),
    #[error("bad address in the contract table: {0}")]
    Address(String),
    #[error("signing: {0}")]
    Sign(String),
}

/// One approval: who may move our tokens, and whether they may.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Approval {
    pub spender: &'static str,
    pub address: String,
    /// pUSD allowance in 1e-6 units (as a decimal string: it is usually 2^256 − 1); the
    /// conditional-token row leaves it empty.
    pub allowance: String,
    pub approved: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AllowanceStatus {
    pub owner: String,
    pub chain_id: u64,
    pub collateral: Vec<Approval>,
    pub conditional_tokens: Vec<Approval>,
    /// Every approval in place.
    pub ready: bool,
}

fn selector(sig: &str) -> [u8; 4] {
    let h = keccak(sig.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

fn word_address(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.bytes());
    w
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x")?;
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn spenders(c: &Contracts) -> Result<Vec<(&'static str, Address)>, AllowanceError> {
    [
        ("exchange_v2", c.exchange_v2),
        ("neg_risk_exchange_v2", c.neg_risk_exchange_v2),
        ("neg_risk_adapter", c.neg_risk_adapter),
        ("exchange_v3", c.exchange_v3),
    ]
    .into_iter()
    .map(|(n, a)| {
        Address::parse_hex(a)
            .map(|a| (n, a))
            .map_err(|_| AllowanceError::Address(a.to_string()))
    })
    .collect()
}

/// A JSON-RPC client for the few calls needed.
pub struct Rpc {
    url: String,
    http: reqwest::blocking::Client,
}

impl Rpc {
    pub fn new(url: &str) -> Result<Rpc, AllowanceError> {
        Ok(Rpc {
            url: url.to_string(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| AllowanceError::Rpc(e.to_string()))?,
        })
    }

    pub(crate) fn call(&self, method: &str, params: Value) -> Result<Value, AllowanceError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let v: Value = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .and_then(|r| r.json())
            .map_err(|e| AllowanceError::Rpc(e.without_url().to_string()))?;
        if let Some(e) = v.get("error") {
            return Err(AllowanceError::Rpc(format!("{method}: {e}")));
        }
        v.get("result")
            .cloned()
            .ok_or_else(|| AllowanceError::Rpc(format!("{method}: no result")))
    }

    pub(crate) fn eth_call(&self, to: &Address, data: &[u8]) -> Result<Vec<u8>, AllowanceError> {
        let r = self.call(
            "eth_call",
            json!([{"to": to.as_str(), "data": hex(data)}, "latest"]),
        )?;
        r.as_str()
            .and_then(parse_hex)
            .ok_or_else(|| AllowanceError::Rpc("eth_call: not hex".into()))
    }

    pub(crate) fn quantity(&self, method: &str, params: Value) -> Result<u128, AllowanceError> {
        let r = self.call(method, params)?;
        r.as_str()
            .and_then(|s| u128::from_str_radix(s.trim_start_matches("0x"), 16).ok())
            .ok_or_else(|| AllowanceError::Rpc(format!("{method}: not a quantity")))
    }
}

/// The approvals `owner` has given the exchange contracts of `chain`.
pub fn read(rpc: &Rpc, chain: Chain, owner: &Address) -> Result<AllowanceStatus, AllowanceError> {
    let c = chain.contracts();
    let pusd = Address::parse_hex(c.collateral)
        .map_err(|_| AllowanceError::Address(c.collateral.into()))?;
    let ctf = Address::parse_hex(c.conditional_tokens)
        .map_err(|_| AllowanceError::Address(c.conditional_tokens.into()))?;
    let mut collateral = Vec::new();
    let mut conditional_tokens = Vec::new();
    for (name, spender) in spenders(c)? {
        let mut data = selector("allowance(address,address)").to_vec();
        data.extend_from_slice(&word_address(owner));
        data.extend_from_slice(&word_address(&spender));
        let word = rpc.eth_call(&pusd, &data)?;
        let nonzero = word.iter().any(|&b| b != 0);
        // Display the low 128 bits; 2^256 − 1 shows as "max".
        let allowance = if word.iter().all(|&b| b == 0xff) {
            "max".to_string()
        } else {
            let low = word
                .iter()
                .rev()
                .take(16)
                .rev()
                .fold(0u128, |a, &b| a << 8 | b as u128);
            low.to_string()
        };
        collateral.push(Approval {
            spender: name,
            address: spender.as_str().to_string(),
            allowance,
            approved: nonzero,
        });
        let mut data = selector("isApprovedForAll(address,address)").to_vec();
        data.extend_from_slice(&word_address(owner));
        data.extend_from_slice(&word_address(&spender));
        let word = rpc.eth_call(&ctf, &data)?;
        conditional_tokens.push(Approval {
            spender: name,
            address: spender.as_str().to_string(),
            allowance: String::new(),
            approved: word.last().copied() == Some(1),
        });
    }
    let ready = collateral
        .iter()
        .chain(&conditional_tokens)
        .all(|a| a.approved);
    Ok(AllowanceStatus {
        owner: owner.as_str().to_string(),
        chain_id: chain.chain_id(),
        collateral,
        conditional_tokens,
        ready,
    })
}

/// Send the approvals that are missing (pUSD `approve(spender, max)`, conditional tokens
/// `setApprovalForAll(spender, true)`), signed by `key`; returns the transaction hashes.
pub fn set_missing(
    rpc: &Rpc,
    chain: Chain,
    key: &PrivateKey,
) -> Result<Vec<String>, AllowanceError> {
    let owner = key.address();
    let status = read(rpc, chain, &owner)?;
    let c = chain.contracts();
    let pusd = Address::parse_hex(c.collateral)
        .map_err(|_| AllowanceError::Address(c.collateral.into()))?;
    let ctf = Address::parse_hex(c.conditional_tokens)
        .map_err(|_| AllowanceError::Address(c.conditional_tokens.into()))?;
    let mut nonce = rpc.quantity(
        "eth_getTransactionCount",
        json!([owner.as_str(), "pending"]),
    )? as u64;
    let gas_price = rpc.quantity("eth_gasPrice", json!([]))?;
    let mut hashes = Vec::new();
    let mut send = |to: &Address, data: Vec<u8>| -> Result<(), AllowanceError> {
        let raw = sign_call_tx(key, chain.chain_id(), nonce, gas_price, 100_000, to, &data)
            .map_err(|e| AllowanceError::Sign(e.to_string()))?;
        let h = rpc.call("eth_sendRawTransaction", json!([hex(&raw)]))?;
        hashes.push(h.as_str().unwrap_or_default().to_string());
        nonce += 1;
        Ok(())
    };
    for (row, (_, spender)) in status.collateral.iter().zip(spenders(c)?) {
        if !row.approved {
            let mut data = selector("approve(address,uint256)").to_vec();
            data.extend_from_slice(&word_address(&spender));
            data.extend_from_slice(&[0xff; 32]);
            send(&pusd, data)?;
        }
    }
    for (row, (_, spender)) in status.conditional_tokens.iter().zip(spenders(c)?) {
        if !row.approved {
            let mut data = selector("setApprovalForAll(address,bool)").to_vec();
            data.extend_from_slice(&word_address(&spender));
            let mut t = [0u8; 32];
            t[31] = 1;
            data.extend_from_slice(&t);
            send(&ctf, data)?;
        }
    }
    Ok(hashes)
}
