//! Configuration: typed, defaulted, checked once at start.
//!
//! `config/default.toml` is embedded in the binary, so `cassandra demo` needs no file. Every
//! key is optional (the defaults are those of that file); unknown keys are errors; `validate`
//! names every bad field with its value and what is expected. Secrets never live here: they
//! come from the environment or a file (see `README.md`).

use serde::Deserialize;

mod api;
pub mod bad_field;
mod live;

pub use api::ApiConfig;
pub use live::{LiveConfig, LiveOrderType, LiveVenueConfig};

use crate::pipeline::shared::Mode;
use crate::pipeline::wait::WaitStrategy;

/// The embedded default configuration.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub mode: Mode,
    pub assets: Vec<String>,
    pub pipeline: PipelineConfig,
    pub venues: VenueConfig,
    pub feeds: FeedConfig,
    pub windows: WindowConfig,
    pub strategy: crate::signal::StrategyConfig,
    pub paper: PaperConfig,
    pub demo: DemoConfig,
    pub whales: crate::control::whales::WhalesConfig,
    pub alerts: crate::control::alerts::AlertsConfig,
    pub api: ApiConfig,
    pub risk: crate::risk::RiskConfig,
    pub journal: JournalConfig,
    pub preflight: crate::preflight::PreflightConfig,
    /// `[live]`: how shadow and live mode post orders.
    pub live: LiveConfig,
}

/// The SQLite journal (`src/journal`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// Database file; empty (the default) runs without a journal. On start the paper account,
    /// open positions and the kill switch are restored from it.
    pub path: String,
    /// Keep one decision in this many per asset (every traded one is kept). Default 100.
    pub sample_every: u32,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            path: String::new(),
            sample_every: 100,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaperConfig {
    /// Added latency before a paper fill is reported, ms (default 0). The fill still uses the
    /// book as it stood at decision time.
    pub latency_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    pub wait: WaitStrategy,
    pub cores: Vec<usize>,
    pub pin: bool,
    pub hot_ring_capacity: usize,
    pub tap_capacity: usize,
    pub latency_flush_ms: u64,
    /// Queue under the hot links: `rtrb` (the product); `crossbeam` and `std-mpsc` exist as
    /// benchmark baselines.
    pub ring: crate::pipeline::rings::RingKind,
    /// Live plan: `auto` (default: four threads with at least 5 cores, else run to
    /// completion), `four-threads` or `run-to-completion`.
    pub plan: crate::pipeline::cores::PlanKind,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenueConfig {
    pub binance_ws: String,
    pub binance_rest: String,
    pub book_ticker: bool,
    pub poly_ws: String,
    pub chainlink_ws: String,
    pub gamma: String,
    pub clob: String,
    /// Polygon JSON-RPC endpoint for token approvals (`/api/live-trading/allowances`).
    pub polygon_rpc: String,
    /// Polymarket Data API (whale trades).
    pub data_api: String,
    /// Polymarket's relayer: deposit-wallet approvals and redemptions (`WALLET` batches).
    pub relayer: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedConfig {
    pub binance_stale_ms: u64,
    pub poly_stale_ms: u64,
    pub chainlink_stale_ms: u64,
    pub poly_ping_ms: u64,
    pub max_connection_age_s: u64,
    pub max_frame_bytes: usize,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindowConfig {
    pub length_s: u64,
    pub slug_kind: String,
    pub discovery_interval_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    pub window_s: u64,
    pub seed: u64,
    pub binance_rate_hz: f64,
    pub poly_update_hz: f64,
    pub poly_lag_ms: u64,
    pub poly_noise: f64,
    pub chainlink_hz: f64,
    pub annual_vol: f64,
    /// Send alerts to the simulator's Telegram and Discord and take Telegram commands from its
    /// chat `demo::DEMO_CHAT_ID` (default true). Whale polling follows `[whales] enabled`.
    pub sim_alerts: bool,
    /// Faults the simulator injects from the start (`[demo.faults]`; `sim` flags override):
    /// drops, stalls, slow or closing handshakes, malformed frames, HTTP/CLOB statuses and
    /// delays. Default: none.
    pub faults: crate::sim::FaultPlan,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Paper,
            assets: ["BTC", "ETH", "SOL", "XRP"].map(String::from).to_vec(),
            pipeline: PipelineConfig::default(),
            venues: VenueConfig::default(),
            feeds: FeedConfig::default(),
            windows: WindowConfig::default(),
            strategy: crate::signal::StrategyConfig::default(),
            paper: PaperConfig::default(),
            demo: DemoConfig::default(),
            whales: Default::default(),
            alerts: Default::default(),
            api: ApiConfig::default(),
            risk: crate::risk::RiskConfig::default(),
            journal: JournalConfig::default(),
            preflight: Default::default(),
            live: LiveConfig::default(),
        }
    }
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            wait: WaitStrategy::Spin,
            cores: Vec::new(),
            pin: true,
            hot_ring_capacity: 4096,
            tap_capacity: 16384,
            latency_flush_ms: 250,
            ring: crate::pipeline::rings::RingKind::Rtrb,
            plan: Default::default(),
        }
    }
}

