//! `cassandra preflight`: everything that must hold before real money trades, checked against
//! the venues of the configuration, each as one pass/fail row with the fix for a failure.
//!
//! Contract: [`run`] never panics and never stops at the first failure; every check gets a
//! row (a check that cannot run because an earlier one failed is a failed row that says
//! so, never a silent skip). `cassandra run --mode live` runs the same checks and refuses to
//! start unless [`Report::passed`]. Secrets are read from the environment lookup given, sent
//! only to the venue, and never appear in a row.
//!
//! Groups, one file each: [`venue`] (geoblock, clock skew against the CLOB's `GET /time`,
//! credentials by an authenticated L2 read), [`wallet`] (signing key, signature type and
//! funder, pUSD balance and allowances of the wallet that holds the funds, over Polygon
//! JSON-RPC), [`relayer`] (deposit wallets only: the relayer's key and reachability),
//! [`markets`] (window discovery through Gamma and the CLOB), [`feeds`] (each
//! WebSocket's connectivity and request/reply round trip). Control side only: blocking I/O.

pub mod config;
pub mod feeds;
pub mod markets;
pub mod relayer;
pub mod venue;
pub mod wallet;

use std::time::Duration;

pub use config::PreflightConfig;

use crate::config::Config;

/// Environment lookup (`std::env::var` in the binary; a map in tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One check's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Short name, e.g. `geoblock`, `feed binance`.
    pub check: String,
    pub ok: bool,
    /// What was found (never a secret).
    pub detail: String,
    /// What the operator should do; empty when the check passed.
    pub fix: String,
}

impl Row {
    pub fn pass(check: impl Into<String>, detail: impl Into<String>) -> Row {
        Row {
            check: check.into(),
            ok: true,
            detail: detail.into(),
            fix: String::new(),
        }
    }

    pub fn fail(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Row {
        Row {
            check: check.into(),
            ok: false,
            detail: detail.into(),
            fix: fix.into(),
        }
    }
}

/// Every row, in the order the checks ran.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
}

impl Report {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        !self.rows.is_empty() && self.rows.iter().all(|r| r.ok)
    }

    /// The row of `check`, if it ran.
    pub fn row(&self, check: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.check == check)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| !r.ok)
    }

    /// The pass/fail table, a fix under each failure, and a closing verdict.
    pub fn render(&self) -> String {
        let width = self.rows.iter().map(|r| r.check.len()).max().unwrap_or(5);
        let mut s = format!("  {:<width$}  RESULT  DETAIL\n", "CHECK");
        for r in &self.rows {
            let result = if r.ok { "pass" } else { "FAIL" };
            s.push_str(&format!(
                "  {:<width$}  {result:<6}  {}\n",
                r.check, r.detail
            ));
            if !r.ok {
                s.push_str(&format!("  {:<width$}  {:<6}  fix: {}\n", "", "", r.fix));
            }
        }
        let failed = self.failures().count();
        if failed == 0 {
            s.push_str(&format!("Preflight passed: {} checks.\n", self.rows.len()));
        } else {
            s.push_str(&format!(
                "Preflight FAILED: {failed} of {} checks.\n",
                self.rows.len()
            ));
        }
        s
    }
}

/// A blocking HTTP client with the preflight timeout.
pub(crate) fn http(cfg: &PreflightConfig) -> anyhow::Result<reqwest::blocking::Client> {
    Ok(reqwest::blocking::Client::builder()
        .timeout(Duration::from_millis(cfg.timeout_ms))
        .user_agent("cassandra-preflight")
        .build()?)
}

/// Every check against the venues of `cfg`, with secrets from `env`.
pub fn run(cfg: &Config, env: Env<'_>) -> Report {
    let mut rows = Vec::new();
    let client = match http(&cfg.preflight) {
        Ok(c) => c,
        Err(e) => {
            rows.push(Row::fail(
                "http client",
                format!("cannot build an HTTP client: {e}"),
                "check the system's TLS roots (ca-certificates)",
            ));
            return Report { rows };
        }
    };
    rows.push(venue::geoblock(&client, &cfg.preflight.geoblock_url));
    rows.push(venue::clock(
        &client,
        &cfg.venues.clob,
        cfg.preflight.max_clock_skew_ms,
    ));
    let (id_rows, identity) = wallet::identity(env);
    rows.extend(id_rows);
    rows.push(venue::credentials(
        &client,
        &cfg.venues.clob,
        identity.as_ref(),
    ));
    rows.extend(wallet::funds(cfg, identity.as_ref()));
    rows.extend(relayer::check(cfg, env, identity.as_ref()));
    rows.extend(markets::discovery(cfg));
    rows.extend(feeds::check_all(
        cfg,
        identity.as_ref().and_then(|i| i.creds.as_ref()),
    ));
    Report { rows }
}

/// An error and its causes on one line ("error sending request: … dns error: …"), never the
/// URL's query (reqwest errors are passed through `without_url` first).
pub(crate) fn why(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}

/// The real environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
