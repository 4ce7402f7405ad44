//! `GET /api/candles/{symbol}`: Binance klines history merged with the live candles the
//! control loop builds from the spot tap.
//!
//! Klines are fetched here, on the API thread, with an async client and a 5 s timeout; answers
//! (and failures) are cached for [`CACHE_FOR`] per (symbol, interval, limit), so a flood of
//! requests costs Binance one call every few seconds. When Binance cannot be reached the live
//! candles alone are served and the response says why (`rest_error`).
//!
//! Merge rule: for an interval both sources have, the open is Binance's (it saw the whole
//! interval), high/low the extremes of both, the close the live one (newer), the volume the
//! larger (the live side only saw trades since the process started).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde::Serialize;

use super::views::{candle, CandleView};
use super::{ApiError, App};
use crate::control::candles::{aggregate, Candle};

/// How long a klines answer is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(5);
/// Default and largest `limit`.
pub const DEFAULT_LIMIT: usize = 500;
pub const MAX_LIMIT: usize = 1000;
/// Accepted intervals (Binance's names) and their length in minutes.
pub const INTERVALS: [(&str, u64); 9] = [
    ("1m", 1),
    ("3m", 3),
    ("5m", 5),
    ("15m", 15),
    ("30m", 30),
    ("1h", 60),
    ("2h", 120),
    ("4h", 240),
    ("1d", 1440),
];

