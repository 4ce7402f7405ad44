//! Each feed: connect (TCP, TLS, WebSocket upgrade) with the product's own client, then time
//! one request/reply round trip the venue answers at once:
//! - Binance: `{"method":"LIST_SUBSCRIPTIONS","id":N}` → `{"result":[…],"id":N}`;
//! - Polymarket market channel: text `PING` → `PONG`;
//! - Chainlink (PolyBolt price socket): the `auth` message → `{"op":"authed"}`, which also
//!   proves the CLOB credentials open it (the pipeline runs without Chainlink otherwise).
//!
//! A round trip slower than `preflight.max_feed_rtt_ms` fails: trading far from a venue is
//! a choice to make knowingly (deploy/README.md, Region).

use std::time::{Duration, Instant};

use super::Row;
use crate::clob::auth::Credentials;
use crate::config::Config;
use crate::feeds::ws::conn::{WsConfig, WsConn};
use crate::feeds::ws::WsUrl;
use crate::pipeline::registry::AssetTable;

/// What one feed check measured.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub connect: Duration,
    pub round_trip: Duration,
}

/// Connect to `url`, send `request`, and wait for the frame `reply` recognises (`Err` text
/// from `reply` is a refusal).
pub fn round_trip(
    url: &str,
    request: &[u8],
    reply: impl Fn(&[u8]) -> Option<Result<(), String>>,
    timeout: Duration,
) -> Result<Timing, String> {
    let parsed = WsUrl::parse(url).map_err(|e| e.to_string())?;
    let cfg = WsConfig {
        connect_timeout: timeout,
        ..WsConfig::default()
    };
    let t0 = Instant::now();
    let mut conn = WsConn::connect(&parsed, &cfg).map_err(|e| e.to_string())?;
    let connect = t0.elapsed();
    let t1 = Instant::now();
    conn.send_text(request).map_err(|e| e.to_string())?;
    let deadline = t1 + timeout;
    loop {
        if conn.pending_tx() > 0 {
            conn.flush().map_err(|e| e.to_string())?;
        }
        match conn.poll() {
            Ok(Some(frame)) => match reply(frame.data) {
                Some(Ok(())) => {
                    let round_trip = t1.elapsed();
                    conn.close();
                    return Ok(Timing {
                        connect,
                        round_trip,
                    });
                }
                Some(Err(e)) => return Err(e),
                None => {}
            },
            Ok(None) => std::thread::sleep(Duration::from_micros(50)),
            Err(e) => return Err(e.to_string()),
        }
        if Instant::now() >= deadline {
            return Err(format!("no reply within {} ms", timeout.as_millis()));
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn row(feed: &str, key: &str, result: Result<Timing, String>, max_rtt_ms: u64) -> Row {
    let check = format!("feed {feed}");
    match result {
        Ok(t) if t.round_trip.as_millis() as u64 <= max_rtt_ms => Row::pass(
            check,
            format!(
                "connected in {:.1} ms, round trip {:.2} ms",
                t.connect.as_secs_f64() * 1e3,
                t.round_trip.as_secs_f64() * 1e3
            ),
        ),
        Ok(t) => Row::fail(
            check,
            format!(
                "round trip {:.1} ms, more than preflight.max_feed_rtt_ms = {max_rtt_ms}",
                t.round_trip.as_secs_f64() * 1e3
            ),
            "run closer to the venue (deploy/README.md, Region) or raise preflight.max_feed_rtt_ms knowingly",
        ),
        Err(e) => Row::fail(
            check,
            e,
            format!("check venues.{key}, DNS, and that this host may open outbound connections to it"),
        ),
    }
}

/// One row per feed.
pub fn check_all(cfg: &Config, creds: Option<&Credentials>) -> Vec<Row> {
    let timeout = Duration::from_millis(cfg.preflight.timeout_ms);
    let max = cfg.preflight.max_feed_rtt_ms;
    let v = &cfg.venues;
    let mut rows = Vec::new();
    let binance = match AssetTable::from_names(&cfg.assets) {
        Ok(assets) => {
            let url = crate::feeds::binance::stream_url(&v.binance_ws, &assets, v.book_ticker);
            round_trip(
                &url,
                br#"{"method":"LIST_SUBSCRIPTIONS","id":4242}"#,
                |f| {
                    (contains(f, b"\"id\":4242")).then(|| {
                        if contains(f, b"\"error\"") {
                            Err(String::from_utf8_lossy(f).into_owned())
                        } else {
                            Ok(())
                        }
                    })
                },
                timeout,
            )
        }
        Err(e) => Err(e),
    };
    rows.push(row("binance", "binance_ws", binance, max));
    let poly_url = format!("{}/ws/market", v.poly_ws.trim_end_matches('/'));
    let poly = round_trip(
        &poly_url,
        b"PING",
        |f| (f.trim_ascii() == b"PONG").then_some(Ok(())),
        timeout,
    );
    rows.push(row("polymarket", "poly_ws", poly, max));
    let chainlink_url = format!("{}/ws", v.chainlink_ws.trim_end_matches('/'));
    let chainlink = match creds {
        None => {
            rows.push(Row::fail(
                "feed chainlink",
                "needs the CLOB credentials (the price socket authenticates with them)",
                "set POLYMARKET_API_KEY, POLYMARKET_API_SECRET, POLYMARKET_API_PASSPHRASE \
                 (`cassandra auth derive-key`)",
            ));
            return rows;
        }
        Some(c) => {
            let mut msg = Vec::new();
            crate::feeds::chainlink::auth_message(
                &mut msg,
                c.api_key(),
                c.secret(),
                c.passphrase(),
            );
            round_trip(
                &chainlink_url,
                &msg,
                |f| {
                    if contains(f, b"\"authed\"") {
                        Some(Ok(()))
                    } else if contains(f, b"\"error\"") {
                        Some(Err(format!(
                            "the price socket refused the credentials: {}",
                            String::from_utf8_lossy(f)
                        )))
                    } else {
                        None
                    }
                },
                timeout,
            )
        }
    };
    rows.push(row("chainlink", "chainlink_ws", chainlink, max));
    rows
}
