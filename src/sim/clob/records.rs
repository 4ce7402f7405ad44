//! What the simulated CLOB remembers of each `POST /order`, for tests and benchmarks: one
//! [`SimOrderRecord`] per request, in arrival order, whatever the answer was.

use crate::clob::order::{OrderType, Side};

/// What the simulated CLOB did with one `POST /order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimVerdict {
    /// Filled (fully, or partly for FAK/GTC): `"status":"matched"`.
    Matched,
    /// Valid, resting (GTC/GTD that did not cross, or a FAK the resting fault parked):
    /// `"status":"live"`.
    Live,
    /// Valid, answered `"status":"delayed"`; it is matched later (see `lifecycle`).
    Delayed,
    /// FOK not fully fillable, or FAK with nothing to fill: HTTP 400, nothing filled.
    Killed,
    /// Refused after authentication (payload, identity, signature, amounts, tick, size,
    /// funds, duplicate, version).
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
    /// The EIP-712 signature recovered the key's EOA, `signer` is the key's, and `maker` fits.
    pub signer_ok: bool,
    pub verdict: SimVerdict,
    /// The `error` text sent, empty on success.
    pub error: String,
    /// `0x` + the order's EIP-712 digest, empty before the signature step.
    pub order_id: String,
    /// Shares filled at once (1e-6); later fills of a resting order are in its trades.
    pub filled_u6: u64,
    /// pUSD paid (BUY) or received (SELL) for them (1e-6), fees excluded.
    pub notional_u6: u64,
    /// The fee charged on them (1e-6 pUSD; a BUY pays it in tokens worth this much).
    pub fee_u6: u64,
}

impl SimOrderRecord {
    pub(crate) fn new(received_ns: u64) -> SimOrderRecord {
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
            fee_u6: 0,
        }
    }
}
