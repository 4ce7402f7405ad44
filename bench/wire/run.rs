//! One measured run: a fresh simulator process at one feed rate, one pipeline variant trading
//! against it in live mode, the venue's wire-to-wire samples and the pipeline's own stage
//! histograms over the same span.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cassandra::config::Config;
use cassandra::control::summary::RunSummary;
use cassandra::exec::live::LiveCounters;
use cassandra::feeds::polymarket::ingest::PriceSocketAuth;
use cassandra::pipeline::rings::RingKind;
use cassandra::pipeline::shared::Mode;
use cassandra::runtime::{LiveSetup, Pipeline, StartOptions};
use cassandra::sim::wire::TickToTradeReport;
use cassandra::sim::SimClob;
use hdrhistogram::Histogram;

use super::sim_child::{SimProcess, SimSpec};

/// The pipelines compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The product: rtrb links, presigned ladder.
    Product,
    /// The product with crossbeam or std channels in place of rtrb.
    Ring(RingKind),
    /// The product with the ladder off: every order signed on the spot (ethers / k256).
    SignNow,
    /// The conventional async pipeline (tokio + tokio-tungstenite + serde_json), bench/.
    Async,
    /// The product with the `spin-yield` wait strategy instead of the core plan's choice.
    SpinYield,
    /// The product with its threads left to the scheduler (no pinning).
    Unpinned,
    /// The product forced onto the four-thread plan (whatever the machine).
    FourThreads,
    /// The product forced onto the run-to-completion plan (whatever the machine).
    RunToCompletion,
    /// The production command, `cassandra run`, in its own process (`run_command`).
    RunCommand,
    /// Run to completion while the simulator drops every feed connection every
    /// [`STORM_DROP_EVERY_MS`] (a reconnect storm): the hot thread must never stall on it.
    RtcStorm,
}

/// How often the `rtc-storm` variant's simulator drops every feed connection.
pub const STORM_DROP_EVERY_MS: u64 = 2_000;

impl Variant {
    pub fn label(self) -> &'static str {
        match self {
            Variant::Product => "product (rtrb, presigned)",
            Variant::Ring(RingKind::Crossbeam) => "crossbeam channels",
            Variant::Ring(RingKind::StdMpsc) => "std mpsc channels",
            Variant::Ring(RingKind::Rtrb) => "rtrb",
            Variant::SignNow => "signing on the spot (k256)",
            Variant::Async => "tokio + tungstenite + serde_json",
            Variant::SpinYield => "product, spin-yield wait",
            Variant::Unpinned => "product, unpinned",
            Variant::FourThreads => "product, four threads",
            Variant::RunToCompletion => "product, run to completion",
            Variant::RtcStorm => "product, run to completion, reconnect storm",
            Variant::RunCommand => "cassandra run (own process, run to completion)",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Variant::Product => "product",
            Variant::Ring(RingKind::Crossbeam) => "crossbeam",
            Variant::Ring(RingKind::StdMpsc) => "std-mpsc",
            Variant::Ring(RingKind::Rtrb) => "rtrb",
            Variant::SignNow => "sign-now",
            Variant::Async => "async",
            Variant::SpinYield => "spin-yield",
            Variant::Unpinned => "unpinned",
            Variant::FourThreads => "four-threads",
            Variant::RunToCompletion => "rtc",
            Variant::RtcStorm => "rtc-storm",
            Variant::RunCommand => "run-command",
        }
    }

    pub fn parse(s: &str) -> Option<Variant> {
        Some(match s {
            "product" => Variant::Product,
            "crossbeam" => Variant::Ring(RingKind::Crossbeam),
            "std-mpsc" => Variant::Ring(RingKind::StdMpsc),
            "sign-now" => Variant::SignNow,
            "async" => Variant::Async,
            "spin-yield" => Variant::SpinYield,
            "unpinned" => Variant::Unpinned,
            "four-threads" => Variant::FourThreads,
            "rtc" => Variant::RunToCompletion,
            "rtc-storm" => Variant::RtcStorm,
            "run-command" => Variant::RunCommand,
            _ => return None,
        })
    }
}

/// Harness settings shared by every run.
#[derive(Clone, Copy, Debug)]
pub struct RunSpec {
    pub warmup: Duration,
    pub span: Duration,
    pub cooldown_ms: u64,
    pub window_s: u64,
}

