//! The venue: may this host trade (geoblock), does its clock agree with the CLOB's, and do
//! the CLOB credentials work (an authenticated L2 read).
//!
//! Geoblock: `GET https://polymarket.com/api/geoblock` answers
//! `{"blocked":bool,"ip","country","region"}` (docs.polymarket.com/api-reference/geoblock).
//! Clock: the CLOB's `GET /time` answers Unix **seconds**, so the offset is only known to
//! within a second plus the round trip; the check fails only on an offset that is certain.
//! Credentials: `GET /auth/api-keys` with the five L2 headers signed as orders are (401 means
//! the key, secret, passphrase or signing address do not belong together).

use serde::Deserialize;

use super::wallet::Identity;
use super::{why, Row};
use crate::clob::auth::{L2Headers, L2Signer};
use crate::clock::wall_ms;

#[derive(Deserialize)]
struct Geoblock {
    blocked: bool,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    region: String,
}

pub fn geoblock(client: &reqwest::blocking::Client, url: &str) -> Row {
    let fix_net = "check that this host reaches polymarket.com (DNS, egress on 443) or set \
        preflight.geoblock_url";
    let resp = match client.get(url).send() {
        Ok(r) => r,
        Err(e) => return Row::fail("geoblock", format!("{url}: {}", why(e)), fix_net),
    };
    let status = resp.status().as_u16();
    if status != 200 {
        return Row::fail("geoblock", format!("{url}: HTTP {status}"), fix_net);
    }
    match resp.json::<Geoblock>() {
        Ok(g) if g.blocked => Row::fail(
            "geoblock",
            format!(
                "BLOCKED: this host's address {} is seen in {}{}",
                g.ip,
                g.country,
                if g.region.is_empty() {
                    String::new()
                } else {
                    format!("-{}", g.region)
                }
            ),
            "orders from here are refused: run from a region Polymarket allows, e.g. AWS \
             eu-west-1 (Ireland), never a VPN (deploy/README.md, Region)",
        ),
        Ok(g) => Row::pass(
            "geoblock",
            format!("allowed: {} seen in {} {}", g.ip, g.country, g.region)
                .trim_end()
                .to_string(),
        ),
        Err(e) => Row::fail(
            "geoblock",
            format!("{url}: unreadable answer: {}", why(e)),
            fix_net,
        ),
    }
}

/// The interval the clock offset (venue − local, ms) lies in, from one `GET /time` answered
/// `server_s` between local `t0_ms` and `t1_ms`.
pub fn offset_bounds(server_s: u64, t0_ms: u64, t1_ms: u64) -> (i64, i64) {
    let s = server_s as i64 * 1000;
    (s - t1_ms as i64, s + 999 - t0_ms as i64)
}

pub fn clock(client: &reqwest::blocking::Client, clob: &str, max_skew_ms: u64) -> Row {
    let url = format!("{}/time", clob.trim_end_matches('/'));
    let fix_net = "check venues.clob and that this host reaches it";
    let t0 = wall_ms();
    let text = match client
        .get(&url)
        .send()
        .and_then(|r| r.error_for_status()?.text())
    {
        Ok(t) => t,
        Err(e) => return Row::fail("clock", format!("{url}: {}", why(e)), fix_net),
    };
    let t1 = wall_ms();
    let Some(server_s) = text
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(|v| v as u64)
    else {
        return Row::fail(
            "clock",
            format!("{url}: not a time: {:.40}", text.trim()),
            fix_net,
        );
    };
    let (lo, hi) = offset_bounds(server_s, t0, t1);
    let certain = if lo > 0 {
        lo
    } else if hi < 0 {
        -hi
    } else {
        0
    };
    let detail = format!(
        "venue − local offset between {lo} and {hi} ms (venue time in whole seconds, round trip {} ms)",
        t1 - t0
    );
    if certain as u64 > max_skew_ms {
        Row::fail(
            "clock",
            format!("{detail}: at least {certain} ms off, more than preflight.max_clock_skew_ms = {max_skew_ms}"),
            "synchronise the clock (chrony or systemd-timesyncd against the cloud's time \
             service: `timedatectl status` must say synchronized: yes); signed requests more \
             than 30 s off are refused",
        )
    } else {
        Row::pass("clock", detail)
    }
}

#[derive(Deserialize)]
struct ApiKeys {
    #[serde(rename = "apiKeys", default)]
    api_keys: Vec<serde_json::Value>,
}

pub fn credentials(client: &reqwest::blocking::Client, clob: &str, id: Option<&Identity>) -> Row {
    let derive = "run `cassandra auth derive-key` with this signing key and put the three \
        values in POLYMARKET_API_KEY, POLYMARKET_API_SECRET, POLYMARKET_API_PASSPHRASE";
    let Some(id) = id else {
        return Row::fail(
            "credentials",
            "needs a usable signing key and wallet type (see the rows above)",
            "fix the signing key and wallet type first",
        );
    };
    let Some(creds) = &id.creds else {
        return Row::fail("credentials", id.creds_error.clone(), derive);
    };
    let signer = match L2Signer::new(creds) {
        Ok(s) => s,
        Err(e) => return Row::fail("credentials", e.to_string(), derive),
    };
    let path = "/auth/api-keys";
    let h = L2Headers::new(&signer, creds, &id.eoa, wall_ms() / 1000, "GET", path, None);
    let mut req = client.get(format!("{}{path}", clob.trim_end_matches('/')));
    for (k, v) in h.pairs() {
        req = req.header(k, v);
    }
    let resp = match req.send() {
        Ok(r) => r,
        Err(e) => {
            return Row::fail(
                "credentials",
                format!("GET {path}: {}", why(e)),
                "check venues.clob and that this host reaches it",
            )
        }
    };
    let status = resp.status().as_u16();
    let key = creds.api_key();
    let shown = &key[..key.len().min(8)];
    match status {
        200 => {
            let listed = resp.json::<ApiKeys>().map(|k| {
                k.api_keys.iter().any(|v| {
                    v.as_str() == Some(key)
                        || v.get("apiKey").and_then(|k| k.as_str()) == Some(key)
                        || v.get("key").and_then(|k| k.as_str()) == Some(key)
                })
            });
            match listed {
                Ok(false) => Row::fail(
                    "credentials",
                    format!(
                        "the venue accepted the request but does not list API key {shown}… for {}",
                        id.eoa
                    ),
                    derive,
                ),
                _ => Row::pass(
                    "credentials",
                    format!(
                        "L2 read GET {path} accepted for API key {shown}… of {}",
                        id.eoa
                    ),
                ),
            }
        }
        401 | 403 => Row::fail(
            "credentials",
            format!(
                "GET {path}: HTTP {status}: the venue refused API key {shown}… with signer {}",
                id.eoa
            ),
            derive,
        ),
        s => Row::fail(
            "credentials",
            format!("GET {path}: HTTP {s}"),
            "the CLOB is failing: check status.polymarket.com and retry",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::offset_bounds;

    #[test]
    fn a_whole_second_answer_bounds_the_offset() {
        // Asked at local 1000.400 s, answered by 1000.500 s with "1000": the venue's clock
        // read 1000.000..1000.999 while ours read 1000.400..1000.500.
        assert_eq!(offset_bounds(1000, 1_000_400, 1_000_500), (-500, 599));
        // Two minutes behind: certainly off by at least 119 s.
        let (lo, hi) = offset_bounds(880, 1_000_400, 1_000_500);
        assert!(hi < 0 && -hi >= 119_000, "{lo} {hi}");
    }
}
