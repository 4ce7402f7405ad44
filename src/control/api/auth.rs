//! The API key of the protected endpoints (`X-API-Key`).
//!
//! The key comes from `API_KEY` in the environment, else from a `.env` file in the working
//! directory. It is compared in constant time (both sides hashed to 32 bytes first, so not even
//! the length leaks) and never printed: `Debug` shows `ApiKey(<redacted>)`. With no key
//! configured the protected endpoints answer 503: they are never open.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ApiError, App};

/// The header carrying the key.
pub const HEADER: &str = "x-api-key";
/// The environment variable (and `.env` key) holding it.
pub const ENV_VAR: &str = "API_KEY";

/// A configured API key. Holds only the key's SHA-256, so the key itself is not even in memory
/// after construction.
#[derive(Clone)]
pub struct ApiKey {
    digest: [u8; 32],
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl ApiKey {
    /// A key from its text; blank text is no key.
    pub fn new(key: &str) -> Option<ApiKey> {
        let key = key.trim();
        (!key.is_empty()).then(|| ApiKey {
            digest: digest(key.as_bytes()),
        })
    }

    /// `API_KEY` from the environment, else from `./.env`; `None` when neither has one.
    pub fn from_environment() -> Option<ApiKey> {
        if let Ok(v) = std::env::var(ENV_VAR) {
            if let Some(k) = ApiKey::new(&v) {
                return Some(k);
            }
        }
        let text = std::fs::read_to_string(".env").ok()?;
        ApiKey::new(&dotenv_value(&text, ENV_VAR)?)
    }

    /// Whether `given` is the key, in time independent of where they differ.
    pub fn matches(&self, given: &[u8]) -> bool {
        self.digest.ct_eq(&digest(given)).into()
    }
}

/// The value of `key` in `.env` text: `KEY=value` lines, optional `export `, `#` comments,
/// values optionally in single or double quotes. The last assignment wins.
pub fn dotenv_value(text: &str, key: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim() != key {
            continue;
        }
        let v = v.trim();
        let unquoted = match v.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => match v[1..].find(q as char) {
                Some(end) => &v[1..1 + end],
                None => &v[1..],
            },
            // An unquoted value ends at a ` #` comment.
            _ => v.split(" #").next().unwrap_or("").trim_end(),
        };
        found = Some(unquoted.to_string());
    }
    found
}

/// Why a request may not use a protected endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No key configured: the endpoint is off (503).
    NotConfigured,
    /// No `X-API-Key` header (401).
    Missing,
    /// The header does not match (401).
    Wrong,
}

/// Check a request's header against the configured key.
pub fn check(key: Option<&ApiKey>, header: Option<&[u8]>) -> Result<(), Refusal> {
    let key = key.ok_or(Refusal::NotConfigured)?;
    let given = header.ok_or(Refusal::Missing)?;
    if key.matches(given) {
        Ok(())
    } else {
        Err(Refusal::Wrong)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        match r {
            Refusal::NotConfigured => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "protected endpoints are disabled: no API key is configured; set API_KEY in the \
                 environment or in a .env file in the working directory and restart",
            ),
            Refusal::Missing => ApiError {
                status: StatusCode::UNAUTHORIZED,
                message: "missing X-API-Key header".into(),
                field: Some("X-API-Key".into()),
            },
            Refusal::Wrong => ApiError {
                status: StatusCode::UNAUTHORIZED,
                message: "wrong API key".into(),
                field: Some("X-API-Key".into()),
            },
        }
    }
}

/// Middleware in front of the protected routes.
pub async fn require_key(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let header = req.headers().get(HEADER).map(|v| v.as_bytes());
    match check(app.ctx.api_key.as_ref(), header) {
        Ok(()) => next.run(req).await,
        Err(r) => ApiError::from(r).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly() {
        let k = ApiKey::new("s3cret").unwrap();
        assert!(k.matches(b"s3cret"));
        for wrong in [&b""[..], b"s3cre", b"s3cret ", b"S3cret", b"s3cretx"] {
            assert!(!k.matches(wrong), "{wrong:?}");
        }
        assert!(ApiKey::new("  ").is_none());
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
    }

    #[test]
    fn the_check_orders_its_refusals() {
        let k = ApiKey::new("k").unwrap();
        assert_eq!(check(None, Some(b"k")), Err(Refusal::NotConfigured));
        assert_eq!(check(Some(&k), None), Err(Refusal::Missing));
        assert_eq!(check(Some(&k), Some(b"x")), Err(Refusal::Wrong));
        assert_eq!(check(Some(&k), Some(b"k")), Ok(()));
    }

    #[test]
    fn dotenv_lines() {
        let text = "# c\nOTHER=1\nexport API_KEY = \"a b#c\" \nAPI_KEY2=no\n";
        assert_eq!(dotenv_value(text, "API_KEY").as_deref(), Some("a b#c"));
        assert_eq!(
            dotenv_value("API_KEY=abc # note\n", "API_KEY").as_deref(),
            Some("abc")
        );
        assert_eq!(
            dotenv_value("API_KEY='x'\nAPI_KEY=y\n", "API_KEY").as_deref(),
            Some("y")
        );
        assert_eq!(dotenv_value("NOPE=1", "API_KEY"), None);
    }
}
