//! Approvals are made from the wallet that holds the funds: a deposit wallet's go through the
//! (simulated) relayer as a signed `WALLET` batch, an EOA's as its own transactions; then the
//! CLOB's cached balance view is refreshed and read back. Proxy and Safe wallets are refused
//! with what to do. The relayer refuses forged, replayed and unauthenticated batches and
//! changes nothing for them. Shapes: tests/data/venue/relayer/.

mod venue_clob_common;

use std::collections::BTreeSet;

use cassandra::clob::auth::Credentials;
use cassandra::clob::order::{Address, Chain, SignatureType};
use cassandra::sim::{SimClob, WalletKind};
use cassandra::wallet::approvals::{approve_from_holder, ApprovalError};
use cassandra::wallet::batch::{approve_max, sign_batch, Call, DEPOSIT_WALLET_FACTORY};
use cassandra::wallet::chain::ChainIo;
use cassandra::wallet::clob_funds::ClobFundsClient;
use cassandra::wallet::relayer::Relayer;
use cassandra::wallet::setup::RelayerCreds;
use cassandra::wallet::WalletSetup;
use serde_json::Value;
use venue_clob_common::{key, Venue};

const RELAYER_KEY: &str = "relayer-key-for-tests";

fn keys_of(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn fixture(name: &str) -> Value {
    let p = format!(
        "{}/tests/data/venue/relayer/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

struct Account {
    setup: WalletSetup,
    creds: Credentials,
}

fn deposit_account(v: &Venue, key_byte: u8, wallet_byte: u8) -> Account {
    let k = key(key_byte);
    let eoa = k.address();
    let creds = SimClob::derived_credentials(&eoa, 0);
    v.sim.clob().add_credentials(creds.clone(), eoa);
    let dw = Address::from_bytes([wallet_byte; 20]);
    v.sim.clob().add_wallet(eoa, dw, WalletKind::DepositWallet);
    v.sim.relayer().add_key(RELAYER_KEY, &eoa);
    Account {
        setup: WalletSetup {
            key: k,
            signature_type: SignatureType::Poly1271,
            funder: Some(dw),
            chain: Chain::Polygon,
        },
        creds,
    }
}

fn relayer(v: &Venue, eoa: &Address) -> Relayer {
    Relayer::new(
        &v.sim.relayer_url(),
        RelayerCreds {
            api_key: RELAYER_KEY.into(),
            address: *eoa,
        },
    )
    .unwrap()
}

fn clob(v: &Venue, a: &Account) -> ClobFundsClient {
    ClobFundsClient::new(
        &v.sim.http_url(),
        a.creds.clone(),
        a.setup.eoa(),
        a.setup.signature_type,
    )
    .unwrap()
}

#[test]
fn deposit_wallet_approvals_go_through_the_relayer_then_the_clob_cache_is_refreshed() {
    let v = Venue::start();
    let a = deposit_account(&v, 0x61, 0xd1);
    let dw = a.setup.holder();
    v.sim.clob().deposit(&dw, 50_000_000);
    let chain = ChainIo::new(&v.sim.rpc_url(), Chain::Polygon).unwrap();
    let clob = clob(&v, &a);
    // Before: the CLOB's cache knows neither the deposit nor any approval.
    let before = clob.read().unwrap();
    assert_eq!((before.balance_u6, before.min_allowance_u6), (0, 0));

    let rel = relayer(&v, &a.setup.eoa());
    let out = approve_from_holder(&a.setup, &chain, Some(&rel), Some(&clob)).unwrap();
    assert_eq!(out.sent.len(), 1, "one batch: {out:?}");
    assert!(out.ready, "{out:?}");
    assert_eq!(out.holder, dw.as_str());
    assert_eq!(out.clob_balance_u6.as_deref(), Some("50000000"));
    assert_eq!(out.clob_allowance_u6.as_deref(), Some("max"));
    // From the deposit wallet, not from the signing key.
    assert_eq!(v.sim.rpc().approvals_of(&dw).len(), 8, "4 pUSD + 4 CTF");
    assert!(v.sim.rpc().approvals_of(&a.setup.eoa()).is_empty());
    assert_eq!(v.sim.rpc().transactions(), 0, "nothing sent from the key");
    let txs = v.sim.relayer().transactions();
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0].state, "STATE_CONFIRMED");
    assert_eq!(txs[0].wallet, dw.as_str());
    // The CLOB reads the wallet as refreshed.
    let after = clob.read().unwrap();
    assert_eq!(after.balance_u6, 50_000_000);
    assert_eq!(after.min_allowance_u6, u128::MAX);
    // Nothing missing: nothing sent the second time.
    let again = approve_from_holder(&a.setup, &chain, Some(&rel), Some(&clob)).unwrap();
    assert!(again.sent.is_empty(), "{again:?}");
    assert_eq!(v.sim.relayer().transactions().len(), 1);

    // The relayer's answers have the client's shapes (tests/data/venue/relayer).
    let http = reqwest::blocking::Client::new();
    let t: Value = http
        .get(format!(
            "{}/transaction?id={}",
            v.sim.relayer_url(),
            txs[0].id
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        keys_of(&t[0]),
        keys_of(&fixture("transaction_client.json")[0])
    );
    let n: Value = http
        .get(format!(
            "{}/nonce?address={}&type=WALLET",
            v.sim.relayer_url(),
            a.setup.eoa()
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(keys_of(&n), keys_of(&fixture("nonce_client.json")));
    assert_eq!(n["nonce"], "1");
}

#[test]
fn the_relayer_refuses_forged_replayed_and_unauthenticated_batches_and_changes_nothing() {
    let v = Venue::start();
    let a = deposit_account(&v, 0x62, 0xd2);
    let dw = a.setup.holder();
    let pusd = Address::parse_hex(Chain::Polygon.contracts().collateral).unwrap();
    let ex = Address::parse_hex(Chain::Polygon.contracts().exchange_v2).unwrap();
    let calls = vec![Call::new(&pusd, &approve_max(&ex))];
    let deadline = venue_clob_common::now_s() + 240;
    let http = reqwest::blocking::Client::new();
    let submit = |body: &Value, key: &str| {
        let r = http
            .post(format!("{}/submit", v.sim.relayer_url()))
            .header("RELAYER_API_KEY", key)
            .header("RELAYER_API_KEY_ADDRESS", a.setup.eoa().as_str())
            .json(body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().unwrap())
    };
    let good = sign_batch(
        &a.setup.key,
        Chain::Polygon,
        &dw,
        0,
        deadline,
        calls.clone(),
    )
    .unwrap();
    let good = serde_json::to_value(&good).unwrap();
    // The request has the client's keys.
    assert_eq!(
        keys_of(&good),
        keys_of(&fixture("submit_wallet_batch_client.json"))
    );
    assert_eq!(
        keys_of(&good["depositWalletParams"]),
        keys_of(&fixture("submit_wallet_batch_client.json")["depositWalletParams"])
    );
    assert_eq!(good["to"], DEPOSIT_WALLET_FACTORY);
    // Wrong relayer key.
    assert_eq!(
        submit(&good, "nope"),
        (401, serde_json::json!({"error": "invalid relayer api key"}))
    );
    // Signed by a key that does not own the wallet.
    let forged = sign_batch(&key(0x63), Chain::Polygon, &dw, 0, deadline, calls.clone()).unwrap();
    let mut forged = serde_json::to_value(&forged).unwrap();
    forged["from"] = good["from"].clone();
    assert_eq!(submit(&forged, RELAYER_KEY).1["error"], "invalid signature");
    // A changed call under the old signature.
    let mut tampered = good.clone();
    tampered["depositWalletParams"]["calls"][0]["target"] =
        Value::String(Chain::Polygon.contracts().conditional_tokens.into());
    assert_eq!(
        submit(&tampered, RELAYER_KEY).1["error"],
        "invalid signature"
    );
    assert!(v.sim.rpc().approvals_of(&dw).is_empty(), "nothing changed");
    // The good one, once; its replay is refused.
    let (status, ok) = submit(&good, RELAYER_KEY);
    assert_eq!(status, 200, "{ok}");
    assert_eq!(keys_of(&ok), keys_of(&fixture("submit_answer_client.json")));
    assert_eq!(ok["state"], "STATE_NEW");
    assert_eq!(submit(&good, RELAYER_KEY).1["error"], "invalid nonce");
    assert_eq!(v.sim.rpc().approvals_of(&dw).len(), 1);
    // Expired.
    let old = sign_batch(&a.setup.key, Chain::Polygon, &dw, 1, 1_000, calls).unwrap();
    assert_eq!(
        submit(&serde_json::to_value(&old).unwrap(), RELAYER_KEY).1["error"],
        "deadline expired"
    );
}

#[test]
fn an_eoa_approves_from_its_own_address_and_proxy_or_safe_wallets_are_told_what_to_do() {
    let v = Venue::start();
    let t = v.eoa_trader(0x64);
    v.sim.clob().deposit(&t.maker, 7_000_000);
    let chain = ChainIo::new(&v.sim.rpc_url(), Chain::Polygon).unwrap();
    let setup = WalletSetup {
        key: key(0x64),
        signature_type: SignatureType::Eoa,
        funder: None,
        chain: Chain::Polygon,
    };
    let clob = ClobFundsClient::new(
        &v.sim.http_url(),
        t.creds.clone(),
        t.eoa(),
        SignatureType::Eoa,
    )
    .unwrap();
    let out = approve_from_holder(&setup, &chain, None, Some(&clob)).unwrap();
    assert_eq!(out.sent.len(), 8, "{out:?}");
    assert!(out.ready);
    assert_eq!(out.clob_balance_u6.as_deref(), Some("7000000"));
    assert_eq!(v.sim.rpc().approvals_of(&t.eoa()).len(), 8);

    for (ty, kind) in [
        (SignatureType::PolyProxy, WalletKind::Proxy),
        (SignatureType::PolyGnosisSafe, WalletKind::Safe),
    ] {
        let w = Address::from_bytes([0xa0 + ty as u8; 20]);
        v.sim.clob().add_wallet(t.eoa(), w, kind);
        let s = WalletSetup {
            signature_type: ty,
            funder: Some(w),
            ..setup.clone()
        };
        let e = approve_from_holder(&s, &chain, None, None).unwrap_err();
        let ApprovalError::Refused(r) = &e else {
            panic!("{e}")
        };
        let text = e.to_string();
        assert!(text.contains(w.as_str()), "{text}");
        assert!(r.fix.contains("polymarket.com"), "{text}");
        assert!(r.fix.contains("POLYMARKET_SIGNATURE_TYPE=3"), "{text}");
        assert!(v.sim.rpc().approvals_of(&w).is_empty());
    }
    // A deposit wallet without a relayer key: refused, saying which variables to set.
    let dw = Address::from_bytes([0xd4; 20]);
    v.sim
        .clob()
        .add_wallet(t.eoa(), dw, WalletKind::DepositWallet);
    let s = WalletSetup {
        signature_type: SignatureType::Poly1271,
        funder: Some(dw),
        ..setup
    };
    let e = approve_from_holder(&s, &chain, None, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("POLYMARKET_RELAYER_API_KEY"), "{e}");
}