pub struct RunResult {
    pub variant: Variant,
    /// Requested Binance frames per second (0 = flood).
    pub rate_hz: f64,
    /// Frames per second the simulator actually sent.
    pub sent_per_s: f64,
    /// Frames per second the client read (product: `binance-ingest`'s count).
    pub read_per_s: f64,
    /// Venue-measured tick-to-trade, ns.
    pub wire: Histogram<u64>,
    /// The same samples split by the shared monotonic clock (product variants): frame sent →
    /// read, read → order write begun, write begun → venue arrival; ns.
    pub legs: [Histogram<u64>; 3],
    pub unmatched: u64,
    pub untagged: u64,
    /// Orders triggered by a book update: market channel write → venue arrival, ns.
    pub book_wire: Histogram<u64>,
    /// Their legs, as [`Self::legs`].
    pub book_legs: [Histogram<u64>; 3],
    /// Book-tagged orders whose update the venue could not name (missing, or written twice).
    pub book_unmatched: u64,
    pub book_ambiguous: u64,
    /// Tagged orders the venue refused (not samples).
    pub venue_refused: u64,
    /// The pipeline's own stages (product variants only).
    pub stages: BTreeMap<&'static str, Histogram<u64>>,
    pub hot_ring_full: u64,
    pub plan: String,
    pub presigned: u64,
    pub signed_now: u64,
    /// Intents the `order` thread could not send (no connection, unknown token, queue full).
    pub refused: u64,
    /// Order-connection failures (each one reconnects with backoff).
    pub reconnects: u64,
    /// Feed reconnects (Binance, market channel, price socket) during the measured span.
    pub feed_reconnects: u64,
    /// Times the scheduler took a core from the hot threads during the measured span
    /// (`nonvoluntary_ctxt_switches`, summed): a long pass with one is a preemption, not work.
    pub hot_preempted: u64,
    /// Decisions not to trade over the whole run, by reason (the engine's skip counts).
    pub skips: BTreeMap<&'static str, u64>,
    /// Refusals by reason, in the order of [`REFUSAL_REASONS`].
    pub refused_by: [u64; REFUSAL_REASONS.len()],
}

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("histogram bounds")
}

pub(super) fn fetch(http: &str) -> anyhow::Result<TickToTradeReport> {
    let r = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?
        .get(format!("{http}/bench/tick-to-trade"))
        .send()?
        .error_for_status()?
        .json()?;
    Ok(r)
}

/// A throwaway secp256k1 key (hex) for one run: nothing here is a real account.
fn throwaway_key_hex() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Start the product pipeline, live, against the simulator at `urls`.
fn start_product(
    variant: Variant,
    rate_hz: f64,
    spec: RunSpec,
    sim: &SimProcess,
    key_hex: &str,
) -> anyhow::Result<Pipeline> {
    let mut cfg = Config {
        mode: Mode::Live,
        ..Config::default()
    };
    cfg.assets = vec!["BTC".into()];
    cfg.demo.window_s = spec.window_s;
    cfg.demo.binance_rate_hz = rate_hz;
    cfg.api.enabled = false;
    cfg.whales.enabled = false;
    cfg.alerts.enabled = false;
    cfg.demo.sim_alerts = false;
    cassandra::demo::point_at_urls(&mut cfg, &sim.urls);
    cassandra::demo::trade_eagerly(&mut cfg);
    cfg.strategy.gates.cooldown_ms = spec.cooldown_ms;
    // The account's cash as the simulated wallet's ($1M): a run measures latency, and with a
    // few hundred dollars every order past the first minutes is sized to nothing until a
    // window settles (skipped as a risk limit), which made order counts swing 0–300 a run.
    cfg.strategy.start_cash = cassandra::demo::DEMO_WALLET_PUSD_U6 as f64 / 1e6;
    // Enough orders for percentiles: the cooldown sets the pace, not the rate limit.
    cfg.risk.max_orders_per_minute = cassandra::risk::rate::RATE_RING as u32;
    match variant {
        Variant::Ring(kind) => cfg.pipeline.ring = kind,
        Variant::SpinYield => {
            cfg.pipeline.wait = cassandra::pipeline::wait::WaitStrategy::SpinYield
        }
        Variant::Unpinned => cfg.pipeline.pin = false,
        Variant::FourThreads => {
            cfg.pipeline.plan = cassandra::pipeline::cores::PlanKind::FourThreads
        }
        Variant::RunToCompletion | Variant::RtcStorm => {
            cfg.pipeline.plan = cassandra::pipeline::cores::PlanKind::RunToCompletion
        }
        _ => {}
    }
    cfg.validate()?;
    let key = cassandra::clob::sign::PrivateKey::parse_hex(key_hex)
        .map_err(|e| anyhow::anyhow!("key: {e}"))?;
    let creds = SimClob::derived_credentials(&key.address(), 0);
    let mut ladder = cassandra::exec::ladder::LadderConfig::default();
    if variant == Variant::SignNow {
        ladder.enabled = false;
    }
    let live = LiveSetup {
        key,
        creds,
        clob: sim.urls.http.clone(),
        chain: cassandra::clob::order::Chain::Polygon,
        signature_type: cassandra::clob::order::SignatureType::Eoa,
        funder: None,
        order_type: cassandra::pipeline::events::OrderType::Fak,
        ladder,
        tag_trigger: true,
        // The simulator serves the user channel on its HTTP port.
        venue: cassandra::config::LiveVenueConfig {
            user_channel: format!("{}/ws/user", sim.urls.http.replacen("http://", "ws://", 1)),
            ..Default::default()
        },
    };
    Pipeline::start(
        &cfg,
        StartOptions {
            // The simulator's price socket accepts any non-empty key.
            price_socket: Some(PriceSocketAuth {
                api_key: "bench".into(),
                secret: "bench".into(),
                passphrase: "bench".into(),
            }),
            paper_latency: Duration::ZERO,
            strategy: cfg.strategy.clone(),
            risk: cfg.risk,
            log_discovery_errors: false,
            record: None,
            live: Some(live),
        },
    )
}

