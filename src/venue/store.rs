//! The venue ledger's journal: an SQLite file of its own (WAL, `synchronous=FULL`), written
//! synchronously by the control side — every row is on disk when the call returns. That is
//! what makes it a write-ahead log for money: a presigned order's identity is stored before
//! the order is handed to the `order` thread, and every trade status before the ledger acts
//! on it. It is apart from the main journal, whose writer is write-behind.
//!
//! Tables: `venue_orders` (every order's identity — salt, order hash — and its last known
//! state), `venue_trades` (every trade of ours and its last status), `venue_markets` (each token's
//! fee schedule and end),
//! `venue_redemptions`, and `venue_meta` (the ledger's opening cash). The ledger is rebuilt
//! from them on restart ([`VenueStore::load`]); what is not final is then followed up at the
//! venue (`super::reconcile`).
//!
//! Opening never deletes or rewrites an existing file; another program's database (tables
//! that are not ours) is refused.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::fees::FeeRule;
use super::ledger::VenueLedger;
use super::wire::{TradeSide, TradeStatus, VenueTrade};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS venue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS venue_orders (
    order_id TEXT PRIMARY KEY,
    intent_id INTEGER NOT NULL,
    token_slot INTEGER NOT NULL,
    salt INTEGER NOT NULL,
    price_e4 INTEGER NOT NULL,
    size_e6 INTEGER NOT NULL,
    presigned INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS venue_orders_state ON venue_orders (state);
CREATE TABLE IF NOT EXISTS venue_trades (
    seq INTEGER PRIMARY KEY,
    trade_id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    token TEXT NOT NULL,
    market TEXT NOT NULL,
    side TEXT NOT NULL,
    price_u6 INTEGER NOT NULL,
    size_u6 INTEGER NOT NULL,
    taker INTEGER NOT NULL,
    status TEXT NOT NULL,
    match_time_s INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS venue_markets (
    token TEXT PRIMARY KEY,
    rate_ppm INTEGER,
    exponent INTEGER,
    taker_only INTEGER,
    end_s INTEGER
);
CREATE TABLE IF NOT EXISTS venue_redemptions (
    id INTEGER PRIMARY KEY,
    condition TEXT NOT NULL,
    tokens TEXT NOT NULL,
    payout_u6 INTEGER NOT NULL,
    wall_ms INTEGER NOT NULL
);
";

const OURS: [&str; 5] = [
    "venue_meta",
    "venue_orders",
    "venue_trades",
    "venue_markets",
    "venue_redemptions",
];

/// An order's state as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredState {
    /// Signed and handed to the `order` thread; may or may not have been sent.
    Prepared,
    /// Its bytes are (or were about to be) on the wire; no answer yet.
    Sent,
    /// Its answer was lost: the venue may have it.
    Unknown,
    /// Accepted, may still match (`live`, `delayed`).
    Open,
    /// Nothing more will match (matched, cancelled, killed, refused, never placed).
    Done,
}

impl StoredState {
    pub fn name(self) -> &'static str {
        match self {
            StoredState::Prepared => "prepared",
            StoredState::Sent => "sent",
            StoredState::Unknown => "unknown",
            StoredState::Open => "open",
            StoredState::Done => "done",
        }
    }

    fn parse(s: &str) -> StoredState {
        match s {
            "prepared" => StoredState::Prepared,
            "sent" => StoredState::Sent,
            "unknown" => StoredState::Unknown,
            "open" => StoredState::Open,
            _ => StoredState::Done,
        }
    }
}

/// An order row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredOrder {
    pub order_id: String,
    pub intent_id: u64,
    pub token_slot: u16,
    pub salt: u64,
    pub price_e4: u32,
    pub size_e6: u64,
    pub presigned: bool,
    pub state: StoredState,
    pub created_ms: u64,
}

/// What a restart starts from.
pub struct Loaded {
    pub ledger: VenueLedger,
    /// Orders not known to be done.
    pub open_orders: Vec<StoredOrder>,
    /// Trades not final.
    pub pending_trades: Vec<VenueTrade>,
    /// Trade ids known (final or not).
    pub known_trades: Vec<String>,
    /// Orders prepared (presigned) and never seen sent: a trade at the venue naming one of
    /// them is ours.
    pub prepared: Vec<String>,
    /// The latest `match_time` of a trade known (Unix s; 0 if none).
    pub last_match_s: u64,
}

pub struct VenueStore {
    conn: Connection,
    path: PathBuf,
}

