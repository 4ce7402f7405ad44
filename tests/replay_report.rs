//! The honest replay report on small hand-built recordings: fills on the traded token's own book
//! and fill latency, fee override, market anchoring against the absolute model, TWAP settlement
//! pricing, the venue-resolution check, and byte-identical reports on another day's clock.
//!
//! Recordings here use the real frame shapes (a Binance combined-stream trade, Polymarket
//! `book` events, the `W` window line of `cassandra record`).

use cassandra::pipeline::control::FeeParams;
use cassandra::pipeline::registry::AssetTable;
use cassandra::record::replay::{replay_with, ReplayReport, Speed};
use cassandra::record::report::ReplayOptions;
use cassandra::signal::StrategyConfig;
use cassandra::strategy::anchor::FairModel;

const START: u64 = 1_767_000_600;
const END: u64 = START + 900;

struct Rec(String, u64);

impl Rec {
    fn new() -> Rec {
        Rec(String::new(), 1_000_000_000)
    }
    fn line(&mut self, wall_ms: u64, tag: char, payload: &str) {
        self.1 += 1_000_000;
        self.0
            .push_str(&format!("{} {wall_ms} {tag} {payload}\n", self.1));
    }
    fn window(&mut self, venue: Option<&str>, twap: Option<u32>) {
        let mut extra = String::new();
        if let Some(v) = venue {
            extra.push_str(&format!(",\"venue_outcome\":\"{v}\""));
        }
        if let Some(t) = twap {
            extra.push_str(&format!(",\"settle_twap_s\":{t}"));
        }
        self.line(
            START * 1000 - 1000,
            'W',
            &format!(
                "{{\"asset\":0,\"slug\":\"btc-updown-15m-{START}\",\"condition_id\":\"0x01\",\"start_s\":{START},\"end_s\":{END},\"up_token\":\"111\",\"down_token\":\"222\",\"tick_e4\":100,\"min_size_e6\":5000000,\"fee_rate\":0.07,\"fee_exponent\":1.0,\"fee_taker_only\":true,\"neg_risk\":false{extra}}}"
            ),
        );
    }
    fn binance(&mut self, wall_ms: u64, price: f64) {
        self.line(
            wall_ms,
            'B',
            &format!(
                "{{\"stream\":\"btcusdt@trade\",\"data\":{{\"e\":\"trade\",\"E\":{wall_ms},\"s\":\"BTCUSDT\",\"t\":{wall_ms},\"p\":\"{price:.2}\",\"q\":\"0.01\",\"T\":{wall_ms},\"m\":false,\"M\":true}}}}"
            ),
        );
    }
    fn book(&mut self, wall_ms: u64, token: &str, bid: f64, ask: f64) {
        self.line(
            wall_ms,
            'P',
            &format!(
                "{{\"event_type\":\"book\",\"asset_id\":\"{token}\",\"market\":\"0x01\",\"bids\":[{{\"price\":\"{bid:.2}\",\"size\":\"200\"}}],\"asks\":[{{\"price\":\"{ask:.2}\",\"size\":\"200\"}}],\"timestamp\":\"{wall_ms}\",\"hash\":\"\"}}"
            ),
        );
    }
}

fn at(s: u64) -> u64 {
    (START + s) * 1000
}

/// Spot wobbling around 100 000 for 40 s, both books at 0.49/0.51 (the DOWN book's ask is
/// left at a stale 0.40 to catch a fill on the wrong token), then Binance jumps 0.3% at 41 s;
/// the UP book reprices to 0.69/0.71 at 41.2 s. Ends above the strike; settles at 906 s.
fn jump_recording(venue: Option<&str>) -> String {
    let mut r = Rec::new();
    r.window(venue, None);
    for s in 0..=40 {
        r.binance(at(s), 100_000.0 + if s % 2 == 0 { 5.0 } else { -5.0 });
    }
    r.book(at(40), "111", 0.49, 0.51);
    r.book(at(40), "222", 0.38, 0.40);
    r.binance(at(41), 100_300.0);
    r.book(at(41) + 200, "111", 0.69, 0.71);
    for s in (60..=890).step_by(30) {
        r.binance(at(s), 100_300.0);
    }
    r.binance(at(906), 100_300.0);
    r.0
}

fn cfg(model: FairModel) -> StrategyConfig {
    let mut c = StrategyConfig {
        model,
        ..Default::default()
    };
    c.gates.max_prob = 1.0;
    c.gates.max_spread = 0.3;
    c
}

fn run(text: &str, c: &StrategyConfig, o: &ReplayOptions) -> ReplayReport {
    let assets = AssetTable::from_names(&["BTC"]).unwrap();
    replay_with(
        text.as_bytes(),
        &assets,
        c,
        &Default::default(),
        Speed::Max,
        o,
    )
    .unwrap()
}

