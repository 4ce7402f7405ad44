//! `ws://` and `wss://` URLs, split once at start-up.

use super::WsError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, always starting with `/`.
    pub resource: String,
}

impl WsUrl {
    pub fn parse(url: &str) -> Result<WsUrl, WsError> {
        let bad = |why: &str| WsError::BadUrl(format!("{url:?}: {why}"));
        let (tls, rest) = if let Some(r) = url.strip_prefix("wss://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("ws://") {
            (false, r)
        } else {
            return Err(bad("expected ws:// or wss://"));
        };
        let (authority, resource) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.is_empty() {
            return Err(bad("no host"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                let port = p.parse::<u16>().map_err(|_| bad("bad port"))?;
                (h, port)
            }
            _ => (authority, if tls { 443 } else { 80 }),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(WsUrl {
            tls,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            resource,
        })
    }

    /// The URL again, for handshakes and logs (carries no secret: feeds put none in URLs).
    pub fn to_url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}:{}{}", self.host, self.port, self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_binance_combined_stream_url() {
        let u = WsUrl::parse("wss://stream.binance.com:9443/stream?streams=btcusdt@trade").unwrap();
        assert!(u.tls);
        assert_eq!(u.host, "stream.binance.com");
        assert_eq!(u.port, 9443);
        assert_eq!(u.resource, "/stream?streams=btcusdt@trade");
    }

    #[test]
    fn default_ports_and_paths() {
        let u = WsUrl::parse("wss://ws-subscriptions-clob.polymarket.com").unwrap();
        assert_eq!((u.port, u.resource.as_str()), (443, "/"));
        let u = WsUrl::parse("ws://127.0.0.1:9001/ws/market").unwrap();
        assert_eq!((u.tls, u.port, u.host.as_str()), (false, 9001, "127.0.0.1"));
        let u = WsUrl::parse("ws://localhost?x=1").unwrap();
        assert_eq!((u.port, u.resource.as_str()), (80, "/?x=1"));
    }

    #[test]
    fn rejects_other_schemes_and_bad_ports() {
        for bad in ["http://x", "ws://", "ws://host:99999/", "ws://:80/"] {
            assert!(WsUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
