//! Shared helpers for the journal tests: unique temp paths and event builders.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use cassandra::journal::{ExecRecord, JournalEvent, OrderRecord, SettlementRecord};
use cassandra::pipeline::events::{AssetId, ExecReport, ExecStatus, OrderIntent, Outcome, TokenId};
use cassandra::pipeline::shared::Mode;
use cassandra::signal::{AccountSnapshot, Settlement};

static N: AtomicU64 = AtomicU64::new(0);

/// A fresh folder under the system temp dir, unique per test and process.
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "cassandra-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub const W: u64 = 1_767_225_600;
pub const T0_MS: u64 = W * 1000;

pub fn token_id(slot: u16) -> String {
    format!("71321045679252212594626385532706912750332728571942532289631379312455583992{slot:03}")
}

pub fn order(id: u64, asset: u8, slot: u16, outcome: Outcome, window: u64) -> JournalEvent {
    JournalEvent::Order(Box::new(OrderRecord {
        wall_ms: T0_MS + id,
        intent: OrderIntent {
            intent_id: id,
            asset: AssetId(asset),
            token: TokenId(slot),
            outcome,
            limit_price_e4: 5200,
            size_e6: 10_000_000,
            window_start_s: window,
            ..Default::default()
        },
        asset: ["BTC", "ETH", "SOL", "XRP"][asset as usize].to_string(),
        token_id: token_id(slot),
        mode: Mode::Paper,
        order_json: None,
    }))
}

pub fn report(
    id: u64,
    asset: u8,
    slot: u16,
    outcome: Outcome,
    window: u64,
    cost_e6: u64,
    received_e6: u64,
) -> ExecReport {
    ExecReport {
        intent_id: id,
        asset: AssetId(asset),
        token: TokenId(slot),
        outcome,
        status: ExecStatus::Matched,
        filled_e6: received_e6 + 150_000,
        received_e6,
        cost_e6,
        fee_e6: 80_000,
        window_start_s: window,
        ..Default::default()
    }
}

pub fn exec(r: &ExecReport) -> JournalEvent {
    JournalEvent::Exec(ExecRecord {
        wall_ms: T0_MS + r.intent_id,
        report: *r,
        asset: ["BTC", "ETH", "SOL", "XRP"][r.asset.0 as usize].to_string(),
        token_id: token_id(r.token.0),
    })
}

pub fn settled(s: &Settlement, wall_ms: u64) -> JournalEvent {
    JournalEvent::Settlement(SettlementRecord {
        wall_ms,
        settlement: *s,
        asset: ["BTC", "ETH", "SOL", "XRP"][s.asset.0 as usize].to_string(),
    })
}

pub fn account(a: AccountSnapshot) -> JournalEvent {
    JournalEvent::Account(a)
}
