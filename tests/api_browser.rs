//! The dashboard in a real browser: headless Debian Chromium, driven by
//! `dashboard/tests/browser.mjs` (playwright-core), against a demo started here with an API
//! key. Skips loudly, without failing, when node, /usr/bin/chromium or `npm ci` in dashboard/
//! are missing. The screenshot goes to `target/browser/dashboard.png`.

mod support;

use std::path::Path;
use std::process::Command;

use cassandra::control::api::ApiKey;
use cassandra::demo::Demo;
use support::fast_demo_config;

const KEY: &str = "browser-test-key";

/// Written to the real stderr (not the captured one), so a skip shows in a passing run.
fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED api_browser: {why}");
}

#[test]
fn dashboard_shows_live_prices_toggles_theme_and_flips_the_kill_switch() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dash = root.join("dashboard");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return skip(&format!("{chromium} not found (apt-get install chromium)"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return skip("node not found");
    }
    if !dash.join("node_modules/playwright-core").exists() {
        return skip("playwright-core not installed (npm ci in dashboard/)");
    }
    let out_dir = root.join("target/browser");
    std::fs::create_dir_all(&out_dir).unwrap();
    let shot = out_dir.join("dashboard.png");

    let demo = Demo::start_with_key(fast_demo_config(30), ApiKey::new(KEY)).expect("demo starts");
    let url = demo.api().expect("api on").url();
    let out = Command::new("node")
        .current_dir(&dash)
        .arg("tests/browser.mjs")
        .args([url.as_str(), KEY])
        .arg(&shot)
        .output()
        .expect("run node");
    let summary = demo.stop();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    if out.status.code() == Some(77) {
        return skip(text.trim());
    }
    assert!(out.status.success(), "browser test failed:\n{text}");
    assert!(shot.exists());
    assert_eq!(summary.counters.hot_ring_full, 0);
}
