//! Bad numbers are refused at start with the key and the allowed range, before anything is
//! created: capacities far past what can be allocated, and `--duration` values that are not
//! a finite number of seconds.

use std::process::Command;

use cassandra::config::Config;

#[test]
fn huge_capacities_are_refused_with_the_allowed_range() {
    let big = 1u64 << 40;
    for (toml, needle) in [
        (
            format!("[pipeline]\nhot_ring_capacity = {big}\n"),
            "pipeline.hot_ring_capacity = 1099511627776: a power of two from 64 to 1048576",
        ),
        (
            format!("[pipeline]\ntap_capacity = {big}\n"),
            "pipeline.tap_capacity = 1099511627776: 64 to 4194304",
        ),
        (
            format!("[feeds]\nmax_frame_bytes = {big}\n"),
            "feeds.max_frame_bytes = 1099511627776: 4096 to 67108864",
        ),
        (
            format!("[whales]\nseen_capacity = {big}\n"),
            "whales.seen_capacity = 1099511627776: 16 to 1048576",
        ),
        (
            format!("[whales]\nrecent = {big}\n"),
            "whales.recent = 1099511627776: 1 to 65536",
        ),
        (
            format!("[alerts]\nbacklog = {big}\n"),
            "alerts.backlog = 1099511627776: 1 to 65536",
        ),
    ] {
        let e = Config::from_toml(&toml).expect_err(&toml).to_string();
        assert!(e.contains(needle), "{toml}: {e}");
    }
    // The largest allowed values pass.
    Config::from_toml(
        "[pipeline]\nhot_ring_capacity = 1048576\ntap_capacity = 4194304\n[feeds]\nmax_frame_bytes = 67108864\n",
    )
    .expect("upper bounds are allowed");
}

#[test]
fn a_duration_that_is_not_finite_seconds_is_refused() {
    let dir = std::env::temp_dir().join(format!("cassandra-duration-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for sub in ["demo", "run"] {
        for bad in ["inf", "-inf", "nan", "1e300", "-1", "soon"] {
            let out = Command::new(env!("CARGO_BIN_EXE_cassandra"))
                .current_dir(&dir)
                .args([sub, &format!("--duration={bad}")])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{sub} --duration {bad} ran: {err}");
            assert!(err.contains("--duration"), "{sub} {bad}: {err}");
            assert!(
                err.contains("a number of seconds"),
                "{sub} {bad}: the message says what is expected: {err}"
            );
        }
    }
    // Nothing was left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
