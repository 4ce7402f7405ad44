//! The analysis as readable text, and the verdict lines that say in words what the numbers
//! mean (which forecaster is better calibrated, why there were no trades). Deterministic: fixed
//! formats over ordered collections.

use std::fmt::Write;

use super::{Analysis, ForecastScore};

fn f(x: Option<f64>, prec: usize) -> String {
    x.map_or_else(|| "n/a".to_string(), |v| format!("{v:.prec$}"))
}

/// Plain statements drawn from the numbers; no promise about future results.
pub fn verdict(a: &Analysis) -> Vec<String> {
    let mut v = Vec::new();
    let fc = &a.forecasts;
    let get = |n: &str| fc.scores.iter().find(|s| s.name == n).and_then(|s| s.brier);
    let (abs, anc, mkt) = (
        get("model_absolute"),
        get("model_anchored"),
        get("market_mid"),
    );
    match (abs, mkt) {
        (Some(m), Some(k)) => v.push(format!(
            "Over {} decisions in {} windows the absolute model's Brier score is {m:.4} against the market's {k:.4}: the {} is better calibrated.",
            fc.decisions_scored,
            fc.windows_scored,
            if m <= k { "model" } else { "market" }
        )),
        _ => v.push(
            "No decision had both a model price and a market mid with a known outcome: calibration cannot be compared."
                .to_string(),
        ),
    }
    if let (Some(n), Some(k)) = (anc, mkt) {
        v.push(format!(
            "The anchored model (the market's mid moved only by the unpriced Binance move) scores {n:.4} against the market's {k:.4}."
        ));
    }
    if let Some(i) = &fc.absolute_minus_market {
        if i.low > 0.0 {
            v.push(format!(
                "By window, the absolute model is worse than the market ({:+.4}, 95% interval {:+.4} to {:+.4}): trading its disagreement with the market's level is trading against the better forecaster.",
                i.mean, i.low, i.high
            ));
        }
    }
    let w = &a.why_not;
    if a.money.trades == 0 {
        let mut top: Vec<(&&str, &u32)> =
            w.skips.iter().filter(|(k, _)| **k != "no_window").collect();
        top.sort_by_key(|(k, n)| (std::cmp::Reverse(**n), **k));
        let reasons: Vec<String> = top
            .iter()
            .take(3)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        v.push(if reasons.is_empty() {
            format!("No trade: {} decisions, none inside a window.", w.decisions)
        } else {
            format!(
                "No trade: of {} decisions the commonest reasons to skip were {}; risk refusals {}, breaker trips {}; the best edge net of fees priced was {} per share ({}).",
                w.decisions,
                reasons.join(", "),
                w.risk_refusals.values().sum::<u32>(),
                w.breaker_trips.values().sum::<u32>(),
                f(w.best_edge, 4),
                w.best_edge_outcome.unwrap_or("none priced")
            )
        });
    } else {
        v.push(format!(
            "{} trades staked {:.2} USDC; realised PnL {:+.2}, expected {:+.2} by the model and {:+.2} by the market's price. Past replays promise nothing about future results.",
            a.money.trades,
            a.money.staked,
            a.money.realised_pnl,
            a.money.expected_pnl_model,
            a.money.expected_pnl_market
        ));
    }
    let ag = &a.agreement;
    if ag.windows_with_venue_outcome > 0 {
        v.push(format!(
            "Settlement agreed with the venue's resolution in {} of {} windows the replay settled ({} with a venue outcome).",
            ag.agree, ag.settled_by_replay, ag.windows_with_venue_outcome
        ));
    }
    v
}

fn score_line(out: &mut String, s: &ForecastScore) {
    let _ = writeln!(
        out,
        "  {:<15} Brier {}   by window {} [{}, {}] over {} windows",
        s.name,
        f(s.brier, 4),
        f(s.by_window.map(|i| i.mean), 4),
        f(s.by_window.map(|i| i.low), 4),
        f(s.by_window.map(|i| i.high), 4),
        s.by_window.map_or(0, |i| i.windows)
    );
}

