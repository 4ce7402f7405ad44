//! The journal's writer thread and the bounded channel that feeds it.
//!
//! The control loop is the only producer. [`JournalTx::send`] never blocks: on a full channel
//! the event is dropped and counted. The writer batches events into one transaction every
//! `flush_every` or `batch_max` events, whichever comes first; a failed batch is counted and
//! logged, and the writer goes on. It stops, after a last flush, when every sender is gone.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam::channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};

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
    counters: Arc<JournalCounters>,
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
}

/// The writer's receiving end, before its thread is started.
pub struct JournalRx {
    rx: Receiver<JournalEvent>,
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
        counters.enabled.store(true, Ordering::SeqCst);
        (
            JournalTx {
                tx,
                counters: counters.clone(),
            },
            JournalRx { rx, counters },
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
        let done = match rx.rx.recv_timeout(wait) {
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
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
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
