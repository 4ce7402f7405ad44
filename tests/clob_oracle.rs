//! Oracle test: ~200 seeded, varied orders built, signed and serialised by us and by
//! Polymarket's own py-clob-client-v2 (`tests/oracle/clob_oracle.py`); the `POST /order`
//! bodies, the L2 headers and the L1 headers must match byte for byte.
//!
//! Amounts: py computes them with floats and sometimes truncates one lot or one tick too far
//! (`0.57 * 100 = 56.99…`). Such a case is accepted only when py's amounts equal the exact
//! amounts for the price one unit lower in its last decimal and/or the size one 0.01 lot
//! lower — the signature of that float slip — and it is listed in the output. The body is then built by py with
//! our amounts, so signing and serialisation are still compared for every order.
//!
//! Uses the virtualenv made by `bash tests/oracle/setup.sh` (python at
//! `$CASSANDRA_ORACLE_PYTHON`, default `target/oracle-venv/bin/python`); when it is missing the
//! test runs that script itself (PyPI). Without python3 on the machine, or with
//! `CASSANDRA_SKIP_ORACLE=1`, it skips with a loud message; a failed setup fails the test.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cassandra::clob::amounts::{
    limit_order_amounts, lot_size_round_down_u6, market_order_amounts, Amounts, MarketRules,
    TickSize, Units, UNITS_PER_WHOLE,
};
use cassandra::clob::auth::{Credentials, L1Headers, L2Headers, L2Signer};
use cassandra::clob::body::{write_post_order_body, PostOptions};
use cassandra::clob::order::{
    Address, Bytes32, Chain, Exchange, OrderType, OrderV2, OrderVersion, Side, SignatureType,
    SignedOrder, TokenId, SALT_MAX,
};
use cassandra::clob::sign::{OrderSigner, PrivateKey};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const ORDERS: usize = 200;
const SEED: u64 = 0x0c1a_55a4_d7a0;
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

