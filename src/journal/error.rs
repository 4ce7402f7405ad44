//! What can go wrong with the journal, and what the caller should do about it.

use std::path::PathBuf;

/// Journal errors. The `open` variants are fatal at start: fix the file or the config; the
/// journal never deletes, truncates or rewrites a file it did not create.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file exists but is not an SQLite database (fatal: point the journal elsewhere).
    #[error("journal {path}: not an SQLite database (the file is left untouched)")]
    NotADatabase { path: PathBuf },
    /// Another writer holds the database: another `cassandra` process, or an open write
    /// transaction (fatal at start: stop the other process).
    #[error("journal {path}: database is locked by another writer ({detail})")]
    Locked { path: PathBuf, detail: String },
    /// The database was written by a newer version of cassandra (fatal: upgrade).
    #[error(
        "journal {path}: schema version {found} is newer than this build supports ({supported})"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// An SQLite database that is not a cassandra journal (fatal: point the journal elsewhere).
    #[error(
        "journal {path}: an SQLite database of another program (tables {tables}); not touched"
    )]
    Foreign { path: PathBuf, tables: String },
    /// The file (or its folder) cannot be written: marked read-only, or SQLite opened it
    /// read-only, or a test write failed (fatal at start: a journal that cannot record is no
    /// journal; fix the permissions or point `[journal] path` elsewhere).
    #[error("journal {path}: not writable ({detail}); fix its permissions or point [journal] path elsewhere")]
    ReadOnly { path: PathBuf, detail: String },
    /// The file is damaged (fatal: restore a backup).
    #[error("journal {path}: database is corrupt: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    /// Any other failure to open (permissions, a directory, a missing parent folder): fatal.
    #[error("journal {path}: cannot open: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The lock file beside the database could not be created (fatal: check permissions).
    #[error("journal {path}: cannot create lock file: {source}")]
    LockFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A statement failed while running (transient if busy; the writer counts it and goes on).
    #[error("journal: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value this build cannot read (a bug or a hand-edited row).
    #[error("journal: bad stored value in {table}.{column}: {value}")]
    BadValue {
        table: &'static str,
        column: &'static str,
        value: String,
    },
}

impl JournalError {
    /// Map an SQLite error met while opening `path` to the variant that names its cause.
    pub(crate) fn at_open(path: &std::path::Path, e: rusqlite::Error) -> JournalError {
        use rusqlite::ErrorCode as C;
        let path = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(C::NotADatabase) => JournalError::NotADatabase { path },
            Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => JournalError::Locked {
                path,
                detail: e.to_string(),
            },
            Some(C::ReadOnly) | Some(C::PermissionDenied) => JournalError::ReadOnly {
                path,
                detail: e.to_string(),
            },
            Some(C::DatabaseCorrupt) => JournalError::Corrupt {
                path,
                detail: e.to_string(),
            },
            _ => JournalError::Open { path, source: e },
        }
    }
}
