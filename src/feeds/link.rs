//! One feed's connection lifecycle: connect, back off, detect silence, reconnect.
//!
//! Owned by an ingest thread and driven from its loop. With a [`Dialer`] (the pipeline's
//! ingest threads) the connection is made on a control-side thread and `ensure` only asks
//! for it and picks it up: no DNS, connect or handshake ever runs on the hot thread. Without
//! one (tests, tools) `ensure` connects inline, bounded by `WsConfig::connect_timeout`.

use std::sync::atomic::Ordering;

use super::dialer::Dialer;
use super::ws::{Backoff, WsConfig, WsConn, WsError, WsUrl};
use crate::pipeline::rings::bump;
use crate::pipeline::shared::FeedHealth;
use crate::telemetry::counters::FeedCounters;

/// Timing rules of one feed.
#[derive(Clone, Debug)]
pub struct LinkRules {
    /// No data frame for this long: the connection is presumed dead and replaced.
    pub stale_after_ns: u64,
    /// Replace the connection before the venue's own limit (Binance: 24 h).
    pub max_age_ns: u64,
    /// Application-level keepalive (Polymarket's text `PING`), if the venue wants one.
    pub app_ping: Option<(u64, &'static [u8])>,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
}

/// A connection up this long counts as healthy: the backoff starts again from its base. At
/// least 1 s keeps a server that accepts then drops under one attempt a second (Binance
/// allows 300 per 5 minutes per IP).
pub const STABLE_AFTER_NS: u64 = 10_000_000_000;

impl Default for LinkRules {
    fn default() -> Self {
        LinkRules {
            stale_after_ns: 10_000_000_000,
            max_age_ns: 23 * 3600 * 1_000_000_000,
            app_ping: None,
            backoff_base_ms: 100,
            backoff_max_ms: 10_000,
        }
    }
}

pub struct FeedLink {
    url: WsUrl,
    cfg: WsConfig,
    rules: LinkRules,
    conn: Option<WsConn>,
    backoff: Backoff,
    retry_at_ns: u64,
    connected_at_ns: u64,
    last_frame_ns: u64,
    last_app_ping_ns: u64,
    connected_once: bool,
    /// The backoff is reset only once a connection has stayed up this long; a server that
    /// accepts and drops at once keeps backing off.
    stable_after_ns: u64,
    /// Why the last connection ended (for the control side's log; set only on errors).
    pub last_error: Option<String>,
    /// Connects off this thread, when set.
    dialer: Option<Dialer>,
}

/// What `ensure` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Connected before this call.
    Up,
    /// Connected by this call: send subscriptions now.
    JustConnected,
    /// Still down (waiting for the backoff, or the attempt failed).
    Down,
}

impl FeedLink {
    pub fn new(url: WsUrl, cfg: WsConfig, rules: LinkRules, seed: u64) -> Self {
        let backoff = Backoff::new(rules.backoff_base_ms, rules.backoff_max_ms, seed);
        FeedLink {
            url,
            cfg,
            rules,
            conn: None,
            backoff,
            retry_at_ns: 0,
            connected_at_ns: 0,
            last_frame_ns: 0,
            last_app_ping_ns: 0,
            connected_once: false,
            stable_after_ns: STABLE_AFTER_NS,
            last_error: None,
            dialer: None,
        }
    }

    /// Connect through `dialer` (a control-side thread) instead of inline.
    pub fn with_dialer(mut self, dialer: Dialer) -> Self {
        self.dialer = Some(dialer);
        self
    }

    /// The dialer's thread is making a connection for this link.
    pub fn dialing(&self) -> bool {
        self.dialer.as_ref().is_some_and(Dialer::pending)
    }

