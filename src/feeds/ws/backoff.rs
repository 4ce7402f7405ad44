//! Reconnect delays: exponential with jitter, so many clients dropped at once do not return
//! in lockstep (Binance allows 300 connection attempts per 5 minutes per IP).

/// Jittered exponential backoff. Delay n is uniform in [½·d, d] with d = min(max, base·2ⁿ).
#[derive(Clone, Debug)]
pub struct Backoff {
    base_ms: u64,
    max_ms: u64,
    attempt: u32,
    rng: u64,
}

impl Backoff {
    pub fn new(base_ms: u64, max_ms: u64, seed: u64) -> Self {
        Backoff {
            base_ms: base_ms.max(1),
            max_ms: max_ms.max(base_ms.max(1)),
            attempt: 0,
            rng: seed | 1,
        }
    }

    /// Delay before the next attempt, in ms; each call backs off further.
    pub fn next_delay_ms(&mut self) -> u64 {
        let d = self
            .base_ms
            .saturating_mul(1u64 << self.attempt.min(30))
            .min(self.max_ms);
        self.attempt = self.attempt.saturating_add(1);
        // xorshift64: jitter needs no cryptographic quality.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let half = d / 2;
        half + self.rng % (d - half + 1)
    }

    /// Delays taken since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// A connection proved healthy: start again from the base delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_jitter_and_caps() {
        let mut b = Backoff::new(100, 5_000, 42);
        let mut prev_cap = 0;
        for n in 0..12 {
            let cap = (100u64 << n).min(5_000);
            let d = b.next_delay_ms();
            assert!(
                d >= cap / 2 && d <= cap,
                "attempt {n}: {d} not in [{}, {cap}]",
                cap / 2
            );
            assert!(cap >= prev_cap);
            prev_cap = cap;
        }
        b.reset();
        assert!(b.next_delay_ms() <= 100);
    }

    #[test]
    fn jitter_differs_between_seeds() {
        let a: Vec<u64> = {
            let mut b = Backoff::new(1000, 60_000, 1);
            (0..6).map(|_| b.next_delay_ms()).collect()
        };
        let c: Vec<u64> = {
            let mut b = Backoff::new(1000, 60_000, 2);
            (0..6).map(|_| b.next_delay_ms()).collect()
        };
        assert_ne!(a, c);
    }
}
