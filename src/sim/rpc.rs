//! A minimal Polygon JSON-RPC node for token approvals: `eth_call` answers pUSD
//! `allowance(owner, spender)` and conditional-token `isApprovedForAll(owner, operator)`;
//! `eth_sendRawTransaction` verifies a signed legacy transaction (sender recovered, nonce in
//! order, chain id) and applies `approve` / `setApprovalForAll`; plus `eth_chainId`,
//! `eth_gasPrice`, `eth_getTransactionCount`, `eth_getTransactionReceipt`. Reads of balances
//! and payouts are in [`super::chain_reads`]. Tests read what it holds.
//!
//! Redemption: a conditional-token `redeemPositions(collateral, parent, conditionId,
//! indexSets)` sent by a wallet that holds outcome tokens of a settled window pays it 1 pUSD
//! per winning share on chain and burns both outcomes' tokens (the CLOB's cached balance sees
//! the pUSD after `GET /balance-allowance/update`, as on the venue). A condition not settled
//! yet is refused before the transaction is accepted, with the CTF contract's revert reason.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::clob::order::{Address, Chain};
use crate::clob::sign::{decode_call_tx, keccak};

use super::Shared;

/// (token contract, owner, spender).
type ApprovalKey = ([u8; 20], [u8; 20], [u8; 20]);

#[derive(Debug, Default)]
pub struct SimRpc {
    /// Approved or not, by (token contract, owner, spender).
    approvals: Mutex<BTreeMap<ApprovalKey, bool>>,
    nonces: Mutex<BTreeMap<[u8; 20], u64>>,
    transactions: AtomicU64,
    /// Mined transactions by hash (all succeed once accepted): `eth_getTransactionReceipt`.
    receipts: Mutex<BTreeMap<String, u64>>,
    /// `redeemPositions` calls that executed (EOA transactions and relayer batches).
    redemptions: AtomicU64,
}

impl SimRpc {
    /// Sets an approval as a wallet's own call would (the relayer's batches).
    pub(crate) fn set_approval(
        &self,
        token: [u8; 20],
        owner: [u8; 20],
        spender: [u8; 20],
        on: bool,
    ) {
        self.approvals
            .lock()
            .expect("rpc")
            .insert((token, owner, spender), on);
    }

    /// Records a mined transaction (the relayer's, for receipts).
    pub(crate) fn mined(&self, hash: &str) {
        let mut r = self.receipts.lock().expect("rpc");
        let n = r.len() as u64 + 1;
        r.insert(hash.to_ascii_lowercase(), n);
    }

    pub(crate) fn count_redemption(&self) {
        self.redemptions.fetch_add(1, Ordering::SeqCst);
    }

    /// `redeemPositions` calls executed, by any path.
    pub fn redemptions(&self) -> u64 {
        self.redemptions.load(Ordering::SeqCst)
    }

    /// Transactions accepted.
    pub fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    /// Approvals granted by `owner`, as (token contract, spender) pairs.
    pub fn approvals_of(&self, owner: &Address) -> Vec<(String, String)> {
        let a = self.approvals.lock().expect("rpc");
        a.iter()
            .filter(|((_, o, _), on)| o == owner.bytes() && **on)
            .map(|((t, _, s), _)| {
                (
                    Address::from_bytes(*t).as_str().to_string(),
                    Address::from_bytes(*s).as_str().to_string(),
                )
            })
            .collect()
    }
}

impl SimRpc {
    /// `owner` approved pUSD to the CTF exchange (V2) on `chain`: what the CLOB's
    /// allowance refresh reads.
    pub fn pusd_approved(&self, chain: Chain, owner: &[u8; 20]) -> bool {
        let c = chain.contracts();
        let (Ok(token), Ok(spender)) = (
            Address::parse_hex(c.collateral),
            Address::parse_hex(c.exchange_v2),
        ) else {
            return false;
        };
        self.approvals
            .lock()
            .map(|a| {
                a.get(&(*token.bytes(), *owner, *spender.bytes()))
                    .copied()
                    .unwrap_or(false)
            })
            .unwrap_or(false)
    }
}

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/rpc", post(rpc))
}

fn selector(sig: &str) -> [u8; 4] {
    let h = keccak(sig.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x")?;
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|d| u8::from_str_radix(d, 16).ok()))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::from("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn addr_at(data: &[u8], word: usize) -> Option<[u8; 20]> {
    let w = data.get(4 + 32 * word..4 + 32 * (word + 1))?;
    w[12..].try_into().ok()
}

fn error(id: &Value, code: i64, message: &str) -> Json<Value> {
    Json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}))
}

