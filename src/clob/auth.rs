//! CLOB request authentication: L2 HMAC headers for trading calls, L1 (`ClobAuth`) headers
//! for creating/deriving API keys, and loading the secrets from the environment.
//!
//! L2 (docs/venue/polymarket.md §3): `message = timestamp_s + METHOD + path + body`,
//! `path` without the query string, `body` the exact bytes sent with every `'` replaced by
//! `"` (as py and Rust do); `key = urlsafe_b64decode(secret)`; `POLY_SIGNATURE =
//! urlsafe_b64encode(HMAC-SHA256(key, message))` **with** `=` padding (44 characters).
//!
//! Hot path: [`L2Signer`] keys the HMAC once; [`L2Signer::sign_into`] writes the signature
//! into a caller's `[u8; 44]` without allocating.
//!
//! Secrets come from the environment only (`POLYMARKET_API_KEY`, `POLYMARKET_API_SECRET`,
//! `POLYMARKET_API_PASSPHRASE`, `POLYMARKET_PRIVATE_KEY` or `POLYMARKET_PRIVATE_KEY_FILE`),
//! never from the command line. `Debug` never prints a secret, a passphrase or a private
//! key, and no error carries one: errors name the variable, not its value.

use std::fmt;
use std::path::PathBuf;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::clob::order::{Address, OrderSignature};
use crate::clob::sign::{OrderSigner, PrivateKey, SignError};

pub const ENV_API_KEY: &str = "POLYMARKET_API_KEY";
pub const ENV_SECRET: &str = "POLYMARKET_API_SECRET";
pub const ENV_PASSPHRASE: &str = "POLYMARKET_API_PASSPHRASE";
pub const ENV_PRIVATE_KEY: &str = "POLYMARKET_PRIVATE_KEY";
pub const ENV_PRIVATE_KEY_FILE: &str = "POLYMARKET_PRIVATE_KEY_FILE";

pub const POLY_ADDRESS: &str = "POLY_ADDRESS";
pub const POLY_SIGNATURE: &str = "POLY_SIGNATURE";
pub const POLY_TIMESTAMP: &str = "POLY_TIMESTAMP";
pub const POLY_NONCE: &str = "POLY_NONCE";
pub const POLY_API_KEY: &str = "POLY_API_KEY";
pub const POLY_PASSPHRASE: &str = "POLY_PASSPHRASE";

/// Length of an L2 signature: base64 of 32 bytes with padding.
pub const HMAC_SIGNATURE_LEN: usize = 44;

/// Secrets decode with either base64 alphabet's `+/`-less URL-safe form and with or
/// without padding, as Python's lenient `urlsafe_b64decode` accepts.
const SECRET_DECODER: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why credentials could not be loaded or used. All are configuration errors (fatal at
/// start); none includes a secret value.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("environment variable {0} is not set (or is empty)")]
    MissingEnv(&'static str),
    #[error("environment variable {0} is not valid base64")]
    InvalidSecret(&'static str),
    #[error(
        "the private key from {0} is not 0x-prefixed 64-digit hex of a valid secp256k1 scalar"
    )]
    InvalidPrivateKey(String),
    #[error("cannot read the private key file {path:?} (from {ENV_PRIVATE_KEY_FILE}): {kind}")]
    KeyFile {
        path: PathBuf,
        kind: std::io::ErrorKind,
    },
    #[error("set only one of {ENV_PRIVATE_KEY} and {ENV_PRIVATE_KEY_FILE}")]
    AmbiguousPrivateKey,
}

/// L2 API credentials. `Debug` shows the API key only.
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    secret: String,
    passphrase: String,
}

impl Credentials {
    /// Checks that `secret` decodes as base64 (the error names `POLYMARKET_API_SECRET`).
    pub fn new(api_key: String, secret: String, passphrase: String) -> Result<Self, AuthError> {
        decode_secret(&secret).ok_or(AuthError::InvalidSecret(ENV_SECRET))?;
        Ok(Credentials {
            api_key,
            secret,
            passphrase,
        })
    }

    /// From `POLYMARKET_API_KEY`, `POLYMARKET_API_SECRET`, `POLYMARKET_API_PASSPHRASE`.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Credentials::from_env`] with a custom variable lookup (tests, config layers).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, AuthError> {
        let get = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(AuthError::MissingEnv(name))
        };
        Credentials::new(get(ENV_API_KEY)?, get(ENV_SECRET)?, get(ENV_PASSPHRASE)?)
    }

    /// The API key (`POLY_API_KEY`, and `owner` in order bodies).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn passphrase(&self) -> &str {
        &self.passphrase
    }

    /// The base64 secret as issued (needed by the user WebSocket channel's `auth`).
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("secret", &"<redacted>")
            .field("passphrase", &"<redacted>")
            .finish()
    }
}

