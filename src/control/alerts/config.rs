//! `[alerts]` settings and the secrets alerts need (never in the configuration file).

use serde::Deserialize;

/// `[alerts]`: Telegram and Discord alerts, Telegram commands.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Send alerts at all (default true). A destination without its secret is skipped.
    pub enabled: bool,
    /// Telegram Bot API base URL (default "https://api.telegram.org"); tests and the demo point
    /// it at the simulator. The token is appended as `/bot<TOKEN>/<method>`.
    pub telegram_api: String,
    /// Chat to alert and to take commands from; empty = env `TELEGRAM_CHAT_ID` (default "").
    pub telegram_chat_id: String,
    /// File holding the bot token; empty = env `TELEGRAM_BOT_TOKEN` (default "").
    pub telegram_token_file: String,
    /// File holding the Discord webhook URL; empty = env `DISCORD_WEBHOOK_URL` (default "").
    pub discord_webhook_file: String,
    /// Name the Discord webhook posts under (default "Cassandra").
    pub discord_username: String,
    /// Take `/kill`, `/resume`, `/status`, `/alerts`, `/help` from the Telegram chat (default true).
    pub commands: bool,
    /// `getUpdates` long-poll timeout, s (default 25).
    pub poll_timeout_s: u64,
    /// Commands older than this when received are ignored (a restart must not replay an old
    /// `/resume`), s (default 120).
    pub max_command_age_s: u64,
    /// Alerts waiting per destination; beyond it the oldest is dropped and counted (default 256).
    pub backlog: usize,
    /// Least gap between two Telegram messages, ms (default 1000: Telegram's 1 per second per chat).
    pub telegram_min_interval_ms: u64,
    /// Least gap between two Discord posts, ms (default 400: about 5 per 2 s per webhook).
    pub discord_min_interval_ms: u64,
    /// First retry delay; doubles on each retry up to `retry_max_ms` (default 500).
    pub retry_base_ms: u64,
    /// Longest retry delay, and the cap on a venue's `retry_after` (default 30000).
    pub retry_max_ms: u64,
    /// Attempts per alert before it is given up and counted failed (default 5).
    pub max_attempts: u32,
    /// HTTP timeout of one send, ms (default 5000).
    pub timeout_ms: u64,
    /// Alert in paper mode too (default false: in paper mode only kill-switch and mode alerts
    /// are sent).
    pub paper: bool,
    pub triggers: AlertTriggers,
}

/// `[alerts.triggers]`: each trigger on or off. Kill-switch and mode alerts are always on.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertTriggers {
    /// An order intent was sent (default false: one per trade is noisy).
    pub order_sent: bool,
    /// An order matched (default true).
    pub order_filled: bool,
    /// An order was rejected or matched nothing (default true).
    pub order_failed: bool,
    /// A window settled with a position: win/loss, PnL, balance (default true).
    pub settled: bool,
    /// A risk breaker tripped (default true).
    pub breaker: bool,
    /// A feed went down or came back (default true).
    pub feed: bool,
    /// The daily summary (default true).
    pub daily_summary: bool,
    /// A large whale trade (default true; the poller also needs `whales.alert_large`).
    pub whale: bool,
}

impl Default for AlertTriggers {
    fn default() -> Self {
        AlertTriggers {
            order_sent: false,
            order_filled: true,
            order_failed: true,
            settled: true,
            breaker: true,
            feed: true,
            daily_summary: true,
            whale: true,
        }
    }
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            enabled: true,
            telegram_api: "https://api.telegram.org".into(),
            telegram_chat_id: String::new(),
            telegram_token_file: String::new(),
            discord_webhook_file: String::new(),
            discord_username: "Cassandra".into(),
            commands: true,
            poll_timeout_s: 25,
            max_command_age_s: 120,
            backlog: 256,
            telegram_min_interval_ms: 1_000,
            discord_min_interval_ms: 400,
            retry_base_ms: 500,
            retry_max_ms: 30_000,
            max_attempts: 5,
            timeout_ms: 5_000,
            paper: false,
            triggers: AlertTriggers::default(),
        }
    }
}

