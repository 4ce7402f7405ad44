//! Time sources for stage stamps.
//!
//! `mono_ns` reads `CLOCK_MONOTONIC`, which is system-wide on Linux: a stamp taken by the
//! simulator in one process compares with a stamp taken by the pipeline in another. Both
//! clocks are served by the vDSO, so reading them is not a syscall on the hot path.

/// Nanoseconds on the system monotonic clock.
#[inline]
pub fn mono_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC is always supported on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Added to the machine's wall clock by [`wall_ms`]: 0 unless a test moves the clock to prove
/// that something (a replay) does not depend on it.
static WALL_OFFSET_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Shift this process's wall clock by `offset_ms` (tests only: "the same recording on another
/// day"). Every wall-clock read in the crate goes through [`wall_ms`].
pub fn set_wall_offset_ms(offset_ms: i64) {
    WALL_OFFSET_MS.store(offset_ms, std::sync::atomic::Ordering::Relaxed);
}

/// Milliseconds since the Unix epoch (venue timestamps are in this unit).
#[inline]
pub fn wall_ms() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    now.saturating_add_signed(WALL_OFFSET_MS.load(std::sync::atomic::Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_never_goes_back() {
        let mut last = mono_ns();
        for _ in 0..10_000 {
            let now = mono_ns();
            assert!(now >= last);
            last = now;
        }
    }

    #[test]
    fn wall_clock_is_after_2025() {
        assert!(wall_ms() > 1_735_689_600_000);
    }
}
