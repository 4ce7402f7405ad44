//! Raw frames from the ingest threads to the recorder, over an SPSC byte ring.
//!
//! The frame is copied before it is parsed (parsing rewrites the buffer in place) as a small
//! header plus the payload. The copy is one memcpy into preallocated ring memory; when the ring
//! lacks room the frame is dropped and counted: recording never slows an ingest thread.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::pipeline::rings::bump;

use super::format::Feed;

/// feed (1) + payload length (4) + read stamp (8).
const HEADER: usize = 13;

pub struct RecordTx {
    ring: rtrb::Producer<u8>,
    dropped: Arc<AtomicU64>,
}

pub struct RecordRx {
    ring: rtrb::Consumer<u8>,
}

/// A byte ring of `capacity` bytes; `dropped` counts frames that did not fit.
pub fn record_tap(capacity: usize, dropped: Arc<AtomicU64>) -> (RecordTx, RecordRx) {
    let (p, c) = rtrb::RingBuffer::new(capacity);
    (RecordTx { ring: p, dropped }, RecordRx { ring: c })
}

/// Write `src` at offset `at` of a chunk made of the two ring halves `a` then `b`.
fn write_at(a: &mut [u8], b: &mut [u8], at: usize, src: &[u8]) {
    let in_a = a.len().saturating_sub(at).min(src.len());
    let a_at = at.min(a.len());
    a[a_at..a_at + in_a].copy_from_slice(&src[..in_a]);
    let rest = &src[in_a..];
    let b_at = (at + in_a).saturating_sub(a.len());
    b[b_at..b_at + rest.len()].copy_from_slice(rest);
}

impl RecordTx {
    /// Copy one frame in; `false` (counted) if the recorder is behind.
    #[inline]
    pub fn offer(&mut self, feed: Feed, read_ns: u64, payload: &[u8]) -> bool {
        let total = HEADER + payload.len();
        let Ok(mut chunk) = self.ring.write_chunk(total) else {
            bump(&self.dropped);
            return false;
        };
        let mut header = [0u8; HEADER];
        header[0] = feed as u8;
        header[1..5].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        header[5..13].copy_from_slice(&read_ns.to_le_bytes());
        let (a, b) = chunk.as_mut_slices();
        write_at(a, b, 0, &header);
        write_at(a, b, HEADER, payload);
        chunk.commit_all();
        true
    }
}

impl RecordRx {
    /// Take the next complete frame, if any, into `out` (cleared first).
    pub fn next(&mut self, out: &mut Vec<u8>) -> Option<(Feed, u64)> {
        if self.ring.slots() < HEADER {
            return None;
        }
        let mut header = [0u8; HEADER];
        {
            let chunk = self.ring.read_chunk(HEADER).ok()?;
            let (a, b) = chunk.as_slices();
            header[..a.len()].copy_from_slice(a);
            header[a.len()..].copy_from_slice(b);
            // Not consumed yet: the frame is taken as a whole below.
        }
        let len = u32::from_le_bytes(header[1..5].try_into().ok()?) as usize;
        let read_ns = u64::from_le_bytes(header[5..13].try_into().ok()?);
        let chunk = self.ring.read_chunk(HEADER + len).ok()?;
        let (a, b) = chunk.as_slices();
        out.clear();
        out.extend_from_slice(a);
        out.extend_from_slice(b);
        out.drain(..HEADER);
        chunk.commit_all();
        Some((Feed::from_u8(header[0])?, read_ns))
    }

    pub fn is_abandoned(&self) -> bool {
        self.ring.is_abandoned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_cross_in_order_including_around_the_wrap() {
        let dropped = Arc::new(AtomicU64::new(0));
        let (mut tx, mut rx) = record_tap(1000, dropped.clone());
        let mut out = Vec::new();
        for i in 0..500u64 {
            let payload = format!(
                "{{\"i\":{i},\"pad\":\"{}\"}}",
                "x".repeat((i % 37) as usize)
            );
            assert!(tx.offer(Feed::Binance, i, payload.as_bytes()));
            let (feed, ns) = rx.next(&mut out).unwrap();
            assert_eq!((feed, ns), (Feed::Binance, i));
            assert_eq!(out, payload.as_bytes());
        }
        assert!(rx.next(&mut out).is_none());
        assert_eq!(dropped.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn a_full_ring_drops_and_counts() {
        let dropped = Arc::new(AtomicU64::new(0));
        let (mut tx, mut rx) = record_tap(64, dropped.clone());
        assert!(tx.offer(Feed::Polymarket, 1, &[b'a'; 40]));
        assert!(!tx.offer(Feed::Polymarket, 2, &[b'b'; 40]));
        assert_eq!(dropped.load(std::sync::atomic::Ordering::Relaxed), 1);
        let mut out = Vec::new();
        assert_eq!(rx.next(&mut out), Some((Feed::Polymarket, 1)));
        assert_eq!(out.len(), 40);
    }
}
