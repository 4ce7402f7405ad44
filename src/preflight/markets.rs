//! Market discovery: each configured asset's current (else next) window is found through
//! Gamma and the CLOB exactly as the running pipeline finds it
//! ([`crate::control::discovery::Discovery`]).

use super::Row;
use crate::config::Config;
use crate::control::discovery::{Discovery, DiscoveryError};
use crate::pipeline::registry::AssetTable;

pub fn discovery(cfg: &Config) -> Vec<Row> {
    let assets = match AssetTable::from_names(&cfg.assets) {
        Ok(a) => a,
        Err(e) => {
            return vec![Row::fail(
                "markets",
                format!("assets = {:?}: {e}", cfg.assets),
                "fix `assets` in the configuration",
            )]
        }
    };
    let w = &cfg.windows;
    let d = match Discovery::new(
        &cfg.venues.gamma,
        &cfg.venues.clob,
        &w.slug_kind,
        w.length_s,
    ) {
        Ok(d) => d,
        Err(e) => {
            return vec![Row::fail(
                "markets",
                e.to_string(),
                "check windows.slug_kind, windows.length_s, venues.gamma, venues.clob",
            )]
        }
    };
    let now_s = crate::clock::wall_ms() / 1000;
    let now_w = d.window_at(now_s);
    let (start, next) = (now_w.start_s, d.next(now_w).start_s);
    assets
        .iter()
        .map(|(id, a)| {
            let check = format!("market {}", a.name);
            let found = match d.discover(id, &a.name, start) {
                Err(DiscoveryError::NotFound(_)) => d.discover(id, &a.name, next),
                r => r,
            };
            match found {
                Ok(m) => Row::pass(
                    check,
                    format!(
                        "{} ends in {} s: tick {}, min {} shares, taker fee r={} e={}",
                        m.slug,
                        m.end_s.saturating_sub(now_s),
                        f64::from(m.tick_e4) / 1e4,
                        m.min_size_e6 as f64 / 1e6,
                        m.fees.rate,
                        m.fees.exponent
                    ),
                ),
                Err(e @ DiscoveryError::NotFound(_)) => Row::fail(
                    check,
                    format!("{e} (this window or the next)"),
                    format!(
                        "no {} market is listed now: check `assets` and `windows.slug_kind` = {:?}, \
                         `windows.length_s` = {} against polymarket.com",
                        a.name, w.slug_kind, w.length_s
                    ),
                ),
                Err(e @ DiscoveryError::Transport { .. }) => Row::fail(
                    check,
                    e.to_string(),
                    "check venues.gamma and venues.clob and that this host reaches them",
                ),
                Err(e) => Row::fail(
                    check,
                    e.to_string(),
                    "the venue answered something Cassandra cannot trade on: check the market on \
                     polymarket.com; remove the asset from `assets` until it is fixed",
                ),
            }
        })
        .collect()
}
