//! Wiring: builds the rings, spawns the four pinned hot threads and the control side, and
//! stops them all cleanly.
//!
//! Ring topology (all SPSC):
//! binance-ingest → signal (SpotTick), poly-ingest → signal (PolyEvent), signal → order
//! (OrderIntent), order → signal (ExecReport) are hot links that never drop; every hot thread
//! also has a tap to the control loop that drops and counts; the control loop has a control
//! ring to `poly-ingest` and one to `signal`.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;

use crate::config::Config;
use crate::control::discovery::Discovery;
use crate::control::{run_discovery, ControlLoop, ControlState};
use crate::exec::OrderThread;
use crate::feeds::binance::ingest::BinanceIngest;
use crate::feeds::dialer::Dialer;
use crate::feeds::link::LinkRules;
use crate::feeds::polymarket::ingest::{PolyIngest, PriceSocketAuth};
use crate::feeds::waiter::{SocketWaiter, WAKER_TOKEN};
use crate::feeds::ws::{WsConfig, WsUrl};
use crate::pipeline::cores::{
    mark_hot_thread, pin_current, CorePlan, CoreRequest, PlanKind, HOT_THREADS,
};
use crate::pipeline::lossless::lossless;
use crate::pipeline::registry::AssetTable;
use crate::pipeline::rings::{hot_link_on, tap};
use crate::pipeline::shared::{Mode, Shared};
use crate::pipeline::wait::{Doorbell, Idler};
use crate::record::tap::record_tap;
use crate::record::writer::Recorder;
use crate::rtc::RunToCompletion;

/// Bytes of each record ring (about a second of a 100k frames/s flood).
const RECORD_RING_BYTES: usize = 32 << 20;
use crate::signal::{Engine, SignalThread, StrategyConfig};
use crate::telemetry::stages::stage_channel;
use crate::telemetry::{LatencyBook, Stage};

/// What the live path needs: the signing key, the CLOB credentials and where the CLOB is.
/// `Debug` shows no secret.
#[derive(Clone)]
pub struct LiveSetup {
    pub key: crate::clob::sign::PrivateKey,
    pub creds: crate::clob::auth::Credentials,
    pub clob: String,
    pub chain: crate::clob::order::Chain,
    pub signature_type: crate::clob::order::SignatureType,
    /// The funder (proxy, Safe or deposit wallet) for signature types 1–3.
    pub funder: Option<crate::clob::order::Address>,
    pub order_type: crate::pipeline::events::OrderType,
    pub ladder: crate::exec::ladder::LadderConfig,
    /// Send each order's trigger-frame sequence in a header, for the simulator's wire-to-wire
    /// measurement (`sim::wire`). Never needed against the real venue.
    pub tag_trigger: bool,
    /// The order tracker and venue ledger (`[live.venue]`); live mode only.
    pub venue: crate::config::LiveVenueConfig,
}

impl LiveSetup {
    /// The wallet as the API sees it: allowances are read for the wallet holding the funds
    /// and set from it (a deposit wallet's through `relayer_url` with the relayer key found
    /// in `env`).
    pub fn api_wallet(
        &self,
        relayer_url: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> std::sync::Arc<crate::control::api::ApiWallet> {
        std::sync::Arc::new(crate::control::api::ApiWallet {
            key: self.key.clone(),
            owner: self.funder.unwrap_or_else(|| self.key.address()),
            chain: self.chain,
            signature_type: self.signature_type,
            clob: self.clob.clone(),
            creds: self.creds.clone(),
            relayer: crate::wallet::setup::RelayerCreds::from_lookup(env)
                .ok()
                .map(|c| (relayer_url.to_string(), c)),
        })
    }
}

impl std::fmt::Debug for LiveSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSetup")
            .field("address", &self.key.address())
            .field("clob", &self.clob)
            .finish_non_exhaustive()
    }
}

