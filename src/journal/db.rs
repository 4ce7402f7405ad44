//! The journal database: open (with every start-up check), insert, restore, read back.
//!
//! Opening never destroys anything: a file that is not SQLite, a newer schema or another
//! program's database is an error naming the path, before any write; a second writer (another
//! process holding the lock file beside the database, or an open write transaction) is an
//! error saying it is locked.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, Transaction};
use serde::Serialize;

use crate::pipeline::events::{ExecStatus, OrderType, Outcome, Side, TokenId};

use super::error::JournalError;
use super::record::{ControlAction, JournalEvent};
use super::schema::{CREATE_V1, MIGRATE_V1_V2, SCHEMA_VERSION, TABLES};

/// How long `open` waits for another writer before calling the database locked.
const OPEN_BUSY: Duration = Duration::from_millis(1000);
/// How long a statement waits on a lock once open (readers on the API side).
const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// An open journal. One writer per database file (enforced by a lock file beside it).
pub struct Journal {
    pub(super) conn: Connection,
    path: PathBuf,
    /// Held for the journal's life: an exclusive `flock` on `<path>.lock`.
    _lock: Option<File>,
}

/// One row of `orders`, for the API.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderRow {
    pub id: i64,
    pub wall_ms: u64,
    pub intent_id: u64,
    pub asset: String,
    pub token_id: String,
    pub outcome: String,
    pub limit_price_e4: u32,
    pub size_e6: u64,
    pub edge_e6: i32,
    pub window_start_s: u64,
    pub mode: String,
    pub order_json: Option<String>,
}

/// One row of `responses`, for the API.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResponseRow {
    pub id: i64,
    pub wall_ms: u64,
    pub intent_id: u64,
    pub asset: String,
    pub token_id: String,
    pub outcome: String,
    pub status: String,
    pub filled_e6: u64,
    pub received_e6: u64,
    pub cost_e6: u64,
    pub fee_e6: u64,
    pub window_start_s: u64,
}

pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Up => "up",
        Outcome::Down => "down",
    }
}

pub fn status_name(s: ExecStatus) -> &'static str {
    match s {
        ExecStatus::Matched => "matched",
        ExecStatus::Delayed => "delayed",
        ExecStatus::Unmatched => "unmatched",
        ExecStatus::Rejected => "rejected",
    }
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn order_type_name(t: OrderType) -> &'static str {
    match t {
        OrderType::Fak => "fak",
        OrderType::Fok => "fok",
    }
}

/// A token id to store: the venue's id, or `slot:N` when the caller had none.
fn token_text(token_id: &str, slot: TokenId) -> String {
    if token_id.is_empty() {
        format!("slot:{}", slot.0)
    } else {
        token_id.to_string()
    }
}

