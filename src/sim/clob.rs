//! The simulated CLOB's trading side: `POST /order`, `DELETE /cancel-all`, `GET /version`
//! and the L1 key endpoints (`POST /auth/api-key`, `GET /auth/derive-api-key`), mounted on
//! the simulator's HTTP server and speaking the venue's wire format
//! (shared/protocols/polymarket.md §3–§4, docs.polymarket.com/resources/error-codes).
//!
//! What an order goes through, in the venue's order, each failure recorded:
//! 1. fault switches ([`super::Faults`]: forced 429/5xx, delay, `order_version_mismatch`);
//! 2. L2 auth: the API key is known, `POLY_ADDRESS` and `POLY_PASSPHRASE` are the key's,
//!    `POLY_TIMESTAMP` is within ±30 s, and `POLY_SIGNATURE` is the HMAC of
//!    `timestamp + "POST" + "/order" + body` over the exact body bytes (else 401
//!    `{"error":"Unauthorized/Invalid api key"}`);
//! 3. the body (keys as `clob::body` writes them), `owner` = the API key;
//! 4. the EIP-712 signature, recovered for the exchange of the served version (2: CTF V2,
//!    neg_risk is always false here; 3: Exchange V3) on the configured chain; the EOA must be
//!    the key's and `signer`; `maker` is the EOA (type 0) or a funder registered for it
//!    (types 1–3). A signature that recovers the key's EOA under the *other* version's domain
//!    answers `order_version_mismatch`, as the venue does for a stale client;
//! 5. price on the token's current tick (within 1% of a tick, which admits market orders'
//!    floored share legs), at least [`MIN_ORDER_SIZE_U6`] shares, amounts consistent with
//!    the side; a salt accepted before is a duplicate;
//! 6. matching against the simulator's live book of the token: levels at or better than the
//!    limit, best first. BUY wants `takerAmount` shares, SELL gives `makerAmount` shares
//!    (a market BUY therefore spends at most its `makerAmount`). FOK is all or nothing, FAK
//!    takes what there is. GTC/GTD match the crossing part and answer `live` when nothing
//!    crossed; nothing rests in the book (no maker fills, no resting-order logic), but the
//!    order id is remembered for `cancel-all`. Matched size leaves the book and the market
//!    channel shows it (`price_change` + `last_trade_price`).
//!
//! Responses: 200 `{"success":true,"errorMsg":"","orderID":"0x…","status":"matched",
//! "makingAmount":"…","takingAmount":"…","transactionsHashes":["0x…"],"tradeIDs":["…"]}`
//! (amounts as decimal strings in whole units, empty for `live`/`delayed`); every refusal is
//! HTTP 400/401 `{"error":"…"}`. `order_version_mismatch` also carries
//! `"success":false,"errorMsg":"order_version_mismatch"`, so clients that look for the text in
//! either key see it.
//!
//! Limits: no balances or allowances, no fees, no maker side, no `/orders` batch, no
//! `/data/trades` (the transaction hashes come back in the order response at once).

use super::book::{SimBook, SimLevel};
use super::Shared;
use crate::clob::amounts::Units;
use crate::clob::auth::{Credentials, L2Signer};
use crate::clob::order::{
    Address, Bytes32, Chain, Exchange, OrderType, OrderV2, Side, SignatureType, TokenId,
};
use crate::clob::sign::{keccak, recover_clob_auth_signer, ExchangeDomains};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The venue's minimum order size (`min_order_size` "5"), in 1e-6 shares.
pub const MIN_ORDER_SIZE_U6: u64 = 5_000_000;
/// How far `POLY_TIMESTAMP` may be from the simulator's clock.
pub const L2_TIMESTAMP_WINDOW_S: u64 = 30;

const UNAUTHORIZED: &str = "Unauthorized/Invalid api key";
const INVALID_L1: &str = "Invalid L1 Request headers";
const FOK_KILLED: &str = "order couldn't be fully filled. FOK orders are fully filled or killed.";
const FAK_KILLED: &str = "no orders found to match with FAK order. FAK orders are partially \
                          filled or killed if no match is found.";
const VERSION_MISMATCH: &str = "order_version_mismatch";

