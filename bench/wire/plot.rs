//! SVG plots of the wire-to-wire distributions (plotters, no font files needed).
//!
//! - `wire_percentiles_<rate>.svg`: latency against percentile, the usual HdrHistogram view
//!   (x is −log10(1−q), so 90%, 99%, 99.9% are evenly spaced), one line per variant and the
//!   kernel loopback round trip as the floor.
//! - `wire_p50_vs_rate.svg`, `wire_p99_vs_rate.svg`: each variant against the feed rate the
//!   simulator actually sent, where the knee shows.

use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;
use plotters::prelude::*;

use super::report::rate_label;
use super::run::{RunResult, Variant};

fn err(e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow::anyhow!("plot: {e:?}")
}

/// (x, µs) points of a percentile curve up to 99.9%.
fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    (0..=300)
        .map(|i| {
            let x = i as f64 / 100.0;
            let quantile = 1.0 - 10f64.powf(-x);
            (x, h.value_at_quantile(quantile).max(1) as f64 / 1000.0)
        })
        .collect()
}

fn span_of(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        (1.0, 10.0)
    } else {
        ((lo * 0.8).max(0.01), hi * 1.25)
    }
}

fn percentiles_plot(
    path: &Path,
    title: &str,
    lines: &[(String, Vec<(f64, f64)>)],
) -> anyhow::Result<()> {
    let (lo, hi) = span_of(lines.iter().flat_map(|(_, p)| p.iter().map(|&(_, y)| y)));
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..3.05f64, (lo..hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("tick-to-trade, µs (log)")
        .x_labels(7)
        .x_label_formatter(&|x| pct_label(*x))
        .y_labels(12)
        .y_label_formatter(&|y| num_label(*y))
        .draw()
        .map_err(err)?;
    for (i, (name, pts)) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// `x` = −log10(1−q) as a percentile label: 0 → 0%, 1 → 90%, 2 → 99%, 3 → 99.9%.
fn pct_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-x));
    let s = format!("{p:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// A latency in µs with as many digits as it needs.
fn num_label(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn rate_plot(path: &Path, title: &str, lines: &[(String, Vec<(f64, f64)>)]) -> anyhow::Result<()> {
    let (ylo, yhi) = span_of(lines.iter().flat_map(|(_, p)| p.iter().map(|&(_, y)| y)));
    let (xlo, xhi) = span_of(lines.iter().flat_map(|(_, p)| p.iter().map(|&(x, _)| x)));
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("Binance frames/s sent by the simulator (log)")
        .y_desc("tick-to-trade, µs (log)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_labels(12)
        .y_label_formatter(&|y| num_label(*y))
        .draw()
        .map_err(err)?;
    for (i, (name, pts)) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Write every plot under `dir`; returns their paths.
pub fn write_plots(
    dir: &Path,
    results: &[RunResult],
    rtt: &Histogram<u64>,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut rates: Vec<f64> = results.iter().map(|r| r.rate_hz).collect();
    rates.dedup();
    for &rate in &rates {
        let mut lines: Vec<(String, Vec<(f64, f64)>)> = results
            .iter()
            .filter(|r| r.rate_hz == rate && !r.wire.is_empty())
            .map(|r| (r.variant.label().to_string(), curve(&r.wire)))
            .collect();
        if lines.is_empty() {
            continue;
        }
        lines.push(("kernel loopback round trip".into(), curve(rtt)));
        let label = rate_label(rate);
        let path = dir.join(format!("wire_percentiles_{}.svg", label.replace("/s", "")));
        percentiles_plot(
            &path,
            &format!("Wire-to-wire tick-to-trade at {label} (venue-measured)"),
            &lines,
        )?;
        written.push(path);
    }
    let mut variants: Vec<Variant> = Vec::new();
    for r in results {
        if !variants.contains(&r.variant) {
            variants.push(r.variant);
        }
    }
    for (name, quantile) in [("p50", 0.5), ("p99", 0.99)] {
        let lines: Vec<(String, Vec<(f64, f64)>)> = variants
            .iter()
            .map(|&v| {
                let mut pts: Vec<(f64, f64)> = results
                    .iter()
                    .filter(|r| r.variant == v && !r.wire.is_empty() && r.sent_per_s > 0.0)
                    .map(|r| {
                        (
                            r.sent_per_s,
                            r.wire.value_at_quantile(quantile).max(1) as f64 / 1000.0,
                        )
                    })
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                (v.label().to_string(), pts)
            })
            .filter(|(_, p)| !p.is_empty())
            .collect();
        if lines.is_empty() {
            continue;
        }
        let path = dir.join(format!("wire_{name}_vs_rate.svg"));
        rate_plot(
            &path,
            &format!("Wire-to-wire tick-to-trade {name} against feed rate"),
            &lines,
        )?;
        written.push(path);
    }
    Ok(written)
}
