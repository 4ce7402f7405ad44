//! Hot links and taps over `rtrb` single-producer single-consumer rings.
//!
//! - A [`HotTx`] never drops: when the ring is full the producer counts one overload event
//!   and spins until the consumer makes room. Losing a tick or an order is worse than a stall,
//!   and a full hot ring means the consumer is too slow: that is what the counter tells.
//! - A [`TapTx`] feeds the control side and drops when full, counting each drop: the dashboard
//!   or the journal can never slow a hot thread.
//!
//! Both are fixed-capacity and allocate nothing after construction.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::wait::Doorbell;

/// Producer end of a hot link.
pub struct HotTx<T> {
    inner: rtrb::Producer<T>,
    full: Arc<AtomicU64>,
    bell: Arc<Doorbell>,
    alive: Arc<AtomicBool>,
}

/// Consumer end of a hot link.
pub struct HotRx<T> {
    inner: rtrb::Consumer<T>,
}

/// Create a hot link of `capacity` slots. `full` counts overload events; `bell` wakes a
/// parked consumer; the producer gives up spinning once `alive` goes false (shutdown).
pub fn hot_link<T>(
    capacity: usize,
    full: Arc<AtomicU64>,
    bell: Arc<Doorbell>,
    alive: Arc<AtomicBool>,
) -> (HotTx<T>, HotRx<T>) {
    let (p, c) = rtrb::RingBuffer::new(capacity);
    (
        HotTx {
            inner: p,
            full,
            bell,
            alive,
        },
        HotRx { inner: c },
    )
}

impl<T> HotTx<T> {
    /// Push, waiting for room if the ring is full. Returns `false` only at shutdown, when the
    /// item could not be delivered.
    #[inline]
    pub fn push(&mut self, mut item: T) -> bool {
        let mut counted = false;
        loop {
            match self.inner.push(item) {
                Ok(()) => {
                    self.bell.ring();
                    return true;
                }
                Err(rtrb::PushError::Full(back)) => {
                    item = back;
                    if !counted {
                        bump(&self.full);
                        counted = true;
                    }
                    if !self.alive.load(Ordering::Relaxed) || self.inner.is_abandoned() {
                        return false;
                    }
                    self.bell.ring();
                    std::hint::spin_loop();
                }
            }
        }
    }

    /// Free slots right now.
    pub fn slots(&self) -> usize {
        self.inner.slots()
    }
}

impl<T> HotRx<T> {
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.inner.pop().ok()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// True once the producer is gone and the ring is drained.
    pub fn is_closed(&self) -> bool {
        self.inner.is_abandoned() && self.inner.is_empty()
    }
}

/// Producer end of a tap to the control side: drop-and-count when full.
pub struct TapTx<T> {
    inner: rtrb::Producer<T>,
    dropped: Arc<AtomicU64>,
}

/// Consumer end of a tap (control side).
pub struct TapRx<T> {
    inner: rtrb::Consumer<T>,
}

pub fn tap<T>(capacity: usize, dropped: Arc<AtomicU64>) -> (TapTx<T>, TapRx<T>) {
    let (p, c) = rtrb::RingBuffer::new(capacity);
    (TapTx { inner: p, dropped }, TapRx { inner: c })
}

impl<T> TapTx<T> {
    /// Offer an item; returns `false` (and counts a drop) when the control side is behind.
    #[inline]
    pub fn offer(&mut self, item: T) -> bool {
        match self.inner.push(item) {
            Ok(()) => true,
            Err(_) => {
                bump(&self.dropped);
                false
            }
        }
    }
}

impl<T> TapRx<T> {
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.inner.pop().ok()
    }

    pub fn is_closed(&self) -> bool {
        self.inner.is_abandoned() && self.inner.is_empty()
    }
}

/// Increment a counter that has a single writer: a plain load + store, no locked instruction.
#[inline]
pub fn bump(c: &AtomicU64) {
    c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::wait::Doorbell;

    fn link<T>(cap: usize) -> (HotTx<T>, HotRx<T>, Arc<AtomicU64>, Arc<AtomicBool>) {
        let full = Arc::new(AtomicU64::new(0));
        let alive = Arc::new(AtomicBool::new(true));
        let (tx, rx) = hot_link(cap, full.clone(), Arc::new(Doorbell::new()), alive.clone());
        (tx, rx, full, alive)
    }

    #[test]
    fn hot_link_delivers_in_order_and_never_drops_when_full() {
        let (mut tx, mut rx, full, _alive) = link::<u64>(4);
        let consumer = std::thread::spawn(move || {
            let mut got = Vec::new();
            while got.len() < 10_000 {
                if let Some(v) = rx.pop() {
                    got.push(v);
                } else {
                    // Slow consumer: forces the producer to find the ring full.
                    std::thread::yield_now();
                }
            }
            got
        });
        for i in 0..10_000u64 {
            assert!(tx.push(i));
        }
        let got = consumer.join().unwrap();
        assert_eq!(got, (0..10_000).collect::<Vec<_>>());
        assert!(
            full.load(Ordering::Relaxed) > 0,
            "a 4-slot ring must have filled"
        );
    }

    #[test]
    fn hot_push_gives_up_at_shutdown() {
        let (mut tx, _rx, full, alive) = link::<u8>(1);
        assert!(tx.push(1));
        alive.store(false, Ordering::Relaxed);
        assert!(!tx.push(2));
        assert_eq!(full.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn tap_drops_and_counts_when_full() {
        let dropped = Arc::new(AtomicU64::new(0));
        let (mut tx, mut rx) = tap::<u32>(2, dropped.clone());
        assert!(tx.offer(1));
        assert!(tx.offer(2));
        assert!(!tx.offer(3));
        assert!(!tx.offer(4));
        assert_eq!(dropped.load(Ordering::Relaxed), 2);
        assert_eq!(rx.pop(), Some(1));
        assert_eq!(rx.pop(), Some(2));
        assert_eq!(rx.pop(), None);
        assert!(tx.offer(5));
        assert_eq!(rx.pop(), Some(5));
    }
}
