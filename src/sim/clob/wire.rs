//! The CLOB's wire shapes as the simulator reads and writes them: the `POST /order` body
//! (keys as `clob::body` writes them, the same as Polymarket's clients), the success body,
//! `{"error":…}` refusals, and the small helpers every route uses.

use crate::clob::amounts::Units;
use crate::clob::order::{Address, Bytes32, OrderType, OrderV2, Side, SignatureType, TokenId};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `POST /order` body as the venue takes it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireOrderBody {
    pub order: WireOrder,
    pub owner: String,
    pub order_type: String,
    #[serde(default)]
    pub defer_exec: bool,
    #[serde(default)]
    pub post_only: bool,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireOrder {
    pub salt: u64,
    pub maker: String,
    pub signer: String,
    pub token_id: String,
    pub maker_amount: String,
    pub taker_amount: String,
    pub side: String,
    pub expiration: String,
    pub signature_type: u8,
    pub timestamp: String,
    pub metadata: String,
    pub builder: String,
    pub signature: String,
}

impl WireOrder {
    /// The signed struct and the signature bytes; `None` if any field is malformed.
    pub fn to_order(&self) -> Option<(OrderV2, Vec<u8>)> {
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

pub fn parse_order_type(s: &str) -> Option<OrderType> {
    Some(match s {
        "GTC" => OrderType::Gtc,
        "GTD" => OrderType::Gtd,
        "FOK" => OrderType::Fok,
        "FAK" => OrderType::Fak,
        _ => return None,
    })
}

pub fn parse_side(s: &str) -> Option<Side> {
    match s {
        "BUY" => Some(Side::Buy),
        "SELL" => Some(Side::Sell),
        _ => None,
    }
}

pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x")?;
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * b.len());
    s.push_str("0x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

pub fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

pub fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

pub fn error_body(msg: &str) -> String {
    format!("{{\"error\":{}}}", json_str(msg))
}

pub fn error_response(status: StatusCode, msg: &str) -> Response {
    json_response(status, error_body(msg))
}

pub fn str_array(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| json_str(s)).collect();
    format!("[{}]", parts.join(","))
}

/// The venue's success body, keys in the order py-clob-client-v2 documents them. Amounts are
/// whole-unit decimals, empty when nothing matched yet (`live`, `delayed`). Since the venue's
/// asynchronous execution (2026-07) a matched answer carries `tradeIDs` and no
/// `transactionsHashes` (py-clob-client-v2 PR #101): the hashes appear in
/// `GET /data/trades` once the trades are mined. `tx_hashes` is written only if not empty.
pub fn success_body(
    id: &str,
    status: &str,
    amounts: Option<(u64, u64)>,
    tx_hashes: &[String],
    trade_ids: &[String],
) -> String {
    let (making, taking) = amounts.map_or((String::new(), String::new()), |(m, t)| {
        (Units(m).to_string(), Units(t).to_string())
    });
    let hashes = if tx_hashes.is_empty() {
        String::new()
    } else {
        format!(",\"transactionsHashes\":{}", str_array(tx_hashes))
    };
    format!(
        "{{\"success\":true,\"errorMsg\":\"\",\"orderID\":{},\"status\":{},\
         \"makingAmount\":{},\"takingAmount\":{}{hashes},\"tradeIDs\":{}}}",
        json_str(id),
        json_str(status),
        json_str(&making),
        json_str(&taking),
        str_array(trade_ids)
    )
}

/// A uuid-shaped id from 16 bytes of `seed` (trade ids, heartbeat ids).
pub fn uuid_from(seed: &[u8; 32]) -> String {
    let h: String = seed[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A response whose body breaks off: the head is sent, then the connection is cut before
/// any of the body (the fault `Faults::cut_next_order_answers`).
pub(crate) fn cut_response(status: axum::http::StatusCode) -> axum::response::Response {
    struct Cut;
    impl http_body::Body for Cut {
        type Data = axum::body::Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated connection cut",
            ))))
        }
    }
    let mut r = axum::response::Response::new(axum::body::Body::new(Cut));
    *r.status_mut() = status;
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    r
}
