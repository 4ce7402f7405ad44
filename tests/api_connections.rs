//! The API holds at most `api.max_connections` connections and closes one that stays silent
//! past `api.idle_timeout_ms`: idle clients cannot exhaust the process's descriptors, and a
//! real client gets served once they are gone.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cassandra::config::{ApiConfig, Config};
use cassandra::control::api::{self, ApiContext, ApiHandle};
use cassandra::control::ControlState;
use cassandra::pipeline::shared::{Mode, Shared};

fn start(max: usize, idle_ms: u64) -> ApiHandle {
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
            max_connections: max,
            ws_max_clients: 1,
            idle_timeout_ms: idle_ms,
            ..Default::default()
        },
        ctx,
    )
    .unwrap()
}

fn health(h: &ApiHandle) -> serde_json::Value {
    let mut s = TcpStream::connect(h.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let body = out.split("\r\n\r\n").nth(1).expect("a body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn idle_connections_are_capped_and_closed() {
    let h = start(4, 400);
    // Twenty clients that connect and say nothing.
    let mut idle: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(h.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let open = h
        .connections()
        .open
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(open <= 4, "{open} connections held, the cap is 4");
    // The server closes the idle ones: each sees the end of its stream.
    let t0 = Instant::now();
    for s in idle.iter_mut().take(4) {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut b = [0u8; 16];
        let n = s.read(&mut b).unwrap_or(0);
        assert_eq!(n, 0, "an idle connection must be closed by the server");
    }
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    drop(idle);
    // A real client is served, and /health reports the connections.
    let v = health(&h);
    assert_eq!(v["connections"]["max"], 4, "{v}");
    assert!(
        v["connections"]["idle_closed"].as_u64().unwrap() >= 4,
        "{v}"
    );
}

#[test]
fn a_connection_cap_at_or_below_ws_max_clients_is_a_config_error() {
    let bad = ApiConfig {
        max_connections: 32,
        ws_max_clients: 32,
        ..Default::default()
    };
    let p = bad.problems().join("\n");
    assert!(p.contains("api.ws_max_clients = 32"), "{p}");
    let bad = ApiConfig {
        idle_timeout_ms: 0,
        max_connections: 0,
        ..Default::default()
    };
    let p = bad.problems().join("\n");
    assert!(p.contains("api.max_connections = 0: 1 to 65536"), "{p}");
    assert!(p.contains("api.idle_timeout_ms = 0: 100 to 3600000"), "{p}");
}
