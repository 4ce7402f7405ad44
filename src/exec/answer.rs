//! Reading a `POST /order` (or `GET /version`) answer in place, without allocating: the
//! venue's `success`, `status` in either case, amounts, `orderID`, `tradeIDs`, and the error
//! texts that make it a refusal (an `error`, or a non-empty `errorMsg` even under
//! `"success":true`), a market outcome (a FOK/FAK kill) or a version mismatch. The real
//! answers it is held to are under tests/data/venue/clob/ (tests/venue_clob_answers.rs).

use crate::feeds::json::{get_str, JsonScratch};

/// The `status` of a `POST /order` answer, in either case (clients treat upper case as
/// canonical too: polymarket.md §10.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnswerStatus {
    /// No status (a refusal, or `GET /version`).
    #[default]
    None,
    Matched,
    /// Resting on the book (a FAK can rest and fill later: clob-client #317).
    Live,
    Delayed,
    Unmatched,
    /// A status this parser does not know.
    Other,
}

impl AnswerStatus {
    fn parse(s: &str) -> AnswerStatus {
        let eq = |w: &str| s.eq_ignore_ascii_case(w);
        if s.is_empty() {
            AnswerStatus::None
        } else if eq("matched") {
            AnswerStatus::Matched
        } else if eq("live") {
            AnswerStatus::Live
        } else if eq("delayed") {
            AnswerStatus::Delayed
        } else if eq("unmatched") {
            AnswerStatus::Unmatched
        } else {
            AnswerStatus::Other
        }
    }
}

/// Longest `orderID` kept (`0x` + 64 hex digits, with room to spare).
pub const ORDER_ID_MAX: usize = 80;

/// Trade ids kept inline per answer (the rest are found by order id: the user channel's
/// `trade` events and `GET /data/trades` name their `taker_order_id`).
pub const TRADE_IDS_KEPT: usize = 4;

/// Longest trade id kept (the venue's are UUIDs, 36 characters).
pub const TRADE_ID_MAX: usize = 48;

/// What a `POST /order` answer says. Fixed size: parsing allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderAnswer {
    pub success: bool,
    pub status: AnswerStatus,
    /// Whole-unit decimals as e6 integers (0 when empty).
    pub making_e6: u64,
    pub taking_e6: u64,
    /// A non-empty `error` or `errorMsg`: a refusal, even under `"success":true`
    /// (rs-clob-client #114).
    pub refused: bool,
    /// The venue refused because nothing (or not enough) matched: a market outcome, not a
    /// venue error.
    pub no_match: bool,
    /// The order was signed for another order version than the venue's.
    pub version_mismatch: bool,
    /// `GET /version`'s answer.
    pub version: u8,
    order_id: [u8; ORDER_ID_MAX],
    order_id_len: u8,
    /// How many `tradeIDs` came back.
    pub trade_ids: u16,
    trade_id: [[u8; TRADE_ID_MAX]; TRADE_IDS_KEPT],
    trade_id_len: [u8; TRADE_IDS_KEPT],
}

impl Default for OrderAnswer {
    fn default() -> Self {
        OrderAnswer {
            success: false,
            status: AnswerStatus::None,
            making_e6: 0,
            taking_e6: 0,
            refused: false,
            no_match: false,
            version_mismatch: false,
            version: 0,
            order_id: [0; ORDER_ID_MAX],
            order_id_len: 0,
            trade_ids: 0,
            trade_id: [[0; TRADE_ID_MAX]; TRADE_IDS_KEPT],
            trade_id_len: [0; TRADE_IDS_KEPT],
        }
    }
}

impl OrderAnswer {
    /// The venue's `orderID` (empty if none, or longer than [`ORDER_ID_MAX`]).
    pub fn order_id(&self) -> &str {
        std::str::from_utf8(&self.order_id[..self.order_id_len as usize]).unwrap_or("")
    }

    /// The `i`-th trade id kept (up to [`TRADE_IDS_KEPT`]; empty past those).
    pub fn trade_id(&self, i: usize) -> &str {
        if i >= TRADE_IDS_KEPT {
            return "";
        }
        std::str::from_utf8(&self.trade_id[i][..self.trade_id_len[i] as usize]).unwrap_or("")
    }

    /// Accepted by the venue: HTTP 200, `success`, and no error text.
    pub fn accepted(&self, http_status: u16) -> bool {
        http_status == 200 && self.success && !self.refused
    }
}

/// Reads a `POST /order` (or `GET /version`) answer in place; `None` if it is not JSON.
pub fn parse_order_response(json: &mut JsonScratch, body: &mut [u8]) -> Option<OrderAnswer> {
    json.parse(body, |v| {
        let success = v
            .get("success")
            .and_then(|s| simd_json::prelude::ValueAsScalar::as_bool(&s))
            .unwrap_or(false);
        let amount = |k| {
            get_str(v, k)
                .and_then(|s| crate::feeds::decimal::parse_e6(s.as_bytes()))
                .unwrap_or(0)
        };
        let err = get_str(v, "error").unwrap_or("");
        let msg = get_str(v, "errorMsg").unwrap_or("");
        let mut a = OrderAnswer {
            version_mismatch: err.contains("order_version_mismatch")
                || msg.contains("order_version_mismatch"),
            version: crate::feeds::json::get_u64(v, "version").unwrap_or(0) as u8,
            no_match: [err, msg].iter().any(|t| {
                t.contains("no orders found to match") || t.contains("fully filled or killed")
            }),
            refused: !err.is_empty() || !msg.is_empty(),
            success,
            status: AnswerStatus::parse(get_str(v, "status").unwrap_or("")),
            making_e6: amount("makingAmount"),
            taking_e6: amount("takingAmount"),
            trade_ids: v
                .get("tradeIDs")
                .and_then(|t| t.as_array())
                .map_or(0, |t| t.len().min(u16::MAX as usize) as u16),
            ..OrderAnswer::default()
        };
        if let Some(ids) = v.get("tradeIDs").and_then(|t| t.as_array()) {
            let strs = ids
                .iter()
                .filter_map(crate::feeds::json::ValueIntoString::into_string);
            for (i, t) in strs.take(TRADE_IDS_KEPT).enumerate() {
                let b = t.as_bytes();
                if b.len() <= TRADE_ID_MAX {
                    a.trade_id[i][..b.len()].copy_from_slice(b);
                    a.trade_id_len[i] = b.len() as u8;
                }
            }
        }
        let id = get_str(v, "orderID").unwrap_or("").as_bytes();
        if id.len() <= ORDER_ID_MAX {
            a.order_id[..id.len()].copy_from_slice(id);
            a.order_id_len = id.len() as u8;
        }
        a
    })
}