impl Default for VenueConfig {
    fn default() -> Self {
        VenueConfig {
            binance_ws: "wss://data-stream.binance.vision:443".into(),
            binance_rest: "https://data-api.binance.vision".into(),
            book_ticker: false,
            poly_ws: "wss://ws-subscriptions-clob.polymarket.com".into(),
            chainlink_ws: "wss://ws-live-v2.polymarket.com".into(),
            gamma: "https://gamma-api.polymarket.com".into(),
            clob: "https://clob.polymarket.com".into(),
            polygon_rpc: "https://polygon-rpc.com".into(),
            data_api: "https://data-api.polymarket.com".into(),
            relayer: crate::wallet::relayer::DEFAULT_RELAYER.into(),
        }
    }
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            binance_stale_ms: 10_000,
            poly_stale_ms: 30_000,
            chainlink_stale_ms: 30_000,
            poly_ping_ms: 10_000,
            max_connection_age_s: 82_800,
            max_frame_bytes: 4 << 20,
            backoff_base_ms: 100,
            backoff_max_ms: 10_000,
        }
    }
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig {
            length_s: 900,
            slug_kind: "updown-15m".into(),
            discovery_interval_ms: 2_000,
        }
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            window_s: 60,
            seed: 7,
            binance_rate_hz: 200.0,
            poly_update_hz: 5.0,
            poly_lag_ms: 2_000,
            poly_noise: 0.01,
            chainlink_hz: 1.0,
            annual_vol: 0.6,
            sim_alerts: true,
            faults: crate::sim::FaultPlan::default(),
        }
    }
}

/// A configuration that cannot run, with every problem found.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Parse(String),
    #[error("invalid configuration:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