type Key = (String, &'static str, usize);
/// A klines answer and when it was fetched.
type Entry = (Instant, Result<Vec<Candle>, String>);

/// Recent klines answers.
#[derive(Default)]
pub struct KlinesCache {
    entries: Mutex<HashMap<Key, Entry>>,
}

#[derive(Debug, Serialize)]
pub struct CandlesResponse {
    pub asset: String,
    pub symbol: String,
    pub interval: &'static str,
    /// "binance+live", "binance", "live" or "none".
    pub source: &'static str,
    /// Why Binance's history is missing, when it is.
    pub rest_error: Option<String>,
    /// Oldest first.
    pub candles: Vec<CandleView>,
}

/// Parse the `interval` parameter.
pub fn parse_interval(s: &str) -> Result<(&'static str, u64), ApiError> {
    INTERVALS
        .iter()
        .find(|(n, _)| *n == s)
        .map(|&(n, m)| (n, m * 60_000))
        .ok_or_else(|| {
            let names: Vec<_> = INTERVALS.iter().map(|(n, _)| *n).collect();
            ApiError::field(
                "interval",
                format!("unknown interval {s:?}: one of {}", names.join(", ")),
            )
        })
}

/// Parse the `limit` parameter.
pub fn parse_limit(s: Option<&str>) -> Result<usize, ApiError> {
    match s {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(ApiError::field(
                "limit",
                format!("limit {s:?}: an integer from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// Binance's kline rows `[open_ms, "open", "high", "low", "close", "volume", close_ms, …]`.
pub fn parse_klines(v: &serde_json::Value) -> Result<Vec<Candle>, String> {
    let rows = v.as_array().ok_or("klines: not an array")?;
    let num = |x: &serde_json::Value| -> Option<f64> {
        x.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| x.as_f64())
    };
    rows.iter()
        .map(|r| {
            let r = r
                .as_array()
                .filter(|r| r.len() >= 6)
                .ok_or("klines: short row")?;
            let f = |i: usize| num(&r[i]).ok_or(format!("klines: field {i} not a number"));
            Ok(Candle {
                open_ms: r[0].as_u64().ok_or("klines: open time not an integer")?,
                open: f(1)?,
                high: f(2)?,
                low: f(3)?,
                close: f(4)?,
                volume: f(5)?,
                trades: r.get(8).and_then(|t| t.as_u64()).unwrap_or(0),
            })
        })
        .collect()
}

/// Merge history and live candles (see the module doc) and keep the newest `limit`.
pub fn merge(rest: &[Candle], live: &[Candle], limit: usize) -> Vec<Candle> {
    let mut by_open: BTreeMap<u64, Candle> = rest.iter().map(|c| (c.open_ms, *c)).collect();
    for l in live {
        by_open
            .entry(l.open_ms)
            .and_modify(|c| {
                c.high = c.high.max(l.high);
                c.low = c.low.min(l.low);
                c.close = l.close;
                c.volume = c.volume.max(l.volume);
                c.trades = c.trades.max(l.trades);
            })
            .or_insert(*l);
    }
    let skip = by_open.len().saturating_sub(limit);
    by_open.into_values().skip(skip).collect()
}

async fn fetch(
    app: &App,
    symbol: &str,
    interval: &'static str,
    limit: usize,
) -> Result<Vec<Candle>, String> {
    let key = (symbol.to_string(), interval, limit);
    if let Some((at, r)) = app.klines.entries.lock().expect("klines").get(&key) {
        if at.elapsed() < CACHE_FOR {
            return r.clone();
        }
    }
    let url = format!(
        "{}/api/v3/klines",
        app.ctx.binance_rest.trim_end_matches('/')
    );
    let limit_s = limit.to_string();
    let query = [
        ("symbol", symbol),
        ("interval", interval),
        ("limit", &limit_s),
    ];
    let r = async {
        let resp = app
            .http
            .get(&url)
            .query(&query)
            .send()
            .await
            .map_err(|e| format!("klines request failed: {e}"))?;
        let status = resp.status();
        let body: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| format!("klines: bad JSON: {e}"))?;
        if !status.is_success() {
            return Err(format!("klines: HTTP {status}: {body}"));
        }
        parse_klines(&body)
    }
    .await;
    if r.is_err() {
        app.counters
            .klines_errors
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let mut cache = app.klines.entries.lock().expect("klines");
    cache.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
    cache.insert(key, (Instant::now(), r.clone()));
    r
}

/// The whole endpoint, parameters already extracted.
pub async fn candles(
    app: &App,
    symbol: &str,
    interval: Option<&str>,
    limit: Option<&str>,
) -> Result<CandlesResponse, ApiError> {
    let assets = &app.ctx.assets;
    let id = assets.by_any_name(symbol).ok_or_else(|| {
        let known: Vec<_> = assets.iter().map(|(_, a)| a.name.as_str()).collect();
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!(
                "unknown symbol {symbol:?}: one of {} (or their Binance pairs, any case)",
                known.join(", ")
            ),
            field: Some("symbol".into()),
        }
    })?;
    let (interval, interval_ms) = parse_interval(interval.unwrap_or("1m"))?;
    let limit = parse_limit(limit)?;
    let info = assets.get(id).expect("id from the table");
    let (asset, pair) = (info.name.clone(), info.binance_symbol.to_ascii_uppercase());
    let live = {
        let st = app.ctx.state.lock().expect("state");
        aggregate(st.candles.minutes(id.0), interval_ms)
    };
    let rest = fetch(app, &pair, interval, limit).await;
    let (source, rest_error, merged) = match rest {
        Ok(r) => (
            if live.is_empty() {
                "binance"
            } else {
                "binance+live"
            },
            None,
            merge(&r, &live, limit),
        ),
        Err(e) => (
            if live.is_empty() { "none" } else { "live" },
            Some(e),
            merge(&[], &live, limit),
        ),
    };
    Ok(CandlesResponse {
        asset,
        symbol: pair,
        interval,
        source,
        rest_error,
        candles: merged.iter().map(candle).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(open_ms: u64, o: f64, h: f64, l: f64, cl: f64, v: f64) -> Candle {
        Candle {
            open_ms,
            open: o,
            high: h,
            low: l,
            close: cl,
            volume: v,
            trades: 0,
        }
    }

    #[test]
    fn klines_rows_parse() {
        let v = serde_json::json!([[
            60000, "1.5", "2", "1", "1.75", "10", 119999, "0", 7, "0", "0", "0"
        ]]);
        let k = parse_klines(&v).unwrap();
        assert_eq!(
            k,
            vec![Candle {
                trades: 7,
                ..c(60_000, 1.5, 2.0, 1.0, 1.75, 10.0)
            }]
        );
        assert!(parse_klines(&serde_json::json!([[1, "x"]])).is_err());
        assert!(parse_klines(&serde_json::json!({"code": -1121})).is_err());
    }

    #[test]
    fn merge_prefers_history_open_and_live_close() {
        let rest = [
            c(0, 10.0, 12.0, 9.0, 11.0, 5.0),
            c(60_000, 11.0, 11.5, 10.5, 11.2, 3.0),
        ];
        let live = [
            c(60_000, 11.1, 13.0, 10.8, 12.5, 1.0),
            c(120_000, 12.5, 12.6, 12.4, 12.6, 0.5),
        ];
        let m = merge(&rest, &live, 10);
        assert_eq!(m.len(), 3);
        assert_eq!(m[1], c(60_000, 11.0, 13.0, 10.5, 12.5, 3.0));
        assert_eq!(merge(&rest, &live, 2)[0].open_ms, 60_000);
    }

    #[test]
    fn parameters_name_their_field() {
        assert_eq!(parse_interval("5m").unwrap(), ("5m", 300_000));
        assert_eq!(
            parse_interval("7m").unwrap_err().field.as_deref(),
            Some("interval")
        );
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        for bad in ["0", "1001", "-1", "x"] {
            assert_eq!(
                parse_limit(Some(bad)).unwrap_err().field.as_deref(),
                Some("limit")
            );
        }
    }
}
