//! Venue simulator: Binance, Polymarket (market channel, Gamma, CLOB public REST, Data API),
//! the Chainlink price socket, a Polygon JSON-RPC node ([`rpc`], with balance and payout
//! reads in `chain_reads`), Polymarket's relayer for deposit-wallet batches ([`relayer`]), a
//! Telegram Bot API and a Discord webhook on 127.0.0.1, speaking the venues' wire protocols,
//! for the demo, the tests and the benchmarks.
//!
//! One seeded price model drives everything (see [`model`]): Binance trades follow the spot
//! walk, Chainlink is spot plus a drifting basis, windows strike and settle on Chainlink, and
//! the Polymarket books quote the true fair value with a lag and noise: the edge the strategy
//! hunts. Each feed runs one accept thread and one thread per connection on plain
//! non-blocking sockets; HTTP runs on a small tokio runtime of its own; an engine thread steps
//! the world every 1–10 ms. Faults ([`Faults`]) and counters ([`SimStats`]) are atomics that
//! tests use while the simulator runs.
//!
//! Limits: loopback only, no TLS, wall-clock windows (a test of window roll-over takes real
//! seconds), one world lock shared by all threads (fine at the rates a test or demo needs).

mod binance;
pub mod book;
mod chain_reads;
mod chainlink;
pub mod clob;
mod data_api;
mod data_positions;
mod discord;
mod fault_plan;
mod faults;
mod gamma;
mod http;
pub mod model;
mod net;
mod polymarket;
pub mod relayer;
pub mod rpc;
mod stats;
mod telegram;
mod venue_misc;
mod windows;
pub mod wire;
mod world;

pub use book::{SimBook, SimLevel};
pub use chainlink::pyth_basis;
pub use clob::{SimBalance, SimClob, SimOrderRecord, SimVerdict, WalletKind};
pub use data_api::SimDataApi;
pub use discord::SimDiscord;
pub use fault_plan::FaultPlan;
pub use faults::Faults;
pub use stats::{FeedStats, SimStats};
pub use telegram::{check_html as check_telegram_html, SimTelegram};
pub use venue_misc::SimVenueMisc;
pub use windows::{Series, SimWindow, WindowOutcome};

use faults::Feed;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use world::World;

/// One simulated asset.
#[derive(Clone, Debug, PartialEq)]
pub struct SimAsset {
    /// Upper-case symbol, e.g. "BTC" (Binance `BTCUSDT`, Chainlink `btcusd`).
    pub symbol: String,
    pub start_price: f64,
}

impl SimAsset {
    pub fn new(symbol: &str, start_price: f64) -> SimAsset {
        SimAsset {
            symbol: symbol.to_string(),
            start_price,
        }
    }
}

/// Simulator settings. `Default` gives the demo's venue: four assets, 15-minute windows.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seeds the price model, ids and sizes. Default 1.
    pub seed: u64,
    /// Default: BTC 97000, ETH 3600, SOL 240, XRP 2.4.
    pub assets: Vec<SimAsset>,
    /// Binance data frames per second per connection, all streams together; 0.0 = flood (as
    /// fast as the socket takes them). Default 50.
    pub binance_rate_hz: f64,
    /// Serve `<sym>@bookTicker` when a client asks for it. Default true.
    pub book_ticker: bool,
    /// Window length in seconds: 900 real, 60 for demos, 2 in tests. Default 900.
    pub window_secs: u64,
    /// Book updates (`price_change`) per second per token. Default 5.
    pub poly_update_hz: f64,
    /// Polymarket quotes follow the true fair value with this lag. Default 2000.
    pub poly_lag_ms: u64,
    /// Standard deviation of the quote noise, probability units. Default 0.01.
    pub poly_noise: f64,
    /// Chainlink observations per second per asset. Default 1.
    pub chainlink_hz: f64,
    /// Binance server ping period. Default 20000.
    pub ping_interval_ms: u64,
    /// True annual volatility of the random walk. Default 0.6.
    pub annual_vol: f64,
    /// The series windows settle on and Gamma names. Default: the 60-second Chainlink TWAP, as
    /// the real up/down markets since 2026-08 (`tests/data/venue/gamma/`).
    pub settlement: windows::Series,
    /// PolyBolt's `price.crypto` is Pyth, not the Chainlink series markets settle on: it is
    /// served as the Chainlink spot value times `1 + basis`, the basis wandering smoothly within
    /// ± this many basis points (0: identical series). Default 2.
    pub pyth_basis_bps: f64,
    /// Faults injected from the start (`[demo.faults]`, `sim` flags). Default: none.
    pub faults: FaultPlan,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            assets: vec![
                SimAsset::new("BTC", 97_000.0),
                SimAsset::new("ETH", 3_600.0),
                SimAsset::new("SOL", 240.0),
                SimAsset::new("XRP", 2.4),
            ],
            binance_rate_hz: 50.0,
            book_ticker: true,
            window_secs: 900,
            poly_update_hz: 5.0,
            poly_lag_ms: 2000,
            poly_noise: 0.01,
            chainlink_hz: 1.0,
            pyth_basis_bps: 2.0,
            ping_interval_ms: 20_000,
            annual_vol: 0.6,
            settlement: windows::Series::Twap60,
            faults: FaultPlan::default(),
        }
    }
}

