//! Shared helpers for the `clob_*` integration tests: the Polymarket vector files.
#![allow(dead_code)]

use serde_json::Value;

pub const VECTORS_V2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/polymarket_vectors/vectors-v2.json"
);
pub const VECTORS_ALL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/polymarket_vectors/vectors-all-versions.json"
);

/// The anvil/hardhat key #0 every signature vector uses (public test key).
pub const ANVIL_KEY_0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read test vectors {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// `vectors-v2.json` entries of one kind (`{source, path, kind, inputs, expected}`).
pub fn v2_vectors(kind: &str) -> Vec<Value> {
    let all = load(VECTORS_V2);
    let list = all["vectors"].as_array().expect("vectors array").clone();
    let out: Vec<Value> = list.into_iter().filter(|v| v["kind"] == kind).collect();
    assert!(!out.is_empty(), "no vectors of kind {kind} in {VECTORS_V2}");
    out
}

/// `vectors-v2.json` entries whose kind starts with `prefix`.
pub fn v2_vectors_prefixed(prefix: &str) -> Vec<Value> {
    let all = load(VECTORS_V2);
    let list = all["vectors"].as_array().expect("vectors array").clone();
    list.into_iter()
        .filter(|v| v["kind"].as_str().is_some_and(|k| k.starts_with(prefix)))
        .collect()
}

/// `vectors-all-versions.json` entries of one kind.
pub fn all_versions_vectors(kind: &str) -> Vec<Value> {
    let all = load(VECTORS_ALL);
    let list = all.as_array().expect("top-level array").clone();
    let out: Vec<Value> = list.into_iter().filter(|v| v["kind"] == kind).collect();
    assert!(
        !out.is_empty(),
        "no vectors of kind {kind} in {VECTORS_ALL}"
    );
    out
}

pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

/// Where a vector came from, for assertion messages.
pub fn origin(v: &Value) -> String {
    let src = v["source"]
        .as_str()
        .or(v["source_repo"].as_str())
        .unwrap_or("?");
    let path = v["path"]
        .as_str()
        .or(v["source_path"].as_str())
        .unwrap_or("?");
    format!("{src} {path}")
}
