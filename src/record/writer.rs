//! The recorder thread (control side): drains the ingest threads' record taps and the windows
//! discovery found, and appends them to the recording in read-stamp order.
//!
//! Frames from the two ingest threads arrive on separate rings; each batch (every 50 ms) is
//! sorted by read stamp before it is written, so the file is in time order except for frames
//! delayed more than one batch (replay processes the file in file order either way).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{mono_ns, wall_ms};
use crate::control::discovery::DiscoveredWindow;
use crate::pipeline::shared::Shared;

use super::format::{write_record, Feed, WindowLine};
use super::tap::RecordRx;

pub struct Recorder {
    out: BufWriter<File>,
    taps: Vec<RecordRx>,
    windows: crossbeam::channel::Receiver<(u64, DiscoveredWindow)>,
    /// (mono_ns, wall_ms) at start: converts read stamps to wall time.
    origin: (u64, u64),
}

impl Recorder {
    /// Create the recording file; an existing file is never overwritten.
    pub fn create(
        path: &Path,
        taps: Vec<RecordRx>,
        windows: crossbeam::channel::Receiver<(u64, DiscoveredWindow)>,
    ) -> anyhow::Result<Recorder> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot create recording {}: {e}", path.display()))?;
        Ok(Recorder {
            out: BufWriter::with_capacity(1 << 20, file),
            taps,
            windows,
            origin: (mono_ns(), wall_ms()),
        })
    }

    fn wall_of(&self, mono: u64) -> u64 {
        let (m0, w0) = self.origin;
        if mono >= m0 {
            w0 + (mono - m0) / 1_000_000
        } else {
            w0.saturating_sub((m0 - mono) / 1_000_000)
        }
    }

    fn drain(&mut self, batch: &mut Vec<(u64, Feed, Vec<u8>)>) -> std::io::Result<usize> {
        let mut buf = Vec::new();
        for tap in &mut self.taps {
            while let Some((feed, read_ns)) = tap.next(&mut buf) {
                batch.push((read_ns, feed, std::mem::take(&mut buf)));
            }
        }
        while let Ok((at_ns, w)) = self.windows.try_recv() {
            let line = serde_json::to_vec(&WindowLine::from(&w)).unwrap_or_default();
            batch.push((at_ns, Feed::Window, line));
        }
        batch.sort_by_key(|(ns, _, _)| *ns);
        let n = batch.len();
        for (ns, feed, payload) in batch.drain(..) {
            let wall = self.wall_of(ns);
            write_record(&mut self.out, ns, wall, feed, &payload)?;
        }
        Ok(n)
    }

    /// Run until the pipeline stops; the last frames are written and the file flushed.
    pub fn run(mut self, shared: Arc<Shared>) {
        let mut batch = Vec::new();
        loop {
            let running = shared.is_running();
            if let Err(e) = self.drain(&mut batch) {
                tracing::error!("recording stopped: {e}");
                return;
            }
            if !running {
                let _ = self.drain(&mut batch);
                let _ = self.out.flush();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
