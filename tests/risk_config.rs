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
        e.fields,
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
    assert!(e.to_string().contains("max_drawdown_frac"));
}