/// Everything `start` needs beyond the configuration file.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// Credentials for the Chainlink price socket; `None` runs without Chainlink.
    pub price_socket: Option<PriceSocketAuth>,
    /// Added latency of paper fills.
    pub paper_latency: Duration,
    /// Strategy settings.
    pub strategy: StrategyConfig,
    /// Risk limits and breakers.
    pub risk: crate::risk::RiskConfig,
    /// Log discovery errors (off in tests that expect them).
    pub log_discovery_errors: bool,
    /// Record raw frames and windows to this new file (see `record::format`).
    pub record: Option<std::path::PathBuf>,
    /// Keys and credentials for `shadow` and `live`; without them those modes fill on paper.
    pub live: Option<LiveSetup>,
}

/// A running pipeline.
pub struct Pipeline {
    pub shared: Arc<Shared>,
    pub state: Arc<Mutex<ControlState>>,
    pub plan: CorePlan,
    hot: Vec<JoinHandle<()>>,
    control: Vec<JoinHandle<()>>,
    /// The journal writer: it stops once the control loop (its only sender) has.
    journal: Option<JoinHandle<crate::journal::Journal>>,
    /// Counters of the live path (presigned vs signed on the spot, sent, venue errors).
    pub live: Option<Arc<crate::exec::live::LiveCounters>>,
    /// Commits to the journal before acknowledging (the API's kill switch); does not keep
    /// the writer running.
    pub journal_durable: Option<crate::journal::DurableTx>,
    /// The venue ledger (live mode), refreshed by the `venue` thread; `None` inside before
    /// its first publication or in other modes.
    pub venue_ledger: crate::venue::service::LedgerSnapshot,
    /// Live mode: where the wallet thread sends each redemption, for the venue ledger.
    pub redeemed_tx: Option<crossbeam::channel::Sender<crate::wallet::redeem::Redeemed>>,
}

fn spawn_hot(
    index: usize,
    core: Option<usize>,
    shared: &Arc<Shared>,
    body: impl FnOnce() + Send + 'static,
) -> anyhow::Result<JoinHandle<()>> {
    spawn_named(HOT_THREADS[index], index, core, shared, body)
}

/// Stack of a hot thread.
const HOT_STACK_BYTES: usize = 64 << 20;

/// [`spawn_hot`] under a name of its own (the run-to-completion thread, which re-marks itself
/// per stage).
fn spawn_named(
    name: &'static str,
    index: usize,
    core: Option<usize>,
    shared: &Arc<Shared>,
    body: impl FnOnce() + Send + 'static,
) -> anyhow::Result<JoinHandle<()>> {
    let shared = shared.clone();
    std::thread::Builder::new()
        .name(name.to_string())
        // The stages keep their state (books, the engine's arrays) on their stacks; the
        // run-to-completion thread holds all four. Only touched pages are ever committed.
        .stack_size(HOT_STACK_BYTES)
        .spawn(move || {
            mark_hot_thread(index);
            if !pin_current(core) {
                tracing::warn!(thread = name, ?core, "could not pin: running unpinned");
            }
            // A hot thread that dies takes the kill switch with it and says why: the rest of
            // the pipeline may still run, but no order goes out on a half-dead one.
            if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
                let why = panic_text(&*panic);
                let reason = format!("hot thread {name} died: {why}");
                tracing::error!("{reason}; kill switch on");
                shared.hot_thread_died(reason);
            }
        })
        .with_context(|| format!("spawning {name}"))
}

/// The message of a panic payload (`panic!` with a literal or a formatted string).
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

