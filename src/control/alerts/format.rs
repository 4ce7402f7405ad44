//! Alert text: one [`Message`] per alert, rendered as Telegram HTML or a Discord embed.
//!
//! Telegram's HTML mode needs every `<`, `>` and `&` outside a tag escaped; only values we
//! produce go inside tags, and every value is escaped. Values are cut to fit the venues'
//! limits (Telegram 4096 characters; Discord title 256, field value 1024, 25 fields) before
//! escaping, so a cut never splits an entity.

use serde_json::{json, Value};

use super::Alert;
use crate::control::whales::{TradeSide, WhaleOutcome};
use crate::pipeline::events::{ExecStatus, Outcome};

/// Colour of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
}

/// A rendered alert, destination-neutral.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub title: String,
    pub fields: Vec<(String, String)>,
    pub tone: Tone,
}

/// Escape text for Telegram's HTML parse mode.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// At most `n` characters (not bytes), with "…" when cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn usd(x: f64) -> String {
    if x < 0.0 {
        format!("-${:.2}", -x)
    } else {
        format!("${x:.2}")
    }
}

fn signed_usd(x: f64) -> String {
    if x >= 0.0 {
        format!("+{}", usd(x))
    } else {
        usd(x)
    }
}

/// `HH:MM:SS UTC` of a Unix time.
pub fn hms_utc(unix_s: u64) -> String {
    let d = unix_s % 86_400;
    format!("{:02}:{:02}:{:02} UTC", d / 3600, d / 60 % 60, d % 60)
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Up => "UP",
        Outcome::Down => "DOWN",
    }
}

fn e6(x: u64) -> f64 {
    x as f64 / 1e6
}

impl Message {
    fn new(title: impl Into<String>, tone: Tone) -> Message {
        Message {
            title: title.into(),
            fields: Vec::new(),
            tone,
        }
    }

    fn field(mut self, k: &str, v: impl Into<String>) -> Message {
        self.fields.push((k.to_string(), v.into()));
        self
    }

