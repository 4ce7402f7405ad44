//! GateConfig: documented defaults, unknown keys refused, validation names every bad field.

use cassandra::strategy::gates::GateConfig;

#[test]
fn empty_config_gives_the_documented_defaults() {
    let c: GateConfig = toml::from_str("").unwrap();
    assert_eq!(c, GateConfig::default());
    assert_eq!(c.min_edge, 0.03);
    assert_eq!(c.min_secs_into_window, 30.0);
    assert_eq!(c.max_prob, 0.9);
    assert_eq!(c.min_frac_into_window, None);
    c.validate().unwrap();
}

#[test]
fn partial_config_keeps_other_defaults() {
    let c: GateConfig = toml::from_str("min_edge = 0.05\nmin_frac_into_window = 0.1").unwrap();
    assert_eq!(c.min_edge, 0.05);
    assert_eq!(c.min_frac_into_window, Some(0.1));
    assert_eq!(c.cooldown_ms, GateConfig::default().cooldown_ms);
    assert_eq!(c.window_bounds_s(60.0).0, 6.0);
}

#[test]
fn unknown_keys_are_errors() {
    let err = toml::from_str::<GateConfig>("min_edgee = 0.05").unwrap_err();
    assert!(err.to_string().contains("min_edgee"), "{err}");
}

#[test]
fn validation_names_every_bad_field() {
    let c = GateConfig {
        max_prob: 0.3,
        max_spread: -1.0,
        max_secs_into_window: 10.0,
        max_frac_into_window: Some(2.0),
        ..GateConfig::default()
    };
    let err = c.validate().unwrap_err();
    assert_eq!(
        err.fields.iter().map(|f| f.field).collect::<Vec<_>>(),
        vec![
            "max_secs_into_window",
            "max_frac_into_window",
            "max_spread",
            "max_prob"
        ]
    );
    let msg = err.to_string();
    assert!(
        msg.contains("max_prob = 0.3: expected in [0.5, 1]"),
        "{msg}"
    );
    assert!(
        msg.contains("max_frac_into_window = 2: expected a fraction in [0, 1]"),
        "{msg}"
    );
}