impl SimConfig {
    /// Every bad field, named.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut bad = Vec::new();
        if self.assets.is_empty() {
            bad.push("assets: at least one asset is needed".to_string());
        }
        for a in &self.assets {
            if a.symbol.is_empty() || !a.symbol.bytes().all(|b| b.is_ascii_alphanumeric()) {
                bad.push(format!(
                    "assets: symbol {:?} must be alphanumeric",
                    a.symbol
                ));
            }
            if !(a.start_price > 0.0 && a.start_price.is_finite()) {
                bad.push(format!(
                    "assets: {} start_price {} must be > 0",
                    a.symbol, a.start_price
                ));
            }
        }
        let rates = [
            ("binance_rate_hz", self.binance_rate_hz),
            ("poly_update_hz", self.poly_update_hz),
            ("chainlink_hz", self.chainlink_hz),
            ("poly_noise", self.poly_noise),
            ("annual_vol", self.annual_vol),
        ];
        for (name, v) in rates {
            if !(v >= 0.0 && v.is_finite()) {
                bad.push(format!("{name}: {v} must be a finite number >= 0"));
            }
        }
        if self.window_secs == 0 {
            bad.push("window_secs: must be > 0".into());
        }
        if self.ping_interval_ms == 0 {
            bad.push("ping_interval_ms: must be > 0".into());
        }
        if let Err(e) = self.faults.validate() {
            bad.push(e);
        }
        if bad.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid simulator config: {}", bad.join("; "))
        }
    }
}

/// Where a running simulator listens. Gamma, the CLOB, Binance REST, the Data API, Telegram
/// (`/telegram`), Discord and the Polygon JSON-RPC (`/rpc`) all share the HTTP port.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimUrls {
    pub binance_ws: String,
    pub poly_ws: String,
    pub chainlink_ws: String,
    pub http: String,
}

/// Fixed ports for [`Simulator::start_on`]; 0 = ephemeral.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimPorts {
    pub binance: u16,
    pub poly: u16,
    pub chainlink: u16,
    pub http: u16,
}

/// What a feed runs on each accepted connection.
type ConnHandler = fn(Arc<Shared>, TcpStream);

/// State shared by every simulator thread.
pub(crate) struct Shared {
    pub cfg: SimConfig,
    pub faults: Faults,
    pub stats: SimStats,
    pub world: Mutex<World>,
    /// The simulated CLOB's keys, settings and order log.
    pub clob: SimClob,
    /// Binance trade id, global across assets and connections.
    pub trade_seq: AtomicU64,
    /// Binance bookTicker update id.
    pub book_seq: AtomicU64,
    symbols_lower: Vec<String>,
    stop: AtomicBool,
    conns: Mutex<Vec<JoinHandle<()>>>,
    /// Data API `/trades` for whale wallets.
    pub data_api: SimDataApi,
    /// Telegram Bot API.
    pub telegram: SimTelegram,
    /// Discord webhook sink.
    pub discord: SimDiscord,
    pub rpc: rpc::SimRpc,
    /// Polymarket's relayer (deposit-wallet `WALLET` batches).
    pub relayer: relayer::SimRelayer,
    /// Geoblock, `/time`, `/auth/api-keys`, pUSD balances (preflight).
    pub misc: SimVenueMisc,
    /// Frame send stamps and wire-to-wire samples (`GET /bench/tick-to-trade`).
    pub wire: wire::TickToTrade,
}

