//! Polymarket market channel: L2 books per token on `poly-ingest`.

pub mod book;
pub mod ingest;
pub mod parse;

pub use book::{BookSide, L2Book};
pub use parse::{PolyBatch, PolyBooks, PolyFrame, PolyParseError, PolyParser};