fn side_name(s: TradeSide) -> &'static str {
    match s {
        TradeSide::Buy => "BUY",
        TradeSide::Sell => "SELL",
    }
}

impl VenueStore {
    /// Opens (or creates) the store at `path`. Each handle is its own connection: the ladder
    /// and the tracker each open one.
    pub fn open(path: impl AsRef<Path>) -> anyhow::Result<VenueStore> {
        let path = path.as_ref().to_path_buf();
        let what = |e: rusqlite::Error| anyhow::anyhow!("venue ledger {}: {e}", path.display());
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(what)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(what)?;
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .map_err(what)?;
        let tables: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(what)?
            .collect::<Result<_, _>>()
            .map_err(what)?;
        drop(stmt);
        let foreign: Vec<&String> = tables
            .iter()
            .filter(|t| !OURS.contains(&t.as_str()))
            .collect();
        if !foreign.is_empty() {
            anyhow::bail!(
                "venue ledger {}: not a venue ledger (it has tables {foreign:?}); \
                 give [live] venue_ledger a path of its own",
                path.display()
            );
        }
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .map_err(what)?;
        conn.execute_batch("PRAGMA synchronous=FULL;")
            .map_err(what)?;
        conn.execute_batch(SCHEMA).map_err(what)?;
        Ok(VenueStore { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The opening cash, stored once (the first start); later starts read it back.
    pub fn start_cash_u6(&self, or_set: u64) -> anyhow::Result<u64> {
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM venue_meta WHERE key = 'start_cash_u6'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(v) = v {
            return Ok(v.parse()?);
        }
        self.conn.execute(
            "INSERT INTO venue_meta (key, value) VALUES ('start_cash_u6', ?1)",
            params![or_set.to_string()],
        )?;
        Ok(or_set)
    }

    /// An order's identity, before it can be sent (or as it is). Never moves an order back.
    pub fn put_order(&self, o: &StoredOrder) -> anyhow::Result<()> {
        let now = crate::clock::wall_ms();
        self.conn.execute(
            "INSERT INTO venue_orders (order_id, intent_id, token_slot, salt, price_e4, size_e6,
                 presigned, state, created_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT(order_id) DO UPDATE SET
                 intent_id = CASE WHEN excluded.intent_id != 0 THEN excluded.intent_id
                                  ELSE intent_id END,
                 state = CASE WHEN state = 'prepared' THEN excluded.state ELSE state END,
                 updated_ms = ?10",
            params![
                o.order_id,
                o.intent_id as i64,
                o.token_slot,
                o.salt as i64,
                o.price_e4,
                o.size_e6 as i64,
                o.presigned,
                o.state.name(),
                o.created_ms as i64,
                now as i64
            ],
        )?;
        Ok(())
    }

    pub fn set_order_state(&self, order_id: &str, state: StoredState) -> anyhow::Result<()> {
        let n = self.conn.execute(
            "UPDATE venue_orders SET state = ?2, updated_ms = ?3 WHERE order_id = ?1",
            params![order_id, state.name(), crate::clock::wall_ms() as i64],
        )?;
        if n == 0 {
            // An order first met at the venue (e.g. sent on the spot before a crash).
            self.put_order(&StoredOrder {
                order_id: order_id.to_string(),
                intent_id: 0,
                token_slot: 0,
                salt: 0,
                price_e4: 0,
                size_e6: 0,
                presigned: false,
                state,
                created_ms: crate::clock::wall_ms(),
            })?;
        }
        Ok(())
    }

    /// One order's row, by id.
    pub fn order(&self, order_id: &str) -> anyhow::Result<Option<StoredOrder>> {
        Ok(self
            .conn
            .query_row(
                "SELECT order_id, intent_id, token_slot, salt, price_e4, size_e6, presigned,
                        state, created_ms FROM venue_orders WHERE order_id = ?1",
                params![order_id],
                |r| {
                    Ok(StoredOrder {
                        order_id: r.get(0)?,
                        intent_id: r.get::<_, i64>(1)? as u64,
                        token_slot: r.get(2)?,
                        salt: r.get::<_, i64>(3)? as u64,
                        price_e4: r.get(4)?,
                        size_e6: r.get::<_, i64>(5)? as u64,
                        presigned: r.get(6)?,
                        state: StoredState::parse(&r.get::<_, String>(7)?),
                        created_ms: r.get::<_, i64>(8)? as u64,
                    })
                },
            )
            .optional()?)
    }

    /// A trade and its status now (insert or update).
    pub fn put_trade(&self, t: &VenueTrade) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO venue_trades (trade_id, order_id, token, market, side, price_u6,
                 size_u6, taker, status, match_time_s, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(trade_id) DO UPDATE SET status = excluded.status,
                 updated_ms = excluded.updated_ms",
            params![
                t.id,
                t.order_id,
                t.token,
                t.market,
                side_name(t.side),
                t.price_u6 as i64,
                t.size_u6 as i64,
                t.taker,
                t.status.name(),
                t.match_time_s as i64,
                crate::clock::wall_ms() as i64
            ],
        )?;
        Ok(())
    }

    /// A token's market: its fee schedule (if known) and when it ends.
    pub fn put_market(&self, token: &str, r: Option<FeeRule>, end_s: u64) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO venue_markets (token, rate_ppm, exponent, taker_only, end_s)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(token) DO UPDATE SET
                 rate_ppm = COALESCE(excluded.rate_ppm, rate_ppm),
                 exponent = COALESCE(excluded.exponent, exponent),
                 taker_only = COALESCE(excluded.taker_only, taker_only),
                 end_s = COALESCE(excluded.end_s, end_s)",
            params![
                token,
                r.map(|r| r.rate_ppm as i64),
                r.map(|r| r.exponent),
                r.map(|r| r.taker_only),
                (end_s > 0).then_some(end_s as i64)
            ],
        )?;
        Ok(())
    }

