//! The honest replay report: every decision (not only trades), the model's and the market's
//! forecasts scored side by side over the same decisions, each window's settlement against the
//! venue's resolution where the recording knows it, money staked and expected against realised
//! PnL, and why trades did not happen (skips by reason, risk refusals, breaker trips, fallbacks).
//!
//! Contract: built only from what the replay saw (the recording's times and contents, the
//! configuration and [`ReplayOptions`]); no clock, no randomness, ordered collections only, so
//! the same inputs give byte-identical JSON and text. Numbers that may be undefined are
//! `Option` (JSON `null`), never NaN.

pub mod stats;
pub mod svg;
pub mod text;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::pipeline::control::FeeParams;
use crate::signal::{SettleSource, Settlement, SignalSnapshot};
use crate::strategy::gates::SkipReason;

use stats::{Bucket, Interval, Scored};

/// Replay-time choices that change fills or fees (the recording itself is never changed).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReplayOptions {
    /// Use these fee parameters for every window instead of the recorded ones.
    pub fee_override: Option<FeeParams>,
    /// Fill each intent against its token's book as it stood this long after the decision
    /// (recording time); 0: the book at the decision. Fills always use the traded token's own
    /// latest book in the replay, never the other token's.
    pub fill_latency_ms: u64,
}

/// The options as the report states them.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OptionsUsed {
    pub fee_override: Option<String>,
    pub fill_latency_ms: u64,
    pub fills_on: &'static str,
    pub model_traded: &'static str,
}

fn opt(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// One decision of the engine inside a window.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DecisionRow {
    pub wall_ms: u64,
    pub asset: String,
    pub window_start_s: u64,
    pub tau_s: Option<f64>,
    pub spot: Option<f64>,
    pub strike: Option<f64>,
    /// Absolute model P(UP).
    pub p_model: Option<f64>,
    /// Market-anchored P(UP).
    pub p_anchored: Option<f64>,
    /// The book's P(UP) (mid).
    pub market_mid_up: Option<f64>,
    pub up_ask: Option<f64>,
    pub down_ask: Option<f64>,
    /// Side the edge is for.
    pub side: &'static str,
    /// Edge per share net of fees of that side under the traded model.
    pub edge: Option<f64>,
    /// `None`: an order was sent.
    pub skip: Option<&'static str>,
}

impl DecisionRow {
    pub fn from_snapshot(asset: &str, s: &SignalSnapshot) -> DecisionRow {
        let px = |e4: u32| (e4 > 0).then(|| e4 as f64 / 1e4);
        DecisionRow {
            wall_ms: s.wall_ms,
            asset: asset.to_string(),
            window_start_s: s.window_start_s,
            tau_s: opt(s.tau_s),
            spot: opt(s.spot),
            strike: opt(s.strike),
            p_model: opt(s.p_model),
            p_anchored: opt(s.p_anchored),
            market_mid_up: opt(s.mid_up),
            up_ask: px(s.up_ask_e4),
            down_ask: px(s.down_ask_e4),
            side: match s.side {
                crate::pipeline::events::Outcome::Up => "up",
                crate::pipeline::events::Outcome::Down => "down",
            },
            edge: opt(s.edge),
            skip: s.skip.map(SkipReason::name),
        }
    }
}

/// A window as the recording announced it.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowInfo {
    pub asset_id: u8,
    pub asset: String,
    pub slug: String,
    pub start_s: u64,
    pub end_s: u64,
    pub settle: &'static str,
    /// The venue's resolution, when the recording carries it.
    pub venue_up: Option<bool>,
}

/// One row of the per-window table.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WindowRow {
    pub asset: String,
    pub slug: String,
    pub start_s: u64,
    pub settle_rule: &'static str,
    /// `oracle` (the reference series), `binance_fallback`, or `none`.
    pub strike_source: &'static str,
    pub strike: Option<f64>,
    pub end_value: Option<f64>,
    /// `oracle`, `stale`, `unresolved`, or `not_settled` (the recording ended first).
    pub end_source: &'static str,
    pub outcome: Option<&'static str>,
    pub venue_outcome: Option<&'static str>,
    pub agrees_with_venue: Option<bool>,
    pub decisions: u32,
    pub trades: u32,
    pub pnl: f64,
}

