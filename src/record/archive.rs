//! Converting the original system's public archive (github stephenpeters/cassandra) into a
//! recording, so the replay can be checked against real prices and real outcomes.
//!
//! Two archive files are read (both BTC 15-minute up/down windows, January 2026):
//! * `archive/backtest/backtest_results/backtest_detailed_*.json`: per window the venue's
//!   resolution and Binance's opening and closing price;
//! * `archive/analysis/price_analysis/price_evolution_*.json`: per window, every 30 s, Binance's
//!   1-second kline close and the last Polymarket UP trade price so far, with the resolution.
//!
//! What the archive lacks is stood in for, and every stand-in is stated in the recording's
//! README: no order books (a one-tick-each-side book around the last UP trade price, the DOWN
//! book its mirror, a nominal size), no Chainlink prices (none are written: the engine takes
//! Binance's opening price as the strike and the last Binance price before the end as the end
//! value, both flagged), no token ids or fee parameters (placeholders and `fee`), Binance klines
//! as trade events at the kline's close time with a nominal quantity.
//!
//! Pure: text in, recording lines out, ordered by time; the same input gives the same bytes.

use anyhow::{anyhow, Context};
use serde_json::Value;

use super::format::{write_record, Feed, WindowLine};

/// Conversion settings.
#[derive(Clone, Copy, Debug)]
pub struct ArchiveOptions {
    /// Fee parameters written on every window (the archive does not record them).
    pub fee_rate: f64,
    pub fee_exponent: f64,
    /// At most this many windows from the outcome-only file (newest first); all price-evolution
    /// windows are kept.
    pub max_outcome_windows: usize,
    /// Shares on each side of the synthetic book.
    pub book_size: f64,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            fee_rate: 0.07,
            fee_exponent: 1.0,
            max_outcome_windows: 500,
            book_size: 50.0,
        }
    }
}

struct Line {
    wall_ms: u64,
    /// Tie-break within one millisecond: windows first, then Binance, then books.
    order: u8,
    feed: Feed,
    payload: String,
}

fn num(v: &Value, k: &str) -> anyhow::Result<f64> {
    v.get(k)
        .and_then(Value::as_f64)
        .ok_or_else(|| anyhow!("missing number {k:?}"))
}

fn window_line(start_s: u64, end_s: u64, up: bool, o: &ArchiveOptions) -> Line {
    let w = WindowLine {
        asset: 0,
        slug: format!("btc-updown-15m-{start_s}"),
        condition_id: String::new(),
        start_s,
        end_s,
        // Placeholders: the archive has no token ids.
        up_token: format!("{start_s}1"),
        down_token: format!("{start_s}2"),
        tick_e4: 100,
        min_size_e6: 5_000_000,
        fee_rate: o.fee_rate,
        fee_exponent: o.fee_exponent,
        fee_taker_only: true,
        neg_risk: false,
        settle_twap_s: None,
        venue_outcome: Some(if up { "up" } else { "down" }.to_string()),
    };
    Line {
        // Announced a second before it opens, as discovery does ahead of time.
        wall_ms: start_s * 1000 - 1000,
        order: 0,
        feed: Feed::Window,
        payload: serde_json::to_string(&w).expect("a window line serializes"),
    }
}

fn binance(wall_ms: u64, price: f64, seq: u64) -> Line {
    Line {
        wall_ms,
        order: 1,
        feed: Feed::Binance,
        payload: format!(
            "{{\"stream\":\"btcusdt@trade\",\"data\":{{\"e\":\"trade\",\"E\":{wall_ms},\"s\":\"BTCUSDT\",\"t\":{seq},\"p\":\"{price:.2}\",\"q\":\"0.00100000\",\"T\":{wall_ms},\"m\":false,\"M\":true}}}}"
        ),
    }
}

/// The market's books around an UP price: one tick each side, DOWN the mirror.
fn books(wall_ms: u64, start_s: u64, up_price: f64, size: f64) -> Line {
    let tick = 0.01;
    let p = (up_price / tick).round() * tick;
    let bid = (p - tick).clamp(tick, 1.0 - 2.0 * tick);
    let ask = (bid + 2.0 * tick).min(1.0 - tick);
    let book = |token: String, bid: f64, ask: f64| {
        format!(
            "{{\"event_type\":\"book\",\"asset_id\":\"{token}\",\"market\":\"0x{start_s:064x}\",\"bids\":[{{\"price\":\"{bid:.2}\",\"size\":\"{size:.0}\"}}],\"asks\":[{{\"price\":\"{ask:.2}\",\"size\":\"{size:.0}\"}}],\"timestamp\":\"{wall_ms}\",\"hash\":\"\"}}"
        )
    };
    Line {
        wall_ms,
        order: 2,
        feed: Feed::Polymarket,
        payload: format!(
            "[{},{}]",
            book(format!("{start_s}1"), bid, ask),
            book(format!("{start_s}2"), 1.0 - ask, 1.0 - bid)
        ),
    }
}