impl Shared {
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Keep a connection thread's handle so shutdown can join it.
    pub fn track(&self, h: JoinHandle<()>) {
        if let Ok(mut v) = self.conns.lock() {
            v.retain(|h| !h.is_finished());
            v.push(h);
        }
    }

    pub fn feed_stats(&self, feed: Feed) -> &FeedStats {
        match feed {
            Feed::Binance => &self.stats.binance,
            Feed::Poly => &self.stats.poly,
            Feed::Chainlink => &self.stats.chainlink,
        }
    }

    /// Index of an asset by symbol, any case.
    pub fn asset_index(&self, symbol: &str) -> Option<usize> {
        self.symbols_lower
            .iter()
            .position(|s| s.eq_ignore_ascii_case(symbol))
    }

    /// Upper-case symbol of asset `i`.
    pub fn symbol(&self, i: usize) -> String {
        self.symbols_lower[i].to_ascii_uppercase()
    }

    /// Spot price of asset `i` now (steps the model to now).
    pub fn spot_now(&self, i: usize) -> f64 {
        let now = wall_ns();
        match self.world.lock() {
            Ok(mut w) => {
                w.model.advance_to(now);
                w.model.spot(i)
            }
            Err(_) => self.cfg.assets[i].start_price,
        }
    }
}

/// Wall-clock nanoseconds since the Unix epoch.
pub(crate) fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// A running simulator. Dropping it (or [`Simulator::shutdown`]) stops every thread and closes
/// every socket.
pub struct Simulator {
    shared: Arc<Shared>,
    addrs: [SocketAddr; 3],
    http_addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
    http: Option<http::HttpServer>,
}

fn bind(port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| anyhow::anyhow!("bind 127.0.0.1:{port}: {e}"))
}

impl Simulator {
    /// Start on ephemeral ports; returns when every listener is up.
    pub fn start(cfg: SimConfig) -> anyhow::Result<Simulator> {
        Self::start_on(cfg, SimPorts::default())
    }

