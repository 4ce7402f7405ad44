//! The journal's writer thread and the bounded channel that feeds it.
//!
//! The control loop is the only producer. [`JournalTx::send`] never blocks: on a full channel
//! the event is dropped and counted. The writer batches events into one transaction every
//! `flush_every` or `batch_max` events, whichever comes first; a failed batch is counted and
//! logged, and the writer goes on. It stops, after a last flush, when every sender is gone.
//!
//! [`DurableTx::persist`] is the other way in, for what must be on disk before it is
//! acknowledged (the kill switch): the writer commits it at once in its own transaction
//! (after what was queued before it) and answers. A `DurableTx` does not keep the writer
//! alive; once it has stopped, `persist` fails.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam::channel::{bounded, select, Receiver, Sender, TrySendError};

use super::db::Journal;
use super::record::JournalEvent;

/// Writer tuning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterConfig {
    /// Channel capacity, events (default 8192).
    pub capacity: usize,
    /// Flush when this many events are waiting (default 500).
    pub batch_max: usize,
    /// Flush at least this often while events wait (default 50 ms).
    pub flush_every: Duration,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            capacity: 8192,
            batch_max: 500,
            flush_every: Duration::from_millis(50),
        }
    }
}

/// Counters shared by the senders and the writer (and `/health`, `/metrics`).
pub use crate::telemetry::counters::JournalCounters;

/// The control loop's handle on the journal. Cloning is cheap; the writer stops when every
/// clone is dropped.
#[derive(Clone)]
pub struct JournalTx {
    tx: Sender<JournalEvent>,
    durable: Sender<DurableRequest>,
    counters: Arc<JournalCounters>,
}

/// One event to commit now, and where to say how it went.
type DurableRequest = (JournalEvent, Sender<Result<(), String>>);

/// A handle for writes that must be committed before they are acknowledged. It does not keep
/// the writer running.
#[derive(Clone)]
pub struct DurableTx {
    tx: Sender<DurableRequest>,
}

impl DurableTx {
    /// Commit `ev` in its own transaction and wait (at most `timeout`) for the commit.
    /// `Err` says why it is not on disk (write failed, writer stopped, timed out).
    pub fn persist(&self, ev: JournalEvent, timeout: Duration) -> Result<(), String> {
        let (done_tx, done_rx) = bounded(1);
        self.tx
            .send_timeout((ev, done_tx), timeout)
            .map_err(|_| "the journal writer is not running".to_string())?;
        match done_rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(_) => Err(format!(
                "the journal did not confirm the write within {} ms",
                timeout.as_millis()
            )),
        }
    }
}

impl JournalTx {
    /// Queue an event without blocking. Returns `false` when it was dropped (channel full, or
    /// the writer is gone); drops are counted.
    pub fn send(&self, ev: JournalEvent) -> bool {
        match self.tx.try_send(ev) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Events dropped so far.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    pub fn counters(&self) -> &Arc<JournalCounters> {
        &self.counters
    }

    /// A handle for writes committed before they are acknowledged.
    pub fn durable(&self) -> DurableTx {
        DurableTx {
            tx: self.durable.clone(),
        }
    }
}

/// The writer's receiving end, before its thread is started.
pub struct JournalRx {
    rx: Receiver<JournalEvent>,
    durable: Receiver<DurableRequest>,
    counters: Arc<JournalCounters>,
}

pub struct JournalWriter;

impl JournalWriter {
    /// Start the writer thread (`journal`) with the default tuning.
    pub fn spawn(journal: Journal) -> std::io::Result<(JournalTx, JoinHandle<Journal>)> {
        Self::spawn_with(journal, WriterConfig::default())
    }

    /// Start the writer thread with `cfg`. The thread hands the journal back when it stops.
    pub fn spawn_with(
        journal: Journal,
        cfg: WriterConfig,
    ) -> std::io::Result<(JournalTx, JoinHandle<Journal>)> {
        let (tx, rx) = Self::channel(cfg.capacity);
        let h = Self::start(journal, rx, cfg)?;
        Ok((tx, h))
    }

    /// The channel alone (the writer started later with [`JournalWriter::start`]).
    pub fn channel(capacity: usize) -> (JournalTx, JournalRx) {
        Self::channel_with(capacity, Arc::new(JournalCounters::default()))
    }

    /// The channel, counting into `counters` (the process's, so `/health` sees them).
    pub fn channel_with(capacity: usize, counters: Arc<JournalCounters>) -> (JournalTx, JournalRx) {
        let (tx, rx) = bounded(capacity.max(1));
        let (durable_tx, durable_rx) = bounded(64);
        counters.enabled.store(true, Ordering::SeqCst);
        (
            JournalTx {
                tx,
                durable: durable_tx,
                counters: counters.clone(),
            },
            JournalRx {
                rx,
                durable: durable_rx,
                counters,
            },
        )
    }

    /// Start the writer thread on a channel made by [`JournalWriter::channel`].
    pub fn start(
        journal: Journal,
        rx: JournalRx,
        cfg: WriterConfig,
    ) -> std::io::Result<JoinHandle<Journal>> {
        std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || run(journal, rx, cfg))
    }
}

fn run(mut journal: Journal, rx: JournalRx, cfg: WriterConfig) -> Journal {
    let batch_max = cfg.batch_max.max(1);
    let mut batch: Vec<JournalEvent> = Vec::with_capacity(batch_max);
    let mut last_flush = Instant::now();
    loop {
        let wait = cfg.flush_every.saturating_sub(last_flush.elapsed());
        let done = select! {
            recv(rx.rx) -> ev => match ev {
                Ok(ev) => {
                    batch.push(ev);
                    // Take what is already queued without waiting.
                    while batch.len() < batch_max {
                        match rx.rx.try_recv() {
                            Ok(ev) => batch.push(ev),
                            Err(_) => break,
                        }
                    }
                    false
                }
                Err(_) => true,
            },
            recv(rx.durable) -> req => {
                if let Ok((ev, done)) = req {
                    // What was queued before it goes first, so the order holds.
                    while let Ok(ev) = rx.rx.try_recv() {
                        batch.push(ev);
                    }
                    flush(&mut journal, &mut batch, &rx.counters);
                    last_flush = Instant::now();
                    let r = journal.write(&ev).map_err(|e| e.to_string());
                    match &r {
                        Ok(()) => {
                            rx.counters.written.fetch_add(1, Ordering::Relaxed);
                            rx.counters.batches.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            if let Ok(mut last) = rx.counters.last_error.lock() {
                                *last = e.clone();
                            }
                            rx.counters.failed_batches.fetch_add(1, Ordering::SeqCst);
                            tracing::error!("journal write (durable) failed: {e}");
                        }
                    }
                    let _ = done.send(r);
                }
                false
            },
            default(wait) => false,
        };
        if batch.len() >= batch_max || last_flush.elapsed() >= cfg.flush_every || done {
            flush(&mut journal, &mut batch, &rx.counters);
            last_flush = Instant::now();
        }
        if done {
            return journal;
        }
    }
}

fn flush(journal: &mut Journal, batch: &mut Vec<JournalEvent>, c: &JournalCounters) {
    if batch.is_empty() {
        return;
    }
    match journal.write_batch(batch) {
        Ok(()) => {
            c.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
            c.batches.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            if let Ok(mut last) = c.last_error.lock() {
                *last = e.to_string();
            }
            c.failed_batches.fetch_add(1, Ordering::SeqCst);
            tracing::error!(events = batch.len(), "journal write failed: {e}");
        }
    }
    batch.clear();
}
