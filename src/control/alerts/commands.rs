//! Telegram commands: long-polled `getUpdates`, obeyed only from the configured chat.
//!
//! `/kill [reason]` takes the API's path: it sets `Shared::kill` (the hot threads read it on
//! every event) and records the reason and time in [`ControlState::kill_reason`]. `/resume`
//! clears both. `/status` answers mode, kill switch, account, feeds and counters;
//! `/alerts on|off` mutes or unmutes alerts (kill-switch and mode alerts stay on); `/help`
//! lists the commands. An update from any other chat is counted and logged with its chat id
//! only, never its text. Commands older than `max_command_age_s` are ignored, so a restart
//! does not replay an old `/resume`.
//!
//! The poller confirms updates with `offset` = last `update_id` + 1, asks only for
//! `message` updates, and backs off on errors (honouring `retry_after` on 429).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::format::escape_html;
use super::{bump, Alert, AlertTx, AlertsConfig, Dest};
use crate::clock::wall_ms;
use crate::control::state::ControlState;
use crate::pipeline::shared::{Shared, FEED_NAMES};

/// A parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `/kill [reason]`
    Kill(Option<String>),
    Resume,
    Status,
    /// `/alerts on` (true) or `/alerts off` (false).
    Alerts(bool),
    Help,
    /// A `/word` we do not know, or `/alerts` with a bad argument.
    Unknown(String),
}

/// Parse a message text; `None` when it is not a command. Accepts `/cmd@BotName`.
pub fn parse_command(text: &str) -> Option<Command> {
    let text = text.trim();
    let rest = text.strip_prefix('/')?;
    let (word, arg) = match rest.split_once(char::is_whitespace) {
        Some((w, a)) => (w, a.trim()),
        None => (rest, ""),
    };
    let word = word.split('@').next().unwrap_or("").to_ascii_lowercase();
    Some(match word.as_str() {
        "kill" => Command::Kill((!arg.is_empty()).then(|| arg.chars().take(200).collect())),
        "resume" => Command::Resume,
        "status" => Command::Status,
        "help" | "start" => Command::Help,
        "alerts" => match arg.to_ascii_lowercase().as_str() {
            "on" => Command::Alerts(true),
            "off" => Command::Alerts(false),
            _ => Command::Unknown("alerts".into()),
        },
        other => Command::Unknown(other.chars().take(32).collect()),
    })
}

/// Whether an update's chat is the configured one (numeric ids compared as numbers).
pub fn authorised(chat_id: i64, chat_username: Option<&str>, configured: &str) -> bool {
    let c = configured.trim();
    match c.parse::<i64>() {
        Ok(n) => n == chat_id,
        Err(_) => chat_username.is_some_and(|u| {
            c.strip_prefix('@')
                .is_some_and(|x| x.eq_ignore_ascii_case(u))
        }),
    }
}

pub const HELP: &str = "<b>Cassandra commands</b>\n\
/kill [reason]: stop new orders now\n\
/resume: clear the kill switch\n\
/status: mode, kill switch, account, feeds\n\
/alerts on|off: unmute or mute alerts (kill and mode alerts always on)\n\
/help: this list";

/// What a command needs to act.
pub struct CommandCtx {
    pub shared: Arc<Shared>,
    pub state: Arc<Mutex<ControlState>>,
    pub alerts: AlertTx,
}

