//! L2 HMAC signatures and headers against the vectors, credential loading from the
//! environment, and that no secret ever shows in `Debug` output or an error.
//!
//! Disagreements between sources: the older Rust client's header vector sends
//! `POLY_ADDRESS` lowercase, py/TS and the V2 Rust SDK checksummed (we do too). The py/TS HMAC vector signs a body with a space after the
//! colon (`{"hash": "0x123"}`), the Rust one without; both are right for their bytes: the
//! HMAC is over the exact body, which is why our body writer and signer share one buffer.

mod clob_common;

use cassandra::clob::auth::{
    l2_message, private_key_from_lookup, AuthError, Credentials, L1Headers, L2Headers, L2Signer,
    ENV_API_KEY, ENV_PASSPHRASE, ENV_PRIVATE_KEY, ENV_PRIVATE_KEY_FILE, ENV_SECRET,
    HMAC_SIGNATURE_LEN,
};
use cassandra::clob::order::{Address, Chain};
use cassandra::clob::sign::{OrderSigner, PrivateKey};
use clob_common::{all_versions_vectors, origin, s, v2_vectors, ANVIL_KEY_0};
use serde_json::Value;

const SECRET: &str = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr";
const PASSPHRASE: &str = "passphrase-that-must-never-leak";

fn creds(secret: &str) -> Credentials {
    Credentials::new("api-key".into(), secret.into(), "pass".into()).unwrap()
}

/// Some vectors give a URL; only its path (no query) is signed.
fn path_of_url(url: &str) -> String {
    let after_scheme = &url[url.find("://").unwrap() + 3..];
    after_scheme[after_scheme.find('/').unwrap()..].to_string()
}

fn ts_of(v: &Value) -> u64 {
    s(v, "timestamp").parse().unwrap()
}

#[test]
fn l2_hmac_signature_vectors() {
    let mut vectors = v2_vectors("l2_hmac_signature");
    vectors.extend(all_versions_vectors("l2_hmac_signature"));
    assert_eq!(vectors.len(), 7);
    for v in &vectors {
        let i = &v["inputs"];
        let secret = i
            .get("secret")
            .or(i.get("secret_base64url"))
            .and_then(Value::as_str)
            .unwrap();
        let path_owned = match i.get("path").or(i.get("request_path")) {
            Some(p) => p.as_str().unwrap().to_string(),
            None => path_of_url(s(i, "url")),
        };
        let path = path_owned.as_str();
        let body = i["body"].as_str().map(str::as_bytes);
        let signer = L2Signer::new(&creds(secret)).unwrap();
        let e = &v["expected"];
        // Header vectors nest under `headers` (v2 file) or sit at the top (all-versions).
        let expected_headers = e.get("headers").or(e.get("POLY_SIGNATURE").map(|_| e));
        let want = e
            .get("signature")
            .or(expected_headers.and_then(|h| h.get("POLY_SIGNATURE")))
            .and_then(Value::as_str)
            .unwrap();
        let mut out = [0u8; HMAC_SIGNATURE_LEN];
        let got = signer.sign_into(ts_of(i), s(i, "method"), path, body, &mut out);
        assert_eq!(got, want, "{}", origin(v));
        if let Some(m) = e.get("message").or(i.get("message_signed")) {
            assert_eq!(
                l2_message(ts_of(i), s(i, "method"), path, body),
                m.as_str().unwrap()
            );
        }
        if let Some(h) = expected_headers {
            let c = Credentials::new(
                s(i, "api_key").into(),
                secret.into(),
                s(i, "passphrase").into(),
            )
            .unwrap();
            let address = Address::parse_hex(s(i, "address")).unwrap();
            let headers = L2Headers::new(
                &L2Signer::new(&c).unwrap(),
                &c,
                &address,
                ts_of(i),
                s(i, "method"),
                path,
                body,
            );
            for (name, value) in headers.pairs() {
                if name == "POLY_ADDRESS" {
                    // The older Rust client sent it lowercase; py/TS and the V2 Rust SDK
                    // vector send EIP-55, as we do. Same address either way.
                    assert!(s(h, name).eq_ignore_ascii_case(value), "{name}");
                    if s(h, name).bytes().any(|b| b.is_ascii_uppercase()) {
                        assert_eq!(s(h, name), value);
                    }
                } else {
                    assert_eq!(s(h, name), value, "{name}");
                }
            }
        }
    }
}

#[test]
fn l2_hmac_message_vectors() {
    let mut vectors = v2_vectors("l2_hmac_message");
    vectors.extend(all_versions_vectors("l2_hmac_message"));
    for v in &vectors {
        let i = &v["inputs"];
        let body_json = i.get("body_json").or(i.get("json_body")).unwrap();
        let body = serde_json::to_string(body_json).unwrap();
        let path = match i.get("path") {
            Some(p) => p.as_str().unwrap().to_string(),
            None => path_of_url(s(i, "url")),
        };
        assert_eq!(
            l2_message(ts_of(i), s(i, "method"), &path, Some(body.as_bytes())),
            s(&v["expected"], "message")
        );
    }
}