/// One generated order and everything we produced for it.
struct Case {
    request: Value,
    kind: &'static str,
    side: Side,
    tick: TickSize,
    price_u6: u64,
    qty_u6: u64,
    amounts: Amounts,
    body: String,
    l2: Vec<(String, String)>,
    l1: Vec<(String, String)>,
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::from("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn random_decimal(rng: &mut ChaCha8Rng) -> String {
    const SPECIAL: [&str; 10] = [
        "0.57", "1.13", "2.01", "0.29", "100", "5", "18233.33", "0.01", "9.9996", "12.8205",
    ];
    if rng.random_bool(0.25) {
        return SPECIAL[rng.random_range(0..SPECIAL.len())].to_string();
    }
    let whole: u64 = match rng.random_range(0..4) {
        0 => 0,
        1 => rng.random_range(1..10),
        2 => rng.random_range(10..1000),
        _ => rng.random_range(1000..50_000),
    };
    let decimals = rng.random_range(0..=6u32);
    if decimals == 0 {
        return whole.to_string();
    }
    let frac = rng.random_range(0..10u64.pow(decimals));
    format!("{whole}.{frac:0width$}", width = decimals as usize)
}

fn make_case(rng: &mut ChaCha8Rng, id: usize) -> Case {
    let chain = if rng.random_bool(0.7) {
        Chain::Polygon
    } else {
        Chain::Amoy
    };
    let key_bytes: [u8; 32] = rng.random();
    let key_hex = hex(&key_bytes);
    let signer = OrderSigner::new(PrivateKey::parse_hex(&key_hex).expect("random key"), chain);
    let eoa = *signer.address();
    let signature_type = [
        SignatureType::Eoa,
        SignatureType::PolyProxy,
        SignatureType::PolyGnosisSafe,
        SignatureType::Poly1271,
    ][id % 4];
    let funder = Address::from_bytes(rng.random());
    let (maker, order_signer) = match signature_type {
        SignatureType::Eoa => (eoa, eoa),
        SignatureType::Poly1271 => (funder, funder),
        _ => (funder, eoa),
    };
    let version = if rng.random_bool(0.8) {
        OrderVersion::V2
    } else {
        OrderVersion::V3
    };
    let neg_risk = rng.random_bool(0.4);
    let exchange = Exchange::select(version, neg_risk);
    let tick = TickSize::ALL[rng.random_range(0..TickSize::ALL.len())];
    let steps = UNITS_PER_WHOLE / tick.tick_u6();
    let price_u6 = rng.random_range(1..steps) * tick.tick_u6();
    let kind = if rng.random_bool(0.5) {
        "limit"
    } else {
        "market"
    };
    let side = if rng.random_bool(0.5) {
        Side::Buy
    } else {
        Side::Sell
    };
    let rules = MarketRules {
        tick,
        min_size_u6: 0,
    };
    // Draw until the quantity survives the lot (py has no such check to compare).
    let (qty_text, qty_u6, amounts) = loop {
        let text = random_decimal(rng);
        let q = cassandra::clob::amounts::parse_units_truncating(&text, 6).unwrap();
        let a = if kind == "limit" {
            limit_order_amounts(side, price_u6, q, rules)
        } else {
            market_order_amounts(side, price_u6, q, rules)
        };
        if let Ok(a) = a {
            if a.maker_amount_u6 > 0 && a.taker_amount_u6 > 0 {
                break (text, q, a);
            }
        }
    };
    let order_type = match (kind, rng.random_range(0..2)) {
        ("limit", 0) => OrderType::Gtc,
        ("limit", _) => OrderType::Gtd,
        (_, 0) => OrderType::Fok,
        _ => OrderType::Fak,
    };
    let expiration_s = if order_type == OrderType::Gtd {
        rng.random_range(1_700_000_000..1_900_000_000u64)
    } else {
        0
    };
    let post_only = order_type.rests() && rng.random_bool(0.3);
    let defer_exec = rng.random_bool(0.3);
    let bytes32 = |rng: &mut ChaCha8Rng| {
        if rng.random_bool(0.5) {
            Bytes32::ZERO
        } else {
            Bytes32(rng.random())
        }
    };
    let metadata = bytes32(rng);
    let builder = bytes32(rng);
    let token_digits: String = (0..rng.random_range(1..=77))
        .map(|i| {
            let d = rng.random_range(if i == 0 { 1 } else { 0 }..10u8);
            char::from(b'0' + d)
        })
        .collect();
    let token_id = TokenId::parse_decimal(&token_digits).unwrap();
    let salt = rng.random_range(0..=SALT_MAX);
    let timestamp_ms = rng.random_range(1_600_000_000_000..2_000_000_000_000u64);
    let order = OrderV2 {
        salt,
        maker,
        signer: order_signer,
        token_id,
        maker_amount_u6: amounts.maker_amount_u6,
        taker_amount_u6: amounts.taker_amount_u6,
        side,
        signature_type,
        timestamp_ms,
        metadata,
        builder,
        expiration_s,
    };
    let signature = signer.sign_order(exchange, &order).expect("signs");
    let verified = signer
        .domains()
        .recover_order_signer(exchange, &order, signature.as_bytes())
        .expect("recovers");
    assert_eq!(verified, eoa);

    // Credentials: a uuid-like key (sometimes with a quote, to exercise py's ' -> " in the
    // HMAC message), a random 32-byte urlsafe secret, a hex passphrase.
    let uuid: [u8; 16] = rng.random();
    let mut api_key = format!(
        "{}-{}-{}-{}-{}",
        &hex(&uuid[..4])[2..],
        &hex(&uuid[4..6])[2..],
        &hex(&uuid[6..8])[2..],
        &hex(&uuid[8..10])[2..],
        &hex(&uuid[10..])[2..]
    );
    if rng.random_bool(0.1) {
        api_key.push_str("'x'");
    }
    let secret_bytes: [u8; 32] = rng.random();
    let secret = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE.encode(secret_bytes)
    };
    let passphrase = hex(&rng.random::<[u8; 32]>())[2..].to_string();
    let creds = Credentials::new(api_key.clone(), secret.clone(), passphrase.clone()).unwrap();
    let l2_signer = L2Signer::new(&creds).unwrap();

