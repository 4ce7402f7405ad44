//! `perf/REPORT.md`: the wire-to-wire tables written from this run, the component, pipeline
//! and criterion reports folded in from their own files, the machine and the commands.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cassandra::telemetry::hgrm;
use hdrhistogram::Histogram;

use super::run::{RunResult, RunSpec, Variant};

pub fn us(ns: u64) -> String {
    let v = ns as f64 / 1000.0;
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub fn rate_label(rate: f64) -> String {
    if rate <= 0.0 {
        "flood".into()
    } else if rate >= 1e6 {
        format!("{}M/s", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{}k/s", rate / 1e3)
    } else {
        format!("{rate}/s")
    }
}

fn q(h: &Histogram<u64>, quantile: f64) -> u64 {
    if h.is_empty() {
        0
    } else {
        h.value_at_quantile(quantile)
    }
}

/// `p50 | p90 | p99 | p99.9 | max` in µs.
fn pct_cells(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return "– | – | – | – | –".into();
    }
    format!(
        "{} | {} | {} | {} | {}",
        us(q(h, 0.5)),
        us(q(h, 0.9)),
        us(q(h, 0.99)),
        us(q(h, 0.999)),
        us(h.max())
    )
}

fn ratio(a: u64, b: u64) -> String {
    if a == 0 || b == 0 {
        "–".into()
    } else {
        format!("{:.1}×", b as f64 / a as f64)
    }
}

/// The highest rate at which `variant` kept up: the simulator sent ≥ 90% of the requested
/// rate (or flooded), the client read what was sent, no hot ring overflowed, and p99 stayed
/// within 10× of its p99 at the lowest rate. `None` when even the lowest rate failed.
pub fn knee(results: &[RunResult], variant: Variant) -> (Option<f64>, String) {
    let mut runs: Vec<&RunResult> = results.iter().filter(|r| r.variant == variant).collect();
    runs.sort_by(|a, b| {
        let key = |r: &RunResult| {
            if r.rate_hz <= 0.0 {
                f64::MAX
            } else {
                r.rate_hz
            }
        };
        key(a).total_cmp(&key(b))
    });
    let Some(base) = runs.first().map(|r| q(&r.wire, 0.99)) else {
        return (None, "no runs".into());
    };
    let mut last_ok = None;
    for r in &runs {
        let p99 = q(&r.wire, 0.99);
        let kept_rate = r.rate_hz <= 0.0 || r.sent_per_s >= 0.9 * r.rate_hz;
        // The async baseline counts its reads itself; the command's are not visible from here.
        let read_all = matches!(r.variant, Variant::Async | Variant::RunCommand)
            || r.read_per_s >= 0.9 * r.sent_per_s;
        let why = if r.wire.is_empty() {
            Some("no order reached the venue".to_string())
        } else if r.hot_ring_full > 0 {
            Some(format!("a hot ring filled {} times", r.hot_ring_full))
        } else if !read_all {
            Some(format!(
                "read {:.0}/s of {:.0}/s sent",
                r.read_per_s, r.sent_per_s
            ))
        } else if base > 0 && p99 > 10 * base {
            Some(format!(
                "p99 {} µs, {}× the lowest rate's",
                us(p99),
                p99 / base
            ))
        } else {
            None
        };
        match why {
            Some(w) => {
                return (
                    last_ok,
                    format!("breaks at {} ({w})", rate_label(r.rate_hz)),
                )
            }
            None if !kept_rate => {
                return (
                    Some(r.sent_per_s),
                    format!(
                        "the simulator tops out at {:.0} frames/s (asked {}); no knee below it",
                        r.sent_per_s,
                        rate_label(r.rate_hz)
                    ),
                )
            }
            None => last_ok = Some(r.sent_per_s),
        }
    }
    (last_ok, "no knee within the rates run".into())
}

/// Another report's body with its title dropped and its headings pushed two levels down.
fn fold_in(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 && line.starts_with("# ") {
            continue;
        }
        if line.starts_with('#') {
            out.push_str("##");
        }
        out.push_str(line);
        out.push('\n');
    }
    Some(out)
}

