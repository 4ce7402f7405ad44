//! The API answers only under `localhost`, an IP address or `api.allowed_hosts`, and serves
//! browsers (which send `Origin`) only from this machine, the dashboard's own origin or
//! `api.cors_origins`: a page elsewhere can neither open `/ws` nor call the API, and a
//! domain pointed at 127.0.0.1 (DNS rebinding) is refused.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cassandra::config::{ApiConfig, Config};
use cassandra::control::api::{self, ApiContext, ApiHandle};
use cassandra::control::ControlState;
use cassandra::pipeline::shared::{Mode, Shared};

fn start(allowed_hosts: Vec<String>) -> ApiHandle {
    let cfg = Config::default();
    let ctx = ApiContext::new(
        &cfg,
        Arc::new(Shared::new(Mode::Paper)),
        Arc::new(Mutex::new(ControlState::default())),
        cassandra::pipeline::cores::CorePlan::compute(&[0, 1], &Default::default()),
        None,
    )
    .unwrap();
    api::spawn(
        ApiConfig {
            bind: "127.0.0.1:0".into(),
            allowed_hosts,
            cors_origins: vec!["https://ops.example".into()],
            ..Default::default()
        },
        ctx,
    )
    .unwrap()
}

/// Status line of a raw request with these headers.
fn status(h: &ApiHandle, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(h.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let code = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

const WS: [(&str, &str); 4] = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
];

fn ws_with(h: &ApiHandle, host: &str, origin: Option<&str>) -> (u16, String) {
    let mut hs: Vec<(&str, &str)> = vec![("Host", host)];
    if let Some(o) = origin {
        hs.push(("Origin", o));
    }
    let mut s = TcpStream::connect(h.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = "GET /ws HTTP/1.1\r\n".to_string();
    for (k, v) in hs.iter().chain(WS.iter()) {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    let code = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

#[test]
fn a_foreign_host_is_refused() {
    let h = start(vec!["cassandra.lan".into()]);
    let port = h.addr.port().to_string();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "cassandra.lan".to_string(),
        "10.0.0.7:8000".to_string(),
    ] {
        assert_eq!(status(&h, "/health", &[("Host", &host)]).0, 200, "{host}");
    }
    for host in [
        format!("evil.example:{port}"),
        "rebind.attacker.test".into(),
    ] {
        let (code, text) = status(&h, "/health", &[("Host", &host)]);
        assert_eq!(code, 403, "{host}: {text}");
        assert!(text.contains("allowed_hosts"), "{text}");
    }
}

#[test]
fn ws_refuses_foreign_origins() {
    let h = start(vec![]);
    let host = format!("127.0.0.1:{}", h.addr.port());
    // Scripts (no Origin), pages on this machine, the dashboard itself, configured origins.
    for origin in [
        None,
        Some("http://localhost:3000"),
        Some("http://127.0.0.1:8000"),
        Some(&*format!("http://{host}")),
        Some("https://ops.example"),
    ] {
        let (code, text) = ws_with(&h, &host, origin);
        assert_eq!(code, 101, "{origin:?}: {text}");
    }
    for origin in [
        "http://evil.example",
        "null",
        "https://ops.example.evil.test",
    ] {
        let (code, text) = ws_with(&h, &host, Some(origin));
        assert_eq!(code, 403, "{origin}: {text}");
        assert!(text.contains("is not allowed"), "{text}");
    }
    // The rest of the API too.
    let (code, _) = status(
        &h,
        "/api/paper-trading/account",
        &[("Host", &host), ("Origin", "http://evil.example")],
    );
    assert_eq!(code, 403);
}

#[test]
fn ws_max_clients_holds_when_upgrades_race() {
    let cfg = Config::default();
    let ctx = ApiContext::new(
        &cfg,
        Arc::new(Shared::new(Mode::Paper)),
        Arc::new(Mutex::new(ControlState::default())),
        cassandra::pipeline::cores::CorePlan::compute(&[0, 1], &Default::default()),
        None,
    )
    .unwrap();
    let h = api::spawn(
        ApiConfig {
            bind: "127.0.0.1:0".into(),
            ws_max_clients: 2,
            ..Default::default()
        },
        ctx,
    )
    .unwrap();
    let host = format!("127.0.0.1:{}", h.addr.port());
    // Twenty upgrade requests written at once, before any is answered.
    let mut socks: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(h.addr).unwrap())
        .collect();
    let mut req = format!("GET /ws HTTP/1.1\r\nHost: {host}\r\n");
    for (k, v) in WS {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    for s in socks.iter_mut() {
        s.write_all(req.as_bytes()).unwrap();
    }
    let mut upgraded = 0;
    for s in socks.iter_mut() {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).unwrap();
        match &buf[9..12] {
            b"101" => upgraded += 1,
            b"503" => {}
            other => panic!("unexpected {}", String::from_utf8_lossy(other)),
        }
    }
    assert_eq!(upgraded, 2, "ws_max_clients = 2");
}