/// What the simulated CLOB did with one `POST /order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimVerdict {
    /// Filled (fully, or partly for FAK/GTC): `"status":"matched"`.
    Matched,
    /// Valid, nothing crossed (GTC/GTD): `"status":"live"`.
    Live,
    /// Valid, answered `"status":"delayed"` by the delay fault; nothing filled.
    Delayed,
    /// FOK not fully fillable, or FAK with nothing to fill: HTTP 400, nothing filled.
    Killed,
    /// Refused after authentication (payload, signature, tick, size, duplicate, version).
    Rejected,
    /// Refused by L2 authentication: HTTP 401.
    Unauthorized,
    /// Answered by a forced-status fault before anything was checked.
    Faulted,
}

/// One `POST /order` as the simulated CLOB saw it. Fields it could not read stay empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimOrderRecord {
    /// Wall-clock arrival (ns since the epoch), for wire-to-wire latency.
    pub received_ns: u64,
    pub http_status: u16,
    pub salt: Option<u64>,
    pub token_id: String,
    pub side: Option<Side>,
    pub order_type: Option<OrderType>,
    /// The limit price on the tick (1e-6), 0 if it was never computed.
    pub price_u6: u64,
    /// The share leg (takerAmount for BUY, makerAmount for SELL), 1e-6 shares.
    pub size_u6: u64,
    pub maker_amount_u6: u64,
    pub taker_amount_u6: u64,
    /// The L2 headers checked out.
    pub hmac_ok: bool,
    /// The EIP-712 signature recovered the key's EOA, which is `signer`, and `maker` fits.
    pub signer_ok: bool,
    pub verdict: SimVerdict,
    /// The `error` text sent, empty on success.
    pub error: String,
    /// `0x` + the order's EIP-712 digest, empty before the signature step.
    pub order_id: String,
    /// Shares filled (1e-6).
    pub filled_u6: u64,
    /// pUSD paid (BUY) or received (SELL) for them (1e-6).
    pub notional_u6: u64,
}

impl SimOrderRecord {
    fn new(received_ns: u64) -> SimOrderRecord {
        SimOrderRecord {
            received_ns,
            http_status: 0,
            salt: None,
            token_id: String::new(),
            side: None,
            order_type: None,
            price_u6: 0,
            size_u6: 0,
            maker_amount_u6: 0,
            taker_amount_u6: 0,
            hmac_ok: false,
            signer_ok: false,
            verdict: SimVerdict::Rejected,
            error: String::new(),
            order_id: String::new(),
            filled_u6: 0,
            notional_u6: 0,
        }
    }
}

struct KeyEntry {
    creds: Credentials,
    l2: L2Signer,
    eoa: Address,
}

#[derive(Default)]
struct ClobState {
    keys: HashMap<String, KeyEntry>,
    /// (EOA, nonce) → API key, for keys made through L1.
    by_nonce: HashMap<([u8; 20], u64), String>,
    /// funder (proxy, Safe, deposit wallet) → the EOA that signs for it.
    funders: HashMap<[u8; 20], [u8; 20]>,
    accepted_salts: HashSet<u64>,
    records: Vec<SimOrderRecord>,
    /// Order ids answered `live`, per API key, until `cancel-all`.
    live: HashMap<String, Vec<String>>,
    trade_seq: u64,
}

/// The simulated CLOB's accounts, settings and order log, shared by the HTTP handlers and
/// the tests ([`super::Simulator::clob`]).
pub struct SimClob {
    state: Mutex<ClobState>,
    version: AtomicU8,
    chain_id: AtomicU64,
    cancel_alls: AtomicU64,
}

impl Default for SimClob {
    fn default() -> Self {
        SimClob {
            state: Mutex::new(ClobState::default()),
            version: AtomicU8::new(2),
            chain_id: AtomicU64::new(Chain::Polygon.chain_id()),
            cancel_alls: AtomicU64::new(0),
        }
    }
}

impl SimClob {
    fn state(&self) -> std::sync::MutexGuard<'_, ClobState> {
        // A panicking handler must not take the whole simulator down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers API credentials belonging to `eoa` (the `POLY_ADDRESS` they sign with).
    pub fn add_credentials(&self, creds: Credentials, eoa: Address) {
        let Ok(l2) = L2Signer::new(&creds) else {
            return;
        };
        let key = creds.api_key().to_string();
        self.state().keys.insert(key, KeyEntry { creds, l2, eoa });
    }

