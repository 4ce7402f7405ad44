//! `cassandra order sign` and `cassandra order post`: build, sign and (for `post`) send
//! `POST /order` from JSON order requests, one per line.
//!
//! A request (unknown keys are errors; numbers may be JSON numbers or strings):
//!
//! ```text
//! {"token_id":"123…","side":"BUY","price":"0.57","size":"10","tick_size":"0.01",
//!  "neg_risk":false,"order_type":"GTC","salt":42,"timestamp":1710000000000,
//!  "expiration":0,"signature_type":0,"funder":"0x…","chain_id":137,"version":2}
//! ```
//!
//! - `size` (shares) makes a limit order; `amount` instead makes a market order (BUY: pUSD
//!   to spend, SELL: shares), default type FOK. Amounts come from `clob::amounts`, checked
//!   against `tick_size` and `min_size` (default 5 shares, the venue's minimum).
//! - `maker_amount` + `taker_amount` (1e-6 integer units) instead of price/size sign the
//!   amounts as given (to reproduce vectors or replay a journaled order).
//! - `salt` (default random ≤ 2^53−1) and `timestamp` (ms, default now) make the output
//!   deterministic; `expiration` is seconds (GTD only).
//! - `signature_type` 0 (default, maker = the key's EOA), 1/2 (`funder` = proxy/Safe,
//!   signer = EOA) or 3 (`funder` = deposit wallet = signer).
//! - `version` 2 (default: CTF V2, or NegRisk V2 with `neg_risk`) or 3 (Exchange V3).
//! - `signer` with `"unchecked":true` signs a struct whose signer is not the key (vector
//!   reproduction only: the venue refuses such an order).
//! - `metadata`, `builder` (bytes32 hex, default zero), `post_only`, `defer_exec`.
//!
//! `post` trades for the wallet the environment names (`POLYMARKET_SIGNATURE_TYPE`,
//! `POLYMARKET_FUNDER`; a request carrying `signature_type` or `funder` is refused) and, when
//! the venue refuses the wallet or signer, says which variable to change.
//!
//! The key comes from `POLYMARKET_PRIVATE_KEY` or `POLYMARKET_PRIVATE_KEY_FILE`, `owner` from
//! `POLYMARKET_API_KEY`; `post` also needs `POLYMARKET_API_SECRET`/`POLYMARKET_API_PASSPHRASE` (or
//! `POLYMARKET_API_SECRET`/`POLYMARKET_API_PASSPHRASE`).

use std::collections::HashMap;
use std::io::{BufRead, Write};

use anyhow::Context as _;
use serde_json::{Map, Value};

use crate::clob::amounts::{
    limit_order_amounts, market_order_amounts, parse_units_exact, MarketRules, TickSize,
    UNIT_DECIMALS,
};
use crate::clob::auth::{private_key_from_lookup, Credentials, L2Headers, L2Signer, ENV_API_KEY};
use crate::clob::body::{write_post_order_body, PostOptions};
use crate::clob::order::{
    Address, Bytes32, Chain, Exchange, OrderType, OrderV2, OrderVersion, Side, SignatureType,
    SignedOrder, TokenId, SALT_MAX,
};
use crate::clob::sign::OrderSigner;

use super::{env_lookup, http_client, now_s, DEFAULT_CLOB};

/// `cassandra order …`
#[derive(clap::Subcommand, Debug)]
pub enum OrderCmd {
    /// Read order requests (JSON lines) on stdin and print, one line each, the exact
    /// `POST /order` body that would be sent. Bad lines are reported on stderr by line and
    /// field; the others are still signed; the exit status is non-zero if any line was bad.
    Sign,
    /// Sign the order request on stdin's first line, show it, ask for confirmation (a `y`
    /// line from the terminal, or from stdin's next line without one) and send it with L2
    /// headers; prints the HTTP status and the venue's answer.
    Post {
        /// Send without asking.
        #[arg(long)]
        yes: bool,
        /// CLOB base URL.
        #[arg(long, default_value = DEFAULT_CLOB)]
        clob: String,
    },
}

