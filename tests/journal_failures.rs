//! A journal that cannot be written is refused at start with a clear error, and one that
//! starts failing later shows in `/health` and `/metrics`, raises a critical alert, and halts
//! trading (the kill switch, with the reason) in `live` mode.

mod journal_common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cassandra::control::{watch_journal, ControlState};
use cassandra::journal::{Journal, JournalError, JournalWriter, WriterConfig};
use cassandra::pipeline::shared::{Mode, Shared};
use journal_common::*;

#[test]
fn a_read_only_journal_is_refused_at_start_and_left_untouched() {
    let dir = temp_dir("ro");
    let path = dir.join("journal.db");
    drop(Journal::open(&path).unwrap());
    let before = std::fs::read(&path).unwrap();
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&path, perm).unwrap();

    let e = Journal::open(&path)
        .err()
        .expect("a read-only journal must be refused");
    assert!(matches!(e, JournalError::ReadOnly { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(path.to_str().unwrap()), "{msg}");
    assert!(msg.contains("not writable"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // The whole start stops on it, before anything runs.
    let mut cfg = cassandra::config::Config::default();
    cfg.journal.path = path.display().to_string();
    let err = cassandra::runtime::Pipeline::start(&cfg, Default::default())
        .err()
        .expect("start must fail");
    assert!(format!("{err:#}").contains("not writable"), "{err:#}");
}

/// A journal whose writes fail from now on: its `responses` table is gone.
fn failing_writer(tag: &str, shared: &Shared) -> cassandra::journal::JournalTx {
    let dir = temp_dir(tag);
    let path = dir.join("journal.db");
    let j = Journal::open(&path).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE responses;")
        .unwrap();
    let wc = WriterConfig {
        flush_every: Duration::from_millis(5),
        ..Default::default()
    };
    let (tx, rx) = JournalWriter::channel_with(wc.capacity, shared.counters.journal.clone());
    JournalWriter::start(j, rx, wc).unwrap();
    tx
}

fn wait_failed(shared: &Shared) {
    let t0 = std::time::Instant::now();
    while shared
        .counters
        .journal
        .failed_batches
        .load(Ordering::SeqCst)
        == 0
    {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the write never failed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_failing_journal_halts_live_trading_with_the_reason() {
    let shared = Shared::new(Mode::Live);
    let state = Mutex::new(ControlState::default());
    let mut seen = 0;
    watch_journal(&shared, &state, &mut seen);
    assert!(!shared.killed(), "nothing failed yet");
    let tx = failing_writer("live-fail", &shared);
    tx.send(exec(&report(
        1,
        0,
        0,
        cassandra::pipeline::events::Outcome::Up,
        W,
        1,
        1,
    )));
    wait_failed(&shared);
    watch_journal(&shared, &state, &mut seen);
    assert!(shared.killed(), "live trading must stop");
    let st = state.lock().unwrap();
    let (reason, _) = st.kill_reason.clone().expect("a reason");
    assert!(reason.contains("journal write failed"), "{reason}");
    assert!(reason.contains("responses"), "the SQLite error: {reason}");
    assert!(st
        .alerts
        .iter()
        .any(|a| a.kind == "journal" && a.level == "critical"));
}

#[test]
fn a_failing_journal_in_paper_alerts_without_halting() {
    let shared = Shared::new(Mode::Paper);
    let state = Mutex::new(ControlState::default());
    let mut seen = 0;
    let tx = failing_writer("paper-fail", &shared);
    tx.send(exec(&report(
        1,
        0,
        0,
        cassandra::pipeline::events::Outcome::Up,
        W,
        1,
        1,
    )));
    wait_failed(&shared);
    watch_journal(&shared, &state, &mut seen);
    assert!(!shared.killed());
    assert!(state
        .lock()
        .unwrap()
        .alerts
        .iter()
        .any(|a| a.kind == "journal"));
}

#[test]
fn health_and_metrics_show_a_failing_journal() {
    use cassandra::control::api::{self, ApiContext};
    let shared = Arc::new(Shared::new(Mode::Paper));
    let cfg = cassandra::config::Config::default();
    let ctx = ApiContext::new(
        &cfg,
        shared.clone(),
        Arc::new(Mutex::new(ControlState::default())),
        cassandra::pipeline::cores::CorePlan::compute(&[0, 1], &Default::default()),
        None,
    )
    .unwrap();
    let h = api::spawn(
        cassandra::config::ApiConfig {
            bind: "127.0.0.1:0".into(),
            ..Default::default()
        },
        ctx,
    )
    .unwrap();
    let health = || -> serde_json::Value {
        reqwest::blocking::get(format!("{}/health", h.url()))
            .unwrap()
            .json()
            .unwrap()
    };
    assert_eq!(health()["journal"]["enabled"], false);
    let tx = failing_writer("health-fail", &shared);
    assert_eq!(health()["journal"]["ok"], true);
    tx.send(exec(&report(
        1,
        0,
        0,
        cassandra::pipeline::events::Outcome::Up,
        W,
        1,
        1,
    )));
    wait_failed(&shared);
    let v = health();
    assert_eq!(v["journal"]["ok"], false, "{v}");
    assert_eq!(v["journal"]["failed_batches"], 1, "{v}");
    assert!(
        v["journal"]["last_error"]
            .as_str()
            .unwrap()
            .contains("responses"),
        "{v}"
    );
    let m = reqwest::blocking::get(format!("{}/metrics", h.url()))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        m.contains("cassandra_journal_failed_batches_total 1"),
        "{m}"
    );
    assert!(m.contains("cassandra_journal_enabled 1"), "{m}");
}
