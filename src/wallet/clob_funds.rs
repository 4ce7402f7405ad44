//! The CLOB's own (cached) view of the funds of the wallet that trades:
//! `GET /balance-allowance?asset_type=COLLATERAL&signature_type=N` and the refresh
//! `GET /balance-allowance/update?…` (after approvals, deposits and redemptions the cache is
//! stale until refreshed: docs/venue/polymarket.md §10.6). L2-authenticated, blocking.

use std::time::Duration;

use serde_json::Value;

use crate::clob::auth::{Credentials, L2Headers, L2Signer};
use crate::clob::order::{Address, SignatureType};

/// What the CLOB checks orders against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClobFunds {
    /// pUSD balance (1e-6), as cached.
    pub balance_u6: u128,
    /// The smallest allowance among the exchange contracts listed (1e-6; `u128::MAX` for
    /// uint256 max), and how many were listed.
    pub min_allowance_u6: u128,
    pub spenders: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ClobFundsError {
    #[error("CLOB unreachable: {0}")]
    Transport(String),
    #[error("CLOB refused ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("CLOB answer malformed: {0}")]
    Malformed(String),
}

/// An authenticated reader of one account's balance view.
pub struct ClobFundsClient {
    base: String,
    creds: Credentials,
    l2: L2Signer,
    eoa: Address,
    signature_type: SignatureType,
    http: reqwest::blocking::Client,
}

impl ClobFundsClient {
    pub fn new(
        clob: &str,
        creds: Credentials,
        eoa: Address,
        signature_type: SignatureType,
    ) -> Result<ClobFundsClient, ClobFundsError> {
        let l2 = L2Signer::new(&creds).map_err(|e| ClobFundsError::Malformed(e.to_string()))?;
        Ok(ClobFundsClient {
            base: clob.trim_end_matches('/').to_string(),
            creds,
            l2,
            eoa,
            signature_type,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(15))
                .user_agent("cassandra")
                .build()
                .map_err(|e| ClobFundsError::Transport(e.to_string()))?,
        })
    }

    fn get(&self, path: &str, query: &str) -> Result<String, ClobFundsError> {
        let ts = crate::clock::wall_ms() / 1000;
        let h = L2Headers::new(&self.l2, &self.creds, &self.eoa, ts, "GET", path, None);
        let mut rb = self.http.get(format!("{}{path}?{query}", self.base));
        for (k, v) in h.pairs() {
            rb = rb.header(k, v);
        }
        let resp = rb
            .send()
            .map_err(|e| ClobFundsError::Transport(e.without_url().to_string()))?;
        let status = resp.status();
        let body = resp.text().unwrap_or_default();
        if !status.is_success() {
            return Err(ClobFundsError::Refused {
                status: status.as_u16(),
                body,
            });
        }
        Ok(body)
    }

    fn query(&self) -> String {
        format!(
            "asset_type=COLLATERAL&signature_type={}",
            self.signature_type as u8
        )
    }

    /// `GET /balance-allowance/update`: the CLOB re-reads the wallet from the chain.
    pub fn refresh(&self) -> Result<(), ClobFundsError> {
        self.get("/balance-allowance/update", &self.query())
            .map(|_| ())
    }

    /// `GET /balance-allowance`: the cached pUSD balance and allowances.
    pub fn read(&self) -> Result<ClobFunds, ClobFundsError> {
        let body = self.get("/balance-allowance", &self.query())?;
        parse_balance_allowance(&body)
    }
}

fn parse_u128(s: &str) -> Option<u128> {
    // uint256 max (and anything past u128) reads as unlimited.
    if s.len() > 38 {
        return s.bytes().all(|b| b.is_ascii_digit()).then_some(u128::MAX);
    }
    s.parse().ok()
}

/// `{"balance":"…","allowances":{spender: "…", …}}` (capture
/// tests/data/venue/clob/balance_allowance/collateral.json).
pub fn parse_balance_allowance(body: &str) -> Result<ClobFunds, ClobFundsError> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| ClobFundsError::Malformed(e.to_string()))?;
    let balance_u6 = v
        .get("balance")
        .and_then(Value::as_str)
        .and_then(parse_u128)
        .ok_or_else(|| ClobFundsError::Malformed("no decimal `balance`".into()))?;
    let allowances = v
        .get("allowances")
        .and_then(Value::as_object)
        .ok_or_else(|| ClobFundsError::Malformed("no `allowances` object".into()))?;
    let mut min = u128::MAX;
    for a in allowances.values() {
        let n = a
            .as_str()
            .and_then(parse_u128)
            .ok_or_else(|| ClobFundsError::Malformed("an allowance is not decimal".into()))?;
        min = min.min(n);
    }
    Ok(ClobFunds {
        balance_u6,
        min_allowance_u6: if allowances.is_empty() { 0 } else { min },
        spenders: allowances.len(),
    })
}