pub fn run(cmd: OrderCmd) -> anyhow::Result<()> {
    match cmd {
        OrderCmd::Sign => sign_lines(),
        OrderCmd::Post { yes, clob } => post(yes, &clob),
    }
}

/// A request that cannot be signed: the field to fix and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

const KNOWN_KEYS: &[&str] = &[
    "token_id",
    "side",
    "price",
    "size",
    "amount",
    "maker_amount",
    "taker_amount",
    "tick_size",
    "min_size",
    "neg_risk",
    "order_type",
    "salt",
    "timestamp",
    "expiration",
    "signature_type",
    "funder",
    "signer",
    "unchecked",
    "chain_id",
    "version",
    "metadata",
    "builder",
    "post_only",
    "defer_exec",
];

/// How the amounts are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AmountSpec {
    Limit { price_u6: u64, size_u6: u64 },
    Market { price_u6: u64, amount_u6: u64 },
    Raw { maker_u6: u64, taker_u6: u64 },
}

/// One parsed order request.
#[derive(Debug, Clone, Copy)]
pub struct OrderRequest {
    token_id: TokenId,
    side: Side,
    amounts: AmountSpec,
    tick: Option<TickSize>,
    min_size_u6: u64,
    neg_risk: bool,
    order_type: OrderType,
    salt: Option<u64>,
    timestamp_ms: Option<u64>,
    expiration_s: u64,
    signature_type: SignatureType,
    funder: Option<Address>,
    signer: Option<Address>,
    unchecked: bool,
    chain: Chain,
    version: OrderVersion,
    metadata: Bytes32,
    builder: Bytes32,
    post_only: bool,
    defer_exec: bool,
}

impl OrderRequest {
    pub fn chain(&self) -> Chain {
        self.chain
    }
}

/// A number or a string holding one, as text.
fn text(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FieldError::new(field, "must be a number or a string")),
    }
}

fn required(obj: &Map<String, Value>, field: &str) -> Result<String, FieldError> {
    text(obj, field)?.ok_or_else(|| FieldError::new(field, "is required"))
}

fn uint(obj: &Map<String, Value>, field: &str) -> Result<Option<u64>, FieldError> {
    text(obj, field)?
        .map(|s| {
            s.parse::<u64>()
                .map_err(|_| FieldError::new(field, format!("{s:?} is not a whole number")))
        })
        .transpose()
}

fn decimal_u6(obj: &Map<String, Value>, field: &str) -> Result<Option<u64>, FieldError> {
    text(obj, field)?
        .map(|s| {
            parse_units_exact(&s, UNIT_DECIMALS)
                .map_err(|e| FieldError::new(field, format!("{s:?}: {e}")))
        })
        .transpose()
}

fn boolean(obj: &Map<String, Value>, field: &str) -> Result<bool, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(FieldError::new(field, "must be true or false")),
    }
}

fn address(obj: &Map<String, Value>, field: &str) -> Result<Option<Address>, FieldError> {
    text(obj, field)?
        .map(|s| Address::parse_hex(&s).map_err(|e| FieldError::new(field, format!("{s:?}: {e}"))))
        .transpose()
}

fn bytes32(obj: &Map<String, Value>, field: &str) -> Result<Bytes32, FieldError> {
    match text(obj, field)? {
        None => Ok(Bytes32::ZERO),
        Some(s) => {
            Bytes32::parse_hex(&s).map_err(|e| FieldError::new(field, format!("{s:?}: {e}")))
        }
    }
}

