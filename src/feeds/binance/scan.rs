//! A byte scanner for the exact layouts Binance sends, tried before the general JSON parser.
//!
//! Binance serialises its spot `trade` and `bookTicker` payloads with a fixed key order and no
//! whitespace (`docs/venue/binance.md` §1.3), so a frame can be checked against that template
//! literal by literal and its values read in one pass, without building a tape. The scanner
//! recognises four layouts:
//!
//! - `{"stream":"<name>@trade","data":<trade>}` and a raw `<trade>`, where `<trade>` is
//!   `{"e":"trade","E":<u>,"s":"<sym>","t":<u>,"p":"<dec>","q":"<dec>","T":<u>,"m":<bool>,"M":<bool>}`;
//! - `{"stream":"<name>@bookTicker","data":<bt>}` and a raw `<bt>`, where `<bt>` is
//!   `{"u":<u>,"s":"<sym>","b":"<dec>","B":"<dec>","a":"<dec>","A":"<dec>"}`.
//!
//! # Contract
//!
//! [`scan_frame`] answers `Some(result)` only when the whole frame matches one of these
//! templates exactly, and then `result` is what [`BinanceParser::parse_general`] returns for
//! the same bytes (`tests/binance_scan_differential.rs` checks this over generated frames).
//! It answers `None`, meaning "ask the general parser", for anything else: keys reordered,
//! added or missing, whitespace, escapes or non-ASCII in a string, numbers with a sign,
//! fraction, exponent, leading zero or more than 19 digits, trailing bytes, truncation, and
//! values the domain refuses (a bad price), so every error and odd case keeps a single
//! source of truth. It reads the frame without writing to it and never allocates.
//!
//! [`BinanceParser::parse_general`]: super::BinanceParser::parse_general

use crate::feeds::decimal::parse_e8;
use crate::pipeline::events::{SpotKind, SpotTick};
use crate::pipeline::registry::AssetTable;

use super::{BinanceFrame, BinanceParseError};

/// The frame's result if it has one of the exact layouts, `None` to fall back.
#[inline]
pub fn scan_frame(
    frame: &[u8],
    assets: &AssetTable,
) -> Option<Result<BinanceFrame, BinanceParseError>> {
    let mut c = Cursor { buf: frame, pos: 0 };
    if c.lit(b"{\"stream\":\"") {
        let stream = c.string()?;
        if !c.lit(b",\"data\":") {
            return None;
        }
        let r = if stream.ends_with(b"@trade") {
            trade(&mut c, assets)?
        } else if stream.ends_with(b"@bookTicker") {
            book_ticker(&mut c, assets)?
        } else {
            return None;
        };
        return (c.lit(b"}") && c.at_end()).then_some(r);
    }
    let r = match frame.get(2) {
        Some(b'e') => trade(&mut c, assets)?,
        Some(b'u') => book_ticker(&mut c, assets)?,
        _ => return None,
    };
    c.at_end().then_some(r)
}

/// A `<trade>` object; `None` unless it matches the template and its values are good.
#[inline]
fn trade(
    c: &mut Cursor<'_>,
    assets: &AssetTable,
) -> Option<Result<BinanceFrame, BinanceParseError>> {
    if !c.lit(b"{\"e\":\"trade\",\"E\":") {
        return None;
    }
    c.uint()?;
    if !c.lit(b",\"s\":\"") {
        return None;
    }
    let sym = c.string()?;
    if !c.lit(b",\"t\":") {
        return None;
    }
    let seq = c.uint()?;
    if !c.lit(b",\"p\":\"") {
        return None;
    }
    let price = c.string()?;
    if !c.lit(b",\"q\":\"") {
        return None;
    }
    let qty = c.string()?;
    if !c.lit(b",\"T\":") {
        return None;
    }
    let venue_ts_ms = c.uint()?;
    if !c.lit(b",\"m\":") {
        return None;
    }
    c.boolean()?;
    if !c.lit(b",\"M\":") {
        return None;
    }
    c.boolean()?;
    if !c.lit(b"}") {
        return None;
    }
    // Same checks, same order as `parse::parse_trade`; a bad value goes to the general path.
    let Some(asset) = assets.by_binance_symbol(sym) else {
        return Some(Err(BinanceParseError::UnknownSymbol));
    };
    let price_e8 = parse_e8(price).filter(|&p| p > 0)?;
    let qty_e8 = parse_e8(qty)?;
    Some(Ok(BinanceFrame::Tick(SpotTick {
        asset,
        kind: SpotKind::Trade,
        price_e8,
        qty_e8,
        venue_ts_ms,
        seq,
        stamps: Default::default(),
    })))
}