/// Criterion's medians from `<target>/criterion/**/new/estimates.json`.
fn criterion_table() -> Option<String> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let root = PathBuf::from(target).join("criterion");
    let mut rows = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "new") {
                    let est = p.join("estimates.json");
                    if let Some(v) = std::fs::read_to_string(&est)
                        .ok()
                        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    {
                        let name = d
                            .strip_prefix(&root)
                            .map(|r| r.display().to_string())
                            .unwrap_or_default();
                        let median = v["median"]["point_estimate"].as_f64().unwrap_or(0.0);
                        let lo = v["median"]["confidence_interval"]["lower_bound"]
                            .as_f64()
                            .unwrap_or(0.0);
                        let hi = v["median"]["confidence_interval"]["upper_bound"]
                            .as_f64()
                            .unwrap_or(0.0);
                        rows.push((name, median, lo, hi));
                    }
                } else if p.file_name().is_none_or(|n| n != "report") {
                    stack.push(p);
                }
            }
        }
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut s =
        String::from("| benchmark | median ns | 95% interval of the median |\n|---|---:|---|\n");
    for (name, m, lo, hi) in rows {
        let _ = writeln!(s, "| {name} | {m:.0} | {lo:.0} – {hi:.0} |");
    }
    Some(s)
}

fn wire_hgrm(dir: &Path, results: &[RunResult], rtt: &Histogram<u64>) -> anyhow::Result<usize> {
    let d = dir.join("hgrm").join("wire");
    std::fs::create_dir_all(&d)?;
    let mut n = 0;
    for r in results.iter().filter(|r| !r.wire.is_empty()) {
        let name = format!(
            "{}-{}.hgrm",
            r.variant.slug(),
            rate_label(r.rate_hz).replace("/s", "")
        );
        std::fs::write(d.join(name), hgrm::percentile_distribution(&r.wire, 1000.0))?;
        n += 1;
    }
    // The pipeline's own stages, per run: `<variant>-<rate>/<stage>.hgrm`.
    for r in results.iter().filter(|r| !r.stages.is_empty()) {
        let run_dir = d.join(format!(
            "{}-{}",
            r.variant.slug(),
            rate_label(r.rate_hz).replace("/s", "")
        ));
        std::fs::create_dir_all(&run_dir)?;
        for (stage, h) in r.stages.iter().filter(|(_, h)| !h.is_empty()) {
            std::fs::write(
                run_dir.join(format!("{stage}.hgrm")),
                hgrm::percentile_distribution(h, 1000.0),
            )?;
            n += 1;
        }
    }
    std::fs::write(
        d.join("loopback-rtt.hgrm"),
        hgrm::percentile_distribution(rtt, 1000.0),
    )?;
    Ok(n + 1)
}