/// Parses one request line.
pub fn parse_request(line: &str) -> Result<OrderRequest, FieldError> {
    let v: Value =
        serde_json::from_str(line).map_err(|e| FieldError::new("", format!("not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| FieldError::new("", "must be a JSON object"))?;
    if let Some(k) = obj.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
        return Err(FieldError::new(
            k,
            format!("unknown key (known: {})", KNOWN_KEYS.join(", ")),
        ));
    }
    let token_text = required(obj, "token_id")?;
    let token_id = TokenId::parse_decimal(&token_text)
        .map_err(|e| FieldError::new("token_id", format!("{token_text:?}: {e}")))?;
    let side = match required(obj, "side")?.to_ascii_uppercase().as_str() {
        "BUY" | "0" => Side::Buy,
        "SELL" | "1" => Side::Sell,
        other => {
            return Err(FieldError::new(
                "side",
                format!("{other:?} is not BUY or SELL"),
            ))
        }
    };
    let price = decimal_u6(obj, "price")?;
    let size = decimal_u6(obj, "size")?;
    let amount = decimal_u6(obj, "amount")?;
    let maker = uint(obj, "maker_amount")?;
    let taker = uint(obj, "taker_amount")?;
    let amounts = match (price, size, amount, maker, taker) {
        (Some(price_u6), Some(size_u6), None, None, None) => {
            AmountSpec::Limit { price_u6, size_u6 }
        }
        (Some(price_u6), None, Some(amount_u6), None, None) => AmountSpec::Market {
            price_u6,
            amount_u6,
        },
        (None, None, None, Some(maker_u6), Some(taker_u6)) => {
            AmountSpec::Raw { maker_u6, taker_u6 }
        }
        (None, ..) if maker.is_none() && taker.is_none() => {
            return Err(FieldError::new(
                "price",
                "is required (with `size` or `amount`)",
            ))
        }
        (Some(_), None, None, None, None) => {
            return Err(FieldError::new(
                "size",
                "give `size` (limit) or `amount` (market)",
            ))
        }
        (_, Some(_), Some(_), ..) => {
            return Err(FieldError::new(
                "amount",
                "give `size` or `amount`, not both",
            ))
        }
        (_, _, _, Some(_), None) => {
            return Err(FieldError::new(
                "taker_amount",
                "is required with `maker_amount`",
            ))
        }
        (_, _, _, None, Some(_)) => {
            return Err(FieldError::new(
                "maker_amount",
                "is required with `taker_amount`",
            ))
        }
        _ => {
            return Err(FieldError::new(
                "maker_amount",
                "raw amounts exclude `price`, `size` and `amount`",
            ))
        }
    };
    let tick = match text(obj, "tick_size")? {
        Some(t) => Some(
            TickSize::parse_str(&t)
                .map_err(|e| FieldError::new("tick_size", format!("{t:?}: {e}")))?,
        ),
        None if !matches!(amounts, AmountSpec::Raw { .. }) => {
            return Err(FieldError::new("tick_size", "is required with `price`"))
        }
        None => None,
    };
    let min_size_u6 = decimal_u6(obj, "min_size")?.unwrap_or(5_000_000);
    let order_type = match text(obj, "order_type")? {
        None if matches!(amounts, AmountSpec::Market { .. }) => OrderType::Fok,
        None => OrderType::Gtc,
        Some(t) => match t.to_ascii_uppercase().as_str() {
            "GTC" => OrderType::Gtc,
            "GTD" => OrderType::Gtd,
            "FOK" => OrderType::Fok,
            "FAK" => OrderType::Fak,
            _ => {
                return Err(FieldError::new(
                    "order_type",
                    format!("{t:?} is not GTC, GTD, FOK or FAK"),
                ))
            }
        },
    };
    if matches!(amounts, AmountSpec::Market { .. }) && order_type.rests() {
        return Err(FieldError::new(
            "order_type",
            "a market order (`amount`) is FOK or FAK",
        ));
    }
    let salt = uint(obj, "salt")?;
    if let Some(s) = salt.filter(|&s| s > SALT_MAX) {
        return Err(FieldError::new("salt", format!("{s} is above 2^53 - 1")));
    }
    let signature_type = match uint(obj, "signature_type")?.unwrap_or(0) {
        0 => SignatureType::Eoa,
        1 => SignatureType::PolyProxy,
        2 => SignatureType::PolyGnosisSafe,
        3 => SignatureType::Poly1271,
        n => {
            return Err(FieldError::new(
                "signature_type",
                format!("{n} is not 0, 1, 2 or 3"),
            ))
        }
    };
    let funder = address(obj, "funder")?;
    if signature_type != SignatureType::Eoa && funder.is_none() {
        return Err(FieldError::new(
            "funder",
            "is required for signature types 1, 2 and 3",
        ));
    }
    let chain_id = uint(obj, "chain_id")?.unwrap_or(137);
    let chain = Chain::from_chain_id(chain_id)
        .ok_or_else(|| FieldError::new("chain_id", format!("{chain_id} is not 137 or 80002")))?;
    let version = match uint(obj, "version")?.unwrap_or(2) {
        2 => OrderVersion::V2,
        3 => OrderVersion::V3,
        n => return Err(FieldError::new("version", format!("{n} is not 2 or 3"))),
    };
    Ok(OrderRequest {
        token_id,
        side,
        amounts,
        tick,
        min_size_u6,
        neg_risk: boolean(obj, "neg_risk")?,
        order_type,
        salt,
        timestamp_ms: uint(obj, "timestamp")?,
        expiration_s: uint(obj, "expiration")?.unwrap_or(0),
        signature_type,
        funder,
        signer: address(obj, "signer")?,
        unchecked: boolean(obj, "unchecked")?,
        chain,
        version,
        metadata: bytes32(obj, "metadata")?,
        builder: bytes32(obj, "builder")?,
        post_only: boolean(obj, "post_only")?,
        defer_exec: boolean(obj, "defer_exec")?,
    })
}

/// Signs a request with `signer` (whose chain must be the request's) and returns the body.
pub fn build_body(
    req: &OrderRequest,
    signer: &OrderSigner,
    owner: &str,
) -> Result<Vec<u8>, FieldError> {
    let eoa = *signer.address();
    let amounts = match (req.amounts, req.tick) {
        (AmountSpec::Raw { maker_u6, taker_u6 }, _) => (maker_u6, taker_u6),
        (AmountSpec::Limit { price_u6, size_u6 }, Some(tick)) => {
            let rules = MarketRules {
                tick,
                min_size_u6: req.min_size_u6,
            };
            let a = limit_order_amounts(req.side, price_u6, size_u6, rules)
                .map_err(|e| FieldError::new(amount_field(&e), e.to_string()))?;
            (a.maker_amount_u6, a.taker_amount_u6)
        }
        (
            AmountSpec::Market {
                price_u6,
                amount_u6,
            },
            Some(tick),
        ) => {
            let rules = MarketRules {
                tick,
                min_size_u6: req.min_size_u6,
            };
            let a = market_order_amounts(req.side, price_u6, amount_u6, rules).map_err(|e| {
                let f = amount_field(&e);
                FieldError::new(if f == "size" { "amount" } else { f }, e.to_string())
            })?;
            (a.maker_amount_u6, a.taker_amount_u6)
        }
        _ => return Err(FieldError::new("tick_size", "is required with `price`")),
    };
    let maker = match (req.signature_type, req.funder) {
        (SignatureType::Eoa, Some(f)) if f != eoa && !req.unchecked => {
            return Err(FieldError::new(
                "funder",
                format!("signature type 0 trades from the key's own address {eoa}, not {f}"),
            ))
        }
        (_, Some(f)) => f,
        (_, None) => eoa,
    };
    let default_signer = if req.signature_type == SignatureType::Poly1271 {
        maker
    } else {
        eoa
    };
    let order_signer = match req.signer {
        Some(s) if s != default_signer && !req.unchecked => {
            return Err(FieldError::new(
                "signer",
                format!("{s} is not {default_signer}; only `\"unchecked\":true` (vector reproduction) signs that"),
            ))
        }
        Some(s) => s,
        None => default_signer,
    };
    let order = OrderV2 {
        salt: req.salt.unwrap_or_else(|| rand::random::<u64>() & SALT_MAX),
        maker,
        signer: order_signer,
        token_id: req.token_id,
        maker_amount_u6: amounts.0,
        taker_amount_u6: amounts.1,
        side: req.side,
        signature_type: req.signature_type,
        timestamp_ms: req.timestamp_ms.unwrap_or_else(crate::clock::wall_ms),
        metadata: req.metadata,
        builder: req.builder,
        expiration_s: req.expiration_s,
    };
    let exchange = Exchange::select(req.version, req.neg_risk);
    let signature = if req.unchecked {
        signer.sign_order_unchecked(exchange, &order)
    } else {
        signer.sign_order(exchange, &order)
    }
    .map_err(|e| FieldError::new("", e.to_string()))?;
    let mut body = Vec::with_capacity(1600);
    let opts = PostOptions {
        order_type: req.order_type,
        defer_exec: req.defer_exec,
        post_only: req.post_only,
    };
    write_post_order_body(&mut body, &SignedOrder { order, signature }, owner, opts).map_err(
        |e| {
            let field = match e {
                crate::clob::body::BodyError::PostOnlyNotResting(_) => "post_only",
                crate::clob::body::BodyError::ExpirationWithoutGtd(_) => "expiration",
                crate::clob::body::BodyError::SaltTooLarge(_) => "salt",
            };
            FieldError::new(field, e.to_string())
        },
    )?;
    Ok(body)
}

fn amount_field(e: &crate::clob::amounts::AmountError) -> &'static str {
    use crate::clob::amounts::AmountError as A;
    match e {
        A::PriceOffTick { .. } | A::PriceOutOfRange { .. } => "price",
        _ => "size",
    }
}

/// One signer per chain, from the key in the environment.
struct Signers(HashMap<u64, OrderSigner>);

impl Signers {
    fn get(&mut self, chain: Chain) -> anyhow::Result<&OrderSigner> {
        match self.0.entry(chain.chain_id()) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => {
                let key = private_key_from_lookup(env_lookup)?;
                Ok(e.insert(OrderSigner::new(key, chain)))
            }
        }
    }
}

