//! Replay: a recording run through the same parsers, books, engine and paper fills, on one
//! thread, in file order, with the recording's own clocks. Nothing depends on the machine's
//! timing, so the same file and configuration give the same trades every time: the backtest.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::feeds::binance::{BinanceFrame, BinanceParser};
use crate::feeds::chainlink::{ChainlinkBatch, ChainlinkFrame, ChainlinkParser};
use crate::feeds::polymarket::{PolyBatch, PolyBooks, PolyParser};
use crate::pipeline::events::{BookTop, PolyEvent, WireStamps};
use crate::pipeline::registry::AssetTable;
use crate::signal::{Engine, Input, StrategyConfig};

use super::drive::Drive;
use super::format::{Feed, Reader, RecordError, WindowLine};
use super::report::{Analysis, ReplayOptions, TradeFacts};

/// How fast to replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    /// As fast as possible (the backtest).
    Max,
    /// At the recorded pace.
    RealTime,
}

impl std::str::FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "max" => Ok(Speed::Max),
            "1x" => Ok(Speed::RealTime),
            _ => Err(format!("unknown speed {s:?}: expected max or 1x")),
        }
    }
}

/// One trade and how it ended.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Trade {
    pub strategy: &'static str,
    pub asset: String,
    pub window_start_s: u64,
    pub outcome: &'static str,
    pub wall_ms: u64,
    /// Probability of the outcome bought that the strategy traded on (the configured model).
    pub predicted: f64,
    /// The absolute model's and the market mid's probability of that outcome at the decision.
    pub p_model: Option<f64>,
    pub market_mid: Option<f64>,
    pub limit_price: f64,
    pub filled_shares: f64,
    pub tokens_received: f64,
    pub cost: f64,
    pub fee: f64,
    /// `None` while unsettled (the recording ended first).
    pub won: Option<bool>,
    pub pnl: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CalibrationBucket {
    pub from: f64,
    pub to: f64,
    pub trades: u32,
    pub mean_predicted: f64,
    pub realised: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StrategyReport {
    pub trades: u32,
    pub settled: u32,
    pub wins: u32,
    pub losses: u32,
    pub win_rate: f64,
    pub pnl_after_fees: f64,
    pub fees: f64,
    pub max_drawdown: f64,
    pub calibration: Vec<CalibrationBucket>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ReplayReport {
    pub frames: u64,
    pub parse_errors: u64,
    pub windows: u32,
    /// Windows whose strike was Binance's opening price because no reference price came
    /// within the strike grace (flagged: the market settles on its own series).
    pub strike_fallbacks: u32,
    pub settlements: u32,
    pub strategies: BTreeMap<&'static str, StrategyReport>,
    pub trades: Vec<Trade>,
    pub start_cash: f64,
    pub end_cash: f64,
    /// The honest part: every decision, forecasts against outcomes, windows, why (not).
    pub analysis: Analysis,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("line {line}: bad window: {why}")]
    Window { line: u64, why: String },
    /// Nothing to replay: an empty file is a mistake to report, not a report of zero trades.
    #[error("the recording holds no records (record one with `cassandra demo --record FILE`)")]
    Empty,
}

/// Open a recording for reading. Only a regular file is a recording: a directory or a FIFO
/// is refused here with its name rather than failing somewhere inside the replay.
pub fn open_recording(path: &std::path::Path) -> anyhow::Result<std::io::BufReader<std::fs::File>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot open recording {}: {e}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(
            "{} is not a recording: it is a {}, expected a file written by `cassandra record` or `demo --record`",
            path.display(),
            if meta.is_dir() { "directory" } else { "special file" }
        );
    }
    let f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open recording {}: {e}", path.display()))?;
    Ok(std::io::BufReader::new(f))
}

/// Length of the windows in a recording (from its first `W` line), to scale the strategy's
/// window-timing gates the way the demo did when it recorded.
pub fn window_length(input: impl BufRead) -> Option<u64> {
    Reader::new(input)
        .filter_map(Result::ok)
        .find(|r| r.feed == Feed::Window)
        .and_then(|r| serde_json::from_slice::<WindowLine>(&r.payload).ok())
        .map(|w| w.end_s - w.start_s)
}

