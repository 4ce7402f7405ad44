//! The wallet: the signing key, the signature type and funder (and that they agree), and
//! the pUSD balance and exchange approvals of the wallet that holds the funds, read over the
//! Polygon JSON-RPC of `[venues] polygon_rpc`.
//!
//! Which address holds the funds: the funder (`POLYMARKET_FUNDER`: proxy, Safe or deposit
//! wallet) for signature types 1–3, the signing key's own address for type 0. The balance is
//! pUSD's ERC-20 `balanceOf`; approvals reuse [`crate::clob::allowances::read`]. (The CLOB's
//! own cached view, `GET /balance-allowance`, is the simulator's other helper's work; this
//! check reads the chain, which is what the CLOB's cache is refreshed from.)

use serde_json::{json, Value};

use super::{Env, Row};
use crate::clob::allowances::{self, Rpc};
use crate::clob::auth::{private_key_from_lookup, Credentials};
use crate::clob::order::{Address, Chain, SignatureType};
use crate::clob::sign::{keccak, PrivateKey};
use crate::config::Config;

/// What the environment says about who trades.
pub struct Identity {
    pub key: PrivateKey,
    pub eoa: Address,
    /// `None` when the three CLOB credentials are not all set (the credentials row says why).
    pub creds: Option<Credentials>,
    pub creds_error: String,
    pub signature_type: SignatureType,
    pub funder: Option<Address>,
}

impl Identity {
    /// The address that holds the funds and must carry the approvals.
    pub fn holder(&self) -> Address {
        self.funder.unwrap_or(self.eoa)
    }
}

fn type_name(t: SignatureType) -> &'static str {
    match t {
        SignatureType::Eoa => "0 (EOA)",
        SignatureType::PolyProxy => "1 (proxy wallet)",
        SignatureType::PolyGnosisSafe => "2 (Safe)",
        SignatureType::Poly1271 => "3 (deposit wallet, POLY_1271)",
    }
}

const KEY_FIX: &str = "put the signing key in a file readable by the service user only and set \
    POLYMARKET_PRIVATE_KEY_FILE to it in the environment file (deploy/systemd/cassandra.env.example)";

/// The `signing key` and `wallet type` rows, and the identity when the key is usable.
pub fn identity(env: Env<'_>) -> (Vec<Row>, Option<Identity>) {
    let mut rows = Vec::new();
    let key = match private_key_from_lookup(env) {
        Ok(k) => {
            rows.push(Row::pass("signing key", format!("EOA {}", k.address())));
            Some(k)
        }
        Err(e) => {
            rows.push(Row::fail("signing key", e.to_string(), KEY_FIX));
            None
        }
    };
    let signature_type = match env("POLYMARKET_SIGNATURE_TYPE").as_deref().map(str::trim) {
        None | Some("0") => Ok(SignatureType::Eoa),
        Some("1") => Ok(SignatureType::PolyProxy),
        Some("2") => Ok(SignatureType::PolyGnosisSafe),
        Some("3") => Ok(SignatureType::Poly1271),
        Some(other) => Err(format!("POLYMARKET_SIGNATURE_TYPE = {other:?}")),
    };
    let funder = env("POLYMARKET_FUNDER").map(|f| {
        Address::parse_hex(f.trim()).map_err(|_| "POLYMARKET_FUNDER is not an address".to_string())
    });
    let wallet = match (&key, signature_type, funder) {
        (_, Err(e), _) => Err((
            e,
            "set POLYMARKET_SIGNATURE_TYPE to 0 (EOA), 1 (proxy), 2 (Safe) or 3 (deposit wallet: \
             every polymarket.com account made since May 2026)"
                .to_string(),
        )),
        (_, _, Some(Err(e))) => Err((
            e,
            "set POLYMARKET_FUNDER to the 0x address polymarket.com shows as your wallet".into(),
        )),
        (key, Ok(t), funder) => {
            let funder = funder.and_then(Result::ok);
            check_wallet(key.as_ref().map(PrivateKey::address), t, funder)
                .map(|detail| (detail, t, funder))
        }
    };
    let (signature_type, funder) = match wallet {
        Ok((detail, t, funder)) => {
            rows.push(Row::pass("wallet type", detail));
            (t, funder)
        }
        Err((detail, fix)) => {
            rows.push(Row::fail("wallet type", detail, fix));
            return (rows, None);
        }
    };
    let Some(key) = key else {
        return (rows, None);
    };
    let (creds, creds_error) = match Credentials::from_lookup(env) {
        Ok(c) => (Some(c), String::new()),
        Err(e) => (None, e.to_string()),
    };
    let eoa = key.address();
    (
        rows,
        Some(Identity {
            key,
            eoa,
            creds,
            creds_error,
            signature_type,
            funder,
        }),
    )
}