#[test]
fn fills_use_the_traded_tokens_own_book_and_latency_sees_the_later_book() {
    let text = jump_recording(Some("up"));
    let now = run(&text, &cfg(FairModel::Anchored), &ReplayOptions::default());
    let a = &now.analysis;
    assert_eq!(a.money.trades, 1, "{}", now.render());
    let t = &now.trades[0];
    assert_eq!(t.outcome, "up");
    // Bought UP at its own ask (0.51), not the DOWN token's stale 0.40.
    assert!(
        (t.cost / t.filled_shares - 0.51).abs() < 1e-9,
        "{t:?}\n{}",
        now.render()
    );
    assert_eq!(t.won, Some(true));
    assert_eq!(a.windows[0].agrees_with_venue, Some(true));

    // 500 ms later the UP ask is 0.71, above the limit (ask + 2 ticks = 0.53): nothing fills.
    let late = run(
        &text,
        &cfg(FairModel::Anchored),
        &ReplayOptions {
            fill_latency_ms: 500,
            ..Default::default()
        },
    );
    assert_eq!(late.analysis.money.trades, 0, "{}", late.render());
    assert_eq!(late.analysis.why_not.intents, 1);
    assert_eq!(late.analysis.why_not.unfilled, 1);
    assert!(late.render().contains("latency 500 ms"));
}

#[test]
fn a_fee_override_replaces_the_recorded_fees() {
    let text = jump_recording(None);
    let recorded = run(&text, &cfg(FairModel::Anchored), &ReplayOptions::default());
    assert!(recorded.analysis.money.fees > 0.0, "{}", recorded.render());
    let free = run(
        &text,
        &cfg(FairModel::Anchored),
        &ReplayOptions {
            fee_override: Some(FeeParams {
                rate: 0.0,
                exponent: 1.0,
                taker_only: true,
            }),
            ..Default::default()
        },
    );
    assert_eq!(free.analysis.money.trades, 1);
    assert_eq!(free.analysis.money.fees, 0.0);
    assert!(free.analysis.options.fee_override.is_some());
    // Without a venue outcome the report says it scored against its own settlement.
    assert!(free
        .analysis
        .forecasts
        .outcome_source
        .starts_with("replay settlement"));
}

/// Binance is well above the strike before the book is first seen, and the market says 0.30 for
/// UP and stays there while Binance does not move: the absolute model disagrees with the
/// market's level and buys UP, the anchored one has nothing new to trade.
#[test]
fn anchoring_trades_moves_not_disagreements_about_the_level() {
    let mut r = Rec::new();
    r.window(Some("up"), None);
    for s in 0..=120 {
        let base = if s < 20 { 100_000.0 } else { 100_400.0 };
        r.binance(at(s), base + if s % 2 == 0 { 2.0 } else { -2.0 });
        if s >= 31 && s % 4 == 3 {
            r.book(at(s) + 1, "111", 0.29, 0.31);
            r.book(at(s) + 1, "222", 0.69, 0.71);
        }
    }
    let text = r.0;
    let abs = run(&text, &cfg(FairModel::Absolute), &ReplayOptions::default());
    let anc = run(&text, &cfg(FairModel::Anchored), &ReplayOptions::default());
    assert!(abs.analysis.money.trades >= 1, "{}", abs.render());
    assert_eq!(abs.trades[0].outcome, "up");
    assert_eq!(anc.analysis.money.trades, 0, "{}", anc.render());
    assert!(anc.analysis.why_not.skips["edge_below_threshold"] > 0);
    let d: Vec<_> = anc
        .analysis
        .decisions
        .iter()
        .filter(|d| d.wall_ms > at(40))
        .collect();
    assert!(d.len() > 50);
    for x in &d {
        let (pm, pa, mid) = (
            x.p_model.unwrap(),
            x.p_anchored.unwrap(),
            x.market_mid_up.unwrap(),
        );
        assert!(
            pm > 0.8,
            "the absolute model is far above the market: {x:?}"
        );
        assert!(
            (pa - mid).abs() < 0.05,
            "anchored stays with the market: {x:?}"
        );
    }
    assert_eq!(anc.analysis.options.model_traded, "anchored");
    assert_eq!(abs.analysis.options.model_traded, "absolute");
}

