//! State shared between the hot threads and the control side: atomics only.
//!
//! Control flows through here (kill switch, trading mode, shutdown) because every event must
//! see it at once; each field has a single writer except the control flags, which only the
//! control side writes.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

use crossbeam::utils::CachePadded;
use serde::{Deserialize, Serialize};

use crate::telemetry::Counters;

/// Trading mode. Precedence: kill switch > breaker halt > mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Mode {
    /// Signals are evaluated; nothing is executed.
    Off = 0,
    /// Simulated fills against the book.
    Paper = 1,
    /// Live signals, orders built and journaled, paper execution.
    Shadow = 2,
    /// Real orders.
    Live = 3,
}

impl Mode {
    pub fn from_u8(v: u8) -> Mode {
        match v {
            1 => Mode::Paper,
            2 => Mode::Shadow,
            3 => Mode::Live,
            _ => Mode::Off,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Paper => "paper",
            Mode::Shadow => "shadow",
            Mode::Live => "live",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Ok(Mode::Off),
            "paper" => Ok(Mode::Paper),
            "shadow" => Ok(Mode::Shadow),
            "live" => Ok(Mode::Live),
            _ => Err(format!(
                "unknown mode {s:?}: expected off, paper, shadow or live"
            )),
        }
    }
}

/// Liveness of one feed, written by its ingest thread.
#[derive(Debug, Default)]
pub struct FeedHealth {
    pub connected: AtomicBool,
    /// `clock::mono_ns` of the last data frame.
    pub last_frame_ns: AtomicU64,
    /// Why the last connection attempt failed or the connection dropped (empty: no error
    /// yet). Written by the ingest thread only on failure, with `try_lock` (never waits);
    /// the control loop logs changes and `/health` shows it.
    pub last_error: std::sync::Mutex<String>,
}

/// Index of each feed in [`Shared::feeds`].
pub const FEED_BINANCE: usize = 0;
pub const FEED_POLY: usize = 1;
pub const FEED_CHAINLINK: usize = 2;
pub const FEED_NAMES: [&str; 3] = ["binance", "polymarket", "chainlink"];

#[derive(Debug)]
pub struct Shared {
    /// Cleared once to stop every thread.
    pub running: AtomicBool,
    /// Kill switch: no new orders while set.
    pub kill: AtomicBool,
    mode: AtomicU8,
    pub counters: Counters,
    pub feeds: [CachePadded<FeedHealth>; 3],
    /// `clock::mono_ns` of each hot thread's last loop, in `cores::HOT_THREADS` order.
    pub heartbeat_ns: [CachePadded<AtomicU64>; 4],
    /// Set by a benchmark to restart the latency histograms after its warm-up; the control
    /// loop clears it.
    pub reset_latency: AtomicBool,
    /// The process was started with a signing key and CLOB credentials (the live path runs),
    /// so `shadow` and `live` may be switched on.
    pub live_ready: AtomicBool,
    /// The process was started in `live` mode (with the live path): only then may the mode be
    /// switched (back) to `live` at run time. Live trading is a start-time decision.
    pub live_at_start: AtomicBool,
    /// Why a hot thread died, set once by the dying thread (which also sets the kill switch);
    /// the control loop journals it as the kill switch's reason and alerts.
    pub hot_death: std::sync::Mutex<Option<String>>,
}

impl Shared {
    pub fn new(mode: Mode) -> Shared {
        Shared {
            running: AtomicBool::new(true),
            kill: AtomicBool::new(false),
            mode: AtomicU8::new(mode as u8),
            counters: Counters::default(),
            feeds: Default::default(),
            heartbeat_ns: Default::default(),
            reset_latency: AtomicBool::new(false),
            live_ready: AtomicBool::new(false),
            live_at_start: AtomicBool::new(false),
            hot_death: std::sync::Mutex::new(None),
        }
    }

    #[inline]
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    pub fn stop(&self) {
        self.running.store(false, Ordering::SeqCst);
    }

    #[inline]
    pub fn mode(&self) -> Mode {
        Mode::from_u8(self.mode.load(Ordering::Relaxed))
    }

    pub fn set_mode(&self, m: Mode) {
        self.mode.store(m as u8, Ordering::SeqCst);
    }

    #[inline]
    pub fn killed(&self) -> bool {
        self.kill.load(Ordering::Relaxed)
    }

    /// A hot thread died: no new order from now on (kill switch), and say why. The first
    /// death's reason is kept. Runs on the dying thread, never in steady state.
    pub fn hot_thread_died(&self, reason: String) {
        self.kill.store(true, Ordering::SeqCst);
        if let Ok(mut d) = self.hot_death.lock() {
            d.get_or_insert(reason);
        }
    }

    #[inline]
    pub fn beat(&self, thread: usize, now_ns: u64) {
        self.heartbeat_ns[thread].store(now_ns, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip() {
        for m in [Mode::Off, Mode::Paper, Mode::Shadow, Mode::Live] {
            assert_eq!(Mode::from_u8(m as u8), m);
            assert_eq!(m.name().parse::<Mode>().unwrap(), m);
        }
        assert!("yolo".parse::<Mode>().is_err());
        let s = Shared::new(Mode::Paper);
        s.set_mode(Mode::Shadow);
        assert_eq!(s.mode(), Mode::Shadow);
    }
}