/// SQLite stores NaN as NULL; read it back as NaN.
pub(super) fn real(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

impl Journal {
    /// Open (or create) the journal at `path` for writing: WAL mode, `synchronous=NORMAL`, a
    /// busy timeout, the schema created on first open. Errors name the path and the cause.
    pub fn open(path: impl AsRef<Path>) -> Result<Journal, JournalError> {
        let path = path.as_ref().to_path_buf();
        // A file marked read-only is refused even where the process could write it anyway
        // (root): the operator said it must not change.
        if let Ok(m) = std::fs::metadata(&path) {
            if m.is_file() && m.permissions().readonly() {
                return Err(JournalError::ReadOnly {
                    path,
                    detail: "the file is marked read-only".into(),
                });
            }
        }
        let lock = take_lock_file(&path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags)
            .map_err(|e| JournalError::at_open(&path, e))?;
        let at = |e| JournalError::at_open(&path, e);
        conn.busy_timeout(OPEN_BUSY).map_err(at)?;
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(JournalError::ReadOnly {
                path,
                detail: "SQLite could only open it read-only".into(),
            });
        }
        // First read of the header: a non-database or a locked file fails here, before any write.
        let version = known_version(&conn, &path)?;
        if version == 0 {
            let foreign = foreign_tables(&conn).map_err(at)?;
            if !foreign.is_empty() {
                return Err(JournalError::Foreign {
                    path,
                    tables: foreign.join(", "),
                });
            }
        }
        // Probe for another writer before changing anything.
        conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
            .map_err(at)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(at)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(JournalError::Locked {
                path,
                detail: format!("could not switch to WAL mode (journal_mode is {mode})"),
            });
        }
        conn.execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(at)?;
        let mut conn = conn;
        if version == 0 {
            let tx = conn.transaction().map_err(at)?;
            tx.execute_batch(CREATE_V1).map_err(at)?;
            tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))
                .map_err(at)?;
            tx.commit().map_err(at)?;
        } else if version < SCHEMA_VERSION {
            let tx = conn.transaction().map_err(at)?;
            if version < 2 {
                tx.execute_batch(MIGRATE_V1_V2).map_err(at)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))
                .map_err(at)?;
            tx.commit().map_err(at)?;
        }
        // A real write (the version, unchanged) proves the file, its WAL and its folder take
        // writes now, not at the first order.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        ))
        .map_err(|e| match JournalError::at_open(&path, e) {
            JournalError::Open { path, source } => JournalError::ReadOnly {
                path,
                detail: format!("a test write failed: {source}"),
            },
            other => other,
        })?;
        Self::finish(conn, path, lock)
    }

    fn finish(conn: Connection, path: PathBuf, lock: File) -> Result<Journal, JournalError> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| JournalError::at_open(&path, e))?;
        Ok(Journal {
            conn,
            path,
            _lock: Some(lock),
        })
    }

    /// Open an existing journal read-only (for the API while the writer runs). Same checks on
    /// the file; never creates one.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Journal, JournalError> {
        let path = path.as_ref().to_path_buf();
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags)
            .map_err(|e| JournalError::at_open(&path, e))?;
        let at = |e| JournalError::at_open(&path, e);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(at)?;
        let version = known_version(&conn, &path)?;
        if version == 0 {
            let tables = foreign_tables(&conn).map_err(at)?;
            return Err(JournalError::Foreign {
                path,
                tables: if tables.is_empty() {
                    "none: not a journal yet".into()
                } else {
                    tables.join(", ")
                },
            });
        }
        Ok(Journal {
            conn,
            path,
            _lock: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SQLite journal mode (`wal` once open for writing).
    pub fn journal_mode(&self) -> Result<String, JournalError> {
        Ok(self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?)
    }

    /// Write one event in its own transaction.
    pub fn write(&mut self, ev: &JournalEvent) -> Result<(), JournalError> {
        self.write_batch(std::slice::from_ref(ev))
    }

    /// Write events in one transaction: all or none.
    pub fn write_batch(&mut self, evs: &[JournalEvent]) -> Result<(), JournalError> {
        let tx = self.conn.transaction()?;
        for ev in evs {
            insert(&tx, ev)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` orders, newest first.
    pub fn recent_orders(&self, limit: usize) -> Result<Vec<OrderRow>, JournalError> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, wall_ms, intent_id, asset, token_id, outcome, limit_price_e4, size_e6,
                    edge_e6, window_start_s, mode, order_json
             FROM orders ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit as i64], |r| {
            Ok(OrderRow {
                id: r.get(0)?,
                wall_ms: r.get::<_, i64>(1)? as u64,
                intent_id: r.get::<_, i64>(2)? as u64,
                asset: r.get(3)?,
                token_id: r.get(4)?,
                outcome: r.get(5)?,
                limit_price_e4: r.get(6)?,
                size_e6: r.get::<_, i64>(7)? as u64,
                edge_e6: r.get(8)?,
                window_start_s: r.get::<_, i64>(9)? as u64,
                mode: r.get(10)?,
                order_json: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest `limit` responses that filled something, newest first.
    pub fn recent_fills(&self, limit: usize) -> Result<Vec<ResponseRow>, JournalError> {
        self.responses("WHERE filled_e6 > 0", limit)
    }

    /// The newest `limit` responses of any status (fills, no fills, rejects), newest first.
    pub fn recent_responses(&self, limit: usize) -> Result<Vec<ResponseRow>, JournalError> {
        self.responses("", limit)
    }

    fn responses(&self, filter: &str, limit: usize) -> Result<Vec<ResponseRow>, JournalError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT id, wall_ms, intent_id, asset, token_id, outcome, status, filled_e6,
                    received_e6, cost_e6, fee_e6, window_start_s
             FROM responses {filter} ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = st.query_map([limit as i64], |r| {
            Ok(ResponseRow {
                id: r.get(0)?,
                wall_ms: r.get::<_, i64>(1)? as u64,
                intent_id: r.get::<_, i64>(2)? as u64,
                asset: r.get(3)?,
                token_id: r.get(4)?,
                outcome: r.get(5)?,
                status: r.get(6)?,
                filled_e6: r.get::<_, i64>(7)? as u64,
                received_e6: r.get::<_, i64>(8)? as u64,
                cost_e6: r.get::<_, i64>(9)? as u64,
                fee_e6: r.get::<_, i64>(10)? as u64,
                window_start_s: r.get::<_, i64>(11)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Rows in `table` (one of the journal's tables), for tests and tools.
    pub fn count(&self, table: &str) -> Result<u64, JournalError> {
        if !TABLES.contains(&table) {
            return Err(JournalError::BadValue {
                table: "journal",
                column: "table",
                value: table.to_string(),
            });
        }
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n as u64)
    }
}

fn user_version(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// The file's schema version, refused when it is newer than this build understands.
fn known_version(c: &Connection, path: &Path) -> Result<i64, JournalError> {
    let version = user_version(c).map_err(|e| JournalError::at_open(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Tables present that are not the journal's.
fn foreign_tables(c: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = c.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let names = st.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for n in names {
        let n = n?;
        if !TABLES.contains(&n.as_str()) {
            out.push(n);
        }
    }
    Ok(out)
}

/// An exclusive `flock` on `<path>.lock`, held while the journal is open, so a second
/// process (or a second `Journal` in this one) cannot write the same database. A separate
/// file because SQLite's own POSIX locks on the database are dropped when any descriptor of
/// it closes in this process.
fn take_lock_file(path: &Path) -> Result<File, JournalError> {
    use std::os::unix::io::AsRawFd;
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| JournalError::LockFile {
            path: lock_path.clone(),
            source,
        })?;
    // SAFETY: `f` is an open descriptor for the duration of the call.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        return Err(JournalError::Locked {
            path: path.to_path_buf(),
            detail: format!("{} is held by another process: {err}", lock_path.display()),
        });
    }
    Ok(f)
}

fn insert(tx: &Transaction<'_>, ev: &JournalEvent) -> rusqlite::Result<()> {
    match ev {
        JournalEvent::Order(o) => {
            let i = &o.intent;
            tx.prepare_cached(
                "INSERT INTO orders (wall_ms, intent_id, asset, asset_idx, token_id, token_slot,
                    outcome, side, order_type, limit_price_e4, size_e6, fair_e6, edge_e6,
                    window_start_s, mode, decision_ns, order_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                o.wall_ms as i64,
                i.intent_id as i64,
                o.asset,
                i.asset.0,
                token_text(&o.token_id, i.token),
                i.token.0,
                outcome_name(i.outcome),
                side_name(i.side),
                order_type_name(i.order_type),
                i.limit_price_e4,
                i.size_e6 as i64,
                i.fair_e6,
                i.edge_e6,
                i.window_start_s as i64,
                o.mode.name(),
                i.decision_ns as i64,
                o.order_json,
            ])?;
        }
        JournalEvent::Exec(e) => {
            let r = &e.report;
            tx.prepare_cached(
                "INSERT INTO responses (wall_ms, intent_id, asset, asset_idx, token_id, token_slot,
                    outcome, status, filled_e6, received_e6, cost_e6, fee_e6, window_start_s,
                    decision_ns, done_ns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                e.wall_ms as i64,
                r.intent_id as i64,
                e.asset,
                r.asset.0,
                token_text(&e.token_id, r.token),
                r.token.0,
                outcome_name(r.outcome),
                status_name(r.status),
                r.filled_e6 as i64,
                r.received_e6 as i64,
                r.cost_e6 as i64,
                r.fee_e6 as i64,
                r.window_start_s as i64,
                r.decision_ns as i64,
                r.done_ns as i64,
            ])?;
        }
        JournalEvent::Settlement(s) => {
            let x = &s.settlement;
            tx.prepare_cached(
                "INSERT INTO settlements (wall_ms, asset, asset_idx, window_start_s, strike,
                    end_price, up_won, winning_tokens, pnl, strike_fallback, price_source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                s.wall_ms as i64,
                s.asset,
                x.asset.0,
                x.window_start_s as i64,
                x.strike,
                x.end_price,
                x.up_won,
                x.winning_tokens,
                x.pnl,
                x.strike_fallback,
                x.source.name(),
            ])?;
        }
        JournalEvent::Account(a) => {
            tx.prepare_cached(
                "INSERT INTO account_snapshots (wall_ms, start_cash, cash, realized_pnl, fees_paid,
                    open_positions, open_cost, settled, wins, losses)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                a.wall_ms as i64,
                a.start_cash,
                a.cash,
                a.realized_pnl,
                a.fees_paid,
                a.open_positions,
                a.open_cost,
                a.settled,
                a.wins,
                a.losses,
            ])?;
        }
        JournalEvent::Control { wall_ms, action } => {
            let (active, mode, breaker, reason): (
                Option<bool>,
                Option<&str>,
                Option<&str>,
                String,
            ) = match action {
                ControlAction::KillSwitch { active, reason } => {
                    (Some(*active), None, None, reason.clone())
                }
                ControlAction::Mode { mode, reason } => {
                    (None, Some(mode.name()), None, reason.clone())
                }
                ControlAction::BreakerTripped(t) => {
                    (Some(true), None, Some(t.kind.name()), t.message())
                }
                ControlAction::BreakerRearmed { kind, manual } => (
                    Some(false),
                    None,
                    Some(kind.name()),
                    if *manual {
                        format!("{}: reset by the operator", kind.name())
                    } else {
                        format!("{}: re-armed", kind.name())
                    },
                ),
            };
            tx.prepare_cached(
                "INSERT INTO control_actions (wall_ms, action, active, mode, breaker, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                *wall_ms as i64,
                action.name(),
                active,
                mode,
                breaker,
                reason
            ])?;
        }
        JournalEvent::Signal(s) => {
            let x = &s.snapshot;
            tx.prepare_cached(
                "INSERT INTO signals (wall_ms, asset, asset_idx, window_start_s, spot, model_spot,
                    strike, strike_fallback, tau_s, sigma_per_sqrt_s, p_up, up_ask_e4,
                    down_ask_e4, edge, side, skip)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                x.wall_ms as i64,
                s.asset,
                x.asset.0,
                x.window_start_s as i64,
                x.spot,
                x.model_spot,
                x.strike,
                x.strike_fallback,
                x.tau_s,
                x.sigma_per_sqrt_s,
                x.p_up,
                x.up_ask_e4,
                x.down_ask_e4,
                x.edge,
                outcome_name(x.side),
                x.skip.map(|r| r.name()),
            ])?;
        }
    }
    Ok(())
}