fn resolution_up(v: &Value) -> anyhow::Result<bool> {
    match v.get("resolution").and_then(Value::as_str) {
        Some("UP") => Ok(true),
        Some("DOWN") => Ok(false),
        other => Err(anyhow!("resolution {other:?}: expected \"UP\" or \"DOWN\"")),
    }
}

/// Convert the two archive files' text into recording bytes.
pub fn convert(backtest: &str, evolution: &str, o: &ArchiveOptions) -> anyhow::Result<Vec<u8>> {
    let bt: Vec<Value> = serde_json::from_str(backtest).context("backtest_detailed JSON")?;
    let ev: Value = serde_json::from_str(evolution).context("price_evolution JSON")?;
    let markets = ev
        .get("markets")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("price_evolution has no \"markets\" array"))?;
    let mut lines = Vec::new();
    let mut seq = 1u64;
    let mut with_prices = std::collections::BTreeSet::new();
    for m in markets {
        let start = num(m, "window_start").context("price_evolution market")? as u64;
        let end = num(m, "window_end")? as u64;
        with_prices.insert(start);
        lines.push(window_line(start, end, resolution_up(m)?, o));
        lines.push(binance(start * 1000, num(m, "binance_open")?, seq));
        seq += 1;
        let snaps = m
            .get("snapshots")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("window {start}: no snapshots"))?;
        for s in snaps {
            let sec = num(s, "time_into_window_sec")? as u64;
            // Second 0 is the opening price's kline and second 900 is after the end: the
            // window's open and close stand for them.
            if sec == 0 || start + sec >= end {
                continue;
            }
            let ts = start + sec;
            // The snapshot pairs the 1-second kline's close with the last UP trade at or before
            // the same second; both are stamped at that second, Binance first, so the book is
            // taken as current with Binance at the snapshot (the kline's close is up to 1 s
            // early). A decision on the Binance tick sees the book of the previous snapshot.
            lines.push(binance(ts * 1000, num(s, "binance_price")?, seq));
            seq += 1;
            if let Some(up) = s.get("polymarket_up_price").and_then(Value::as_f64) {
                lines.push(books(ts * 1000, start, up, o.book_size));
            }
        }
        lines.push(binance(end * 1000 - 1, num(m, "binance_close")?, seq));
        seq += 1;
    }
    let mut outcome_only: Vec<&Value> = bt
        .iter()
        .filter(|w| {
            w.get("window_start")
                .and_then(Value::as_u64)
                .is_some_and(|s| !with_prices.contains(&s))
        })
        .collect();
    outcome_only.sort_by_key(|w| std::cmp::Reverse(w["window_start"].as_u64()));
    outcome_only.truncate(o.max_outcome_windows);
    for w in outcome_only {
        let start = num(w, "window_start")? as u64;
        let end = num(w, "window_end")? as u64;
        lines.push(window_line(start, end, resolution_up(w)?, o));
        lines.push(binance(start * 1000, num(w, "binance_open")?, seq));
        lines.push(binance(end * 1000 - 1, num(w, "binance_close")?, seq + 1));
        seq += 2;
    }
    lines.sort_by_key(|l| (l.wall_ms, l.order));
    let first = lines.first().map_or(0, |l| l.wall_ms);
    let mut out = Vec::new();
    for l in &lines {
        // A monotonic stamp derived from the recording's own time.
        let mono = 1_000_000_000 + (l.wall_ms - first) * 1_000_000;
        write_record(&mut out, mono, l.wall_ms, l.feed, l.payload.as_bytes())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_a_small_archive_in_time_order() {
        let bt = r#"[{"window_start":1000800,"window_end":1001700,"resolution":"DOWN","binance_open":100.0,"binance_close":99.0}]"#;
        let ev = r#"{"markets":[{"window_start":1001700,"window_end":1002600,"resolution":"UP","binance_open":99.0,"binance_close":101.0,
            "snapshots":[{"time_into_window_sec":0,"binance_price":99.1,"polymarket_up_price":null},
                         {"time_into_window_sec":30,"binance_price":99.5,"polymarket_up_price":0.62}]}]}"#;
        let out = convert(bt, ev, &ArchiveOptions::default()).unwrap();
        let recs: Vec<_> = super::super::format::Reader::new(&out[..])
            .map(Result::unwrap)
            .collect();
        let walls: Vec<u64> = recs.iter().map(|r| r.wall_ms).collect();
        assert!(walls.windows(2).all(|w| w[0] <= w[1]), "{walls:?}");
        let feeds: String = recs.iter().map(|r| r.feed as u8 as char).collect();
        // W(800) B-open, W(1700) B-close(prev) B-open, B(30 s), P, B-close.
        assert_eq!(feeds, "WBWBBBPB");
        let p = String::from_utf8(recs[6].payload.clone()).unwrap();
        assert!(
            p.contains("\"price\":\"0.61\"") && p.contains("\"price\":\"0.63\""),
            "{p}"
        );
        let bad = convert(
            "[]",
            r#"{"markets":[{"window_start":1}]}"#,
            &Default::default(),
        );
        assert!(bad.is_err());
    }
}
