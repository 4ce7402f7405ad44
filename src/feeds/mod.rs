//! Venue feeds: the WebSocket client and, per venue, wire parsing, state and the ingest loop.

pub mod binance;
pub mod chainlink;
pub mod decimal;
pub mod dialer;
pub mod json;
pub mod link;
pub mod net;
pub mod polymarket;
pub mod waiter;
pub mod ws;
