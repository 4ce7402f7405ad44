//! Process-level faults against the real binary, `cassandra run` (paper) trading on
//! `cassandra sim` in another process:
//! - file descriptors exhausted (`prlimit --nofile` on the running process, the API's
//!   descriptors eaten by idle clients, the feeds dropped): the process survives and the feeds
//!   come back once descriptors are free;
//! - the journal becoming unwritable mid-run (`prlimit --fsize`, `SIGXFSZ` ignored by the
//!   shell that execs the binary): `/health` and `/metrics` say so and paper trading goes on,
//!   as designed (live mode halts: `tests/journal_failures.rs`);
//! - the venue dying mid-trading (`kill -9` of the simulator, a new one on the same ports):
//!   the process survives, the feeds come back, and the journal holds every order once with
//!   exactly one answer;
//! - `kill -9` of the trading process mid-window and again across a window end: every position
//!   opened before a kill is restored and settled, none lost or settled twice.

mod fault_common;
use fault_common::*;

use std::process::Command;
use std::time::Duration;

fn metrics(api: &str) -> String {
    get_text(&format!("{api}/metrics")).unwrap_or_default()
}

fn frames(api: &str, feed: &str) -> f64 {
    metric(
        &metrics(api),
        "cassandra_feed_frames_total",
        &format!("feed=\"{feed}\""),
    )
}

fn prlimit(pid: u32, what: &str) {
    let st = Command::new("prlimit")
        .arg("--pid")
        .arg(pid.to_string())
        .arg(what)
        .status()
        .expect("prlimit (util-linux)");
    assert!(st.success(), "prlimit {what}");
}

fn wait_flowing(api: &str, run: &Proc) {
    assert!(
        wait_for(Duration::from_secs(20), || frames(api, "binance") > 0.0
            && frames(api, "polymarket") > 0.0),
        "feeds never flowed:\n{}",
        run.stderr()
    );
}

