//! After a restart, positions restored from the journal show in `/api/positions` and in the
//! `/ws` init message (the dashboard's source), not only in the account.

mod journal_common;

use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cassandra::config::{ApiConfig, Config};
use cassandra::control::api::{self, ApiContext};
use cassandra::control::ControlState;
use cassandra::journal::{Journal, JournalWriter};
use cassandra::pipeline::events::Outcome;
use cassandra::pipeline::registry::AssetTable;
use cassandra::pipeline::shared::{Mode, Shared};
use journal_common::*;

#[test]
fn restored_positions_show_in_the_api_and_the_ws_init() {
    let dir = temp_dir("positions");
    let path = dir.join("journal.db");
    let (tx, writer) = JournalWriter::spawn(Journal::open(&path).unwrap()).unwrap();
    let mut paper = cassandra::signal::account::PaperAccount::new(1000.0);
    tx.send(account(paper.snapshot(T0_MS)));
    // ETH DOWN (journaled as asset index 1) and BTC UP.
    for (id, asset, slot, outcome) in [(1, 1u8, 2u16, Outcome::Down), (2, 0, 0, Outcome::Up)] {
        let r = report(id, asset, slot, outcome, W, 5_200_000, 9_850_000);
        tx.send(order(id, asset, slot, outcome, W));
        tx.send(exec(&r));
        paper.apply(&r);
    }
    tx.send(account(paper.snapshot(T0_MS + 1)));
    drop(tx);
    drop(writer.join().unwrap());

    let restored = Journal::open(&path).unwrap().restore(1000.0).unwrap();
    assert_eq!(restored.positions.len(), 2);
    // This run lists ETH first: positions map by name, not by the old index.
    let cfg = Config {
        assets: vec!["ETH".into(), "BTC".into()],
        ..Config::default()
    };
    let assets = AssetTable::from_names(&cfg.assets).unwrap();
    let mut st = ControlState::default();
    st.restore(&restored, &assets);
    let shared = Arc::new(Shared::new(Mode::Paper));
    let ctx = ApiContext::new(
        &cfg,
        shared,
        Arc::new(Mutex::new(st)),
        cassandra::pipeline::cores::CorePlan::compute(&[0, 1], &Default::default()),
        None,
    )
    .unwrap();
    let h = api::spawn(
        ApiConfig {
            bind: "127.0.0.1:0".into(),
            ..Default::default()
        },
        ctx,
    )
    .unwrap();

    let check = |positions: &serde_json::Value| {
        let mut got: Vec<(String, String, f64, f64)> = positions
            .as_array()
            .expect("positions array")
            .iter()
            .map(|p| {
                (
                    p["asset"].as_str().unwrap().to_string(),
                    p["outcome"].as_str().unwrap().to_string(),
                    p["tokens"].as_f64().unwrap(),
                    p["cost"].as_f64().unwrap(),
                )
            })
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            vec![
                ("BTC".into(), "up".into(), 9.85, 5.2),
                ("ETH".into(), "down".into(), 9.85, 5.2)
            ],
            "{positions}"
        );
    };
    let v: serde_json::Value = reqwest::blocking::get(format!("{}/api/positions", h.url()))
        .unwrap()
        .json()
        .unwrap();
    check(&v["positions"]);

    let stream = TcpStream::connect(h.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (mut ws, _) =
        tungstenite::client(format!("ws://{}/ws", h.addr), stream).expect("ws handshake");
    let tungstenite::Message::Text(text) = ws.read().unwrap() else {
        panic!("init is text");
    };
    let init: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
    assert_eq!(init["type"], "init");
    check(&init["data"]["positions"]);
    assert_eq!(init["data"]["account"]["open_positions"], 2, "{init}");
}
