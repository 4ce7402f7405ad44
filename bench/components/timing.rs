//! Timing helpers shared by the component benchmarks: interleaved batches, the tables.

use std::fmt::Write as _;
use std::time::Instant;

use hdrhistogram::Histogram;

pub fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 10_000_000_000, 3).expect("bounds")
}

pub fn pct(h: &Histogram<u64>) -> (u64, u64, u64) {
    (
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
    )
}

// ---------------------------------------------------------------------------------------------
// Timing and the report
// ---------------------------------------------------------------------------------------------

/// ns per call of each of `fs`, in batches of `batch` (so the clock's own cost is
/// amortised) taken in turn, one batch of each per round: a noisy moment on the shared
/// machine then lands on every contender alike instead of on whichever ran at the time.
pub fn interleaved(batch: u32, rounds: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<Histogram<u64>> {
    for f in fs.iter_mut() {
        for _ in 0..batch.max(100) * 10 {
            f();
        }
    }
    let mut hs: Vec<Histogram<u64>> = fs.iter().map(|_| hist()).collect();
    for _ in 0..rounds {
        for (f, h) in fs.iter_mut().zip(hs.iter_mut()) {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            h.saturating_record((t.elapsed().as_nanos() / u128::from(batch)) as u64);
        }
    }
    hs
}

/// Parsers: 300 rounds of batches of 1000 frames.
pub fn per_parse(fs: &mut [&mut dyn FnMut()]) -> Vec<Histogram<u64>> {
    interleaved(1000, 300, fs)
}

/// A table of `rows` with p50, p99 and the p50 ratio to the first row.
pub fn table(md: &mut String, first_col: &str, rows: &[(&str, &Histogram<u64>)]) {
    let base_name = rows[0].0;
    let _ = writeln!(
        md,
        "| {first_col} | p50 ns | p99 ns | ratio to {base_name} (p50) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|");
    let base = pct(rows[0].1).0.max(1) as f64;
    for (name, h) in rows {
        let (p50, p99, _) = pct(h);
        let _ = writeln!(md, "| {name} | {p50} | {p99} | {:.2}× |", p50 as f64 / base);
    }
}
