//! Polymarket's relayer, as far as deposit wallets use it (mounted under `/relayer`):
//! - `GET /relayer/nonce?address=<owner EOA>&type=WALLET` → `{"nonce":"N"}`;
//! - `POST /relayer/submit` with `RELAYER_API_KEY` / `RELAYER_API_KEY_ADDRESS` and a signed
//!   `WALLET` batch → `{"transactionID","state":"STATE_NEW"}`;
//! - `GET /relayer/transaction?id=` → `[{"transactionID","transactionHash","from","to",
//!   "proxyAddress","data","nonce","value","state","type","metadata","createdAt","updatedAt"}]`
//!   (`[]` for an unknown id).
//!
//! A batch is checked as the deposit wallet's contract would: the relayer key is known, the
//! type is `WALLET` to the factory, the EIP-712 `Batch` signature recovers the wallet's owner,
//! the nonce is the owner's next one, the deadline is in the future. Its calls then run all or
//! nothing: pUSD `approve` and conditional-token `setApprovalForAll` set the wallet's
//! approvals on the simulated chain; `redeemPositions` of a settled condition pays the wallet
//! 1 pUSD per winning share and burns both outcomes. A call that would revert (an unsettled
//! condition, an unknown target) leaves nothing changed and the transaction `STATE_FAILED`,
//! its nonce unused. Executed batches are `STATE_CONFIRMED` (and mined on the simulated
//! node, so `eth_getTransactionReceipt` finds them).
//!
//! Shapes: tests/data/venue/relayer/README.md (from Polymarket's builder-relayer-client; the
//! refusal texts are the simulator's own, no capture was found). `PROXY` and `SAFE`
//! transactions are refused (not modelled).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::clob::WalletKind;
use super::Shared;
use crate::clob::order::{Address, Chain};
use crate::clob::sign::keccak;
use crate::wallet::batch::{
    recover_batch_signer, unhex, WalletBatchRequest, DEPOSIT_WALLET_FACTORY,
};

pub const UNAUTHORIZED: &str = "invalid relayer api key";
pub const BAD_REQUEST: &str = "invalid request body";
pub const UNSUPPORTED: &str = "transaction type not supported by the simulated relayer";
pub const BAD_SIGNATURE: &str = "invalid signature";
pub const BAD_NONCE: &str = "invalid nonce";
pub const EXPIRED: &str = "deadline expired";

/// One transaction the relayer took.
#[derive(Clone, Debug)]
pub struct SimRelayerTx {
    pub id: String,
    pub hash: String,
    pub from: String,
    pub wallet: String,
    pub nonce: u128,
    pub state: &'static str,
    pub created_ms: u64,
}

#[derive(Debug, Default)]
pub struct SimRelayer {
    keys: Mutex<HashMap<String, [u8; 20]>>,
    nonces: Mutex<HashMap<[u8; 20], u128>>,
    txs: Mutex<Vec<SimRelayerTx>>,
    seq: AtomicU64,
}

impl SimRelayer {
    /// Accept `api_key` from `address` (polymarket.com, Settings → API Keys).
    pub fn add_key(&self, api_key: &str, address: &Address) {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(api_key.to_string(), *address.bytes());
    }

    /// Every transaction taken, in order.
    pub fn transactions(&self) -> Vec<SimRelayerTx> {
        self.txs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/relayer/nonce", get(nonce))
        .route("/relayer/submit", post(submit))
        .route("/relayer/transaction", get(transaction))
}

type St = State<Arc<Shared>>;

fn refuse(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({"error": msg}))).into_response()
}

async fn nonce(State(sh): St, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(addr) = q.get("address").and_then(|a| Address::parse_hex(a).ok()) else {
        return refuse(StatusCode::BAD_REQUEST, "invalid address");
    };
    if q.get("type").map(String::as_str) != Some("WALLET") {
        return refuse(StatusCode::BAD_REQUEST, UNSUPPORTED);
    }
    let n = sh
        .relayer
        .nonces
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(addr.bytes())
        .copied()
        .unwrap_or(0);
    Json(json!({"nonce": n.to_string()})).into_response()
}

async fn transaction(State(sh): St, Query(q): Query<HashMap<String, String>>) -> Response {
    let id = q.get("id").cloned().unwrap_or_default();
    let txs = sh.relayer.txs.lock().unwrap_or_else(|e| e.into_inner());
    let list: Vec<Value> = txs
        .iter()
        .filter(|t| t.id == id)
        .map(|t| {
            let at = format!("{}", t.created_ms);
            json!({"transactionID": t.id, "transactionHash": t.hash, "from": t.from,
                "to": DEPOSIT_WALLET_FACTORY, "proxyAddress": t.wallet, "data": "0x",
                "nonce": t.nonce.to_string(), "value": "0", "state": t.state, "type": "WALLET",
                "metadata": "", "createdAt": at, "updatedAt": at})
        })
        .collect();
    Json(Value::Array(list)).into_response()
}

/// What a checked call does.
enum Effect {
    Approve {
        token: [u8; 20],
        spender: [u8; 20],
        on: bool,
    },
    Redeem {
        winner: String,
        loser: String,
    },
}