/// Write REPORT.md, the plots and the `.hgrm` files; returns how many files were written.
pub fn write_all(
    dir: &Path,
    out: &Path,
    command: &str,
    spec: RunSpec,
    rtt: &Histogram<u64>,
    results: &[RunResult],
) -> anyhow::Result<usize> {
    let mut files = wire_hgrm(dir, results, rtt)?;
    let plots = super::plot::write_plots(&dir.join("plots"), results, rtt)?;
    files += plots.len();

    let mut rates: Vec<f64> = results.iter().map(|r| r.rate_hz).collect();
    rates.dedup();
    let variants: Vec<Variant> = {
        let mut v: Vec<Variant> = Vec::new();
        for r in results {
            if !v.contains(&r.variant) {
                v.push(r.variant);
            }
        }
        v
    };
    let find = |v: Variant, rate: f64| results.iter().find(|r| r.variant == v && r.rate_hz == rate);

    let mut s = String::new();
    let now = super::common::sh("date -u '+%Y-%m-%d %H:%M UTC'");
    let _ = writeln!(s, "# Cassandra performance report\n");
    let _ = writeln!(
        s,
        "Generated {now} on **{}** by `bash perf/regenerate.sh`; the wire-to-wire part by \
         `{command}`. The simulator, the pipeline under test and this harness share the \
         machine's cores, so every ratio below compares runs made in this same run.\n",
        super::common::machine()
    );

    // Headline against the targets.
    let low = rates.first().copied().unwrap_or(0.0);
    let product_low = find(Variant::Product, low);
    let _ = writeln!(s, "## Headline\n");
    let _ = writeln!(s, "| target | measured | met |\n|---|---|---|");
    if let Some(p) = product_low {
        if let Some(h) = p.stages.get("tick_to_decision") {
            let p50 = q(h, 0.5);
            let p999 = q(h, 0.999);
            let _ = writeln!(
                s,
                "| tick-to-decision p50 ≤ 1 µs (in process, {}) | {} µs | {} |",
                rate_label(low),
                us(p50),
                if p50 <= 1_000 { "yes" } else { "no" }
            );
            let _ = writeln!(
                s,
                "| tick-to-decision p99.9 ≤ 10 µs (in process, {}) | {} µs | {} |",
                rate_label(low),
                us(p999),
                if p999 <= 10_000 { "yes" } else { "no" }
            );
        }
        let w50 = q(&p.wire, 0.5);
        let r50 = q(rtt, 0.5);
        let _ = writeln!(
            s,
            "| wire-to-wire p50 within 2× the loopback round trip ({}) | {} µs vs {} µs = {} | {} |",
            rate_label(low),
            us(w50),
            us(r50),
            ratio(r50, w50),
            if w50 > 0 && w50 <= 2 * r50 { "yes" } else { "no" }
        );
        if let Some(a) = find(Variant::Async, low) {
            let (pp, ap) = (q(&p.wire, 0.99), q(&a.wire, 0.99));
            let _ = writeln!(
                s,
                "| ≥ 10× the async pipeline at p99 ({}) | {} µs vs {} µs = {} | {} |",
                rate_label(low),
                us(pp),
                us(ap),
                ratio(pp, ap),
                if pp > 0 && ap >= 10 * pp { "yes" } else { "no" }
            );
        }
    }
    // Issue 15's targets for the run-to-completion plan on a small machine, when it ran.
    if let Some(r) = find(Variant::RunToCompletion, low) {
        let (p50, p99) = (q(&r.wire, 0.5), q(&r.wire, 0.99));
        let _ = writeln!(
            s,
            "| run to completion: wire-to-wire p50 ≤ 60 µs ({}) | {} µs | {} |",
            rate_label(low),
            us(p50),
            if p50 > 0 && p50 <= 60_000 {
                "yes"
            } else {
                "no"
            }
        );
        let _ = writeln!(
            s,
            "| run to completion: wire-to-wire p99 ≤ 250 µs ({}) | {} µs | {} |",
            rate_label(low),
            us(p99),
            if p99 > 0 && p99 <= 250_000 {
                "yes"
            } else {
                "no"
            }
        );
        if let Some(a) = find(Variant::Async, low) {
            for (name, pq) in [("p50", 0.5), ("p99", 0.99)] {
                let (rp, ap) = (q(&r.wire, pq), q(&a.wire, pq));
                let _ = writeln!(
                    s,
                    "| run to completion ≥ 4× the tokio baseline at {name} ({}) | {} µs vs {} µs = {} | {} |",
                    rate_label(low),
                    us(rp),
                    us(ap),
                    ratio(rp, ap),
                    if rp > 0 && ap >= 4 * rp { "yes" } else { "no" }
                );
            }
        }
        if let Some(h) = r.stages.get("tick_to_trade") {
            let t50 = q(h, 0.5);
            let _ = writeln!(
                s,
                "| run to completion: in-process tick → order bytes written p50 ≤ 15 µs ({}) | {} µs | {} |",
                rate_label(low),
                us(t50),
                if t50 > 0 && t50 <= 15_000 { "yes" } else { "no" }
            );
        }
        // A reconnect storm must not stall the hot thread longer than one event (issue 15):
        // its passes that dropped or took over a connection against its passes that traded
        // (frame read → order written), same storm run.
        if let Some(st) = find(Variant::RtcStorm, low) {
            if let (Some(link), Some(trade)) = (
                st.stages.get("reconnect_pass"),
                st.stages.get("tick_to_trade"),
            ) {
                let _ = writeln!(
                    s,
                    "| reconnect storm: no pass with a reconnect longer than one traded event ({}, feeds dropped every {} ms) | {} reconnect passes: p50 {} / max {} µs; traded events: p50 {} / max {} µs | {} |",
                    rate_label(low),
                    super::run::STORM_DROP_EVERY_MS,
                    link.len(),
                    us(q(link, 0.5)),
                    us(link.max()),
                    us(q(trade, 0.5)),
                    us(trade.max()),
                    if !link.is_empty() && link.max() <= trade.max() {
                        "yes"
                    } else {
                        "no"
                    }
                );
            }
        }
        // The same span without the `write` call itself (its cost is the kernel's).
        if let (Some(h), Some(w)) = (
            r.stages.get("tick_to_order_ready"),
            r.stages.get("order_write_call"),
        ) {
            let t50 = q(h, 0.5);
            let _ = writeln!(
                s,
                "| (the same, up to the bytes ready: p50 {} µs; the `write` call itself p50 {} µs) | | |",
                us(t50),
                us(q(w, 0.5)),
            );
        }
    }
    let _ = writeln!(s);

    // Wire-to-wire tables.
    let _ = writeln!(s, "## Wire-to-wire tick-to-trade (measured by the venue)\n");
    let _ = writeln!(
        s,
        "From the simulator writing the Binance trade frame that triggered a decision to the \
         simulated CLOB receiving the order (`POST /order`, after HTTP parsing). Simulator in \
         its own process on loopback, one asset, gates open, a {} ms cooldown between orders \
         (so every variant sends orders at the same pace), FAK buys signed with a throwaway key \
         and verified by the venue. Only orders the venue accepted are samples (authenticated, \
         signature and amounts valid, funded: matched, rested, delayed, or a FAK killed for \
         want of liquidity); the ones it refused are counted in the last-but-one column. {:.0} s \
         measured after {:.0} s of warm-up per run, each run with a fresh simulator. Latencies \
         in µs; ratios are the variant's over the product's (the run-to-completion plan's when \
         the default product was not run) at the same rate.\n",
        spec.cooldown_ms,
        spec.span.as_secs_f64(),
        spec.warmup.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "Kernel loopback round trip (64 B echo, two threads, blocking; sampled before every \
         run of this report and pooled): \
         p50 {} / p90 {} / p99 {} / p99.9 {} / max {} µs.\n",
        us(q(rtt, 0.5)),
        us(q(rtt, 0.9)),
        us(q(rtt, 0.99)),
        us(q(rtt, 0.999)),
        us(rtt.max())
    );
    for &rate in &rates {
        let _ = writeln!(s, "### Feed {}\n", rate_label(rate));
        let _ = writeln!(
            s,
            "| variant | sent frames/s | read frames/s | orders | p50 | p90 | p99 | p99.9 | max | p50 ratio | p99 ratio | unmatched / untagged / refused by the venue | hot ring full |"
        );
        let _ = writeln!(
            s,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
        );
        let base = find(Variant::Product, rate).or_else(|| find(Variant::RunToCompletion, rate));
        for &v in &variants {
            let Some(r) = find(v, rate) else { continue };
            let (r50, r99) = match base {
                Some(b) => (
                    ratio(q(&b.wire, 0.5), q(&r.wire, 0.5)),
                    ratio(q(&b.wire, 0.99), q(&r.wire, 0.99)),
                ),
                None => ("–".into(), "–".into()),
            };
            let read = if matches!(v, Variant::Async | Variant::RunCommand) {
                "–".to_string()
            } else {
                format!("{:.0}", r.read_per_s)
            };
            let _ = writeln!(
                s,
                "| {} | {:.0} | {} | {} | {} | {} | {} | {} / {} / {} | {} |",
                v.label(),
                r.sent_per_s,
                read,
                r.wire.len(),
                pct_cells(&r.wire),
                r50,
                r99,
                r.unmatched,
                r.untagged,
                r.venue_refused,
                r.hot_ring_full
            );
        }
        let _ = writeln!(s);
        legs_table(&mut s, &variants, rate, &find);
        book_table(&mut s, &variants, rate, &find);
        hot_pass_table(&mut s, &variants, rate, &find);
    }
    let _ = writeln!(
        s,
        "### Knee (highest feed rate each variant kept up with)\n"
    );
    let _ = writeln!(
        s,
        "| variant | knee (frames/s sent) | what happened above it |\n|---|---:|---|"
    );
    for &v in &variants {
        let (k, why) = knee(results, v);
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            v.label(),
            k.map_or("–".into(), |x| format!("{x:.0}")),
            why
        );
    }
    let _ = writeln!(s);
    for p in &plots {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let _ = writeln!(s, "![{name}](plots/{name})\n");
    }

    // Stage breakdown.
    let _ = writeln!(
        s,
        "## Stage breakdown (the product's own histograms, same runs)\n"
    );
    let _ = writeln!(
        s,
        "Stamps are taken inside the pipeline (`CLOCK_MONOTONIC`, vDSO): frame read → parsed \
         (`binance_parse`), → dequeued by `signal` (`spot_to_signal`), event dequeued → decision \
         (`decide`), frame read → decision (`tick_to_decision`), decision → intent dequeued by \
         `order` (`intent_to_order`), intent dequeued → request written, presigned or signed on \
         the spot (`order_write_*`), frame read → request written (`tick_to_trade`). `.hgrm` \
         files: `perf/hgrm/wire/<variant>-<rate>.hgrm` end to end and \
         `perf/hgrm/wire/<variant>-<rate>/<stage>.hgrm` per stage. `order_write_*` and \
         `tick_to_trade` end after the `write` returns; on loopback the kernel delivers the \
         request to the simulator inside that call, and with shared cores the scheduler often \
         runs the simulator's handler before the order thread resumes, so on a small machine \
         they can exceed the venue-measured wire-to-wire time.\n"
    );
    for &rate in &rates {
        for v in [
            Variant::Product,
            Variant::RunToCompletion,
            Variant::FourThreads,
            Variant::SignNow,
            Variant::SpinYield,
            Variant::Unpinned,
        ] {
            let Some(r) = find(v, rate) else { continue };
            if r.stages.is_empty() {
                continue;
            }
            let named: u64 = r.refused_by.iter().sum();
            let mut why: Vec<String> = super::run::REFUSAL_REASONS
                .iter()
                .zip(r.refused_by)
                .filter(|(_, n)| *n > 0)
                .map(|(reason, n)| format!("{reason} {n}"))
                .collect();
            if r.refused > named {
                // Intents the order thread did not hand to the connection at all: the kill
                // switch was on, or the mode was not live.
                why.push(format!("kill switch {}", r.refused - named));
            }
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(" [{}]", why.join(", "))
            };
            let _ = writeln!(
                s,
                "### {} at {} (core plan: `{}`; {} presigned, {} signed on the spot, {} refused \
                 before sending{why}, {} order-connection failures)\n",
                v.label(),
                rate_label(rate),
                r.plan,
                r.presigned,
                r.signed_now,
                r.refused,
                r.reconnects
            );
            let _ = writeln!(s, "| stage | count | p50 | p90 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|---:|");
            for (stage, h) in &r.stages {
                if h.is_empty() {
                    continue;
                }
                let _ = writeln!(s, "| {stage} | {} | {} |", h.len(), pct_cells(h));
            }
            let _ = writeln!(s);
        }
    }

    // The other reports, folded in.
    let _ = writeln!(
        s,
        "## Micro-benchmarks (criterion, `cargo bench --bench micro`)\n"
    );
    match criterion_table() {
        Some(t) => {
            let _ = writeln!(s, "{t}");
        }
        None => {
            let _ = writeln!(
                s,
                "Not run in this regeneration (no criterion results under the target directory).\n"
            );
        }
    }
    for (title, file) in [
        (
            "Components: parsers, rings, signing (`cargo bench --bench components`)",
            "COMPONENTS.md",
        ),
        (
            "In-process pipeline: rates, wait strategies, pinning (`cargo bench --bench hot_path`)",
            "PIPELINE.md",
        ),
    ] {
        let _ = writeln!(s, "## {title}\n");
        match fold_in(&dir.join(file)) {
            Some(body) => {
                let _ = writeln!(s, "{body}");
            }
            None => {
                let _ = writeln!(s, "`{file}` not found next to this report.\n");
            }
        }
    }
    std::fs::write(out, s)?;
    Ok(files + 1)
}