#[test]
fn debug_never_prints_secrets() {
    let c = Credentials::new("the-api-key".into(), SECRET.into(), PASSPHRASE.into()).unwrap();
    let key = PrivateKey::parse_hex(ANVIL_KEY_0).unwrap();
    let key_hex = ANVIL_KEY_0.trim_start_matches("0x");
    let signer = OrderSigner::new(PrivateKey::parse_hex(ANVIL_KEY_0).unwrap(), Chain::Polygon);
    let l2 = L2Signer::new(&c).unwrap();
    let l1 = L1Headers::new(&signer, 1, 0).unwrap();
    let dumps = [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{signer:?}"),
        format!("{l2:?}"),
        format!("{l1:?}"),
    ];
    for d in &dumps {
        assert!(!d.contains(SECRET), "{d}");
        assert!(!d.contains(PASSPHRASE), "{d}");
        assert!(!d.contains(key_hex), "{d}");
        assert!(!d.contains(&key_hex[..16]), "{d}");
    }
    assert!(dumps[0].contains("the-api-key"));
    assert!(dumps[2].contains("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
}

fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn credentials_from_env_name_the_missing_variable() {
    let ok = Credentials::from_lookup(env(&[
        (ENV_API_KEY, "k"),
        (ENV_SECRET, SECRET),
        (ENV_PASSPHRASE, PASSPHRASE),
    ]))
    .unwrap();
    assert_eq!(ok.api_key(), "k");
    assert_eq!(ok.passphrase(), PASSPHRASE);

    let missing =
        Credentials::from_lookup(env(&[(ENV_API_KEY, "k"), (ENV_SECRET, SECRET)])).unwrap_err();
    assert!(matches!(missing, AuthError::MissingEnv(ENV_PASSPHRASE)));
    assert!(missing.to_string().contains("POLYMARKET_API_PASSPHRASE"));

    let empty = Credentials::from_lookup(env(&[
        (ENV_API_KEY, "  "),
        (ENV_SECRET, SECRET),
        (ENV_PASSPHRASE, PASSPHRASE),
    ]))
    .unwrap_err();
    assert!(matches!(empty, AuthError::MissingEnv(ENV_API_KEY)));

    let bad_secret = "not base64 at all: !!";
    let err = Credentials::from_lookup(env(&[
        (ENV_API_KEY, "k"),
        (ENV_SECRET, bad_secret),
        (ENV_PASSPHRASE, PASSPHRASE),
    ]))
    .unwrap_err();
    assert!(matches!(err, AuthError::InvalidSecret(ENV_SECRET)));
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(bad_secret) && !text.contains(PASSPHRASE),
        "{text}"
    );
}

#[test]
fn private_key_from_env_or_file() {
    let key = private_key_from_lookup(env(&[(ENV_PRIVATE_KEY, ANVIL_KEY_0)])).unwrap();
    assert_eq!(
        key.address().as_str(),
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    );

    let dir = std::env::temp_dir().join(format!("cassandra-clob-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("key.hex");
    std::fs::write(&file, format!("{ANVIL_KEY_0}\n")).unwrap();
    let path = file.to_str().unwrap();
    let from_file = private_key_from_lookup(env(&[(ENV_PRIVATE_KEY_FILE, path)])).unwrap();
    assert_eq!(from_file.address(), key.address());

    let missing = private_key_from_lookup(env(&[])).unwrap_err();
    assert!(matches!(missing, AuthError::MissingEnv(ENV_PRIVATE_KEY)));
    let both = private_key_from_lookup(env(&[
        (ENV_PRIVATE_KEY, ANVIL_KEY_0),
        (ENV_PRIVATE_KEY_FILE, path),
    ]))
    .unwrap_err();
    assert!(matches!(both, AuthError::AmbiguousPrivateKey));

    let nowhere = dir.join("absent.hex");
    let err = private_key_from_lookup(env(&[(ENV_PRIVATE_KEY_FILE, nowhere.to_str().unwrap())]))
        .unwrap_err();
    assert!(matches!(err, AuthError::KeyFile { .. }), "{err}");

    // A bad key: the error names the variable and never echoes the value.
    let almost = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ffZZ";
    let err = private_key_from_lookup(env(&[(ENV_PRIVATE_KEY, almost)])).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("POLYMARKET_PRIVATE_KEY"), "{text}");
    assert!(!text.contains("ac0974bec39a17e3"), "{text}");
    std::fs::write(&file, "ac0974bec39a17e36ba4a6b4d238ff944bacb4\n").unwrap();
    let err = private_key_from_lookup(env(&[(ENV_PRIVATE_KEY_FILE, path)])).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("POLYMARKET_PRIVATE_KEY_FILE"), "{text}");
    assert!(!text.contains("ac0974bec39a17e3"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn secret_alphabets_and_padding_like_python() {
    // py's urlsafe_b64decode accepts '+' '/' too, and the venue's secrets are padded.
    let padded = L2Signer::new(&creds("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")).unwrap();
    let unpadded = L2Signer::new(&creds("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).unwrap();
    assert_eq!(
        padded.sign(1, "GET", "/", None),
        unpadded.sign(1, "GET", "/", None)
    );
    let url = L2Signer::new(&creds("-_-_")).unwrap();
    let std = L2Signer::new(&creds("+/+/")).unwrap();
    assert_eq!(url.sign(1, "GET", "/", None), std.sign(1, "GET", "/", None));
}