/// In the last minute of a TWAP-60 window, half the span observed below the strike: the TWAP
/// rule prices UP lower than the spot rule with the same spot above the strike.
#[test]
fn twap_windows_price_the_observed_part_of_the_average() {
    let build = |twap: Option<u32>| {
        let mut r = Rec::new();
        r.window(None, twap);
        for s in (0..=870).step_by(10) {
            let base = if s < 800 { 100_000.0 } else { 99_900.0 };
            r.binance(at(s), base + if s % 20 == 0 { 3.0 } else { -3.0 });
        }
        // Strike 100 003 (the opening price); the last 70 s sat 100 below it; at 871 s (29 s
        // left, 31 s of the span seen) the spot jumps just above it.
        r.binance(at(871), 100_030.0);
        r.0
    };
    let p_at = |rep: &ReplayReport| {
        rep.analysis
            .decisions
            .iter()
            .find(|d| d.wall_ms == at(871))
            .and_then(|d| d.p_model)
            .unwrap()
    };
    let spot = run(
        &build(None),
        &cfg(FairModel::Absolute),
        &ReplayOptions::default(),
    );
    let twap = run(
        &build(Some(60)),
        &cfg(FairModel::Absolute),
        &ReplayOptions::default(),
    );
    let (ps, pt) = (p_at(&spot), p_at(&twap));
    assert!(
        ps > 0.5,
        "spot rule: above the strike is more likely up ({ps})"
    );
    assert!(
        pt < 0.5,
        "twap rule must weigh the 31 s seen below ({pt} vs {ps})"
    );
    assert_eq!(twap.analysis.windows[0].settle_rule, "twap");
    assert_eq!(spot.analysis.windows[0].settle_rule, "spot");
}

#[test]
fn a_window_line_with_a_bad_venue_outcome_is_refused_with_its_line() {
    let mut r = Rec::new();
    r.window(Some("sideways"), None);
    let assets = AssetTable::from_names(&["BTC"]).unwrap();
    let e = replay_with(
        r.0.as_bytes(),
        &assets,
        &StrategyConfig::default(),
        &Default::default(),
        Speed::Max,
        &ReplayOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 1") && e.contains("sideways"), "{e}");
}

#[test]
fn the_same_recording_gives_the_same_report_bytes_on_another_days_clock() {
    let text = jump_recording(Some("up"));
    let render = || {
        let r = run(&text, &cfg(FairModel::Anchored), &ReplayOptions::default());
        (
            r.to_json(),
            r.render(),
            cassandra::record::report::svg::calibration(&r.analysis),
            cassandra::record::report::svg::pnl_curve(&r.analysis),
        )
    };
    let before = cassandra::clock::wall_ms();
    let today = render();
    // 400 days and 7 hours later, as far as this process's clock is concerned.
    cassandra::clock::set_wall_offset_ms((400 * 24 + 7) * 3_600_000);
    assert!(cassandra::clock::wall_ms() >= before + 400 * 86_400_000);
    let later = render();
    cassandra::clock::set_wall_offset_ms(0);
    assert_eq!(today.0, later.0, "JSON differs");
    assert_eq!(today.1, later.1, "text differs");
    assert_eq!(today.2, later.2);
    assert_eq!(today.3, later.3);
    assert!(today.2.starts_with("<svg") && today.3.contains("final +"));
}

/// A window whose end value equals its strike resolves Up, in the replay as at the venue.
#[test]
fn a_tie_settles_up() {
    let mut r = Rec::new();
    r.window(Some("up"), None);
    for s in (0..=890).step_by(10) {
        r.binance(at(s), 100_000.0);
    }
    r.binance(at(906), 100_000.0);
    let rep = run(&r.0, &cfg(FairModel::Anchored), &ReplayOptions::default());
    let w = &rep.analysis.windows[0];
    assert_eq!((w.strike, w.end_value), (Some(100_000.0), Some(100_000.0)));
    assert_eq!(w.outcome, Some("up"));
    assert_eq!(w.agrees_with_venue, Some(true));
    assert_eq!(rep.analysis.agreement.agree, 1);
}

/// With no reference price, a window settles on the last Binance price before its end, not on
/// one from after it (the next window's opening).
#[test]
fn a_stale_settlement_uses_the_last_price_before_the_end() {
    let mut r = Rec::new();
    r.window(Some("up"), None);
    for s in (0..=890).step_by(10) {
        r.binance(at(s), 100_000.0);
    }
    r.binance(at(899) + 500, 100_100.0);
    r.binance(at(901), 99_000.0);
    r.binance(at(906), 99_000.0);
    let rep = run(&r.0, &cfg(FairModel::Anchored), &ReplayOptions::default());
    let w = &rep.analysis.windows[0];
    assert_eq!(w.end_value, Some(100_100.0), "{w:?}");
    assert_eq!((w.end_source, w.outcome), ("stale", Some("up")));
}
