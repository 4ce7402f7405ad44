//! Cassandra: a low-latency trading system for Polymarket's 15-minute crypto Up/Down markets.
//!
//! Data flows one way through single-producer rings between four pinned threads
//! (`binance-ingest`, `poly-ingest`, `signal`, `order`); everything slow lives on the control
//! side, fed by taps that drop and count rather than block. See `README.md` for the map.

pub mod calendar;
pub mod cli;
pub mod clob;
pub mod clock;
pub mod config;
pub mod control;
pub mod demo;
pub mod exec;
pub mod feeds;
pub mod journal;
pub mod pipeline;
pub mod preflight;
pub mod record;
pub mod risk;
pub mod rtc;
pub mod runtime;
pub mod signal;
pub mod sim;
pub mod strategy;
pub mod telemetry;
pub mod venue;
pub mod wallet;