/// A trade as the report scores it.
#[derive(Clone, Debug, PartialEq)]
pub struct TradeFacts {
    pub asset_id: u8,
    pub window_start_s: u64,
    pub up: bool,
    pub cost: f64,
    pub tokens: f64,
    pub fee: f64,
    /// Absolute model's and market's probability of the outcome bought, and the one traded on.
    pub p_model: Option<f64>,
    pub p_market: Option<f64>,
    pub p_traded: Option<f64>,
}

/// Score of one forecaster over the common decisions.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ForecastScore {
    pub name: &'static str,
    /// Over all scored decisions.
    pub brier: Option<f64>,
    /// Mean over windows of each window's Brier, 95% interval.
    pub by_window: Option<Interval>,
    pub calibration: Vec<Bucket>,
}

/// Forecasters against the outcome, on the same decisions.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Forecasts {
    /// Decisions with a model price, a market mid and a known outcome.
    pub decisions_scored: u32,
    pub windows_scored: u32,
    /// Where the outcome came from.
    pub outcome_source: &'static str,
    pub scores: Vec<ForecastScore>,
    /// Per-window Brier of the absolute model minus the market's (negative: model better).
    pub absolute_minus_market: Option<Interval>,
    pub anchored_minus_market: Option<Interval>,
}

/// Settlement against the venue's own resolution.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Agreement {
    pub windows_with_venue_outcome: u32,
    pub settled_by_replay: u32,
    pub agree: u32,
    pub disagree: u32,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Money {
    pub trades: u32,
    pub staked: f64,
    pub fees: f64,
    pub realised_pnl: f64,
    /// Realised PnL over money staked; `None` without a settled trade.
    pub return_on_staked: Option<f64>,
    /// Σ (P × tokens − cost) under the absolute model, under the model traded on (anchored or
    /// absolute), and under the market's mid.
    pub expected_pnl_model: f64,
    pub expected_pnl_traded: f64,
    pub expected_pnl_market: f64,
    /// (recording time, cumulative realised PnL) at each settlement with a position.
    pub pnl_curve: Vec<(u64, f64)>,
}

/// Why there were (not) trades.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct WhyNot {
    pub decisions: u32,
    pub intents: u32,
    pub skips: BTreeMap<&'static str, u32>,
    pub risk_refusals: BTreeMap<&'static str, u32>,
    pub unfilled: u32,
    pub breaker_trips: BTreeMap<&'static str, u32>,
    pub strike_fallbacks: u32,
    pub stale_settlements: u32,
    pub unresolved_settlements: u32,
    /// The best edge per share net of fees any decision priced, and what that decision did
    /// (`"traded"` or its skip reason).
    pub best_edge: Option<f64>,
    pub best_edge_outcome: Option<&'static str>,
}

/// The analysis part of the replay report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Analysis {
    pub options: OptionsUsed,
    pub verdict: Vec<String>,
    pub forecasts: Forecasts,
    pub agreement: Agreement,
    pub money: Money,
    pub why_not: WhyNot,
    pub windows: Vec<WindowRow>,
    pub decisions: Vec<DecisionRow>,
}

/// What the replay gathers as it runs.
#[derive(Default)]
pub struct Collector {
    pub windows: Vec<WindowInfo>,
    pub decisions: Vec<(u8, SignalSnapshot)>,
    pub trades: Vec<TradeFacts>,
    pub settlements: Vec<(Settlement, u64)>,
    pub why: WhyNot,
}

impl Collector {
    pub fn skip(&mut self, r: SkipReason) {
        *self.why.skips.entry(r.name()).or_default() += 1;
    }

