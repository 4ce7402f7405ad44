//! `cassandra preflight` against the simulator: everything set up right passes; each thing
//! that is wrong (geoblocked host, wrong clock, bad credentials, a feed down, wallet type and
//! funder that disagree, no pUSD, missing approvals) fails its own row, with its fix, and
//! only that row. The binary exits non-zero on a failure, and `run --mode live` refuses to
//! start.

use std::collections::HashMap;
use std::process::Command;

use cassandra::clob::allowances::{set_missing, Rpc};
use cassandra::clob::order::Chain;
use cassandra::clob::sign::PrivateKey;
use cassandra::config::Config;
use cassandra::preflight::{self, Report};
use cassandra::sim::{SimClob, Simulator};

// The public anvil/hardhat key #0 and another account's address.
const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const OTHER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

const CHECKS: [&str; 11] = [
    "geoblock",
    "clock",
    "signing key",
    "wallet type",
    "credentials",
    "pUSD balance",
    "allowances",
    "market BTC",
    "feed binance",
    "feed polymarket",
    "feed chainlink",
];

struct Venue {
    sim: Simulator,
    cfg: Config,
    env: HashMap<String, String>,
}

/// A simulator where this key's account is ready: credentials known, 50 pUSD, approvals.
fn venue() -> Venue {
    let mut cfg = Config {
        assets: vec!["BTC".into()],
        ..Config::default()
    };
    let sim = Simulator::start(cassandra::demo::sim_config(&cfg)).expect("sim");
    cassandra::demo::point_at(&mut cfg, &sim);
    cfg.preflight.geoblock_url = format!("{}/api/geoblock", sim.http_url());
    let key = PrivateKey::parse_hex(KEY).unwrap();
    let eoa = key.address();
    let creds = SimClob::derived_credentials(&eoa, 0);
    sim.clob().add_credentials(creds.clone(), eoa);
    sim.venue_misc().set_pusd_balance(&eoa, 50_000_000);
    set_missing(&Rpc::new(&sim.rpc_url()).unwrap(), Chain::Polygon, &key).unwrap();
    let env = [
        ("POLYMARKET_PRIVATE_KEY", KEY),
        ("POLYMARKET_API_KEY", creds.api_key()),
        ("POLYMARKET_API_SECRET", creds.secret()),
        ("POLYMARKET_API_PASSPHRASE", creds.passphrase()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Venue { sim, cfg, env }
}

impl Venue {
    fn run(&self) -> Report {
        let env = |k: &str| self.env.get(k).cloned();
        preflight::run(&self.cfg, &env)
    }
}

/// The report failed exactly `check`, and its row says `detail` and `fix`.
fn only_failure(r: &Report, check: &str, detail: &str, fix: &str) {
    let failed: Vec<&str> = r.failures().map(|f| f.check.as_str()).collect();
    assert_eq!(failed, vec![check], "{}", r.render());
    let row = r.row(check).unwrap();
    assert!(row.detail.contains(detail), "{}", r.render());
    assert!(row.fix.contains(fix), "{}", r.render());
    assert!(!r.passed());
    let table = r.render();
    assert!(table.contains("FAIL") && table.contains(&format!("fix: {}", row.fix)));
    assert!(table.contains("Preflight FAILED: 1 of"), "{table}");
}

#[test]
fn a_ready_account_passes_every_check() {
    let v = venue();
    let r = v.run();
    assert!(r.passed(), "{}", r.render());
    let names: Vec<&str> = r.rows.iter().map(|r| r.check.as_str()).collect();
    assert_eq!(names, CHECKS);
    assert!(r
        .row("pUSD balance")
        .unwrap()
        .detail
        .starts_with("50.000000 pUSD"));
    assert!(r.row("geoblock").unwrap().detail.contains("IE"));
    for feed in ["feed binance", "feed polymarket", "feed chainlink"] {
        assert!(r.row(feed).unwrap().detail.contains("round trip"), "{feed}");
    }
    assert!(r.render().contains("Preflight passed: 11 checks."));
    // No secret in the table.
    let table = r.render();
    for secret in [
        &v.env["POLYMARKET_API_SECRET"],
        &v.env["POLYMARKET_API_PASSPHRASE"],
    ] {
        assert!(!table.contains(secret.as_str()));
    }
    assert!(!table.contains(&KEY[2..]));
}

#[test]
fn a_geoblocked_host_fails_the_geoblock_row() {
    let v = venue();
    v.sim.venue_misc().set_geoblocked(true);
    only_failure(&v.run(), "geoblock", "BLOCKED", "eu-west-1");
}

#[test]
fn a_wrong_clock_fails_the_clock_row() {
    let v = venue();
    v.sim.venue_misc().set_clock_offset_ms(-120_000);
    only_failure(&v.run(), "clock", "at least 11", "timedatectl");
}

#[test]
fn bad_credentials_fail_the_credentials_row() {
    let mut v = venue();
    let wrong = SimClob::derived_credentials(&PrivateKey::parse_hex(KEY).unwrap().address(), 9);
    v.env.insert(
        "POLYMARKET_API_PASSPHRASE".into(),
        wrong.passphrase().into(),
    );
    only_failure(
        &v.run(),
        "credentials",
        "HTTP 401",
        "cassandra auth derive-key",
    );
}

#[test]
fn missing_credentials_name_the_variable() {
    let mut v = venue();
    v.env.remove("POLYMARKET_API_SECRET");
    let r = v.run();
    let row = r.row("credentials").unwrap();
    assert!(
        !row.ok && row.detail.contains("POLYMARKET_API_SECRET"),
        "{}",
        r.render()
    );
    // The price socket needs them too.
    assert!(!r.row("feed chainlink").unwrap().ok);
}

#[test]
fn a_feed_down_fails_its_row() {
    let mut v = venue();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    v.cfg.venues.binance_ws = format!("ws://127.0.0.1:{port}");
    only_failure(
        &v.run(),
        "feed binance",
        "connect failed",
        "venues.binance_ws",
    );
}

#[test]
fn a_slow_feed_fails_on_its_round_trip() {
    let mut v = venue();
    v.cfg.preflight.max_feed_rtt_ms = 1;
    v.sim.faults().set_stall_poly(true);
    v.cfg.preflight.timeout_ms = 300;
    let r = v.run();
    let row = r.row("feed polymarket").unwrap();
    assert!(
        !row.ok && row.detail.contains("no reply within 300 ms"),
        "{}",
        r.render()
    );
}

#[test]
fn no_pusd_fails_the_balance_row() {
    let v = venue();
    let eoa = PrivateKey::parse_hex(KEY).unwrap().address();
    v.sim.venue_misc().set_pusd_balance(&eoa, 999_999);
    only_failure(&v.run(), "pUSD balance", "0.999999 pUSD", "deposit");
}

#[test]
fn missing_approvals_fail_the_allowances_row() {
    let mut v = venue();
    // Another key: credentials, balance, but no approvals.
    let key = PrivateKey::parse_hex(&format!("0x{}", "11".repeat(32))).unwrap();
    let creds = SimClob::derived_credentials(&key.address(), 0);
    v.sim.clob().add_credentials(creds.clone(), key.address());
    v.sim
        .venue_misc()
        .set_pusd_balance(&key.address(), 5_000_000);
    v.env.insert(
        "POLYMARKET_PRIVATE_KEY".into(),
        format!("0x{}", "11".repeat(32)),
    );
    v.env
        .insert("POLYMARKET_API_KEY".into(), creds.api_key().into());
    v.env
        .insert("POLYMARKET_API_SECRET".into(), creds.secret().into());
    v.env.insert(
        "POLYMARKET_API_PASSPHRASE".into(),
        creds.passphrase().into(),
    );
    only_failure(
        &v.run(),
        "allowances",
        "pUSD→exchange_v2",
        "/api/live-trading/allowances",
    );
}

#[test]
fn wallet_type_and_funder_must_agree() {
    let mut v = venue();
    v.env.insert("POLYMARKET_SIGNATURE_TYPE".into(), "3".into());
    let r = v.run();
    let row = r.row("wallet type").unwrap();
    assert!(
        !row.ok && row.fix.contains("POLYMARKET_FUNDER"),
        "{}",
        r.render()
    );
    // Later checks that need the wallet say so instead of disappearing.
    for check in ["credentials", "pUSD balance", "allowances"] {
        let row = r.row(check).unwrap();
        assert!(
            !row.ok && row.detail.contains("wallet type"),
            "{check}: {}",
            r.render()
        );
    }

    v.env.insert("POLYMARKET_SIGNATURE_TYPE".into(), "0".into());
    v.env.insert("POLYMARKET_FUNDER".into(), OTHER.into());
    let r = v.run();
    assert!(!r.row("wallet type").unwrap().ok, "{}", r.render());

    // A deposit wallet with its funder: funds and approvals are looked for in the funder,
    // and approvals the key gave itself do not count.
    v.env.insert("POLYMARKET_SIGNATURE_TYPE".into(), "3".into());
    let funder = cassandra::clob::order::Address::parse_hex(OTHER).unwrap();
    v.sim.venue_misc().set_pusd_balance(&funder, 7_000_000);
    let r = v.run();
    assert!(r.row("wallet type").unwrap().ok, "{}", r.render());
    let bal = r.row("pUSD balance").unwrap();
    assert!(
        bal.ok && bal.detail == format!("7.000000 pUSD in {OTHER}"),
        "{}",
        r.render()
    );
    let appr = r.row("allowances").unwrap();
    assert!(!appr.ok && appr.detail.contains(OTHER), "{}", r.render());
    assert!(
        appr.fix.contains("wallet that holds the funds"),
        "{}",
        r.render()
    );
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cassandra-preflight-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cli(v: &Venue, args: &[&str], dir: &std::path::Path) -> (bool, String) {
    let path = dir.join("preflight.toml");
    let c = &v.cfg;
    let toml = format!(
        "assets = [\"BTC\"]\n[venues]\nbinance_ws = {:?}\npoly_ws = {:?}\nchainlink_ws = {:?}\n\
         gamma = {:?}\nclob = {:?}\npolygon_rpc = {:?}\n[windows]\nlength_s = {}\n\
         [preflight]\ngeoblock_url = {:?}\n[api]\nbind = \"127.0.0.1:0\"\n[whales]\nenabled = false\n\
         [alerts]\nenabled = false\n",
        c.venues.binance_ws,
        c.venues.poly_ws,
        c.venues.chainlink_ws,
        c.venues.gamma,
        c.venues.clob,
        c.venues.polygon_rpc,
        c.windows.length_s,
        c.preflight.geoblock_url
    );
    std::fs::write(&path, toml).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cassandra"));
    cmd.args(args).arg("--config").arg(&path);
    for (k, _) in std::env::vars() {
        if k.starts_with("POLYMARKET_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(&v.env);
    let out = cmd.output().expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_command_prints_the_table_and_exits_non_zero_on_a_failure() {
    let v = venue();
    let dir = temp_dir("cmd");
    let (ok, text) = cli(&v, &["preflight"], &dir);
    assert!(ok, "{text}");
    assert!(text.contains("Preflight passed: 11 checks."), "{text}");

    v.sim.venue_misc().set_geoblocked(true);
    let (ok, text) = cli(&v, &["preflight"], &dir);
    assert!(!ok, "{text}");
    assert!(
        text.contains("geoblock") && text.contains("FAIL") && text.contains("fix:"),
        "{text}"
    );
    assert!(text.contains("preflight failed: geoblock"), "{text}");
}

#[test]
fn live_mode_refuses_to_start_when_preflight_fails() {
    let v = venue();
    v.sim.venue_misc().set_geoblocked(true);
    let dir = temp_dir("live");
    let (ok, text) = cli(&v, &["run", "--mode", "live", "--duration", "0"], &dir);
    assert!(!ok, "{text}");
    assert!(text.contains("live mode refuses to start"), "{text}");
    assert!(
        !text.contains("Core plan"),
        "the pipeline must not start: {text}"
    );
    assert!(v.sim.clob().orders().is_empty());
}

#[test]
fn the_simulated_geoblock_answers_in_the_venues_shape() {
    let v = venue();
    let url = &v.cfg.preflight.geoblock_url;
    let shape = |j: &serde_json::Value| -> Vec<(String, &'static str)> {
        let mut keys: Vec<(String, &'static str)> = j
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let t = match v {
                    serde_json::Value::Bool(_) => "bool",
                    serde_json::Value::String(_) => "string",
                    _ => "other",
                };
                (k.clone(), t)
            })
            .collect();
        keys.sort();
        keys
    };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/venue/preflight/");
    for (blocked, file) in [
        (false, "geoblock_allowed.json"),
        (true, "geoblock_blocked.json"),
    ] {
        let real: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}{file}")).unwrap())
                .unwrap();
        v.sim.venue_misc().set_geoblocked(blocked);
        let sim: serde_json::Value = reqwest::blocking::get(url).unwrap().json().unwrap();
        assert_eq!(shape(&sim), shape(&real), "{file}");
        assert_eq!(sim["blocked"], real["blocked"], "{file}");
    }
}
