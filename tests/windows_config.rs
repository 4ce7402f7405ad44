//! `[windows]`: the market kind and its length are checked together when the file is read, so
//! a 4-hour discovery with a 15-minute length fails at start with both keys named.

use cassandra::config::Config;

fn with(kind: &str, length_s: u64) -> Result<Config, String> {
    Config::from_toml(&format!(
        "[windows]\nslug_kind = {kind:?}\nlength_s = {length_s}\n"
    ))
    .map_err(|e| e.to_string())
}

#[test]
fn every_venue_kind_loads_with_its_length() {
    for (kind, len) in [
        ("updown-5m", 300),
        ("updown-15m", 900),
        ("updown-4h", 14_400),
        ("up-or-down-hourly", 3_600),
        ("up-or-down-daily", 86_400),
    ] {
        let c = with(kind, len).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(
            (c.windows.slug_kind.as_str(), c.windows.length_s),
            (kind, len)
        );
    }
    // The simulator's short windows keep a venue label.
    assert!(with("updown-15m", 60).is_ok());
}

#[test]
fn a_kind_with_the_wrong_length_or_an_unknown_kind_is_refused_by_name() {
    let e = with("updown-4h", 900).unwrap_err();
    assert!(
        e.contains("windows.slug_kind = \"updown-4h\" needs windows.length_s = 14400, not 900"),
        "{e}"
    );
    let e = with("up-or-down-daily", 3_600).unwrap_err();
    assert!(e.contains("86400"), "{e}");
    let e = with("btc-weekly", 900).unwrap_err();
    assert!(e.contains("up-or-down-hourly"), "{e}");
}
