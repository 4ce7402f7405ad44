//! The venue ledger cross-checked with the Data API: every `[live.venue] positions_check_ms`
//! a helper thread reads the funder's positions (`GET {data_api}/positions?user=…`), and the
//! `venue` thread compares each token's size with the ledger's shares.
//!
//! Contract:
//! - the comparison is exact to the micro-share: both numbers are the venue's (the ledger
//!   books the venue's confirmed fills and fee rule);
//! - tokens with a trade pending in the ledger (matched, not final) are skipped: the venue's
//!   balance may already hold what the ledger books only once CONFIRMED;
//! - a token the ledger no longer holds whose row is `redeemable` (its market resolved) is not
//!   a mismatch: the ledger closed it at resolution (redeemed, or lost) and the venue keeps
//!   showing worthless or burnt-pending tokens;
//! - a difference counts once two reads in a row show it (a fill the venue shows before the
//!   ledger hears of it differs for one read only);
//! - a mismatch is counted and shown ([`PositionsCheck`], in the ledger's view) and reported
//!   once when it appears (the caller raises a warning alert), never a kill;
//! - the request runs on its own thread: a slow Data API never stalls the order tracker.
//!
//! Rows are read in the shape of the real ones (`tests/data/venue/data_api/
//! v2_positions_pysdk.json`: `token_id`, `current_size`, `redeemable`); the camelCase names of
//! the v1 documentation (`asset`, `size`) are accepted too. Sizes are JSON numbers or strings
//! in shares; they are turned into micro-shares from their decimal text, not through a float.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clob::order::Address;

use super::ledger::LedgerView;

/// The last comparison, as the ledger's view shows it (`venue_ledger.positions_check`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PositionsCheck {
    /// The last comparison found no mismatch.
    pub ok: bool,
    /// What differs now.
    pub mismatches: Vec<Mismatch>,
    /// When the last comparison was made (Unix ms; 0: none yet).
    pub checked_ms: u64,
    /// Comparisons made.
    pub checks: u64,
    /// Mismatches that appeared (each counted once while it lasts).
    pub mismatches_seen: u64,
    /// The last failed read of the Data API (cleared by the next good one).
    pub error: Option<String>,
}

/// One token whose size at the venue differs from the ledger's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub token: String,
    pub ledger_u6: u64,
    pub venue_u6: u64,
}

/// One token as the Data API holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenuePosition {
    pub size_u6: u64,
    pub redeemable: bool,
}

#[derive(Deserialize)]
struct Row {
    #[serde(alias = "asset")]
    token_id: String,
    #[serde(alias = "size")]
    current_size: Value,
    #[serde(default)]
    redeemable: bool,
}

