//! The `status` message: what a trader must see at once. Trading mode, whether `live` can be
//! chosen, the kill switch with its reason, the breakers holding now and each feed's health,
//! folded into `halted` with a reason. The broadcaster sends it on every change (whoever made
//! it: the API, another tab, Telegram, a breaker, a feed going quiet) and at least every
//! [`HEARTBEAT_MS`], so a page that hears nothing for a few heartbeats knows its stream is
//! dead and must not show its prices as live.

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::super::routes::{kill_view_in, KillSwitchView};
use super::super::App;
use crate::clock::{mono_ns, wall_ms};
use crate::control::ControlState;
use crate::pipeline::shared::FEED_NAMES;

/// A `status` goes out at least this often, changed or not.
pub const HEARTBEAT_MS: u64 = 1_000;

/// Feeds whose silence makes the page's prices stale: Binance (spot) and Polymarket (books).
/// Chainlink only moves the strike and is shown, not gated on.
pub const PRICE_FEEDS: usize = 2;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FeedView {
    pub name: &'static str,
    pub connected: bool,
    /// A frame came within `stale_after_ms`.
    pub fresh: bool,
    pub last_frame_age_ms: Option<u64>,
    pub stale_after_ms: u64,
    /// The page's prices come from this feed.
    pub prices: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BreakerView {
    /// The breaker's name (`daily_loss`, `stale_feed`, …).
    pub kind: &'static str,
    pub message: String,
    pub since_ms: u64,
    /// When it re-arms by itself; `null`: when its condition clears.
    pub until_ms: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusView {
    pub server_time_ms: u64,
    pub mode: &'static str,
    pub live_available: bool,
    pub kill_switch: KillSwitchView,
    pub breakers: Vec<BreakerView>,
    pub feeds: Vec<FeedView>,
    /// No new orders: the kill switch is on or a breaker holds.
    pub halted: bool,
    /// Why, in words, when halted.
    pub halt_reason: Option<String>,
}

impl StatusView {
    /// What a change is judged on: everything but the clock and the ages.
    pub fn key(&self) -> String {
        let feeds: Vec<_> = self
            .feeds
            .iter()
            .map(|f| (f.name, f.connected, f.fresh))
            .collect();
        let breakers: Vec<_> = self.breakers.iter().map(|b| (b.kind, b.since_ms)).collect();
        format!(
            "{}|{}|{}|{}|{:?}|{:?}",
            self.mode,
            self.live_available,
            self.kill_switch.active,
            self.kill_switch.reason,
            breakers,
            feeds
        )
    }
}

fn age_ms(now_ns: u64, then_ns: u64) -> Option<u64> {
    (then_ns != 0).then(|| now_ns.saturating_sub(then_ns) / 1_000_000)
}

/// Each feed's health now.
pub fn feeds(app: &App) -> Vec<FeedView> {
    let sh = &app.ctx.shared;
    let now = mono_ns();
    FEED_NAMES
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let age = age_ms(now, sh.feeds[i].last_frame_ns.load(Ordering::Relaxed));
            let stale_after_ms = app.ctx.feed_stale_ms[i];
            FeedView {
                name,
                connected: sh.feeds[i].connected.load(Ordering::Relaxed),
                fresh: age.is_some_and(|a| a < stale_after_ms),
                last_frame_age_ms: age,
                stale_after_ms,
                prices: i < PRICE_FEEDS,
            }
        })
        .collect()
}

/// The status, from the locked control state.
pub fn status(app: &App, st: &ControlState) -> StatusView {
    let sh = &app.ctx.shared;
    let now = wall_ms();
    let kill_switch = kill_view_in(app, st);
    let breakers: Vec<BreakerView> = st
        .breakers
        .iter()
        .filter(|b| b.active_at(now))
        .map(|b| BreakerView {
            kind: b.kind.name(),
            message: b.message(),
            since_ms: b.at_wall_ms,
            until_ms: b.until_wall_ms,
        })
        .collect();
    let halt_reason = if kill_switch.active {
        Some(if kill_switch.reason.is_empty() {
            "kill switch on".to_string()
        } else {
            format!("kill switch on: {}", kill_switch.reason)
        })
    } else {
        breakers.first().map(|b| format!("breaker {}", b.message))
    };
    StatusView {
        server_time_ms: now,
        mode: sh.mode().name(),
        live_available: sh.live_ready.load(Ordering::Relaxed),
        halted: halt_reason.is_some(),
        halt_reason,
        kill_switch,
        breakers,
        feeds: feeds(app),
    }
}
