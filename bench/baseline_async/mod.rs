//! Baseline (a) of issue 8: a conventional async trading pipeline, built the way most Rust
//! trading bots are, to measure the product against on the same venue simulator.
//!
//! Not product code. It trades the product's benchmark strategy (`demo::trade_eagerly`, FAK
//! BUYs, a cooldown) with the usual async stack:
//!
//! * one multi-thread tokio runtime;
//! * one task per feed over `tokio-tungstenite` ([`feeds`]): Binance trades, the Polymarket
//!   market channel (books kept from `book` / `price_change` / `tick_size_change`), Chainlink
//!   prices; plus a discovery task polling Gamma and the CLOB with async `reqwest`
//!   ([`discovery`]);
//! * messages parsed with `serde_json` into owned `String`-field structs ([`messages`]);
//! * tasks linked by tokio `mpsc` channels into one strategy task ([`strategy`]), which sends
//!   order requests over another `mpsc` to the order task ([`orders`]);
//! * each order built, EIP-712 signed on the fly (the product's `OrderSigner`, i.e. ethers /
//!   k256), serialised with `serde_json`, HMAC-authenticated (the product's `L2Signer`) and
//!   posted with an async `reqwest` client in its own spawned task; the JSON answer is parsed.
//!
//! Every order carries `x-trigger-seq`: the Binance trade id `"t"` of the frame that triggered
//! the decision, so the simulator measures it wire to wire (`GET /bench/tick-to-trade`).
//!
//! Limits: no reconnects (a feed that drops ends its task; the run goes on without it), no
//! risk limits, no positions or settlement, σ is a constant from `annual_vol`, spot is the last
//! Binance trade price with no Chainlink basis correction. Good enough to be a fair baseline
//! of the per-frame path; not a trading system.

// Wire structs keep the fields a bot parses even where this one does not read them.
#![allow(dead_code)]

pub mod discovery;
pub mod feeds;
pub mod messages;
pub mod orders;
pub mod strategy;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cassandra::clob::auth::Credentials;
use tokio::sync::mpsc;

/// What the harness gives the baseline. Every field is required.
#[derive(Clone, Debug)]
pub struct AsyncBaselineConfig {
    /// `ws://host:port` of the Binance feed; `/stream?streams=<asset>usdt@trade` is appended.
    pub binance_ws: String,
    /// `ws://host:port` of the Polymarket market channel; `/ws/market` is appended.
    pub poly_ws: String,
    /// `ws://host:port` of the Chainlink price socket; `/ws` is appended.
    pub chainlink_ws: String,
    /// `http://host:port` serving Gamma and the CLOB.
    pub http: String,
    /// The signing key, 64 hex digits (`0x` optional).
    pub key_hex: String,
    /// L2 API credentials the CLOB knows for that key's address.
    pub creds: Credentials,
    /// Asset traded, e.g. "BTC".
    pub asset: String,
    /// Window length in seconds (900 real, the simulator's `window_secs`).
    pub window_s: u64,
    /// Minimum time between two orders, ms (the product's `gates.cooldown_ms`).
    pub cooldown_ms: u64,
    /// USDC per order (the product's `sizing.notional_usdc`, default 5).
    pub notional_usdc: f64,
    /// Annual volatility the fair value assumes (the simulator's `annual_vol`).
    pub annual_vol: f64,
}

/// Counters of one run. After `run` returns, `orders_sent == orders_ok + orders_killed +
/// order_errors` (every post is answered before it returns) and `decisions >= orders_sent +
/// build_errors`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AsyncBaselineStats {
    /// Binance trade frames parsed.
    pub frames: u64,
    /// Triggers evaluated with a window, both books, a strike and the cooldown passed.
    pub decisions: u64,
    /// `POST /order` requests sent.
    pub orders_sent: u64,
    /// Answered 200 with `"success":true`.
    pub orders_ok: u64,
    /// FAK orders the venue killed (nothing to fill at the limit): HTTP 400, not a fault.
    pub orders_killed: u64,
    /// Anything else the post got: transport errors, other refusals.
    pub order_errors: u64,
    /// Orders that could not be built or signed (never sent).
    pub build_errors: u64,
}

/// Counters shared by the tasks.
#[derive(Debug, Default)]
pub struct Counters {
    pub frames: AtomicU64,
    pub decisions: AtomicU64,
    pub orders_sent: AtomicU64,
    pub orders_ok: AtomicU64,
    pub orders_killed: AtomicU64,
    pub order_errors: AtomicU64,
    pub build_errors: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> AsyncBaselineStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        AsyncBaselineStats {
            frames: get(&self.frames),
            decisions: get(&self.decisions),
            orders_sent: get(&self.orders_sent),
            orders_ok: get(&self.orders_ok),
            orders_killed: get(&self.orders_killed),
            order_errors: get(&self.order_errors),
            build_errors: get(&self.build_errors),
        }
    }
}

/// Capacity of each channel; a full channel makes its sender wait (backpressure).
const CHANNEL_CAPACITY: usize = 4096;

/// How long `run` waits for posts still in flight after `stop` is set.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs until `stop` is set; builds its own tokio runtime.
pub fn run(cfg: AsyncBaselineConfig, stop: Arc<AtomicBool>) -> anyhow::Result<AsyncBaselineStats> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("baseline-async")
        .build()?;
    rt.block_on(run_async(cfg, stop))
}

async fn run_async(
    cfg: AsyncBaselineConfig,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<AsyncBaselineStats> {
    let counters = Arc::new(Counters::default());
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(5))
        .build()?;
    let sender = orders::OrderSender::new(&cfg, http.clone()).await?;

    let (event_tx, event_rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (order_tx, order_rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (sub_tx, sub_rx) = mpsc::channel(16);

    let tasks = vec![
        tokio::spawn(feeds::binance(
            cfg.binance_ws.clone(),
            cfg.asset.clone(),
            event_tx.clone(),
            counters.clone(),
        )),
        tokio::spawn(feeds::polymarket(
            cfg.poly_ws.clone(),
            sub_rx,
            event_tx.clone(),
        )),
        tokio::spawn(feeds::chainlink(
            cfg.chainlink_ws.clone(),
            cfg.asset.clone(),
            event_tx.clone(),
        )),
        tokio::spawn(discovery::run(
            discovery::Discovery::new(http, &cfg.http, &cfg.asset, cfg.window_s),
            event_tx,
            sub_tx,
        )),
        tokio::spawn(strategy::run(
            strategy::Strategy::new(&cfg),
            event_rx,
            order_tx,
            counters.clone(),
        )),
    ];
    let order_task = tokio::spawn(orders::run(sender, order_rx, counters.clone()));

    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Stop the producers; the strategy's end drops the order channel, so the order task
    // finishes once every post it spawned has been answered.
    for t in &tasks {
        t.abort();
    }
    for t in tasks {
        let _ = t.await;
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, order_task)
        .await
        .is_err()
    {
        anyhow::bail!("orders still in flight {DRAIN_TIMEOUT:?} after stop");
    }
    Ok(counters.snapshot())
}
