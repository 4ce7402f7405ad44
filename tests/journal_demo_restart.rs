//! A demo journals to SQLite; a second demo on the same file starts with the paper account,
//! its open positions and the kill switch as the first one left them. A bad journal file
//! stops the start with a clear error and is left untouched.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use cassandra::demo::Demo;
use support::{fast_demo_config, trade_eagerly, wait_for};

fn temp_db(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "cassandra-{name}-{}-{}.db",
        std::process::id(),
        cassandra::clock::mono_ns()
    ))
}

#[test]
fn restart_restores_account_positions_and_kill_switch() {
    let path = temp_db("restart");
    let mut cfg = fast_demo_config(8);
    trade_eagerly(&mut cfg);
    cfg.journal.path = path.display().to_string();
    let demo = Demo::start(cfg.clone()).expect("first demo starts");
    let shared = demo.pipeline.shared.clone();
    let c = &shared.counters;
    assert!(
        wait_for(Duration::from_secs(30), || {
            c.order.fills.load(Ordering::Relaxed) >= 2
                && c.signal.settlements.load(Ordering::Relaxed) >= 2
        }),
        "no fills and settlements: {:?}",
        c.snapshot()
    );
    // The operator pulls the kill switch; trading stops.
    demo.pipeline.state.lock().unwrap().kill_reason = Some(("test stop".into(), 1));
    shared.kill.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    let first = demo.stop();
    assert!(first.paper.settled >= 1, "{:?}", first.paper);

    let second = Demo::start(cfg).expect("second demo starts");
    assert!(second.pipeline.shared.killed(), "kill switch not restored");
    let restored = second
        .pipeline
        .state
        .lock()
        .unwrap()
        .account
        .expect("restored account");
    let p = &first.paper;
    assert!(
        (restored.cash - p.cash).abs() < 1e-6,
        "{restored:?} vs {p:?}"
    );
    assert!((restored.realized_pnl - p.realized_pnl).abs() < 1e-6);
    assert_eq!(restored.settled, p.settled);
    assert_eq!((restored.wins, restored.losses), (p.wins, p.losses));
    assert_eq!(restored.open_positions, p.open_positions);
    // Killed from the start: nothing is ordered.
    let orders = second
        .pipeline
        .shared
        .counters
        .order
        .orders
        .load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        second
            .pipeline
            .shared
            .counters
            .order
            .orders
            .load(Ordering::Relaxed),
        orders
    );
    let s = second.stop();
    assert!((s.paper.cash - p.cash).abs() < 1e-6 || s.paper.settled > p.settled);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_garbage_journal_is_a_clear_start_error_and_stays_untouched() {
    let path = temp_db("garbage");
    std::fs::write(&path, b"this is not a database, it is a note to self").unwrap();
    let mut cfg = fast_demo_config(30);
    cfg.journal.path = path.display().to_string();
    let err = Demo::start(cfg).err().expect("refused");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("journal") && msg.contains(&path.display().to_string()),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is not a database, it is a note to self"
    );
    let _ = std::fs::remove_file(&path);
}
