//! `cassandra demo`: the venue simulator and the whole pipeline in one process, on loopback,
//! in paper mode.

use std::time::{Duration, Instant};

use crate::config::Config;
use crate::control::alerts::AlertSecrets;
use crate::control::api::ApiKey;
use crate::control::services::Services;
use crate::control::summary::RunSummary;
use crate::feeds::polymarket::ingest::PriceSocketAuth;
use crate::pipeline::shared::Mode;
use crate::runtime::{LiveSetup, Pipeline, StartOptions};
use crate::sim::{SimAsset, SimConfig, Simulator};

/// Start prices of the simulated assets (any other asset starts at 100).
fn start_price(asset: &str) -> f64 {
    match asset {
        "BTC" => 97_000.0,
        "ETH" => 3_600.0,
        "SOL" => 240.0,
        "XRP" => 2.4,
        "DOGE" => 0.35,
        _ => 100.0,
    }
}

/// The simulator settings a demo configuration asks for.
pub fn sim_config(cfg: &Config) -> SimConfig {
    let d = &cfg.demo;
    SimConfig {
        seed: d.seed,
        assets: cfg
            .assets
            .iter()
            .map(|a| {
                let a = a.to_ascii_uppercase();
                SimAsset::new(&a, start_price(&a))
            })
            .collect(),
        binance_rate_hz: d.binance_rate_hz,
        book_ticker: cfg.venues.book_ticker,
        window_secs: d.window_s,
        poly_update_hz: d.poly_update_hz,
        poly_lag_ms: d.poly_lag_ms,
        poly_noise: d.poly_noise,
        chainlink_hz: d.chainlink_hz,
        annual_vol: d.annual_vol,
        faults: d.faults.clone(),
        ..SimConfig::default()
    }
}

/// Point `cfg` at a running simulator and scale the window-timing gates to its window length.
pub fn point_at(cfg: &mut Config, sim: &Simulator) {
    point_at_urls(cfg, &sim.urls());
}

/// [`point_at`] for a simulator in another process, known by its addresses.
pub fn point_at_urls(cfg: &mut Config, sim: &crate::sim::SimUrls) {
    cfg.venues.binance_ws = sim.binance_ws.clone();
    cfg.venues.poly_ws = sim.poly_ws.clone();
    cfg.venues.chainlink_ws = sim.chainlink_ws.clone();
    cfg.venues.gamma = sim.http.clone();
    cfg.venues.clob = sim.http.clone();
    cfg.venues.binance_rest = sim.http.clone();
    cfg.venues.polygon_rpc = format!("{}/rpc", sim.http);
    cfg.venues.data_api = sim.http.clone();
    cfg.venues.relayer = format!("{}/relayer", sim.http);
    cfg.alerts.telegram_api = format!("{}/telegram", sim.http);
    cfg.windows.length_s = cfg.demo.window_s;
    scale_to_window(&mut cfg.strategy, cfg.demo.window_s);
    // The simulated books refresh a few times a second; windows are short.
    cfg.windows.discovery_interval_ms = cfg.windows.discovery_interval_ms.min(500);
}

/// Compressed windows (demo, tests): the same trading span as a fraction of the window, and a
/// cooldown scaled the same way, unless the configuration already gives fractions.
pub fn scale_to_window(strategy: &mut crate::signal::StrategyConfig, window_s: u64) {
    let g = &mut strategy.gates;
    if window_s < 900 {
        let scale = window_s as f64 / 900.0;
        g.min_frac_into_window
            .get_or_insert(g.min_secs_into_window / 900.0);
        g.max_frac_into_window
            .get_or_insert(g.max_secs_into_window / 900.0);
        g.cooldown_ms = ((g.cooldown_ms as f64) * scale) as u64;
    }
}