/// Signature type and funder agree with each other and with the key.
fn check_wallet(
    eoa: Option<Address>,
    t: SignatureType,
    funder: Option<Address>,
) -> Result<String, (String, String)> {
    let name = type_name(t);
    match (t, funder) {
        (SignatureType::Eoa, Some(f)) if eoa.as_ref().is_some_and(|e| *e != f) => Err((
            format!("signature type {name} but POLYMARKET_FUNDER is {f}, not the key's address"),
            "type 0 trades from the key's own address: set POLYMARKET_SIGNATURE_TYPE to the \
             funder's wallet type (1 proxy, 2 Safe, 3 deposit wallet) or unset POLYMARKET_FUNDER"
                .into(),
        )),
        (SignatureType::Eoa, _) => Ok(format!(
            "signature type {name}: funds and approvals on the key's address"
        )),
        (_, None) => Err((
            format!("signature type {name} without POLYMARKET_FUNDER"),
            "set POLYMARKET_FUNDER to the wallet's 0x address (polymarket.com, Settings)".into(),
        )),
        (_, Some(f)) if eoa.as_ref() == Some(&f) => Err((
            format!("signature type {name} but POLYMARKET_FUNDER is the signing key's own address"),
            "POLYMARKET_FUNDER is the proxy/Safe/deposit wallet's address, not the key's; or use \
             signature type 0 for a plain EOA"
                .into(),
        )),
        (_, Some(f)) => Ok(format!("signature type {name}: funds in {f}")),
    }
}

/// pUSD `balanceOf(owner)` in 1e-6 units.
fn balance_of(
    url: &str,
    timeout_ms: u64,
    token: &Address,
    owner: &Address,
) -> Result<u128, String> {
    let h = keccak(b"balanceOf(address)");
    let mut data = String::from("0x");
    for b in &h[..4] {
        data.push_str(&format!("{b:02x}"));
    }
    data.push_str(&"0".repeat(24));
    for b in owner.bytes() {
        data.push_str(&format!("{b:02x}"));
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
        "params": [{"to": token.as_str(), "data": data}, "latest"]});
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_millis(timeout_ms))
        .build()
        .map_err(|e| e.to_string())?;
    let v: Value = client
        .post(url)
        .json(&body)
        .send()
        .and_then(|r| r.json())
        .map_err(|e| format!("Polygon RPC: {}", super::why(e)))?;
    if let Some(e) = v.get("error") {
        return Err(format!("Polygon RPC: balanceOf: {e}"));
    }
    let hex = v
        .get("result")
        .and_then(Value::as_str)
        .and_then(|s| s.strip_prefix("0x"))
        .ok_or("Polygon RPC: balanceOf: no result")?;
    let hex = hex.trim_start_matches('0');
    if hex.len() > 32 {
        return Ok(u128::MAX);
    }
    u128::from_str_radix(if hex.is_empty() { "0" } else { hex }, 16)
        .map_err(|_| "Polygon RPC: balanceOf: not a number".to_string())
}