    /// The message of an alert; `asset` names an asset index.
    pub fn of(alert: &Alert, asset: &dyn Fn(u8) -> String) -> Message {
        match alert {
            Alert::OrderSent(s) => {
                let ask = match s.side {
                    Outcome::Up => s.up_ask_e4,
                    Outcome::Down => s.down_ask_e4,
                };
                Message::new(
                    format!("Order sent: {} {}", asset(s.asset.0), outcome(s.side)),
                    Tone::Info,
                )
                .field("ask", format!("{:.4}", ask as f64 / 1e4))
                .field("model P(UP)", format!("{:.3}", s.p_up))
                .field("edge", format!("{:.4}", s.edge))
            }
            Alert::Order(r) => {
                let name = format!("{} {}", asset(r.asset.0), outcome(r.outcome));
                match r.status {
                    ExecStatus::Matched | ExecStatus::Delayed => {
                        let shares = e6(r.filled_e6);
                        let px = if shares > 0.0 {
                            e6(r.cost_e6) / shares
                        } else {
                            0.0
                        };
                        Message::new(format!("Order filled: {name}"), Tone::Good)
                            .field("shares", format!("{shares:.2}"))
                            .field("avg price", format!("{px:.4}"))
                            .field("cost", usd(e6(r.cost_e6)))
                            .field("fee", usd(e6(r.fee_e6)))
                            .field(
                                "status",
                                if r.status == ExecStatus::Delayed {
                                    "delayed"
                                } else {
                                    "matched"
                                },
                            )
                    }
                    ExecStatus::Unmatched | ExecStatus::Rejected => {
                        Message::new(format!("Order failed: {name}"), Tone::Bad).field(
                            "status",
                            if r.status == ExecStatus::Rejected {
                                "rejected"
                            } else {
                                "unmatched"
                            },
                        )
                    }
                }
            }
            Alert::Settled {
                settlement: s,
                account,
            } => {
                let (word, tone) = if s.pnl > 0.0 {
                    ("WIN", Tone::Good)
                } else if s.pnl < 0.0 {
                    ("LOSS", Tone::Bad)
                } else {
                    ("FLAT", Tone::Info)
                };
                let mut m = Message::new(
                    format!(
                        "Window settled: {} {} — {word}",
                        asset(s.asset.0),
                        hms_utc(s.window_start_s)
                    ),
                    tone,
                )
                .field("result", if s.up_won { "UP won" } else { "DOWN won" })
                .field(
                    "strike → end",
                    format!("{:.2} → {:.2}", s.strike, s.end_price),
                )
                .field("PnL", signed_usd(s.pnl));
                if let Some(a) = account {
                    m = m
                        .field("balance", usd(a.cash))
                        .field("total PnL", signed_usd(a.realized_pnl))
                        .field("wins / losses", format!("{} / {}", a.wins, a.losses));
                }
                m
            }
            Alert::Breaker { name, reason } => {
                Message::new(format!("Breaker tripped: {name}"), Tone::Bad).field("why", reason)
            }
            Alert::Kill {
                active,
                reason,
                source,
            } => {
                if *active {
                    Message::new("Kill switch ON: no new orders", Tone::Bad)
                        .field("reason", reason)
                        .field("by", source)
                } else {
                    Message::new("Kill switch OFF: trading resumes", Tone::Good).field("by", source)
                }
            }
            Alert::Mode { from, to, source } => {
                Message::new(format!("Mode: {} → {}", from.name(), to.name()), Tone::Info)
                    .field("by", source)
            }
            Alert::Feed { name, up } => {
                if *up {
                    Message::new(format!("Feed up: {name}"), Tone::Good)
                } else {
                    Message::new(format!("Feed down: {name}"), Tone::Bad)
                }
            }
            Alert::DailySummary {
                account: a,
                orders,
                fills,
            } => {
                let rate = if a.wins + a.losses > 0 {
                    format!("{:.0}%", 100.0 * a.wins as f64 / (a.wins + a.losses) as f64)
                } else {
                    "–".into()
                };
                Message::new("Daily summary", Tone::Info)
                    .field("balance", usd(a.cash))
                    .field("realized PnL", signed_usd(a.realized_pnl))
                    .field("fees", usd(a.fees_paid))
                    .field("orders / fills", format!("{orders} / {fills}"))
                    .field(
                        "settled (wins / losses)",
                        format!("{} ({} / {})", a.settled, a.wins, a.losses),
                    )
                    .field("win rate", rate)
            }
            Alert::Whale(t) => {
                let side = match t.side {
                    TradeSide::Buy => "bought",
                    TradeSide::Sell => "sold",
                };
                let out = match t.outcome {
                    WhaleOutcome::Up => "UP",
                    WhaleOutcome::Down => "DOWN",
                    WhaleOutcome::Other => "?",
                };
                let mut m = Message::new(
                    format!("Whale {}: {side} {out} {}", t.wallet, usd(t.notional)),
                    Tone::Info,
                )
                .field("market", &t.slug)
                .field("price × size", format!("{:.3} × {:.2}", t.price, t.size));
                if let Some(s) = t.secs_into_window {
                    m = m.field("into window", format!("{s} s"));
                }
                m
            }
            Alert::Text(s) => Message::new(s.clone(), Tone::Info),
        }
    }

    /// Telegram HTML text: the title in bold, then `key: value` lines; at most 4096 characters.
    pub fn telegram_html(&self) -> String {
        let mut out = format!("<b>{}</b>", escape_html(&clip(&self.title, 256)));
        for (k, v) in &self.fields {
            let line = format!(
                "\n{}: {}",
                escape_html(&clip(k, 64)),
                escape_html(&clip(v, 512))
            );
            if out.chars().count() + line.chars().count() > 4000 {
                out.push_str("\n…");
                break;
            }
            out.push_str(&line);
        }
        out
    }

    /// Discord webhook body: one embed; mentions disabled so a value can never ping anyone.
    pub fn discord_json(&self, username: &str) -> Value {
        let color = match self.tone {
            Tone::Info => 0x3498db,
            Tone::Good => 0x2ecc71,
            Tone::Bad => 0xe74c3c,
        };
        let fields: Vec<Value> = self
            .fields
            .iter()
            .take(25)
            .map(|(k, v)| json!({"name": clip(k, 256), "value": clip(v, 1024), "inline": true}))
            .collect();
        json!({
            "username": username,
            "allowed_mentions": {"parse": []},
            "embeds": [{
                "title": clip(&self.title, 256),
                "color": color,
                "fields": fields,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_three_characters() {
        assert_eq!(escape_html("a<b>&c"), "a&lt;b&gt;&amp;c");
    }

    #[test]
    fn clip_counts_characters() {
        assert_eq!(clip("héllo", 10), "héllo");
        assert_eq!(clip("héllo", 3), "hé…");
    }
}