impl AlertsConfig {
    /// Every bad field as `alerts.key = value: what is expected`.
    pub fn problems(&self) -> Vec<String> {
        let mut bad = Vec::new();
        let u = &self.telegram_api;
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            bad.push(format!(
                "alerts.telegram_api = {u:?}: an http:// or https:// URL"
            ));
        }
        if self.poll_timeout_s > 60 {
            bad.push(format!(
                "alerts.poll_timeout_s = {}: at most 60",
                self.poll_timeout_s
            ));
        }
        if !(1..=1 << 16).contains(&self.backlog) {
            bad.push(format!("alerts.backlog = {}: 1 to 65536", self.backlog));
        }
        if self.retry_base_ms == 0 || self.retry_max_ms < self.retry_base_ms {
            bad.push(format!(
                "alerts.retry_base_ms = {}, retry_max_ms = {}: base ≥ 1 and max ≥ base",
                self.retry_base_ms, self.retry_max_ms
            ));
        }
        if self.max_attempts == 0 {
            bad.push("alerts.max_attempts = 0: at least 1".into());
        }
        if self.timeout_ms < 100 {
            bad.push(format!(
                "alerts.timeout_ms = {}: at least 100",
                self.timeout_ms
            ));
        }
        bad
    }
}

/// Bot token, chat id and webhook URL. `Debug` never shows them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AlertSecrets {
    pub telegram_token: Option<String>,
    /// Numeric id, or `@channel`.
    pub telegram_chat_id: Option<String>,
    pub discord_webhook: Option<String>,
}

impl std::fmt::Debug for AlertSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| if o.is_some() { "set" } else { "unset" };
        f.debug_struct("AlertSecrets")
            .field("telegram_token", &set(&self.telegram_token))
            .field("telegram_chat_id", &self.telegram_chat_id)
            .field("discord_webhook", &set(&self.discord_webhook))
            .finish()
    }
}

fn read_secret_file(key: &str, path: &str) -> Result<Option<String>, String> {
    // The error names the key and the path, never the content.
    let s = std::fs::read_to_string(path).map_err(|e| format!("{key} = {path:?}: {e}"))?;
    let s = s.trim();
    Ok((!s.is_empty()).then(|| s.to_string()))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl AlertSecrets {
    /// From the files named in the configuration, else from the environment
    /// (`TELEGRAM_BOT_TOKEN`, `TELEGRAM_CHAT_ID`, `DISCORD_WEBHOOK_URL`).
    pub fn load(cfg: &AlertsConfig) -> Result<AlertSecrets, String> {
        let telegram_token = if cfg.telegram_token_file.is_empty() {
            env("TELEGRAM_BOT_TOKEN")
        } else {
            read_secret_file("alerts.telegram_token_file", &cfg.telegram_token_file)?
        };
        let telegram_chat_id = if cfg.telegram_chat_id.is_empty() {
            env("TELEGRAM_CHAT_ID")
        } else {
            Some(cfg.telegram_chat_id.clone())
        };
        let discord_webhook = if cfg.discord_webhook_file.is_empty() {
            env("DISCORD_WEBHOOK_URL")
        } else {
            read_secret_file("alerts.discord_webhook_file", &cfg.discord_webhook_file)?
        };
        if let Some(u) = &discord_webhook {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err("the Discord webhook URL is not an http(s) URL".into());
            }
        }
        if let Some(t) = &telegram_token {
            if t.contains('/') || t.contains(char::is_whitespace) {
                return Err("the Telegram bot token has a '/' or a space".into());
            }
        }
        Ok(AlertSecrets {
            telegram_token,
            telegram_chat_id,
            discord_webhook,
        })
    }

    /// Telegram is usable: token and chat both set.
    pub fn telegram(&self) -> Option<(&str, &str)> {
        Some((
            self.telegram_token.as_deref()?,
            self.telegram_chat_id.as_deref()?,
        ))
    }
}