/// Loads the EOA key from `POLYMARKET_PRIVATE_KEY` (hex) or from the file named by
/// `POLYMARKET_PRIVATE_KEY_FILE` (hex, surrounding whitespace ignored).
pub fn private_key_from_env() -> Result<PrivateKey, AuthError> {
    private_key_from_lookup(|name| std::env::var(name).ok())
}

/// As [`private_key_from_env`] with a custom variable lookup.
pub fn private_key_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<PrivateKey, AuthError> {
    let inline = lookup(ENV_PRIVATE_KEY).filter(|v| !v.trim().is_empty());
    let file = lookup(ENV_PRIVATE_KEY_FILE).filter(|v| !v.trim().is_empty());
    match (inline, file) {
        (Some(_), Some(_)) => Err(AuthError::AmbiguousPrivateKey),
        (Some(hex), None) => PrivateKey::parse_hex(&hex)
            .map_err(|_| AuthError::InvalidPrivateKey(ENV_PRIVATE_KEY.to_string())),
        (None, Some(path)) => {
            let path = PathBuf::from(path);
            let text = std::fs::read_to_string(&path).map_err(|e| AuthError::KeyFile {
                path: path.clone(),
                kind: e.kind(),
            })?;
            PrivateKey::parse_hex(&text).map_err(|_| {
                AuthError::InvalidPrivateKey(format!("{ENV_PRIVATE_KEY_FILE} ({})", path.display()))
            })
        }
        (None, None) => Err(AuthError::MissingEnv(ENV_PRIVATE_KEY)),
    }
}

fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    // Python's urlsafe_b64decode also takes the standard alphabet's '+' and '/'.
    let normalized: String = secret
        .trim()
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    SECRET_DECODER.decode(normalized).ok()
}

/// The L2 HMAC message as one string (for tests and logs; the signer streams it instead).
pub fn l2_message(timestamp_s: u64, method: &str, path: &str, body: Option<&[u8]>) -> String {
    let mut m = format!("{timestamp_s}{method}{}", strip_query(path));
    if let Some(b) = body {
        m.push_str(&String::from_utf8_lossy(b).replace('\'', "\""));
    }
    m
}

fn strip_query(path: &str) -> &str {
    path.split_once('?').map_or(path, |(p, _)| p)
}

/// HMAC-SHA256 keyed once with the decoded API secret.
#[derive(Clone)]
pub struct L2Signer {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for L2Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("L2Signer(<redacted>)")
    }
}

impl L2Signer {
    pub fn new(creds: &Credentials) -> Result<L2Signer, AuthError> {
        let key = decode_secret(&creds.secret).ok_or(AuthError::InvalidSecret(ENV_SECRET))?;
        let mac = Hmac::<Sha256>::new_from_slice(&key)
            .map_err(|_| AuthError::InvalidSecret(ENV_SECRET))?;
        Ok(L2Signer { mac })
    }

    /// Writes `POLY_SIGNATURE` for a request into `out` and returns it as text. `path` may
    /// carry a query string (it is not signed); `body` is the exact bytes to send, or `None`.
    /// Does not allocate.
    pub fn sign_into<'o>(
        &self,
        timestamp_s: u64,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        out: &'o mut [u8; HMAC_SIGNATURE_LEN],
    ) -> &'o str {
        let mut mac = self.mac.clone();
        let mut ts = [0u8; 20];
        mac.update(u64_text(timestamp_s, &mut ts));
        mac.update(method.as_bytes());
        mac.update(strip_query(path).as_bytes());
        if let Some(body) = body {
            // py signs str(body).replace("'", '"'); stream the replacement.
            for (i, chunk) in body.split(|&b| b == b'\'').enumerate() {
                if i > 0 {
                    mac.update(b"\"");
                }
                mac.update(chunk);
            }
        }
        let digest = mac.finalize().into_bytes();
        let n = URL_SAFE
            .encode_slice(digest.as_slice(), &mut out[..])
            .expect("44 bytes hold base64 of 32");
        debug_assert_eq!(n, HMAC_SIGNATURE_LEN);
        std::str::from_utf8(&out[..]).expect("base64 is ASCII")
    }

    /// As [`L2Signer::sign_into`], allocating the text.
    pub fn sign(&self, timestamp_s: u64, method: &str, path: &str, body: Option<&[u8]>) -> String {
        let mut out = [0u8; HMAC_SIGNATURE_LEN];
        self.sign_into(timestamp_s, method, path, body, &mut out)
            .to_string()
    }
}

