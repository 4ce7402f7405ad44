//! `cassandra run`: the pipeline against the venues in the configuration, in `paper`, `shadow`
//! or `live` mode, with the API, alerts and the whale poller around it.
//!
//! `shadow` and `live` need the signing key and the CLOB credentials from the environment
//! (`POLYMARKET_PRIVATE_KEY` or `POLYMARKET_PRIVATE_KEY_FILE`, `POLYMARKET_API_KEY`,
//! `POLYMARKET_API_SECRET`, `POLYMARKET_API_PASSPHRASE`; `POLYMARKET_FUNDER` and
//! `POLYMARKET_SIGNATURE_TYPE` for proxy, Safe or deposit wallets) and refuse to start without
//! them, naming what is missing. Secrets never come from the command line.

use std::time::Duration;

use crate::clob::auth::{private_key_from_env, Credentials};
use crate::clob::order::{Address, Chain, SignatureType};
use crate::config::Config;
use crate::control::alerts::AlertSecrets;
use crate::control::api::ApiKey;
use crate::control::services::Services;
use crate::feeds::polymarket::ingest::PriceSocketAuth;
use crate::pipeline::shared::Mode;
use crate::runtime::{LiveSetup, Pipeline, StartOptions};

/// What `shadow`/`live` need, from the environment; the error names every missing variable.
pub fn live_setup_from_env(cfg: &Config) -> anyhow::Result<LiveSetup> {
    let mut missing = Vec::new();
    let key = private_key_from_env()
        .map_err(|e| missing.push(e.to_string()))
        .ok();
    let creds = Credentials::from_env()
        .map_err(|e| missing.push(e.to_string()))
        .ok();
    let funder = match std::env::var("POLYMARKET_FUNDER")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(f) => match Address::parse_hex(&f) {
            Ok(a) => Some(a),
            Err(_) => {
                missing.push("POLYMARKET_FUNDER is not an address".into());
                None
            }
        },
        None => None,
    };
    let signature_type = match std::env::var("POLYMARKET_SIGNATURE_TYPE").as_deref() {
        Err(_) | Ok("") | Ok("0") => SignatureType::Eoa,
        Ok("1") => SignatureType::PolyProxy,
        Ok("2") => SignatureType::PolyGnosisSafe,
        Ok("3") => SignatureType::Poly1271,
        Ok(_) => {
            missing.push("POLYMARKET_SIGNATURE_TYPE must be 0, 1, 2 or 3".into());
            SignatureType::Eoa
        }
    };
    if signature_type != SignatureType::Eoa && funder.is_none() {
        missing.push("POLYMARKET_FUNDER is required for signature types 1-3".into());
    }
    match (key, creds) {
        (Some(key), Some(creds)) if missing.is_empty() => Ok(LiveSetup {
            key,
            creds,
            clob: cfg.venues.clob.clone(),
            chain: Chain::Polygon,
            signature_type,
            funder,
            order_type: cfg.live.order_type.into(),
            ladder: cfg.live.ladder.clone(),
            tag_trigger: cfg.live.tag_orders,
            venue: cfg.live.venue.clone(),
        }),
        _ => anyhow::bail!(
            "{} mode needs a signing key and CLOB credentials:\n  {}",
            cfg.mode.name(),
            missing.join("\n  ")
        ),
    }
}

/// Run until `stop` returns true, printing a status line every `status_every` (zero: never).
pub fn run(cfg: Config, status_every: Duration, stop: impl FnMut() -> bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    cfg.validate()?;
    let live = match cfg.mode {
        Mode::Shadow | Mode::Live => Some(live_setup_from_env(&cfg)?),
        _ => None,
    };
    if cfg.mode == Mode::Live {
        crate::cli::preflight::before_live(&cfg)?;
    }
    let wallet = live
        .as_ref()
        .map(|l| l.api_wallet(&cfg.venues.relayer, &crate::preflight::process_env));
    let price_socket = Credentials::from_env().ok().map(|c| PriceSocketAuth {
        api_key: c.api_key().to_string(),
        secret: c.secret().to_string(),
        passphrase: c.passphrase().to_string(),
    });
    if price_socket.is_none() {
        eprintln!("note: no CLOB credentials: running without the Chainlink price socket (strikes fall back to Binance, flagged)");
    }
    let pipeline = Pipeline::start(
        &cfg,
        StartOptions {
            price_socket,
            paper_latency: Duration::from_millis(cfg.paper.latency_ms),
            strategy: cfg.strategy.clone(),
            risk: cfg.risk,
            log_discovery_errors: true,
            record: None,
            live: live.clone(),
        },
    )?;
    println!(
        "Cassandra {} mode. Core plan:\n{}",
        cfg.mode.name(),
        pipeline.plan.describe()
    );
    let secrets = if cfg.alerts.enabled {
        Some(AlertSecrets::load(&cfg.alerts).map_err(anyhow::Error::msg)?)
    } else {
        None
    };
    let wallet_thread = match &live {
        Some(l) => crate::wallet::worker::start_for_live(
            &cfg,
            l,
            pipeline.shared.clone(),
            pipeline.state.clone(),
            &crate::preflight::process_env,
            pipeline.redeemed_tx.clone(),
        )?,
        None => None,
    };
    let mut services =
        match Services::start(&cfg, &pipeline, secrets, ApiKey::from_environment(), wallet) {
            Ok(s) => s,
            Err(e) => {
                pipeline.shutdown();
                return Err(e);
            }
        };
    if let Some(h) = &services.api {
        println!("Dashboard and API on {}", h.url());
    }
    println!(
        "{}",
        crate::control::terminal::Configured::from_environment(&cfg).banner(false)
    );
    tracing::info!(
        mode = cfg.mode.name(),
        plan = %pipeline.plan.compact(),
        "run started: pipeline and services"
    );
    crate::control::terminal::watch(
        stop,
        &pipeline.shared,
        &pipeline.state,
        crate::control::terminal::stale_limits(&cfg),
        status_every,
    );
    let ran_s = started.elapsed().as_secs_f64();
    services.stop_api();
    let shared = pipeline.shared.clone();
    let plan = pipeline.plan.clone();
    let state = pipeline.shutdown();
    if let Some(h) = wallet_thread {
        let _ = h.join();
    }
    services.finish();
    let st = state.lock().expect("state");
    let s = crate::control::summary::RunSummary::collect(&plan, &shared, &st, ran_s);
    println!("{}", s.render());
    Ok(())
}