    pub fn finish(
        self,
        options: &ReplayOptions,
        model: crate::strategy::anchor::FairModel,
        asset_name: impl Fn(u8) -> String,
    ) -> Analysis {
        let Collector {
            windows,
            decisions,
            trades,
            settlements,
            mut why,
        } = self;
        let key = |a: u8, s: u64| (a, s);
        let settled: BTreeMap<(u8, u64), &Settlement> = settlements
            .iter()
            .map(|(s, _)| (key(s.asset.0, s.window_start_s), s))
            .collect();
        let venue: BTreeMap<(u8, u64), bool> = windows
            .iter()
            .filter_map(|w| w.venue_up.map(|v| (key(w.asset_id, w.start_s), v)))
            .collect();
        // The truth for scoring: the venue's resolution where known, else the replay's own.
        let truth = |a: u8, s: u64| -> Option<bool> {
            venue.get(&key(a, s)).copied().or_else(|| {
                settled
                    .get(&key(a, s))
                    .filter(|x| x.source != SettleSource::Unresolved)
                    .map(|x| x.up_won)
            })
        };
        let outcome_source = if venue.is_empty() {
            "replay settlement (the recording carries no venue resolution)"
        } else if windows.iter().all(|w| w.venue_up.is_some()) {
            "venue resolution"
        } else {
            "venue resolution where recorded, else replay settlement"
        };

        // Window index for the interval grouping, in announcement order.
        let widx: BTreeMap<(u8, u64), usize> = windows
            .iter()
            .enumerate()
            .map(|(i, w)| (key(w.asset_id, w.start_s), i))
            .collect();
        let (mut abs, mut anc, mut mkt) = (Vec::new(), Vec::new(), Vec::new());
        let (mut d_abs, mut d_anc) = (Vec::new(), Vec::new());
        for (a, s) in &decisions {
            let (Some(up), Some(&w)) = (
                truth(*a, s.window_start_s),
                widx.get(&key(*a, s.window_start_s)),
            ) else {
                continue;
            };
            if !(s.p_model.is_finite() && s.mid_up.is_finite()) {
                continue;
            }
            let p_anc = if s.p_anchored.is_finite() {
                s.p_anchored
            } else {
                s.mid_up
            };
            abs.push(Scored {
                window: w,
                p: s.p_model,
                up,
            });
            anc.push(Scored {
                window: w,
                p: p_anc,
                up,
            });
            mkt.push(Scored {
                window: w,
                p: s.mid_up,
                up,
            });
            let m = stats::sq_err(s.mid_up, up);
            d_abs.push((w, stats::sq_err(s.p_model, up) - m));
            d_anc.push((w, stats::sq_err(p_anc, up) - m));
        }
        let score = |name, s: &[Scored]| ForecastScore {
            name,
            brier: stats::brier(s),
            by_window: stats::window_interval(
                &s.iter()
                    .map(|x| (x.window, stats::sq_err(x.p, x.up)))
                    .collect::<Vec<_>>(),
            ),
            calibration: stats::calibration(s),
        };
        let mut ws: Vec<usize> = mkt.iter().map(|x| x.window).collect();
        ws.dedup();
        ws.sort_unstable();
        ws.dedup();
        let forecasts = Forecasts {
            decisions_scored: mkt.len() as u32,
            windows_scored: ws.len() as u32,
            outcome_source,
            scores: vec![
                score("model_absolute", &abs),
                score("model_anchored", &anc),
                score("market_mid", &mkt),
            ],
            absolute_minus_market: stats::window_interval(&d_abs),
            anchored_minus_market: stats::window_interval(&d_anc),
        };

        // Per-window table and agreement.
        let mut agreement = Agreement::default();
        let mut pnl_by: BTreeMap<(u8, u64), (u32, f64)> = BTreeMap::new();
        for t in &trades {
            pnl_by
                .entry(key(t.asset_id, t.window_start_s))
                .or_default()
                .0 += 1;
        }
        for (s, _) in &settlements {
            pnl_by
                .entry(key(s.asset.0, s.window_start_s))
                .or_default()
                .1 += s.pnl;
        }
        let mut dec_by: BTreeMap<(u8, u64), u32> = BTreeMap::new();
        for (a, s) in &decisions {
            *dec_by.entry(key(*a, s.window_start_s)).or_default() += 1;
        }
        let updown = |u: bool| if u { "up" } else { "down" };
        let rows: Vec<WindowRow> = windows
            .iter()
            .map(|w| {
                let k = key(w.asset_id, w.start_s);
                let s = settled.get(&k);
                let decided = s.filter(|s| s.source != SettleSource::Unresolved);
                let outcome = decided.map(|s| s.up_won);
                if w.venue_up.is_some() {
                    agreement.windows_with_venue_outcome += 1;
                }
                let agrees = match (outcome, w.venue_up) {
                    (Some(o), Some(v)) => {
                        agreement.settled_by_replay += 1;
                        if o == v {
                            agreement.agree += 1;
                        } else {
                            agreement.disagree += 1;
                        }
                        Some(o == v)
                    }
                    _ => None,
                };
                let (n_trades, pnl) = pnl_by.get(&k).copied().unwrap_or_default();
                WindowRow {
                    asset: w.asset.clone(),
                    slug: w.slug.clone(),
                    start_s: w.start_s,
                    settle_rule: w.settle,
                    strike_source: match s {
                        Some(s) if s.strike.is_finite() => {
                            if s.strike_fallback {
                                "binance_fallback"
                            } else {
                                "oracle"
                            }
                        }
                        _ => "none",
                    },
                    strike: s.and_then(|s| opt(s.strike)),
                    end_value: s.and_then(|s| opt(s.end_price)),
                    end_source: s.map_or("not_settled", |s| s.source.name()),
                    outcome: outcome.map(updown),
                    venue_outcome: w.venue_up.map(updown),
                    agrees_with_venue: agrees,
                    decisions: dec_by.get(&k).copied().unwrap_or(0),
                    trades: n_trades,
                    pnl,
                }
            })
            .collect();
        for (s, _) in &settlements {
            match s.source {
                SettleSource::Stale => why.stale_settlements += 1,
                SettleSource::Unresolved => why.unresolved_settlements += 1,
                SettleSource::Oracle => {}
            }
        }

        // Money.
        let staked: f64 = trades.iter().map(|t| t.cost).sum::<f64>() + 0.0;
        let mut realised = 0.0;
        let mut curve = Vec::new();
        for (s, wall) in &settlements {
            if s.winning_tokens > 0.0 || s.pnl != 0.0 {
                realised += s.pnl;
                curve.push((*wall, realised));
            }
        }
        let exp = |f: fn(&TradeFacts) -> Option<f64>| {
            trades
                .iter()
                .map(|t| f(t).map_or(0.0, |p| p * t.tokens - t.cost))
                .fold(0.0, |a, b| a + b)
        };
        let money = Money {
            trades: trades.len() as u32,
            staked,
            fees: trades.iter().map(|t| t.fee).fold(0.0, |a, b| a + b),
            realised_pnl: realised,
            return_on_staked: (staked > 0.0 && !curve.is_empty()).then(|| realised / staked),
            expected_pnl_model: exp(|t| t.p_model),
            expected_pnl_traded: exp(|t| t.p_traded),
            expected_pnl_market: exp(|t| t.p_market),
            pnl_curve: curve,
        };
        why.decisions = decisions.len() as u32;
        for (_, d) in &decisions {
            if d.edge.is_finite() && why.best_edge.is_none_or(|b| d.edge > b) {
                why.best_edge = Some(d.edge);
                why.best_edge_outcome = Some(d.skip.map_or("traded", SkipReason::name));
            }
        }
        let decisions: Vec<DecisionRow> = decisions
            .iter()
            .map(|(a, s)| DecisionRow::from_snapshot(&asset_name(*a), s))
            .collect();
        let options = OptionsUsed {
            fee_override: options.fee_override.map(|f| {
                format!(
                    "rate {} exponent {} taker_only {}",
                    f.rate, f.exponent, f.taker_only
                )
            }),
            fill_latency_ms: options.fill_latency_ms,
            fills_on: "the traded token's own book in the replay",
            model_traded: model.name(),
        };
        let mut a = Analysis {
            options,
            verdict: Vec::new(),
            forecasts,
            agreement,
            money,
            why_not: why,
            windows: rows,
            decisions,
        };
        a.verdict = text::verdict(&a);
        a
    }
}
