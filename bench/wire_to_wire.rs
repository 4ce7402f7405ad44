//! Wire-to-wire tick-to-trade, measured by the venue, at rising feed rates.
//!
//! For each feed rate a fresh venue simulator runs in a separate process on loopback (this
//! binary re-executed with `--sim-child`). Each pipeline variant trades against it in live mode
//! with the gates open and a fixed cooldown, so orders flow at the same pace for every
//! variant. The simulator stamps every Binance trade frame's send; each order carries the
//! sequence of the frame that triggered it; the simulated CLOB takes the difference on
//! arrival. The product's own stage histograms come from the same runs. The kernel's loopback
//! round trip is measured in the same run as the floor to compare with.
//!
//! Run: `cargo bench --bench wire_to_wire` (or `bash perf/regenerate.sh` for the whole report).
//! Options: `-- --seconds N --warmup N --rates 1000,10000,… --variants product,async,…
//! --cooldown-ms N --window-s N --out PATH`. Writes `perf/REPORT.md`, `perf/plots/*.svg` and
//! `perf/hgrm/wire/<variant>-<rate>.hgrm` (paths follow `--out`'s directory).

#[path = "baseline_async/mod.rs"]
mod baseline_async;
#[path = "common/mod.rs"]
mod common;
#[path = "wire/loopback.rs"]
mod loopback;
#[path = "wire/plot.rs"]
mod plot;
#[path = "wire/report.rs"]
mod report;
#[path = "wire/run.rs"]
mod run;
#[path = "wire/run_command.rs"]
mod run_command;
#[path = "wire/sim_child.rs"]
mod sim_child;

use std::path::PathBuf;
use std::time::Duration;

use run::{RunSpec, Variant};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--sim-child") {
        return sim_child::run_child(&args);
    }
    let secs = |name: &str, default: f64| {
        arg(&args, name)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(default)
    };
    let spec = RunSpec {
        warmup: Duration::from_secs_f64(secs("--warmup", 3.0)),
        span: Duration::from_secs_f64(secs("--seconds", 10.0)),
        cooldown_ms: secs("--cooldown-ms", 100.0) as u64,
        window_s: secs("--window-s", 60.0) as u64,
    };
    let rates: Vec<f64> = arg(&args, "--rates")
        .unwrap_or_else(|| "1000,10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let variants: Vec<Variant> = arg(&args, "--variants")
        .unwrap_or_else(|| "product,crossbeam,std-mpsc,sign-now,spin-yield,unpinned,async".into())
        .split(',')
        .map(|s| Variant::parse(s.trim()).ok_or_else(|| anyhow::anyhow!("unknown variant {s:?}")))
        .collect::<anyhow::Result<_>>()?;
    let out = PathBuf::from(arg(&args, "--out").unwrap_or_else(|| "perf/REPORT.md".into()));
    let dir = out.parent().map(PathBuf::from).unwrap_or_default();

    let command = format!(
        "cargo bench --bench wire_to_wire -- {}",
        args.iter()
            .skip(1)
            .filter(|a| *a != "--bench")
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    );
    eprintln!(
        "wire-to-wire: rates {rates:?}, variants {:?}, {:?} warm-up + {:?} each",
        variants.iter().map(|v| v.slug()).collect::<Vec<_>>(),
        spec.warmup,
        spec.span
    );
    // The floor is sampled before every run and pooled, so it sees the machine as the runs do.
    let mut rtt = loopback::round_trip(5_000)?;
    let mut results = Vec::new();
    for &rate in &rates {
        for &v in &variants {
            rtt.add(loopback::round_trip(2_000)?)?;
            eprint!("  {:>9} /s  {:<34}", rate, v.label());
            match run::run(v, rate, spec) {
                Ok(r) => {
                    eprintln!(
                        " sent {:>9.0}/s, {} orders, p50 {} µs, {} refused {:?}, {} reconnects",
                        r.sent_per_s,
                        r.wire.len(),
                        report::us(r.wire.value_at_quantile(0.5)),
                        r.refused,
                        r.refused_by,
                        r.reconnects
                    );
                    if !r.skips.is_empty() {
                        eprintln!("      skipped: {:?}", r.skips);
                    }
                    results.push(r);
                }
                Err(e) => eprintln!(" failed: {e:#}"),
            }
        }
    }
    let files = report::write_all(&dir, &out, &command, spec, &rtt, &results)?;
    eprintln!("wrote {} ({} files)", out.display(), files);
    Ok(())
}
