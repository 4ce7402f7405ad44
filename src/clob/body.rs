//! The exact bytes of the `POST /order` body.
//!
//! The body is HMAC-signed and sent as the same bytes (docs/venue/polymarket.md §3), so
//! it is written by hand, not through serde: compact JSON in the key order of
//! py-clob-client-v2's `order_to_json_v2` dumped with `separators=(",", ":")`:
//!
//! ```text
//! {"order":{"salt":1,"maker":"0x..","signer":"0x..","tokenId":"..","makerAmount":"..",
//!  "takerAmount":"..","side":"BUY","expiration":"0","signatureType":0,"timestamp":"..",
//!  "metadata":"0x..","builder":"0x..","signature":"0x.."},"owner":"<api key>",
//!  "orderType":"GTC","deferExec":false,"postOnly":false}
//! ```
//!
//! `salt` and `signatureType` are JSON numbers, every other number a string; addresses are
//! EIP-55, hex fields lowercase. The writer appends to a caller's `Vec<u8>`: with a buffer
//! reused across orders (capacity ≥ [`MAX_ORDER_BODY_LEN`] + owner) it does not allocate.

use crate::clob::order::{OrderType, SignedOrder, HEX, SALT_MAX};

/// Upper bound of a body without its `owner` text (a POLY_1271 signature, 78-digit token id,
/// 20-digit amounts and timestamps).
pub const MAX_ORDER_BODY_LEN: usize = 1400;

/// The order cannot be sent as asked. Both are caller bugs: fix the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// `postOnly` only makes sense for orders that rest (GTC/GTD); every client refuses it.
    #[error("postOnly is only allowed for GTC and GTD orders, not {0}")]
    PostOnlyNotResting(&'static str),
    /// A non-zero expiration only applies to GTD (the Rust SDK refuses it otherwise).
    #[error("a non-zero expiration needs order type GTD, not {0}")]
    ExpirationWithoutGtd(&'static str),
    /// The salt is a JSON number; above 2^53 - 1 a JavaScript reader would round it.
    #[error("salt {0} is above 2^53 - 1")]
    SaltTooLarge(u64),
}

/// Options of `POST /order` beyond the order itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostOptions {
    pub order_type: OrderType,
    /// Skip the client's post-fill polling; server semantics undocumented. Default false.
    pub defer_exec: bool,
    /// Reject instead of taking liquidity (GTC/GTD only). Default false.
    pub post_only: bool,
}

impl PostOptions {
    pub const fn new(order_type: OrderType) -> PostOptions {
        PostOptions {
            order_type,
            defer_exec: false,
            post_only: false,
        }
    }
}

/// Appends the `POST /order` body for `signed` to `out`. `owner` is the API key.
pub fn write_post_order_body(
    out: &mut Vec<u8>,
    signed: &SignedOrder,
    owner: &str,
    opts: PostOptions,
) -> Result<(), BodyError> {
    let o = &signed.order;
    let ot = opts.order_type;
    if opts.post_only && !ot.rests() {
        return Err(BodyError::PostOnlyNotResting(ot.as_str()));
    }
    if o.expiration_s != 0 && ot != OrderType::Gtd {
        return Err(BodyError::ExpirationWithoutGtd(ot.as_str()));
    }
    if o.salt > SALT_MAX {
        return Err(BodyError::SaltTooLarge(o.salt));
    }
    out.extend_from_slice(b"{\"order\":{\"salt\":");
    write_u64(out, o.salt);
    out.extend_from_slice(b",\"maker\":\"");
    out.extend_from_slice(o.maker.as_str().as_bytes());
    out.extend_from_slice(b"\",\"signer\":\"");
    out.extend_from_slice(o.signer.as_str().as_bytes());
    out.extend_from_slice(b"\",\"tokenId\":\"");
    out.extend_from_slice(o.token_id.as_str().as_bytes());
    out.extend_from_slice(b"\",\"makerAmount\":\"");
    write_u64(out, o.maker_amount_u6);
    out.extend_from_slice(b"\",\"takerAmount\":\"");
    write_u64(out, o.taker_amount_u6);
    out.extend_from_slice(b"\",\"side\":\"");
    out.extend_from_slice(o.side.as_str().as_bytes());
    out.extend_from_slice(b"\",\"expiration\":\"");
    write_u64(out, o.expiration_s);
    out.extend_from_slice(b"\",\"signatureType\":");
    write_u64(out, o.signature_type as u64);
    out.extend_from_slice(b",\"timestamp\":\"");
    write_u64(out, o.timestamp_ms);
    out.extend_from_slice(b"\",\"metadata\":\"");
    write_hex(out, &o.metadata.0);
    out.extend_from_slice(b"\",\"builder\":\"");
    write_hex(out, &o.builder.0);
    out.extend_from_slice(b"\",\"signature\":\"");
    write_hex(out, signed.signature.as_bytes());
    out.extend_from_slice(b"\"},\"owner\":");
    write_json_string(out, owner);
    out.extend_from_slice(b",\"orderType\":\"");
    out.extend_from_slice(ot.as_str().as_bytes());
    out.extend_from_slice(b"\",\"deferExec\":");
    out.extend_from_slice(bool_text(opts.defer_exec));
    out.extend_from_slice(b",\"postOnly\":");
    out.extend_from_slice(bool_text(opts.post_only));
    out.push(b'}');
    Ok(())
}

fn bool_text(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}

fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"0x");
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
}

/// A JSON string as Python's `json.dumps(..., ensure_ascii=False)` writes it: `"` and `\`
/// escaped, control characters as `\n`-style or `\u00XX`, everything else verbatim UTF-8.
fn write_json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x00..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_text() {
        for v in [0, 7, 10, 1_710_000_000_000, u64::MAX] {
            let mut out = Vec::new();
            write_u64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }

    #[test]
    fn json_string_escapes_like_python() {
        let mut out = Vec::new();
        write_json_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001é\"".as_bytes());
    }
}