impl Config {
    /// Parse TOML text and validate it.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn load(path: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        match path {
            None => Config::from_toml(DEFAULT_TOML),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                Config::from_toml(&text)
            }
        }
    }

    /// Every bad field as `key = value: what is expected`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut bad = Vec::new();
        if let Err(e) = crate::pipeline::registry::AssetTable::from_names(&self.assets) {
            bad.push(format!("assets = {:?}: {e}", self.assets));
        }
        let p = &self.pipeline;
        // Upper bounds too: a capacity is allocated at start, and 2^40 aborts the process.
        if !p.hot_ring_capacity.is_power_of_two() || !(64..=1 << 20).contains(&p.hot_ring_capacity)
        {
            bad.push(format!(
                "pipeline.hot_ring_capacity = {}: a power of two from 64 to 1048576",
                p.hot_ring_capacity
            ));
        }
        if !(64..=1 << 22).contains(&p.tap_capacity) {
            bad.push(format!(
                "pipeline.tap_capacity = {}: 64 to 4194304",
                p.tap_capacity
            ));
        }
        if !p.cores.is_empty() && p.cores.len() != 4 {
            bad.push(format!(
                "pipeline.cores = {:?}: empty, or 4 cores (binance-ingest, poly-ingest, signal, order)",
                p.cores
            ));
        }
        if p.latency_flush_ms == 0 {
            bad.push("pipeline.latency_flush_ms = 0: at least 1".into());
        }
        let v = &self.venues;
        for (k, url) in [
            ("venues.binance_ws", &v.binance_ws),
            ("venues.poly_ws", &v.poly_ws),
            ("venues.chainlink_ws", &v.chainlink_ws),
        ] {
            if let Err(e) = crate::feeds::ws::WsUrl::parse(url) {
                bad.push(format!("{k} = {url:?}: {e}"));
            }
        }
        for (k, url) in [
            ("venues.binance_rest", &v.binance_rest),
            ("venues.gamma", &v.gamma),
            ("venues.clob", &v.clob),
            ("venues.polygon_rpc", &v.polygon_rpc),
            ("venues.data_api", &v.data_api),
            ("venues.relayer", &v.relayer),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bad.push(format!("{k} = {url:?}: an http:// or https:// URL"));
            }
        }
        let f = &self.feeds;
        for (k, ms) in [
            ("feeds.binance_stale_ms", f.binance_stale_ms),
            ("feeds.poly_stale_ms", f.poly_stale_ms),
            ("feeds.chainlink_stale_ms", f.chainlink_stale_ms),
            ("feeds.poly_ping_ms", f.poly_ping_ms),
        ] {
            if ms < 100 {
                bad.push(format!("{k} = {ms}: at least 100"));
            }
        }
        if !(4096..=64 << 20).contains(&f.max_frame_bytes) {
            bad.push(format!(
                "feeds.max_frame_bytes = {}: 4096 to 67108864 (64 MiB)",
                f.max_frame_bytes
            ));
        }
        if f.backoff_base_ms == 0 || f.backoff_max_ms < f.backoff_base_ms {
            bad.push(format!(
                "feeds.backoff_base_ms = {}, backoff_max_ms = {}: base ≥ 1 and max ≥ base",
                f.backoff_base_ms, f.backoff_max_ms
            ));
        }
        if self.windows.length_s < 2 {
            bad.push(format!(
                "windows.length_s = {}: at least 2",
                self.windows.length_s
            ));
        } else if let Err(e) = crate::control::discovery::Cadence::from_config(
            &self.windows.slug_kind,
            self.windows.length_s,
        ) {
            bad.push(e);
        }
        let d = &self.demo;
        if d.window_s < 2 {
            bad.push(format!("demo.window_s = {}: at least 2", d.window_s));
        }
        if !(d.binance_rate_hz >= 0.0 && d.binance_rate_hz.is_finite()) {
            bad.push(format!(
                "demo.binance_rate_hz = {}: ≥ 0 (0 = flood)",
                d.binance_rate_hz
            ));
        }
        if !(d.poly_noise >= 0.0 && d.poly_noise < 0.5) {
            bad.push(format!("demo.poly_noise = {}: in [0, 0.5)", d.poly_noise));
        }
        if let Err(e) = d.faults.validate() {
            bad.push(format!("demo.{e}"));
        }
        if let Err(e) = self.strategy.gates.validate() {
            for f in e.fields {
                bad.push(format!("strategy.gates.{f}"));
            }
        }
        if let Err(crate::strategy::sizing::SizingConfigError::Bad(f)) =
            self.strategy.sizing.validate()
        {
            bad.push(format!("strategy.sizing.{f}"));
        }
        if let Err(crate::strategy::vol::VolConfigError::Bad(f)) = self.strategy.vol.validate() {
            bad.push(format!("strategy.vol.{f}"));
        }
        if let Err(f) = self.strategy.sniper.validate() {
            bad.push(format!("strategy.sniper.{f}"));
        }
        for asset in self.strategy.per_asset.keys() {
            if !self.assets.iter().any(|a| a.eq_ignore_ascii_case(asset)) {
                bad.push(format!(
                    "strategy.per_asset.{asset}: not one of assets {:?}",
                    self.assets
                ));
            }
        }
        if !(self.strategy.start_cash.is_finite() && self.strategy.start_cash > 0.0) {
            bad.push(format!(
                "strategy.start_cash = {}: > 0",
                self.strategy.start_cash
            ));
        }
        bad.extend(self.whales.problems());
        bad.extend(self.alerts.problems());
        bad.extend(self.api.problems());
        bad.extend(self.preflight.problems());
        if let Err(e) = self.risk.validate() {
            for f in e.fields {
                bad.push(format!("risk.{f}"));
            }
        }
        let l = &self.live;
        if !(l.min_pusd_usdc.is_finite() && l.min_pusd_usdc >= 0.0 && l.min_pusd_usdc < 1e12) {
            bad.push(format!(
                "live.min_pusd_usdc = {}: a pUSD amount, 0 or more",
                l.min_pusd_usdc
            ));
        }
        if !(100..=3_600_000).contains(&l.redeem_interval_ms) {
            bad.push(format!(
                "live.redeem_interval_ms = {}: between 100 and 3600000",
                l.redeem_interval_ms
            ));
        }
        if l.redemptions_path.trim().is_empty() {
            bad.push(
                "live.redemptions_path is empty: a file path (or \":memory:\" to keep nothing)"
                    .into(),
            );
        }
        if l.tag_orders && !is_loopback_url(&self.venues.clob) {
            bad.push(format!(
                "live.tag_orders = true with venues.clob = {:?}: measurement tags are for a \
                 simulator on this machine (127.0.0.1, [::1] or localhost)",
                self.venues.clob
            ));
        }
        for n in &self.live.ladder.notionals_usdc {
            // A marketable BUY under $1 is refused by the venue: never presign one.
            if !(n.is_finite() && *n >= 1.0) {
                bad.push(format!(
                    "live.ladder.notionals_usdc contains {n}: each must be at least 1 (the \
                     venue's $1 minimum for a marketable BUY)"
                ));
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(bad))
        }
    }
}