    /// Connect if down and the backoff has elapsed.
    pub fn ensure(&mut self, now_ns: u64, c: &FeedCounters, h: &FeedHealth) -> LinkState {
        if self.conn.is_some() {
            return LinkState::Up;
        }
        let dialed = match self.dialer.as_mut() {
            Some(d) => {
                if let Some(r) = d.poll() {
                    r
                } else {
                    if now_ns >= self.retry_at_ns {
                        d.request();
                    }
                    return LinkState::Down;
                }
            }
            None if now_ns < self.retry_at_ns => return LinkState::Down,
            None => WsConn::connect(&self.url, &self.cfg),
        };
        match dialed {
            Ok(conn) => {
                // No backoff reset here: a handshake that is closed right after must not
                // bring the next attempt back to the base delay (`housekeeping` resets once
                // the connection has proved stable).
                self.conn = Some(conn);
                self.connected_at_ns = now_ns;
                self.last_frame_ns = now_ns;
                self.last_app_ping_ns = now_ns;
                if self.connected_once {
                    bump(&c.reconnects);
                }
                self.connected_once = true;
                h.connected.store(true, Ordering::Relaxed);
                LinkState::JustConnected
            }
            Err(e) => {
                self.fail(now_ns, e, h);
                LinkState::Down
            }
        }
    }

    pub fn conn(&mut self) -> Option<&mut WsConn> {
        self.conn.as_mut()
    }

    pub fn is_up(&self) -> bool {
        self.conn.is_some()
    }

    /// `clock::mono_ns` at which a down link tries again.
    pub fn retry_at_ns(&self) -> u64 {
        self.retry_at_ns
    }

    /// A data frame arrived.
    #[inline]
    pub fn saw_frame(&mut self, now_ns: u64) {
        self.last_frame_ns = now_ns;
    }

    /// Let the dialer's thread say goodbye on the connection and release it (inline without
    /// a dialer).
    fn drop_conn(&mut self) {
        if let Some(mut c) = self.conn.take() {
            match self.dialer.as_mut() {
                Some(d) => d.retire(c),
                None => c.close(),
            }
        }
    }

    /// Drop the connection after an error and schedule the next attempt.
    pub fn fail(&mut self, now_ns: u64, e: WsError, h: &FeedHealth) {
        self.drop_conn();
        h.connected.store(false, Ordering::Relaxed);
        let text = e.to_string();
        // Failure path only (never steady state); `try_lock` so the hot thread never waits.
        if let Ok(mut last) = h.last_error.try_lock() {
            last.clone_from(&text);
        }
        self.last_error = Some(text);
        self.retry_at_ns = now_ns + self.backoff.next_delay_ms() * 1_000_000;
    }

    /// Drop the connection on the venue's request and reconnect: at once after a stable
    /// connection (a rotation), after the backoff when it had just been made.
    pub fn reconnect_now(&mut self, h: &FeedHealth) {
        let now = crate::clock::mono_ns();
        let stable = now.saturating_sub(self.connected_at_ns) >= self.stable_after_ns;
        self.drop_conn();
        h.connected.store(false, Ordering::Relaxed);
        self.retry_at_ns = if stable {
            0
        } else {
            now + self.backoff.next_delay_ms() * 1_000_000
        };
    }

    /// Attempts so far without a stable connection (for tests and logs).
    pub fn attempts_unstable(&self) -> u32 {
        self.backoff.attempt()
    }

    /// Periodic checks: silence, age, application keepalive. Cheap; call every loop.
    pub fn housekeeping(&mut self, now_ns: u64, c: &FeedCounters, h: &FeedHealth) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if now_ns.saturating_sub(self.connected_at_ns) >= self.stable_after_ns {
            self.backoff.reset();
        }
        if now_ns.saturating_sub(self.last_frame_ns) > self.rules.stale_after_ns {
            bump(&c.stale);
            self.fail(
                now_ns,
                WsError::Protocol("feed silent past its limit".into()),
                h,
            );
            return;
        }
        if now_ns.saturating_sub(self.connected_at_ns) > self.rules.max_age_ns {
            self.reconnect_now(h);
            return;
        }
        if let Some((every_ns, payload)) = self.rules.app_ping {
            if now_ns.saturating_sub(self.last_app_ping_ns) >= every_ns {
                self.last_app_ping_ns = now_ns;
                if let Err(e) = conn.send_text(payload) {
                    self.fail(now_ns, e, h);
                }
            }
        }
    }
}
