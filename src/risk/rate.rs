//! A fixed ring of timestamps answering "how many events in the last span?" in O(1).
//!
//! It keeps the newest [`RATE_RING`] stamps; asking whether `n` events fall within a span
//! looks at the stamp `n` back from the newest. No allocation.

/// Stamps kept: the most any count limit may be.
pub const RATE_RING: usize = 1024;

#[derive(Clone, Copy, Debug)]
pub struct StampRing {
    stamps: [u64; RATE_RING],
    /// Where the next stamp goes.
    next: usize,
    /// Stamps recorded, saturating at `RATE_RING`.
    len: usize,
}

impl Default for StampRing {
    fn default() -> Self {
        StampRing {
            stamps: [0; RATE_RING],
            next: 0,
            len: 0,
        }
    }
}

impl StampRing {
    #[inline]
    pub fn push(&mut self, t: u64) {
        self.stamps[self.next] = t;
        self.next = (self.next + 1) % RATE_RING;
        self.len = (self.len + 1).min(RATE_RING);
    }

    /// Whether at least `n` stamps lie in `(now − span, now]`. `n` is clamped to the ring.
    #[inline]
    pub fn at_least(&self, n: usize, span: u64, now: u64) -> bool {
        if n == 0 {
            return true;
        }
        let n = n.min(RATE_RING);
        if self.len < n {
            return false;
        }
        // The n-th newest stamp.
        let i = (self.next + RATE_RING - n) % RATE_RING;
        now.saturating_sub(self.stamps[i]) < span
    }

    /// Stamps in `(now − span, now]`, counting at most `cap` back from the newest.
    #[inline]
    pub fn count_within(&self, span: u64, now: u64, cap: usize) -> usize {
        let mut c = 0;
        for k in 1..=self.len.min(cap).min(RATE_RING) {
            let i = (self.next + RATE_RING - k) % RATE_RING;
            if now.saturating_sub(self.stamps[i]) < span {
                c += 1;
            } else {
                break;
            }
        }
        c
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_the_span() {
        let mut r = StampRing::default();
        for t in [100, 200, 300, 400] {
            r.push(t);
        }
        assert!(r.at_least(3, 250, 400));
        assert!(!r.at_least(4, 250, 400));
        assert_eq!(r.count_within(250, 400, 10), 3);
        r.clear();
        assert!(!r.at_least(1, 1000, 400));
    }

    #[test]
    fn wraps_around() {
        let mut r = StampRing::default();
        for t in 0..(RATE_RING as u64 * 2) {
            r.push(t);
        }
        let now = RATE_RING as u64 * 2 - 1;
        assert!(r.at_least(RATE_RING, RATE_RING as u64, now));
        assert!(!r.at_least(RATE_RING, RATE_RING as u64 - 1, now));
    }
}