impl CommandCtx {
    /// Act on a command from the authorised chat; returns the answer (Telegram HTML).
    pub fn execute(&self, cmd: &Command) -> String {
        // The dashboard's alerts panel shows every command the chat sent.
        let said = match cmd {
            Command::Kill(r) => format!("/kill {}", r.as_deref().unwrap_or("")),
            Command::Resume => "/resume".into(),
            Command::Status => "/status".into(),
            Command::Alerts(on) => format!("/alerts {}", if *on { "on" } else { "off" }),
            Command::Help => "/help".into(),
            Command::Unknown(w) => format!("/{w} (unknown)"),
        };
        self.state
            .lock()
            .expect("state")
            .push_alert(crate::control::state::Alert {
                ts_ms: wall_ms(),
                level: "info".into(),
                kind: "telegram_command".into(),
                message: format!("Telegram: {}", said.trim_end()),
            });
        match cmd {
            Command::Kill(reason) => {
                let reason = reason.as_deref().map_or_else(
                    || "telegram /kill".into(),
                    crate::control::api::routes::sanitize_reason,
                );
                // The reason before the switch, under the lock the control loop journals
                // under: its record of the change carries the reason.
                let was = {
                    let mut st = self.state.lock().expect("state");
                    st.kill_reason = Some((reason.clone(), wall_ms()));
                    self.shared.kill.swap(true, Ordering::SeqCst)
                };
                tracing::warn!("kill switch set from Telegram");
                // The chat gets the answer below; the other destinations the alert.
                self.alerts.send_except(
                    Dest::Telegram,
                    Alert::Kill {
                        active: true,
                        reason: reason.clone(),
                        source: "telegram".into(),
                    },
                );
                format!(
                    "<b>Kill switch ON</b>{}: no new orders.\nreason: {}",
                    if was { " (already on)" } else { "" },
                    escape_html(&reason)
                )
            }
            Command::Resume => {
                let was = {
                    let mut st = self.state.lock().expect("state");
                    st.kill_reason = None;
                    self.shared.kill.swap(false, Ordering::SeqCst)
                };
                tracing::warn!("kill switch cleared from Telegram");
                self.alerts.send_except(
                    Dest::Telegram,
                    Alert::Kill {
                        active: false,
                        reason: String::new(),
                        source: "telegram".into(),
                    },
                );
                if was {
                    "<b>Kill switch OFF</b>: trading resumes.".into()
                } else {
                    "Kill switch was not on.".into()
                }
            }
            Command::Status => self.status(),
            Command::Alerts(on) => {
                self.alerts.set_muted(!on);
                if *on {
                    "Alerts <b>on</b>.".into()
                } else {
                    "Alerts <b>off</b> (kill-switch and mode alerts stay on).".into()
                }
            }
            Command::Help => HELP.into(),
            Command::Unknown(w) => format!("Unknown command /{}. Send /help.", escape_html(w)),
        }
    }

    fn status(&self) -> String {
        let sh = &self.shared;
        let c = &sh.counters;
        let mut s = format!("<b>Status</b>\nmode: {}", sh.mode().name());
        let st = self.state.lock().expect("state");
        if sh.killed() {
            let why = st
                .kill_reason
                .as_ref()
                .map_or_else(String::new, |(r, _)| format!(" ({})", escape_html(r)));
            s.push_str(&format!("\nkill switch: <b>ON</b>{why}"));
        } else {
            s.push_str("\nkill switch: off");
        }
        if let Some(a) = &st.account {
            s.push_str(&format!(
                "\ncash: ${:.2}, realized PnL: {:+.2}\nopen positions: {}, settled: {} ({} W / {} L)",
                a.cash, a.realized_pnl, a.open_positions, a.settled, a.wins, a.losses
            ));
        }
        let feeds: Vec<String> = FEED_NAMES
            .iter()
            .zip(sh.feeds.iter())
            .map(|(n, f)| {
                let up = f.connected.load(Ordering::Relaxed);
                format!("{n} {}", if up { "up" } else { "down" })
            })
            .collect();
        s.push_str(&format!("\nfeeds: {}", feeds.join(", ")));
        s.push_str(&format!(
            "\norders: {}, fills: {}, rejects: {}",
            c.order.orders.load(Ordering::Relaxed),
            c.order.fills.load(Ordering::Relaxed),
            c.order.rejects.load(Ordering::Relaxed)
        ));
        s.push_str(&format!(
            "\nwhale trades seen: {}\nalerts: {}",
            st.whale_trades_total,
            if self.alerts.muted() { "off" } else { "on" }
        ));
        s
    }
}

#[derive(Deserialize)]
struct TgResponse {
    ok: bool,
    #[serde(default)]
    result: Vec<TgUpdate>,
}

#[derive(Deserialize)]
pub(crate) struct TgUpdate {
    update_id: i64,
    #[serde(default)]
    message: Option<TgMessage>,
}