    /// Start on these ports (0 = ephemeral); returns when every listener is up.
    pub fn start_on(cfg: SimConfig, ports: SimPorts) -> anyhow::Result<Simulator> {
        cfg.validate()?;
        let listeners = [
            bind(ports.binance)?,
            bind(ports.poly)?,
            bind(ports.chainlink)?,
        ];
        let http_listener = bind(ports.http)?;
        let addrs = [
            listeners[0].local_addr()?,
            listeners[1].local_addr()?,
            listeners[2].local_addr()?,
        ];
        let http_addr = http_listener.local_addr()?;
        let world = World::new(&cfg, wall_ns());
        let shared = Arc::new(Shared {
            symbols_lower: cfg
                .assets
                .iter()
                .map(|a| a.symbol.to_ascii_lowercase())
                .collect(),
            cfg,
            faults: Faults::default(),
            stats: SimStats::default(),
            world: Mutex::new(world),
            clob: SimClob::default(),
            trade_seq: AtomicU64::new(1),
            book_seq: AtomicU64::new(400_900_217),
            stop: AtomicBool::new(false),
            conns: Mutex::new(Vec::new()),
            data_api: SimDataApi::new(wall_ns() / 1_000_000_000),
            telegram: SimTelegram::default(),
            discord: SimDiscord::default(),
            rpc: rpc::SimRpc::default(),
            relayer: relayer::SimRelayer::default(),
            misc: SimVenueMisc::default(),
            wire: wire::TickToTrade::default(),
        });
        let mut sim = Simulator {
            shared: shared.clone(),
            addrs,
            http_addr,
            threads: Vec::new(),
            http: None,
        };
        // From here on, an error drops `sim`, which stops whatever already started.
        let engine = shared.clone();
        sim.threads.push(
            std::thread::Builder::new()
                .name("sim-engine".into())
                .spawn(move || engine_loop(engine))?,
        );
        let [lb, lp, lc] = listeners;
        let handlers: [(TcpListener, &'static str, ConnHandler); 3] = [
            (lb, "binance", binance::serve),
            (lp, "poly", polymarket::serve),
            (lc, "chainlink", chainlink::serve),
        ];
        for (l, name, h) in handlers {
            sim.threads
                .push(net::spawn_acceptor(shared.clone(), l, name, h)?);
        }
        if let Err(e) = shared.cfg.faults.apply(&shared) {
            anyhow::bail!("invalid simulator faults: {e}");
        }
        let sched = shared.clone();
        sim.threads.push(
            std::thread::Builder::new()
                .name("sim-faults".into())
                .spawn(move || fault_plan::run_schedule(sched))?,
        );
        sim.http = Some(http::HttpServer::spawn(shared, http_listener)?);
        Ok(sim)
    }

    /// `ws://127.0.0.1:PORT`; clients append `/stream?streams=btcusdt@trade/...`.
    pub fn binance_ws_url(&self) -> String {
        format!("ws://{}", self.addrs[0])
    }

    /// `ws://127.0.0.1:PORT`; clients append `/ws/market`.
    pub fn poly_ws_url(&self) -> String {
        format!("ws://{}", self.addrs[1])
    }

    /// `ws://127.0.0.1:PORT`; clients append `/ws`.
    pub fn chainlink_ws_url(&self) -> String {
        format!("ws://{}", self.addrs[2])
    }

    /// `http://127.0.0.1:PORT`: Gamma, CLOB public REST and Binance REST on one server.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// Telegram Bot API base (`[alerts] telegram_api`): `http://127.0.0.1:PORT/telegram`.
    pub fn telegram_api_url(&self) -> String {
        format!("{}/telegram", self.http_url())
    }

    /// A Discord webhook URL on the simulator (`DISCORD_WEBHOOK_URL`).
    pub fn discord_webhook_url(&self) -> String {
        format!(
            "{}/discord/api/webhooks/1/sim-webhook-token",
            self.http_url()
        )
    }

    /// The Data API (whale trades): switches and counts.
    pub fn data_api(&self) -> &SimDataApi {
        &self.shared.data_api
    }

    /// The Telegram Bot API: queued commands, received messages, faults.
    pub fn telegram(&self) -> &SimTelegram {
        &self.shared.telegram
    }

    /// The Discord webhook sink: received bodies, faults.
    pub fn discord(&self) -> &SimDiscord {
        &self.shared.discord
    }

    /// The simulated Polygon JSON-RPC node (token approvals).
    pub fn rpc(&self) -> &rpc::SimRpc {
        &self.shared.rpc
    }

    /// Geoblock and clock switches, pUSD balances (see [`venue_misc`]).
    pub fn venue_misc(&self) -> &SimVenueMisc {
        &self.shared.misc
    }

    /// The simulated relayer: its API keys and transactions.
    pub fn relayer(&self) -> &relayer::SimRelayer {
        &self.shared.relayer
    }

    /// The relayer's base URL, for `[venues] relayer`.
    pub fn relayer_url(&self) -> String {
        format!("{}/relayer", self.http_url())
    }

    /// Its URL, for `[venues] polygon_rpc`.
    pub fn rpc_url(&self) -> String {
        format!("{}/rpc", self.http_url())
    }

    /// Every address a client needs, for a client in another process.
    pub fn urls(&self) -> SimUrls {
        SimUrls {
            binance_ws: self.binance_ws_url(),
            poly_ws: self.poly_ws_url(),
            chainlink_ws: self.chainlink_ws_url(),
            http: self.http_url(),
        }
    }

    /// The ports actually bound.
    pub fn ports(&self) -> SimPorts {
        SimPorts {
            binance: self.addrs[0].port(),
            poly: self.addrs[1].port(),
            chainlink: self.addrs[2].port(),
            http: self.http_addr.port(),
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared.cfg
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Replace the fault switches with `plan` (what `POST /sim/faults` does).
    pub fn apply_faults(&self, plan: &FaultPlan) -> Result<(), String> {
        plan.apply(&self.shared)
    }

    /// What `GET /sim/stats` answers: connections, frames and the faults injected.
    pub fn stats_json(&self) -> serde_json::Value {
        fault_plan::stats_json(&self.shared)
    }

    pub fn stats(&self) -> &SimStats {
        &self.shared.stats
    }

    /// The simulated CLOB: register credentials and funders, read the order log, set the
    /// served order version and chain (see [`clob`]).
    pub fn clob(&self) -> &SimClob {
        &self.shared.clob
    }

    /// Brings the simulated CLOB's lifecycle to now (failed trades given back, lapsed
    /// heartbeats, delayed and parked orders matched): what every CLOB request does first.
    pub fn settle_clob(&self) {
        clob::settle(&self.shared);
    }

    /// Settled windows, in settlement order.
    pub fn window_outcomes(&self) -> Vec<WindowOutcome> {
        self.shared
            .world
            .lock()
            .map(|w| w.windows.outcomes().to_vec())
            .unwrap_or_default()
    }

    /// The live windows (current and next of every asset), ordered by asset then start.
    pub fn live_windows(&self) -> Vec<SimWindow> {
        let now = wall_ns();
        let Ok(mut w) = self.shared.world.lock() else {
            return Vec::new();
        };
        // Bring the world to now, so a window that just opened is there.
        w.tick(now);
        let now_s = now / 1_000_000_000;
        w.windows.live(now_s).map(|x| x.view.clone()).collect()
    }

    /// The current window of an asset ("BTC").
    pub fn current_window(&self, symbol: &str) -> Option<SimWindow> {
        let now = wall_ns();
        let mut w = self.shared.world.lock().ok()?;
        w.tick(now);
        let now_s = now / 1_000_000_000;
        let i = w.asset_index(symbol)?;
        let start = w.windows.current_start(now_s);
        w.windows.find(i, start).map(|x| x.view.clone())
    }

    /// The simulator's current book of a live token (what a client following the market
    /// channel must hold), best level first.
    pub fn poly_book(&self, token_id: &str) -> Option<SimBook> {
        let w = self.shared.world.lock().ok()?;
        w.market_of(token_id)?.book_of(token_id)
    }

    /// Binance spot (mid) price of an asset now.
    pub fn spot_price(&self, symbol: &str) -> Option<f64> {
        let i = self.shared.asset_index(symbol)?;
        Some(self.shared.spot_now(i))
    }

    /// The last Chainlink observation of an asset: (timestamp ms, price).
    pub fn chainlink_price(&self, symbol: &str) -> Option<(u64, f64)> {
        let w = self.shared.world.lock().ok()?;
        let i = w.asset_index(symbol)?;
        w.obs[i].last()
    }

    /// The true P(UP) of an asset's current window now (what the lagged quotes converge to).
    pub fn fair_up(&self, symbol: &str) -> Option<f64> {
        let win = self.current_window(symbol)?;
        let w = self.shared.world.lock().ok()?;
        let i = w.asset_index(symbol)?;
        Some(w.fair_now(i, win.start_s, win.end_s))
    }

    /// Stop every thread and close every socket.
    pub fn shutdown(self) {
        drop(self)
    }

    fn stop_all(&mut self) {
        if self.shared.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the blocking accepts.
        for a in self.addrs {
            let _ = TcpStream::connect_timeout(&a, Duration::from_millis(200));
        }
        if let Some(mut h) = self.http.take() {
            h.stop();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let conns = self
            .shared
            .conns
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        for c in conns {
            let _ = c.join();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// The engine thread: step the world often enough for the fastest schedule in it.
fn engine_loop(shared: Arc<Shared>) {
    let fastest = shared
        .cfg
        .poly_update_hz
        .max(shared.cfg.chainlink_hz)
        .max(1.0);
    let period = Duration::from_secs_f64((0.25 / fastest).clamp(0.001, 0.010));
    while !shared.stopping() {
        if let Ok(mut w) = shared.world.lock() {
            w.tick(wall_ns());
        }
        std::thread::sleep(period);
    }
}
