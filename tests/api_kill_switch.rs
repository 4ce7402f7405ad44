//! The kill switch set through the API is on disk before the API answers 200, with its
//! reason (control characters, which would forge log lines, replaced); when the journal
//! cannot take it the API says so (503) and the switch still holds in the process.

mod journal_common;

use std::sync::{Arc, Mutex};

use cassandra::config::{ApiConfig, Config};
use cassandra::control::api::{self, ApiContext, ApiHandle, ApiKey};
use cassandra::control::ControlState;
use cassandra::journal::{DurableTx, Journal, JournalWriter};
use cassandra::pipeline::shared::{Mode, Shared};
use journal_common::temp_dir;

const KEY: &str = "correct horse battery staple";

fn api(journal: Option<DurableTx>) -> (ApiHandle, Arc<Shared>, Arc<Mutex<ControlState>>) {
    let cfg = Config::default();
    let shared = Arc::new(Shared::new(Mode::Paper));
    let state = Arc::new(Mutex::new(ControlState::default()));
    let mut ctx = ApiContext::new(
        &cfg,
        shared.clone(),
        state.clone(),
        cassandra::pipeline::cores::CorePlan::compute(&[0, 1], &Default::default()),
        ApiKey::new(KEY),
    )
    .unwrap();
    ctx.journal = journal;
    let h = api::spawn(
        ApiConfig {
            bind: "127.0.0.1:0".into(),
            ..Default::default()
        },
        ctx,
    )
    .unwrap();
    (h, shared, state)
}

fn kill(h: &ApiHandle, body: &str) -> (u16, serde_json::Value) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/live-trading/kill-switch", h.url()))
        .header("X-API-Key", KEY)
        .body(body.to_string())
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or_default())
}

#[test]
fn the_kill_switch_is_journaled_with_its_reason_before_the_200() {
    let dir = temp_dir("kill-durable");
    let path = dir.join("journal.db");
    let (tx, _writer) = JournalWriter::spawn(Journal::open(&path).unwrap()).unwrap();
    let (h, shared, state) = api(Some(tx.durable()));
    let (s, v) = kill(
        &h,
        r#"{"active":true,"reason":"maintenance\n2026-12-05T06:00:00Z INFO forged line\r"}"#,
    );
    assert_eq!(s, 200, "{v}");
    assert!(shared.killed());
    // Read right after the answer, with nothing else running: it is there.
    let (active, reason): (bool, String) = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT active, reason FROM control_actions WHERE action = 'kill_switch'
             ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the kill switch must be journaled before the 200");
    assert!(active);
    assert_eq!(reason, "maintenance 2026-12-05T06:00:00Z INFO forged line");
    assert!(!reason.contains('\n'));
    assert_eq!(v["reason"], reason.as_str());
    // The control loop journals the change with the same reason.
    assert_eq!(
        state
            .lock()
            .unwrap()
            .kill_reason
            .as_ref()
            .map(|r| r.0.clone()),
        Some(reason.clone())
    );
    // A restart gets it back.
    drop(tx);
    let r = Journal::open_read_only(&path)
        .unwrap()
        .restore(1000.0)
        .unwrap();
    assert!(r.kill_switch.active);
    assert_eq!(r.kill_switch.reason, reason);
}

#[test]
fn a_kill_switch_the_journal_cannot_take_is_not_acknowledged() {
    let dir = temp_dir("kill-lost");
    let path = dir.join("journal.db");
    let (tx, writer) = JournalWriter::spawn(Journal::open(&path).unwrap()).unwrap();
    let durable = tx.durable();
    drop(tx);
    writer.join().unwrap(); // the writer has stopped
    let (h, shared, _) = api(Some(durable));
    let (s, v) = kill(&h, r#"{"active":true,"reason":"stop"}"#);
    assert_eq!(s, 503, "{v}");
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("not journaled"), "{msg}");
    assert!(shared.killed(), "the switch still holds in this process");
}
