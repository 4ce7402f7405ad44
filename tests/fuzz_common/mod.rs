//! The mutation fuzzer shared by the property tests (`tests/fuzz_parsers.rs`, a short
//! deterministic slice under `cargo test`) and the bench-style runner (`bench/fuzz.rs`,
//! `cargo bench --bench fuzz -- --cases 1000000`), so both exercise the same inputs.
//!
//! The corpus is every frame kept under `tests/data/venue/` (real captures, provenance in each
//! folder's README) and `tests/data/synthetic/`. A case is a corpus frame (one in twenty left
//! as it is) with one to four mutations stacked: bit flips, structural bytes written over,
//! truncation, splicing with another frame, inserted/deleted/duplicated ranges, a number
//! swapped for a string, `null`, a 400-digit or `1e400` number, a string swapped for a number,
//! a 64 KiB string or bad escapes, a duplicated key, deep nesting (rarely ~200,000 levels),
//! a frame repeated inside an array, or plain random bytes; cut at 4 MiB, the largest frame
//! the WebSocket client delivers.
//!
//! Each parser is a [`targets::Target`]: `check` parses one input and asserts what must hold
//! (a panic is a crash). Nothing here reads outside the repository.

#![allow(dead_code)] // each includer uses its part

pub mod targets;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Every `.json`/`.txt` frame under `tests/data/venue` and `tests/data/synthetic`, with its
/// path relative to `tests/data`, sorted by path (so a seed means the same cases everywhere).
pub fn corpus() -> Vec<(String, Vec<u8>)> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "json" || x == "txt") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut out = Vec::new();
    walk(&data, &data.join("venue"), &mut out);
    walk(&data, &data.join("synthetic"), &mut out);
    assert!(out.len() >= 60, "corpus: {} frames found", out.len());
    out
}

/// Largest case: the WebSocket client's default `max_frame_bytes`.
pub const MAX_CASE_BYTES: usize = 4 << 20;

/// Bytes a structural mutation writes.
const STRUCTURAL: &[u8] = b"\"\\{}[],:0-.eE \x00\xff\n";

/// Values a number is swapped for.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1e400",
    "-1e400",
    "1.7976931348623157e309",
    "18446744073709551616",
    "9223372036854775808",
    "-9223372036854775809",
    "0.0000000000000000000000001",
    "1e-400",
    "NaN",
    "Infinity",
    "null",
    "true",
    "\"1\"",
    "\"\"",
    "[]",
    "{}",
    "01",
    "1.",
    ".5",
    "+1",
];

/// Values a string is swapped for.
const STRINGS: &[&str] = &[
    "\"\"",
    "0",
    "null",
    "-1",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"\\\"\"",
    "\"1e400\"",
    "\"99999999999999999999999999999999999999.99999999999999999999\"",
    "\"-0.5\"",
    "\"0x\"",
    "[\"a\"]",
    "{\"a\":1}",
    "\"NaN\"",
    "\"inf\"",
    "\" 1\"",
];

/// Generates the cases of one target from a seed.
pub struct Mutator {
    rng: ChaCha8Rng,
    corpus: Vec<Vec<u8>>,
    /// Indices of the target's own frames (picked three times in four).
    own: Vec<usize>,
}

