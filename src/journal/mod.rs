//! The journal: an SQLite database (WAL mode) of orders, responses, settlements, account
//! snapshots, control actions and sampled signals, written by one control-side thread.
//!
//! The control loop turns what it drains from the taps into [`JournalEvent`]s and hands them
//! to [`JournalTx::send`], which never blocks (a full channel drops and counts). The writer
//! thread ([`JournalWriter`]) batches them into transactions. On start, [`Journal::restore`]
//! gives back the paper account, the open positions (by the venue's token id), the kill switch
//! and the risk state as last journaled.
//!
//! Guarantees: opening never deletes, truncates or rewrites an existing file; a file that is
//! not SQLite, a newer schema, another program's database, or a database another writer holds
//! is an error naming the path (see [`JournalError`]). Limits: events dropped on a full
//! channel, or in a batch whose transaction failed, are lost (both counted); the journal is as
//! complete as the taps that feed it.

pub mod db;
pub mod error;
pub mod record;
pub mod restore;
pub mod schema;
pub mod writer;

pub use db::{Journal, OrderRow, ResponseRow};
pub use error::JournalError;
pub use record::{
    ControlAction, ExecRecord, JournalEvent, OrderRecord, SettlementRecord, SignalRecord,
};
pub use restore::{KillSwitchState, Restored, RestoredAccount, RestoredPosition};
pub use schema::SCHEMA_VERSION;
pub use writer::{DurableTx, JournalCounters, JournalRx, JournalTx, JournalWriter, WriterConfig};
