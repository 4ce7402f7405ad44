//! The journal's tables, versioned by `PRAGMA user_version`.
//!
//! Version 0 is an empty file: the schema is created on first open. A newer version is
//! refused. A future version N+1 adds a migration step here and bumps [`SCHEMA_VERSION`].

/// Schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 2;

/// Tables of the journal (also what tells a cassandra journal from another program's file).
pub const TABLES: [&str; 6] = [
    "orders",
    "responses",
    "settlements",
    "account_snapshots",
    "control_actions",
    "signals",
];

/// Version 1 → 2: where a settlement's end price came from (`oracle`, `stale`,
/// `unresolved`; NULL in rows written by version 1, which only knew the oracle path).
pub const MIGRATE_V1_V2: &str = "ALTER TABLE settlements ADD COLUMN price_source TEXT;";

/// The current schema, created on a fresh file.
pub const CREATE_V1: &str = "
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    wall_ms INTEGER NOT NULL,
    intent_id INTEGER NOT NULL,
    asset TEXT NOT NULL,
    asset_idx INTEGER NOT NULL,
    token_id TEXT NOT NULL,
    token_slot INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    side TEXT NOT NULL,
    order_type TEXT NOT NULL,
    limit_price_e4 INTEGER NOT NULL,
    size_e6 INTEGER NOT NULL,
    fair_e6 INTEGER NOT NULL,
    edge_e6 INTEGER NOT NULL,
    window_start_s INTEGER NOT NULL,
    mode TEXT NOT NULL,
    decision_ns INTEGER NOT NULL,
    order_json TEXT
);
CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    wall_ms INTEGER NOT NULL,
    intent_id INTEGER NOT NULL,
    asset TEXT NOT NULL,
    asset_idx INTEGER NOT NULL,
    token_id TEXT NOT NULL,
    token_slot INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    status TEXT NOT NULL,
    filled_e6 INTEGER NOT NULL,
    received_e6 INTEGER NOT NULL,
    cost_e6 INTEGER NOT NULL,
    fee_e6 INTEGER NOT NULL,
    window_start_s INTEGER NOT NULL,
    decision_ns INTEGER NOT NULL,
    done_ns INTEGER NOT NULL
);
CREATE INDEX responses_window ON responses (asset, window_start_s);
CREATE TABLE settlements (
    id INTEGER PRIMARY KEY,
    wall_ms INTEGER NOT NULL,
    asset TEXT NOT NULL,
    asset_idx INTEGER NOT NULL,
    window_start_s INTEGER NOT NULL,
    strike REAL,
    end_price REAL,
    up_won INTEGER NOT NULL,
    winning_tokens REAL,
    pnl REAL,
    strike_fallback INTEGER NOT NULL,
    price_source TEXT
);
CREATE INDEX settlements_window ON settlements (asset, window_start_s);
CREATE TABLE account_snapshots (
    id INTEGER PRIMARY KEY,
    wall_ms INTEGER NOT NULL,
    start_cash REAL,
    cash REAL,
    realized_pnl REAL,
    fees_paid REAL,
    open_positions INTEGER NOT NULL,
    open_cost REAL,
    settled INTEGER NOT NULL,
    wins INTEGER NOT NULL,
    losses INTEGER NOT NULL
);
CREATE TABLE control_actions (
    id INTEGER PRIMARY KEY,
    wall_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    active INTEGER,
    mode TEXT,
    breaker TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX control_actions_action ON control_actions (action, id);
CREATE TABLE signals (
    id INTEGER PRIMARY KEY,
    wall_ms INTEGER NOT NULL,
    asset TEXT NOT NULL,
    asset_idx INTEGER NOT NULL,
    window_start_s INTEGER NOT NULL,
    spot REAL,
    model_spot REAL,
    strike REAL,
    strike_fallback INTEGER NOT NULL,
    tau_s REAL,
    sigma_per_sqrt_s REAL,
    p_up REAL,
    up_ask_e4 INTEGER NOT NULL,
    down_ask_e4 INTEGER NOT NULL,
    edge REAL,
    side TEXT NOT NULL,
    skip TEXT
);
";
