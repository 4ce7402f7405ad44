//! Lossless links: control messages (window set-up, subscriptions, order tokens) and ledger
//! events (intents, fills, settlements, breaker events), which must never be lost.
//!
//! An SPSC `rtrb` ring like the others, with one rule: [`LosslessTx::send`] never drops. When
//! the ring is full the sender counts one back-pressure event (per full episode, not per
//! spin) and waits for room, giving up only at shutdown (`alive` false) or when the receiver
//! is gone. A full lossless ring means the consumer is far behind: the counter says so, and
//! the ring is sized so that it does not happen in normal running. Telemetry and snapshots
//! go on [`super::rings::TapTx`] instead, which drops and counts.
//!
//! Fixed capacity; nothing is allocated after construction.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::rings::bump;

/// Producer end of a lossless link.
pub struct LosslessTx<T> {
    inner: rtrb::Producer<T>,
    backpressure: Arc<AtomicU64>,
    alive: Arc<AtomicBool>,
}

/// Consumer end of a lossless link.
pub struct LosslessRx<T> {
    inner: rtrb::Consumer<T>,
}

/// A lossless link of `capacity` slots. `backpressure` counts the times a sender found it
/// full; `alive` going false releases a waiting sender at shutdown.
pub fn lossless<T>(
    capacity: usize,
    backpressure: Arc<AtomicU64>,
    alive: Arc<AtomicBool>,
) -> (LosslessTx<T>, LosslessRx<T>) {
    let (p, c) = rtrb::RingBuffer::new(capacity);
    (
        LosslessTx {
            inner: p,
            backpressure,
            alive,
        },
        LosslessRx { inner: c },
    )
}

impl<T> LosslessTx<T> {
    /// Send, waiting for room when the ring is full. `false` only when the item cannot be
    /// delivered: the receiver is gone, or shutdown began while waiting.
    #[inline]
    pub fn send(&mut self, mut item: T) -> bool {
        let mut counted = false;
        loop {
            match self.inner.push(item) {
                Ok(()) => return true,
                Err(rtrb::PushError::Full(back)) => {
                    if self.inner.is_abandoned() {
                        return false;
                    }
                    if !counted {
                        bump(&self.backpressure);
                        counted = true;
                    }
                    if !self.alive.load(Ordering::Relaxed) {
                        return false;
                    }
                    item = back;
                    std::hint::spin_loop();
                }
            }
        }
    }

    /// Free slots now (for a sender that would rather defer than wait).
    pub fn room(&self) -> usize {
        self.inner.slots()
    }
}

impl<T> LosslessRx<T> {
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.inner.pop().ok()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// True once the sender is gone and the ring is drained.
    pub fn is_closed(&self) -> bool {
        self.inner.is_abandoned() && self.inner.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link<T>(
        cap: usize,
    ) -> (
        LosslessTx<T>,
        LosslessRx<T>,
        Arc<AtomicU64>,
        Arc<AtomicBool>,
    ) {
        let bp = Arc::new(AtomicU64::new(0));
        let alive = Arc::new(AtomicBool::new(true));
        let (tx, rx) = lossless(cap, bp.clone(), alive.clone());
        (tx, rx, bp, alive)
    }

    #[test]
    fn a_full_ring_holds_the_sender_back_and_loses_nothing() {
        let (mut tx, mut rx, bp, _alive) = link::<u64>(4);
        let consumer = std::thread::spawn(move || {
            let mut got = Vec::new();
            while got.len() < 20_000 {
                match rx.pop() {
                    Some(x) => got.push(x),
                    // A slow consumer: the sender must find the ring full and wait.
                    None => std::thread::yield_now(),
                }
                if got.len() % 1000 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            }
            got
        });
        for i in 0..20_000u64 {
            assert!(tx.send(i));
        }
        let got = consumer.join().unwrap();
        assert_eq!(got, (0..20_000).collect::<Vec<_>>());
        let n = bp.load(Ordering::Relaxed);
        assert!(
            n > 0,
            "a 4-slot ring under a slow consumer must have filled"
        );
        assert!(
            n <= 20_000,
            "counted once per full episode, not per spin: {n}"
        );
    }

    #[test]
    fn a_waiting_sender_is_released_at_shutdown_and_says_so() {
        let (mut tx, _rx, bp, alive) = link::<u8>(1);
        assert!(tx.send(1));
        let t = std::thread::spawn(move || tx.send(2));
        std::thread::sleep(std::time::Duration::from_millis(20));
        alive.store(false, Ordering::Relaxed);
        assert!(!t.join().unwrap(), "not delivered: must say so");
        assert_eq!(bp.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_gone_receiver_fails_the_send_instead_of_hanging() {
        let (mut tx, rx, _bp, _alive) = link::<u8>(1);
        assert!(tx.send(1));
        drop(rx);
        assert!(!tx.send(2));
    }

    #[test]
    fn closed_once_the_sender_is_gone_and_drained() {
        let (mut tx, mut rx, _bp, _alive) = link::<u8>(2);
        assert!(tx.send(9));
        drop(tx);
        assert!(!rx.is_closed());
        assert_eq!(rx.pop(), Some(9));
        assert!(rx.is_closed() && rx.is_empty());
    }
}
