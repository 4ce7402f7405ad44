//! Preflight for a deposit-wallet account (signature type 3): funds and approvals are looked
//! for in the deposit wallet, and a `relayer` row checks what its approvals and redemptions
//! need (the relayer's API key in the environment, the relayer reachable). A ready
//! deposit-wallet account passes every check.

use std::collections::HashMap;

use cassandra::clob::order::{Address, Chain, SignatureType};
use cassandra::clob::sign::PrivateKey;
use cassandra::config::Config;
use cassandra::preflight;
use cassandra::sim::{SimClob, Simulator, WalletKind};
use cassandra::wallet::approvals::approve_from_holder;
use cassandra::wallet::chain::ChainIo;
use cassandra::wallet::relayer::Relayer;
use cassandra::wallet::setup::RelayerCreds;
use cassandra::wallet::WalletSetup;

const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

#[test]
fn a_ready_deposit_wallet_account_passes_and_a_missing_relayer_key_is_named() {
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
    let dw = Address::from_bytes([0xd9; 20]);
    sim.clob().add_wallet(eoa, dw, WalletKind::DepositWallet);
    sim.clob().deposit(&dw, 50_000_000);
    sim.relayer().add_key("rk", &eoa);
    // The deposit wallet's approvals, through the relayer.
    let setup = WalletSetup {
        key,
        signature_type: SignatureType::Poly1271,
        funder: Some(dw),
        chain: Chain::Polygon,
    };
    let relayer = Relayer::new(
        &sim.relayer_url(),
        RelayerCreds {
            api_key: "rk".into(),
            address: eoa,
        },
    )
    .unwrap();
    let chain = ChainIo::new(&sim.rpc_url(), Chain::Polygon).unwrap();
    assert!(
        approve_from_holder(&setup, &chain, Some(&relayer), None)
            .unwrap()
            .ready
    );

    let dw_text = dw.as_str().to_string();
    let eoa_text = eoa.as_str().to_string();
    let mut env: HashMap<String, String> = [
        ("POLYMARKET_PRIVATE_KEY", KEY),
        ("POLYMARKET_API_KEY", creds.api_key()),
        ("POLYMARKET_API_SECRET", creds.secret()),
        ("POLYMARKET_API_PASSPHRASE", creds.passphrase()),
        ("POLYMARKET_SIGNATURE_TYPE", "3"),
        ("POLYMARKET_FUNDER", &dw_text),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let run = |cfg: &Config, env: &HashMap<String, String>| {
        let lookup = |k: &str| env.get(k).cloned();
        preflight::run(cfg, &lookup)
    };

    // No relayer key: the one failure, naming the variables.
    let r = run(&cfg, &env);
    let failed: Vec<&str> = r.failures().map(|f| f.check.as_str()).collect();
    assert_eq!(failed, vec!["relayer"], "{}", r.render());
    let row = r.row("relayer").unwrap();
    assert!(
        row.detail.contains("POLYMARKET_RELAYER_API_KEY"),
        "{}",
        r.render()
    );
    assert!(row.fix.contains("Settings, API Keys"), "{}", r.render());
    assert!(r.row("pUSD balance").unwrap().detail.contains(&dw_text));

    // Redemption off: winners wait as redeemable; no key needed.
    let mut off = cfg.clone();
    off.live.redeem = false;
    assert!(run(&off, &env).passed(), "{}", run(&off, &env).render());

    // With the key: every check passes, the relayer row says what was reached.
    env.insert("POLYMARKET_RELAYER_API_KEY".into(), "rk".into());
    env.insert(
        "POLYMARKET_RELAYER_API_KEY_ADDRESS".into(),
        eoa_text.clone(),
    );
    let r = run(&cfg, &env);
    assert!(r.passed(), "{}", r.render());
    let row = r.row("relayer").unwrap();
    assert!(
        row.detail.contains("nonce 1") && row.detail.contains(&eoa_text),
        "{}",
        r.render()
    );
    assert!(
        r.render().contains("Preflight passed: 12 checks."),
        "{}",
        r.render()
    );
    // The relayer unreachable: named, with the key untouched in the text.
    let mut bad = cfg.clone();
    bad.venues.relayer = "http://127.0.0.1:9".into();
    let r = run(&bad, &env);
    let row = r.row("relayer").unwrap();
    assert!(
        !row.ok && row.fix.contains("venues.relayer"),
        "{}",
        r.render()
    );
    assert!(!r.render().contains("\"rk\""));
}
