//! A bad, locked, newer or foreign database is a clear start-up error, and the file is left
//! exactly as it was.

mod journal_common;

use cassandra::journal::{Journal, JournalError, SCHEMA_VERSION};
use journal_common::temp_dir;

#[test]
fn a_garbage_file_is_refused_and_left_byte_identical() {
    let dir = temp_dir("garbage");
    let path = dir.join("journal.db");
    let bytes: Vec<u8> = (0..8192u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();
    let e = Journal::open(&path).err().expect("must refuse");
    assert!(matches!(e, JournalError::NotADatabase { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(path.to_str().unwrap()), "{msg}");
    assert!(msg.contains("not an SQLite database"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(!dir.join("journal.db-wal").exists());
    // A text file too.
    std::fs::write(&path, "mode = \"paper\"\n").unwrap();
    assert!(matches!(
        Journal::open(&path),
        Err(JournalError::NotADatabase { .. })
    ));
    assert!(matches!(
        Journal::open_read_only(&path),
        Err(JournalError::NotADatabase { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), b"mode = \"paper\"\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_database_held_by_another_writer_is_locked() {
    let dir = temp_dir("locked");
    let path = dir.join("journal.db");
    drop(Journal::open(&path).unwrap());
    // Another connection holding a write transaction.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let e = Journal::open(&path).err().expect("must refuse");
    assert!(matches!(e, JournalError::Locked { .. }), "{e:?}");
    assert!(e.to_string().contains("locked"), "{e}");
    other.execute_batch("ROLLBACK;").unwrap();
    drop(other);
    // Another journal (another process) holding it open.
    let first = Journal::open(&path).unwrap();
    let e = Journal::open(&path).err().expect("must refuse");
    assert!(matches!(e, JournalError::Locked { .. }), "{e:?}");
    assert!(e.to_string().contains("another process"), "{e}");
    // Readers are welcome while it runs.
    let reader = Journal::open_read_only(&path).unwrap();
    assert!(reader.restore(1000.0).unwrap().account.is_none());
    drop(first);
    assert!(Journal::open(&path).is_ok());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_rollback_mode_database_under_an_exclusive_lock_is_locked() {
    let dir = temp_dir("locked-rollback");
    let path = dir.join("journal.db");
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("CREATE TABLE orders (x); BEGIN EXCLUSIVE; INSERT INTO orders VALUES (1);")
        .unwrap();
    let e = Journal::open(&path).err().expect("must refuse");
    assert!(matches!(e, JournalError::Locked { .. }), "{e:?}");
    drop(other);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let dir = temp_dir("newer");
    let path = dir.join("journal.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE orders (x); PRAGMA user_version = {};",
            SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let e = Journal::open(&path).err().expect("must refuse");
    match &e {
        JournalError::NewerSchema {
            found, supported, ..
        } => {
            assert_eq!((*found, *supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("newer"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn another_programs_database_is_refused_untouched() {
    let dir = temp_dir("foreign");
    let path = dir.join("app.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('a');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let e = Journal::open(&path).err().expect("must refuse");
    assert!(matches!(e, JournalError::Foreign { .. }), "{e:?}");
    assert!(e.to_string().contains("customers"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn first_open_creates_the_schema_in_wal_mode() {
    let dir = temp_dir("create");
    let path = dir.join("journal.db");
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.journal_mode().unwrap(), "wal");
    drop(j);
    let c = rusqlite::Connection::open(&path).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    // An empty existing file is a new database, not an error.
    let empty = dir.join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(Journal::open(&empty).is_ok());
    // A path in a missing folder is an open error naming it.
    let e = Journal::open(dir.join("no/such/dir/j.db")).err().unwrap();
    assert!(e.to_string().contains("no/such/dir"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