/// A `<bt>` object; `None` unless it matches the template and its values are good.
#[inline]
fn book_ticker(
    c: &mut Cursor<'_>,
    assets: &AssetTable,
) -> Option<Result<BinanceFrame, BinanceParseError>> {
    if !c.lit(b"{\"u\":") {
        return None;
    }
    let seq = c.uint()?;
    if !c.lit(b",\"s\":\"") {
        return None;
    }
    let sym = c.string()?;
    let mut num = |key: &[u8]| {
        if c.lit(key) {
            c.string().and_then(parse_e8)
        } else {
            None
        }
    };
    let bid = num(b",\"b\":\"")?;
    let bid_qty = num(b",\"B\":\"")?;
    let ask = num(b",\"a\":\"")?;
    let ask_qty = num(b",\"A\":\"")?;
    if !c.lit(b"}") {
        return None;
    }
    let Some(asset) = assets.by_binance_symbol(sym) else {
        return Some(Err(BinanceParseError::UnknownSymbol));
    };
    if bid <= 0 || ask < bid {
        return None;
    }
    Some(Ok(BinanceFrame::Tick(SpotTick {
        asset,
        kind: SpotKind::BookTicker,
        price_e8: bid + (ask - bid) / 2,
        qty_e8: bid_qty.min(ask_qty),
        venue_ts_ms: 0,
        seq,
        stamps: Default::default(),
    })))
}

/// A read position in the frame. Every method either consumes what it names or fails.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Consume `lit` if the frame continues with exactly it.
    #[inline(always)]
    fn lit(&mut self, lit: &[u8]) -> bool {
        let end = self.pos + lit.len();
        if self.buf.get(self.pos..end) == Some(lit) {
            self.pos = end;
            true
        } else {
            false
        }
    }

    #[inline(always)]
    fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// The rest of a string whose opening quote was consumed, and its closing quote.
    /// Only printable ASCII without `\` is accepted, so the bytes are the string's value and
    /// the general parser would accept them as they are.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a [u8]> {
        let rest = self.buf.get(self.pos..)?;
        for (len, &b) in rest.iter().enumerate() {
            match b {
                b'"' => {
                    self.pos += len + 1;
                    return Some(&rest[..len]);
                }
                b'\\' | 0..0x20 | 0x7f.. => return None,
                _ => {}
            }
        }
        None
    }

    /// An unsigned JSON integer of 1 to 19 digits (so it cannot overflow), no leading zero.
    #[inline(always)]
    fn uint(&mut self) -> Option<u64> {
        let rest = self.buf.get(self.pos..)?;
        let len = rest
            .iter()
            .take(20)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if len == 0 || len > 19 || (len > 1 && rest[0] == b'0') {
            return None;
        }
        // A number runs into the next structural byte; `1.5`, `1e3` are not integers.
        if matches!(rest.get(len), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let v = rest[..len]
            .iter()
            .fold(0u64, |v, &b| v * 10 + u64::from(b - b'0'));
        self.pos += len;
        Some(v)
    }

    #[inline(always)]
    fn boolean(&mut self) -> Option<bool> {
        if self.lit(b"true") {
            Some(true)
        } else if self.lit(b"false") {
            Some(false)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assets() -> AssetTable {
        AssetTable::from_names(&["BTC", "ETH"]).unwrap()
    }

    #[test]
    fn documented_layouts_are_taken_by_the_scanner() {
        let frames: [&[u8]; 4] = [
            br#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"97012.35000000","q":"0.01200000","T":1672515782130,"m":true,"M":true}}"#,
            br#"{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12346,"p":"0.001","q":"100","T":1672515782136,"m":false,"M":true}"#,
            br#"{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}}"#,
            br#"{"u":400900218,"s":"BTCUSDT","b":"97000.00000000","B":"1.50000000","a":"97000.01000000","A":"0.25000000"}"#,
        ];
        for f in frames {
            let r = scan_frame(f, &assets());
            assert!(
                matches!(r, Some(Ok(BinanceFrame::Tick(_)))),
                "{}: {r:?}",
                String::from_utf8_lossy(f)
            );
        }
    }

    #[test]
    fn numbers_the_template_does_not_own_fall_back() {
        for t in ["01", "-1", "1.0", "1e3", "12345678901234567890", ""] {
            let f = format!(
                r#"{{"e":"trade","E":1,"s":"BTCUSDT","t":{t},"p":"1","q":"1","T":1,"m":true,"M":true}}"#
            );
            assert_eq!(scan_frame(f.as_bytes(), &assets()), None, "t = {t:?}");
        }
    }

    #[test]
    fn strings_with_escapes_or_control_bytes_fall_back() {
        for p in [r"1\u002e5", "1\t5", "1\u{e9}"] {
            let f = format!(
                r#"{{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"{p}","q":"1","T":1,"m":true,"M":true}}"#
            );
            assert_eq!(scan_frame(f.as_bytes(), &assets()), None, "p = {p:?}");
        }
    }

    #[test]
    fn bad_values_are_left_to_the_general_parser() {
        let zero =
            br#"{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"0","q":"1","T":1,"m":true,"M":true}"#;
        assert_eq!(scan_frame(zero, &assets()), None);
        let crossed = br#"{"u":1,"s":"BTCUSDT","b":"2.0","B":"1","a":"1.0","A":"1"}"#;
        assert_eq!(scan_frame(crossed, &assets()), None);
        let sol = br#"{"u":1,"s":"SOLUSDT","b":"1.0","B":"1","a":"1.0","A":"1"}"#;
        assert_eq!(
            scan_frame(sol, &assets()),
            Some(Err(BinanceParseError::UnknownSymbol))
        );
    }
}