    let opts = PostOptions {
        order_type,
        defer_exec,
        post_only,
    };
    let mut body = Vec::new();
    write_post_order_body(&mut body, &SignedOrder { order, signature }, &api_key, opts)
        .expect("valid body");
    let l2_timestamp = rng.random_range(1_600_000_000..2_000_000_000u64);
    let l2 = L2Headers::new(
        &l2_signer,
        &creds,
        &eoa,
        l2_timestamp,
        "POST",
        "/order",
        Some(&body),
    );
    let l1_timestamp = rng.random_range(1_600_000_000..2_000_000_000u64);
    let l1_nonce = if rng.random_bool(0.5) {
        0
    } else {
        rng.random_range(0..1_000_000u64)
    };
    let l1 = L1Headers::new(&signer, l1_timestamp, l1_nonce).unwrap();

    let qty_key = if kind == "limit" { "size" } else { "amount" };
    let request = json!({
        "id": id,
        "chain_id": chain.chain_id(),
        "private_key": key_hex,
        "signature_type": signature_type as u8,
        "funder": if signature_type == SignatureType::Eoa { Value::Null } else { json!(funder.as_str()) },
        "kind": kind,
        "side": side.as_str(),
        "token_id": token_digits,
        "price": Units(price_u6).to_string(),
        qty_key: qty_text,
        "tick_size": tick.as_str(),
        "neg_risk": neg_risk,
        "version": if version == OrderVersion::V3 { 3 } else { 2 },
        "expiration": expiration_s.to_string(),
        "salt": salt,
        "timestamp_ms": timestamp_ms.to_string(),
        "metadata": hex(&metadata.0),
        "builder_code": hex(&builder.0),
        "order_type": order_type.as_str(),
        "post_only": post_only,
        "defer_exec": defer_exec,
        "api_key": api_key,
        "api_secret": secret,
        "api_passphrase": passphrase,
        "l2_timestamp": l2_timestamp,
        "l1_timestamp": l1_timestamp,
        "l1_nonce": l1_nonce,
        "amounts": [amounts.maker_amount_u6.to_string(), amounts.taker_amount_u6.to_string()],
    });
    Case {
        request,
        kind,
        side,
        tick,
        price_u6,
        qty_u6,
        amounts,
        body: String::from_utf8(body).unwrap(),
        l2: l2
            .pairs()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        l1: l1
            .pairs()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Whether py's float amounts are ours at a price one unit lower in its last decimal (py's
/// market `round_down(price, price_dp)`) and/or a size one 0.01 lot lower (py's
/// `round_down(size, 2)`): the known float truncation, not a real disagreement.
fn explained_by_float_slip(case: &Case, py: &Amounts) -> Option<&'static str> {
    // The slipped price can be off a 0.005/0.0025 tick; compute it on the finer tick with
    // the same price and amount decimals.
    let fine = match case.tick {
        TickSize::HalfCent => TickSize::Thousandth,
        TickSize::QuarterCent => TickSize::TenThousandth,
        t => t,
    };
    let rules = MarketRules {
        tick: fine,
        min_size_u6: 0,
    };
    let price_step = 10u64.pow(6 - case.tick.price_decimals());
    let lot = lot_size_round_down_u6(case.qty_u6);
    let candidates = [
        (
            case.price_u6 - price_step,
            lot,
            "price one last-decimal unit lower",
        ),
        (
            case.price_u6,
            lot.saturating_sub(10_000),
            "size one lot lower",
        ),
        (
            case.price_u6 - price_step,
            lot.saturating_sub(10_000),
            "price and size both one step lower",
        ),
    ];
    candidates.into_iter().find_map(|(p, q, why)| {
        let a = if case.kind == "limit" {
            limit_order_amounts(case.side, p, q, rules)
        } else {
            market_order_amounts(case.side, p, q, rules)
        };
        (a.ok()? == *py).then_some(why)
    })
}

#[test]
fn orders_match_py_clob_client_v2_byte_for_byte() {
    let python = match oracle_python() {
        Some(p) => p,
        // CI (.ci/run) builds the oracle's virtualenv first: a skip there would prove nothing.
        None if std::env::var("CASSANDRA_CI_ALONE").as_deref() == Ok("1") => {
            panic!("the oracle virtualenv is missing under CI: run {SETUP} before the tests")
        }
        None if std::env::var("CASSANDRA_SKIP_ORACLE").as_deref() == Ok("1") => {
            eprintln!(
                "\n!!!!!!!! SKIPPED: clob oracle test (CASSANDRA_SKIP_ORACLE=1); the order \
                 path was NOT compared with py-clob-client-v2. Set it up with: {SETUP} !!!!!!!!\n"
            );
            return;
        }
        None if Command::new("python3").arg("--version").output().is_err() => {
            eprintln!(
                "\n!!!!!!!! SKIPPED: clob oracle test: no python3 on this machine, so the order \
                 path was NOT compared with py-clob-client-v2 !!!!!!!!\n"
            );
            return;
        }
        None => {
            // Python is here: build the oracle's virtualenv now (PyPI), then use it.
            let status = Command::new("bash")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/oracle/setup.sh"
                ))
                .status()
                .unwrap_or_else(|e| panic!("cannot run {SETUP}: {e}"));
            assert!(
                status.success(),
                "{SETUP} failed ({status}); the oracle test needs it"
            );
            oracle_python().unwrap_or_else(|| panic!("{SETUP} ran but left no interpreter"))
        }
    };

    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let cases: Vec<Case> = (0..ORDERS).map(|id| make_case(&mut rng, id)).collect();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/clob_oracle.py");
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; try {SETUP}", python.display()));
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases.iter().map(|c| format!("{}\n", c.request)).collect();
    // Write from a thread: py answers as it reads, and both pipes are finite.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let answers: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).expect("oracle prints JSON lines"))
        .collect();
    writer.join().unwrap().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "oracle exited with {status}");
    assert_eq!(answers.len(), cases.len(), "oracle answered too few orders");

    let mut failures = Vec::new();
    let mut float_slips = Vec::new();
    for (case, py) in cases.iter().zip(&answers) {
        let id = &case.request["id"];
        assert_eq!(&py["id"], id);
        let label = format!(
            "#{id} {} {} {} {}={} tick {}",
            case.kind,
            case.side.as_str(),
            case.request["price"],
            if case.kind == "limit" {
                "size"
            } else {
                "amount"
            },
            case.request[if case.kind == "limit" {
                "size"
            } else {
                "amount"
            }],
            case.tick
        );
        match py["py_amounts"].as_array() {
            Some(a) => {
                let py_amounts = Amounts {
                    maker_amount_u6: a[0].as_str().unwrap().parse().unwrap(),
                    taker_amount_u6: a[1].as_str().unwrap().parse().unwrap(),
                };
                if py_amounts != case.amounts {
                    match explained_by_float_slip(case, &py_amounts) {
                        Some(why) => float_slips.push(format!(
                            "{label}: py {py_amounts:?} = exact with {why}; ours {:?}",
                            case.amounts
                        )),
                        None => failures.push(format!(
                            "{label}: amounts differ: py {py_amounts:?}, ours {:?}",
                            case.amounts
                        )),
                    }
                }
            }
            None => failures.push(format!("{label}: py refused: {}", py["py_error"])),
        }
        if py["body"].as_str() != Some(case.body.as_str()) {
            failures.push(format!(
                "{label}: body differs\n  py:   {}\n  ours: {}",
                py["body"], case.body
            ));
        }
        for (what, ours, theirs) in [
            ("L2", &case.l2, &py["l2_headers"]),
            ("L1", &case.l1, &py["l1_headers"]),
        ] {
            let theirs = theirs.as_object().expect("headers object");
            if theirs.len() != ours.len() {
                failures.push(format!("{label}: {what} header count differs: {theirs:?}"));
            }
            for (name, value) in ours {
                if theirs.get(name).and_then(Value::as_str) != Some(value.as_str()) {
                    failures.push(format!(
                        "{label}: {what} {name} differs: py {:?}, ours {value:?}",
                        theirs.get(name)
                    ));
                }
            }
        }
    }

    eprintln!(
        "clob oracle: {} orders compared with py-clob-client-v2 (bodies, L2 and L1 headers); \
         {} amount disagreements explained by py's float rounding (ours is exact):",
        cases.len(),
        float_slips.len()
    );
    for s in &float_slips {
        eprintln!("  {s}");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with py-clob-client-v2:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