/// `http(s)://` to 127.0.0.1, `[::1]` or localhost.
fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or("");
    let host = if let Some(v6) = rest.strip_prefix('[') {
        v6.split(']').next().map(|h| format!("[{h}]"))
    } else {
        rest.split([':', '/']).next().map(str::to_string)
    };
    matches!(
        host.as_deref(),
        Some("127.0.0.1") | Some("[::1]") | Some("localhost")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_tags_only_toward_a_simulator_on_this_machine() {
        let with = |clob: &str| {
            Config::from_toml(&format!(
                "[venues]\nclob = \"{clob}\"\n[live]\ntag_orders = true\n"
            ))
        };
        for ok in [
            "http://127.0.0.1:9004",
            "http://localhost:1",
            "http://[::1]:80/x",
        ] {
            assert!(with(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://clob.polymarket.com",
            "http://127.0.0.1.example.com",
            "http://10.0.0.1:9004",
        ] {
            let e = with(bad).unwrap_err().to_string();
            assert!(e.contains("live.tag_orders"), "{bad}: {e}");
        }
        assert!(!Config::default().live.tag_orders);
    }

    #[test]
    fn embedded_default_parses_and_equals_the_code_defaults() {
        let file = Config::from_toml(DEFAULT_TOML).unwrap();
        let code = Config::default();
        assert_eq!(format!("{file:?}"), format!("{code:?}"));
    }

    #[test]
    fn the_live_example_parses() {
        let text = include_str!("../../config/live.example.toml");
        let c = Config::from_toml(text).unwrap();
        assert_eq!(c.journal.path, "cassandra-journal.db");
    }

    #[test]
    fn empty_file_is_the_default() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.assets.len(), 4);
        assert_eq!(c.pipeline.wait, WaitStrategy::Spin);
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = Config::from_toml("[pipeline]\nwiat = \"spin\"\n").unwrap_err();
        assert!(e.to_string().contains("wiat"), "{e}");
    }

    #[test]
    fn live_settings_are_read_and_checked() {
        let c = Config::from_toml(
            "[live]\norder_type = \"FOK\"\n[live.ladder]\nnotionals_usdc = [10.0, 2.0]\nband_ticks = 2\n",
        )
        .unwrap();
        assert_eq!(c.live.order_type, LiveOrderType::Fok);
        assert_eq!(c.live.ladder.notionals_usdc, vec![10.0, 2.0]);
        assert_eq!(c.live.ladder.band_ticks, 2);
        assert_eq!(Config::default().live.order_type, LiveOrderType::Fak);
        let e = Config::from_toml("[live.ladder]\nnotionals_usdc = [5.0, 0.5]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("live.ladder.notionals_usdc contains 0.5"), "{e}");
        assert!(Config::from_toml("[live]\norder_type = \"GTC\"\n").is_err());
    }

    #[test]
    fn validate_names_every_bad_field() {
        let e = Config::from_toml(
            "assets = []\n[pipeline]\nhot_ring_capacity = 1000\n[venues]\nbinance_ws = \"http://x\"\n",
        )
        .unwrap_err()
        .to_string();
        for needle in ["assets", "hot_ring_capacity = 1000", "venues.binance_ws"] {
            assert!(e.contains(needle), "{needle} missing from {e}");
        }
    }

    #[test]
    fn bad_api_values_are_named() {
        let e = Config::from_toml(
            "[api]\nbind = \"localhost\"\nws_interval_ms = 0\ncors_origins = [\"*\"]\n",
        )
        .unwrap_err()
        .to_string();
        for needle in ["api.bind", "api.ws_interval_ms", "api.cors_origins"] {
            assert!(e.contains(needle), "{needle} missing from {e}");
        }
    }

    #[test]
    fn bad_wait_strategy_names_the_choices() {
        let e = Config::from_toml("[pipeline]\nwait = \"busy\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("busy"), "{e}");
    }
}