/// The runs at `rate`, in variant order, that `keep` wants in a table.
fn rows_where<'a>(
    variants: &[Variant],
    rate: f64,
    find: &dyn Fn(Variant, f64) -> Option<&'a RunResult>,
    keep: impl Fn(&RunResult) -> bool,
) -> Vec<&'a RunResult> {
    variants
        .iter()
        .filter_map(|&v| find(v, rate))
        .filter(|r| keep(r))
        .collect()
}

/// Orders a book update triggered, measured from the market channel's write of that update.
fn book_table<'a>(
    s: &mut String,
    variants: &[Variant],
    rate: f64,
    find: &dyn Fn(Variant, f64) -> Option<&'a RunResult>,
) {
    let rows = rows_where(variants, rate, find, |r| {
        r.book_wire.len() + r.book_unmatched + r.book_ambiguous > 0
    });
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "Orders triggered by a Polymarket book update (named by the update's timestamp and hash; \
         from the simulator writing it on the market channel to the venue receiving the \
         order; not in the table above), and their legs as above (p50 / max). Latencies in µs.\n"
    );
    let _ = writeln!(
        s,
        "| variant | orders | p50 | p90 | p99 | p99.9 | max | unmatched / ambiguous | feed | pipeline | order |\n\
         |---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"
    );
    for r in rows {
        let cell = |h: &Histogram<u64>| {
            if h.is_empty() {
                "–".to_string()
            } else {
                format!("{} / {}", us(q(h, 0.5)), us(h.max()))
            }
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} / {} | {} | {} | {} |",
            r.variant.label(),
            r.book_wire.len(),
            pct_cells(&r.book_wire),
            r.book_unmatched,
            r.book_ambiguous,
            cell(&r.book_legs[0]),
            cell(&r.book_legs[1]),
            cell(&r.book_legs[2])
        );
    }
    let _ = writeln!(s);
}