async fn rpc(State(sh): State<Arc<Shared>>, Json(req): Json<Value>) -> Json<Value> {
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let method = req.get("method").and_then(Value::as_str).unwrap_or("");
    let params = req.get("params").cloned().unwrap_or(Value::Null);
    let r = &sh.rpc;
    let ok = |v: Value| Json(json!({"jsonrpc": "2.0", "id": id, "result": v}));
    let chain = Chain::Polygon;
    match method {
        "eth_chainId" => ok(json!(format!("0x{:x}", chain.chain_id()))),
        "eth_gasPrice" => ok(json!("0x6fc23ac00")),
        "eth_getTransactionCount" => {
            let Some(owner) = params
                .get(0)
                .and_then(Value::as_str)
                .and_then(|a| Address::parse_hex(a).ok())
            else {
                return error(&id, -32602, "bad address");
            };
            let n = r
                .nonces
                .lock()
                .expect("rpc")
                .get(owner.bytes())
                .copied()
                .unwrap_or(0);
            ok(json!(format!("0x{n:x}")))
        }
        "eth_call" => {
            let call = params.get(0).cloned().unwrap_or(Value::Null);
            let (Some(to), Some(data)) = (
                call.get("to")
                    .and_then(Value::as_str)
                    .and_then(|a| Address::parse_hex(a).ok()),
                call.get("data")
                    .or_else(|| call.get("input"))
                    .and_then(Value::as_str)
                    .and_then(parse_hex),
            ) else {
                return error(&id, -32602, "bad call");
            };
            if let Some(word) = super::chain_reads::read(&sh, &to, &data) {
                return ok(json!(to_hex(&word)));
            }
            let (Some(owner), Some(spender)) = (addr_at(&data, 0), addr_at(&data, 1)) else {
                return error(&id, -32000, "execution reverted");
            };
            let approved = r
                .approvals
                .lock()
                .expect("rpc")
                .get(&(*to.bytes(), owner, spender))
                .copied()
                .unwrap_or(false);
            let sel = &data[..4];
            let c = chain.contracts();
            let mut word = [0u8; 32];
            if sel == selector("allowance(address,address)")
                && to.as_str().eq_ignore_ascii_case(c.collateral)
            {
                if approved {
                    word = [0xff; 32];
                }
            } else if sel == selector("isApprovedForAll(address,address)")
                && to.as_str().eq_ignore_ascii_case(c.conditional_tokens)
            {
                word[31] = approved as u8;
            } else {
                return error(&id, -32000, "execution reverted");
            }
            ok(json!(to_hex(&word)))
        }
        "eth_sendRawTransaction" => {
            let Some(raw) = params.get(0).and_then(Value::as_str).and_then(parse_hex) else {
                return error(&id, -32602, "bad raw transaction");
            };
            let Ok(tx) = decode_call_tx(&raw) else {
                return error(&id, -32000, "invalid sender");
            };
            if tx.chain_id != Some(chain.chain_id()) {
                return error(&id, -32000, "invalid chain id");
            }
            let from = *tx.from.bytes();
            let c = chain.contracts();
            let redeem = tx.data.get(..4)
                == Some(&selector("redeemPositions(address,bytes32,bytes32,uint256[])")[..])
                && tx.to.as_str().eq_ignore_ascii_case(c.conditional_tokens);
            let settled = if redeem {
                let Some(cid) = tx.data.get(4 + 64..4 + 96) else {
                    return error(&id, -32000, "execution reverted");
                };
                let cid = to_hex(cid);
                let world = sh.world.lock().unwrap_or_else(|e| e.into_inner());
                let Some(o) = world
                    .windows
                    .outcomes()
                    .iter()
                    .find(|o| o.condition_id.eq_ignore_ascii_case(&cid))
                    .cloned()
                else {
                    return error(
                        &id,
                        -32000,
                        "execution reverted: result for condition not received yet",
                    );
                };
                Some(o)
            } else {
                None
            };
            {
                let mut nonces = r.nonces.lock().expect("rpc");
                let expected = nonces.get(&from).copied().unwrap_or(0);
                if tx.nonce != expected {
                    return error(&id, -32000, "nonce too low");
                }
                nonces.insert(from, expected + 1);
            }
            let sel = tx.data.get(..4).unwrap_or(&[]);
            let spender = addr_at(&tx.data, 0);
            let c = chain.contracts();
            let approve = sel == selector("approve(address,uint256)")
                && tx.to.as_str().eq_ignore_ascii_case(c.collateral);
            let set_all = sel == selector("setApprovalForAll(address,bool)")
                && tx.to.as_str().eq_ignore_ascii_case(c.conditional_tokens);
            if let (true, Some(spender)) = (approve || set_all, spender) {
                let on = if approve {
                    tx.data
                        .get(36..68)
                        .is_some_and(|v| v.iter().any(|&b| b != 0))
                } else {
                    tx.data.get(67).copied() == Some(1)
                };
                r.approvals
                    .lock()
                    .expect("rpc")
                    .insert((*tx.to.bytes(), from, spender), on);
            }
            if let Some(o) = settled {
                let (win, lose) = if o.up_won {
                    (&o.up_token, &o.down_token)
                } else {
                    (&o.down_token, &o.up_token)
                };
                sh.clob.redeem(&tx.from, win, lose);
                r.count_redemption();
            }
            r.transactions.fetch_add(1, Ordering::Relaxed);
            let hash = to_hex(&keccak(&raw));
            r.mined(&hash);
            ok(json!(hash))
        }
        "eth_getTransactionReceipt" => {
            let Some(h) = params.get(0).and_then(Value::as_str) else {
                return error(&id, -32602, "bad transaction hash");
            };
            let block = r
                .receipts
                .lock()
                .expect("rpc")
                .get(&h.to_ascii_lowercase())
                .copied();
            ok(match block {
                Some(n) => json!({"transactionHash": h, "status": "0x1",
                    "blockNumber": format!("0x{n:x}")}),
                None => Value::Null,
            })
        }
        _ => error(&id, -32601, "method not found"),
    }
}
