//! Binance spot market data: combined-stream frames to `SpotTick`s on `binance-ingest`.

pub mod ingest;
pub mod parse;
pub mod scan;

pub use parse::{BinanceFrame, BinanceParseError, BinanceParser};

use crate::pipeline::registry::AssetTable;

/// The combined-stream URL for `assets`: `<base>/stream?streams=btcusdt@trade/...`.
pub fn stream_url(base: &str, assets: &AssetTable, book_ticker: bool) -> String {
    let mut streams = Vec::new();
    for (_, a) in assets.iter() {
        let sym = a.binance_symbol.to_ascii_lowercase();
        streams.push(format!("{sym}@trade"));
        if book_ticker {
            streams.push(format!("{sym}@bookTicker"));
        }
    }
    format!(
        "{}/stream?streams={}",
        base.trim_end_matches('/'),
        streams.join("/")
    )
}
