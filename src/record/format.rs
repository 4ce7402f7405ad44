//! The recording format: one line per frame, text, append-only.
//!
//! ```text
//! <mono_ns> <wall_ms> <tag> <payload>
//! ```
//! `mono_ns` is the `CLOCK_MONOTONIC` read stamp of the frame, `wall_ms` the matching Unix
//! time in ms, `tag` one of `B` (Binance combined stream), `P` (Polymarket market channel),
//! `C` (Chainlink price socket), `W` (a window set up by discovery; payload is its JSON), and
//! the payload is the frame's text exactly as received (venue frames are single-line JSON; a
//! stray newline inside one would be replaced by a space, which JSON treats alike).

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::control::discovery::DiscoveredWindow;
use crate::pipeline::control::FeeParams;
use crate::pipeline::events::AssetId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Feed {
    Binance = b'B',
    Polymarket = b'P',
    Chainlink = b'C',
    Window = b'W',
}

impl Feed {
    pub fn from_u8(b: u8) -> Option<Feed> {
        match b {
            b'B' => Some(Feed::Binance),
            b'P' => Some(Feed::Polymarket),
            b'C' => Some(Feed::Chainlink),
            b'W' => Some(Feed::Window),
            _ => None,
        }
    }
}

/// One line of a recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub mono_ns: u64,
    pub wall_ms: u64,
    pub feed: Feed,
    pub payload: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("line {line}: {why}")]
    Bad { line: u64, why: &'static str },
    #[error("reading the recording: {0}")]
    Io(#[from] std::io::Error),
}

pub fn write_record(
    w: &mut impl Write,
    mono_ns: u64,
    wall_ms: u64,
    feed: Feed,
    payload: &[u8],
) -> std::io::Result<()> {
    write!(w, "{mono_ns} {wall_ms} {} ", feed as u8 as char)?;
    if payload.contains(&b'\n') {
        let clean: Vec<u8> = payload
            .iter()
            .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
            .collect();
        w.write_all(&clean)?;
    } else {
        w.write_all(payload)?;
    }
    w.write_all(b"\n")
}

/// Iterate the records of a recording; a malformed line is an error naming it. A read error
/// (a directory, a device that fails) ends the iteration after it is reported once: a reader
/// that kept answering the same error would spin any caller that skips errors.
pub struct Reader<R> {
    inner: R,
    line: u64,
    buf: Vec<u8>,
    failed: bool,
}

impl<R: BufRead> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader {
            inner,
            line: 0,
            buf: Vec::new(),
            failed: false,
        }
    }
}

fn field<'a>(
    it: &mut impl Iterator<Item = &'a [u8]>,
    line: u64,
    what: &'static str,
) -> Result<&'a [u8], RecordError> {
    it.next().ok_or(RecordError::Bad { line, why: what })
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        self.buf.clear();
        match self.inner.read_until(b'\n', &mut self.buf) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => {
                self.failed = true;
                return Some(Err(e.into()));
            }
        }
        self.line += 1;
        let line = self.line;
        let text = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
        let mut it = text.splitn(4, |&b| b == b' ');
        let mut parse = || -> Result<Record, RecordError> {
            let num = |s: &[u8], why| {
                crate::feeds::decimal::parse_u64(s).ok_or(RecordError::Bad { line, why })
            };
            let mono_ns = num(field(&mut it, line, "no mono_ns")?, "bad mono_ns")?;
            let wall_ms = num(field(&mut it, line, "no wall_ms")?, "bad wall_ms")?;
            let tag = field(&mut it, line, "no tag")?;
            let feed = (tag.len() == 1)
                .then(|| Feed::from_u8(tag[0]))
                .flatten()
                .ok_or(RecordError::Bad {
                    line,
                    why: "unknown tag",
                })?;
            let payload = field(&mut it, line, "no payload")?.to_vec();
            Ok(Record {
                mono_ns,
                wall_ms,
                feed,
                payload,
            })
        };
        Some(parse())
    }
}

