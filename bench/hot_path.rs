//! Hot-path benchmark at the simulator's flood rate.
//!
//! The simulator (same process, loopback) writes Binance trade frames as fast as the socket
//! takes them; the full pipeline runs against it in paper mode. After a warm-up the latency
//! histograms restart, and for the measured span this reports the frames per second the
//! `binance-ingest` thread sustained and the pipeline's own per-stage percentiles (frame read →
//! parsed → dequeued by `signal` → decision). Each configuration (wait strategy, pinning) is
//! measured in the same run, so their ratios compare like with like on a shared machine.
//!
//! Run: `cargo bench --bench hot_path` (writes `perf/PIPELINE.md` and `perf/hgrm/`);
//! options: `-- --seconds N --warmup N --out PATH --only LABEL-SUBSTRING`.

#[path = "common/mod.rs"]
mod common;

use cassandra::pipeline::cores::PlanKind;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cassandra::config::Config;
use cassandra::demo::Demo;
use cassandra::pipeline::wait::WaitStrategy;
use cassandra::telemetry::{hgrm, StageSummary};

struct Run {
    label: String,
    plan: String,
    frames_per_s: f64,
    sent_per_s: f64,
    latency: std::collections::BTreeMap<&'static str, StageSummary>,
    histograms: std::collections::BTreeMap<&'static str, hdrhistogram::Histogram<u64>>,
    hot_ring_full: u64,
    decisions_per_s: f64,
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Dashboard clients reading `/ws` while a run is measured.
fn dashboard_clients(
    url: &str,
    n: usize,
    stop: Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<u64>> {
    (0..n)
        .map(|_| {
            let (url, stop) = (url.to_string(), stop.clone());
            std::thread::spawn(move || {
                let Ok((mut ws, _)) = tungstenite::connect(url.as_str()) else {
                    return 0;
                };
                if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_mut() {
                    let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
                }
                let mut got = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if ws.read().is_ok() {
                        got += 1;
                    }
                }
                got
            })
        })
        .collect()
}

fn run(
    label: &str,
    rate_hz: f64,
    wait: Option<WaitStrategy>,
    pin: bool,
    warmup: Duration,
    span: Duration,
) -> Run {
    run_with_clients(label, rate_hz, wait, pin, warmup, span, None)
}

/// A paced run with the live plan forced (four threads or run to completion), whatever the
/// machine would pick.
fn run_plan(label: &str, rate_hz: f64, plan: PlanKind, warmup: Duration, span: Duration) -> Run {
    let mut cfg = Config::default();
    cfg.demo.binance_rate_hz = rate_hz;
    cfg.api.enabled = false;
    cfg.demo.sim_alerts = false;
    cfg.whales.enabled = false;
    cfg.demo.window_s = 60;
    cfg.pipeline.plan = plan;
    run_cfg(label, cfg, warmup, span, None)
}

/// A live-mode run against the simulated CLOB with wide-open gates, so orders flow: for the
/// order-path stages (presigned vs signed on the spot) measured in the same run.
fn run_live(label: &str, warmup: Duration, span: Duration) -> Run {
    let mut cfg = Config {
        mode: cassandra::pipeline::shared::Mode::Live,
        ..Config::default()
    };
    cfg.demo.binance_rate_hz = 1_000.0;
    cfg.demo.window_s = 60;
    cfg.api.enabled = false;
    cfg.whales.enabled = false;
    cfg.demo.sim_alerts = false;
    cassandra::demo::trade_eagerly(&mut cfg);
    // A few orders a second per window: the ladder (re-signing every 200 ms) keeps up, so
    // both order paths are taken in the same run.
    cfg.strategy.gates.cooldown_ms = 3_000;

    run_cfg(label, cfg, warmup, span, None)
}

fn run_with_clients(
    label: &str,
    rate_hz: f64,
    wait: Option<WaitStrategy>,
    pin: bool,
    warmup: Duration,
    span: Duration,
    clients: Option<usize>,
) -> Run {
    let mut cfg = Config::default();
    cfg.demo.binance_rate_hz = rate_hz; // 0 = flood
    cfg.api.enabled = clients.is_some(); // the pipeline alone unless clients are measured
    cfg.demo.sim_alerts = false;
    cfg.whales.enabled = false;
    cfg.demo.window_s = 60;
    cfg.pipeline.pin = pin;
    if let Some(w) = wait {
        cfg.pipeline.wait = w;
    }
    run_cfg(label, cfg, warmup, span, clients)
}

fn run_cfg(
    label: &str,
    mut cfg: Config,
    warmup: Duration,
    span: Duration,
    clients: Option<usize>,
) -> Run {
    cfg.api.bind = "127.0.0.1:0".into();
    cfg.api.ws_max_clients = 64;
    let demo = Demo::start(cfg).expect("demo starts");
    let plan = demo.pipeline.plan.compact();
    let stop_clients = Arc::new(AtomicBool::new(false));
    let client_threads = match (clients, demo.api()) {
        (Some(n), Some(api)) if n > 0 => {
            dashboard_clients(&format!("ws://{}/ws", api.addr), n, stop_clients.clone())
        }
        _ => Vec::new(),
    };
    std::thread::sleep(warmup);
    let shared = demo.pipeline.shared.clone();
    let c = &shared.counters;
    shared.reset_latency.store(true, Ordering::SeqCst);
    let f0 = c.binance.frames.load(Ordering::Relaxed);
    let s0 = demo.sim.stats().binance.frames_sent();
    let d0 = c.signal.signals.load(Ordering::Relaxed);
    let full0 = c.snapshot().hot_ring_full;
    let t = Instant::now();
    std::thread::sleep(span);
    let secs = t.elapsed().as_secs_f64();
    let f1 = c.binance.frames.load(Ordering::Relaxed);
    let s1 = demo.sim.stats().binance.frames_sent();
    let d1 = c.signal.signals.load(Ordering::Relaxed);
    let full1 = c.snapshot().hot_ring_full;
    stop_clients.store(true, Ordering::Relaxed);
    let ws_messages: u64 = client_threads
        .into_iter()
        .map(|t| t.join().unwrap_or(0))
        .sum();
    let summary = demo.stop();
    let _ = ws_messages;
    Run {
        label: label.to_string(),
        plan,
        frames_per_s: (f1 - f0) as f64 / secs,
        sent_per_s: (s1 - s0) as f64 / secs,
        latency: summary.latency_ns,
        histograms: summary.latency_histograms,
        hot_ring_full: full1 - full0,
        decisions_per_s: (d1 - d0) as f64 / secs,
    }
}

/// Ratio of stage `b` to stage `a` in one run.
fn stage_ratio2(
    runs: &[Run],
    label: &str,
    a: &str,
    b: &str,
    q: fn(&StageSummary) -> u64,
) -> String {
    let r = runs.iter().find(|r| r.label == label);
    match r.and_then(|r| Some((r.latency.get(a)?, r.latency.get(b)?))) {
        Some((x, y)) if q(x) > 0 => format!("{:.1}×", q(y) as f64 / q(x) as f64),
        _ => "n/a (a path was not taken)".into(),
    }
}

/// The order path without the network: building and signing an order on the spot versus
/// taking a presigned one from the ladder, each followed by the L2 HMAC and the request
/// formatted into a buffer (what the `order` thread does before the socket write).
fn micro_order_path(iterations: usize) -> (StageSummary, StageSummary) {
    use cassandra::clob::auth::HMAC_SIGNATURE_LEN;

    use cassandra::exec::ladder::OrderLadder;
    use cassandra::exec::orders::{build_buy, SaltSource};
    use cassandra::pipeline::events::{OrderType, TokenId};
    use std::io::Write as _;

    let common::OrderFixture {
        signer,
        account,
        info,
        l2,
        ..
    } = common::order_fixture();
    let mut salts = SaltSource::new(1_800_000_000_000, 3);
    let mut scratch = Vec::with_capacity(4096);
    let mut request = vec![0u8; 64 << 10];
    let mut ladder = OrderLadder::default();
    let mut write_request = |body: &[u8]| {
        let mut sig = [0u8; HMAC_SIGNATURE_LEN];
        let sig = l2.sign_into(1_800_000_000, "POST", "/order", Some(body), &mut sig);
        let mut w = std::io::Cursor::new(&mut request[..]);
        let _ = write!(
            w,
            "POST /order HTTP/1.1\r\nHost: clob\r\nPOLY_SIGNATURE: {sig}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = w.write_all(body);
        std::hint::black_box(w.position());
    };
    let mut signed = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).unwrap();
    let mut presigned = signed.clone();
    // The same order each time, with a fresh salt: signed ahead for the ladder or on the spot.
    let mut build = || {
        build_buy(
            &signer,
            &account,
            "k",
            &info,
            TokenId(1),
            5200,
            9_610_000,
            OrderType::Fak,
            salts.next_salt(),
            1_800_000_000_000,
            &mut scratch,
        )
        .expect("build")
    };
    for _ in 0..iterations {
        // Fill the ladder off the clock (the control side's job).
        let b = build();
        ladder.insert(b);
        let t = std::time::Instant::now();
        let b = build();
        write_request(b.bytes());
        signed.saturating_record(t.elapsed().as_nanos() as u64);
        let t = std::time::Instant::now();
        let b = ladder.take(TokenId(1), 5200, 9_610_000).expect("presigned");
        write_request(b.bytes());
        presigned.saturating_record(t.elapsed().as_nanos() as u64);
    }
    (
        cassandra::telemetry::stages::summarize(&signed),
        cassandra::telemetry::stages::summarize(&presigned),
    )
}

/// One `.hgrm` file per run and stage under `dir/<run-slug>/`; returns the files written.
fn write_hgrm(dir: &std::path::Path, runs: &[Run]) -> usize {
    let mut written = 0;
    for r in runs {
        let slug: String = r
            .label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let run_dir = dir.join(slug);
        std::fs::create_dir_all(&run_dir).expect("create hgrm dir");
        for (stage, h) in &r.histograms {
            let text = hgrm::percentile_distribution(h, 1000.0);
            std::fs::write(run_dir.join(format!("{stage}.hgrm")), text).expect("write hgrm");
            written += 1;
        }
    }
    written
}

fn us(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1000.0)
}

