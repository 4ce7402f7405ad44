//! What `cassandra demo` prints to a console that is not a terminal: the banner says what is
//! configured (the API key here: not set, so the controls answer 503), a status line comes
//! every `--status-every` seconds between the banner and the summary, and the logs carry no
//! colour codes.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_cassandra");

#[test]
fn demo_prints_banner_and_status_lines_without_colour_codes() {
    let dir = std::env::temp_dir().join(format!(
        "cassandra-terminal-{}-{}",
        std::process::id(),
        cassandra::clock::mono_ns()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("demo.toml");
    std::fs::write(&config, "[api]\nbind = \"127.0.0.1:0\"\n").unwrap();
    let out = Command::new(BIN)
        .args([
            "demo",
            "--duration",
            "4.5",
            "--status-every",
            "1",
            "--config",
        ])
        .arg(&config)
        // No ./.env here, and no key in the environment: the banner must say so.
        .current_dir(&dir)
        .env_remove("API_KEY")
        // Logs on, so there is something that could carry colour codes.
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("API key      not set"), "{stdout}");
    assert!(stdout.contains("controls answer 503"), "{stdout}");
    let status: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" paper · binance "))
        .collect();
    assert!(status.len() >= 3, "want a status line a second:\n{stdout}");
    assert!(
        status
            .iter()
            .all(|l| l.contains("decisions ") && l.contains("frames ")),
        "{status:?}"
    );
    assert!(!stderr.is_empty(), "no log lines to check");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in redirected logs:\n{stderr}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "colour codes in redirected output:\n{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
