//! The venue side of live trading (control side only): the order tracker that follows every
//! live order and trade to its end, and the venue ledger it books — apart from the paper
//! account, journaled write-ahead in its own SQLite store, reconciled with the venue on
//! restart before trading.
//!
//! One idea per file:
//! - [`config`]: the `live.venue` settings;
//! - [`fees`]: the venue's fee rule in integer micro-units;
//! - [`wire`]: trade and order records (user channel and REST);
//! - [`ledger`]: cash, positions, pending trades, PnL; redemption entry point;
//! - [`store`]: the write-ahead SQLite store and the ledger's rebuild;
//! - [`rest`]: the authenticated REST calls (order, trades, cancel, cancel-all, heartbeat);
//! - [`user_ws`]: the user channel client;
//! - [`tracker`]: the state machine that ties them together (its REST follow-ups in
//!   `follow.rs`);
//! - [`crosscheck`]: the ledger's positions compared with the Data API's, on a timer;
//! - [`reconcile`]: start-up: rebuild, cancel what rests, follow up, before trading.

pub mod config;
pub mod crosscheck;
pub mod fees;
mod follow;
pub mod ledger;
pub mod reconcile;
pub mod rest;
pub mod risk;
pub mod service;
pub mod store;
pub mod tracker;
pub mod user_ws;
pub mod wire;

pub use fees::FeeRule;
pub use ledger::{LedgerView, VenueLedger};
pub use tracker::{OrderTracker, TrackerConfig, TrackerCounters, VenueToken};