/// Replay `input` through the engine with the recorded fees and fills at the decision.
pub fn replay(
    input: impl BufRead,
    assets: &AssetTable,
    strategy: &StrategyConfig,
    risk: &crate::risk::RiskConfig,
    speed: Speed,
) -> Result<ReplayReport, ReplayError> {
    replay_with(
        input,
        assets,
        strategy,
        risk,
        speed,
        &ReplayOptions::default(),
    )
}

/// Replay `input` through the engine, with replay-time `options` (fee override, fill latency).
pub fn replay_with(
    input: impl BufRead,
    assets: &AssetTable,
    strategy: &StrategyConfig,
    risk: &crate::risk::RiskConfig,
    speed: Speed,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayError> {
    let mut records = Reader::new(input).peekable();
    // Time comes only from the recording: its first line starts the engine's clock, so the
    // same file gives the same report on any day.
    let first_wall_ms = match records.peek() {
        Some(Ok(r)) => r.wall_ms,
        _ => 0,
    };
    let engine = Engine::new(strategy.clone(), *risk, assets, first_wall_ms);
    let mut drive = Drive::new(engine, options);
    let mut books = PolyBooks::default();
    let (mut bparser, mut pparser, mut cparser) = (
        BinanceParser::default(),
        PolyParser::default(),
        ChainlinkParser::default(),
    );
    let mut batch = PolyBatch::default();
    let mut cl = Box::<ChainlinkBatch>::default();
    let mut top = BookTop::default();
    let mut frames = 0u64;
    let mut parse_errors = 0u64;
    let mut last_tick_ms = 0u64;
    let (mut last_wall, mut last_mono) = (0u64, 0u64);
    let started = Instant::now();
    let mut first_mono: Option<u64> = None;
    let asset_name = |id: u8| {
        assets
            .get(crate::pipeline::events::AssetId(id))
            .map_or_else(|| id.to_string(), |a| a.name.clone())
    };

    for (line_no, rec) in records.enumerate() {
        let mut rec = rec?;
        let (now, wall) = (rec.mono_ns, rec.wall_ms);
        last_wall = last_wall.max(wall);
        last_mono = last_mono.max(now);
        if speed == Speed::RealTime {
            let first = *first_mono.get_or_insert(now);
            let due = Duration::from_nanos(now.saturating_sub(first));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        // The book as it stood `fill_latency_ms` after a decision: before this later record.
        drive.fill_due(now, wall.saturating_sub(1), &books);
        if wall >= last_tick_ms + 50 {
            last_tick_ms = wall;
            drive.tick(now, wall);
        }
        let stamps = WireStamps {
            read_ns: now,
            parsed_ns: now,
        };
        match rec.feed {
            Feed::Window => {
                let bad = |why: String| ReplayError::Window {
                    line: line_no as u64 + 1,
                    why,
                };
                let line: WindowLine =
                    serde_json::from_slice(&rec.payload).map_err(|e| bad(e.to_string()))?;
                drive
                    .window(&line, &mut books, asset_name, now, wall)
                    .map_err(bad)?;
            }
            Feed::Binance => {
                frames += 1;
                match bparser.parse(&mut rec.payload, assets) {
                    Ok(BinanceFrame::Tick(mut t)) => {
                        t.stamps = stamps;
                        drive.decide(Input::Spot(t), now, wall);
                    }
                    Ok(_) => {}
                    Err(_) => parse_errors += 1,
                }
            }
            Feed::Polymarket => {
                frames += 1;
                match pparser.parse(&mut rec.payload, &mut books, &mut batch) {
                    Ok(_) => {
                        for tok in batch.touched_tokens() {
                            books.books[tok.0 as usize].top(tok, &mut top);
                            top.stamps = stamps;
                            drive.decide(Input::Poly(PolyEvent::Book(top)), now, wall);
                        }
                    }
                    Err(_) => parse_errors += 1,
                }
            }
            Feed::Chainlink => {
                frames += 1;
                match cparser.parse(&mut rec.payload, assets, &mut cl) {
                    Ok(ChainlinkFrame::Prices { .. }) => {
                        for p in cl.points() {
                            let mut p = *p;
                            p.stamps = stamps;
                            drive.feed(Input::Poly(PolyEvent::Oracle(p)), now, wall);
                        }
                    }
                    Ok(_) => {}
                    Err(_) => parse_errors += 1,
                }
            }
        }
        drive.fill_due(now, wall, &books);
        drive.count_trips();
    }
    // Fills still due when the recording ended are filled on the last books; then settle what
    // the recording saw end (the engine waits for a Chainlink price at or after the end, or
    // its grace period).
    drive.fill_due(last_mono, u64::MAX, &books);
    drive.tick(last_mono, last_wall);
    drive.count_trips();
    let Drive {
        engine,
        mut col,
        fills,
        strike_fallbacks,
        windows,
        ..
    } = drive;
    col.why.strike_fallbacks = strike_fallbacks;

    let start_cash = engine.account.start_cash;
    let report_trades: Vec<Trade> = fills
        .iter()
        .map(|f| {
            let (i, r, wall, snap) = (&f.intent, &f.report, &f.wall_ms, &f.snapshot);
            let s = col
                .settlements
                .iter()
                .map(|(s, _)| s)
                .find(|s| s.asset == i.asset && s.window_start_s == i.window_start_s)
                .filter(|s| s.source != crate::signal::SettleSource::Unresolved);
            let is_up = i.outcome == crate::pipeline::events::Outcome::Up;
            let won = s.map(|s| s.up_won == is_up);
            let tokens = r.received_e6 as f64 / 1e6;
            let cost = r.cost_e6 as f64 / 1e6;
            let of = |p_up: f64| {
                p_up.is_finite()
                    .then_some(if is_up { p_up } else { 1.0 - p_up })
            };
            col.trades.push(TradeFacts {
                asset_id: i.asset.0,
                window_start_s: i.window_start_s,
                up: is_up,
                cost,
                tokens,
                fee: r.fee_e6 as f64 / 1e6,
                p_model: of(snap.p_model),
                p_market: of(snap.mid_up),
                p_traded: Some(i.fair_e6 as f64 / 1e6),
            });
            Trade {
                strategy: crate::strategy::candidate::StrategyKind::from_u8(i.strategy).name(),
                asset: asset_name(i.asset.0),
                window_start_s: i.window_start_s,
                outcome: if is_up { "up" } else { "down" },
                wall_ms: *wall,
                predicted: i.fair_e6 as f64 / 1e6,
                p_model: of(snap.p_model),
                market_mid: of(snap.mid_up),
                limit_price: i.limit_price_e4 as f64 / 1e4,
                filled_shares: r.filled_e6 as f64 / 1e6,
                tokens_received: tokens,
                cost,
                fee: r.fee_e6 as f64 / 1e6,
                won,
                pnl: won.map(|w| if w { tokens - cost } else { -cost }),
            }
        })
        .collect();
    let mut strategies = BTreeMap::new();
    for kind in crate::strategy::candidate::StrategyKind::ALL {
        let name = kind.name();
        let mine: Vec<Trade> = report_trades
            .iter()
            .filter(|t| t.strategy == name)
            .cloned()
            .collect();
        if !mine.is_empty() || strategy.enabled.contains(&kind) {
            strategies.insert(name, strategy_report(&mine, start_cash));
        }
    }
    if frames == 0 && windows == 0 {
        return Err(ReplayError::Empty);
    }
    let settlements = col.settlements.len() as u32;
    let analysis = col.finish(options, strategy.model, asset_name);
    Ok(ReplayReport {
        frames,
        parse_errors,
        windows,
        strike_fallbacks,
        settlements,
        strategies,
        trades: report_trades,
        start_cash,
        end_cash: engine.account.cash,
        analysis,
    })
}

/// A sum that starts from +0.0: `Iterator::sum` of f64 starts from −0.0, so an empty sum
/// would print as "-0.00".
fn sum(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, |a, b| a + b)
}

fn strategy_report(trades: &[Trade], start_cash: f64) -> StrategyReport {
    let settled: Vec<&Trade> = trades.iter().filter(|t| t.won.is_some()).collect();
    let wins = settled.iter().filter(|t| t.won == Some(true)).count() as u32;
    let losses = settled.len() as u32 - wins;
    let pnl = sum(settled.iter().filter_map(|t| t.pnl));
    let (mut equity, mut peak, mut dd) = (start_cash, start_cash, 0.0f64);
    for t in &settled {
        equity += t.pnl.unwrap_or(0.0);
        peak = peak.max(equity);
        if peak > 0.0 {
            dd = dd.max((peak - equity) / peak);
        }
    }
    let calibration = (0..10)
        .filter_map(|b| {
            let (from, to) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
            let inb: Vec<&&Trade> = settled
                .iter()
                .filter(|t| {
                    t.predicted >= from && (t.predicted < to || (b == 9 && t.predicted <= 1.0))
                })
                .collect();
            (!inb.is_empty()).then(|| CalibrationBucket {
                from,
                to,
                trades: inb.len() as u32,
                mean_predicted: inb.iter().map(|t| t.predicted).sum::<f64>() / inb.len() as f64,
                realised: inb.iter().filter(|t| t.won == Some(true)).count() as f64
                    / inb.len() as f64,
            })
        })
        .collect();
    StrategyReport {
        trades: trades.len() as u32,
        settled: settled.len() as u32,
        wins,
        losses,
        win_rate: if settled.is_empty() {
            0.0
        } else {
            wins as f64 / settled.len() as f64
        },
        pnl_after_fees: pnl,
        fees: sum(trades.iter().map(|t| t.fee)),
        max_drawdown: dd,
        calibration,
    }
}

impl ReplayReport {
    /// The report as JSON (pretty, deterministic field order).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("the report serializes")
    }

    /// Write `report.json`, `report.txt`, `calibration.svg` and `pnl.svg` into `dir` (created).
    pub fn write_dir(&self, dir: &std::path::Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.json"), self.to_json())?;
        std::fs::write(dir.join("report.txt"), self.render())?;
        std::fs::write(
            dir.join("calibration.svg"),
            super::report::svg::calibration(&self.analysis),
        )?;
        std::fs::write(
            dir.join("pnl.svg"),
            super::report::svg::pnl_curve(&self.analysis),
        )
    }

    pub fn render(&self) -> String {
        let mut s = format!(
            "Replayed {} frames ({} parse errors), {} windows ({} with Binance's opening price as a fallback strike), {} settlements\n",
            self.frames, self.parse_errors, self.windows, self.strike_fallbacks, self.settlements
        );
        for (name, r) in &self.strategies {
            s.push_str(&format!(
                "\n{name}: {} trades, {} settled, win rate {:.0}%, PnL after fees {:+.2} USDC (fees {:.2}), max drawdown {:.2}%\n",
                r.trades,
                r.settled,
                100.0 * r.win_rate,
                r.pnl_after_fees,
                r.fees,
                100.0 * r.max_drawdown
            ));
            if !r.calibration.is_empty() {
                s.push_str("  calibration  predicted → realised (trades)\n");
                for b in &r.calibration {
                    s.push_str(&format!(
                        "  [{:.1}, {:.1})  {:.2} → {:.2} ({})\n",
                        b.from, b.to, b.mean_predicted, b.realised, b.trades
                    ));
                }
            }
        }
        s.push_str(&format!(
            "\nCash {:.2} → {:.2}\n",
            self.start_cash, self.end_cash
        ));
        s.push_str(&super::report::text::render(&self.analysis));
        s
    }
}
