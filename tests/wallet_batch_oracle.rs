//! Oracle test: deposit-wallet `WALLET` batches signed by us and by `eth_account`'s own EIP-712
//! encoder (`tests/oracle/wallet_batch_oracle.py`, in the oracle virtualenv that
//! `tests/oracle/setup.sh` makes) must be the same bytes, so the relayer (and the simulator,
//! which verifies with our code) sees what Polymarket's clients would send.
//!
//! The virtualenv is `$CASSANDRA_ORACLE_PYTHON` or `target/oracle-venv/bin/python`; when it is
//! missing the test runs `setup.sh` (PyPI). Without python3, or with
//! `CASSANDRA_SKIP_ORACLE=1`, it skips loudly; under CI (`CASSANDRA_CI_ALONE=1`) it fails.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cassandra::clob::order::{Address, Chain};
use cassandra::clob::sign::PrivateKey;
use cassandra::wallet::batch::{
    approve_max, redeem_positions, set_approval_for_all, sign_batch, Call,
};
use serde_json::{json, Value};

const SETUP: &str = "bash tests/oracle/setup.sh";

fn oracle_python() -> Option<PathBuf> {
    let path = std::env::var_os("CASSANDRA_ORACLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/oracle-venv/bin/python"
            ))
        });
    path.exists().then_some(path)
}

fn python() -> Option<PathBuf> {
    match oracle_python() {
        Some(p) => Some(p),
        None if std::env::var("CASSANDRA_CI_ALONE").as_deref() == Ok("1") => {
            panic!("the oracle virtualenv is missing under CI: run {SETUP} before the tests")
        }
        None if std::env::var("CASSANDRA_SKIP_ORACLE").as_deref() == Ok("1")
            || Command::new("python3").arg("--version").output().is_err() =>
        {
            eprintln!(
                "\n!!!!!!!! SKIPPED: wallet batch oracle test (no python3, or \
                 CASSANDRA_SKIP_ORACLE=1): batch signatures were NOT compared with eth_account. \
                 Set it up with: {SETUP} !!!!!!!!\n"
            );
            None
        }
        None => {
            let status = Command::new("bash")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/oracle/setup.sh"
                ))
                .status()
                .unwrap_or_else(|e| panic!("cannot run {SETUP}: {e}"));
            assert!(status.success(), "{SETUP} failed ({status})");
            oracle_python()
        }
    }
}

#[test]
fn batches_match_eth_accounts_eip712_signature_byte_for_byte() {
    let Some(python) = python() else {
        return;
    };
    let c = Chain::Polygon.contracts();
    let pusd = Address::parse_hex(c.collateral).unwrap();
    let ctf = Address::parse_hex(c.conditional_tokens).unwrap();
    let ex = Address::parse_hex(c.exchange_v2).unwrap();
    let cid = [0x5au8; 32];
    let mut cases = Vec::new();
    for (i, key_byte) in [0x11u8, 0x42, 0xac].into_iter().enumerate() {
        let key = PrivateKey::parse_hex(&format!("{key_byte:02x}").repeat(32)).unwrap();
        let wallet = Address::from_bytes([0xd0 + i as u8; 20]);
        let calls = match i {
            0 => vec![Call::new(&pusd, &approve_max(&ex))],
            1 => vec![
                Call::new(&pusd, &approve_max(&ex)),
                Call::new(&ctf, &set_approval_for_all(&ex)),
                Call::new(&ctf, &redeem_positions(&pusd, &cid)),
            ],
            _ => vec![Call {
                target: ctf.as_str().to_string(),
                value: "12345".into(),
                data: "0x".into(),
            }],
        };
        for (nonce, deadline) in [(0u128, 1_765_000_000u64), (7, 4_000_000_000)] {
            let req = sign_batch(
                &key,
                Chain::Polygon,
                &wallet,
                nonce,
                deadline,
                calls.clone(),
            )
            .unwrap();
            cases.push((
                json!({"key": format!("0x{}", format!("{key_byte:02x}").repeat(32)),
                    "chain_id": 137, "wallet": wallet.as_str(), "nonce": nonce.to_string(),
                    "deadline": deadline.to_string(),
                    "calls": serde_json::to_value(&calls).unwrap()}),
                req.signature,
            ));
        }
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/oracle/wallet_batch_oracle.py"
    );
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let input: String = cases.iter().map(|(r, _)| format!("{r}\n")).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let answers: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert!(child.wait().unwrap().success());
    assert_eq!(answers.len(), cases.len());
    for ((req, ours), theirs) in cases.iter().zip(&answers) {
        assert_eq!(theirs["signature"].as_str().unwrap(), ours, "{req}");
    }
}