/// A discovered window as recorded on a `W` line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowLine {
    pub asset: u8,
    pub slug: String,
    pub condition_id: String,
    pub start_s: u64,
    pub end_s: u64,
    pub up_token: String,
    pub down_token: String,
    pub tick_e4: u16,
    pub min_size_e6: u64,
    pub fee_rate: f64,
    pub fee_exponent: f64,
    pub fee_taker_only: bool,
    pub neg_risk: bool,
    /// The market settles on the TWAP over its last this many seconds; absent: on the spot
    /// value at its end (or not stated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_twap_s: Option<u32>,
    /// The venue's resolution, `"up"` or `"down"`, when known (Gamma's `finalPrice` against
    /// `priceToBeat`, or a converted archive's recorded outcome): the replay report checks its
    /// own settlement against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_outcome: Option<String>,
}

impl From<&DiscoveredWindow> for WindowLine {
    fn from(w: &DiscoveredWindow) -> Self {
        WindowLine {
            asset: w.asset.0,
            slug: w.slug.clone(),
            condition_id: w.condition_id.clone(),
            start_s: w.start_s,
            end_s: w.end_s,
            up_token: w.up_token.clone(),
            down_token: w.down_token.clone(),
            tick_e4: w.tick_e4,
            min_size_e6: w.min_size_e6,
            fee_rate: w.fees.rate,
            fee_exponent: w.fees.exponent,
            fee_taker_only: w.fees.taker_only,
            neg_risk: w.neg_risk,
            settle_twap_s: match w.rules.settlement {
                crate::control::discovery::Settlement::ChainlinkTwap { lookback_s } => {
                    Some(lookback_s)
                }
                _ => None,
            },
            venue_outcome: match (w.rules.price_to_beat, w.rules.final_price) {
                (Some(k), Some(e)) if k.is_finite() && e.is_finite() => {
                    // Ties resolve Up.
                    Some(if e >= k { "up" } else { "down" }.to_string())
                }
                _ => None,
            },
        }
    }
}

impl From<&WindowLine> for DiscoveredWindow {
    fn from(w: &WindowLine) -> Self {
        DiscoveredWindow {
            asset: AssetId(w.asset),
            slug: w.slug.clone(),
            question: String::new(),
            condition_id: w.condition_id.clone(),
            start_s: w.start_s,
            end_s: w.end_s,
            up_token: w.up_token.clone(),
            down_token: w.down_token.clone(),
            tick_e4: w.tick_e4,
            min_size_e6: w.min_size_e6,
            fees: FeeParams {
                rate: w.fee_rate,
                exponent: w.fee_exponent,
                taker_only: w.fee_taker_only,
            },
            neg_risk: w.neg_risk,
            // Only the settlement series is recorded: a replay trades on the recorded ids, fees
            // and rule.
            rules: crate::control::discovery::MarketRules {
                settlement: w.settle_twap_s.map_or(
                    crate::control::discovery::Settlement::Unstated,
                    |lookback_s| crate::control::discovery::Settlement::ChainlinkTwap {
                        lookback_s,
                    },
                ),
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let mut out = Vec::new();
        write_record(&mut out, 12, 1700, Feed::Binance, br#"{"a":1}"#).unwrap();
        write_record(&mut out, 13, 1701, Feed::Polymarket, b"{\"b\":\n2}").unwrap();
        let recs: Vec<Record> = Reader::new(&out[..]).map(Result::unwrap).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].payload, br#"{"a":1}"#);
        assert_eq!(recs[1].payload, b"{\"b\": 2}");
        assert_eq!(
            (recs[1].mono_ns, recs[1].wall_ms, recs[1].feed),
            (13, 1701, Feed::Polymarket)
        );
    }

    #[test]
    fn malformed_lines_name_their_number() {
        let text = b"1 2 B {}\nx 2 B {}\n";
        let recs: Vec<_> = Reader::new(&text[..]).collect();
        assert!(recs[0].is_ok());
        let e = recs[1].as_ref().unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("mono_ns"), "{e}");
        let e = Reader::new(&b"1 2 Q {}\n"[..])
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(e.contains("tag"), "{e}");
    }
}
