//! The strike and settlement series, end to end against the simulator: discovery reads the
//! series from Gamma, the price feed the product subscribes to (`price.crypto.twap`, 60 s) gives,
//! through the product's parser, the very strike and end price the simulated window settles on,
//! and a market that settles on another series is refused with the reason.

mod sim_common;
use sim_common as common;

use cassandra::control::discovery::{Discovery, DiscoveryError, Settlement};
use cassandra::feeds::chainlink::{ChainlinkBatch, ChainlinkFrame, ChainlinkParser, PriceChannel};
use cassandra::pipeline::control::FeeParams;
use cassandra::pipeline::events::AssetId;
use cassandra::pipeline::registry::AssetTable;
use cassandra::sim::{Series, SimAsset, SimConfig, Simulator};
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

fn sim(settlement: Series, window_secs: u64) -> Simulator {
    Simulator::start(SimConfig {
        assets: vec![SimAsset::new("BTC", 97_000.0)],
        window_secs,
        chainlink_hz: 20.0,
        settlement,
        ..SimConfig::default()
    })
    .expect("start simulator")
}

/// Every point of `channel` for btcusd the product's parser reads during `for_`, snapshot first.
fn feed_points(sim: &Simulator, channel: PriceChannel, for_: Duration) -> Vec<(u64, i64)> {
    let mut ws = ws_connect(&format!("{}/ws", sim.chainlink_ws_url()));
    send_text(
        &mut ws,
        r#"{"op":"auth","rid":"a1","auth":{"apiKey":"k","secret":"c2VjcmV0","passphrase":"p"}}"#,
    );
    let mut filter = json!({"symbol": "btcusd"});
    if channel == PriceChannel::Twap60 {
        filter["window_seconds"] = json!(60);
    }
    let sub = json!({"op": "subscribe", "rid": "s1",
        "subscriptions": [{"channel": channel.name(), "filter": filter}]});
    send_text(&mut ws, &sub.to_string());
    let assets = AssetTable::from_names(&["BTC"]).unwrap();
    let mut parser = ChainlinkParser::default();
    let mut batch = Box::<ChainlinkBatch>::default();
    let mut points = Vec::new();
    let end = Instant::now() + for_;
    while Instant::now() < end {
        let Got::Text(t) = next_text(&mut ws, Instant::now() + Duration::from_millis(500)) else {
            continue;
        };
        let mut buf = t.into_bytes();
        if let Ok(ChainlinkFrame::Prices { channel: c, .. }) =
            parser.parse(&mut buf, &assets, &mut batch)
        {
            assert_eq!(c, channel);
            points.extend(batch.points().iter().map(|p| (p.venue_ts_ms, p.price_e8)));
        }
    }
    points
}

fn first_at_or_after(points: &[(u64, i64)], ts_ms: u64) -> Option<i64> {
    points.iter().find(|p| p.0 >= ts_ms).map(|p| p.1)
}

#[test]
fn the_twap_feed_gives_the_strike_and_end_price_the_window_settles_on() {
    let sim = sim(Series::Twap60, 2);
    let points = feed_points(&sim, PriceChannel::Twap60, Duration::from_secs(5));
    let outs = sim.window_outcomes();
    let checked = outs
        .iter()
        .filter(|o| points.first().is_some_and(|p| p.0 <= o.start_s * 1000))
        .filter(|o| points.last().is_some_and(|p| p.0 >= o.end_s * 1000))
        .map(|o| {
            let strike = first_at_or_after(&points, o.start_s * 1000).expect("strike point");
            let end = first_at_or_after(&points, o.end_s * 1000).expect("end point");
            // The wire carries 8 decimals; the product reads them exactly.
            assert!(
                (strike - (o.strike * 1e8).round() as i64).abs() <= 1,
                "{o:?}"
            );
            assert!(
                (end - (o.end_price * 1e8).round() as i64).abs() <= 1,
                "{o:?}"
            );
        })
        .count();
    assert!(checked >= 1, "no settled window inside the feed: {outs:?}");
}