fn owner_from_env() -> anyhow::Result<String> {
    env_lookup(ENV_API_KEY).ok_or_else(|| {
        anyhow::anyhow!("environment variable {ENV_API_KEY} (the order owner) is not set")
    })
}

fn sign_lines() -> anyhow::Result<()> {
    let owner = owner_from_env()?;
    let mut signers = Signers(HashMap::new());
    // Fail early on a missing or bad key rather than once per line.
    signers.get(Chain::Polygon)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut bad = 0usize;
    for (i, line) in stdin.lock().lines().enumerate() {
        let n = i + 1;
        let line = line.with_context(|| format!("reading stdin line {n}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = parse_request(&line).and_then(|req| {
            let signer = signers
                .get(req.chain)
                .map_err(|e| FieldError::new("", e.to_string()))?;
            build_body(&req, signer, &owner)
        });
        match result {
            Ok(body) => {
                out.write_all(&body)?;
                out.write_all(b"\n")?;
            }
            Err(e) => {
                bad += 1;
                eprintln!("line {n}: {e}");
            }
        }
    }
    out.flush()?;
    if bad > 0 {
        anyhow::bail!("{bad} order request line(s) could not be signed (see above)");
    }
    Ok(())
}

/// A `y`/`yes` answer from the terminal, or else from `rest` (stdin's next line).
fn confirmed(rest: &mut impl Iterator<Item = String>) -> bool {
    let answer = std::fs::File::open("/dev/tty")
        .ok()
        .and_then(|f| {
            let mut s = String::new();
            std::io::BufReader::new(f).read_line(&mut s).ok().map(|_| s)
        })
        .or_else(|| rest.next());
    answer.is_some_and(|a| matches!(a.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

fn post(yes: bool, clob: &str) -> anyhow::Result<()> {
    let creds = Credentials::from_lookup(env_lookup)?;
    let mut lines = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty());
    let line = lines
        .next()
        .ok_or_else(|| anyhow::anyhow!("no order request on stdin"))?;
    let mut req = parse_request(&line).map_err(|e| anyhow::anyhow!("line 1: {e}"))?;
    // What is sent trades for the wallet the environment names, never one on stdin.
    if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(&line) {
        if let Some(k) = ["signature_type", "funder"]
            .into_iter()
            .find(|k| obj.contains_key(*k))
        {
            anyhow::bail!(
                "line 1: `{k}`: `order post` trades for the wallet in the environment \
                 (POLYMARKET_SIGNATURE_TYPE, POLYMARKET_FUNDER); remove it from the request"
            );
        }
    }
    let mut signers = Signers(HashMap::new());
    let signer = signers.get(req.chain)?;
    let (signature_type, funder) =
        crate::wallet::setup::wallet_from_lookup(&env_lookup, signer.address())
            .map_err(anyhow::Error::msg)?;
    req.signature_type = signature_type;
    req.funder = funder;
    let body =
        build_body(&req, signer, creds.api_key()).map_err(|e| anyhow::anyhow!("line 1: {e}"))?;
    let url = format!("{}/order", clob.trim_end_matches('/'));
    eprintln!("POST {url}\n{}", String::from_utf8_lossy(&body));
    if !yes {
        eprint!("Send this order? [y/N] ");
        let _ = std::io::stderr().flush();
        if !confirmed(&mut lines) {
            anyhow::bail!("not sent");
        }
    }
    let l2 = L2Signer::new(&creds)?;
    let headers = L2Headers::new(
        &l2,
        &creds,
        signer.address(),
        now_s(),
        "POST",
        "/order",
        Some(&body),
    );
    let mut rb = http_client()?
        .post(&url)
        .header("Content-Type", "application/json");
    for (k, v) in headers.pairs() {
        rb = rb.header(k, v);
    }
    let resp = rb
        .body(body)
        .send()
        .with_context(|| format!("POST {url}"))?;
    let status = resp.status();
    let text = resp.text().unwrap_or_default();
    println!("HTTP {}\n{text}", status.as_u16());
    let venue_error = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            ["error", "errorMsg"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
        })
        .unwrap_or_default();
    if let Some(fix) = crate::wallet::refusal::operator_fix(&venue_error) {
        eprintln!("What to change: {fix}");
    }
    if !status.is_success() {
        anyhow::bail!("the CLOB answered HTTP {}", status.as_u16());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field() {
        let e = parse_request(r#"{"token_id":"1","side":"BUY","price":"0.5","size":"10"}"#)
            .unwrap_err();
        assert_eq!(e.field, "tick_size");
        let e = parse_request(r#"{"token_id":"x","side":"BUY"}"#).unwrap_err();
        assert_eq!(e.field, "token_id");
        let e = parse_request(r#"{"token_id":"1","side":"HOLD"}"#).unwrap_err();
        assert_eq!(e.field, "side");
        let e = parse_request(r#"{"token_id":"1","side":"BUY","prize":1}"#).unwrap_err();
        assert_eq!(e.field, "prize");
        let e = parse_request("[1]").unwrap_err();
        assert!(e.to_string().contains("JSON object"));
        let ok = parse_request(
            r#"{"token_id":"1","side":"SELL","price":0.57,"amount":10,"tick_size":"0.01"}"#,
        )
        .unwrap();
        assert_eq!(ok.order_type, OrderType::Fok);
        assert_eq!(
            ok.amounts,
            AmountSpec::Market {
                price_u6: 570_000,
                amount_u6: 10_000_000
            }
        );
    }
}