    /// Registers `funder` (proxy, Safe or deposit wallet) as held by `eoa`: orders of types
    /// 1–3 signed by `eoa` may name it as `maker`.
    pub fn add_funder(&self, eoa: Address, funder: Address) {
        self.state().funders.insert(*funder.bytes(), *eoa.bytes());
    }

    /// The credentials `POST /auth/api-key` issues to `eoa` for `nonce` (deterministic, so a
    /// test can know them in advance; `GET /auth/derive-api-key` returns the same once made).
    pub fn derived_credentials(eoa: &Address, nonce: u64) -> Credentials {
        let mut seed = b"cassandra-sim-clob-key".to_vec();
        seed.extend_from_slice(eoa.bytes());
        seed.extend_from_slice(&nonce.to_be_bytes());
        let h = keccak(&seed);
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        let api_key = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        let secret = URL_SAFE.encode(keccak(&[&h[..], b"secret"].concat()));
        let passphrase: String = keccak(&[&h[..], b"passphrase"].concat())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Credentials::new(api_key, secret, passphrase).expect("base64 of 32 bytes is a secret")
    }

    /// Every `POST /order` received, in arrival order.
    pub fn orders(&self) -> Vec<SimOrderRecord> {
        self.state().records.clone()
    }

    /// How many `DELETE /cancel-all` were authenticated and answered.
    pub fn cancel_all_count(&self) -> u64 {
        self.cancel_alls.load(Ordering::SeqCst)
    }

    /// The order version `GET /version` serves and orders must be signed for: 2 (default;
    /// CTF Exchange V2, domain "2") or 3 (Exchange V3, domain "3").
    pub fn set_version(&self, version: u8) {
        self.version.store(version, Ordering::SeqCst);
    }

    pub fn version(&self) -> u8 {
        self.version.load(Ordering::SeqCst)
    }

    /// The chain whose EIP-712 domains orders and ClobAuth are verified on (default Polygon).
    pub fn set_chain(&self, chain: Chain) {
        self.chain_id.store(chain.chain_id(), Ordering::SeqCst);
    }

    pub fn chain(&self) -> Chain {
        Chain::from_chain_id(self.chain_id.load(Ordering::SeqCst)).unwrap_or(Chain::Polygon)
    }

    fn exchange(&self) -> Exchange {
        if self.version() == 3 {
            Exchange::V3
        } else {
            Exchange::CtfV2
        }
    }
}

/// The CLOB trading routes, merged into the simulator's router.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/order", post(post_order))
        .route("/cancel-all", delete(cancel_all))
        .route("/version", get(version))
        .route("/auth/api-key", post(create_api_key))
        .route("/auth/derive-api-key", get(derive_api_key))
}

type St = State<Arc<Shared>>;

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn error_response(status: StatusCode, msg: &str) -> Response {
    json_response(status, format!("{{\"error\":{}}}", json_str(msg)))
}

/// The forced-status fault's answer, if one applies to this request.
fn forced_fault(sh: &Shared) -> Option<(u16, Response)> {
    let code = sh.faults.take_clob_status()?;
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let msg = match code {
        429 => "Too Many Requests",
        503 => "Trading is currently disabled. Check polymarket.com for updates",
        c if c >= 500 => "could not run the execution",
        _ => "simulated fault",
    };
    Some((code, error_response(status, msg)))
}

