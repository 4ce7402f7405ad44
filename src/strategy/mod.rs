//! Strategy math: pure, allocation-free functions and small `Copy` state used by `signal`.
//!
//! Contract for everything here that runs per event: no allocation, no locks, no logging, no
//! panics on bad numbers (NaN, ∞, zero, empty books give a documented value or `None`), O(1)
//! or O(book depth). Configuration structs are the only things built off the hot path.
//!
//! - [`book_walk`]: walking a book side for a size or a USDC amount; the clients' market price.
//! - [`edge`]: expected edge net of fees for a BUY walked through the asks.
//! - [`fair_value`]: Φ and P(UP) under a driftless log-normal.
//! - [`basis`]: Binance − Chainlink EMA per asset; the basis-corrected spot.
//! - [`fees`]: taker fee curve, BUY accounting (fee taken in tokens), the SDKs' balance adjust.
//! - [`gates`]: named skip reasons and the pure gate check.
//! - [`sizing`]: fixed notional or fractional Kelly, capped and rounded to the venue lot.
//! - [`vol`]: σ per √s per asset from an EWMA of squared returns sampled over ≥ 30 s.

pub mod basis;
pub mod book_walk;
pub mod edge;
pub mod fair_value;
pub mod fees;
pub mod gates;
pub mod sizing;
pub mod vol;