#[test]
fn exhausted_file_descriptors_are_survived_and_recovered() {
    let dir = temp_dir("fds");
    let sim = SimProc::start(&dir, [0; 4], &[]);
    let cfg = run_config(&dir, &sim, "max_connections = 1000\n", "");
    let (mut run, api) = start_run(&cfg, 90.0, None);
    wait_flowing(&api, &run);
    let m = metrics(&api);
    let reconnects0 = metric(&m, "cassandra_feed_reconnects_total", "");
    // Leave 6 descriptors free, then take them (and queue more) with idle API clients.
    let open = std::fs::read_dir(format!("/proc/{}/fd", run.pid()))
        .unwrap()
        .count();
    let limit = open + 6;
    prlimit(run.pid(), &format!("--nofile={limit}:{limit}"));
    let port = api.rsplit(':').next().unwrap().trim_end_matches('/');
    let hogs: Vec<std::net::TcpStream> = (0..40)
        .filter_map(|_| std::net::TcpStream::connect(format!("127.0.0.1:{port}")).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // The feeds lose their connections; reconnecting needs descriptors there are none of.
    sim.set_faults(r#"{"drop_every_ms":400}"#);
    std::thread::sleep(Duration::from_millis(1000));
    sim.set_faults("{}");
    std::thread::sleep(Duration::from_secs(3));
    assert!(run.alive(), "died without descriptors:\n{}", run.stderr());
    let during = std::fs::read_dir(format!("/proc/{}/fd", run.pid()))
        .unwrap()
        .count();
    eprintln!(
        "{open} descriptors open at start, limit {limit}, {during} open while exhausted, {} idle clients",
        hogs.len()
    );
    assert!(
        during + 1 >= limit,
        "descriptors were not exhausted: {during} of {limit}"
    );
    drop(hogs);
    let err = run.stderr();
    assert!(
        err.contains("os error 24"),
        "no feed connection failed for want of descriptors:\n{err}"
    );
    // Descriptors free again: the API answers and both feeds reconnect and flow.
    assert!(
        wait_for(Duration::from_secs(20), || {
            let m = metrics(&api);
            metric(&m, "cassandra_feed_reconnects_total", "feed=\"binance\"") >= 1.0
                && metric(&m, "cassandra_feed_reconnects_total", "feed=\"polymarket\"") >= 1.0
                && metric(&m, "cassandra_feed_reconnects_total", "") > reconnects0
        }),
        "feeds did not reconnect:\n{}\n{}",
        metrics(&api),
        run.stderr()
    );
    let (b, p) = (frames(&api, "binance"), frames(&api, "polymarket"));
    assert!(
        wait_for(Duration::from_secs(10), || frames(&api, "binance") > b
            && frames(&api, "polymarket") > p),
        "frames do not flow after recovery"
    );
    let health = get_json(&format!("{api}/health")).expect("/health answers");
    assert!(health.is_object(), "{health}");
    run.interrupt();
    assert!(run.wait_exit(Duration::from_secs(20)), "{}", run.stderr());
    assert_no_panic(&run);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_journal_shows_in_health_and_metrics_and_paper_goes_on() {
    let dir = temp_dir("fsize");
    let sim = SimProc::start(&dir, [0; 4], &[]);
    let db = dir.join("journal.db");
    let cfg = run_config(
        &dir,
        &sim,
        "",
        &format!("[journal]\npath = \"{}\"\n", db.display()),
    );
    // An ignored SIGXFSZ survives exec: a write past the size limit fails with EFBIG.
    let (mut run, api) = start_run(&cfg, 90.0, Some("trap '' XFSZ;"));
    wait_flowing(&api, &run);
    assert!(
        wait_for(Duration::from_secs(30), || {
            let m = metrics(&api);
            metric(&m, "cassandra_journal_written_total", "") > 0.0
                && metric(&m, "cassandra_orders_total", "") > 0.0
        }),
        "nothing journaled:\n{}",
        metrics(&api)
    );
    let h = get_json(&format!("{api}/health")).unwrap();
    assert_eq!(h["journal"]["ok"], true, "{h}");
    // No file may grow past 1 KiB from now on: every journal write fails.
    prlimit(run.pid(), "--fsize=1024:1024");
    assert!(
        wait_for(Duration::from_secs(20), || {
            metric(&metrics(&api), "cassandra_journal_failed_batches_total", "") >= 1.0
        }),
        "no failed batch shown:\n{}",
        metrics(&api)
    );
    let h = get_json(&format!("{api}/health")).unwrap();
    assert_eq!(h["journal"]["ok"], false, "{h}");
    assert!(
        h["journal"]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{h}"
    );
    // Paper trading goes on, the kill switch untouched.
    let m = metrics(&api);
    let orders = metric(&m, "cassandra_orders_total", "");
    assert_eq!(metric(&m, "cassandra_kill_switch", ""), 0.0, "{m}");
    assert!(
        wait_for(Duration::from_secs(20), || metric(
            &metrics(&api),
            "cassandra_orders_total",
            ""
        ) > orders),
        "paper trading stopped"
    );
    assert!(run.alive(), "{}", run.stderr());
    run.interrupt();
    run.wait_exit(Duration::from_secs(20));
    assert_no_panic(&run);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Orders journaled more than once, and orders without exactly one answer.
fn journal_anomalies(db: &std::path::Path) -> (i64, i64, i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    let one = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let orders = one("SELECT COUNT(*) FROM orders");
    let dup = one(
        "SELECT COUNT(*) FROM (SELECT intent_id FROM orders GROUP BY intent_id HAVING COUNT(*) > 1)",
    );
    let unanswered = one("SELECT COUNT(*) FROM orders o WHERE \
         (SELECT COUNT(*) FROM responses r WHERE r.intent_id = o.intent_id) != 1");
    (orders, dup, unanswered)
}

#[test]
fn the_venue_dying_mid_trading_loses_and_duplicates_nothing() {
    let dir = temp_dir("venue-death");
    let mut sim = SimProc::start(&dir, [0; 4], &[]);
    let ports = sim.ports();
    let db = dir.join("journal.db");
    let cfg = run_config(
        &dir,
        &sim,
        "",
        &format!("[journal]\npath = \"{}\"\n", db.display()),
    );
    let (mut run, api) = start_run(&cfg, 120.0, None);
    wait_flowing(&api, &run);
    assert!(
        wait_for(Duration::from_secs(30), || metric(
            &metrics(&api),
            "cassandra_orders_total",
            ""
        ) >= 3.0),
        "no orders:\n{}",
        run.stderr()
    );
    // The whole venue dies at once: feeds, Gamma, CLOB.
    sim.proc.kill9();
    std::thread::sleep(Duration::from_secs(4));
    assert!(run.alive(), "died with the venue:\n{}", run.stderr());
    let m = metrics(&api);
    assert_eq!(
        metric(&m, "cassandra_feed_connected", "feed=\"binance\""),
        0.0,
        "{m}"
    );
    let orders_down = metric(&m, "cassandra_orders_total", "");
    // A new venue on the same ports: the feeds come back and trading resumes.
    sim = SimProc::start(&dir, ports, &[]);
    assert!(
        wait_for(Duration::from_secs(30), || {
            let m = metrics(&api);
            metric(&m, "cassandra_feed_connected", "feed=\"binance\"") == 1.0
                && metric(&m, "cassandra_feed_connected", "feed=\"polymarket\"") == 1.0
                && metric(&m, "cassandra_orders_total", "") > orders_down
        }),
        "no recovery after the venue came back:\n{}\n{}",
        metrics(&api),
        run.stderr()
    );
    run.interrupt();
    assert!(run.wait_exit(Duration::from_secs(20)), "{}", run.stderr());
    assert_no_panic(&run);
    let (orders, dup, unanswered) = journal_anomalies(&db);
    eprintln!("venue death: {orders} orders journaled, {dup} duplicated, {unanswered} without exactly one answer");
    assert!(orders >= 3);
    assert_eq!((dup, unanswered), (0, 0));
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Tokens held per (asset, window, outcome) in the journal's fills, and the settled
/// (asset, window, price source) rows.
type Held = std::collections::BTreeMap<(String, i64, String), i64>;
fn journal_positions(db: &std::path::Path) -> (Held, Vec<(String, i64, String)>) {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut q = c
        .prepare(
            "SELECT asset, window_start_s, outcome, SUM(received_e6) FROM responses \
             WHERE received_e6 > 0 GROUP BY asset, window_start_s, outcome",
        )
        .unwrap();
    let held = q
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut q = c
        .prepare("SELECT asset, window_start_s, COALESCE(price_source, '') FROM settlements")
        .unwrap();
    let settled = q
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (held, settled)
}

fn settlements_of(settled: &[(String, i64, String)], asset: &str, window: i64) -> usize {
    settled
        .iter()
        .filter(|(a, w, _)| a == asset && *w == window)
        .count()
}

#[test]
fn kill9_mid_window_and_across_a_window_end_loses_no_position() {
    let dir = temp_dir("restart");
    let sim = SimProc::start(&dir, [0; 4], &[]);
    let db = dir.join("journal.db");
    let cfg = run_config(
        &dir,
        &sim,
        "",
        &format!("[journal]\npath = \"{}\"\n", db.display()),
    );
    let trade_then_kill = |min_fills: f64| {
        let (mut run, api) = start_run(&cfg, 120.0, None);
        let fills0 = metric(&metrics(&api), "cassandra_fills_total", "");
        assert!(
            wait_for(Duration::from_secs(40), || metric(
                &metrics(&api),
                "cassandra_fills_total",
                ""
            ) >= fills0 + min_fills),
            "no fills:\n{}",
            run.stderr()
        );
        // Let the journal writer catch up (it batches), then die without warning.
        std::thread::sleep(Duration::from_millis(600));
        run.kill9();
        assert_no_panic(&run);
    };

    // 1. Killed mid-window and restarted at once: every position the journal holds is open
    //    again (or, if its window ended meanwhile, settled).
    trade_then_kill(2.0);
    let (held, settled) = journal_positions(&db);
    let open: Vec<_> = held
        .iter()
        .filter(|((a, w, _), _)| settlements_of(&settled, a, *w) == 0)
        .collect();
    assert!(!open.is_empty(), "no open position at the kill: {held:?}");
    let (mut run, api) = start_run(&cfg, 120.0, None);
    let restored = get_json(&format!("{api}/api/positions")).unwrap();
    let (_, settled_now) = journal_positions(&db);
    for ((asset, window, outcome), tokens_e6) in &open {
        let shown = restored["positions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| {
                p["asset"] == asset.as_str()
                    && p["window_start_s"] == *window
                    && p["outcome"].as_str().unwrap().eq_ignore_ascii_case(outcome)
            })
            .map(|p| (p["tokens"].as_f64().unwrap() * 1e6).round() as i64);
        assert!(
            shown.is_some_and(|t| t >= **tokens_e6)
                || settlements_of(&settled_now, asset, *window) == 1,
            "{asset} {window} {outcome}: {tokens_e6} e6 tokens in the journal, restored {shown:?}\n{restored}"
        );
    }
    eprintln!(
        "restart mid-window: {} open positions in the journal, all restored: {restored}",
        open.len()
    );
    run.kill9();

    // 2. Killed again and kept down past the end of every window traded in (20 s long).
    trade_then_kill(1.0);
    std::thread::sleep(Duration::from_secs(21));
    let (held, _) = journal_positions(&db);
    let (mut run, _api) = start_run(&cfg, 120.0, None);
    // Every window a position was held in settles exactly once: from the oracle, or written
    // off and flagged when it ended while the process was down.
    let all_settled_once = || {
        let (_, settled) = journal_positions(&db);
        held.keys()
            .all(|(a, w, _)| settlements_of(&settled, a, *w) == 1)
    };
    assert!(
        wait_for(Duration::from_secs(40), all_settled_once),
        "positions not settled exactly once:\nheld {held:?}\nsettled {:?}\n{}",
        journal_positions(&db).1,
        run.stderr()
    );
    let (_, settled) = journal_positions(&db);
    eprintln!(
        "{} positions held across two kills, settlements: {settled:?}",
        held.len()
    );
    run.interrupt();
    run.wait_exit(Duration::from_secs(20));
    assert_no_panic(&run);
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}
