//! With the API's port taken, `demo` ends at once with an error that names the port, instead
//! of hanging (shutdown used to join the whale poller, which only stops with the pipeline).

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cassandra::demo::Demo;
use support::fast_demo_config;

const BIN: &str = env!("CARGO_BIN_EXE_cassandra");

#[test]
fn demo_start_fails_fast_when_the_api_port_is_taken() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cfg = fast_demo_config(30);
    cfg.whales.enabled = true;
    cfg.api.enabled = true;
    cfg.api.bind = busy.local_addr().unwrap().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = Demo::start(cfg).map(|d| d.stop());
        let _ = tx.send(r.err().map(|e| e.to_string()));
    });
    let err = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("Demo::start hung with the API port taken")
        .expect("Demo::start succeeded on a taken port");
    assert!(err.contains("cannot listen"), "{err}");
}

#[test]
fn demo_command_exits_with_the_reason_when_the_api_port_is_taken() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!(
        "cassandra-port-busy-{}-{}",
        std::process::id(),
        cassandra::clock::mono_ns()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("busy.toml");
    std::fs::write(
        &config,
        format!("[api]\nbind = \"127.0.0.1:{port}\"\n\n[whales]\nenabled = true\n"),
    )
    .unwrap();
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["demo", "--duration", "30", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(25) {
            child.kill().unwrap();
            panic!("demo hung with its API port taken");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