fn selector(sig: &str) -> [u8; 4] {
    let h = keccak(sig.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// Checks one call; `Err` when it would revert.
fn check_call(sh: &Shared, target: &str, data: &[u8]) -> Result<Effect, ()> {
    let c = Chain::Polygon.contracts();
    let sel = data.get(..4).ok_or(())?;
    let word = |i: usize| data.get(4 + 32 * i..4 + 32 * (i + 1)).ok_or(());
    let to = Address::parse_hex(target).map_err(|_| ())?;
    let is = |a: &str| to.as_str().eq_ignore_ascii_case(a);
    if is(c.collateral) && sel == selector("approve(address,uint256)") {
        let spender: [u8; 20] = word(0)?[12..].try_into().map_err(|_| ())?;
        let on = word(1)?.iter().any(|&b| b != 0);
        return Ok(Effect::Approve {
            token: *to.bytes(),
            spender,
            on,
        });
    }
    if is(c.conditional_tokens) && sel == selector("setApprovalForAll(address,bool)") {
        let spender: [u8; 20] = word(0)?[12..].try_into().map_err(|_| ())?;
        let on = word(1)?[31] == 1;
        return Ok(Effect::Approve {
            token: *to.bytes(),
            spender,
            on,
        });
    }
    if is(c.conditional_tokens)
        && sel == selector("redeemPositions(address,bytes32,bytes32,uint256[])")
    {
        let o = super::chain_reads::settled(sh, word(2)?).ok_or(())?;
        let (winner, loser) = if o.up_won {
            (o.up_token, o.down_token)
        } else {
            (o.down_token, o.up_token)
        };
        return Ok(Effect::Redeem { winner, loser });
    }
    Err(())
}

async fn submit(State(sh): St, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let key_ok = match (h("relayer_api_key"), h("relayer_api_key_address")) {
        (Some(k), Some(a)) => {
            let keys = sh.relayer.keys.lock().unwrap_or_else(|e| e.into_inner());
            Address::parse_hex(a)
                .ok()
                .is_some_and(|a| keys.get(k) == Some(a.bytes()))
        }
        _ => false,
    };
    if !key_ok {
        return refuse(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    }
    let Ok(req) = serde_json::from_slice::<WalletBatchRequest>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, BAD_REQUEST);
    };
    if req.kind != "WALLET" || !req.to.eq_ignore_ascii_case(DEPOSIT_WALLET_FACTORY) {
        return refuse(StatusCode::BAD_REQUEST, UNSUPPORTED);
    }
    let p = &req.deposit_wallet_params;
    let (Ok(from), Ok(wallet), Ok(nonce), Ok(deadline)) = (
        Address::parse_hex(&req.from),
        Address::parse_hex(&p.deposit_wallet),
        req.nonce.parse::<u128>(),
        p.deadline.parse::<u64>(),
    ) else {
        return refuse(StatusCode::BAD_REQUEST, BAD_REQUEST);
    };
    let owner_ok = sh.clob.wallet_owner(&wallet) == Some((from, WalletKind::DepositWallet));
    if !owner_ok || recover_batch_signer(Chain::Polygon, &req).ok() != Some(from) {
        return refuse(StatusCode::BAD_REQUEST, BAD_SIGNATURE);
    }
    if deadline <= crate::clock::wall_ms() / 1000 {
        return refuse(StatusCode::BAD_REQUEST, EXPIRED);
    }
    let mut nonces = sh.relayer.nonces.lock().unwrap_or_else(|e| e.into_inner());
    let expected = nonces.get(from.bytes()).copied().unwrap_or(0);
    if nonce != expected {
        return refuse(StatusCode::BAD_REQUEST, BAD_NONCE);
    }
    // All or nothing: every call checked before any runs.
    let effects: Result<Vec<Effect>, ()> = p
        .calls
        .iter()
        .map(|c| {
            unhex(&c.data)
                .ok_or(())
                .and_then(|d| check_call(&sh, &c.target, &d))
        })
        .collect();
    let seq = sh.relayer.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let id = crate::sim::clob::SimClob::derived_credentials(&from, seq)
        .api_key()
        .to_string();
    let hash = format!(
        "0x{}",
        keccak(&[&body[..], &seq.to_be_bytes()].concat())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let state = match effects {
        Ok(effects) => {
            nonces.insert(*from.bytes(), expected + 1);
            for e in effects {
                match e {
                    Effect::Approve { token, spender, on } => {
                        sh.rpc.set_approval(token, *wallet.bytes(), spender, on)
                    }
                    Effect::Redeem { winner, loser } => {
                        sh.clob.redeem(&wallet, &winner, &loser);
                        sh.rpc.count_redemption();
                    }
                }
            }
            sh.rpc.mined(&hash);
            "STATE_CONFIRMED"
        }
        Err(()) => "STATE_FAILED",
    };
    drop(nonces);
    sh.relayer
        .txs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(SimRelayerTx {
            id: id.clone(),
            hash,
            from: from.as_str().to_string(),
            wallet: wallet.as_str().to_string(),
            nonce,
            state,
            created_ms: crate::clock::wall_ms(),
        });
    Json(json!({"transactionID": id, "state": "STATE_NEW"})).into_response()
}
