//! Operator commands for orders and CLOB auth (`cassandra order …`, `cassandra auth …`).
//!
//! Everything here is control-side and blocking: it reads requests on stdin, signs with
//! `crate::clob`, and talks HTTP with blocking `reqwest`. Secrets come from the environment
//! (or the key file named there), never from the command line, and are never printed,
//! except the credentials `auth derive-key` exists to show and the `POLY_PASSPHRASE` header
//! `auth headers` exists to show.

pub mod auth;
pub mod order;

use crate::clob::auth::{ENV_PASSPHRASE, ENV_SECRET};

/// The venue's CLOB host.
pub const DEFAULT_CLOB: &str = "https://clob.polymarket.com";

/// Alternative names accepted for the L2 secrets (the names some operators' env files use).
pub const ENV_API_SECRET_ALIAS: &str = "POLYMARKET_API_SECRET";
pub const ENV_API_PASSPHRASE_ALIAS: &str = "POLYMARKET_API_PASSPHRASE";

/// Reads a variable; `POLYMARKET_SECRET` / `POLYMARKET_PASSPHRASE` fall back to their
/// `POLYMARKET_API_*` aliases.
pub fn env_lookup(name: &str) -> Option<String> {
    let get = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    get(name).or_else(|| match name {
        ENV_SECRET => get(ENV_API_SECRET_ALIAS),
        ENV_PASSPHRASE => get(ENV_API_PASSPHRASE_ALIAS),
        _ => None,
    })
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