async fn fault_delay(sh: &Shared) {
    let ms = sh.faults.clob_delay_ms();
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn now_s() -> u64 {
    crate::clock::wall_ms() / 1000
}

/// Checks the five L2 headers of a request; returns the API key.
pub(crate) fn check_l2(
    clob: &SimClob,
    h: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Option<String> {
    let key = header(h, "poly_api_key")?;
    let st = clob.state();
    let entry = st.keys.get(key)?;
    let address = Address::parse_hex(header(h, "poly_address")?).ok()?;
    if address != entry.eoa || header(h, "poly_passphrase")? != entry.creds.passphrase() {
        return None;
    }
    let ts: u64 = header(h, "poly_timestamp")?.parse().ok()?;
    if ts.abs_diff(now_s()) > L2_TIMESTAMP_WINDOW_S {
        return None;
    }
    let body = (!body.is_empty()).then_some(body);
    let expected = entry.l2.sign(ts, method, path, body);
    (header(h, "poly_signature")? == expected).then(|| key.to_string())
}

/// `POST /order` body as the venue takes it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireOrderBody {
    order: WireOrder,
    owner: String,
    order_type: String,
    #[serde(default)]
    defer_exec: bool,
    #[serde(default)]
    post_only: bool,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireOrder {
    salt: u64,
    maker: String,
    signer: String,
    token_id: String,
    maker_amount: String,
    taker_amount: String,
    side: String,
    expiration: String,
    signature_type: u8,
    timestamp: String,
    metadata: String,
    builder: String,
    signature: String,
}

fn parse_order_type(s: &str) -> Option<OrderType> {
    Some(match s {
        "GTC" => OrderType::Gtc,
        "GTD" => OrderType::Gtd,
        "FOK" => OrderType::Fok,
        "FAK" => OrderType::Fak,
        _ => return None,
    })
}

fn parse_side(s: &str) -> Option<Side> {
    match s {
        "BUY" => Some(Side::Buy),
        "SELL" => Some(Side::Sell),
        _ => None,
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x")?;
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hex32(b: &[u8; 32]) -> String {
    let mut s = String::with_capacity(66);
    s.push_str("0x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

impl WireOrder {
    fn to_order(&self) -> Option<(OrderV2, Vec<u8>)> {
        let signature_type = match self.signature_type {
            0 => SignatureType::Eoa,
            1 => SignatureType::PolyProxy,
            2 => SignatureType::PolyGnosisSafe,
            3 => SignatureType::Poly1271,
            _ => return None,
        };
        let order = OrderV2 {
            salt: self.salt,
            maker: Address::parse_hex(&self.maker).ok()?,
            signer: Address::parse_hex(&self.signer).ok()?,
            token_id: TokenId::parse_decimal(&self.token_id).ok()?,
            maker_amount_u6: self.maker_amount.parse().ok()?,
            taker_amount_u6: self.taker_amount.parse().ok()?,
            side: parse_side(&self.side)?,
            signature_type,
            timestamp_ms: self.timestamp.parse().ok()?,
            metadata: Bytes32::parse_hex(&self.metadata).ok()?,
            builder: Bytes32::parse_hex(&self.builder).ok()?,
            expiration_s: self.expiration.parse().ok()?,
        };
        Some((order, decode_hex(&self.signature)?))
    }
}

/// Why a valid-looking order was refused (HTTP 400), or that it is a version mismatch.
enum Refusal {
    Error(String),
    VersionMismatch,
}

/// The limit price on the tick, or a refusal. `num/den` is the implied price.
fn check_tick_and_size(o: &OrderV2, tick_u6: u64, id: &str) -> Result<(u64, u64), Refusal> {
    let (usdc, shares) = match o.side {
        Side::Buy => (o.maker_amount_u6, o.taker_amount_u6),
        Side::Sell => (o.taker_amount_u6, o.maker_amount_u6),
    };
    if usdc == 0 || shares == 0 {
        return Err(Refusal::Error(format!(
            "order {id} is invalid. makerAmount and takerAmount must be positive"
        )));
    }
    let num = u128::from(usdc) * 1_000_000;
    let den = u128::from(shares);
    let tick = u128::from(tick_u6);
    // Nearest tick multiple of num/den.
    let t = (num * 2 / den + tick) / (2 * tick) * tick;
    let off = (num as i128 - (den * t) as i128).unsigned_abs();
    let price_u6 = u64::try_from(num / den).unwrap_or(u64::MAX);
    if off * 100 > den * tick || t < tick || t > 1_000_000 - tick {
        return Err(Refusal::Error(format!(
            "order {id} is invalid. Price ({}) breaks minimum tick size rule: {}",
            Units(price_u6),
            Units(tick_u6)
        )));
    }
    if shares < MIN_ORDER_SIZE_U6 {
        return Err(Refusal::Error(format!(
            "order {id} is invalid. Size ({}) lower than the minimum: {}",
            Units(shares),
            Units(MIN_ORDER_SIZE_U6)
        )));
    }
    Ok((t as u64, shares))
}

/// Levels of `book` that a taker on `side` with limit `limit_u6` would hit, best first, and
/// how much of `want_u6` shares they fill: (fills in book units, shares u6, pUSD u6).
fn walk(book: &SimBook, side: Side, limit_u6: u64, want_u6: u64) -> (Vec<SimLevel>, u64, u64) {
    let levels = match side {
        Side::Buy => &book.asks,
        Side::Sell => &book.bids,
    };
    let mut fills = Vec::new();
    let mut left = want_u6;
    let mut notional: u128 = 0;
    for l in levels {
        if left == 0 {
            break;
        }
        let px_u6 = u64::from(l.price_e4) * 100;
        let ok = match side {
            Side::Buy => px_u6 <= limit_u6,
            Side::Sell => px_u6 >= limit_u6,
        };
        if !ok {
            break;
        }
        let q = left.min(l.size_e2 * 10_000);
        left -= q;
        notional += u128::from(q) * u128::from(px_u6);
        fills.push(SimLevel {
            price_e4: l.price_e4,
            size_e2: q.div_ceil(10_000),
        });
    }
    let notional_u6 = u64::try_from(notional / 1_000_000).unwrap_or(u64::MAX);
    (fills, want_u6 - left, notional_u6)
}

fn record(sh: &Shared, rec: SimOrderRecord) {
    sh.clob.state().records.push(rec);
}

async fn post_order(State(sh): St, headers: HeaderMap, body: Bytes) -> Response {
    let arrived_ns = crate::clock::mono_ns();
    let trigger = headers.get(super::wire::TRIGGER_HEADER);
    sh.wire
        .order_arrived(trigger.and_then(|v| v.to_str().ok()), arrived_ns);
    let mut rec = SimOrderRecord::new(super::wall_ns());
    let parsed: Option<WireOrderBody> = serde_json::from_slice(&body).ok();
    if let Some(p) = &parsed {
        rec.salt = Some(p.order.salt);
        rec.token_id = p.order.token_id.clone();
        rec.side = parse_side(&p.order.side);
        rec.order_type = parse_order_type(&p.order_type);
        rec.maker_amount_u6 = p.order.maker_amount.parse().unwrap_or(0);
        rec.taker_amount_u6 = p.order.taker_amount.parse().unwrap_or(0);
    }
    fault_delay(&sh).await;
    if let Some((code, resp)) = forced_fault(&sh) {
        rec.http_status = code;
        rec.verdict = SimVerdict::Faulted;
        record(&sh, rec);
        return resp;
    }
    let Some(api_key) = check_l2(&sh.clob, &headers, "POST", "/order", &body) else {
        rec.http_status = 401;
        rec.verdict = SimVerdict::Unauthorized;
        rec.error = UNAUTHORIZED.into();
        record(&sh, rec);
        return error_response(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    };
    rec.hmac_ok = true;
    let (status, body) = match evaluate(&sh, &api_key, parsed, &mut rec) {
        Ok(body) => (StatusCode::OK, body),
        Err(Refusal::Error(msg)) => {
            if rec.verdict != SimVerdict::Killed {
                rec.verdict = SimVerdict::Rejected;
            }
            rec.error = msg.clone();
            (
                StatusCode::BAD_REQUEST,
                format!("{{\"error\":{}}}", json_str(&msg)),
            )
        }
        Err(Refusal::VersionMismatch) => {
            rec.verdict = SimVerdict::Rejected;
            rec.error = VERSION_MISMATCH.into();
            (
                StatusCode::BAD_REQUEST,
                format!(
                    "{{\"error\":\"{VERSION_MISMATCH}\",\"success\":false,\
                     \"errorMsg\":\"{VERSION_MISMATCH}\"}}"
                ),
            )
        }
    };
    rec.http_status = status.as_u16();
    record(&sh, rec);
    json_response(status, body)
}

/// Everything after authentication; fills `rec` and returns the 200 body or the refusal.
fn evaluate(
    sh: &Shared,
    api_key: &str,
    parsed: Option<WireOrderBody>,
    rec: &mut SimOrderRecord,
) -> Result<String, Refusal> {
    let clob = &sh.clob;
    if sh.faults.take_version_mismatch() {
        return Err(Refusal::VersionMismatch);
    }
    let invalid = || Refusal::Error("Invalid order payload".into());
    let p = parsed.ok_or_else(invalid)?;
    let order_type = parse_order_type(&p.order_type).ok_or_else(invalid)?;
    let (order, sig) = p.order.to_order().ok_or_else(invalid)?;
    if p.owner != api_key {
        return Err(Refusal::Error(
            "the order owner has to be the owner of the API KEY".into(),
        ));
    }
    let domains = ExchangeDomains::new(clob.chain());
    let exchange = clob.exchange();
    let id = hex32(&domains.order_digest(exchange, &order));
    rec.order_id = id.clone();

    // Signature and identity.
    let (eoa, maker_ok) = {
        let st = clob.state();
        let eoa = st.keys.get(api_key).map(|k| k.eoa).ok_or_else(invalid)?;
        let funder_of_eoa = st.funders.get(order.maker.bytes()) == Some(eoa.bytes());
        let maker_ok = match order.signature_type {
            SignatureType::Eoa => order.maker == eoa,
            SignatureType::PolyProxy | SignatureType::PolyGnosisSafe => funder_of_eoa,
            SignatureType::Poly1271 => funder_of_eoa && order.signer == order.maker,
        };
        (eoa, maker_ok)
    };
    let recovered = domains.recover_order_signer(exchange, &order, &sig).ok();
    let signer_field_ok = match order.signature_type {
        SignatureType::Poly1271 => true,
        _ => order.signer == eoa,
    };
    rec.signer_ok = recovered == Some(eoa) && signer_field_ok && maker_ok;
    if recovered != Some(eoa) {
        let other = if exchange == Exchange::V3 {
            Exchange::CtfV2
        } else {
            Exchange::V3
        };
        if domains.recover_order_signer(other, &order, &sig).ok() == Some(eoa) {
            return Err(Refusal::VersionMismatch);
        }
    }
    if !rec.signer_ok {
        return Err(Refusal::Error("invalid signature".into()));
    }
    if p.post_only && !order_type.rests() {
        return Err(Refusal::Error(
            "invalid post-only order: only GTC and GTD orders may be post-only".into(),
        ));
    }
    if order.expiration_s != 0 && order_type != OrderType::Gtd
        || order_type == OrderType::Gtd && order.expiration_s <= now_s()
    {
        return Err(Refusal::Error(format!(
            "order {id} is invalid. invalid expiration"
        )));
    }
    let _ = p.defer_exec; // accepted; the sim answers the same either way.

    let now_ms = crate::clock::wall_ms();
    let mut world = sh.world.lock().unwrap_or_else(|e| e.into_inner());
    world.tick(super::wall_ns());
    let token = order.token_id.as_str().to_string();
    let book = world
        .market_of(&token)
        .and_then(|m| m.book_of(&token))
        .ok_or_else(|| Refusal::Error("Invalid token id".into()))?;
    let (limit_u6, shares_u6) = check_tick_and_size(&order, u64::from(book.tick_e4) * 100, &id)?;
    rec.price_u6 = limit_u6;
    rec.size_u6 = shares_u6;
    if clob.state().accepted_salts.contains(&order.salt) {
        return Err(Refusal::Error("duplicate order".into()));
    }
    if sh.faults.take_delayed() {
        rec.verdict = SimVerdict::Delayed;
        clob.state().accepted_salts.insert(order.salt);
        return Ok(success_body(&id, "delayed", None, &[], &[]));
    }
    // The implied limit itself (not the tick-rounded one) bounds the walk: a market BUY
    // whose share leg was floored may pay up to its exact maker/taker ratio.
    let limit_exact_u6 = match order.side {
        Side::Buy => u64::try_from(
            u128::from(order.maker_amount_u6) * 1_000_000 / u128::from(order.taker_amount_u6),
        )
        .unwrap_or(u64::MAX),
        Side::Sell => u64::try_from(
            (u128::from(order.taker_amount_u6) * 1_000_000)
                .div_ceil(u128::from(order.maker_amount_u6)),
        )
        .unwrap_or(u64::MAX),
    };
    let (fills, filled_u6, notional_u6) = walk(&book, order.side, limit_exact_u6, shares_u6);
    let complete = filled_u6 == shares_u6;
    match order_type {
        OrderType::Fok if !complete => {
            rec.verdict = SimVerdict::Killed;
            return Err(Refusal::Error(FOK_KILLED.into()));
        }
        OrderType::Fak if filled_u6 == 0 => {
            rec.verdict = SimVerdict::Killed;
            return Err(Refusal::Error(FAK_KILLED.into()));
        }
        _ => {}
    }
    // Accepted from here on: the salt is spent (a killed order above is not).
    clob.state().accepted_salts.insert(order.salt);
    if filled_u6 == 0 {
        rec.verdict = SimVerdict::Live;
        clob.state()
            .live
            .entry(api_key.to_string())
            .or_default()
            .push(id.clone());
        return Ok(success_body(&id, "live", None, &[], &[]));
    }
    world.take_liquidity(&token, order.side == Side::Buy, &fills, now_ms);
    drop(world);
    rec.verdict = SimVerdict::Matched;
    rec.filled_u6 = filled_u6;
    rec.notional_u6 = notional_u6;
    let (making, taking) = match order.side {
        Side::Buy => (notional_u6, filled_u6),
        Side::Sell => (filled_u6, notional_u6),
    };
    let mut trade_ids = Vec::new();
    let mut tx_hashes = Vec::new();
    {
        let mut st = clob.state();
        for i in 0..fills.len() {
            st.trade_seq += 1;
            let t = keccak(format!("trade:{}:{id}", st.trade_seq).as_bytes());
            let h: String = t[..16].iter().map(|b| format!("{b:02x}")).collect();
            trade_ids.push(format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            ));
            tx_hashes.push(hex32(&keccak(format!("tx:{id}:{i}").as_bytes())));
        }
        if !complete && order_type.rests() {
            st.live
                .entry(api_key.to_string())
                .or_default()
                .push(id.clone());
        }
    }
    Ok(success_body(
        &id,
        "matched",
        Some((making, taking)),
        &tx_hashes,
        &trade_ids,
    ))
}

fn str_array(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| json_str(s)).collect();
    format!("[{}]", parts.join(","))
}

/// The venue's success body, keys in the order py-clob-client-v2 documents them.
fn success_body(
    id: &str,
    status: &str,
    amounts: Option<(u64, u64)>,
    tx_hashes: &[String],
    trade_ids: &[String],
) -> String {
    let (making, taking) = amounts.map_or((String::new(), String::new()), |(m, t)| {
        (Units(m).to_string(), Units(t).to_string())
    });
    format!(
        "{{\"success\":true,\"errorMsg\":\"\",\"orderID\":{},\"status\":{},\
         \"makingAmount\":{},\"takingAmount\":{},\"transactionsHashes\":{},\"tradeIDs\":{}}}",
        json_str(id),
        json_str(status),
        json_str(&making),
        json_str(&taking),
        str_array(tx_hashes),
        str_array(trade_ids)
    )
}

async fn cancel_all(State(sh): St, headers: HeaderMap, body: Bytes) -> Response {
    fault_delay(&sh).await;
    if let Some((_, resp)) = forced_fault(&sh) {
        return resp;
    }
    let Some(api_key) = check_l2(&sh.clob, &headers, "DELETE", "/cancel-all", &body) else {
        return error_response(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    };
    let canceled = sh.clob.state().live.remove(&api_key).unwrap_or_default();
    sh.clob.cancel_alls.fetch_add(1, Ordering::SeqCst);
    json_response(
        StatusCode::OK,
        format!(
            "{{\"canceled\":{},\"not_canceled\":{{}}}}",
            str_array(&canceled)
        ),
    )
}

async fn version(State(sh): St) -> Response {
    json_response(
        StatusCode::OK,
        format!("{{\"version\":{}}}", sh.clob.version()),
    )
}

/// The EOA of valid L1 headers, and the nonce they name.
fn check_l1(clob: &SimClob, h: &HeaderMap) -> Option<(Address, u64)> {
    let address = Address::parse_hex(header(h, "poly_address")?).ok()?;
    let ts: u64 = header(h, "poly_timestamp")?.parse().ok()?;
    let nonce: u64 = match header(h, "poly_nonce") {
        Some(n) => n.parse().ok()?,
        None => 0,
    };
    let sig = decode_hex(header(h, "poly_signature")?)?;
    let who = recover_clob_auth_signer(clob.chain(), &address, ts, nonce, &sig).ok()?;
    (who == address).then_some((address, nonce))
}

fn creds_body(c: &Credentials) -> String {
    format!(
        "{{\"apiKey\":{},\"secret\":{},\"passphrase\":{}}}",
        json_str(c.api_key()),
        json_str(c.secret()),
        json_str(c.passphrase())
    )
}

async fn create_api_key(State(sh): St, headers: HeaderMap) -> Response {
    fault_delay(&sh).await;
    if let Some((_, resp)) = forced_fault(&sh) {
        return resp;
    }
    let Some((eoa, nonce)) = check_l1(&sh.clob, &headers) else {
        return error_response(StatusCode::UNAUTHORIZED, INVALID_L1);
    };
    if sh
        .clob
        .state()
        .by_nonce
        .contains_key(&(*eoa.bytes(), nonce))
    {
        return error_response(StatusCode::BAD_REQUEST, "Could not create api key");
    }
    let creds = SimClob::derived_credentials(&eoa, nonce);
    sh.clob.add_credentials(creds.clone(), eoa);
    sh.clob
        .state()
        .by_nonce
        .insert((*eoa.bytes(), nonce), creds.api_key().to_string());
    json_response(StatusCode::OK, creds_body(&creds))
}

async fn derive_api_key(State(sh): St, headers: HeaderMap) -> Response {
    fault_delay(&sh).await;
    if let Some((_, resp)) = forced_fault(&sh) {
        return resp;
    }
    let Some((eoa, nonce)) = check_l1(&sh.clob, &headers) else {
        return error_response(StatusCode::UNAUTHORIZED, INVALID_L1);
    };
    let st = sh.clob.state();
    let Some(entry) = st
        .by_nonce
        .get(&(*eoa.bytes(), nonce))
        .and_then(|k| st.keys.get(k))
    else {
        return error_response(StatusCode::BAD_REQUEST, "Could not derive api key!");
    };
    json_response(StatusCode::OK, creds_body(&entry.creds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> SimBook {
        SimBook {
            tick_e4: 100,
            bids: vec![
                SimLevel {
                    price_e4: 4900,
                    size_e2: 1000,
                },
                SimLevel {
                    price_e4: 4800,
                    size_e2: 2000,
                },
            ],
            asks: vec![
                SimLevel {
                    price_e4: 5100,
                    size_e2: 1000,
                },
                SimLevel {
                    price_e4: 5200,
                    size_e2: 2000,
                },
            ],
        }
    }

    #[test]
    fn walk_stops_at_the_limit() {
        // 15 shares at <= 0.52: 10 @ 0.51 + 5 @ 0.52.
        let (fills, filled, notional) = walk(&book(), Side::Buy, 520_000, 15_000_000);
        assert_eq!(filled, 15_000_000);
        assert_eq!(notional, 5_100_000 + 2_600_000);
        assert_eq!(fills.len(), 2);
        assert_eq!(fills[1].size_e2, 500);
        // At 0.51 only the first level.
        let (_, filled, _) = walk(&book(), Side::Buy, 510_000, 15_000_000);
        assert_eq!(filled, 10_000_000);
        // SELL 40 at >= 0.48: 10 + 20, short by 10.
        let (_, filled, notional) = walk(&book(), Side::Sell, 480_000, 40_000_000);
        assert_eq!(filled, 30_000_000);
        assert_eq!(notional, 4_900_000 + 9_600_000);
    }

    #[test]
    fn derived_credentials_are_deterministic() {
        let a = Address::parse_hex("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").unwrap();
        let c1 = SimClob::derived_credentials(&a, 0);
        let c2 = SimClob::derived_credentials(&a, 0);
        assert_eq!(c1.api_key(), c2.api_key());
        assert_eq!(c1.secret(), c2.secret());
        assert_ne!(c1.api_key(), SimClob::derived_credentials(&a, 1).api_key());
        assert_eq!(c1.api_key().len(), 36);
    }
}