/// How long the threads that own the sockets were away from them: one pass of the loop
/// (`hot_pass`), calm and under the reconnect storm.
fn hot_pass_table<'a>(
    s: &mut String,
    variants: &[Variant],
    rate: f64,
    find: &dyn Fn(Variant, f64) -> Option<&'a RunResult>,
) {
    let rows = rows_where(variants, rate, find, |r| {
        r.stages.get("hot_pass").is_some_and(|h| !h.is_empty())
    });
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "One pass of each thread that owns sockets (`hot_pass`: the run-to-completion thread; \
         under four threads, both ingest threads pooled): link upkeep, then what it read and \
         handled. **Preempted**: the times the scheduler took the core from the hot threads \
         during the run (`nonvoluntary_ctxt_switches`): a pass that long without one would be \
         the product's own work. The rtc-storm run's simulator drops every feed connection \
         every {} ms. Latencies in µs.\n",
        super::run::STORM_DROP_EVERY_MS
    );
    let _ = writeln!(
        s,
        "| variant | passes | p50 | p99 | p99.9 | p99.99 | max | passes ≥ 1 ms | preempted | feed reconnects | passes with a link change: count, p50 / max |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for r in rows {
        let Some(h) = r.stages.get("hot_pass") else {
            continue;
        };
        let long = h.count_between(1_000_000, h.max().max(1_000_000));
        let link = r
            .stages
            .get("reconnect_pass")
            .filter(|h| !h.is_empty())
            .map_or("–".to_string(), |h| {
                format!("{}: {} / {}", h.len(), us(q(h, 0.5)), us(h.max()))
            });
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.variant.label(),
            h.len(),
            us(q(h, 0.5)),
            us(q(h, 0.99)),
            us(q(h, 0.999)),
            us(q(h, 0.9999)),
            us(h.max()),
            long,
            r.hot_preempted,
            r.feed_reconnects,
            link
        );
    }
    let _ = writeln!(s);
}

