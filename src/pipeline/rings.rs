//! Hot links and taps over `rtrb` single-producer single-consumer rings.
//!
//! - A [`HotTx`] never drops: when the ring is full the producer counts one overload event
//!   and spins until the consumer makes room. Losing a tick or an order is worse than a stall,
//!   and a full hot ring means the consumer is too slow: that is what the counter tells.
//! - A [`TapTx`] feeds the control side and drops when full, counting each drop: the dashboard
//!   or the journal can never slow a hot thread.
//!
//! Both are fixed-capacity and allocate nothing after construction. A hot link can also be
//! built over a bounded crossbeam channel or std's `sync_channel` ([`RingKind`]): those exist
//! so the benchmark measures the pipeline end to end with the usual alternatives in place of
//! rtrb, in the same binary and the same run. The product runs on rtrb.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::wait::Doorbell;

/// The queue under the hot links.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RingKind {
    /// `rtrb`: wait-free SPSC ring (the product).
    #[default]
    Rtrb,
    /// `crossbeam::channel::bounded` (MPMC), a benchmark baseline.
    Crossbeam,
    /// `std::sync::mpsc::sync_channel` (MPSC), a benchmark baseline.
    StdMpsc,
}

impl RingKind {
    pub fn name(self) -> &'static str {
        match self {
            RingKind::Rtrb => "rtrb",
            RingKind::Crossbeam => "crossbeam",
            RingKind::StdMpsc => "std-mpsc",
        }
    }
}

enum Sender<T> {
    Rtrb(rtrb::Producer<T>),
    Crossbeam(crossbeam::channel::Sender<T>),
    Std(std::sync::mpsc::SyncSender<T>),
}

enum Receiver<T> {
    Rtrb(rtrb::Consumer<T>),
    Crossbeam(crossbeam::channel::Receiver<T>),
    Std(std::sync::mpsc::Receiver<T>),
}

/// Why a push did not go in.
enum Refused<T> {
    Full(T),
    Closed,
}

impl<T> Sender<T> {
    #[inline]
    fn try_push(&mut self, item: T) -> Result<(), Refused<T>> {
        match self {
            Sender::Rtrb(p) => match p.push(item) {
                Ok(()) => Ok(()),
                Err(rtrb::PushError::Full(back)) if p.is_abandoned() => {
                    drop(back);
                    Err(Refused::Closed)
                }
                Err(rtrb::PushError::Full(back)) => Err(Refused::Full(back)),
            },
            Sender::Crossbeam(s) => s.try_send(item).map_err(|e| match e {
                crossbeam::channel::TrySendError::Full(back) => Refused::Full(back),
                crossbeam::channel::TrySendError::Disconnected(_) => Refused::Closed,
            }),
            Sender::Std(s) => s.try_send(item).map_err(|e| match e {
                std::sync::mpsc::TrySendError::Full(back) => Refused::Full(back),
                std::sync::mpsc::TrySendError::Disconnected(_) => Refused::Closed,
            }),
        }
    }
}

/// Producer end of a hot link.
pub struct HotTx<T> {
    inner: Sender<T>,
    full: Arc<AtomicU64>,
    bell: Arc<Doorbell>,
    alive: Arc<AtomicBool>,
}

/// Consumer end of a hot link.
pub struct HotRx<T> {
    inner: Receiver<T>,
    /// An item taken off a channel to answer `is_empty` (channels cannot peek); rtrb never
    /// uses it.
    peeked: Cell<Option<T>>,
}

/// Create a hot link of `capacity` slots on rtrb. `full` counts overload events; `bell`
/// wakes a parked consumer; the producer gives up spinning once `alive` goes false (shutdown).
pub fn hot_link<T>(
    capacity: usize,
    full: Arc<AtomicU64>,
    bell: Arc<Doorbell>,
    alive: Arc<AtomicBool>,
) -> (HotTx<T>, HotRx<T>) {
    hot_link_on(RingKind::Rtrb, capacity, full, bell, alive)
}

/// [`hot_link`] over the queue `kind`.
pub fn hot_link_on<T>(
    kind: RingKind,
    capacity: usize,
    full: Arc<AtomicU64>,
    bell: Arc<Doorbell>,
    alive: Arc<AtomicBool>,
) -> (HotTx<T>, HotRx<T>) {
    let (tx, rx) = match kind {
        RingKind::Rtrb => {
            let (p, c) = rtrb::RingBuffer::new(capacity);
            (Sender::Rtrb(p), Receiver::Rtrb(c))
        }
        RingKind::Crossbeam => {
            let (s, r) = crossbeam::channel::bounded(capacity);
            (Sender::Crossbeam(s), Receiver::Crossbeam(r))
        }
        RingKind::StdMpsc => {
            let (s, r) = std::sync::mpsc::sync_channel(capacity);
            (Sender::Std(s), Receiver::Std(r))
        }
    };
    (
        HotTx {
            inner: tx,
            full,
            bell,
            alive,
        },
        HotRx {
            inner: rx,
            peeked: Cell::new(None),
        },
    )
}

