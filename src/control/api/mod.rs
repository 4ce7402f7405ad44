//! The control-side HTTP API, WebSocket stream, metrics, API docs and dashboard.
//!
//! Contract: everything here runs on one OS thread (`api`) with its own current-thread tokio
//! runtime, pinned to the control cores when the core plan leaves any (never to a hot core).
//! It reads the shared atomics and the control state (a mutex no hot thread ever takes, held
//! only to copy what a response needs) and writes only the kill switch and the mode (atomics the
//! hot threads read). So nothing it does, however slow its clients, can block a hot thread:
//! `tests/api_no_overflow.rs` floods it while the pipeline runs and checks no hot ring filled.
//!
//! Files: `routes` (REST), `auth` (API key), `candles` (klines + live candles), `views` (JSON
//! shapes shared by REST and `/ws`), `ws` (the stream), `metrics` (Prometheus), `docs`
//! (OpenAPI + page), `dashboard` (embedded assets).

pub mod auth;
pub mod candles;
pub mod conn;
pub mod dashboard;
pub mod docs;
pub mod metrics;
pub mod origin;
pub mod routes;
pub mod views;
pub mod ws;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::config::{ApiConfig, Config};
use crate::control::ControlState;
use crate::pipeline::cores::CorePlan;
use crate::pipeline::registry::AssetTable;
use crate::pipeline::shared::Shared;

pub use auth::ApiKey;

/// How long a shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// What the API reads and the few things it may write.
#[derive(Clone)]
pub struct ApiContext {
    pub shared: Arc<Shared>,
    pub state: Arc<Mutex<ControlState>>,
    pub assets: AssetTable,
    pub plan: CorePlan,
    /// Binance REST base URL (`venues.binance_rest`); klines come from `{base}/api/v3/klines`.
    pub binance_rest: String,
    /// The key of the protected endpoints; `None` refuses them all (503).
    pub api_key: Option<ApiKey>,
    /// A feed silent this long is reported stale: binance, polymarket, chainlink (ms).
    pub feed_stale_ms: [u64; 3],
    /// Window length, seconds (for τ and the dashboard's time axis).
    pub window_s: u64,
    /// Polygon JSON-RPC endpoint (`venues.polygon_rpc`).
    pub polygon_rpc: String,
    /// The trading wallet, when the process runs the live path: allowances are read for the
    /// wallet that holds the funds and set from it (`wallet::approvals`).
    pub wallet: Option<Arc<ApiWallet>>,
    /// The journal, when there is one: the kill switch is committed to it before the API
    /// acknowledges a change.
    pub journal: Option<crate::journal::DurableTx>,
}

/// The signing key and the address holding the funds. `Debug` shows the address only.
pub struct ApiWallet {
    pub key: crate::clob::sign::PrivateKey,
    /// The wallet that holds the funds (the key's address for type 0, else the funder).
    pub owner: crate::clob::order::Address,
    pub chain: crate::clob::order::Chain,
    pub signature_type: crate::clob::order::SignatureType,
    /// The CLOB and its credentials: its balance view is refreshed after approvals.
    pub clob: String,
    pub creds: crate::clob::auth::Credentials,
    /// The relayer and its API key (deposit wallets' approvals), when configured.
    pub relayer: Option<(String, crate::wallet::setup::RelayerCreds)>,
}

impl ApiWallet {
    /// The trading identity behind this wallet.
    pub fn setup(&self) -> crate::wallet::WalletSetup {
        crate::wallet::WalletSetup {
            key: self.key.clone(),
            signature_type: self.signature_type,
            funder: (self.owner != self.key.address()).then_some(self.owner),
            chain: self.chain,
        }
    }
}

impl std::fmt::Debug for ApiWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiWallet({})", self.owner.as_str())
    }
}

impl std::fmt::Debug for ApiContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiContext")
            .field("assets", &self.assets.len())
            .field("binance_rest", &self.binance_rest)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

impl ApiContext {
    /// The context of a running pipeline started from `cfg`.
    pub fn new(
        cfg: &Config,
        shared: Arc<Shared>,
        state: Arc<Mutex<ControlState>>,
        plan: CorePlan,
        api_key: Option<ApiKey>,
    ) -> anyhow::Result<ApiContext> {
        Ok(ApiContext {
            shared,
            state,
            assets: AssetTable::from_names(&cfg.assets).map_err(anyhow::Error::msg)?,
            plan,
            binance_rest: cfg.venues.binance_rest.clone(),
            api_key,
            feed_stale_ms: [
                cfg.feeds.binance_stale_ms,
                cfg.feeds.poly_stale_ms,
                cfg.feeds.chainlink_stale_ms,
            ],
            window_s: cfg.windows.length_s,
            polygon_rpc: cfg.venues.polygon_rpc.clone(),
            wallet: None,
            journal: None,
        })
    }
}

/// API-side counters (the pipeline's own live in `Shared`).
#[derive(Debug, Default)]
pub struct ApiCounters {
    pub http_requests: AtomicU64,
    pub ws_clients: AtomicU64,
    pub ws_connections: AtomicU64,
    /// Clients dropped because they fell behind (lagged queue or a stalled socket).
    pub ws_dropped_slow: AtomicU64,
    /// Connections refused because `ws_max_clients` were connected.
    pub ws_refused: AtomicU64,
    /// Messages the broadcaster built (each goes to every client).
    pub ws_messages: AtomicU64,
    pub klines_errors: AtomicU64,
}