impl Mutator {
    pub fn new(seed: u64, corpus: &[(String, Vec<u8>)], own: impl Fn(&str) -> bool) -> Mutator {
        let own_ix: Vec<usize> = (0..corpus.len()).filter(|&i| own(&corpus[i].0)).collect();
        assert!(!own_ix.is_empty(), "a target with no frames of its own");
        Mutator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            corpus: corpus.iter().map(|(_, b)| b.clone()).collect(),
            own: own_ix,
        }
    }

    fn pick(&mut self) -> &[u8] {
        let i = if self.rng.random_ratio(3, 4) {
            self.own[self.rng.random_range(0..self.own.len())]
        } else {
            self.rng.random_range(0..self.corpus.len())
        };
        &self.corpus[i]
    }

    /// The next case into `out`.
    pub fn next_case(&mut self, out: &mut Vec<u8>) {
        out.clear();
        let base = self.pick().to_vec();
        out.extend_from_slice(&base);
        if self.rng.random_ratio(1, 20) {
            return;
        }
        let n = self.rng.random_range(1..=4);
        for _ in 0..n {
            self.mutate_once(out);
            // The WebSocket client hands no frame past `feeds.max_frame_bytes` (4 MiB) to a
            // parser; stacked mutations (nesting, then repetition) would build far larger
            // ones, and the harness's own buffers would swamp the parser's memory figures.
            out.truncate(MAX_CASE_BYTES);
        }
    }

    fn pos(&mut self, len: usize) -> usize {
        if len == 0 {
            0
        } else {
            self.rng.random_range(0..len)
        }
    }

    fn mutate_once(&mut self, b: &mut Vec<u8>) {
        match self.rng.random_range(0..100) {
            0..12 => {
                for _ in 0..self.rng.random_range(1..=8) {
                    if !b.is_empty() {
                        let i = self.pos(b.len());
                        b[i] ^= 1 << self.rng.random_range(0..8);
                    }
                }
            }
            12..22 => {
                if !b.is_empty() {
                    let i = self.pos(b.len());
                    b[i] = STRUCTURAL[self.rng.random_range(0..STRUCTURAL.len())];
                }
            }
            22..30 => {
                let at = self.pos(b.len() + 1);
                b.truncate(at);
            }
            30..38 => {
                let at = self.pos(b.len() + 1);
                let other = self.pick().to_vec();
                let from = self.pos(other.len() + 1);
                b.truncate(at);
                b.extend_from_slice(&other[from..]);
            }
            38..43 => {
                let at = self.pos(b.len() + 1);
                let n = self.rng.random_range(1..=16);
                let junk: Vec<u8> = (0..n).map(|_| self.rng.random()).collect();
                b.splice(at..at, junk);
            }
            43..48 => {
                let a = self.pos(b.len() + 1);
                let z = (a + self.rng.random_range(0..=32)).min(b.len());
                b.drain(a..z);
            }
            48..52 => {
                let a = self.pos(b.len() + 1);
                let z = (a + self.rng.random_range(0..=64)).min(b.len());
                let dup = b[a..z].to_vec();
                b.splice(z..z, dup);
            }
            52..66 => self.swap_number(b),
            66..78 => self.swap_string(b),
            78..82 => self.duplicate_key(b),
            82..88 => self.nest(b),
            88..93 => {
                let n = self.rng.random_range(2..=40);
                let one = b.clone();
                b.clear();
                b.push(b'[');
                for k in 0..n {
                    if b.len() + one.len() > MAX_CASE_BYTES {
                        break;
                    }
                    if k > 0 {
                        b.push(b',');
                    }
                    b.extend_from_slice(&one);
                }
                b.push(b']');
            }
            93..96 => {
                let n = self.rng.random_range(0..=256);
                b.clear();
                b.extend((0..n).map(|_| self.rng.random::<u8>()));
            }
            _ => {
                // A long string value: 64 KiB of one byte or of escapes.
                let n = self.rng.random_range(1..=64 << 10);
                let fill: &[u8] = if self.rng.random() { b"a" } else { b"\\u00e9" };
                let mut s = Vec::with_capacity(n + 2);
                s.push(b'"');
                while s.len() < n {
                    s.extend_from_slice(fill);
                }
                s.push(b'"');
                self.replace_token(b, |c| c == b'"', &s);
            }
        }
    }

    /// Replace the token starting at a random position whose first byte passes `starts`.
    fn replace_token(&mut self, b: &mut Vec<u8>, starts: impl Fn(u8) -> bool, with: &[u8]) {
        let from = self.pos(b.len());
        let Some(off) = b[from..].iter().position(|&c| starts(c)) else {
            return;
        };
        let start = from + off;
        let end = if b[start] == b'"' {
            // To the closing quote (escapes skipped), or the end.
            let mut i = start + 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            (i + 1).min(b.len())
        } else {
            start
                + b[start..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit() || b".-+eE".contains(c))
                    .count()
        };
        b.splice(start..end, with.iter().copied());
    }

    fn swap_number(&mut self, b: &mut Vec<u8>) {
        let with = if self.rng.random_ratio(1, 8) {
            // A 400-digit number, bare or in a string.
            let digits: String = (0..400).map(|i| if i == 0 { '9' } else { '7' }).collect();
            if self.rng.random() {
                digits
            } else {
                format!("\"{digits}\"")
            }
        } else {
            NUMBERS[self.rng.random_range(0..NUMBERS.len())].to_string()
        };
        self.replace_token(b, |c| c.is_ascii_digit(), with.as_bytes());
    }

    fn swap_string(&mut self, b: &mut Vec<u8>) {
        let with = STRINGS[self.rng.random_range(0..STRINGS.len())];
        self.replace_token(b, |c| c == b'"', with.as_bytes());
    }

    /// Copy a `"key":value` prefix found in the frame to just after the first `{`.
    fn duplicate_key(&mut self, b: &mut Vec<u8>) {
        let from = self.pos(b.len());
        let Some(q) = b[from..].windows(2).position(|w| w == b"\":") else {
            return;
        };
        let colon = from + q + 1;
        let Some(open) = b[..colon - 1].iter().rposition(|&c| c == b'"') else {
            return;
        };
        let end = (colon + 1..b.len())
            .find(|&i| b[i] == b',' || b[i] == b'}')
            .unwrap_or(b.len());
        let mut pair = b[open..end].to_vec();
        pair.push(b',');
        if let Some(brace) = b.iter().position(|&c| c == b'{') {
            b.splice(brace + 1..brace + 1, pair);
        }
    }

    /// Wrap the frame in arrays or objects, usually a few levels, rarely very deep.
    fn nest(&mut self, b: &mut Vec<u8>) {
        let depth = match self.rng.random_range(0..1000) {
            0..5 => self.rng.random_range(100_000..=200_000),
            5..100 => self.rng.random_range(60..=5_000),
            _ => self.rng.random_range(1..=70),
        };
        let object = self.rng.random();
        let (open, close): (&[u8], &[u8]) = if object {
            (b"{\"data\":", b"}")
        } else {
            (b"[", b"]")
        };
        let unclosed = self.rng.random_ratio(1, 4);
        let mut out = Vec::with_capacity(b.len() + depth * (open.len() + close.len()));
        for _ in 0..depth {
            out.extend_from_slice(open);
        }
        out.extend_from_slice(b);
        if !unclosed {
            for _ in 0..depth {
                out.extend_from_slice(close);
            }
        }
        *b = out;
    }
}

/// The process's peak and current resident memory in KiB (`VmHWM`, `VmRSS` of
/// `/proc/self/status`); zeros where that file does not exist.
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}
