//! What a running `demo` or `run` tells the terminal: a banner that says what is and is not
//! configured (never a secret's value, only whether it is set), and a one-line status every
//! few seconds, so an operator watching the console sees the process trade, stall or halt
//! without opening the dashboard.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::control::state::ControlState;
use crate::pipeline::shared::{Shared, FEED_NAMES};

/// Whether each setting an operator may have forgotten is present. Read once at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Configured {
    pub api_key: bool,
    pub telegram: bool,
    pub discord: bool,
    pub signing_key: bool,
    pub clob_credentials: bool,
}

impl Configured {
    /// From the environment (and `./.env` for the API key, as the API reads it).
    pub fn from_environment(cfg: &Config) -> Configured {
        Configured::from_lookup(cfg, |k| std::env::var(k).ok())
            .with_api_key(crate::control::api::ApiKey::from_environment().is_some())
    }

    /// From a variable lookup (tests).
    pub fn from_lookup(cfg: &Config, lookup: impl Fn(&str) -> Option<String>) -> Configured {
        let set = |k: &str| lookup(k).is_some_and(|v| !v.trim().is_empty());
        let a = &cfg.alerts;
        Configured {
            api_key: set(crate::control::api::auth::ENV_VAR),
            telegram: (!a.telegram_token_file.is_empty() || set("TELEGRAM_BOT_TOKEN"))
                && (!a.telegram_chat_id.is_empty() || set("TELEGRAM_CHAT_ID")),
            discord: !a.discord_webhook_file.is_empty() || set("DISCORD_WEBHOOK_URL"),
            signing_key: set(crate::clob::auth::ENV_PRIVATE_KEY)
                || set(crate::clob::auth::ENV_PRIVATE_KEY_FILE),
            clob_credentials: set(crate::clob::auth::ENV_API_KEY)
                && set(crate::clob::auth::ENV_SECRET)
                && set(crate::clob::auth::ENV_PASSPHRASE),
        }
    }

    fn with_api_key(mut self, set: bool) -> Configured {
        self.api_key |= set;
        self
    }

    /// The banner's lines. `demo` says where its alerts and credentials come from instead.
    pub fn banner(&self, demo: bool) -> String {
        let yes_no = |b: bool| if b { "set" } else { "not set" };
        let mut lines = vec![format!(
            "API key      {}{}",
            yes_no(self.api_key),
            if self.api_key {
                ": the dashboard's controls work with it"
            } else {
                ": the dashboard is read-only, its controls answer 503 (set API_KEY in the environment or ./.env)"
            }
        )];
        if demo {
            lines.push(
                "Alerts       to the simulator's Telegram and Discord (nothing leaves the machine)"
                    .into(),
            );
            lines.push(
                "Credentials  throwaway keys made by the simulator (shadow/live modes only)".into(),
            );
        } else {
            lines.push(format!(
                "Alerts       Telegram {}, Discord {}",
                yes_no(self.telegram),
                yes_no(self.discord)
            ));
            lines.push(format!(
                "Credentials  signing key {}, CLOB API credentials {}{}",
                yes_no(self.signing_key),
                yes_no(self.clob_credentials),
                if self.signing_key && self.clob_credentials {
                    ""
                } else {
                    " (shadow and live modes need both)"
                }
            ));
        }
        lines.join("\n")
    }
}

/// Prints a status line every `every`; the first one after one period.
pub struct StatusTicker {
    every: Duration,
    next: Instant,
}

/// Each feed's silence limit from the configuration, in `FEED_NAMES` order.
pub fn stale_limits(cfg: &Config) -> [Duration; 3] {
    let f = &cfg.feeds;
    [f.binance_stale_ms, f.poly_stale_ms, f.chainlink_stale_ms].map(Duration::from_millis)
}

impl StatusTicker {
    pub fn new(every: Duration, now: Instant) -> StatusTicker {
        StatusTicker {
            every,
            next: now + every,
        }
    }

    /// True once per period; a late call does not make up the missed ones.
    pub fn due(&mut self, now: Instant) -> bool {
        if self.every.is_zero() || now < self.next {
            return false;
        }
        while self.next <= now {
            self.next += self.every;
        }
        true
    }
}

