//! Feed faults end to end: `cassandra run` (paper) against `cassandra sim` in another process,
//! the faults set by `sim`'s flags and then by `POST /sim/faults`, everything measured from
//! outside (`/metrics`, `GET /sim/stats`, the exit status and stderr).
//!
//! One run, four phases:
//! 1. a reconnect storm: every connection dropped every 1.5 s and malformed frames every
//!    0.7 s (`--fault-drop-every-ms`, `--fault-malformed-every-ms`): one reconnect per drop,
//!    the malformed frames counted as parse errors, the ingest threads never stalled;
//! 2. a Binance server that closes every connection right after the handshake, and every HTTP
//!    request answered 503 (Gamma, CLOB; through phase 3): attempts stay within Binance's
//!    limit (300 connections per 5 min per IP, so at most one a second), Polymarket flows;
//! 3. a Polymarket server whose handshake never comes in time: each attempt is cut at the
//!    client's 5 s connect timeout, which bounds how long `poly-ingest` is held (a known
//!    limit, RELIABILITY.md), and `binance-ingest` is not held at all;
//! 4. faults cleared: both feeds flow again within seconds and orders resume; the process
//!    exits 0 on Ctrl-C, no panic.

mod fault_common;
use fault_common::*;

use std::time::{Duration, Instant};

/// What one `/metrics` poll saw.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    binance_frames: f64,
    poly_frames: f64,
    binance_reconnects: f64,
    poly_reconnects: f64,
    parse_errors: f64,
    binance_beat_max: f64,
    poly_beat_max: f64,
}