/// A decimal text of shares as micro-shares (half up past the sixth decimal).
pub fn shares_u6(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.contains(['e', 'E']) {
        let f: f64 = t.parse().ok()?;
        return (0.0..1.8e13).contains(&f).then(|| (f * 1e6).round() as u64);
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut u6 = int.parse::<u64>().ok()?.checked_mul(1_000_000)?;
    let mut scale = 100_000;
    for (i, b) in frac.bytes().enumerate() {
        let d = u64::from(b - b'0');
        if i < 6 {
            u6 = u6.checked_add(d * scale)?;
            scale /= 10;
        } else {
            if d >= 5 {
                u6 = u6.checked_add(1)?;
            }
            break;
        }
    }
    Some(u6)
}

/// Parses a `/positions` body (a JSON array of rows) into token → position.
pub fn parse_positions(body: &[u8]) -> Result<BTreeMap<String, VenuePosition>, String> {
    let rows: Vec<Row> =
        serde_json::from_slice(body).map_err(|e| format!("positions body not understood: {e}"))?;
    let mut out = BTreeMap::new();
    for r in rows {
        let text = match &r.current_size {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            other => {
                return Err(format!(
                    "position {} size {other} is not a number",
                    r.token_id
                ))
            }
        };
        let size_u6 = shares_u6(&text)
            .ok_or_else(|| format!("position {} size {text:?} is not a share count", r.token_id))?;
        if r.token_id.is_empty() {
            return Err("a position row has no token id".into());
        }
        let p = out.entry(r.token_id).or_insert(VenuePosition {
            size_u6: 0,
            redeemable: false,
        });
        p.size_u6 += size_u6;
        p.redeemable |= r.redeemable;
    }
    Ok(out)
}

/// Compares the ledger with the venue's positions: every token either holds, not pending.
pub fn compare(
    ledger: &LedgerView,
    pending: &BTreeSet<String>,
    venue: &BTreeMap<String, VenuePosition>,
) -> Vec<Mismatch> {
    let tokens: BTreeSet<&String> = ledger.positions.keys().chain(venue.keys()).collect();
    tokens
        .into_iter()
        .filter(|t| !pending.contains(*t))
        .filter_map(|t| {
            let ledger_u6 = ledger.positions.get(t).map_or(0, |h| h.shares_u6);
            let v = venue.get(t);
            let venue_u6 = v.map_or(0, |p| p.size_u6);
            let closed_at_resolution = ledger_u6 == 0 && v.is_some_and(|p| p.redeemable);
            (ledger_u6 != venue_u6 && !closed_at_resolution).then(|| Mismatch {
                token: t.clone(),
                ledger_u6,
                venue_u6,
            })
        })
        .collect()
}

/// Reads a wallet's positions from the Data API (all pages).
pub struct PositionsReader {
    base: String,
    user: String,
    http: reqwest::blocking::Client,
}

/// Rows per page (the venue's ceiling).
const PAGE: usize = 500;

impl PositionsReader {
    pub fn new(data_api: &str, user: &Address) -> anyhow::Result<PositionsReader> {
        Ok(PositionsReader {
            base: data_api.trim_end_matches('/').to_string(),
            user: user.to_string(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
        })
    }

    /// Every position of the wallet, however small (`sizeThreshold=0`).
    pub fn read(&self) -> Result<BTreeMap<String, VenuePosition>, String> {
        let mut all = BTreeMap::new();
        for page in 0..100 {
            let url = format!(
                "{}/positions?user={}&sizeThreshold=0&limit={PAGE}&offset={}",
                self.base,
                self.user,
                page * PAGE
            );
            let r = self
                .http
                .get(&url)
                .send()
                .map_err(|e| format!("Data API positions: {}", e.without_url()))?;
            let status = r.status();
            let body = r
                .bytes()
                .map_err(|e| format!("Data API positions: {}", e.without_url()))?;
            if !status.is_success() {
                return Err(format!(
                    "Data API positions answered {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ));
            }
            let rows = parse_positions(&body)?;
            let n = rows.len();
            all.extend(rows);
            if n < PAGE {
                return Ok(all);
            }
        }
        Err("Data API positions: more than 100 pages".into())
    }
}

/// The check as the `venue` thread runs it: results from the reader's thread, compared with
/// the ledger when they arrive.
pub struct PositionsChecker {
    rx: crossbeam::channel::Receiver<Result<BTreeMap<String, VenuePosition>, String>>,
    pub state: PositionsCheck,
    /// Tokens that differed in the last read.
    suspects: BTreeSet<String>,
}

impl PositionsChecker {
    /// Starts the reader's thread: one read every `every_ms` while `running` says so.
    pub fn spawn(
        reader: PositionsReader,
        every_ms: u64,
        running: impl Fn() -> bool + Send + 'static,
    ) -> std::io::Result<PositionsChecker> {
        let (tx, rx) = crossbeam::channel::bounded(1);
        std::thread::Builder::new()
            .name("positions".into())
            .spawn(move || {
                let mut next = crate::clock::wall_ms() + every_ms;
                while running() {
                    if crate::clock::wall_ms() >= next {
                        if tx.send(reader.read()).is_err() {
                            return;
                        }
                        next = crate::clock::wall_ms() + every_ms;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })?;
        Ok(PositionsChecker {
            rx,
            state: PositionsCheck::default(),
            suspects: BTreeSet::new(),
        })
    }

    /// Whether a read is waiting to be compared.
    pub fn ready(&self) -> bool {
        !self.rx.is_empty()
    }

    /// Compares a read that arrived with the ledger; returns the mismatches that are new
    /// (to be alerted once each). `None` when no read arrived.
    pub fn poll(
        &mut self,
        ledger: &LedgerView,
        pending: &BTreeSet<String>,
        now_ms: u64,
    ) -> Option<Vec<Mismatch>> {
        let read = self.rx.try_recv().ok()?;
        Some(self.apply(read, ledger, pending, now_ms))
    }

    fn apply(
        &mut self,
        read: Result<BTreeMap<String, VenuePosition>, String>,
        ledger: &LedgerView,
        pending: &BTreeSet<String>,
        now_ms: u64,
    ) -> Vec<Mismatch> {
        let venue = match read {
            Ok(v) => v,
            Err(e) => {
                self.state.error = Some(e);
                return Vec::new();
            }
        };
        let found = compare(ledger, pending, &venue);
        // Reported only when the previous read differed too: a fill the venue shows before
        // the ledger hears of it (not even pending yet) differs for one read, not two.
        let found: Vec<Mismatch> = {
            let suspects = std::mem::take(&mut self.suspects);
            self.suspects = found.iter().map(|m| m.token.clone()).collect();
            found
                .into_iter()
                .filter(|m| suspects.contains(&m.token))
                .collect()
        };
        let before: BTreeSet<&str> = self
            .state
            .mismatches
            .iter()
            .map(|m| m.token.as_str())
            .collect();
        let new: Vec<Mismatch> = found
            .iter()
            .filter(|m| !before.contains(m.token.as_str()))
            .cloned()
            .collect();
        self.state.mismatches_seen += new.len() as u64;
        self.state.ok = found.is_empty();
        self.state.mismatches = found;
        self.state.checked_ms = now_ms;
        self.state.checks += 1;
        self.state.error = None;
        new
    }
}

/// The alert text of a new mismatch.
pub fn alert_text(m: &Mismatch) -> String {
    format!(
        "venue ledger differs from the Data API for token {}: ledger {} shares, venue {} shares \
         (changed outside this process, or a fill not booked: check before trading on)",
        m.token,
        crate::wallet::redeem::fmt_u6(m.ledger_u6),
        crate::wallet::redeem::fmt_u6(m.venue_u6)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::ledger::Holding;

    const CAPTURE: &[u8] =
        include_bytes!("../../tests/data/venue/data_api/v2_positions_pysdk.json");

    #[test]
    fn the_captured_rows_parse_to_micro_shares() {
        let p = parse_positions(CAPTURE).unwrap();
        let t = "94476829201604408463453426454480212459887267917122244941405244686637914508323";
        assert_eq!(
            p.get(t),
            Some(&VenuePosition {
                size_u6: 400_000_000_000,
                redeemable: false
            })
        );
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn sizes_are_exact_from_their_text_and_bad_ones_are_refused() {
        assert_eq!(shares_u6("9.64"), Some(9_640_000));
        assert_eq!(shares_u6("0.000001"), Some(1));
        assert_eq!(shares_u6("400000.0"), Some(400_000_000_000));
        assert_eq!(shares_u6("1.2345675"), Some(1_234_568));
        assert_eq!(shares_u6("1e-6"), Some(1));
        assert_eq!(shares_u6("-1"), None);
        assert_eq!(shares_u6("abc"), None);
        assert_eq!(shares_u6(""), None);
        let v1 = br#"[{"asset":"7","size":"2.5","redeemable":true}]"#;
        let p = parse_positions(v1).unwrap();
        assert_eq!(
            p["7"],
            VenuePosition {
                size_u6: 2_500_000,
                redeemable: true
            }
        );
        for bad in [
            &br#"{"error":"x"}"#[..],
            br#"[{"token_id":"7","current_size":null}]"#,
            br#"[{"token_id":"7","current_size":"-3"}]"#,
            br#"[{"token_id":"","current_size":1}]"#,
            b"not json",
        ] {
            let e = parse_positions(bad).unwrap_err();
            assert!(!e.is_empty());
        }
    }

    fn ledger(pos: &[(&str, u64)]) -> LedgerView {
        LedgerView {
            positions: pos
                .iter()
                .map(|(t, n)| {
                    (
                        t.to_string(),
                        Holding {
                            shares_u6: *n,
                            cost_u6: 1,
                        },
                    )
                })
                .collect(),
            ..Default::default()
        }
    }

    fn venue(pos: &[(&str, u64, bool)]) -> BTreeMap<String, VenuePosition> {
        pos.iter()
            .map(|(t, n, r)| {
                (
                    t.to_string(),
                    VenuePosition {
                        size_u6: *n,
                        redeemable: *r,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn mismatches_are_exact_skip_pending_tokens_and_resolved_closures() {
        let l = ledger(&[("a", 5_000_000), ("b", 3_000_000), ("p", 1)]);
        let v = venue(&[
            ("a", 5_000_000, false),
            ("b", 2_999_999, false),
            ("p", 9, false),
            ("c", 7, false),
            ("lost", 4, true),
        ]);
        let pending: BTreeSet<String> = ["p".to_string()].into();
        let m = compare(&l, &pending, &v);
        assert_eq!(
            m,
            vec![
                Mismatch {
                    token: "b".into(),
                    ledger_u6: 3_000_000,
                    venue_u6: 2_999_999
                },
                Mismatch {
                    token: "c".into(),
                    ledger_u6: 0,
                    venue_u6: 7
                },
            ]
        );
        // A token the ledger holds that the venue does not show.
        let m = compare(&ledger(&[("x", 1)]), &BTreeSet::new(), &BTreeMap::new());
        assert_eq!(
            m,
            vec![Mismatch {
                token: "x".into(),
                ledger_u6: 1,
                venue_u6: 0
            }]
        );
    }

    #[test]
    fn each_mismatch_counts_from_its_second_read_and_is_new_once_while_it_lasts() {
        let (_tx, rx) = crossbeam::channel::bounded(1);
        let mut c = PositionsChecker {
            rx,
            state: PositionsCheck::default(),
            suspects: BTreeSet::new(),
        };
        let l = ledger(&[("a", 5)]);
        let none = BTreeSet::new();
        assert!(c
            .apply(Ok(venue(&[("a", 5, false)])), &l, &none, 10)
            .is_empty());
        assert!(c.state.ok && c.state.checked_ms == 10);
        // One read differing is not a mismatch yet (a fill not heard of yet).
        assert!(c
            .apply(Ok(venue(&[("a", 4, false)])), &l, &none, 15)
            .is_empty());
        assert!(c.state.ok);
        assert!(c
            .apply(Ok(venue(&[("a", 5, false)])), &l, &none, 18)
            .is_empty());
        assert!(c
            .apply(Ok(venue(&[("a", 4, false)])), &l, &none, 20)
            .is_empty());
        assert_eq!(
            c.apply(Ok(venue(&[("a", 4, false)])), &l, &none, 25).len(),
            1
        );
        assert!(c
            .apply(Ok(venue(&[("a", 3, false)])), &l, &none, 30)
            .is_empty());
        assert_eq!(c.state.mismatches[0].venue_u6, 3);
        assert!(!c.state.ok);
        // A failed read keeps the last comparison and says why.
        assert!(c.apply(Err("down".into()), &l, &none, 40).is_empty());
        assert_eq!(
            (c.state.checked_ms, c.state.error.as_deref()),
            (30, Some("down"))
        );
        assert!(c
            .apply(Ok(venue(&[("a", 5, false)])), &l, &none, 50)
            .is_empty());
        assert!(c.state.ok && c.state.error.is_none());
        assert!(c.apply(Ok(venue(&[])), &l, &none, 60).is_empty());
        assert_eq!(c.apply(Ok(venue(&[])), &l, &none, 70).len(), 1);
        assert_eq!(c.state.mismatches_seen, 2);
        assert_eq!(c.state.checks, 9);
    }
}