/// Gates and risk limits wide open, so every decision with a book and a strike trades: for
/// tests and benchmarks that need orders to flow, never for judging the strategy.
pub fn trade_eagerly(cfg: &mut Config) {
    let g = &mut cfg.strategy.gates;
    g.min_edge = -1.0;
    g.min_move_bps = 0.0;
    g.max_spread = 1.0;
    g.max_prob = 1.0;
    g.cooldown_ms = 0;
    g.min_frac_into_window = Some(0.0);
    g.max_frac_into_window = Some(1.0);
    cfg.strategy.max_open_positions = 1000;
    let r = &mut cfg.risk;
    r.max_open_positions = 1000;
    r.max_orders_per_minute = 256;
    r.max_window_exposure_usdc = 1e9;
    r.max_asset_exposure_usdc = 1e9;
    r.max_total_exposure_usdc = 1e9;
    r.daily_loss_limit_usdc = 1e9;
    r.max_consecutive_losses = 1_000_000;
    r.max_drawdown_frac = 1.0;
    r.venue_error_max = 256;
}

/// A fresh key and CLOB credentials the simulated CLOB knows: what `shadow` and `live` sign
/// and authenticate with in the demo. Nothing here is a real account.
fn throwaway_account(sim: &Simulator, cfg: &Config) -> anyhow::Result<LiveSetup> {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let key = crate::clob::sign::PrivateKey::parse_hex(&hex)
        .map_err(|e| anyhow::anyhow!("throwaway key: {e}"))?;
    let eoa = key.address();
    let creds = crate::sim::SimClob::derived_credentials(&eoa, 0);
    sim.clob().add_credentials(creds.clone(), eoa);
    // The simulated CLOB checks pUSD balance and allowance: the throwaway wallet is funded
    // and approved the way an operator readies a real one.
    sim.clob().fund(&eoa, DEMO_WALLET_PUSD_U6);
    Ok(LiveSetup {
        key,
        creds,
        clob: sim.http_url(),
        chain: crate::clob::order::Chain::Polygon,
        signature_type: crate::clob::order::SignatureType::Eoa,
        funder: None,
        order_type: cfg.live.order_type.into(),
        ladder: cfg.live.ladder.clone(),
        tag_trigger: true,
        venue: crate::config::LiveVenueConfig {
            // The simulator serves the user channel on its HTTP port.
            user_channel: format!("{}/ws/user", sim.http_url().replacen("http://", "ws://", 1)),
            ..cfg.live.venue.clone()
        },
    })
}

/// pUSD in the demo's throwaway wallet on the simulated CLOB (1 000 000 pUSD).
pub const DEMO_WALLET_PUSD_U6: u64 = 1_000_000_000_000;

/// The Telegram chat the demo obeys when `demo.sim_alerts` is on.
pub const DEMO_CHAT_ID: i64 = 4242;

/// A running demo.
pub struct Demo {
    pub sim: Simulator,
    pub pipeline: Pipeline,
    pub config: Config,
    /// Alerts to the simulator's Telegram and Discord, the whale poller and the API server.
    pub services: Services,
    /// The throwaway wallet `shadow` and `live` trade for (on the simulated CLOB).
    pub live_wallet: Option<crate::clob::order::Address>,
    started: Instant,
    /// Live mode's wallet thread (stops with the pipeline).
    wallet_thread: Option<std::thread::JoinHandle<()>>,
}

impl Demo {
    /// Start with the API key from `API_KEY` (environment or `./.env`), if any.
    pub fn start(cfg: Config) -> anyhow::Result<Demo> {
        Demo::launch(cfg, None, ApiKey::from_environment())
    }

    /// Start, recording raw frames and windows to `record` (a new file) if given.
    pub fn start_with(cfg: Config, record: Option<std::path::PathBuf>) -> anyhow::Result<Demo> {
        Demo::launch(cfg, record, ApiKey::from_environment())
    }

    /// Start with the given API key (`None`: the protected endpoints answer 503).
    pub fn start_with_key(cfg: Config, api_key: Option<ApiKey>) -> anyhow::Result<Demo> {
        Demo::launch(cfg, None, api_key)
    }

