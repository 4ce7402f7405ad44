//! Forecast scoring for the replay report: Brier scores with confidence intervals by window,
//! paired differences against the market, and calibration buckets with Wilson intervals.
//!
//! Decisions inside one window share its outcome, so they are not independent: every interval
//! here treats the window as the unit (the mean over windows of each window's mean score, with
//! the spread of those window means), which is honest about how few outcomes a replay has.

use serde::Serialize;

/// One scored forecast: P(UP) and whether UP won, in window `window`.
#[derive(Clone, Copy, Debug)]
pub struct Scored {
    pub window: usize,
    pub p: f64,
    pub up: bool,
}

/// A mean with a 95% interval over windows.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Interval {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    /// Windows the interval is over.
    pub windows: u32,
}

/// 1.96: the normal 95% two-sided quantile.
const Z95: f64 = 1.959963984540054;

/// Mean over windows of each window's mean of `values` (window index, value), ± 1.96 standard
/// errors of those window means. `None` without any value.
pub fn window_interval(values: &[(usize, f64)]) -> Option<Interval> {
    let mut per: std::collections::BTreeMap<usize, (f64, u32)> = Default::default();
    for &(w, v) in values {
        let e = per.entry(w).or_insert((0.0, 0));
        e.0 += v;
        e.1 += 1;
    }
    let means: Vec<f64> = per.values().map(|(s, n)| s / *n as f64).collect();
    let n = means.len();
    if n == 0 {
        return None;
    }
    let mean = means.iter().sum::<f64>() / n as f64;
    let half = if n > 1 {
        let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Z95 * (var / n as f64).sqrt()
    } else {
        0.0
    };
    Some(Interval {
        mean,
        low: mean - half,
        high: mean + half,
        windows: n as u32,
    })
}

/// Brier score over all forecasts (each decision weighs the same).
pub fn brier(s: &[Scored]) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    Some(s.iter().map(|x| sq_err(x.p, x.up)).sum::<f64>() / s.len() as f64)
}

#[inline]
pub fn sq_err(p: f64, up: bool) -> f64 {
    let o = if up { 1.0 } else { 0.0 };
    (p - o) * (p - o)
}

/// One calibration bucket: forecasts in `[from, to)`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Bucket {
    pub from: f64,
    pub to: f64,
    pub n: u32,
    pub mean_predicted: f64,
    pub realised: f64,
    /// Wilson 95% interval of the realised frequency (decisions treated as independent, so
    /// narrower than the truth when a bucket holds many decisions of few windows).
    pub realised_low: f64,
    pub realised_high: f64,
    /// Distinct windows in the bucket.
    pub windows: u32,
}

/// Ten equal buckets over [0, 1]; empty ones are left out.
pub fn calibration(s: &[Scored]) -> Vec<Bucket> {
    (0..10)
        .filter_map(|b| {
            let (from, to) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
            let inb: Vec<&Scored> = s
                .iter()
                .filter(|x| x.p >= from && (x.p < to || (b == 9 && x.p <= 1.0)))
                .collect();
            if inb.is_empty() {
                return None;
            }
            let n = inb.len() as f64;
            let k = inb.iter().filter(|x| x.up).count() as f64;
            let (low, high) = wilson(k, n);
            let mut ws: Vec<usize> = inb.iter().map(|x| x.window).collect();
            ws.sort_unstable();
            ws.dedup();
            Some(Bucket {
                from,
                to,
                n: inb.len() as u32,
                mean_predicted: inb.iter().map(|x| x.p).sum::<f64>() / n,
                realised: k / n,
                realised_low: low,
                realised_high: high,
                windows: ws.len() as u32,
            })
        })
        .collect()
}

/// Wilson score interval for k successes in n trials at 95%.
pub fn wilson(k: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brier_of_a_perfect_and_a_coin_forecast() {
        let s = [
            Scored {
                window: 0,
                p: 1.0,
                up: true,
            },
            Scored {
                window: 1,
                p: 0.5,
                up: false,
            },
        ];
        assert_eq!(brier(&s), Some(0.125));
        assert_eq!(brier(&[]), None);
    }

    #[test]
    fn intervals_are_over_window_means() {
        // Window 0 has three values averaging 1, window 1 one value of 3: mean 2 over 2 windows.
        let i = window_interval(&[(0, 0.0), (0, 1.0), (0, 2.0), (1, 3.0)]).unwrap();
        assert_eq!(i.windows, 2);
        assert!((i.mean - 2.0).abs() < 1e-12);
        // sd of {1, 3} = √2, se = 1, half-width 1.96.
        assert!((i.high - i.mean - Z95).abs() < 1e-12, "{i:?}");
    }

    #[test]
    fn wilson_matches_a_known_value() {
        // 8 of 10: (0.4902, 0.9433).
        let (l, h) = wilson(8.0, 10.0);
        assert!(
            (l - 0.4902).abs() < 1e-4 && (h - 0.9433).abs() < 1e-4,
            "{l} {h}"
        );
    }
}
