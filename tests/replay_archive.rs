//! Real-data regression: the original system's January-2026 archive (real Binance prices, real
//! Polymarket UP trade prices, real venue resolutions), converted by `cassandra convert-archive`
//! into `tests/data/replay/archive_btc_15m_jan2026.rec` (provenance and approximations in the
//! README beside it), replayed with the default configuration and with the absolute model.
//!
//! The pinned figures are the report's: settlement agreement with the venue's resolution, and
//! the Brier scores of the models and the market over the same decisions. A change to the
//! engine, the model or the report that moves them fails here and must be explained.

use cassandra::pipeline::registry::AssetTable;
use cassandra::record::replay::{replay, ReplayReport, Speed};
use cassandra::signal::StrategyConfig;
use cassandra::strategy::anchor::FairModel;

const FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/replay/archive_btc_15m_jan2026.rec"
);

fn run(model: FairModel) -> ReplayReport {
    let f = std::fs::File::open(FILE).expect("the committed recording");
    let assets = AssetTable::from_names(&["BTC"]).unwrap();
    let cfg = StrategyConfig {
        model,
        ..Default::default()
    };
    replay(
        std::io::BufReader::new(f),
        &assets,
        &cfg,
        &Default::default(),
        Speed::Max,
    )
    .expect("replays")
}

fn brier(r: &ReplayReport, name: &str) -> f64 {
    r.analysis
        .forecasts
        .scores
        .iter()
        .find(|s| s.name == name)
        .and_then(|s| s.brier)
        .unwrap()
}

fn near(x: f64, want: f64, tol: f64) -> bool {
    (x - want).abs() <= tol
}

#[test]
fn the_archive_replays_to_its_pinned_figures() {
    let r = run(FairModel::default());
    let a = &r.analysis;
    assert_eq!(r.parse_errors, 0);
    assert_eq!((r.windows, r.settlements), (501, 500));

    // Binance's open and close standing in for the Chainlink series: 11 of 500 windows settle
    // the other way than the venue did.
    let ag = &a.agreement;
    assert_eq!(
        (
            ag.windows_with_venue_outcome,
            ag.settled_by_replay,
            ag.agree,
            ag.disagree
        ),
        (501, 500, 489, 11),
        "{ag:?}"
    );
    assert!(a
        .windows
        .iter()
        .all(|w| w.strike_source == "binance_fallback" || w.end_source == "not_settled"));

    // Model and market over the same decisions, against the venue's resolution.
    let f = &a.forecasts;
    assert_eq!((f.decisions_scored, f.windows_scored), (1152, 49));
    assert_eq!(f.outcome_source, "venue resolution");
    let (abs, anc, mkt) = (
        brier(&r, "model_absolute"),
        brier(&r, "model_anchored"),
        brier(&r, "market_mid"),
    );
    assert!(near(abs, 0.006794, 2e-6), "absolute {abs}");
    assert!(near(anc, 0.005351, 2e-6), "anchored {anc}");
    assert!(near(mkt, 0.004907, 2e-6), "market {mkt}");
    // The market is the better forecaster of the level here; anchoring closes most of the gap.
    assert!(mkt < anc && anc < abs);

    // Done-when (issue 14): the default strategy is at least as well calibrated as the market,
    // or it declines to trade, and the report says why.
    let trades = a.money.trades;
    assert!(
        anc <= mkt || trades == 0,
        "anchored {anc} vs market {mkt}, {trades} trades"
    );
    assert_eq!(trades, 0);
    assert_eq!(a.options.model_traded, "anchored");
    let text = r.render();
    assert!(text.contains("No trade: of"), "{text}");
    assert!(text.contains("the market is better calibrated"), "{text}");
    assert!(
        a.why_not.skips["edge_below_threshold"] >= 10,
        "{:?}",
        a.why_not
    );
}

#[test]
fn the_absolute_model_trades_its_disagreement_with_the_market_and_loses() {
    let r = run(FairModel::Absolute);
    let a = &r.analysis;
    // Same decisions scored, same scores: the model traded does not change the forecasts.
    assert_eq!(a.forecasts.decisions_scored, 1152);
    assert!(near(brier(&r, "model_absolute"), 0.006794, 2e-6));
    let m = &a.money;
    assert_eq!(m.trades, 25, "{}", r.render());
    assert!(r.trades.iter().all(|t| t.won == Some(false)));
    assert!(
        near(m.realised_pnl, -42.0, 1e-6) && near(m.staked, 42.0, 1e-6),
        "{m:?}"
    );
    assert_eq!(m.return_on_staked, Some(-1.0));
    // The model expected to win; the market's prices said otherwise, and were right.
    assert!(m.expected_pnl_model > 50.0, "{m:?}");
    assert!(m.expected_pnl_market < 0.0, "{m:?}");
    assert!(a.why_not.breaker_trips.contains_key("consecutive_losses"));
    // One point per window settled with a position: 25 trades in 15 windows.
    let windows_traded = a.windows.iter().filter(|w| w.trades > 0).count();
    assert_eq!((m.pnl_curve.len(), windows_traded), (15, 15));
}

#[test]
fn the_real_recording_gives_the_same_report_bytes_on_another_days_clock() {
    let today = run(FairModel::default());
    cassandra::clock::set_wall_offset_ms(-(123 * 86_400_000 + 3_600_000));
    let other = run(FairModel::default());
    cassandra::clock::set_wall_offset_ms(0);
    assert_eq!(today.to_json(), other.to_json());
    assert_eq!(today.render(), other.render());
}

#[test]
fn the_committed_recording_stays_small() {
    let len = std::fs::metadata(FILE).unwrap().len();
    assert!(len < 2_000_000, "{len} bytes");
}