#[derive(Deserialize)]
pub(crate) struct TgMessage {
    chat: TgChat,
    #[serde(default)]
    date: u64,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TgChat {
    id: i64,
    #[serde(default)]
    username: Option<String>,
}

/// The `telegram-commands` thread.
pub struct CommandPoller {
    client: reqwest::blocking::Client,
    api: String,
    token: String,
    chat: String,
    poll_timeout_s: u64,
    max_age_s: u64,
    retry_base: Duration,
    retry_max: Duration,
    ctx: CommandCtx,
    stop: Arc<AtomicBool>,
}

impl CommandPoller {
    pub(crate) fn new(
        cfg: &AlertsConfig,
        token: &str,
        chat: &str,
        shared: Arc<Shared>,
        state: Arc<Mutex<ControlState>>,
        alerts: AlertTx,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<CommandPoller> {
        let client = reqwest::blocking::Client::builder()
            // The long poll plus room for the network.
            .timeout(Duration::from_secs(cfg.poll_timeout_s + 10))
            .user_agent("cassandra-commands")
            .build()
            .map_err(|e| anyhow::anyhow!("commands HTTP client: {}", e.without_url()))?;
        Ok(CommandPoller {
            client,
            api: cfg.telegram_api.trim_end_matches('/').to_string(),
            token: token.to_string(),
            chat: chat.to_string(),
            poll_timeout_s: cfg.poll_timeout_s,
            max_age_s: cfg.max_command_age_s,
            retry_base: Duration::from_millis(cfg.retry_base_ms),
            retry_max: Duration::from_millis(cfg.retry_max_ms),
            ctx: CommandCtx {
                shared,
                state,
                alerts,
            },
            stop,
        })
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || !self.ctx.shared.is_running()
    }

    fn sleep(&self, d: Duration) {
        let until = std::time::Instant::now() + d;
        while !self.stopping() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One `getUpdates`; Err carries the wait before the next call.
    fn get_updates(&self, offset: i64) -> Result<Vec<TgUpdate>, (String, Option<Duration>)> {
        let body = json!({
            "offset": offset,
            "timeout": self.poll_timeout_s,
            "allowed_updates": ["message"],
        });
        let resp = self
            .client
            .post(format!("{}/bot{}/getUpdates", self.api, self.token))
            .json(&body)
            .send()
            .map_err(|e| (e.without_url().to_string(), None))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().unwrap_or_default();
        if status == 429 {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let wait = v
                .pointer("/parameters/retry_after")
                .and_then(serde_json::Value::as_f64)
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s.min(3600.0)));
            return Err(("HTTP 429".into(), wait));
        }
        if status != 200 {
            return Err((format!("HTTP {status}"), None));
        }
        let r: TgResponse = serde_json::from_slice(&bytes)
            .map_err(|e| (format!("bad getUpdates body: {e}"), None))?;
        if !r.ok {
            return Err(("getUpdates answered ok=false".into(), None));
        }
        Ok(r.result)
    }

    /// Act on one update.
    fn handle(&self, u: &TgUpdate, now_s: u64) {
        let stats = self.ctx.alerts.stats();
        let Some(m) = &u.message else { return };
        if !authorised(m.chat.id, m.chat.username.as_deref(), &self.chat) {
            bump(&stats.unauthorised);
            tracing::warn!(
                chat_id = m.chat.id,
                "Telegram message from an unauthorised chat ignored"
            );
            return;
        }
        let Some(cmd) = m.text.as_deref().and_then(parse_command) else {
            return;
        };
        if m.date + self.max_age_s < now_s {
            bump(&stats.stale_commands);
            return;
        }
        bump(&stats.commands);
        let answer = self.ctx.execute(&cmd);
        self.ctx.alerts.reply(answer);
    }

    pub fn run(self) {
        let mut offset: i64 = 0;
        let mut failures: u32 = 0;
        let mut last_error: Option<String> = None;
        while !self.stopping() {
            match self.get_updates(offset) {
                Ok(updates) => {
                    failures = 0;
                    last_error = None;
                    let now_s = wall_ms() / 1000;
                    for u in &updates {
                        offset = offset.max(u.update_id + 1);
                        if self.stopping() {
                            return;
                        }
                        self.handle(u, now_s);
                    }
                }
                Err((why, wait)) => {
                    bump(&self.ctx.alerts.stats().poll_errors);
                    failures += 1;
                    let backoff =
                        (self.retry_base * (1u32 << failures.min(10))).min(self.retry_max);
                    let wait = wait.map_or(backoff, |w| w.min(self.retry_max));
                    if last_error.as_deref() != Some(why.as_str()) {
                        tracing::warn!("telegram getUpdates: {why}; waiting {wait:?}");
                        last_error = Some(why);
                    }
                    self.sleep(wait);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert_eq!(
            parse_command("/kill fat finger"),
            Some(Command::Kill(Some("fat finger".into())))
        );
        assert_eq!(parse_command("/kill@CassBot"), Some(Command::Kill(None)));
        assert_eq!(parse_command("/alerts OFF"), Some(Command::Alerts(false)));
        assert_eq!(
            parse_command("/alerts maybe"),
            Some(Command::Unknown("alerts".into()))
        );
        assert_eq!(parse_command("hello"), None);
    }

    #[test]
    fn authorisation() {
        assert!(authorised(-100, None, "-100"));
        assert!(!authorised(-101, None, "-100"));
        assert!(authorised(5, Some("News"), "@news"));
        assert!(!authorised(5, None, "@news"));
    }
}