#[test]
fn the_spot_series_is_not_what_a_twap_market_settles_on() {
    // The same check against `price.crypto` (Pyth spot in the venue) must fail somewhere: the
    // two series differ, which is why the strike feed follows the TWAP.
    let sim = sim(Series::Twap60, 2);
    let points = feed_points(&sim, PriceChannel::Spot, Duration::from_secs(5));
    let outs = sim.window_outcomes();
    let differs = outs.iter().any(|o| {
        first_at_or_after(&points, o.start_s * 1000)
            .is_some_and(|s| (s - (o.strike * 1e8).round() as i64).abs() > 1)
    });
    assert!(
        differs,
        "spot equalled the TWAP strike in every window: {outs:?}"
    );
}

#[test]
fn discovery_reads_the_series_fees_and_price_to_beat_from_gamma() {
    let sim = sim(Series::Twap60, 900);
    let w = sim.current_window("BTC").expect("window");
    let d = Discovery::new(&sim.http_url(), &sim.http_url(), "updown-15m", 900).unwrap();
    let ok = wait_until(Duration::from_secs(3), || {
        sim.current_window("BTC")
            .is_some_and(|x| x.strike.is_some())
    });
    assert!(ok);
    let found = d
        .discover(AssetId(0), "BTC", w.start_s)
        .expect("discovered");
    assert_eq!(
        (found.up_token.as_str(), found.down_token.as_str()),
        (w.up_token.as_str(), w.down_token.as_str())
    );
    assert_eq!(
        found.rules.settlement,
        Settlement::ChainlinkTwap { lookback_s: 60 }
    );
    assert_eq!(
        found.rules.resolution_source,
        "https://data.chain.link/streams/btc-usd-twap-60s-streams"
    );
    let strike = sim.current_window("BTC").and_then(|x| x.strike).unwrap();
    // Gamma writes a JSON float; parsing it may move the last bit.
    let ptb = found.rules.price_to_beat.expect("priceToBeat");
    assert!((ptb / strike - 1.0).abs() < 1e-12, "{ptb} vs {strike}");
    assert_eq!(found.rules.final_price, None);
    assert_eq!(
        found.rules.fee_schedule,
        Some(FeeParams {
            rate: 0.07,
            exponent: 1.0,
            taker_only: true
        })
    );
    // The next window has not opened: no price to beat yet.
    let next = d.discover(AssetId(0), "BTC", w.end_s).expect("next window");
    assert_eq!(next.rules.price_to_beat, None);
}

#[test]
fn a_market_settling_on_chainlink_spot_is_refused_with_the_reason() {
    let sim = sim(Series::Spot, 900);
    let w = sim.current_window("BTC").expect("window");
    let d = Discovery::new(&sim.http_url(), &sim.http_url(), "updown-15m", 900).unwrap();
    match d.discover(AssetId(0), "BTC", w.start_s) {
        Err(DiscoveryError::Bad { why, .. }) => {
            assert!(why.contains("Chainlink spot"), "{why}");
            assert!(why.contains("btc-usd"), "{why}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn five_minute_windows_are_discovered_with_their_duration() {
    let sim = sim(Series::Twap60, 300);
    let w = sim.current_window("BTC").expect("window");
    assert_eq!(w.slug, format!("btc-updown-5m-{}", w.start_s));
    let d = Discovery::new(&sim.http_url(), &sim.http_url(), "updown-5m", 300).unwrap();
    assert_eq!(d.window_start(w.start_s + 299), w.start_s);
    let found = d
        .discover(AssetId(0), "BTC", w.start_s)
        .expect("discovered");
    assert_eq!(
        (found.slug.as_str(), found.end_s),
        (w.slug.as_str(), w.start_s + 300)
    );
    let (_, m) = http_json(&sim.http_url(), &format!("/markets/slug/{}", w.slug));
    assert_eq!(m["cryptoMarketConfig"]["duration"], "5m");
    assert_eq!(m["cryptoMarketConfig"]["id"], "btc-5m-twap-60");
    // A 15-minute discovery does not find a 5-minute market.
    let d15 = Discovery::new(&sim.http_url(), &sim.http_url(), "updown-15m", 900).unwrap();
    assert!(matches!(
        d15.discover(AssetId(0), "BTC", w.start_s),
        Err(DiscoveryError::NotFound(_))
    ));
}