impl<T> HotTx<T> {
    /// Push, waiting for room if the ring is full. Returns `false` only at shutdown, when the
    /// item could not be delivered.
    #[inline]
    pub fn push(&mut self, mut item: T) -> bool {
        let mut counted = false;
        loop {
            match self.inner.try_push(item) {
                Ok(()) => {
                    self.bell.ring();
                    return true;
                }
                Err(Refused::Closed) => return false,
                Err(Refused::Full(back)) => {
                    item = back;
                    if !counted {
                        bump(&self.full);
                        counted = true;
                    }
                    if !self.alive.load(Ordering::Relaxed) {
                        return false;
                    }
                    self.bell.ring();
                    std::hint::spin_loop();
                }
            }
        }
    }
}

/// What a channel's non-blocking receive saw.
enum Polled<T> {
    Item(T),
    Empty,
    Closed,
}

impl<T> HotRx<T> {
    #[inline]
    fn poll(&self) -> Polled<T> {
        match &self.inner {
            Receiver::Rtrb(_) => Polled::Empty,
            Receiver::Crossbeam(r) => match r.try_recv() {
                Ok(x) => Polled::Item(x),
                Err(crossbeam::channel::TryRecvError::Empty) => Polled::Empty,
                Err(crossbeam::channel::TryRecvError::Disconnected) => Polled::Closed,
            },
            Receiver::Std(r) => match r.try_recv() {
                Ok(x) => Polled::Item(x),
                Err(std::sync::mpsc::TryRecvError::Empty) => Polled::Empty,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => Polled::Closed,
            },
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if let Receiver::Rtrb(c) = &mut self.inner {
            return c.pop().ok();
        }
        if let Some(x) = self.peeked.take() {
            return Some(x);
        }
        match self.poll() {
            Polled::Item(x) => Some(x),
            Polled::Empty | Polled::Closed => None,
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        if let Receiver::Rtrb(c) = &self.inner {
            return c.is_empty();
        }
        !matches!(self.fill_peek(), Polled::Item(()))
    }

    /// Make sure an item waits in `peeked` if the channel has one; says what it found.
    fn fill_peek(&self) -> Polled<()> {
        if let Some(x) = self.peeked.take() {
            self.peeked.set(Some(x));
            return Polled::Item(());
        }
        match self.poll() {
            Polled::Item(x) => {
                self.peeked.set(Some(x));
                Polled::Item(())
            }
            Polled::Empty => Polled::Empty,
            Polled::Closed => Polled::Closed,
        }
    }

    /// True once the producer is gone and the ring is drained.
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Receiver::Rtrb(c) => c.is_abandoned() && c.is_empty(),
            _ => matches!(self.fill_peek(), Polled::Closed),
        }
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

    /// Free slots now: a producer that must not lose an item checks this before it commits
    /// to the action the item describes (the live order path's hand-off, `exec::notes`).
    #[inline]
    pub fn free(&self) -> usize {
        self.inner.slots()
    }
}

impl<T> TapRx<T> {
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.inner.pop().ok()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
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

    const KINDS: [RingKind; 3] = [RingKind::Rtrb, RingKind::Crossbeam, RingKind::StdMpsc];

    fn link<T>(
        kind: RingKind,
        cap: usize,
    ) -> (HotTx<T>, HotRx<T>, Arc<AtomicU64>, Arc<AtomicBool>) {
        let full = Arc::new(AtomicU64::new(0));
        let alive = Arc::new(AtomicBool::new(true));
        let bell = Arc::new(Doorbell::new());
        let (tx, rx) = hot_link_on(kind, cap, full.clone(), bell, alive.clone());
        (tx, rx, full, alive)
    }

    #[test]
    fn hot_link_delivers_in_order_and_never_drops_when_full() {
        for kind in KINDS {
            let (mut tx, mut rx, full, _alive) = link::<u64>(kind, 4);
            let consumer = std::thread::spawn(move || {
                let mut got = Vec::new();
                while got.len() < 10_000 {
                    // Asking whether the link is empty must never lose or reorder an item.
                    if !rx.is_empty() && !rx.is_empty() {
                        got.push(rx.pop().expect("not empty"));
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
            assert_eq!(got, (0..10_000).collect::<Vec<_>>(), "{kind:?}");
            assert!(
                full.load(Ordering::Relaxed) > 0,
                "{kind:?}: a 4-slot ring must have filled"
            );
        }
    }

    #[test]
    fn hot_push_gives_up_at_shutdown() {
        for kind in KINDS {
            let (mut tx, _rx, full, alive) = link::<u8>(kind, 1);
            assert!(tx.push(1));
            alive.store(false, Ordering::Relaxed);
            assert!(!tx.push(2), "{kind:?}");
            assert_eq!(full.load(Ordering::Relaxed), 1, "{kind:?}");
        }
    }

    #[test]
    fn a_link_whose_producer_is_gone_closes_once_drained() {
        for kind in KINDS {
            let (mut tx, mut rx, _full, _alive) = link::<u8>(kind, 4);
            assert!(tx.push(7));
            drop(tx);
            assert!(!rx.is_closed(), "{kind:?}: an item is still waiting");
            assert_eq!(rx.pop(), Some(7), "{kind:?}");
            assert!(rx.is_empty() && rx.is_closed(), "{kind:?}");
        }
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
