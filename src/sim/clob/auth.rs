//! L1 and L2 authentication as the venue does it, and the L1 key routes
//! (`POST /auth/api-key`, `GET /auth/derive-api-key`).
//!
//! L2: the API key is known, `POLY_ADDRESS` and `POLY_PASSPHRASE` are the key's,
//! `POLY_TIMESTAMP` is within ±[`L2_TIMESTAMP_WINDOW_S`] of the simulator's clock (a stale
//! one is refused like a bad key), and `POLY_SIGNATURE` is the HMAC of
//! `timestamp + METHOD + path + body` over the exact body bytes; else 401
//! `{"error":"Unauthorized/Invalid api key"}`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;

use super::routes::{fault_delay, forced_fault, St};
use super::rules::{INVALID_L1, L2_TIMESTAMP_WINDOW_S};
use super::wire::{decode_hex, error_response, json_response, json_str};
use super::SimClob;
use crate::clob::auth::{Credentials, L2Signer};
use crate::clob::order::Address;
use crate::clob::sign::{keccak, recover_clob_auth_signer};

pub(crate) struct KeyEntry {
    pub creds: Credentials,
    pub l2: L2Signer,
    pub eoa: Address,
}

pub fn header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

pub fn now_s() -> u64 {
    crate::clock::wall_ms() / 1000
}

/// Checks the five L2 headers of a request; returns the API key.
pub(crate) fn check_l2(
    clob: &SimClob,
    h: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Option<String> {
    let key = header(h, "poly_api_key")?;
    let st = clob.state();
    let entry = st.keys.get(key)?;
    let address = Address::parse_hex(header(h, "poly_address")?).ok()?;
    if address != entry.eoa || header(h, "poly_passphrase")? != entry.creds.passphrase() {
        return None;
    }
    let ts: u64 = header(h, "poly_timestamp")?.parse().ok()?;
    if ts.abs_diff(now_s()) > L2_TIMESTAMP_WINDOW_S {
        return None;
    }
    let body = (!body.is_empty()).then_some(body);
    let expected = entry.l2.sign(ts, method, path, body);
    (header(h, "poly_signature")? == expected).then(|| key.to_string())
}

/// The EOA of valid L1 headers, and the nonce they name.
fn check_l1(clob: &SimClob, h: &HeaderMap) -> Option<(Address, u64)> {
    let address = Address::parse_hex(header(h, "poly_address")?).ok()?;
    let ts: u64 = header(h, "poly_timestamp")?.parse().ok()?;
    let nonce: u64 = match header(h, "poly_nonce") {
        Some(n) => n.parse().ok()?,
        None => 0,
    };
    let sig = decode_hex(header(h, "poly_signature")?)?;
    let who = recover_clob_auth_signer(clob.chain(), &address, ts, nonce, &sig).ok()?;
    (who == address).then_some((address, nonce))
}

/// The credentials `POST /auth/api-key` issues to `eoa` for `nonce` (deterministic).
pub fn derived_credentials(eoa: &Address, nonce: u64) -> Credentials {
    let mut seed = b"cassandra-sim-clob-key".to_vec();
    seed.extend_from_slice(eoa.bytes());
    seed.extend_from_slice(&nonce.to_be_bytes());
    let h = keccak(&seed);
    let api_key = super::wire::uuid_from(&h);
    let secret = URL_SAFE.encode(keccak(&[&h[..], b"secret"].concat()));
    let passphrase: String = keccak(&[&h[..], b"passphrase"].concat())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Credentials::new(api_key, secret, passphrase).expect("base64 of 32 bytes is a secret")
}

fn creds_body(c: &Credentials) -> String {
    format!(
        "{{\"apiKey\":{},\"secret\":{},\"passphrase\":{}}}",
        json_str(c.api_key()),
        json_str(c.secret()),
        json_str(c.passphrase())
    )
}

pub(crate) async fn create_api_key(State(sh): St, headers: HeaderMap) -> Response {
    fault_delay(&sh).await;
    if let Some((_, resp)) = forced_fault(&sh) {
        return resp;
    }
    let Some((eoa, nonce)) = check_l1(&sh.clob, &headers) else {
        return error_response(StatusCode::UNAUTHORIZED, INVALID_L1);
    };
    if sh
        .clob
        .state()
        .by_nonce
        .contains_key(&(*eoa.bytes(), nonce))
    {
        return error_response(StatusCode::BAD_REQUEST, "Could not create api key");
    }
    let creds = derived_credentials(&eoa, nonce);
    sh.clob.add_credentials(creds.clone(), eoa);
    sh.clob
        .state()
        .by_nonce
        .insert((*eoa.bytes(), nonce), creds.api_key().to_string());
    json_response(StatusCode::OK, creds_body(&creds))
}

pub(crate) async fn derive_api_key(State(sh): St, headers: HeaderMap) -> Response {
    fault_delay(&sh).await;
    if let Some((_, resp)) = forced_fault(&sh) {
        return resp;
    }
    let Some((eoa, nonce)) = check_l1(&sh.clob, &headers) else {
        return error_response(StatusCode::UNAUTHORIZED, INVALID_L1);
    };
    let st = sh.clob.state();
    let Some(entry) = st
        .by_nonce
        .get(&(*eoa.bytes(), nonce))
        .and_then(|k| st.keys.get(k))
    else {
        return error_response(StatusCode::BAD_REQUEST, "Could not derive api key!");
    };
    json_response(StatusCode::OK, creds_body(&entry.creds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_credentials_are_deterministic() {
        let a = Address::parse_hex("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").unwrap();
        let c1 = derived_credentials(&a, 0);
        let c2 = derived_credentials(&a, 0);
        assert_eq!(c1.api_key(), c2.api_key());
        assert_eq!(c1.secret(), c2.secret());
        assert_ne!(c1.api_key(), derived_credentials(&a, 1).api_key());
        assert_eq!(c1.api_key().len(), 36);
    }
}