impl Pipeline {
    pub fn start(cfg: &Config, opts: StartOptions) -> anyhow::Result<Pipeline> {
        cfg.validate()?;
        let assets = AssetTable::from_names(&cfg.assets).map_err(anyhow::Error::msg)?;
        let plan = CorePlan::compute(
            &CorePlan::machine_cores(),
            &CoreRequest {
                wait: Some(cfg.pipeline.wait),
                cores: cfg.pipeline.cores.clone(),
                no_pin: !cfg.pipeline.pin,
                plan: cfg.pipeline.plan,
            },
        );
        // Every thread started from here on inherits the control cores; hot threads pin
        // themselves to their own. The caller's mask is back when `start` returns.
        let _control_side = crate::pipeline::affinity::ControlSide::enter(&plan);
        let shared = Arc::new(Shared::new(cfg.mode));
        // The journal first: a bad or locked file stops the start before anything runs.
        let mut restored = None;
        let mut journal = None;
        if !cfg.journal.path.is_empty() {
            let j = crate::journal::Journal::open(std::path::Path::new(&cfg.journal.path))
                .map_err(|e| anyhow::anyhow!("journal: {e}"))?;
            let r = j
                .restore(opts.strategy.start_cash)
                .map_err(|e| anyhow::anyhow!("journal restore: {e}"))?;
            if r.kill_switch.active {
                shared.kill.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            match r.mode {
                // Live trading is chosen at start, never restored into a process started
                // otherwise.
                Some(Mode::Live) if cfg.mode != Mode::Live => tracing::warn!(
                    "journal's last mode was live; staying in {} as started",
                    cfg.mode.name()
                ),
                Some(m) => shared.set_mode(m),
                None => {}
            }
            restored = Some(r);
            journal = Some(j);
        }
        let c = &shared.counters;
        // Under run to completion one pass fills a ring and the same thread drains it: keep
        // every ring well above what one pass can put in (see `rtc`).
        let cap = if plan.kind == PlanKind::RunToCompletion {
            cfg.pipeline.hot_ring_capacity.max(1024)
        } else {
            cfg.pipeline.hot_ring_capacity
        };
        let tap_cap = cfg.pipeline.tap_capacity;
        let alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let signal_bell = Arc::new(Doorbell::new());
        let order_bell = Arc::new(Doorbell::new());

        // Hot links.
        let (spot_tx, spot_rx) = hot_link_on(
            cfg.pipeline.ring,
            cap,
            c.ring_full_spot.clone(),
            signal_bell.clone(),
            alive.clone(),
        );
        let (poly_tx, poly_rx) = hot_link_on(
            cfg.pipeline.ring,
            cap,
            c.ring_full_poly.clone(),
            signal_bell.clone(),
            alive.clone(),
        );
        let (intent_tx, intent_rx) = hot_link_on(
            cfg.pipeline.ring,
            cap,
            c.ring_full_intent.clone(),
            order_bell.clone(),
            alive.clone(),
        );
        let (exec_tx, exec_rx) = hot_link_on(
            cfg.pipeline.ring,
            cap,
            c.ring_full_exec.clone(),
            signal_bell.clone(),
            alive.clone(),
        );
        let (spot_tap_tx, spot_tap_rx) = tap(tap_cap, c.tap_dropped_spot.clone());
        let (poly_tap_tx, poly_tap_rx) = tap(tap_cap, c.tap_dropped_poly.clone());
        let (signal_tap_tx, signal_tap_rx) = tap(tap_cap, c.tap_dropped_signal.clone());
        // The ledger (intents, fills, settlements, breaker events) never drops: a full ring
        // holds its hot sender back, counted.
        let (signal_ledger_tx, signal_ledger_rx) =
            lossless(tap_cap, c.ledger_backpressure_signal.clone(), alive.clone());
        let (exec_tap_tx, exec_tap_rx) =
            lossless(tap_cap, c.ledger_backpressure_order.clone(), alive.clone());
        // Control rings, lossless (sized far beyond a window's worth of messages).
        let (poly_ctl_tx, poly_ctl_rx) =
            lossless(1024, c.control_backpressure_poly.clone(), alive.clone());
        let (signal_ctl_tx, signal_ctl_rx) =
            lossless(1024, c.control_backpressure_signal.clone(), alive.clone());

        let flush_ns = cfg.pipeline.latency_flush_ms * 1_000_000;
        // `hot_pass` times a pass of the thread that owns the sockets: the ingest threads under
        // four threads, the one hot thread (in `order`'s set) under run to completion.
        let rtc = plan.kind == PlanKind::RunToCompletion;
        let (ingest_pass, rtc_pass): (&[Stage], &[Stage]) = if rtc {
            (&[], &[Stage::HotPass, Stage::ReconnectPass])
        } else {
            (&[Stage::HotPass], &[])
        };
        let (b_rec, b_col) =
            stage_channel(&[&[Stage::BinanceParse], ingest_pass].concat(), flush_ns);
        let (p_rec, p_col) = stage_channel(
            &[&[Stage::PolyParse, Stage::ChainlinkParse], ingest_pass].concat(),
            flush_ns,
        );
        let (s_rec, s_col) = stage_channel(
            &[
                Stage::SpotToSignal,
                Stage::BookToSignal,
                Stage::Decide,
                Stage::TickToDecision,
            ],
            flush_ns,
        );
        let (o_rec, o_col) = stage_channel(
            &[
                Stage::IntentToOrder,
                Stage::OrderExec,
                Stage::TickToTrade,
                Stage::OrderWritePresigned,
                Stage::OrderWriteSigned,
                Stage::TickToOrderReady,
                Stage::OrderWriteCall,
            ]
            .iter()
            .chain(rtc_pass)
            .copied()
            .collect::<Vec<_>>(),
            flush_ns,
        );

        let ws = WsConfig {
            max_frame_bytes: cfg.feeds.max_frame_bytes,
            ..Default::default()
        };
        let f = &cfg.feeds;
        let rules = |stale_ms: u64, app_ping: Option<(u64, &'static [u8])>| LinkRules {
            stale_after_ns: stale_ms * 1_000_000,
            max_age_ns: f.max_connection_age_s * 1_000_000_000,
            app_ping,
            backoff_base_ms: f.backoff_base_ms,
            backoff_max_ms: f.backoff_max_ms,
        };
        let binance_url = WsUrl::parse(&crate::feeds::binance::stream_url(
            &cfg.venues.binance_ws,
            &assets,
            cfg.venues.book_ticker,
        ))?;
        let poly_url = WsUrl::parse(&format!(
            "{}/ws/market",
            cfg.venues.poly_ws.trim_end_matches('/')
        ))?;
        let chainlink_url = WsUrl::parse(&format!(
            "{}/ws",
            cfg.venues.chainlink_ws.trim_end_matches('/')
        ))?;

        let b_plan = plan.thread("binance-ingest").clone();
        let p_plan = plan.thread("poly-ingest").clone();
        let s_plan = plan.thread("signal").clone();
        let o_plan = plan.thread("order").clone();
        let poly_poll = mio::Poll::new().context("creating poly-ingest poll")?;
        let poly_waker =
            Arc::new(mio::Waker::new(poly_poll.registry(), WAKER_TOKEN).context("creating waker")?);

        // Recording: byte rings from the ingest threads, windows from the control loop.
        let (mut b_record, mut p_record, mut record_windows, mut recorder) =
            (None, None, None, None);
        if let Some(path) = &opts.record {
            let (btx, brx) = record_tap(RECORD_RING_BYTES, c.record_dropped.clone());
            let (ptx, prx) = record_tap(RECORD_RING_BYTES, c.record_dropped.clone());
            let (wtx, wrx) = crossbeam::channel::unbounded();
            recorder = Some(Recorder::create(path, vec![brx, prx], wrx)?);
            b_record = Some(btx);
            p_record = Some(ptx);
            record_windows = Some(wtx);
        }

        let assets_for_control = assets.clone();
        let mut control_journal_handle = None;
        let mut journal_durable = None;
        let mut hot = Vec::new();
        // Connections are dialled on control-side threads and handed over ready (no DNS,
        // connect or handshake on a hot thread).
        let binance_dialer = Dialer::spawn("binance", binance_url.clone(), ws.clone(), None)
            .context("spawning the Binance dialer")?;
        let market_dialer = Dialer::spawn(
            "polymarket",
            poly_url.clone(),
            ws.clone(),
            Some(poly_waker.clone()),
        )
        .context("spawning the Polymarket dialer")?;
        let chainlink_dialer = match opts.price_socket {
            Some(_) => Some(
                Dialer::spawn(
                    "chainlink",
                    chainlink_url.clone(),
                    ws.clone(),
                    Some(poly_waker.clone()),
                )
                .context("spawning the Chainlink dialer")?,
            ),
            None => None,
        };
        let binance = BinanceIngest {
            dialer: Some(binance_dialer),
            url: binance_url,
            ws: ws.clone(),
            rules: rules(f.binance_stale_ms, None),
            assets: assets.clone(),
            to_signal: spot_tx,
            to_control: spot_tap_tx,
            stages: b_rec,
            shared: shared.clone(),
            waiter: SocketWaiter::new(b_plan.wait, mio::Poll::new()?),
            thread_index: 0,
            record: b_record.take(),
        };
        let mut rtc_binance = None;
        let mut rtc_poly = None;
        let mut rtc_signal = None;
        if rtc {
            rtc_binance = Some(Box::new(binance));
        } else {
            hot.push(spawn_hot(0, b_plan.core, &shared, move || binance.run())?);
        }
        let poly = PolyIngest {
            dialers: (Some(market_dialer), chainlink_dialer),
            market_url: poly_url,
            market_rules: rules(f.poly_stale_ms, Some((f.poly_ping_ms * 1_000_000, b"PING"))),
            chainlink: opts
                .price_socket
                .clone()
                .map(|auth| (chainlink_url, rules(f.chainlink_stale_ms, None), auth)),
            ws,
            assets: assets.clone(),
            control: poly_ctl_rx,
            to_signal: poly_tx,
            to_control: poly_tap_tx,
            stages: p_rec,
            shared: shared.clone(),
            waiter: SocketWaiter::new(p_plan.wait, poly_poll),
            thread_index: 1,
            record: p_record.take(),
        };
        if rtc {
            rtc_poly = Some(Box::new(poly));
        } else {
            hot.push(spawn_hot(1, p_plan.core, &shared, move || poly.run())?);
        }
        let mut engine = Engine::new(
            opts.strategy.clone(),
            opts.risk,
            &assets,
            crate::clock::wall_ms(),
        );
        if let Some(r) = &restored {
            r.seed_engine(
                &mut engine,
                &assets,
                cfg.windows.length_s,
                crate::clock::wall_ms(),
            );
        }
        let signal = SignalThread {
            engine,
            control: signal_ctl_rx,
            spot_rx,
            poly_rx,
            exec_rx,
            to_order: intent_tx,
            ledger: signal_ledger_tx,
            tap: signal_tap_tx,
            stages: s_rec,
            shared: shared.clone(),
            bell: signal_bell.clone(),
            idler: Idler::new(s_plan.wait),
            thread_index: 2,
        };
        if rtc {
            rtc_signal = Some(Box::new(signal));
        } else {
            hot.push(spawn_hot(2, s_plan.core, &shared, move || signal.run())?);
        }
        // The live path: presigned ladder (control side) and the order thread's connection.
        let (
            mut live_exec,
            mut bodies_tx,
            mut ladder_signer,
            mut live_tokens_tx,
            mut ladder_tokens_tx,
        ) = (None, None, None, None, None);
        let mut bodies_rx = None;
        let mut live_counters = None;
        let (mut venue_tracker, mut notes_tx, mut venue_fees_tx) = (None, None, None);
        if let (Some(l), Mode::Live) = (&opts.live, cfg.mode) {
            // The venue ledger is level with the venue before the first live order.
            let mut t = crate::venue::service::start(
                &l.venue,
                &cfg.journal.path,
                &l.clob,
                &l.creds,
                l.key.address(),
                l.signature_type,
            )
            .context("live mode: the venue ledger")?;
            let (n_tx, n_rx) = tap(
                crate::exec::notes::NOTES_CAPACITY,
                Arc::new(Default::default()),
            );
            t.set_notes(n_rx);
            let (f_tx, f_rx) = crossbeam::channel::unbounded();
            t.set_fee_source(f_rx);
            notes_tx = Some(n_tx);
            venue_fees_tx = Some(f_tx);
            venue_tracker = Some(t);
        }
        if let Some(l) = &opts.live {
            shared
                .live_ready
                .store(true, std::sync::atomic::Ordering::SeqCst);
            shared
                .live_at_start
                .store(cfg.mode == Mode::Live, std::sync::atomic::Ordering::SeqCst);
            let target =
                crate::clob::http::HttpTarget::parse(&l.clob).map_err(anyhow::Error::msg)?;
            let maker = l.funder.unwrap_or_else(|| l.key.address());
            let version_n = fetch_clob_version(&l.clob);
            let version = Arc::new(std::sync::atomic::AtomicU8::new(version_n));
            let account = crate::exec::orders::Account {
                maker,
                signature_type: l.signature_type,
                version: if version_n == 3 {
                    crate::clob::order::OrderVersion::V3
                } else {
                    crate::clob::order::OrderVersion::V2
                },
            };
            let (pre_tx, pre_rx) = tap(4096, Arc::new(Default::default()));
            let (used_tx, used_rx) = tap(4096, Arc::new(Default::default()));
            let (tok_tx, tok_rx) =
                lossless(256, c.control_backpressure_order.clone(), alive.clone());
            let (ltok_tx, ltok_rx) = crossbeam::channel::unbounded();
            let (b_tx, b_rx) = tap(1024, Arc::new(Default::default()));
            live_exec = Some(crate::exec::live::LiveExec::new(
                target,
                crate::clob::sign::OrderSigner::new(l.key.clone(), l.chain),
                account,
                l.creds.clone(),
                pre_rx,
                used_tx,
                tok_rx,
                {
                    let c: Arc<crate::exec::live::LiveCounters> = Arc::new(Default::default());
                    live_counters = Some(c.clone());
                    c
                },
                version.clone(),
            )?);
            if let Some(x) = live_exec.as_mut() {
                // The order connection (and its reconnects) is dialled off the hot thread.
                x.dial_off_thread()
                    .context("spawning the order connection's dialer")?;
                x.tag_trigger = l.tag_trigger;
                x.order_type = l.order_type;
                x.notes = notes_tx.take();
            }
            ladder_signer = Some(crate::exec::ladder::LadderSigner {
                signer: crate::clob::sign::OrderSigner::new(l.key.clone(), l.chain),
                account,
                owner: l.creds.api_key().to_string(),
                order_type: l.order_type,
                cfg: l.ladder.clone(),
                tokens: ltok_rx,
                out: pre_tx,
                used: used_rx,
                state: Arc::new(Mutex::new(ControlState::default())),
                shared: shared.clone(),
                version,
                store: match l.venue.ledger_path(&cfg.journal.path) {
                    p if cfg.mode != Mode::Live || p == ":memory:" => None,
                    p => Some(crate::venue::store::VenueStore::open(&p)?),
                },
            });
            live_tokens_tx = Some(tok_tx);
            ladder_tokens_tx = Some(ltok_tx);
            bodies_tx = Some(b_tx);
            bodies_rx = Some(b_rx);
        }
        let order = OrderThread {
            live: live_exec.take(),
            bodies: bodies_tx.take(),
            intents: intent_rx,
            to_signal: exec_tx,
            tap: exec_tap_tx,
            paper_latency_ns: opts.paper_latency.as_nanos() as u64,
            stages: o_rec,
            shared: shared.clone(),
            bell: order_bell,
            idler: Idler::new(o_plan.wait),
            thread_index: 3,
        };
        match (rtc_binance, rtc_poly, rtc_signal) {
            (Some(binance), Some(poly), Some(signal)) => {
                // One hot thread for every stage (see `rtc`).
                let one = RunToCompletion {
                    binance,
                    poly,
                    signal,
                    order: Box::new(order),
                    wait: o_plan.wait,
                    shared: shared.clone(),
                };
                hot.push(spawn_named(
                    "hot-rtc",
                    0,
                    o_plan.core,
                    &shared,
                    move || one.run(),
                )?);
            }
            _ => hot.push(spawn_hot(3, o_plan.core, &shared, move || order.run())?),
        }

        // Control side.
        let state = Arc::new(Mutex::new(ControlState::default()));
        if let Some(r) = &restored {
            state.lock().expect("state").restore(r, &assets);
        }
        let journal_tx = match journal {
            Some(j) => {
                use crate::journal::{JournalWriter, WriterConfig};
                let wc = WriterConfig::default();
                let (tx, rx) =
                    JournalWriter::channel_with(wc.capacity, shared.counters.journal.clone());
                let handle = JournalWriter::start(j, rx, wc)?;
                control_journal_handle = Some(handle);
                journal_durable = Some(tx.durable());
                Some(tx)
            }
            None => None,
        };
        let (disc_tx, disc_rx) = crossbeam::channel::unbounded();
        let control = ControlLoop {
            shared: shared.clone(),
            state: state.clone(),
            latency: LatencyBook::new(vec![b_col, p_col, s_col, o_col]),
            spot_tap: spot_tap_rx,
            poly_tap: poly_tap_rx,
            signal_ledger: signal_ledger_rx,
            signal_tap: signal_tap_rx,
            exec_tap: exec_tap_rx,
            poly_ctl: poly_ctl_tx,
            poly_waker,
            signal_ctl: signal_ctl_tx,
            signal_bell,
            discovered: disc_rx,
            latency_every: Duration::from_millis(250),
            record_windows,
            notifier: None,
            live: match (
                live_tokens_tx.take(),
                ladder_tokens_tx.take(),
                bodies_rx.take(),
            ) {
                (Some(order_tokens), Some(ladder_tokens), Some(bodies)) => {
                    Some(crate::control::LiveLinks {
                        order_tokens,
                        ladder_tokens,
                        bodies,
                        venue_fees: venue_fees_tx.take(),
                    })
                }
                _ => None,
            },
            journal: journal_tx.map(|tx| {
                crate::control::journaling::JournalFeed::new(
                    tx,
                    assets_for_control,
                    cfg.journal.sample_every,
                    &shared,
                )
            }),
        };
        let mut control_threads = vec![std::thread::Builder::new()
            .name("control".into())
            .spawn(move || control.run())?];
        let discovery = Discovery::new(
            &cfg.venues.gamma,
            &cfg.venues.clob,
            &cfg.windows.slug_kind,
            cfg.windows.length_s,
        )?;
        let (sh, every, log) = (
            shared.clone(),
            Duration::from_millis(cfg.windows.discovery_interval_ms),
            opts.log_discovery_errors,
        );
        control_threads.push(
            std::thread::Builder::new()
                .name("discovery".into())
                .spawn(move || run_discovery(sh, assets, discovery, every, disc_tx, log))?,
        );
        if let Some(mut ls) = ladder_signer.take() {
            ls.state = state.clone();
            control_threads.push(
                std::thread::Builder::new()
                    .name("ladder".into())
                    .spawn(move || ls.run())?,
            );
        }
        let venue_ledger: crate::venue::service::LedgerSnapshot = Arc::default();
        let mut redeemed_tx = None;
        if let Some(t) = venue_tracker.take() {
            // The ledger's positions cross-checked with the Data API's (the funder's).
            let positions_check = match &opts.live {
                Some(l) if l.venue.positions_check_ms > 0 => {
                    let user = l.funder.unwrap_or_else(|| l.key.address());
                    let reader = crate::venue::crosscheck::PositionsReader::new(
                        &cfg.venues.data_api,
                        &user,
                    )?;
                    let sh = shared.clone();
                    Some(crate::venue::crosscheck::PositionsChecker::spawn(
                        reader,
                        l.venue.positions_check_ms,
                        move || sh.is_running(),
                    )?)
                }
                _ => None,
            };
            // Redemptions (the wallet thread's) reach the ledger on this channel.
            let (tx, rx) = crossbeam::channel::unbounded();
            redeemed_tx = Some(tx);
            control_threads.push(crate::venue::service::spawn(
                t,
                shared.clone(),
                venue_ledger.clone(),
                state.clone(),
                opts.risk,
                rx,
                positions_check,
            )?);
        }
        if let Some(rec) = recorder {
            let sh = shared.clone();
            control_threads.push(
                std::thread::Builder::new()
                    .name("recorder".into())
                    .spawn(move || rec.run(sh))?,
            );
        }
        // Keep `alive` tied to `running`: hot producers stop spinning on a full ring at shutdown.
        let (sh, al) = (shared.clone(), alive);
        control_threads.push(std::thread::Builder::new().name("alive".into()).spawn(
            move || {
                while sh.is_running() {
                    std::thread::sleep(Duration::from_millis(10));
                }
                al.store(false, std::sync::atomic::Ordering::SeqCst);
            },
        )?);
        Ok(Pipeline {
            shared,
            state,
            plan,
            hot,
            control: control_threads,
            journal: control_journal_handle,
            live: live_counters,
            journal_durable,
            venue_ledger,
            redeemed_tx,
        })
    }

    /// Stop every thread and wait for them; the control loop drains last.
    pub fn shutdown(self) -> Arc<Mutex<ControlState>> {
        self.shared.stop();
        for h in self.hot {
            let _ = h.join();
        }
        for h in self.control {
            let _ = h.join();
        }
        if let Some(j) = self.journal {
            let _ = j.join();
        }
        self.state
    }
}

/// The CLOB's order version (`GET /version` → `{"version": N}`), 2 when it cannot be read, as
/// the venue's own clients default. Asked once at start; a mismatch later re-asks on the
/// `order` thread's connection.
fn fetch_clob_version(clob: &str) -> u8 {
    let url = format!("{}/version", clob.trim_end_matches('/'));
    let v = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .ok()
        .and_then(|c| c.get(&url).send().ok())
        .and_then(|r| r.json::<serde_json::Value>().ok())
        .and_then(|v| v.get("version").and_then(|n| n.as_u64()));
    match v {
        Some(n @ 2..=3) => n as u8,
        _ => {
            tracing::warn!("CLOB version not readable at {url}: assuming 2");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hot_thread_that_dies_trips_the_kill_switch_and_says_why() {
        let shared = Arc::new(Shared::new(Mode::Paper));
        assert!(!shared.killed());
        let h = spawn_hot(2, None, &shared, || panic!("engine state corrupt")).unwrap();
        h.join()
            .expect("the panic is caught, the thread ends cleanly");
        assert!(
            shared.killed(),
            "no order may go out on a half-dead pipeline"
        );
        let why = shared.hot_death.lock().unwrap().clone().unwrap();
        assert_eq!(why, "hot thread signal died: engine state corrupt");

        // The control loop makes it the kill switch's reason, and alerts, once.
        let state = Mutex::new(ControlState::default());
        let mut seen = false;
        crate::control::watch_hot_death(&shared, &state, &mut seen);
        crate::control::watch_hot_death(&shared, &state, &mut seen);
        let st = state.lock().unwrap();
        assert_eq!(
            st.kill_reason.as_ref().map(|r| r.0.as_str()),
            Some(why.as_str())
        );
        let alerts: Vec<_> = st
            .alerts
            .iter()
            .filter(|a| a.kind == "hot_thread")
            .collect();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].level, "critical");
    }

    #[test]
    fn a_thread_that_ends_normally_trips_nothing() {
        let shared = Arc::new(Shared::new(Mode::Paper));
        spawn_hot(0, None, &shared, || {}).unwrap().join().unwrap();
        assert!(!shared.killed());
        assert!(shared.hot_death.lock().unwrap().is_none());
    }
}
