//! Wallets and funds for live trading: who signs, which wallet holds the money, how that
//! wallet's approvals and redemptions are sent, and what the CLOB believes it holds.
//!
//! Contract:
//! - [`WalletSetup`] is the identity the live path trades as: the signing key, the signature
//!   type (0 EOA, 1 proxy, 2 Safe, 3 deposit wallet) and the funder, read from the
//!   environment only (`POLYMARKET_SIGNATURE_TYPE`, `POLYMARKET_FUNDER`), never from the
//!   command line. The wallet that holds the funds ([`WalletSetup::holder`]) is the key's own
//!   address for type 0 and the funder otherwise; balances, approvals and redemptions are
//!   always that wallet's.
//! - Wallet calls (token approvals, `redeemPositions`) leave from the holder: an EOA sends a
//!   signed transaction over Polygon JSON-RPC; a deposit wallet signs a `WALLET` batch
//!   ([`batch`]) that Polymarket's relayer executes ([`relayer`]). Proxy and Safe wallets'
//!   relayer transactions are not built here: they are refused with what the operator must do
//!   instead ([`approvals::Refusal`]).
//! - After approvals the CLOB's cached balance view is refreshed
//!   (`GET /balance-allowance/update`) and read back ([`clob_funds`]).
//! - Winning tokens are redeemed by [`redeem::Redeemer`], idempotently across restarts.
//! - [`refusal::operator_fix`] turns the venue's identity refusals into what the operator must
//!   change.
//!
//! Control side only: blocking HTTP, allocation is fine. Facts: docs/venue/polymarket.md §1,
//! §10.1, §10.6; the relayer's shapes: tests/data/venue/relayer/README.md.

pub mod approvals;
pub mod batch;
pub mod chain;
pub mod clob_funds;
pub mod redeem;
pub mod redeem_store;
pub mod refusal;
pub mod relayer;
pub mod setup;
pub mod worker;

pub use setup::WalletSetup;