/// `v` in decimal, written at the end of `buf`; no allocation.
pub(crate) fn u64_text(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

/// The five L2 headers of one request. Borrowed and fixed-size: building them does not
/// allocate.
#[derive(Clone, Copy, Debug)]
pub struct L2Headers<'a> {
    /// The EOA, EIP-55 (py and TS send it checksummed; for POLY_1271 too).
    pub address: &'a str,
    signature: [u8; HMAC_SIGNATURE_LEN],
    timestamp: [u8; 20],
    timestamp_len: u8,
    pub api_key: &'a str,
    pub passphrase: &'a str,
}

impl<'a> L2Headers<'a> {
    /// Signs a request and collects its headers.
    pub fn new(
        signer: &L2Signer,
        creds: &'a Credentials,
        address: &'a Address,
        timestamp_s: u64,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> L2Headers<'a> {
        let mut signature = [0u8; HMAC_SIGNATURE_LEN];
        signer.sign_into(timestamp_s, method, path, body, &mut signature);
        let mut ts = [0u8; 20];
        let len = u64_text(timestamp_s, &mut ts).len();
        let mut timestamp = [0u8; 20];
        timestamp[..len].copy_from_slice(&ts[20 - len..]);
        L2Headers {
            address: address.as_str(),
            signature,
            timestamp,
            timestamp_len: len as u8,
            api_key: creds.api_key(),
            passphrase: creds.passphrase(),
        }
    }

    pub fn signature(&self) -> &str {
        std::str::from_utf8(&self.signature).expect("base64 is ASCII")
    }

    pub fn timestamp(&self) -> &str {
        std::str::from_utf8(&self.timestamp[..usize::from(self.timestamp_len)])
            .expect("digits are ASCII")
    }

    /// `(name, value)` pairs in the order py builds them.
    pub fn pairs(&self) -> [(&'static str, &str); 5] {
        [
            (POLY_ADDRESS, self.address),
            (POLY_SIGNATURE, self.signature()),
            (POLY_TIMESTAMP, self.timestamp()),
            (POLY_API_KEY, self.api_key),
            (POLY_PASSPHRASE, self.passphrase),
        ]
    }
}

/// The four L1 headers for `POST /auth/api-key` and `GET /auth/derive-api-key`.
#[derive(Clone, PartialEq, Eq)]
pub struct L1Headers {
    /// The EOA, EIP-55 (as py sends it; the Rust SDK sends lowercase, both are accepted).
    pub address: String,
    pub signature: String,
    pub timestamp: String,
    pub nonce: String,
}

impl fmt::Debug for L1Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("L1Headers")
            .field("address", &self.address)
            .field("timestamp", &self.timestamp)
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

impl L1Headers {
    /// Signs `ClobAuth` for `timestamp_s` (the server's `GET /time` where possible) and
    /// `nonce` (0 unless deriving a different key).
    pub fn new(signer: &OrderSigner, timestamp_s: u64, nonce: u64) -> Result<L1Headers, SignError> {
        let sig = signer.sign_clob_auth(timestamp_s, nonce)?;
        Ok(L1Headers {
            address: signer.address().as_str().to_string(),
            signature: OrderSignature::from_slice(&sig)
                .expect("65 bytes fit")
                .to_hex(),
            timestamp: timestamp_s.to_string(),
            nonce: nonce.to_string(),
        })
    }

    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            (POLY_ADDRESS, &self.address),
            (POLY_SIGNATURE, &self.signature),
            (POLY_TIMESTAMP, &self.timestamp),
            (POLY_NONCE, &self.nonce),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_not_signed() {
        let creds = Credentials::new(
            "k".into(),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
            "p".into(),
        )
        .unwrap();
        let s = L2Signer::new(&creds).unwrap();
        assert_eq!(
            s.sign(1, "GET", "/data/orders?market=0x1", None),
            s.sign(1, "GET", "/data/orders", None)
        );
        assert_eq!(l2_message(1, "GET", "/a?b=c", None), "1GET/a");
    }

    #[test]
    fn quote_replacement_matches_string_form() {
        let creds = Credentials::new(
            "k".into(),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
            "p".into(),
        )
        .unwrap();
        let s = L2Signer::new(&creds).unwrap();
        let a = s.sign(5, "POST", "/x", Some(b"{'a': 'b'}"));
        let b = s.sign(5, "POST", "/x", Some(b"{\"a\": \"b\"}"));
        assert_eq!(a, b);
    }
}