/// The analysis as text (the decisions themselves are in the JSON only: counted here).
pub fn render(a: &Analysis) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n== Verdict");
    for l in &a.verdict {
        let _ = writeln!(s, "- {l}");
    }
    let o = &a.options;
    let _ = writeln!(
        s,
        "\n== Options\n  model traded: {}; fills: {}, latency {} ms; fees: {}",
        o.model_traded,
        o.fills_on,
        o.fill_latency_ms,
        o.fee_override.as_deref().unwrap_or("as recorded")
    );
    let fc = &a.forecasts;
    let _ = writeln!(
        s,
        "\n== Forecasts (P(UP) against the outcome; {}; {} decisions, {} windows)",
        fc.outcome_source, fc.decisions_scored, fc.windows_scored
    );
    for sc in &fc.scores {
        score_line(&mut s, sc);
    }
    for (name, i) in [
        ("absolute − market", &fc.absolute_minus_market),
        ("anchored − market", &fc.anchored_minus_market),
    ] {
        let _ = writeln!(
            s,
            "  {name}: {} [{}, {}] (per-window Brier difference; negative: model better)",
            f(i.map(|i| i.mean), 4),
            f(i.map(|i| i.low), 4),
            f(i.map(|i| i.high), 4)
        );
    }
    for sc in &fc.scores {
        if sc.calibration.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "  calibration of {}: bucket  predicted → realised [95%] (decisions/windows)",
            sc.name
        );
        for b in &sc.calibration {
            let _ = writeln!(
                s,
                "    [{:.1}, {:.1})  {:.3} → {:.3} [{:.3}, {:.3}] ({}/{})",
                b.from,
                b.to,
                b.mean_predicted,
                b.realised,
                b.realised_low,
                b.realised_high,
                b.n,
                b.windows
            );
        }
    }
    let m = &a.money;
    let _ = writeln!(
        s,
        "\n== Money\n  trades {}, staked {:.2}, fees {:.2}, realised PnL {:+.2}, return on staked {}\n  expected PnL: absolute model {:+.2}, model traded {:+.2}, market {:+.2}",
        m.trades,
        m.staked,
        m.fees,
        m.realised_pnl,
        m.return_on_staked
            .map_or_else(|| "n/a".to_string(), |r| format!("{:+.2}%", 100.0 * r)),
        m.expected_pnl_model,
        m.expected_pnl_traded,
        m.expected_pnl_market
    );
    let w = &a.why_not;
    let _ = writeln!(
        s,
        "\n== Why (not)\n  decisions {}, intents {}, unfilled {}, strike fallbacks {}, stale settlements {}, unresolved {}",
        w.decisions,
        w.intents,
        w.unfilled,
        w.strike_fallbacks,
        w.stale_settlements,
        w.unresolved_settlements
    );
    for (title, map) in [
        ("skips", &w.skips),
        ("risk refusals", &w.risk_refusals),
        ("breaker trips", &w.breaker_trips),
    ] {
        if !map.is_empty() {
            let items: Vec<String> = map.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(s, "  {title}: {}", items.join(", "));
        }
    }
    let _ = writeln!(
        s,
        "\n== Windows ({}; settlement agreed with the venue in {} of {})\n  {:<28} {:<7} {:<16} {:>12} {:>12} {:<11} {:<5} {:<5} {:>4} {:>9}",
        a.windows.len(),
        a.agreement.agree,
        a.agreement.settled_by_replay,
        "slug",
        "rule",
        "strike source",
        "strike",
        "end value",
        "end source",
        "out",
        "venue",
        "trd",
        "pnl"
    );
    for r in &a.windows {
        let _ = writeln!(
            s,
            "  {:<28} {:<7} {:<16} {:>12} {:>12} {:<11} {:<5} {:<5} {:>4} {:>+9.2}{}",
            r.slug,
            r.settle_rule,
            r.strike_source,
            f(r.strike, 2),
            f(r.end_value, 2),
            r.end_source,
            r.outcome.unwrap_or("-"),
            r.venue_outcome.unwrap_or("-"),
            r.trades,
            r.pnl,
            if r.agrees_with_venue == Some(false) {
                "  ≠ venue"
            } else {
                ""
            }
        );
    }
    s
}
