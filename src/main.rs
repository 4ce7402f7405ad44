//! The `cassandra` command.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use cassandra::config::Config;
use cassandra::demo::Demo;
use cassandra::sim::{SimPorts, Simulator};

#[derive(Parser)]
#[command(
    name = "cassandra",
    version,
    about = "Low-latency trading for Polymarket's 15-minute crypto markets"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The whole system offline: venue simulator + pipeline on loopback, paper mode.
    Demo {
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long, value_parser = parse_duration)]
        duration: Option<f64>,
        /// Write the run summary as JSON to this file.
        #[arg(long)]
        summary: Option<PathBuf>,
        /// Seed of the simulated price path (default: the config's `demo.seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Configuration file (default: the embedded config/default.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Record raw frames and windows to this new file (replay it with `cassandra replay`).
        #[arg(long)]
        record: Option<PathBuf>,
        /// Journal to this SQLite file; a restart with the same file restores the paper
        /// account, open positions and the kill switch.
        #[arg(long)]
        journal: Option<PathBuf>,
        /// paper (default), shadow (orders built and signed, filled on paper) or live (signed
        /// orders sent to the simulated CLOB with a throwaway key).
        #[arg(long)]
        mode: Option<String>,
        /// Print a one-line status every this many seconds (0: never).
        #[arg(long, default_value_t = 10)]
        status_every: u64,
    },
    /// The pipeline against the venues of the configuration, in its mode (paper, shadow, live).
    Run {
        /// Configuration file (`config/live.example.toml` documents every key).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Overrides the configuration's mode.
        #[arg(long)]
        mode: Option<String>,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long, value_parser = parse_duration)]
        duration: Option<f64>,
        /// Print a one-line status every this many seconds (0: never).
        #[arg(long, default_value_t = 10)]
        status_every: u64,
    },
    /// Record raw frames from the real venues (nothing is traded: mode off).
    Record {
        /// The recording to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long, value_parser = parse_duration)]
        duration: Option<f64>,
    },
    /// Run a recording through the decision engine and paper fills: the backtest.
    Replay {
        /// A recording made by `record` or `demo --record`.
        file: PathBuf,
        /// `max` (as fast as possible) or `1x` (recorded pace).
        #[arg(long, default_value = "max")]
        speed: String,
        /// Write the report as JSON to this file.
        #[arg(long)]
        summary: Option<PathBuf>,
        /// Write report.json, report.txt, calibration.svg and pnl.svg into this directory.
        #[arg(long)]
        report_dir: Option<PathBuf>,
        /// Fee override: taker fee rate for every window (with --fee-exponent).
        #[arg(long)]
        fee_rate: Option<f64>,
        #[arg(long, default_value_t = 1.0)]
        fee_exponent: f64,
        /// Fill each order against its token's book as it stood this many ms (recording
        /// time) after the decision.
        #[arg(long, default_value_t = 0)]
        fill_latency_ms: u64,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Convert the original system's public archive (github stephenpeters/cassandra) into a
    /// recording: `backtest_detailed_*.json` (outcomes, Binance open/close) and
    /// `price_evolution_*.json` (30-s Binance and Polymarket prices). See tests/data/replay/README.md.
    ConvertArchive {
        #[arg(long)]
        backtest: PathBuf,
        #[arg(long)]
        evolution: PathBuf,
        /// The recording to write (refused if it exists).
        #[arg(long)]
        out: PathBuf,
        /// At most this many outcome-only windows (newest first).
        #[arg(long, default_value_t = 500)]
        max_outcome_windows: usize,
    },
    /// The venue simulator alone, for other clients or a pipeline in another process.
    Sim {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long, default_value_t = 9001)]
        binance_port: u16,
        #[arg(long, default_value_t = 9002)]
        poly_port: u16,
        #[arg(long, default_value_t = 9003)]
        chainlink_port: u16,
        #[arg(long, default_value_t = 9004)]
        http_port: u16,
        /// Binance frames per second (0 = flood); default: the config's `demo.binance_rate_hz`.
        #[arg(long)]
        rate: Option<f64>,
        #[command(flatten)]
        faults: cassandra::cli::sim_faults::FaultArgs,
    },
    /// Go-live checks against the configured venues: geoblock, clock, credentials, wallet,
    /// pUSD balance and allowances, markets, feeds. Exits non-zero on any failure.
    Preflight {
        /// Configuration file (the one `run` will use).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// The trading wallet (from the environment): `wallet status`, `wallet approve`.
    Wallet {
        #[command(subcommand)]
        cmd: cassandra::cli::wallet::WalletCmd,
    },
    /// Sign CLOB orders from JSON lines (`order sign`) or send one (`order post`).
    Order {
        #[command(subcommand)]
        cmd: cassandra::cli::order::OrderCmd,
    },
    /// CLOB API credentials (`auth derive-key`) and L2 request headers (`auth headers`).
    Auth {
        #[command(subcommand)]
        cmd: cassandra::cli::auth::AuthCmd,
    },
}

fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    if let Err(e) = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst)) {
        eprintln!("warning: Ctrl-C handler not installed: {e}");
    }
    flag
}

/// Longest `--duration` accepted, seconds (about 31 years).
const MAX_DURATION_S: f64 = 1e9;

/// `--duration SECS`: a finite number of seconds from 0 to [`MAX_DURATION_S`] (`inf`, `nan`,
/// `1e300` and negatives are refused here rather than panic or run for 0 s).
fn parse_duration(s: &str) -> Result<f64, String> {
    let d: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if d.is_finite() && (0.0..=MAX_DURATION_S).contains(&d) {
        Ok(d)
    } else {
        Err(format!(
            "{s:?}: a number of seconds from 0 to {MAX_DURATION_S:e} (leave --duration out to run until Ctrl-C)"
        ))
    }
}

fn wait_until(stop: &AtomicBool, duration: Option<f64>) {
    let deadline = duration.map(|d| Instant::now() + Duration::from_secs_f64(d.max(0.0)));
    while !stop.load(Ordering::SeqCst) && deadline.is_none_or(|d| Instant::now() < d) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: redirected logs stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().cmd {
        Cmd::Demo {
            duration,
            summary,
            seed,
            config,
            record,
            journal,
            mode,
            status_every,
        } => {
            let mut cfg = Config::load(config.as_deref())?;
            if let Some(m) = mode {
                cfg.mode = m.parse().map_err(anyhow::Error::msg)?;
            }
            if let Some(j) = journal {
                cfg.journal.path = j.display().to_string();
            }
            if let Some(s) = seed {
                cfg.demo.seed = s;
            }
            let stop = stop_flag();
            let demo = Demo::start_with(cfg, record.clone())?;
            if let Some(r) = &record {
                println!("Recording to {}", r.display());
            }
            println!(
                "Cassandra demo: simulator on 127.0.0.1, {} mode, windows of {} s",
                demo.config.mode.name(),
                demo.config.demo.window_s
            );
            println!("Core plan:\n{}", demo.pipeline.plan.describe());
            match demo.api() {
                Some(api) => println!(
                    "Dashboard   {url}/   API docs {url}/docs   metrics {url}/metrics",
                    url = api.url()
                ),
                None => println!("API and dashboard off ([api] enabled = false)."),
            }
            println!(
                "{}",
                cassandra::control::terminal::Configured::from_environment(&demo.config)
                    .banner(true)
            );
            match duration {
                Some(d) => println!("Running for {d} s (Ctrl-C stops early)."),
                None => println!("Running until Ctrl-C."),
            }
            let deadline = duration.map(|d| Instant::now() + Duration::from_secs_f64(d.max(0.0)));
            cassandra::control::terminal::watch(
                || stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d),
                &demo.pipeline.shared,
                &demo.pipeline.state,
                cassandra::control::terminal::stale_limits(&demo.config),
                Duration::from_secs(status_every),
            );
            let s = demo.stop();
            println!("\n{}", s.render());
            if let Some(path) = summary {
                std::fs::write(&path, serde_json::to_vec_pretty(&s)?)?;
                println!("Summary written to {}", path.display());
            }
            Ok(())
        }
        Cmd::Run {
            config,
            mode,
            duration,
            status_every,
        } => {
            let mut cfg = Config::load(config.as_deref())?;
            if let Some(m) = mode {
                cfg.mode = m.parse().map_err(anyhow::Error::msg)?;
            }
            let stop = stop_flag();
            let deadline = duration.map(|d| Instant::now() + Duration::from_secs_f64(d.max(0.0)));
            cassandra::cli::run::run(cfg, Duration::from_secs(status_every), || {
                stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d)
            })
        }
        Cmd::Record {
            out,
            config,
            duration,
        } => {
            let mut cfg = Config::load(config.as_deref())?;
            cfg.mode = cassandra::pipeline::shared::Mode::Off;
            let stop = stop_flag();
            let price_socket = cassandra::clob::auth::Credentials::from_env()
                .ok()
                .map(|c| cassandra::feeds::polymarket::ingest::PriceSocketAuth {
                    api_key: c.api_key().to_string(),
                    secret: c.secret().to_string(),
                    passphrase: c.passphrase().to_string(),
                });
            if price_socket.is_none() {
                eprintln!("note: no POLYMARKET_API_KEY/SECRET/PASSPHRASE: recording without Chainlink prices");
            }
            let p = cassandra::runtime::Pipeline::start(
                &cfg,
                cassandra::runtime::StartOptions {
                    price_socket,
                    strategy: cfg.strategy.clone(),
                    risk: cfg.risk,
                    log_discovery_errors: true,
                    record: Some(out.clone()),
                    ..Default::default()
                },
            )?;
            println!(
                "Recording to {} (mode off). Core plan:\n{}",
                out.display(),
                p.plan.describe()
            );
            wait_until(&stop, duration);
            let shared = p.shared.clone();
            p.shutdown();
            println!("{:?}", shared.counters.snapshot());
            Ok(())
        }
        Cmd::ConvertArchive {
            backtest,
            evolution,
            out,
            max_outcome_windows,
        } => {
            let read = |p: &PathBuf| {
                std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))
            };
            let bytes = cassandra::record::archive::convert(
                &read(&backtest)?,
                &read(&evolution)?,
                &cassandra::record::archive::ArchiveOptions {
                    max_outcome_windows,
                    ..Default::default()
                },
            )?;
            use std::io::Write as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&out)
                .and_then(|mut f| f.write_all(&bytes))
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            println!("Wrote {} ({} bytes)", out.display(), bytes.len());
            Ok(())
        }
        Cmd::Replay {
            file,
            speed,
            summary,
            report_dir,
            fee_rate,
            fee_exponent,
            fill_latency_ms,
            config,
        } => {
            let mut cfg = Config::load(config.as_deref())?;
            let open = || cassandra::record::replay::open_recording(&file);
            if let Some(len) = cassandra::record::replay::window_length(open()?) {
                cassandra::demo::scale_to_window(&mut cfg.strategy, len);
            }
            let speed: cassandra::record::replay::Speed =
                speed.parse().map_err(anyhow::Error::msg)?;
            let assets = cassandra::pipeline::registry::AssetTable::from_names(&cfg.assets)
                .map_err(anyhow::Error::msg)?;
            let options = cassandra::record::report::ReplayOptions {
                fee_override: match fee_rate {
                    Some(rate) if rate.is_finite() && rate >= 0.0 && fee_exponent.is_finite() => {
                        Some(cassandra::pipeline::control::FeeParams {
                            rate,
                            exponent: fee_exponent,
                            taker_only: true,
                        })
                    }
                    Some(rate) => anyhow::bail!(
                        "--fee-rate {rate} --fee-exponent {fee_exponent}: expected finite numbers, rate ≥ 0"
                    ),
                    None => None,
                },
                fill_latency_ms,
            };
            let report = cassandra::record::replay::replay_with(
                open()?,
                &assets,
                &cfg.strategy,
                &cfg.risk,
                speed,
                &options,
            )?;
            println!("{}", report.render());
            if let Some(path) = summary {
                std::fs::write(&path, serde_json::to_vec_pretty(&report)?)?;
                println!("Report written to {}", path.display());
            }
            if let Some(dir) = report_dir {
                report.write_dir(&dir)?;
                println!(
                    "Report, calibration.svg and pnl.svg written to {}",
                    dir.display()
                );
            }
            Ok(())
        }
        Cmd::Sim {
            config,
            seed,
            binance_port,
            poly_port,
            chainlink_port,
            http_port,
            rate,
            faults,
        } => {
            let mut cfg = Config::load(config.as_deref())?;
            cfg.demo.faults = faults.over(cfg.demo.faults);
            if let Some(s) = seed {
                cfg.demo.seed = s;
            }
            if let Some(r) = rate {
                cfg.demo.binance_rate_hz = r;
            }
            let stop = stop_flag();
            let sim = Simulator::start_on(
                cassandra::demo::sim_config(&cfg),
                SimPorts {
                    binance: binance_port,
                    poly: poly_port,
                    chainlink: chainlink_port,
                    http: http_port,
                },
            )?;
            println!(
                "Binance     {}/stream?streams=btcusdt@trade",
                sim.binance_ws_url()
            );
            println!("Polymarket  {}/ws/market", sim.poly_ws_url());
            println!("Chainlink   {}/ws", sim.chainlink_ws_url());
            println!("HTTP        {} (Gamma, CLOB, Binance REST)", sim.http_url());
            if !cfg.demo.faults.is_empty() {
                println!(
                    "Faults      {} (GET /sim/stats counts them)",
                    serde_json::to_string(&cfg.demo.faults)?
                );
            }
            println!("Running until Ctrl-C.");
            wait_until(&stop, None);
            sim.shutdown();
            Ok(())
        }
        Cmd::Preflight { config } => {
            cassandra::cli::preflight::command(&Config::load(config.as_deref())?)
        }
        Cmd::Wallet { cmd } => cassandra::cli::wallet::run(cmd),
        Cmd::Order { cmd } => cassandra::cli::order::run(cmd),
        Cmd::Auth { cmd } => cassandra::cli::auth::run(cmd),
    }
}
