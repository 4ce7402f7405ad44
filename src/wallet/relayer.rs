//! Polymarket's relayer, as a blocking client: `GET /nonce?address=&type=WALLET`,
//! `POST /submit` (a signed batch; answers `{"transactionID","state"}`), and
//! `GET /transaction?id=` (an array of transaction records whose `state` moves
//! `STATE_NEW` → `STATE_EXECUTED` → `STATE_MINED` → `STATE_CONFIRMED`, or `STATE_FAILED` /
//! `STATE_INVALID`). Authenticated with the relayer API key headers `RELAYER_API_KEY` and
//! `RELAYER_API_KEY_ADDRESS`. Shapes: tests/data/venue/relayer/README.md.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::batch::WalletBatchRequest;
use super::setup::RelayerCreds;

/// Polymarket's relayer (Polygon).
pub const DEFAULT_RELAYER: &str = "https://relayer-v2.polymarket.com";

#[derive(Debug, thiserror::Error)]
pub enum RelayerError {
    /// Transient: the relayer could not be reached or answered 5xx; retry later.
    #[error("relayer unreachable: {0}")]
    Transport(String),
    /// The relayer refused the request (its words); fix the request or the credentials.
    #[error("relayer refused ({status}): {body}")]
    Refused { status: u16, body: String },
    /// The answer did not have the documented shape.
    #[error("relayer answer malformed: {0}")]
    Malformed(String),
}

/// A transaction's state as the relayer reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxState {
    /// New, executed or mined: not final yet.
    Pending(String),
    Confirmed,
    /// Failed or invalid: nothing happened on chain.
    Failed(String),
}

impl TxState {
    pub fn parse(s: &str) -> TxState {
        match s {
            "STATE_CONFIRMED" => TxState::Confirmed,
            "STATE_FAILED" | "STATE_INVALID" => TxState::Failed(s.to_string()),
            other => TxState::Pending(other.to_string()),
        }
    }
}

/// One record of `GET /transaction`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayerTransaction {
    #[serde(rename = "transactionID")]
    pub transaction_id: String,
    #[serde(default)]
    pub transaction_hash: String,
    pub state: String,
}

#[derive(Deserialize)]
struct Submitted {
    #[serde(rename = "transactionID")]
    transaction_id: String,
    state: String,
}

#[derive(Deserialize)]
struct Nonce {
    nonce: String,
}

/// A blocking relayer client.
pub struct Relayer {
    url: String,
    creds: RelayerCreds,
    http: reqwest::blocking::Client,
}

impl std::fmt::Debug for Relayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Relayer({})", self.url)
    }
}

impl Relayer {
    pub fn new(url: &str, creds: RelayerCreds) -> Result<Relayer, RelayerError> {
        Ok(Relayer {
            url: url.trim_end_matches('/').to_string(),
            creds,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(15))
                .user_agent("cassandra")
                .build()
                .map_err(|e| RelayerError::Transport(e.to_string()))?,
        })
    }

    fn get(&self, path_query: &str) -> Result<serde_json::Value, RelayerError> {
        let resp = self
            .http
            .get(format!("{}{path_query}", self.url))
            .send()
            .map_err(|e| RelayerError::Transport(e.without_url().to_string()))?;
        read(resp)
    }

    /// The next batch nonce of `signer` (the wallet owner's EOA) for `WALLET` batches.
    pub fn nonce(&self, signer: &crate::clob::order::Address) -> Result<u128, RelayerError> {
        let v = self.get(&format!("/nonce?address={}&type=WALLET", signer.as_str()))?;
        let n: Nonce =
            serde_json::from_value(v).map_err(|e| RelayerError::Malformed(e.to_string()))?;
        n.nonce
            .parse()
            .map_err(|_| RelayerError::Malformed(format!("nonce {:?}", n.nonce)))
    }

    /// Submits a signed batch; returns the relayer's transaction id and first state.
    pub fn submit(&self, req: &WalletBatchRequest) -> Result<(String, TxState), RelayerError> {
        let body =
            serde_json::to_string(req).map_err(|e| RelayerError::Malformed(e.to_string()))?;
        let resp = self
            .http
            .post(format!("{}/submit", self.url))
            .header("Content-Type", "application/json")
            .header("RELAYER_API_KEY", &self.creds.api_key)
            .header("RELAYER_API_KEY_ADDRESS", self.creds.address.as_str())
            .body(body)
            .send()
            .map_err(|e| RelayerError::Transport(e.without_url().to_string()))?;
        let s: Submitted = serde_json::from_value(read(resp)?)
            .map_err(|e| RelayerError::Malformed(e.to_string()))?;
        Ok((s.transaction_id, TxState::parse(&s.state)))
    }

    /// The relayer's record of a transaction; `None` if it does not know the id.
    pub fn transaction(&self, id: &str) -> Result<Option<RelayerTransaction>, RelayerError> {
        let v = self.get(&format!("/transaction?id={id}"))?;
        let list: Vec<RelayerTransaction> =
            serde_json::from_value(v).map_err(|e| RelayerError::Malformed(e.to_string()))?;
        Ok(list.into_iter().next())
    }

    /// Polls a transaction until it is confirmed or failed, or `timeout` passes (then the
    /// last pending state).
    pub fn wait(&self, id: &str, timeout: Duration) -> Result<(TxState, String), RelayerError> {
        let start = Instant::now();
        loop {
            if let Some(t) = self.transaction(id)? {
                let st = TxState::parse(&t.state);
                if !matches!(st, TxState::Pending(_)) || start.elapsed() >= timeout {
                    return Ok((st, t.transaction_hash));
                }
            } else if start.elapsed() >= timeout {
                return Ok((TxState::Pending("unknown".into()), String::new()));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn read(resp: reqwest::blocking::Response) -> Result<serde_json::Value, RelayerError> {
    let status = resp.status();
    let text = resp
        .text()
        .map_err(|e| RelayerError::Transport(e.without_url().to_string()))?;
    if status.is_server_error() {
        return Err(RelayerError::Transport(format!("HTTP {}", status.as_u16())));
    }
    if !status.is_success() {
        return Err(RelayerError::Refused {
            status: status.as_u16(),
            body: text,
        });
    }
    serde_json::from_str(&text).map_err(|e| RelayerError::Malformed(e.to_string()))
}
