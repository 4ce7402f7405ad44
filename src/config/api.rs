//! `[api]`: the control-side HTTP API, WebSocket stream and dashboard.

use serde::Deserialize;

/// The control-side HTTP API, WebSocket stream and dashboard (`src/control/api`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Serve the API at all (default true).
    pub enabled: bool,
    /// Listen address (default "127.0.0.1:8000"; port 0 picks a free port). Anything but
    /// loopback exposes the dashboard and the protected endpoints to the network.
    pub bind: String,
    /// How often the WebSocket broadcaster looks for changes, ms (default 200).
    pub ws_interval_ms: u64,
    /// Messages a WebSocket client may fall behind before it is dropped (default 256).
    pub ws_client_queue: usize,
    /// A client whose socket accepts nothing for this long is dropped, ms (default 5000).
    pub ws_send_timeout_ms: u64,
    /// Concurrent WebSocket clients at most (default 32); more are refused with 503.
    pub ws_max_clients: usize,
    /// Origins allowed by CORS (default none: browsers may only use the API from the
    /// dashboard it serves). Exact origins such as "http://localhost:3000".
    pub cors_origins: Vec<String>,
    /// Host names (besides `localhost` and IP addresses) the API answers to, e.g.
    /// "cassandra.lan" (default none). Any other `Host` is refused: a web page cannot reach
    /// the API by pointing its own domain at this machine (DNS rebinding).
    pub allowed_hosts: Vec<String>,
    /// Connections open at once at most (default 256): more wait until one closes, so idle
    /// clients cannot exhaust the process's file descriptors.
    pub max_connections: usize,
    /// A connection with no byte in either direction for this long is closed, ms
    /// (default 60000).
    pub idle_timeout_ms: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            enabled: true,
            bind: "127.0.0.1:8000".into(),
            ws_interval_ms: 200,
            ws_client_queue: 256,
            ws_send_timeout_ms: 5_000,
            ws_max_clients: 32,
            cors_origins: Vec::new(),
            max_connections: 256,
            idle_timeout_ms: 60_000,
            allowed_hosts: Vec::new(),
        }
    }
}

impl ApiConfig {
    /// Every bad field of `[api]`, as `api.key = value: what is expected`.
    pub fn problems(&self) -> Vec<String> {
        let mut bad = Vec::new();
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            bad.push(format!(
                "api.bind = {:?}: an IP address and port such as \"127.0.0.1:8000\"",
                self.bind
            ));
        }
        if !(10..=60_000).contains(&self.ws_interval_ms) {
            bad.push(format!(
                "api.ws_interval_ms = {}: 10 to 60000",
                self.ws_interval_ms
            ));
        }
        if !(8..=65_536).contains(&self.ws_client_queue) {
            bad.push(format!(
                "api.ws_client_queue = {}: 8 to 65536",
                self.ws_client_queue
            ));
        }
        if self.ws_send_timeout_ms < 100 {
            bad.push(format!(
                "api.ws_send_timeout_ms = {}: at least 100",
                self.ws_send_timeout_ms
            ));
        }
        if self.ws_max_clients == 0 {
            bad.push("api.ws_max_clients = 0: at least 1".into());
        }
        if !(1..=65_536).contains(&self.max_connections) {
            bad.push(format!(
                "api.max_connections = {}: 1 to 65536",
                self.max_connections
            ));
        } else if self.ws_max_clients >= self.max_connections {
            bad.push(format!(
                "api.ws_max_clients = {}: fewer than api.max_connections ({}), or WebSocket \
                 clients could take every connection",
                self.ws_max_clients, self.max_connections
            ));
        }
        for h in &self.allowed_hosts {
            let ok = !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !ok {
                bad.push(format!(
                    "api.allowed_hosts: {h:?}: a host name such as \"cassandra.lan\" (no scheme, port or path)"
                ));
            }
        }
        if !(100..=3_600_000).contains(&self.idle_timeout_ms) {
            bad.push(format!(
                "api.idle_timeout_ms = {}: 100 to 3600000",
                self.idle_timeout_ms
            ));
        }
        for o in &self.cors_origins {
            let ok = (o.starts_with("http://") || o.starts_with("https://"))
                && !o.ends_with('/')
                && axum::http::HeaderValue::from_str(o).is_ok();
            if !ok {
                bad.push(format!(
                    "api.cors_origins: {o:?}: an origin such as \"http://localhost:3000\" (no path, no trailing slash)"
                ));
            }
        }
        bad
    }
}