/// One line: mode and halts, each feed's health, traffic, orders and the paper account.
/// `now_ns` is `clock::mono_ns` (the feeds' last-frame stamps are on that clock);
/// `stale_after` is each feed's silence limit, in `FEED_NAMES` order.
pub fn status_line(
    shared: &Shared,
    st: &ControlState,
    now_ns: u64,
    stale_after: [Duration; 3],
) -> String {
    let mut parts = Vec::new();
    let mut head = shared.mode().name().to_string();
    if shared.killed() {
        let why = st
            .kill_reason
            .as_ref()
            .map(|(r, _)| format!(" ({r})"))
            .unwrap_or_default();
        head.push_str(&format!(", KILLED{why}"));
    }
    if let Some(b) = st.breakers.first() {
        head.push_str(&format!(", HALTED by the {} breaker", b.kind.name()));
    }
    parts.push(head);
    let feeds: Vec<String> = FEED_NAMES
        .iter()
        .zip(shared.feeds.iter())
        .zip(stale_after)
        .map(|((name, f), stale_after)| {
            let last = f.last_frame_ns.load(Ordering::Relaxed);
            let state = if !f.connected.load(Ordering::Relaxed) {
                "down".to_string()
            } else if last == 0 {
                "waiting".to_string()
            } else {
                let age = Duration::from_nanos(now_ns.saturating_sub(last));
                if age > stale_after {
                    format!("stale {}s", age.as_secs())
                } else {
                    "ok".to_string()
                }
            };
            format!("{name} {state}")
        })
        .collect();
    parts.push(feeds.join(", "));
    let c = shared.counters.snapshot();
    parts.push(format!(
        "frames {}/{}/{}",
        c.binance_frames, c.poly_frames, c.chainlink_frames
    ));
    parts.push(format!(
        "decisions {} orders {} fills {}",
        c.signals, c.orders, c.fills
    ));
    if let Some(a) = &st.account {
        parts.push(format!(
            "open {} cash {:.2} PnL {:+.2} ({}W/{}L)",
            a.open_positions,
            a.cash,
            a.realized_pnl + 0.0,
            a.wins,
            a.losses
        ));
    }
    parts.join(" · ")
}

/// Wait until `stop` says so, printing a status line to stdout every `every` (zero: never).
/// Locks the control state only for the moment it takes to format a line.
pub fn watch(
    mut stop: impl FnMut() -> bool,
    shared: &Shared,
    state: &std::sync::Mutex<ControlState>,
    stale_after: [Duration; 3],
    every: Duration,
) {
    let mut ticker = StatusTicker::new(every, Instant::now());
    while !stop() {
        std::thread::sleep(Duration::from_millis(50));
        if ticker.due(Instant::now()) {
            let line = {
                let st = state.lock().unwrap_or_else(|e| e.into_inner());
                status_line(shared, &st, crate::clock::mono_ns(), stale_after)
            };
            println!("{} {line}", clock_hms());
        }
    }
}

/// UTC wall time as `HH:MM:SS` for the start of a status line.
fn clock_hms() -> String {
    let s = crate::clock::wall_ms() / 1000 % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::shared::Mode;

    #[test]
    fn ticker_fires_once_per_period() {
        let t0 = Instant::now();
        let mut t = StatusTicker::new(Duration::from_secs(10), t0);
        assert!(!t.due(t0));
        assert!(!t.due(t0 + Duration::from_secs(9)));
        assert!(t.due(t0 + Duration::from_secs(10)));
        assert!(!t.due(t0 + Duration::from_secs(11)));
        // Late by three periods: one line, not three.
        assert!(t.due(t0 + Duration::from_secs(45)));
        assert!(!t.due(t0 + Duration::from_secs(49)));
        let mut off = StatusTicker::new(Duration::ZERO, t0);
        assert!(!off.due(t0 + Duration::from_secs(100)));
    }

    #[test]
    fn status_shows_halts_and_feed_health() {
        let shared = Shared::new(Mode::Paper);
        let st = ControlState::default();
        let now = 100_000_000_000u64;
        shared.feeds[0].connected.store(true, Ordering::Relaxed);
        shared.feeds[0]
            .last_frame_ns
            .store(now - 1_000_000, Ordering::Relaxed);
        shared.feeds[1].connected.store(true, Ordering::Relaxed);
        shared.feeds[1]
            .last_frame_ns
            .store(now - 30_000_000_000, Ordering::Relaxed);
        let limits = [Duration::from_secs(5); 3];
        let line = status_line(&shared, &st, now, limits);
        assert!(line.starts_with("paper · "), "{line}");
        assert!(
            line.contains("binance ok, polymarket stale 30s, chainlink down"),
            "{line}"
        );
        shared.kill.store(true, Ordering::SeqCst);
        let line = status_line(&shared, &st, now, limits);
        assert!(line.starts_with("paper, KILLED · "), "{line}");
    }

    #[test]
    fn banner_says_what_is_missing_and_never_a_value() {
        let cfg = Config::default();
        let none = Configured::from_lookup(&cfg, |_| None);
        let b = none.banner(false);
        assert!(b.contains("API key      not set"), "{b}");
        assert!(b.contains("controls answer 503"), "{b}");
        assert!(b.contains("Telegram not set, Discord not set"), "{b}");
        assert!(b.contains("shadow and live modes need both"), "{b}");
        let secret = "s3cr3t-value";
        let all = Configured::from_lookup(&cfg, |_| Some(secret.to_string()));
        let b = all.banner(false);
        assert!(b.contains("API key      set"), "{b}");
        assert!(b.contains("Telegram set, Discord set"), "{b}");
        assert!(!b.contains(secret), "{b}");
        assert!(!b.contains("need both"), "{b}");
    }
}
