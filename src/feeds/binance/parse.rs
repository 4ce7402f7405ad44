//! Binance combined-stream frames → [`SpotTick`].
//!
//! Wire shapes (`docs/venue/binance.md` §1.3):
//! `{"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}}`
//! `{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}}`
//! The spot bookTicker has no `e`, so frames are routed on the stream name (or, for a raw
//! stream without the wrapper, on `e` / the presence of `u` with `b`). Trades no longer carry
//! the buyer/seller order ids `b`/`a`; nothing here requires them. One function per frame kind
//! so the JSON parser can be swapped after measurement.
//!
//! [`BinanceParser::parse`] tries the byte scanner in `scan.rs` first (the documented layouts,
//! several times faster, see `perf/COMPONENTS.md`) and falls back to the simd-json path here.

use crate::feeds::decimal::parse_e8;
use crate::feeds::json::{get_str, get_u64, JsonScratch, Value};
use crate::pipeline::events::{SpotKind, SpotTick};
use crate::pipeline::registry::AssetTable;

/// What one frame turned out to be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BinanceFrame {
    Tick(SpotTick),
    /// `serverShutdown`: the venue asks us to reconnect now.
    ServerShutdown,
    /// Well-formed but not ours: subscription replies, streams we did not ask for.
    Ignored,
}

/// Why a frame was skipped. All are counted and none is fatal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BinanceParseError {
    #[error("not valid JSON")]
    Malformed,
    #[error("missing or mistyped field {0}")]
    Field(&'static str),
    #[error("symbol not followed")]
    UnknownSymbol,
}

/// Parses frames with scratch memory reused between calls.
pub struct BinanceParser {
    json: JsonScratch,
}

impl Default for BinanceParser {
    fn default() -> Self {
        BinanceParser {
            json: JsonScratch::new(16 << 10),
        }
    }
}

impl BinanceParser {
    /// Parse one text frame in place. Stamps are left for the caller to fill.
    ///
    /// Frames in the exact layout Binance sends go through the byte scanner
    /// ([`super::scan`]); anything else, errors included, through [`Self::parse_general`].
    #[inline]
    pub fn parse(
        &mut self,
        frame: &mut [u8],
        assets: &AssetTable,
    ) -> Result<BinanceFrame, BinanceParseError> {
        match super::scan::scan_frame(frame, assets) {
            Some(r) => r,
            None => self.parse_general(frame, assets),
        }
    }

    /// The general path: simd-json into the reused tape, any key order and spacing. Public
    /// so tests and benches can compare it with the scanner.
    #[inline]
    pub fn parse_general(
        &mut self,
        frame: &mut [u8],
        assets: &AssetTable,
    ) -> Result<BinanceFrame, BinanceParseError> {
        self.json
            .parse(frame, |root| route(root, assets))
            .unwrap_or(Err(BinanceParseError::Malformed))
    }
}

fn route(root: Value<'_, '_>, assets: &AssetTable) -> Result<BinanceFrame, BinanceParseError> {
    if let Some(stream) = get_str(root, "stream") {
        let data = root.get("data").ok_or(BinanceParseError::Field("data"))?;
        let kind = stream.rsplit('@').next().unwrap_or("");
        return match kind {
            "trade" => parse_trade(data, assets),
            "bookTicker" => parse_book_ticker(data, assets),
            _ if stream.ends_with("serverShutdown") => Ok(BinanceFrame::ServerShutdown),
            _ => Ok(BinanceFrame::Ignored),
        };
    }
    match get_str(root, "e") {
        Some("trade") => parse_trade(root, assets),
        Some("serverShutdown") => Ok(BinanceFrame::ServerShutdown),
        Some(_) => Ok(BinanceFrame::Ignored),
        None if root.get("u").is_some() && root.get("b").is_some() => {
            parse_book_ticker(root, assets)
        }
        None if root.as_object().is_some() => Ok(BinanceFrame::Ignored),
        None => Err(BinanceParseError::Field("stream")),
    }
}

/// `<symbol>@trade` payload.
#[inline]
pub fn parse_trade(
    data: Value<'_, '_>,
    assets: &AssetTable,
) -> Result<BinanceFrame, BinanceParseError> {
    use BinanceParseError::Field;
    let sym = get_str(data, "s").ok_or(Field("s"))?;
    let asset = assets
        .by_binance_symbol(sym.as_bytes())
        .ok_or(BinanceParseError::UnknownSymbol)?;
    let price_e8 = get_str(data, "p")
        .and_then(|p| parse_e8(p.as_bytes()))
        .ok_or(Field("p"))?;
    let qty_e8 = get_str(data, "q")
        .and_then(|q| parse_e8(q.as_bytes()))
        .ok_or(Field("q"))?;
    let seq = get_u64(data, "t").ok_or(Field("t"))?;
    let venue_ts_ms = get_u64(data, "T")
        .or_else(|| get_u64(data, "E"))
        .ok_or(Field("T"))?;
    if price_e8 <= 0 {
        return Err(Field("p"));
    }
    Ok(BinanceFrame::Tick(SpotTick {
        asset,
        kind: SpotKind::Trade,
        price_e8,
        qty_e8,
        venue_ts_ms,
        seq,
        stamps: Default::default(),
    }))
}

/// `<symbol>@bookTicker` payload: the tick's price is the mid, its quantity the thinner side.
#[inline]
pub fn parse_book_ticker(
    data: Value<'_, '_>,
    assets: &AssetTable,
) -> Result<BinanceFrame, BinanceParseError> {
    use BinanceParseError::Field;
    let sym = get_str(data, "s").ok_or(Field("s"))?;
    let asset = assets
        .by_binance_symbol(sym.as_bytes())
        .ok_or(BinanceParseError::UnknownSymbol)?;
    let num = |k: &'static str| {
        get_str(data, k)
            .and_then(|v| parse_e8(v.as_bytes()))
            .ok_or(Field(k))
    };
    let (bid, bid_qty, ask, ask_qty) = (num("b")?, num("B")?, num("a")?, num("A")?);
    if bid <= 0 || ask < bid {
        return Err(Field("a"));
    }
    Ok(BinanceFrame::Tick(SpotTick {
        asset,
        kind: SpotKind::BookTicker,
        price_e8: bid + (ask - bid) / 2,
        qty_e8: bid_qty.min(ask_qty),
        venue_ts_ms: 0,
        seq: get_u64(data, "u").ok_or(Field("u"))?,
        stamps: Default::default(),
    }))
}
