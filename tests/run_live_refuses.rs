//! `cassandra run` in `live` (or `shadow`) mode refuses to start without a signing key and CLOB
//! credentials, and says which are missing; it never reads them from the command line. It fails
//! before opening any connection.

use std::process::Command;

fn run(mode: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cassandra"));
    cmd.args(["run", "--mode", mode, "--duration", "0"]);
    for (k, _) in std::env::vars() {
        if k.starts_with("POLYMARKET_") || k == "API_KEY" {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

#[test]
fn live_without_secrets_names_what_is_missing() {
    let (ok, text) = run("live", &[]);
    assert!(!ok, "{text}");
    for var in ["POLYMARKET_PRIVATE_KEY", "POLYMARKET_API_KEY"] {
        assert!(text.contains(var), "{var} not named in:\n{text}");
    }
    assert!(text.contains("live mode needs"), "{text}");
}

#[test]
fn shadow_with_a_key_but_no_credentials_names_the_credentials() {
    let (ok, text) = run(
        "shadow",
        &[(
            "POLYMARKET_PRIVATE_KEY",
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        )],
    );
    assert!(!ok, "{text}");
    assert!(text.contains("POLYMARKET_API_KEY"), "{text}");
    assert!(!text.contains("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"));
}
