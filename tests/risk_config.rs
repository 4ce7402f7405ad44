//! The `[risk]` configuration: documented defaults, unknown keys refused, every bad field named.

use cassandra::risk::RiskConfig;

#[test]
fn defaults_are_valid_and_as_documented() {
    let c = RiskConfig::default();
    c.validate().unwrap();
    assert_eq!(c.max_open_positions, 3);
    assert_eq!(c.max_consecutive_losses, 5);
    assert_eq!(c.max_drawdown_frac, 0.20);
    let parsed: RiskConfig = toml::from_str("").unwrap();
    assert_eq!(parsed, c);
}

#[test]
fn keys_parse_and_unknown_keys_are_refused() {
    let c: RiskConfig =
        toml::from_str("max_order_notional_usdc = 10.0\nvenue_error_max = 2\n").unwrap();
    assert_eq!(c.max_order_notional_usdc, 10.0);
    assert_eq!(c.venue_error_max, 2);
    let e = toml::from_str::<RiskConfig>("max_notional = 1.0\n").unwrap_err();
    assert!(e.to_string().contains("max_notional"), "{e}");
}

#[test]
fn validate_names_every_bad_field() {
    let c = RiskConfig {
        max_order_notional_usdc: 0.0,
        max_window_exposure_usdc: f64::NAN,
        max_asset_exposure_usdc: -1.0,
        max_total_exposure_usdc: f64::INFINITY,
        max_open_positions: 0,
        max_orders_per_minute: 5000, // more than the rate ring holds
        daily_loss_limit_usdc: 0.0,
        max_consecutive_losses: 0,
        max_drawdown_frac: 1.5,
        venue_error_max: 0,
        venue_error_window_ms: 0,
        ..Default::default()
    };
    let e = c.validate().unwrap_err();
    assert_eq!(
        e.fields.iter().map(|f| f.field).collect::<Vec<_>>(),
        [
            "max_order_notional_usdc",
            "max_window_exposure_usdc",
            "max_asset_exposure_usdc",
            "max_total_exposure_usdc",
            "max_open_positions",
            "max_orders_per_minute",
            "daily_loss_limit_usdc",
            "max_consecutive_losses",
            "max_drawdown_frac",
            "venue_error_max",
            "venue_error_window_ms",
        ]
    );
    // Each bad field comes with its value and what is allowed.
    let msg = e.to_string();
    assert!(
        msg.contains("max_drawdown_frac = 1.5: expected a fraction in (0, 1]"),
        "{msg}"
    );
    assert!(
        msg.contains("max_orders_per_minute = 5000: expected an integer in [1, 1024]"),
        "{msg}"
    );
    assert!(
        msg.contains("max_window_exposure_usdc = NaN: expected a finite number > 0"),
        "{msg}"
    );
}

/// From a configuration file, the error names the section, the key, the value and the range.
#[test]
fn config_file_errors_give_the_value_and_the_range() {
    let e = cassandra::config::Config::from_toml(
        "[risk]\nmax_drawdown_frac = 2.0\n[strategy.gates]\nmax_prob = 0.2\n[strategy.sizing]\nkelly_fraction = 3.0\n",
    )
    .unwrap_err()
    .to_string();
    for needle in [
        "risk.max_drawdown_frac = 2: expected a fraction in (0, 1]",
        "strategy.gates.max_prob = 0.2: expected in [0.5, 1]",
        "strategy.sizing.kelly_fraction = 3: expected a fraction in [0, 1]",
    ] {
        assert!(e.contains(needle), "{needle:?} missing from {e}");
    }
}
