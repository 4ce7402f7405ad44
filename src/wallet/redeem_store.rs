//! The redemption state file: one SQLite row per watched condition, with its state
//! (`watching`, `sending`, `sent`, `done`, `lost`, `nothing`, `blocked`), the nonce written before a
//! send, the transaction, and the amounts reserved. Written with `synchronous=FULL`: a state
//! written before a step that reaches the chain survives a crash.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::redeem::RedeemTarget;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub target: RedeemTarget,
    pub state: String,
    pub nonce: Option<u128>,
    pub tx: Option<String>,
    pub winning_token: Option<String>,
    pub shares: u64,
    pub usdc: u64,
    pub updated_ms: i64,
}

/// The redemption state, one row per condition.
pub struct RedeemStore {
    conn: Connection,
}

impl RedeemStore {
    /// Opens (creating) the store at `path`; `":memory:"` keeps nothing across restarts.
    pub fn open(path: &Path) -> rusqlite::Result<RedeemStore> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS redemptions(
               condition_id TEXT PRIMARY KEY, up_token TEXT NOT NULL, down_token TEXT NOT NULL,
               end_s INTEGER NOT NULL, state TEXT NOT NULL, nonce TEXT, tx TEXT,
               winning_token TEXT, shares INTEGER NOT NULL DEFAULT 0,
               usdc INTEGER NOT NULL DEFAULT 0, detail TEXT, updated_ms INTEGER NOT NULL);",
        )?;
        Ok(RedeemStore { conn })
    }

    /// Adds a condition to watch (no-op if known).
    pub fn watch(&self, t: &RedeemTarget) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO redemptions(condition_id, up_token, down_token, end_s, state, updated_ms)
             VALUES (?1, ?2, ?3, ?4, 'watching', ?5)",
            params![t.condition_id, t.up_token, t.down_token, t.end_s as i64, now_ms()],
        )?;
        Ok(())
    }

    pub(crate) fn open_rows(&self) -> rusqlite::Result<Vec<Row>> {
        let mut st = self.conn.prepare(
            "SELECT condition_id, up_token, down_token, end_s, state, nonce, tx, winning_token,
                    shares, usdc, updated_ms FROM redemptions
             WHERE state IN ('watching','sending','sent') ORDER BY end_s",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Row {
                target: RedeemTarget {
                    condition_id: r.get(0)?,
                    up_token: r.get(1)?,
                    down_token: r.get(2)?,
                    end_s: r.get::<_, i64>(3)? as u64,
                },
                state: r.get(4)?,
                nonce: r.get::<_, Option<String>>(5)?.and_then(|n| n.parse().ok()),
                tx: r.get(6)?,
                winning_token: r.get(7)?,
                shares: r.get::<_, i64>(8)? as u64,
                usdc: r.get::<_, i64>(9)? as u64,
                updated_ms: r.get(10)?,
            })
        })?;
        rows.collect()
    }

    pub(crate) fn set(&self, cid: &str, state: &str, detail: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE redemptions SET state = ?2, detail = ?3, updated_ms = ?4 WHERE condition_id = ?1",
            params![cid, state, detail, now_ms()],
        )?;
        Ok(())
    }

    pub(crate) fn reserve(
        &self,
        cid: &str,
        nonce: u128,
        token: &str,
        shares: u64,
        usdc: u64,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE redemptions SET state = 'sending', nonce = ?2, tx = NULL, winning_token = ?3,
                    shares = ?4, usdc = ?5, updated_ms = ?6 WHERE condition_id = ?1",
            params![
                cid,
                nonce.to_string(),
                token,
                shares as i64,
                usdc as i64,
                now_ms()
            ],
        )?;
        Ok(())
    }

    pub(crate) fn sent(&self, cid: &str, tx: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE redemptions SET state = 'sent', tx = ?2, updated_ms = ?3 WHERE condition_id = ?1",
            params![cid, tx, now_ms()],
        )?;
        Ok(())
    }

    /// `true` when this call made the transition (so its event is emitted once).
    pub(crate) fn done(&self, cid: &str) -> rusqlite::Result<bool> {
        Ok(self.conn.execute(
            "UPDATE redemptions SET state = 'done', updated_ms = ?2
             WHERE condition_id = ?1 AND state != 'done'",
            params![cid, now_ms()],
        )? == 1)
    }

    /// A watched condition resolved with only losing tokens held: `true` when this call made
    /// the transition (so its event is emitted once, across restarts too).
    pub(crate) fn lost(&self, cid: &str) -> rusqlite::Result<bool> {
        Ok(self.conn.execute(
            "UPDATE redemptions SET state = 'lost', detail = 'resolved; only losing tokens held',
                    updated_ms = ?2 WHERE condition_id = ?1 AND state = 'watching'",
            params![cid, now_ms()],
        )? == 1)
    }

    /// The state of a condition (tests, the API).
    pub fn state_of(&self, cid: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT state FROM redemptions WHERE condition_id = ?1",
                [cid],
                |r| r.get(0),
            )
            .optional()
    }

    /// Redeemed conditions and their payouts (pUSD 1e-6), oldest first.
    pub fn redeemed(&self) -> rusqlite::Result<Vec<(String, u64)>> {
        let mut st = self.conn.prepare(
            "SELECT condition_id, usdc FROM redemptions WHERE state = 'done' ORDER BY updated_ms",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        rows.collect()
    }
}

pub(crate) fn now_ms() -> i64 {
    crate::clock::wall_ms() as i64
}

impl RedeemStore {
    /// The amounts reserved for a condition: `(shares, pUSD, winning token)`.
    pub(crate) fn amounts(&self, cid: &str) -> Option<(u64, u64, Option<String>)> {
        self.conn
            .query_row(
                "SELECT shares, usdc, winning_token FROM redemptions WHERE condition_id = ?1",
                [cid],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        r.get::<_, i64>(1)? as u64,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .ok()
    }
}
