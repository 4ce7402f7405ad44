//! `cassandra order post` trades for the wallet the environment names: a deposit wallet
//! (`POLYMARKET_SIGNATURE_TYPE=3`, `POLYMARKET_FUNDER`) fills; the same account set up as a
//! plain EOA is refused by the venue in its words and the command says which variables to
//! change; a request that names its own wallet is refused before anything is sent.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use cassandra::clob::order::Address;
use cassandra::clob::sign::PrivateKey;
use cassandra::sim::{SimClob, SimConfig, Simulator, WalletKind};

const BIN: &str = env!("CARGO_BIN_EXE_cassandra");

fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }
    child.wait_with_output().expect("wait")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

#[test]
fn order_post_uses_the_wallet_in_the_environment_and_says_what_to_change() {
    let sim = Simulator::start(SimConfig {
        poly_update_hz: 0.0,
        ..SimConfig::default()
    })
    .unwrap();
    let hex = "a1".repeat(32);
    let eoa = PrivateKey::parse_hex(&hex).unwrap().address();
    let creds = SimClob::derived_credentials(&eoa, 0);
    sim.clob().add_credentials(creds.clone(), eoa);
    let dw = Address::from_bytes([0xd7; 20]);
    sim.clob().add_wallet(eoa, dw, WalletKind::DepositWallet);
    sim.clob().fund(&dw, 1_000_000_000);
    sim.clob().fund(&eoa, 1_000_000_000);
    let w = sim.current_window("ETH").unwrap();
    let (token, book) = [w.up_token, w.down_token]
        .into_iter()
        .map(|t| {
            let b = sim.poly_book(&t).unwrap();
            (t, b)
        })
        .max_by_key(|(_, b)| b.best_ask().map_or(0, |l| l.price_e4))
        .unwrap();
    let ask = book.best_ask().unwrap();
    let tick = if book.tick_e4 == 100 { "0.01" } else { "0.001" };
    let price = cassandra::sim::book::fmt_price(ask.price_e4.div_ceil(100) * 100);
    let line = format!(
        r#"{{"token_id":"{token}","side":"BUY","price":"{price}","size":"6","tick_size":"{tick}","order_type":"FOK"}}"#
    );
    let url = sim.http_url();
    let base = [
        ("POLYMARKET_PRIVATE_KEY", hex.as_str()),
        ("POLYMARKET_API_KEY", creds.api_key()),
        ("POLYMARKET_API_SECRET", creds.secret()),
        ("POLYMARKET_API_PASSPHRASE", creds.passphrase()),
    ];
    let args = ["order", "post", "--yes", "--clob", url.as_str()];

    // Set up as a plain EOA: the venue refuses; the command names what to change.
    let out = run(&args, &base, &format!("{line}\n"));
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("HTTP 400\n"), "{stdout}");
    assert!(
        stdout.contains("maker address not allowed, please use the deposit wallet flow"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("What to change:") && stderr.contains("POLYMARKET_SIGNATURE_TYPE=3"),
        "{stderr}"
    );
    assert!(stderr.contains("POLYMARKET_FUNDER"), "{stderr}");
    assert!(!stderr.contains(creds.secret()) && !stdout.contains(creds.secret()));

    // The deposit wallet from the environment: it fills, paid by the deposit wallet.
    let dw_text = dw.as_str().to_string();
    let mut env = base.to_vec();
    env.push(("POLYMARKET_SIGNATURE_TYPE", "3"));
    env.push(("POLYMARKET_FUNDER", &dw_text));
    let out = run(&args, &env, &format!("{line}\n"));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", text(&out.stderr));
    assert!(stdout.starts_with("HTTP 200\n"), "{stdout}");
    let held: u64 = sim
        .clob()
        .balance(&dw)
        .unwrap()
        .tokens
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert!(held > 0);
    assert_eq!(sim.clob().balance(&eoa).unwrap().tokens.len(), 0);

    // A request naming its own wallet is refused before sending.
    let n = sim.clob().orders().len();
    let with_funder = line.replace(
        '}',
        &format!(",\"signature_type\":3,\"funder\":\"{dw_text}\"}}"),
    );
    let out = run(&args, &env, &format!("{with_funder}\n"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("POLYMARKET_FUNDER"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sim.clob().orders().len(), n, "nothing sent");
    // A bad wallet setting is named, not guessed around.
    let mut bad = base.to_vec();
    bad.push(("POLYMARKET_SIGNATURE_TYPE", "3"));
    let out = run(&args, &bad, &format!("{line}\n"));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("POLYMARKET_FUNDER is not set"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sim.clob().orders().len(), n);
}

#[test]
fn wallet_approve_sends_from_the_deposit_wallet_and_status_reads_it_back() {
    let sim = Simulator::start(SimConfig {
        poly_update_hz: 0.0,
        ..SimConfig::default()
    })
    .unwrap();
    let hex = "a2".repeat(32);
    let eoa = PrivateKey::parse_hex(&hex).unwrap().address();
    let creds = SimClob::derived_credentials(&eoa, 0);
    sim.clob().add_credentials(creds.clone(), eoa);
    let dw = Address::from_bytes([0xd8; 20]);
    sim.clob().add_wallet(eoa, dw, WalletKind::DepositWallet);
    sim.clob().deposit(&dw, 12_000_000);
    sim.relayer().add_key("cli-relayer-key", &eoa);
    let dir = std::env::temp_dir().join(format!("cassandra-cli-wallets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("wallet.toml");
    std::fs::write(
        &cfg,
        format!(
            "[venues]\nclob = {:?}\npolygon_rpc = {:?}\nrelayer = {:?}\n",
            sim.http_url(),
            sim.rpc_url(),
            sim.relayer_url()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap().to_string();
    let dw_text = dw.as_str().to_string();
    let eoa_text = eoa.as_str().to_string();
    let mut env = vec![
        ("POLYMARKET_PRIVATE_KEY", hex.as_str()),
        ("POLYMARKET_API_KEY", creds.api_key()),
        ("POLYMARKET_API_SECRET", creds.secret()),
        ("POLYMARKET_API_PASSPHRASE", creds.passphrase()),
        ("POLYMARKET_SIGNATURE_TYPE", "3"),
        ("POLYMARKET_FUNDER", dw_text.as_str()),
    ];
    // No relayer key: refused, naming the variables; nothing approved.
    let out = run(&["wallet", "approve", "--config", &cfg], &env, "");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("POLYMARKET_RELAYER_API_KEY"),
        "{}",
        text(&out.stderr)
    );
    assert!(sim.rpc().approvals_of(&dw).is_empty());

    env.push(("POLYMARKET_RELAYER_API_KEY", "cli-relayer-key"));
    env.push(("POLYMARKET_RELAYER_API_KEY_ADDRESS", eoa_text.as_str()));
    let out = run(&["wallet", "approve", "--config", &cfg], &env, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["holder"], dw_text);
    assert_eq!(v["ready"], true);
    assert_eq!(v["sent"].as_array().unwrap().len(), 1);
    assert_eq!(v["clob_balance_u6"], "12000000");
    assert_eq!(sim.rpc().approvals_of(&dw).len(), 8);
    assert!(sim.rpc().approvals_of(&eoa).is_empty());

    let out = run(&["wallet", "status", "--config", &cfg], &env, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["holder"], dw_text);
    assert_eq!(v["signer"], eoa_text);
    assert_eq!(v["pusd_on_chain_u6"], "12000000");
    assert_eq!(v["clob_balance_u6"], "12000000");
    assert_eq!(v["clob_allowance_u6"], "max");
    assert_eq!(v["approvals_ready"], true);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(creds.secret()) && !all.contains(&hex));
    let _ = std::fs::remove_dir_all(&dir);
}