/// Poll `/metrics` every 100 ms for `d`: the last counters and the largest heartbeat ages.
fn watch(api: &str, d: Duration) -> Seen {
    let end = Instant::now() + d;
    let mut s = Seen::default();
    while Instant::now() < end {
        if let Some(m) = get_text(&format!("{api}/metrics")) {
            let beat = |t: &str| {
                metric_max(
                    &m,
                    "cassandra_thread_heartbeat_age_seconds",
                    &format!("thread=\"{t}\""),
                )
            };
            s.binance_beat_max = s.binance_beat_max.max(beat("binance-ingest"));
            s.poly_beat_max = s.poly_beat_max.max(beat("poly-ingest"));
            s.binance_frames = metric(&m, "cassandra_feed_frames_total", "feed=\"binance\"");
            s.poly_frames = metric(&m, "cassandra_feed_frames_total", "feed=\"polymarket\"");
            s.binance_reconnects =
                metric(&m, "cassandra_feed_reconnects_total", "feed=\"binance\"");
            s.poly_reconnects =
                metric(&m, "cassandra_feed_reconnects_total", "feed=\"polymarket\"");
            s.parse_errors = metric(&m, "cassandra_feed_parse_errors_total", "");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    s
}

fn feed(stats: &serde_json::Value, feed: &str, key: &str) -> u64 {
    stats[feed][key]
        .as_u64()
        .unwrap_or_else(|| panic!("{feed}.{key} in {stats}"))
}

#[test]
fn feeds_survive_storms_flapping_servers_and_slow_handshakes() {
    let dir = temp_dir("feeds");
    let sim = SimProc::start(
        &dir,
        [0; 4],
        &[
            "--fault-drop-every-ms",
            "1500",
            "--fault-malformed-every-ms",
            "700",
            "--fault-feeds",
            "binance,poly",
        ],
    );
    let cfg = run_config(&dir, &sim, "", "");
    let (mut run, api) = start_run(&cfg, 60.0, None);
    let names = get_text(&format!("{api}/metrics")).unwrap();
    assert!(names.contains("feed=\"polymarket\""), "feed label: {names}");

    // 1. Reconnect storm.
    assert!(
        wait_for(Duration::from_secs(15), || {
            let m = get_text(&format!("{api}/metrics")).unwrap_or_default();
            metric(&m, "cassandra_feed_frames_total", "feed=\"binance\"") > 0.0
                && metric(&m, "cassandra_feed_frames_total", "feed=\"polymarket\"") > 0.0
        }),
        "feeds never flowed:\n{}",
        run.stderr()
    );
    let s0 = sim.stats();
    let a = watch(&api, Duration::from_secs(9));
    let s1 = sim.stats();
    let drops = s1["scheduled_drops"].as_u64().unwrap() - s0["scheduled_drops"].as_u64().unwrap();
    let accepted = feed(&s1, "binance", "accepted") - feed(&s0, "binance", "accepted");
    let dropped =
        feed(&s1, "binance", "dropped_by_fault") - feed(&s0, "binance", "dropped_by_fault");
    eprintln!("phase 1: {drops} scheduled drops, binance {accepted} connections for {dropped} dropped, {a:?}");
    assert!(drops >= 8, "{drops} drops fired");
    assert!(dropped >= 4, "{dropped} binance connections dropped");
    // One connection per drop (plus the one open when the phase began), no storm.
    assert!(
        accepted <= dropped + 2,
        "{accepted} connections for {dropped} drops"
    );
    assert!(
        a.binance_reconnects >= 4.0 && a.poly_reconnects >= 4.0,
        "{a:?}"
    );
    assert!(a.parse_errors >= 4.0, "malformed frames counted: {a:?}");
    assert!(
        a.binance_beat_max < 1.0 && a.poly_beat_max < 1.0,
        "an ingest thread stalled during the storm: {a:?}"
    );

    // 2. Binance closes right after every handshake; every HTTP request gets 503.
    //    (The open connection is dropped once to start it.)
    sim.set_faults(
        r#"{"feeds":["binance"],"close_after_handshake":true,"drop_every_ms":1000,"http_status":503}"#,
    );
    let s1 = sim.stats();
    let t = Instant::now();
    let b = watch(&api, Duration::from_secs(8));
    // The API's candles come from Binance REST on the simulator: through a 503 the live
    // candles alone are served, saying why (and the simulator counts a faulted request
    // whatever discovery did meanwhile).
    let candles = get_json(&format!("{api}/api/candles/BTC")).expect("candles answer");
    assert!(
        candles["rest_error"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "candles through a 503: {candles}"
    );
    let s2 = sim.stats();
    let secs = t.elapsed().as_secs_f64();
    let attempts = feed(&s2, "binance", "accepted") - feed(&s1, "binance", "accepted");
    let closed = feed(&s2, "binance", "closed_after_handshake");
    eprintln!("phase 2: {attempts} binance attempts in {secs:.1} s, {closed} closed after the handshake, {b:?}");
    assert!(closed >= 3, "{closed} closed after the handshake");
    assert!(
        (attempts as f64) <= secs,
        "{attempts} connection attempts in {secs:.1} s: over Binance's 300 per 5 minutes"
    );
    assert!(b.poly_frames > a.poly_frames, "Polymarket stopped: {b:?}");
    assert!(b.binance_beat_max < 1.0 && b.poly_beat_max < 1.0, "{b:?}");

    // 3. Polymarket's handshake answer comes after the client's connect timeout (5 s).
    //    Every HTTP request still gets 503.
    sim.set_faults(
        r#"{"feeds":["poly"],"handshake_delay_ms":8000,"drop_every_ms":500,"http_status":503}"#,
    );
    let s2 = sim.stats();
    let c = watch(&api, Duration::from_secs(9));
    let s3 = sim.stats();
    let slow = feed(&s3, "poly", "slow_handshakes") - feed(&s2, "poly", "slow_handshakes");
    let faulted = s3["http_faulted"].as_u64().unwrap() - s1["http_faulted"].as_u64().unwrap();
    eprintln!("phase 3: {slow} slow handshakes, {faulted} HTTP requests answered 503 in phases 2-3, {c:?}");
    assert!(faulted >= 1, "no HTTP request was faulted");
    assert!(slow >= 1, "no slow handshake was tried");
    assert!(
        c.poly_beat_max < 6.5,
        "poly-ingest held past the connect timeout: {c:?}"
    );
    assert!(c.binance_beat_max < 1.0, "binance-ingest held: {c:?}");
    assert!(
        c.binance_frames > b.binance_frames,
        "Binance did not recover: {c:?}"
    );

    // 4. Faults cleared: both feeds flow again, and trading goes on (discovery answered).
    sim.set_faults("{}");
    let before = watch(&api, Duration::from_millis(200));
    let orders = metric(
        &get_text(&format!("{api}/metrics")).unwrap(),
        "cassandra_orders_total",
        "",
    );
    assert!(
        wait_for(Duration::from_secs(15), || {
            let m = get_text(&format!("{api}/metrics")).unwrap_or_default();
            metric(&m, "cassandra_feed_frames_total", "feed=\"polymarket\"")
                > before.poly_frames + 10.0
                && metric(&m, "cassandra_feed_frames_total", "feed=\"binance\"")
                    > before.binance_frames + 10.0
        }),
        "feeds did not recover:\n{}",
        run.stderr()
    );
    assert!(
        wait_for(Duration::from_secs(30), || metric(
            &get_text(&format!("{api}/metrics")).unwrap_or_default(),
            "cassandra_orders_total",
            ""
        ) > orders),
        "no order after the faults cleared:\n{}\n{}",
        get_text(&format!("{api}/health")).unwrap_or_default(),
        run.stderr()
    );
    let fin = sim.stats();
    eprintln!("final simulator stats: {fin}");
    assert!(run.alive(), "run died:\n{}", run.stderr());
    run.interrupt();
    assert!(
        run.wait_exit(Duration::from_secs(20)),
        "run did not exit cleanly:\n{}\n{}",
        run.stdout(),
        run.stderr()
    );
    assert_no_panic(&run);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `[demo.faults]` reaches the simulator of a demo: malformed frames every 300 ms on every
/// feed (the Chainlink socket included) are counted as parse errors, the demo runs on.
#[test]
fn demo_faults_from_the_configuration_reach_its_simulator() {
    let dir = temp_dir("demo-faults");
    let cfg = dir.join("demo.toml");
    std::fs::write(
        &cfg,
        "assets = [\"BTC\"]\n[api]\nenabled = false\n[whales]\nenabled = false\n\
         [demo]\nwindow_s = 20\nsim_alerts = false\n\
         [demo.faults]\nmalformed_every_ms = 300\n",
    )
    .unwrap();
    let summary = dir.join("summary.json");
    let out = std::process::Command::new(BIN)
        .args(["demo", "--duration", "5", "--config"])
        .arg(&cfg)
        .arg("--summary")
        .arg(&summary)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let c = &s["counters"];
    assert!(c["binance_frames"].as_u64().unwrap() > 0, "{c}");
    // Two malformed frames per injection per feed: a truncated one and an unknown kind (the
    // latter is well-formed JSON, ignored, not an error).
    assert!(c["parse_errors"].as_u64().unwrap() >= 6, "{c}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fault plan naming a feed that does not exist is refused at start, by `sim` and by the
/// configuration, with the key and the feeds there are.
#[test]
fn a_bad_fault_plan_is_a_clear_start_error() {
    let out = std::process::Command::new(BIN)
        .args(["sim", "--binance-port", "0", "--poly-port", "0"])
        .args(["--chainlink-port", "0", "--http-port", "0"])
        .args(["--fault-feeds", "kraken", "--fault-drop-every-ms", "100"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("faults.feeds")
            && err.contains("kraken")
            && err.contains("binance, poly, chainlink"),
        "{err}"
    );
    let dir = temp_dir("bad-plan");
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[demo.faults]\nhttp_status = 42\n").unwrap();
    let out = std::process::Command::new(BIN)
        .args(["demo", "--duration", "1", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("demo.faults.http_status = 42"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
