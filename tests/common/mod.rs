//! Shared helpers for the strategy tests: loading Polymarket's test vectors.
#![allow(dead_code)]

use serde_json::Value;

/// Polymarket's client test vectors, copied into the repository with their provenance
/// (`tests/data/polymarket_vectors/README.md`).
pub const POLY_TESTDATA: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/polymarket_vectors");

fn load(file: &str) -> Value {
    let path = format!("{POLY_TESTDATA}/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// Vectors of `kind` from `vectors-v2.json` (`{vectors: [...]}`).
pub fn v2_vectors(kind: &str) -> Vec<Value> {
    let all = load("vectors-v2.json");
    all["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .filter(|v| v["kind"] == kind)
        .cloned()
        .collect()
}

/// Vectors of `kind` from `vectors-all-versions.json` (a top-level array).
pub fn all_versions_vectors(kind: &str) -> Vec<Value> {
    let all = load("vectors-all-versions.json");
    all.as_array()
        .expect("top-level array")
        .iter()
        .filter(|v| v["kind"] == kind)
        .cloned()
        .collect()
}

/// A decimal string field as f64 (the vectors store numbers as strings).
pub fn num(v: &Value, key: &str) -> f64 {
    let s = v[key]
        .as_str()
        .unwrap_or_else(|| panic!("field {key} missing in {v}"));
    s.parse().unwrap_or_else(|e| panic!("field {key}={s}: {e}"))
}

/// A decimal string (at most 6 decimals) as an integer count of 1e-6 units, exactly.
pub fn e6(s: &str) -> u64 {
    decimal_scaled(s, 6)
}

/// A decimal string (at most 4 decimals) as an integer count of 1e-4 units, exactly.
pub fn e4(s: &str) -> u32 {
    decimal_scaled(s, 4) as u32
}

fn decimal_scaled(s: &str, dp: u32) -> u64 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() as u32 <= dp, "{s} has more than {dp} decimals");
    let mut frac = frac.to_string();
    while (frac.len() as u32) < dp {
        frac.push('0');
    }
    int.parse::<u64>().unwrap() * 10u64.pow(dp) + frac.parse::<u64>().unwrap_or(0)
}
