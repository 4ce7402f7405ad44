//! `cassandra preflight [--config PATH]`: the go-live checks of [`crate::preflight`] as a
//! pass/fail table with the fix under each failure; exits non-zero when any check fails.
//! `cassandra run --mode live` calls [`before_live`] and refuses to start on a failure.

use crate::config::Config;
use crate::preflight::{self, Report};

/// Run every check with the process environment, print the table, and fail on a failure.
pub fn command(cfg: &Config) -> anyhow::Result<()> {
    cfg.validate()?;
    println!(
        "Cassandra preflight: CLOB {}, geoblock {}",
        cfg.venues.clob, cfg.preflight.geoblock_url
    );
    let report = preflight::run(cfg, &preflight::process_env);
    print!("{}", report.render());
    verdict(&report)
}

/// The same checks before live trading starts; an error names every failed check.
pub fn before_live(cfg: &Config) -> anyhow::Result<()> {
    println!("Preflight before live trading:");
    let report = preflight::run(cfg, &preflight::process_env);
    print!("{}", report.render());
    verdict(&report).map_err(|e| {
        anyhow::anyhow!("{e}; live mode refuses to start (run `cassandra preflight` after fixing)")
    })
}

fn verdict(report: &Report) -> anyhow::Result<()> {
    if report.passed() {
        return Ok(());
    }
    let failed: Vec<&str> = report.failures().map(|r| r.check.as_str()).collect();
    anyhow::bail!("preflight failed: {}", failed.join(", "))
}
