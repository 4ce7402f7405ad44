//! Operator commands for orders and CLOB auth (`cassandra order …`, `cassandra auth …`).
//!
//! Everything here is control-side and blocking: it reads requests on stdin, signs with
//! `crate::clob`, and talks HTTP with blocking `reqwest`. Secrets come from the environment
//! (or the key file named there), never from the command line, and are never printed,
//! except the credentials `auth derive-key` exists to show and the `POLY_PASSPHRASE` header
//! `auth headers` exists to show.

pub mod auth;
pub mod order;
pub mod preflight;
pub mod sim_faults;
pub mod wallet;

/// The venue's CLOB host.
pub const DEFAULT_CLOB: &str = "https://clob.polymarket.com";

/// Reads a variable from the environment; empty counts as unset.
pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Unix seconds now.
pub(crate) fn now_s() -> u64 {
    crate::clock::wall_ms() / 1000
}

/// A blocking HTTP client for one command.
pub(crate) fn http_client() -> anyhow::Result<reqwest::blocking::Client> {
    Ok(reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .user_agent("cassandra")
        .build()?)
}
pub mod run;