fn main() {
    let span = Duration::from_secs_f64(
        arg("--seconds")
            .and_then(|s| s.parse().ok())
            .unwrap_or(10.0),
    );
    let warmup =
        Duration::from_secs_f64(arg("--warmup").and_then(|s| s.parse().ok()).unwrap_or(3.0));
    let out = arg("--out")
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/perf/PIPELINE.md").into());

    let only = arg("--only");
    let wanted = |label: &str| only.as_deref().is_none_or(|o| label.contains(o));
    type Job = Box<dyn FnOnce() -> Run>;
    let (w, sp) = (warmup, span);
    let jobs: Vec<(&str, Job)> = vec![
        (
            "flood, auto plan (default)",
            Box::new(move || run("flood, auto plan (default)", 0.0, None, true, w, sp)),
        ),
        (
            "flood, spin-yield, pinned",
            Box::new(move || {
                run(
                    "flood, spin-yield, pinned",
                    0.0,
                    Some(WaitStrategy::SpinYield),
                    true,
                    w,
                    sp,
                )
            }),
        ),
        (
            "flood, auto plan, unpinned",
            Box::new(move || run("flood, auto plan, unpinned", 0.0, None, false, w, sp)),
        ),
        (
            "100k/s, auto plan",
            Box::new(move || run("100k/s, auto plan", 100_000.0, None, true, w, sp)),
        ),
        (
            "10k/s, auto plan",
            Box::new(move || run("10k/s, auto plan", 10_000.0, None, true, w, sp)),
        ),
        (
            "1k/s, auto plan",
            Box::new(move || run("1k/s, auto plan", 1_000.0, None, true, w, sp)),
        ),
        (
            "1k/s, run to completion",
            Box::new(move || {
                run_plan(
                    "1k/s, run to completion",
                    1_000.0,
                    PlanKind::RunToCompletion,
                    w,
                    sp,
                )
            }),
        ),
        (
            "1k/s, four threads",
            Box::new(move || run_plan("1k/s, four threads", 1_000.0, PlanKind::FourThreads, w, sp)),
        ),
        (
            "10k/s, run to completion",
            Box::new(move || {
                run_plan(
                    "10k/s, run to completion",
                    10_000.0,
                    PlanKind::RunToCompletion,
                    w,
                    sp,
                )
            }),
        ),
        (
            "10k/s, four threads",
            Box::new(move || {
                run_plan(
                    "10k/s, four threads",
                    10_000.0,
                    PlanKind::FourThreads,
                    w,
                    sp,
                )
            }),
        ),
        (
            "10k/s, API up, 0 dashboard clients",
            Box::new(move || {
                run_with_clients(
                    "10k/s, API up, 0 dashboard clients",
                    10_000.0,
                    None,
                    true,
                    w,
                    sp,
                    Some(0),
                )
            }),
        ),
        (
            "10k/s, API up, 50 dashboard clients",
            Box::new(move || {
                run_with_clients(
                    "10k/s, API up, 50 dashboard clients",
                    10_000.0,
                    None,
                    true,
                    w,
                    sp,
                    Some(50),
                )
            }),
        ),
        (
            "live, 1k/s, orders to the simulated CLOB",
            Box::new(move || run_live("live, 1k/s, orders to the simulated CLOB", w, sp)),
        ),
    ];
    let runs: Vec<Run> = jobs
        .into_iter()
        .filter(|(label, _)| wanted(label))
        .map(|(_, job)| job())
        .collect();

    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Hot path: flood and paced rates, wait strategies, dashboard load, order path\n"
    );
    let _ = writeln!(
        md,
        "Generated by `cargo bench --bench hot_path` (bench/hot_path.rs) on {}.\n",
        common::sh("date -u +%Y-%m-%dT%H:%MZ")
    );
    let _ = writeln!(md, "Machine: {}.\n", common::machine());
    let _ = writeln!(
        md,
        "Setup: simulator and pipeline in one process on loopback; the simulator writes Binance \
         trade frames for 4 assets as fast as the socket takes them (flood) or paced at the \
         rate named, Polymarket books at \
         5 updates/s per token, Chainlink at 1 Hz; paper mode with the default strategy. \
         Warm-up {:.0} s, then the histograms restart and {:.0} s are measured. Latencies are the \
         pipeline's own stage histograms (HdrHistogram, 3 significant digits), in µs. \
         On this machine the simulator's writer thread, the four hot threads and the control \
         side all share the cores, so these figures include scheduling contention.\n",
        warmup.as_secs_f64(),
        span.as_secs_f64()
    );
    let _ = writeln!(md, "| configuration | Binance frames/s received | frames/s sent | decisions/s | hot ring full |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    for r in &runs {
        let _ = writeln!(
            md,
            "| {} | {:.0} | {:.0} | {:.0} | {} |",
            r.label, r.frames_per_s, r.sent_per_s, r.decisions_per_s, r.hot_ring_full
        );
    }
    let _ = writeln!(md);
    for stage in [
        "binance_parse",
        "spot_to_signal",
        "decide",
        "tick_to_decision",
        "poly_parse",
        "book_to_signal",
        "order_write_presigned",
        "order_write_signed",
        "tick_to_trade",
    ] {
        let _ = writeln!(md, "### `{stage}` (µs)\n");
        let _ = writeln!(
            md,
            "| configuration | count | p50 | p90 | p99 | p99.9 | max |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|");
        for r in &runs {
            if let Some(l) = r.latency.get(stage) {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    r.label,
                    l.count,
                    us(l.p50),
                    us(l.p90),
                    us(l.p99),
                    us(l.p999),
                    us(l.max)
                );
            }
        }
        let _ = writeln!(md);
    }
    let base = runs[0]
        .latency
        .get("spot_to_signal")
        .map(|l| l.p50)
        .unwrap_or(0);
    let _ = writeln!(
        md,
        "Ratios of `spot_to_signal` p50 to the default configuration's:\n"
    );
    for r in &runs {
        if let Some(l) = r.latency.get("spot_to_signal") {
            let _ = writeln!(
                md,
                "- {}: {:.2}×",
                r.label,
                l.p50 as f64 / base.max(1) as f64
            );
        }
    }
    let stage_ratio = |stage: &str, a: &str, b: &str, q: fn(&StageSummary) -> u64| {
        let get = |l: &str| {
            runs.iter()
                .find(|r| r.label == l)
                .and_then(|r| r.latency.get(stage))
                .map(q)
        };
        match (get(a), get(b)) {
            (Some(x), Some(y)) if x > 0 => format!("{:.2}×", y as f64 / x as f64),
            _ => "n/a".into(),
        }
    };
    let (a, b) = (
        "10k/s, API up, 0 dashboard clients",
        "10k/s, API up, 50 dashboard clients",
    );
    let _ = writeln!(
        md,
        "\nDashboard load: `spot_to_signal` with 50 `/ws` clients vs none (same rate, same run): \
         p50 {}, p99 {}; `tick_to_decision` p50 {}, p99 {}.",
        stage_ratio("spot_to_signal", a, b, |l| l.p50),
        stage_ratio("spot_to_signal", a, b, |l| l.p99),
        stage_ratio("tick_to_decision", a, b, |l| l.p50),
        stage_ratio("tick_to_decision", a, b, |l| l.p99),
    );
    let live = "live, 1k/s, orders to the simulated CLOB";
    let _ = writeln!(
        md,
        "\nOrder path (live run): decision dequeued → request bytes written, signing on the spot vs \
         a presigned order (same run): p50 {}, p99 {} (signed / presigned).",
        stage_ratio2(&runs, live, "order_write_presigned", "order_write_signed", |l| l.p50),
        stage_ratio2(&runs, live, "order_write_presigned", "order_write_signed", |l| l.p99),
    );
    let (signed, presigned) = micro_order_path(2_000);
    let _ = writeln!(
        md,
        "\nOrder path without the network (2000 iterations, same run): sign on the spot + HMAC + \
         request: p50 {} µs, p99 {} µs; presigned pick + HMAC + request: p50 {} µs, p99 {} µs; \
         ratio p50 {:.0}×, p99 {:.0}×.",
        us(signed.p50),
        us(signed.p99),
        us(presigned.p50),
        us(presigned.p99),
        signed.p50 as f64 / presigned.p50.max(1) as f64,
        signed.p99 as f64 / presigned.p99.max(1) as f64,
    );
    let _ = writeln!(md, "\nCore plans:\n");
    for r in &runs {
        let _ = writeln!(md, "- {}: `{}`", r.label, r.plan);
    }
    let hgrm_dir = std::path::Path::new(&out)
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join("hgrm");
    std::fs::create_dir_all(&hgrm_dir).expect("create report dir");
    let written = write_hgrm(&hgrm_dir, &runs);
    let _ = writeln!(
        md,
        "\nFull distributions (HdrHistogram `.hgrm` text, values in µs): {written} files under \
         `hgrm/<run>/<stage>.hgrm`, next to this report."
    );
    std::fs::write(&out, &md).expect("write report");
    println!("{md}");
    println!("written to {out}");
}
