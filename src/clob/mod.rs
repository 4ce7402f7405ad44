//! Polymarket CLOB V2 orders: amounts, the order model, EIP-712 signing, the `POST /order`
//! body and L1/L2 request authentication. No I/O lives here: every function is pure over
//! its inputs (except reading credentials from the environment at startup).
//!
//! Data flow for one order, all of it allocation-free once set up:
//! 1. [`amounts`]: price + size (1e-6 integer units) → maker/taker amounts, validated
//!    against the market's tick and minimum size; exact integer arithmetic, no floats.
//! 2. [`order`]: the V2 order struct, its enums, chains, contracts and exchange choice.
//! 3. [`sign`]: EIP-712 struct hash, digest and signature (POLY_1271 envelope included)
//!    with a signer built once; also signer recovery for the simulated CLOB. The only
//!    module that uses `ethers`.
//! 4. [`body`]: the exact compact JSON bytes of `POST /order`.
//! 5. [`auth`]: the L2 HMAC over those same bytes, L1 `ClobAuth` headers, and credentials
//!    loaded from the environment with secrets kept out of `Debug` and errors.
//!
//! Facts come from `docs/venue/polymarket.md` §1–§3; vectors
//! from Polymarket's clients are checked in `tests/clob_*.rs`, and `tests/clob_oracle.rs`
//! compares against py-clob-client-v2 itself.
//!
//! Not here: HTTP, version discovery (`GET /version`), book walking for market prices, and
//! fee-based size adjustment.

pub mod allowances;
pub mod amounts;
pub mod auth;
pub mod body;
pub mod http;
pub mod order;
pub mod sign;