/// Where each variant's wire-to-wire time went, by the clock the simulator and the product
/// share (only the product tags its orders with its own stamps).
fn legs_table<'a>(
    s: &mut String,
    variants: &[Variant],
    rate: f64,
    find: &dyn Fn(Variant, f64) -> Option<&'a RunResult>,
) {
    let rows = rows_where(variants, rate, find, |r| !r.legs[0].is_empty());
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "Where the time went (same samples, split by `CLOCK_MONOTONIC`, which both processes \
         read): **feed** = the simulator stamps the frame → the product has read it; \
         **pipeline** = read → the order's write begins (parse, decide, pick or sign, HMAC, \
         format); **order** = write begins → the venue's handler has the parsed request \
         (the `write` itself, loopback, waking the simulator's HTTP thread, HTTP parsing). \
         p50 / p99 in µs. **Presigned**: orders written from the presigned ladder among all \
         orders written in the span (the rest were signed on the spot).\n"
    );
    let _ = writeln!(
        s,
        "| variant | samples | feed | pipeline | order | presigned |\n|---|---:|---:|---:|---:|---:|"
    );
    for r in rows {
        let cell = |h: &Histogram<u64>| format!("{} / {}", us(q(h, 0.5)), us(q(h, 0.99)));
        let written = r.presigned + r.signed_now;
        let presigned = if written == 0 {
            "–".to_string()
        } else {
            format!(
                "{} / {} = {:.0} %",
                r.presigned,
                written,
                100.0 * r.presigned as f64 / written as f64
            )
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            r.variant.label(),
            r.legs[0].len(),
            cell(&r.legs[0]),
            cell(&r.legs[1]),
            cell(&r.legs[2]),
            presigned
        );
    }
    let _ = writeln!(s);
}