    /// Start everything: simulator, pipeline, alerts, whale poller, API.
    pub fn launch(
        mut cfg: Config,
        record: Option<std::path::PathBuf>,
        api_key: Option<ApiKey>,
    ) -> anyhow::Result<Demo> {
        cfg.validate()?;
        let sim = Simulator::start(sim_config(&cfg))?;
        point_at(&mut cfg, &sim);
        let live = match cfg.mode {
            Mode::Shadow | Mode::Live => Some(throwaway_account(&sim, &cfg)?),
            _ => None,
        };
        let wallet = live
            .as_ref()
            .map(|l| l.api_wallet(&cfg.venues.relayer, &|_| None));
        let live_wallet = live
            .as_ref()
            .map(|l| l.funder.unwrap_or_else(|| l.key.address()));
        let live_setup = live.clone();
        let pipeline = Pipeline::start(
            &cfg,
            StartOptions {
                // The simulator's price socket accepts any non-empty key.
                price_socket: Some(PriceSocketAuth {
                    api_key: "demo".into(),
                    secret: "demo".into(),
                    passphrase: "demo".into(),
                }),
                paper_latency: Duration::from_millis(cfg.paper.latency_ms),
                strategy: cfg.strategy.clone(),
                risk: cfg.risk,
                log_discovery_errors: true,
                record,
                live,
            },
        )?;
        // The demo's alerts go to the simulator's Telegram and Discord (nothing leaves the
        // machine), so it shows paper-mode alerts too.
        if cfg.demo.sim_alerts {
            cfg.alerts.paper = true;
        }
        let secrets = cfg.demo.sim_alerts.then(|| AlertSecrets {
            telegram_token: Some("demo-token".into()),
            telegram_chat_id: Some(DEMO_CHAT_ID.to_string()),
            discord_webhook: Some(sim.discord_webhook_url()),
        });
        // Live: the wallet thread (funds before each window, redemption of won positions).
        // The demo keeps its redemption state in memory: its throwaway wallet is new each run.
        cfg.live.redemptions_path = ":memory:".into();
        let wallet_thread = match &live_setup {
            Some(l) => match crate::wallet::worker::start_for_live(
                &cfg,
                l,
                pipeline.shared.clone(),
                pipeline.state.clone(),
                &|_| None,
                pipeline.redeemed_tx.clone(),
            ) {
                Ok(h) => h,
                Err(e) => {
                    pipeline.shutdown();
                    sim.shutdown();
                    return Err(e);
                }
            },
            None => None,
        };
        let services = match Services::start(&cfg, &pipeline, secrets, api_key, wallet) {
            Ok(s) => s,
            Err(e) => {
                pipeline.shutdown();
                sim.shutdown();
                return Err(e);
            }
        };
        tracing::info!(
            mode = cfg.mode.name(),
            window_s = cfg.demo.window_s,
            plan = %pipeline.plan.compact(),
            "demo started: simulator, pipeline and services"
        );
        Ok(Demo {
            sim,
            pipeline,
            config: cfg,
            services,
            live_wallet,
            started: Instant::now(),
            wallet_thread,
        })
    }

    /// The API server, when running.
    pub fn api(&self) -> Option<&crate::control::api::ApiHandle> {
        self.services.api.as_ref()
    }

    /// Stop everything and summarise.
    pub fn stop(mut self) -> RunSummary {
        let duration = self.started.elapsed().as_secs_f64();
        self.services.stop_api();
        let plan = self.pipeline.plan.clone();
        let shared = self.pipeline.shared.clone();
        let state = self.pipeline.shutdown();
        if let Some(h) = self.wallet_thread.take() {
            let _ = h.join();
        }
        self.services.finish();
        self.sim.shutdown();
        let st = state.lock().expect("state");
        RunSummary::collect(&plan, &shared, &st, duration)
    }
}