fn usdc(units: u128) -> String {
    format!("{}.{:06}", units / 1_000_000, units % 1_000_000)
}

/// The `pUSD balance` and `allowances` rows.
pub fn funds(cfg: &Config, id: Option<&Identity>) -> Vec<Row> {
    let Some(id) = id else {
        let why = "needs a usable signing key and wallet type (see the rows above)";
        return vec![
            Row::fail(
                "pUSD balance",
                why,
                "fix the signing key and wallet type first",
            ),
            Row::fail(
                "allowances",
                why,
                "fix the signing key and wallet type first",
            ),
        ];
    };
    let chain = Chain::Polygon;
    let holder = id.holder();
    let url = &cfg.venues.polygon_rpc;
    let rpc_fix = "check venues.polygon_rpc (a Polygon mainnet JSON-RPC endpoint you may use; \
        public ones rate-limit) and that this host can reach it";
    let mut rows = Vec::new();
    let pusd = Address::parse_hex(chain.contracts().collateral).expect("pUSD address is valid");
    let min = (cfg.preflight.min_balance_usdc * 1e6).round() as u128;
    rows.push(
        match balance_of(url, cfg.preflight.timeout_ms, &pusd, &holder) {
            Ok(b) if b >= min => Row::pass("pUSD balance", format!("{} pUSD in {holder}", usdc(b))),
            Ok(b) => Row::fail(
                "pUSD balance",
                format!(
                    "{} pUSD in {holder}, below preflight.min_balance_usdc = {}",
                    usdc(b),
                    cfg.preflight.min_balance_usdc
                ),
                "deposit USDC on polymarket.com (it is wrapped into pUSD) to the wallet that \
                 holds the funds, or lower preflight.min_balance_usdc",
            ),
            Err(e) => Row::fail("pUSD balance", e, rpc_fix),
        },
    );
    let rpc = match Rpc::new(url) {
        Ok(r) => r,
        Err(e) => {
            rows.push(Row::fail("allowances", e.to_string(), rpc_fix));
            return rows;
        }
    };
    rows.push(match allowances::read(&rpc, chain, &holder) {
        Ok(s) if s.ready => Row::pass(
            "allowances",
            format!(
                "pUSD and conditional tokens approved for {} exchange contracts",
                s.collateral.len()
            ),
        ),
        Ok(s) => {
            let missing: Vec<String> = s
                .collateral
                .iter()
                .filter(|a| !a.approved)
                .map(|a| format!("pUSD→{}", a.spender))
                .chain(
                    s.conditional_tokens
                        .iter()
                        .filter(|a| !a.approved)
                        .map(|a| format!("CTF→{}", a.spender)),
                )
                .collect();
            let fix = match id.signature_type {
                SignatureType::Eoa => {
                    "send the missing approvals from the key: `cassandra wallet approve` (or, \
                     in shadow mode, POST /api/live-trading/allowances with the X-API-Key \
                     header; deploy/README.md)"
                }
                SignatureType::Poly1271 => {
                    "approvals must come from the wallet that holds the funds (the deposit \
                     wallet), through Polymarket's relayer: set POLYMARKET_RELAYER_API_KEY and \
                     POLYMARKET_RELAYER_API_KEY_ADDRESS (polymarket.com, Settings, API Keys) and \
                     run `cassandra wallet approve` (or POST /api/live-trading/allowances in \
                     shadow mode); or enable trading once on polymarket.com; then rerun"
                }
                _ => {
                    "approvals must come from the wallet that holds the funds, not the key: \
                     enable trading once on polymarket.com (it approves through the relayer), \
                     then rerun"
                }
            };
            Row::fail(
                "allowances",
                format!("missing for {holder}: {}", missing.join(", ")),
                fix,
            )
        }
        Err(e) => Row::fail("allowances", e.to_string(), rpc_fix),
    });
    rows
}
