//! `cassandra auth derive-key` and `cassandra auth headers`: CLOB API credentials through
//! L1 (`ClobAuth`) and the L2 headers of one request, for operators and for debugging a
//! client against the venue.
//!
//! `derive-key` signs `ClobAuth` with the key from `POLYMARKET_PRIVATE_KEY(_FILE)` at the
//! server's `GET /time` (the local clock if that fails), asks `GET /auth/derive-api-key`, and
//! when no key exists for the nonce creates one with `POST /auth/api-key`; it prints
//! `{"apiKey":…,"secret":…,"passphrase":…}`: that output is the point of the command, so keep
//! it off shared terminals and logs.
//!
//! `headers` prints the five L2 headers of a request as one JSON object, with credentials
//! from `POLYMARKET_API_KEY`, `POLYMARKET_API_SECRET` and
//! `POLYMARKET_API_PASSPHRASE`; `POLY_ADDRESS` is `--address`
//! or the key's EOA.

use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::Value;

use crate::clob::auth::{private_key_from_lookup, Credentials, L1Headers, L2Headers, L2Signer};
use crate::clob::order::{Address, Chain};
use crate::clob::sign::OrderSigner;

use super::{env_lookup, http_client, now_s, DEFAULT_CLOB};

/// `cassandra auth …`
#[derive(clap::Subcommand, Debug)]
pub enum AuthCmd {
    /// Derive (or, when none exists, create) the CLOB API key of the EOA in
    /// POLYMARKET_PRIVATE_KEY / POLYMARKET_PRIVATE_KEY_FILE; prints the credentials JSON.
    DeriveKey {
        /// CLOB base URL.
        #[arg(long, default_value = DEFAULT_CLOB)]
        clob: String,
        /// Key nonce (a different nonce derives a different key).
        #[arg(long, default_value_t = 0)]
        nonce: u64,
        /// Chain of the ClobAuth domain: 137 (Polygon) or 80002 (Amoy).
        #[arg(long, default_value_t = 137)]
        chain_id: u64,
    },
    /// Print the L2 headers (POLY_ADDRESS, POLY_SIGNATURE, POLY_TIMESTAMP, POLY_API_KEY,
    /// POLY_PASSPHRASE) of one request as a JSON object.
    Headers {
        /// HTTP method, as sent (e.g. POST).
        #[arg(long)]
        method: String,
        /// Request path; a query string is not signed.
        #[arg(long)]
        path: String,
        /// The exact body bytes to be sent (none: no body).
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// Unix seconds (default: now).
        #[arg(long)]
        timestamp: Option<u64>,
        /// POLY_ADDRESS (default: the EOA of the private key in the environment).
        #[arg(long)]
        address: Option<String>,
    },
}

pub fn run(cmd: AuthCmd) -> anyhow::Result<()> {
    match cmd {
        AuthCmd::DeriveKey {
            clob,
            nonce,
            chain_id,
        } => derive_key(&clob, nonce, chain_id),
        AuthCmd::Headers {
            method,
            path,
            body_file,
            timestamp,
            address,
        } => headers(&method, &path, body_file, timestamp, address),
    }
}

/// The server's clock (`GET /time`: a bare number of seconds), if it answers.
fn server_time_s(client: &reqwest::blocking::Client, base: &str) -> Option<u64> {
    let text = client
        .get(format!("{base}/time"))
        .send()
        .ok()?
        .text()
        .ok()?;
    text.trim().trim_matches('"').parse().ok()
}

fn derive_key(clob: &str, nonce: u64, chain_id: u64) -> anyhow::Result<()> {
    let chain = Chain::from_chain_id(chain_id)
        .ok_or_else(|| anyhow::anyhow!("--chain-id {chain_id} is not 137 or 80002"))?;
    let signer = OrderSigner::new(private_key_from_lookup(env_lookup)?, chain);
    let base = clob.trim_end_matches('/');
    let client = http_client()?;
    let ts = server_time_s(&client, base).unwrap_or_else(now_s);
    let l1 = L1Headers::new(&signer, ts, nonce)?;
    let send = |method: reqwest::Method, path: &str| -> anyhow::Result<(u16, String)> {
        let mut rb = client.request(method.clone(), format!("{base}{path}"));
        for (k, v) in l1.pairs() {
            rb = rb.header(k, v);
        }
        let resp = rb
            .send()
            .with_context(|| format!("{method} {base}{path}"))?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().unwrap_or_default()))
    };
    let (status, text) = send(reqwest::Method::GET, "/auth/derive-api-key")?;
    let (status, text) = if status == 200 && creds_of(&text).is_some() {
        (status, text)
    } else {
        let (s2, t2) = send(reqwest::Method::POST, "/auth/api-key")?;
        if s2 != 200 {
            anyhow::bail!(
                "derive-api-key answered HTTP {status} ({}), api-key answered HTTP {s2} ({})",
                text.trim(),
                t2.trim()
            );
        }
        (s2, t2)
    };
    let creds = creds_of(&text).ok_or_else(|| {
        anyhow::anyhow!("HTTP {status}: no apiKey/secret/passphrase in the answer")
    })?;
    println!(
        "{}",
        serde_json::json!({
            "apiKey": creds.api_key(),
            "secret": creds.secret(),
            "passphrase": creds.passphrase(),
        })
    );
    Ok(())
}

fn creds_of(text: &str) -> Option<Credentials> {
    let v: Value = serde_json::from_str(text).ok()?;
    let get = |k: &str| v.get(k)?.as_str().map(str::to_string);
    Credentials::new(get("apiKey")?, get("secret")?, get("passphrase")?).ok()
}

fn headers(
    method: &str,
    path: &str,
    body_file: Option<PathBuf>,
    timestamp: Option<u64>,
    address: Option<String>,
) -> anyhow::Result<()> {
    let creds = Credentials::from_lookup(env_lookup)?;
    let address = match address {
        Some(a) => Address::parse_hex(&a).map_err(|e| anyhow::anyhow!("--address {a:?}: {e}"))?,
        None => private_key_from_lookup(env_lookup)
            .context("no --address and no private key to take the EOA from")?
            .address(),
    };
    let body = body_file
        .map(|p| std::fs::read(&p).with_context(|| format!("reading --body-file {}", p.display())))
        .transpose()?;
    let l2 = L2Signer::new(&creds)?;
    let ts = timestamp.unwrap_or_else(now_s);
    let h = L2Headers::new(&l2, &creds, &address, ts, method, path, body.as_deref());
    // Hand-written to keep the venue's header order.
    let fields: Vec<String> = h
        .pairs()
        .iter()
        .map(|(k, v)| format!("{}:{}", Value::from(*k), Value::from(*v)))
        .collect();
    println!("{{{}}}", fields.join(","));
    Ok(())
}
