//! Skip reason names are stable snake_case strings (they are written in JSON and the journal).

use cassandra::strategy::gates::SkipReason;

#[test]
fn names_are_the_documented_stable_strings() {
    let want = [
        "no_window",
        "no_spot",
        "no_book",
        "stale_spot",
        "stale_book",
        "too_early",
        "too_late",
        "small_move",
        "edge_below_threshold",
        "spread_too_wide",
        "thin_depth",
        "below_min_size",
        "extreme_probability",
        "open_order",
        "cooldown",
        "kill_switch",
        "breaker",
        "mode_off",
        "risk_limit",
        "no_fair_value",
        "price_out_of_range",
        "no_strategy",
    ];
    let got: Vec<&str> = SkipReason::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(got, want);
}

#[test]
fn names_are_unique_snake_case() {
    let mut seen = std::collections::HashSet::new();
    for r in SkipReason::ALL {
        let n = r.name();
        assert!(seen.insert(n), "duplicate {n}");
        assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
        assert!(!n.starts_with('_') && !n.ends_with('_'));
        assert_eq!(r.to_string(), n);
    }
}

#[test]
fn serialises_as_its_name() {
    let json = serde_json::to_string(&SkipReason::EdgeBelowThreshold).unwrap();
    assert_eq!(json, "\"edge_below_threshold\"");
    assert_eq!(std::mem::size_of::<SkipReason>(), 1);
    assert_eq!(SkipReason::from_u8(8), Some(SkipReason::EdgeBelowThreshold));
}