    pub fn put_redemption(
        &self,
        condition: &str,
        tokens: &[&str],
        payout_u6: u64,
    ) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO venue_redemptions (condition, tokens, payout_u6, wall_ms)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                condition,
                tokens.join(","),
                payout_u6 as i64,
                crate::clock::wall_ms() as i64
            ],
        )?;
        Ok(())
    }

    /// Rebuilds the ledger: opening cash, fee rules, confirmed trades in the order they were
    /// first stored, failed ones, redemptions; and lists what must be followed up.
    pub fn load(&self, start_cash_u6: u64, default_fees: FeeRule) -> anyhow::Result<Loaded> {
        // Presigned orders never used: the ladder replaces them within minutes, so after an
        // hour they can no longer be sent; their rows go.
        self.conn.execute(
            "DELETE FROM venue_orders WHERE state = 'prepared' AND created_ms < ?1",
            params![crate::clock::wall_ms().saturating_sub(3_600_000) as i64],
        )?;
        let mut ledger = VenueLedger::new(start_cash_u6, default_fees);
        let mut stmt = self
            .conn
            .prepare("SELECT token, rate_ppm, exponent, taker_only, end_s FROM venue_markets")?;
        let rules = stmt.query_map([], |r| {
            let rule = match (
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, Option<bool>>(3)?,
            ) {
                (Some(rate), Some(exponent), Some(taker_only)) => Some(FeeRule {
                    rate_ppm: rate as u64,
                    exponent,
                    taker_only,
                }),
                _ => None,
            };
            Ok((r.get::<_, String>(0)?, rule, r.get::<_, Option<i64>>(4)?))
        })?;
        for r in rules {
            let (t, rule, end) = r?;
            if let Some(rule) = rule {
                ledger.set_fee_rule(&t, rule);
            }
            if let Some(end) = end {
                ledger.set_market_end(&t, end as u64);
            }
        }
        drop(stmt);
        let mut stmt = self.conn.prepare(
            "SELECT trade_id, order_id, token, market, side, price_u6, size_u6, taker, status,
                    match_time_s FROM venue_trades ORDER BY seq",
        )?;
        let trades = stmt.query_map([], |r| {
            let side: String = r.get(4)?;
            let status: String = r.get(8)?;
            Ok(VenueTrade {
                id: r.get(0)?,
                order_id: r.get(1)?,
                token: r.get(2)?,
                market: r.get(3)?,
                side: if side == "SELL" {
                    TradeSide::Sell
                } else {
                    TradeSide::Buy
                },
                price_u6: r.get::<_, i64>(5)? as u64,
                size_u6: r.get::<_, i64>(6)? as u64,
                taker: r.get(7)?,
                status: TradeStatus::parse(&status).unwrap_or(TradeStatus::Matched),
                match_time_s: r.get::<_, i64>(9)? as u64,
            })
        })?;
        let mut pending_trades = Vec::new();
        let mut known_trades = Vec::new();
        let mut last_match_s = 0;
        for t in trades {
            let t = t?;
            known_trades.push(t.id.clone());
            last_match_s = last_match_s.max(t.match_time_s);
            match t.status {
                TradeStatus::Confirmed => {
                    ledger.on_confirmed(&t);
                }
                TradeStatus::Failed => {
                    ledger.on_failed(&t.id);
                }
                _ => {
                    ledger.on_pending(&t);
                    pending_trades.push(t);
                }
            }
        }
        drop(stmt);
        let mut stmt = self
            .conn
            .prepare("SELECT condition, tokens, payout_u6 FROM venue_redemptions ORDER BY id")?;
        let reds = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)? as u64,
            ))
        })?;
        for r in reds {
            let (c, tokens, payout) = r?;
            let toks: Vec<&str> = tokens.split(',').filter(|t| !t.is_empty()).collect();
            ledger.on_redeemed(&c, &toks, payout);
        }
        drop(stmt);
        let mut stmt = self.conn.prepare(
            "SELECT order_id, intent_id, token_slot, salt, price_e4, size_e6, presigned, state,
                    created_ms FROM venue_orders WHERE state != 'done' ORDER BY created_ms",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredOrder {
                order_id: r.get(0)?,
                intent_id: r.get::<_, i64>(1)? as u64,
                token_slot: r.get(2)?,
                salt: r.get::<_, i64>(3)? as u64,
                price_e4: r.get(4)?,
                size_e6: r.get::<_, i64>(5)? as u64,
                presigned: r.get(6)?,
                state: StoredState::parse(&r.get::<_, String>(7)?),
                created_ms: r.get::<_, i64>(8)? as u64,
            })
        })?;
        let mut open_orders = Vec::new();
        let mut prepared = Vec::new();
        for o in rows {
            let o = o?;
            if o.state == StoredState::Prepared {
                prepared.push(o.order_id);
            } else {
                open_orders.push(o);
            }
        }
        Ok(Loaded {
            ledger,
            open_orders,
            pending_trades,
            known_trades,
            prepared,
            last_match_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "cassandra-store-{name}-{}-{}",
            std::process::id(),
            crate::clock::wall_ms()
        ));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn another_programs_file_is_refused_and_left_as_it_was() {
        let p = temp("foreign");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE accounts (id INTEGER); INSERT INTO accounts VALUES (7);")
                .unwrap();
        }
        let before = std::fs::read(&p).unwrap();
        let e = VenueStore::open(&p).err().expect("refused").to_string();
        assert!(
            e.contains("not a venue ledger") && e.contains("accounts"),
            "{e}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), before, "untouched");
        let text = temp("text");
        std::fs::write(&text, b"not a database at all, just text").unwrap();
        let e = VenueStore::open(&text).err().expect("refused").to_string();
        assert!(e.contains(&text.display().to_string()), "{e}");
        assert_eq!(
            std::fs::read(&text).unwrap(),
            b"not a database at all, just text"
        );
        let _ = std::fs::remove_file(&p);
        let _ = std::fs::remove_file(&text);
    }

    #[test]
    fn the_ledger_is_rebuilt_from_what_was_written() {
        let p = temp("rebuild");
        let s = VenueStore::open(&p).unwrap();
        assert_eq!(s.start_cash_u6(100_000_000).unwrap(), 100_000_000);
        assert_eq!(s.start_cash_u6(5).unwrap(), 100_000_000, "set once");
        let rule = FeeRule::from_params(0.072, 1.0, true).unwrap();
        s.put_market("7", Some(rule), 1_700_000_000).unwrap();
        let t = |id: &str, status| VenueTrade {
            id: id.into(),
            order_id: "0xo".into(),
            token: "7".into(),
            market: "0xm".into(),
            side: TradeSide::Buy,
            price_u6: 500_000,
            size_u6: 10_000_000,
            status,
            taker: true,
            match_time_s: 1_700_000_000,
        };
        s.put_trade(&t("a", TradeStatus::Matched)).unwrap();
        s.put_trade(&t("a", TradeStatus::Confirmed)).unwrap();
        s.put_trade(&t("b", TradeStatus::Failed)).unwrap();
        s.put_trade(&t("c", TradeStatus::Mined)).unwrap();
        let l = VenueStore::open(&p)
            .unwrap()
            .load(100_000_000, FeeRule::ZERO)
            .unwrap();
        let v = l.ledger.view();
        assert_eq!(v.cash_u6, 95_000_000);
        assert_eq!(v.fees_u6, 180_000, "the stored schedule, not the default");
        assert_eq!(
            (v.confirmed_trades, v.failed_trades, v.pending_trades),
            (1, 1, 1)
        );
        assert_eq!(l.pending_trades.len(), 1);
        assert_eq!(l.last_match_s, 1_700_000_000);
        let _ = std::fs::remove_file(&p);
    }
}
