//! Who may talk to the API: a `Host` that is `localhost`, an IP address or one of
//! `api.allowed_hosts`, and (for browsers, which send it) an `Origin` on a loopback host,
//! the dashboard's own origin, or one of `api.cors_origins`.
//!
//! Without this, any web page the operator visits could open `/ws` (WebSockets are not bound
//! by CORS) and read the account, orders and alerts, or reach the API under its own domain
//! pointed at 127.0.0.1 (DNS rebinding). Clients that send no `Origin` (curl, scripts) are
//! not browsers and pass.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, App};

/// The host part of a `Host` header value or an origin's authority (no port, brackets kept
/// off IPv6), lowercased.
fn host_of(authority: &str) -> String {
    let a = authority.trim();
    let h = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        a.rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(a, |(h, _)| h)
    };
    h.to_ascii_lowercase()
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// May a request naming `host` be served?
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let h = host_of(host);
    is_loopback(&h)
        || h.parse::<std::net::IpAddr>().is_ok()
        || allowed.iter().any(|a| a.eq_ignore_ascii_case(&h))
}

/// May a browser page at `origin` use the API reached under `host`?
pub fn origin_allowed(origin: &str, host: Option<&str>, cors: &[String]) -> bool {
    if cors.iter().any(|o| o == origin) {
        return true;
    }
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false; // "null" (sandboxed frames, files) and other schemes
    };
    if authority.contains('/') {
        return false;
    }
    is_loopback(&host_of(authority))
        || host.is_some_and(|h| h.trim().eq_ignore_ascii_case(authority))
}

pub async fn check(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(h) = host {
        if !host_allowed(h, &app.cfg.allowed_hosts) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "host {h:?} is not served: use localhost or an IP address, or add the name \
                     to [api] allowed_hosts"
                ),
            )
            .into_response();
        }
    } else if headers.get(header::HOST).is_some() {
        return ApiError::new(StatusCode::BAD_REQUEST, "unreadable Host header").into_response();
    }
    if let Some(o) = headers.get(header::ORIGIN) {
        let ok = o
            .to_str()
            .is_ok_and(|o| origin_allowed(o, host, &app.cfg.cors_origins));
        if !ok {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "origin {:?} is not allowed: only pages on this machine, the dashboard \
                     itself, and [api] cors_origins",
                    String::from_utf8_lossy(o.as_bytes())
                ),
            )
            .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let none: Vec<String> = vec![];
        for ok in [
            "localhost:8000",
            "127.0.0.1:8000",
            "[::1]:8000",
            "192.168.1.5",
            "LOCALHOST",
        ] {
            assert!(host_allowed(ok, &none), "{ok}");
        }
        for bad in [
            "evil.example:8000",
            "evil.example",
            "127.0.0.1.evil.example",
            "",
        ] {
            assert!(!host_allowed(bad, &none), "{bad}");
        }
        assert!(host_allowed(
            "cassandra.lan:8000",
            &["cassandra.lan".into()]
        ));
    }

    #[test]
    fn origins() {
        let none: Vec<String> = vec![];
        let host = Some("192.168.1.5:8000");
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1:8000",
            "https://[::1]",
            "http://192.168.1.5:8000",
        ] {
            assert!(origin_allowed(ok, host, &none), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "null",
            "http://192.168.1.5:9999",
            "file://",
            "http://localhost.evil.example",
        ] {
            assert!(!origin_allowed(bad, host, &none), "{bad}");
        }
        assert!(origin_allowed(
            "https://ops.example",
            host,
            &["https://ops.example".into()]
        ));
    }
}
