//! What the `order` thread tells the control side about each live order, so the order
//! tracker (`crate::venue`) can follow it to the end: the order's identity *before* its bytes
//! leave, its answer (`orderID`, status, amounts, trade ids), and an order whose answer was
//! lost with the connection (its state unknown, never "rejected").
//!
//! Guarantee: the hand-off is lossless. The order thread checks that the ring has room for
//! the order's notes (its `Sent` and whatever ends it) before it writes the request; without
//! room the intent is refused on our side (`SendError::Busy`), so no order can be on the wire
//! that the control side will not hear of. Every note is a fixed-size `Copy` value: pushing
//! one allocates nothing and makes no syscall.
//!
//! Write-ahead: a presigned order's identity (salt, order hash) is journaled by the ladder
//! before the order reaches this thread (`crate::venue::store`), so it is on disk before its
//! bytes can leave. An order signed on the spot is known to the control side only through its
//! `Sent` note, pushed before the write; if the process dies before the control side has
//! journaled it, the restart finds it at the venue (trades since the last one seen, matched to
//! orders by `taker_order_id`) — see `crate::venue::reconcile`.

use crate::pipeline::events::TokenId;

pub use super::answer::OrderAnswer;

/// Notes one order can produce: `Sent`, then `Answered` (and `Throttled` with a 429) or
/// `Unknown` (a version retry re-sends it: another `Sent` under a new hash, checked again).
pub const NOTES_PER_ORDER: usize = 3;

/// Ring capacity of the hand-off (orders in flight are at most 64).
pub const NOTES_CAPACITY: usize = 1024;

// Every variant inline on purpose: boxing the answer would allocate on the hot thread.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
pub enum LiveNote {
    /// An order about to be written (pushed before the bytes leave).
    Sent {
        intent_id: u64,
        token: TokenId,
        order_hash: [u8; 32],
        salt: u64,
        price_e4: u32,
        size_e6: u64,
        presigned: bool,
        wall_ms: u64,
    },
    /// The venue's answer to it.
    Answered {
        intent_id: u64,
        order_hash: [u8; 32],
        http_status: u16,
        /// `None`: the body was not JSON.
        answer: Option<OrderAnswer>,
        wall_ms: u64,
    },
    /// The connection failed with the order in flight: the venue may or may not have it.
    Unknown {
        intent_id: u64,
        order_hash: [u8; 32],
        wall_ms: u64,
    },
    /// The venue throttled a request (HTTP 429); no order is sent before `until_wall_ms`.
    Throttled { until_wall_ms: u64 },
}
