//! Hand-written SVG plots of the report: a calibration (reliability) diagram of the model(s)
//! and the market with their intervals, and the realised PnL curve. No dependencies; fixed
//! number formats so the same report gives the same bytes.

use std::fmt::Write;

use super::Analysis;

const W: f64 = 480.0;
const H: f64 = 360.0;
const PAD: f64 = 48.0;
const COLOURS: [&str; 3] = ["#d62728", "#1f77b4", "#2ca02c"];

fn header(title: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n",
        W / 2.0,
        escape(title)
    );
    let _ = writeln!(
        s,
        "<rect x=\"{PAD}\" y=\"{PAD}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>",
        W - 2.0 * PAD,
        H - 2.0 * PAD
    );
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// x, y in [0, 1] → pixels.
fn px(x: f64, y: f64) -> (f64, f64) {
    (PAD + x * (W - 2.0 * PAD), H - PAD - y * (H - 2.0 * PAD))
}

/// Reliability diagram: mean predicted P(UP) per bucket against the realised frequency, with
/// its Wilson interval, for each forecaster; the diagonal is perfect calibration.
pub fn calibration(a: &Analysis) -> String {
    let mut s = header("Calibration: predicted P(UP) vs realised (95% intervals)");
    let (x0, y0) = px(0.0, 0.0);
    let (x1, y1) = px(1.0, 1.0);
    let _ = writeln!(
        s,
        "<line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>"
    );
    for i in 0..=5 {
        let v = i as f64 / 5.0;
        let (x, y) = px(v, 0.0);
        let _ = writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v:.1}</text>",
            y + 14.0
        );
        let (x, y) = px(0.0, v);
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1}</text>",
            x - 4.0,
            y + 4.0
        );
    }
    for (k, sc) in a.forecasts.scores.iter().enumerate() {
        let c = COLOURS[k % COLOURS.len()];
        let off = (k as f64 - 1.0) * 0.006;
        let mut pts = Vec::new();
        for b in &sc.calibration {
            let (x, y) = px(b.mean_predicted + off, b.realised);
            let (_, ylo) = px(0.0, b.realised_low);
            let (_, yhi) = px(0.0, b.realised_high);
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{ylo:.1}\" x2=\"{x:.1}\" y2=\"{yhi:.1}\" stroke=\"{c}\"/>\n<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{c}\"/>"
            );
            pts.push(format!("{x:.1},{y:.1}"));
        }
        if pts.len() > 1 {
            let _ = writeln!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-opacity=\"0.6\"/>",
                pts.join(" ")
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{c}\">{} (Brier {})</text>",
            PAD + 8.0,
            PAD + 14.0 + 14.0 * k as f64,
            sc.name,
            sc.brier
                .map_or_else(|| "n/a".to_string(), |b| format!("{b:.4}"))
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Realised PnL after each settlement with a position, in recording order.
pub fn pnl_curve(a: &Analysis) -> String {
    let mut s = header("Realised PnL (USDC) by settlement");
    let c = &a.money.pnl_curve;
    if c.is_empty() {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no settled trade</text>",
            W / 2.0,
            H / 2.0
        );
        s.push_str("</svg>\n");
        return s;
    }
    let lo = c.iter().map(|p| p.1).fold(0.0f64, f64::min);
    let hi = c.iter().map(|p| p.1).fold(0.0f64, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = c.len();
    let xy = |i: usize, v: f64| px((i + 1) as f64 / n as f64, (v - lo) / span);
    let (zx0, zy) = px(0.0, (0.0 - lo) / span);
    let (zx1, _) = px(1.0, 0.0);
    let _ = writeln!(
        s,
        "<line x1=\"{zx0:.1}\" y1=\"{zy:.1}\" x2=\"{zx1:.1}\" y2=\"{zy:.1}\" stroke=\"#bbb\"/>"
    );
    let mut pts = vec![format!("{zx0:.1},{zy:.1}")];
    for (i, p) in c.iter().enumerate() {
        let (x, y) = xy(i, p.1);
        pts.push(format!("{x:.1},{y:.1}"));
    }
    let _ = writeln!(
        s,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>",
        pts.join(" ")
    );
    for (v, t) in [(lo, lo), (hi, hi)] {
        let (x, y) = px(0.0, (v - lo) / span);
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{t:+.2}</text>",
            x - 4.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\">{n} settlements; final {:+.2}</text>",
        W / 2.0,
        H - 14.0,
        c[n - 1].1
    );
    s.push_str("</svg>\n");
    s
}
