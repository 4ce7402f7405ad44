//! HdrHistogram's percentile-distribution text format (`.hgrm`), so the benchmark's histograms
//! can be read and plotted by the usual tools (for example HdrHistogram's online plotter)
//! instead of only as our own percentile table.
//!
//! The layout follows the reference implementation's `outputPercentileDistribution`: a header,
//! one row per quantile step (value in the chosen unit, quantile, cumulative count,
//! 1/(1−quantile)), the last row without the inverse column, and a three-line footer.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

/// Quantile steps per halving of the remaining distance to 100%, as the reference tools use.
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// The distribution of `h` in `.hgrm` text. `unit_ns` divides the recorded values (ns) into
/// the unit printed, e.g. 1000.0 for microseconds; values print with three decimals.
pub fn percentile_distribution(h: &Histogram<u64>, unit_ns: f64) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total = 0u64;
    if !h.is_empty() {
        for step in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            total += step.count_since_last_iteration();
            let value = step.value_iterated_to() as f64 / unit_ns;
            let q = step.quantile_iterated_to();
            if q < 1.0 {
                let _ = writeln!(
                    out,
                    "{value:12.3} {q:2.12} {total:10} {:14.2}",
                    1.0 / (1.0 - q)
                );
            } else {
                let _ = writeln!(out, "{value:12.3} {q:2.12} {total:10}");
            }
        }
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        h.mean() / unit_ns,
        h.stdev() / unit_ns
    );
    let _ = writeln!(
        out,
        "#[Max     = {:12.3}, Total count    = {:12}]",
        h.max() as f64 / unit_ns,
        h.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        sub_buckets(h.sigfig())
    );
    out
}

/// Sub-buckets per bucket for a precision of `sigfig` significant digits: the smallest power
/// of two that holds 2 × 10^sigfig distinct values.
fn sub_buckets(sigfig: u8) -> u64 {
    (2 * 10u64.pow(sigfig as u32)).next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<f64>> {
        text.lines()
            .skip(2)
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                l.split_whitespace()
                    .map(|f| f.parse().expect("numeric field"))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn rows_climb_to_the_maximum_and_count_every_sample() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
        for v in 1..=10_000u64 {
            h.record(v * 100).unwrap(); // 100 ns .. 1 ms
        }
        let text = percentile_distribution(&h, 1000.0);
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n\n"));
        let rows = rows(&text);
        assert!(rows.len() > 20, "quantile steps: {}", rows.len());
        for pair in rows.windows(2) {
            assert!(pair[1][0] >= pair[0][0], "values climb: {pair:?}");
            assert!(pair[1][1] >= pair[0][1], "quantiles climb: {pair:?}");
            assert!(pair[1][2] >= pair[0][2], "counts climb: {pair:?}");
        }
        let last = rows.last().unwrap();
        assert_eq!(last.len(), 3, "the 100% row has no inverse column");
        assert_eq!(last[1], 1.0);
        assert_eq!(last[2], 10_000.0);
        assert!((last[0] - 1000.0).abs() < 1.0, "max ≈ 1000 µs: {}", last[0]);
        // The median row sits near 500 µs.
        let median = rows.iter().find(|r| r[1] >= 0.5).unwrap();
        assert!((median[0] - 500.0).abs() < 1.0, "p50: {}", median[0]);
        assert!(text.contains("Total count    =        10000]"));
        assert!(text.contains("SubBuckets     =         2048]"));
    }

    #[test]
    fn an_empty_histogram_is_a_header_and_footer() {
        let h = Histogram::<u64>::new_with_bounds(1, 1_000_000, 2).unwrap();
        let text = percentile_distribution(&h, 1.0);
        assert!(rows(&text).is_empty());
        assert!(text.contains("Total count    =            0]"));
        assert!(text.contains("SubBuckets     =          256]"));
    }
}