impl ApiCounters {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// Shared by every handler.
pub struct App {
    pub ctx: ApiContext,
    pub cfg: ApiConfig,
    pub counters: ApiCounters,
    /// Connections open now and closed for idling.
    pub conns: Arc<conn::ConnCounters>,
    pub started: Instant,
    pub http: reqwest::Client,
    pub klines: candles::KlinesCache,
    /// Why the kill switch was last set or cleared, and when (unix ms).
    pub kill_note: Mutex<(String, u64)>,
    pub stream: ws::Stream,
    pub dashboard: dashboard::Assets,
}

/// A JSON error: `{"error": message, "field": name}` (field only when one is at fault).
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: None,
        }
    }

    /// A bad value in a request: 422 naming the field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
            field: Some(field.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
            field: self.field.as_deref(),
        };
        (self.status, Json(body)).into_response()
    }
}

/// The running API server.
pub struct ApiHandle {
    /// The address it listens on (the real port when `bind` asked for port 0).
    pub addr: SocketAddr,
    app: Arc<App>,
    stop: tokio::sync::watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ApiHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiHandle")
            .field("addr", &self.addr)
            .finish()
    }
}

impl ApiHandle {
    /// Connections open now and closed for idling.
    pub fn connections(&self) -> &conn::ConnCounters {
        &self.app.conns
    }

    /// `http://ADDR` (the dashboard).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's own counters (WebSocket clients, drops, requests).
    pub fn counters(&self) -> &ApiCounters {
        &self.app.counters
    }

    /// Stop serving and wait for the thread (requests in flight get a short grace).
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ApiHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Bind `cfg.bind`, start the `api` thread and its runtime, and serve until shutdown.
///
/// Binding happens here, before the thread starts, so a busy port is an error the caller sees
/// at once, with what to do about it.
pub fn spawn(cfg: ApiConfig, ctx: ApiContext) -> anyhow::Result<ApiHandle> {
    let problems = cfg.problems();
    if !problems.is_empty() {
        anyhow::bail!("invalid [api] configuration:\n{}", problems.join("\n"));
    }
    let listener = std::net::TcpListener::bind(&cfg.bind).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            "another program (perhaps another cassandra) is using that port: stop it, or choose \
             another with [api] bind = \"127.0.0.1:PORT\" (port 0 = any free port) in a config \
             file passed with --config, or turn the API off with [api] enabled = false"
        } else {
            "check [api] bind"
        };
        anyhow::anyhow!("the API cannot listen on {}: {e}; {hint}", cfg.bind)
    })?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let app = Arc::new(App {
        stream: ws::Stream::new(cfg.ws_client_queue),
        dashboard: dashboard::Assets::load(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .context("building the klines HTTP client")?,
        klines: candles::KlinesCache::default(),
        kill_note: Mutex::new((String::new(), 0)),
        counters: ApiCounters::default(),
        conns: Arc::new(conn::ConnCounters::default()),
        started: Instant::now(),
        ctx,
        cfg,
    });
    let (stop, mut stop_rx) = tokio::sync::watch::channel(false);
    let thread_app = app.clone();
    let control_cores = (!app.ctx.plan.shared).then(|| app.ctx.plan.control_cores.clone());
    let thread = std::thread::Builder::new()
        .name("api".into())
        .spawn(move || {
            if let Some(cores) = control_cores {
                pin_to(&cores);
            }
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!("API runtime: {e}");
                    return;
                }
            };
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!("API listener: {e}");
                        return;
                    }
                };
                let broadcaster = tokio::spawn(ws::broadcast_loop(thread_app.clone()));
                let router = routes::router(thread_app.clone());
                let mut stop_serve = stop_rx.clone();
                let listener = conn::GuardedListener::new(
                    listener,
                    thread_app.cfg.max_connections,
                    Duration::from_millis(thread_app.cfg.idle_timeout_ms),
                    thread_app.conns.clone(),
                );
                let serve = axum::serve(listener, router.into_make_service())
                    .with_graceful_shutdown(async move {
                        let _ = stop_serve.wait_for(|s| *s).await;
                    });
                tokio::select! {
                    r = serve => if let Err(e) = r { tracing::error!("API server: {e}") },
                    // Long-lived WebSockets would hold a graceful shutdown open: cut it short.
                    _ = async {
                        let _ = stop_rx.wait_for(|s| *s).await;
                        tokio::time::sleep(SHUTDOWN_GRACE).await;
                    } => {}
                }
                broadcaster.abort();
            });
        })
        .context("spawning the api thread")?;
    Ok(ApiHandle {
        addr,
        app,
        stop,
        thread: Some(thread),
    })
}

/// Keep this thread on the control cores (the ones no hot thread is pinned to).
fn pin_to(cores: &[usize]) {
    if cores.is_empty() {
        return;
    }
    // SAFETY: `set` is a plain bitmask on the stack, zeroed before use; CPU_SET is only called
    // with ids below CPU_SETSIZE; sched_setaffinity(0, …) affects only the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cores {
            if c < libc::CPU_SETSIZE as usize {
                libc::CPU_SET(c, &mut set);
            }
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            tracing::warn!(?cores, "api thread: could not pin to the control cores");
        }
    }
}
