//! Wait strategies: what a hot thread does when it has nothing to do.
//!
//! - `spin`: busy-poll. Lowest latency; needs a core of its own (a parked consumer pays
//!   20–45 µs per futex wake-up on a VM, see `docs/venue/binance.md` §2).
//! - `spin-yield`: busy-poll, yielding the core after a short burst of empty polls.
//! - `park`: spin briefly, then sleep until a producer rings the [`Doorbell`] (or a socket is
//!   readable, for the ingest threads), with a bounded sleep so a lost wake-up costs at most
//!   [`PARK_TIMEOUT`]. The only choice that behaves when hot threads share cores.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Longest a parked thread sleeps without a wake-up.
pub const PARK_TIMEOUT: Duration = Duration::from_millis(1);
/// Empty polls before `spin-yield` yields or `park` sleeps.
const SPINS_BEFORE_BACKOFF: u32 = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaitStrategy {
    Spin,
    SpinYield,
    Park,
}

impl WaitStrategy {
    pub fn name(self) -> &'static str {
        match self {
            WaitStrategy::Spin => "spin",
            WaitStrategy::SpinYield => "spin-yield",
            WaitStrategy::Park => "park",
        }
    }
}

impl std::str::FromStr for WaitStrategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "spin" => Ok(WaitStrategy::Spin),
            "spin-yield" => Ok(WaitStrategy::SpinYield),
            "park" => Ok(WaitStrategy::Park),
            other => Err(format!(
                "unknown wait strategy {other:?}: expected spin, spin-yield or park"
            )),
        }
    }
}

/// Wakes a parked consumer. Producers call [`Doorbell::ring`] after every push: nothing when
/// the consumer never parks, a fence and a load when it may, an unpark (futex) only when it
/// actually sleeps.
///
/// The hand-off is a Dekker pair: the consumer stores `sleeping` then looks at the ring; the
/// producer stores into the ring then looks at `sleeping`. Each side needs a full fence
/// between its store and its load, or on x86 the producer's load can pass its own store (store
/// buffer) and both sides miss each other: the consumer parks on an item it did not see and
/// sleeps out [`PARK_TIMEOUT`].
#[derive(Debug, Default)]
pub struct Doorbell {
    sleeping: AtomicBool,
    /// Set once by a consumer that may park; producers skip the fence otherwise.
    may_sleep: AtomicBool,
    thread: OnceLock<Thread>,
}

impl Doorbell {
    pub fn new() -> Self {
        Self::default()
    }

    /// Called once by the consumer thread, before it first waits, with its wait strategy.
    pub fn register_current(&self, strategy: WaitStrategy) {
        let _ = self.thread.set(std::thread::current());
        self.may_sleep
            .store(strategy == WaitStrategy::Park, Ordering::SeqCst);
    }

    #[inline]
    pub fn ring(&self) {
        if !self.may_sleep.load(Ordering::Relaxed) {
            return;
        }
        // Order the caller's push before the look at `sleeping` (see the type's doc).
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) {
            if let Some(t) = self.thread.get() {
                t.unpark();
            }
        }
    }
}

/// Per-thread idle state for a ring consumer.
pub struct Idler {
    strategy: WaitStrategy,
    empty_polls: u32,
}

impl Idler {
    pub fn new(strategy: WaitStrategy) -> Self {
        Idler {
            strategy,
            empty_polls: 0,
        }
    }

    pub fn strategy(&self) -> WaitStrategy {
        self.strategy
    }

    /// Work was found: start the next idle period from scratch.
    #[inline]
    pub fn reset(&mut self) {
        self.empty_polls = 0;
    }

    /// Nothing to do this poll. `has_work` is re-checked after announcing sleep so a push that
    /// raced with the decision to park is never missed.
    #[inline]
    pub fn idle(&mut self, bell: &Doorbell, has_work: impl Fn() -> bool) {
        self.empty_polls = self.empty_polls.saturating_add(1);
        match self.strategy {
            WaitStrategy::Spin => std::hint::spin_loop(),
            WaitStrategy::SpinYield => {
                if self.empty_polls > SPINS_BEFORE_BACKOFF {
                    std::thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
            WaitStrategy::Park => {
                if self.empty_polls <= SPINS_BEFORE_BACKOFF {
                    std::hint::spin_loop();
                    return;
                }
                bell.sleeping.store(true, Ordering::SeqCst);
                std::sync::atomic::fence(Ordering::SeqCst);
                if !has_work() {
                    std::thread::park_timeout(PARK_TIMEOUT);
                }
                bell.sleeping.store(false, Ordering::SeqCst);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn strategies_parse_from_config_names() {
        for s in [
            WaitStrategy::Spin,
            WaitStrategy::SpinYield,
            WaitStrategy::Park,
        ] {
            assert_eq!(s.name().parse::<WaitStrategy>().unwrap(), s);
        }
        let err = "busy".parse::<WaitStrategy>().unwrap_err();
        assert!(err.contains("busy"), "{err}");
    }

    #[test]
    fn parked_consumer_is_woken_by_the_doorbell() {
        let bell = Arc::new(Doorbell::new());
        let flag = Arc::new(AtomicBool::new(false));
        let (b, f) = (bell.clone(), flag.clone());
        let consumer = std::thread::spawn(move || {
            b.register_current(WaitStrategy::Park);
            let mut idler = Idler::new(WaitStrategy::Park);
            let start = Instant::now();
            while !f.load(Ordering::SeqCst) {
                idler.idle(&b, || f.load(Ordering::SeqCst));
                assert!(start.elapsed() < Duration::from_secs(5));
            }
        });
        std::thread::sleep(Duration::from_millis(20));
        flag.store(true, Ordering::SeqCst);
        bell.ring();
        consumer.join().unwrap();
    }

    #[test]
    fn park_does_not_sleep_when_work_arrived_meanwhile() {
        let bell = Doorbell::new();
        bell.register_current(WaitStrategy::Park);
        let mut idler = Idler::new(WaitStrategy::Park);
        for _ in 0..SPINS_BEFORE_BACKOFF {
            idler.idle(&bell, || true);
        }
        // Past the spin budget: with work pending, idle must return without parking.
        let t = Instant::now();
        for _ in 0..100 {
            idler.idle(&bell, || true);
        }
        assert!(t.elapsed() < PARK_TIMEOUT * 50);
        assert!(!bell.sleeping.load(Ordering::SeqCst));
    }
}