/// Measure `variant` at `rate_hz` in a fresh simulator process.
pub fn run(variant: Variant, rate_hz: f64, spec: RunSpec) -> anyhow::Result<RunResult> {
    let key_hex = throwaway_key_hex();
    let sim = SimProcess::spawn(
        SimSpec {
            rate_hz,
            window_s: spec.window_s,
            seed: 7,
            drop_every_ms: if variant == Variant::RtcStorm {
                STORM_DROP_EVERY_MS
            } else {
                0
            },
        },
        &key_hex,
    )?;
    let mut result = RunResult {
        variant,
        rate_hz,
        sent_per_s: 0.0,
        read_per_s: 0.0,
        wire: new_histogram(),
        legs: [new_histogram(), new_histogram(), new_histogram()],
        unmatched: 0,
        untagged: 0,
        book_wire: new_histogram(),
        book_legs: [new_histogram(), new_histogram(), new_histogram()],
        book_unmatched: 0,
        book_ambiguous: 0,
        venue_refused: 0,
        stages: BTreeMap::new(),
        skips: BTreeMap::new(),
        hot_ring_full: 0,
        plan: String::new(),
        presigned: 0,
        signed_now: 0,
        refused: 0,
        reconnects: 0,
        feed_reconnects: 0,
        hot_preempted: 0,
        refused_by: [0; REFUSAL_REASONS.len()],
    };
    match variant {
        Variant::Async => run_async(&sim, &key_hex, spec, &mut result)?,
        Variant::RunCommand => super::run_command::run_command(&sim, &key_hex, spec, &mut result)?,
        _ => {
            let p = start_product(variant, rate_hz, spec, &sim, &key_hex)?;
            result.plan = p.plan.compact();
            std::thread::sleep(spec.warmup);
            let shared = p.shared.clone();
            let c = &shared.counters;
            let before = fetch(&sim.urls.http)?;
            shared.reset_latency.store(true, Ordering::SeqCst);
            let f0 = c.binance.frames.load(Ordering::Relaxed);
            let full0 = c.snapshot().hot_ring_full;
            let live0 = p.live.as_deref().map(live_counts);
            let intents0 = c.order.orders.load(Ordering::Relaxed);
            let feed_reconnects = || {
                [&c.binance, &c.poly, &c.chainlink]
                    .iter()
                    .map(|f| f.reconnects.load(Ordering::Relaxed))
                    .sum::<u64>()
            };
            let reconnects0 = feed_reconnects();
            let preempted0 = hot_preemptions();
            let t = Instant::now();
            std::thread::sleep(spec.span);
            let after = fetch(&sim.urls.http)?;
            let secs = t.elapsed().as_secs_f64();
            result.read_per_s = (c.binance.frames.load(Ordering::Relaxed) - f0) as f64 / secs;
            result.hot_ring_full = c.snapshot().hot_ring_full - full0;
            result.feed_reconnects = feed_reconnects() - reconnects0;
            result.hot_preempted = hot_preemptions().saturating_sub(preempted0);
            if let (Some(l), Some(c0)) = (p.live.as_deref(), live0) {
                let d: Vec<u64> = live_counts(l).iter().zip(c0).map(|(a, b)| a - b).collect();
                let intents = c.order.orders.load(Ordering::Relaxed) - intents0;
                result.presigned = d[0];
                result.signed_now = d[1];
                result.refused = intents.saturating_sub(d[2]);
                result.reconnects = d[3];
                result.refused_by.copy_from_slice(&d[4..]);
            }
            absorb(&mut result, &before, &after, secs);
            let plan = p.plan.clone();
            let state = p.shutdown();
            let st = state.lock().expect("control state");
            let summary = RunSummary::collect(&plan, &shared, &st, secs);
            result.stages = summary.latency_histograms;
            result.skips = summary.skips;
        }
    }
    sim.stop();
    Ok(result)
}

/// Involuntary context switches of this process's hot threads so far, from `/proc`.
fn hot_preemptions() -> u64 {
    let hot =
        |name: &str| name == "hot-rtc" || cassandra::pipeline::cores::HOT_THREADS.contains(&name);
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| hot(c.trim())))
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .filter_map(|st| {
            st.lines()
                .find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
        .sum()
}

/// Why an intent was not written to the venue, as the report names it; the order of
/// `RunResult::refused_by` and of the tail of [`live_counts`].
pub const REFUSAL_REASONS: [&str; 7] = [
    "no connection",
    "unknown token",
    "not buildable",
    "busy",
    "under the venue's minimum",
    "throttled (429)",
    "in doubt",
];

/// The live path's counters, in the order the run reads them: presigned, signed on the spot,
/// sent, reconnects, then refusals by reason ([`REFUSAL_REASONS`]).
fn live_counts(l: &LiveCounters) -> [u64; 4 + REFUSAL_REASONS.len()] {
    [
        &l.presigned,
        &l.signed_now,
        &l.sent,
        &l.reconnects,
        &l.refused_no_connection,
        &l.refused_unknown_token,
        &l.refused_cannot_build,
        &l.refused_busy,
        &l.refused_under_minimum,
        &l.refused_throttled,
        &l.in_doubt,
    ]
    .map(|c| c.load(Ordering::Relaxed))
}

/// Fold the venue's report for the measured span into `r`.
pub(super) fn absorb(
    r: &mut RunResult,
    before: &TickToTradeReport,
    after: &TickToTradeReport,
    secs: f64,
) {
    r.sent_per_s = after.frames_sent.saturating_sub(before.frames_sent) as f64 / secs;
    for &ns in &after.samples_ns {
        r.wire.saturating_record(ns.max(1));
    }
    for legs in &after.legs_ns {
        for (h, &ns) in r.legs.iter_mut().zip(legs) {
            h.saturating_record(ns.max(1));
        }
    }
    for &ns in &after.book_samples_ns {
        r.book_wire.saturating_record(ns.max(1));
    }
    for legs in &after.book_legs_ns {
        for (h, &ns) in r.book_legs.iter_mut().zip(legs) {
            h.saturating_record(ns.max(1));
        }
    }
    r.unmatched = after.unmatched;
    r.untagged = after.untagged;
    r.book_unmatched = after.book_unmatched;
    r.book_ambiguous = after.book_ambiguous;
    r.venue_refused = after.refused;
}

fn run_async(
    sim: &SimProcess,
    key_hex: &str,
    spec: RunSpec,
    r: &mut RunResult,
) -> anyhow::Result<()> {
    use super::baseline_async::{run as run_baseline, AsyncBaselineConfig};
    let key = cassandra::clob::sign::PrivateKey::parse_hex(key_hex)
        .map_err(|e| anyhow::anyhow!("key: {e}"))?;
    let defaults = Config::default();
    let cfg = AsyncBaselineConfig {
        binance_ws: sim.urls.binance_ws.clone(),
        poly_ws: sim.urls.poly_ws.clone(),
        chainlink_ws: sim.urls.chainlink_ws.clone(),
        http: sim.urls.http.clone(),
        key_hex: key_hex.to_string(),
        creds: SimClob::derived_credentials(&key.address(), 0),
        asset: "BTC".into(),
        window_s: spec.window_s,
        cooldown_ms: spec.cooldown_ms,
        notional_usdc: 5.0,
        annual_vol: defaults.demo.annual_vol,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let worker = {
        let stop = stop.clone();
        std::thread::spawn(move || run_baseline(cfg, stop))
    };
    std::thread::sleep(spec.warmup);
    let before = fetch(&sim.urls.http)?;
    let t = Instant::now();
    std::thread::sleep(spec.span);
    let after = fetch(&sim.urls.http)?;
    let secs = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    let stats = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the async baseline panicked"))??;
    // The baseline counts frames over its whole run, warm-up included.
    r.read_per_s = stats.frames as f64 / started.elapsed().as_secs_f64();
    r.plan = format!(
        "one multi-thread tokio runtime; {} orders sent, {} ok, {} killed, {} errors",
        stats.orders_sent, stats.orders_ok, stats.orders_killed, stats.order_errors
    );
    absorb(r, &before, &after, secs);
    Ok(())
}
