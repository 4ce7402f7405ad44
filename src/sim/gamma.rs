//! Gamma API documents for the simulator's windows: the event and market JSON of
//! `GET /events/slug/{slug}` and `GET /markets/slug/{slug}`, and the dates in them.
//!
//! Markets carry the fields of the real capture `tests/data/venue/gamma/market_btc_updown_5m_twap.json`
//! (2026-08-22): `cryptoMarketConfig` and `resolutionSource` naming the series the window settles
//! on, `feeSchedule`, numeric tick and minimum size, JSON-encoded `outcomes`/`clobTokenIds`. Events
//! add `eventMetadata.priceToBeat` once the window has opened and its strike is known, and
//! `finalPrice` once it settled (shape from `docs/venue/polymarket.md` §6; no public capture).

use super::clob::FeeSchedule;
use super::windows::{Series, Window};
use crate::calendar::{clock_et, full_name, iso_utc, MONTHS};
use serde_json::{json, Value};

/// "Bitcoin Up or Down - November 24, 5:15PM-5:30PM ET"
pub fn title(symbol: &str, start_s: u64, end_s: u64) -> String {
    let (_, m, d, from) = clock_et(start_s as i64);
    let (_, _, _, to) = clock_et(end_s as i64);
    format!(
        "{} Up or Down - {} {d}, {from}-{to} ET",
        full_name(symbol),
        MONTHS[(m as usize + 11) % 12]
    )
}

/// `cryptoMarketConfig` and `resolutionSource` of a window's series, as the venue writes them.
pub fn series_fields(asset: &str, duration: &str, series: Series) -> (Value, String) {
    let a = asset.to_ascii_lowercase();
    match series {
        Series::Twap60 => (
            json!({
                "id": format!("{a}-{duration}-twap-60"),
                "asset": a,
                "duration": duration,
                "twapEnabled": true,
                "twapLookbackSeconds": 60,
            }),
            format!("https://data.chain.link/streams/{a}-usd-twap-60s-streams"),
        ),
        Series::Spot => (
            json!({
                "id": format!("{a}-{duration}"),
                "asset": a,
                "duration": duration,
                "twapEnabled": false,
            }),
            format!("https://data.chain.link/streams/{a}-usd"),
        ),
    }
}

/// Gamma market JSON of a window; `up_price` is the UP token's current price.
/// `fees`: the schedule the simulated CLOB charges, published as `feeSchedule`.
pub fn market_json(w: &Window, up_price: f64, closed: bool, fees: &FeeSchedule) -> Value {
    let v = &w.view;
    let name = full_name(&v.asset);
    let up = format!("{:.3}", up_price.clamp(0.0, 1.0));
    let up = up.trim_end_matches('0').trim_end_matches('.').to_string();
    let down = format!("{:.3}", (1.0 - up_price).clamp(0.0, 1.0));
    let down = down.trim_end_matches('0').trim_end_matches('.').to_string();
    let duration = v.slug.split('-').nth(2).unwrap_or("15m");
    let (config, source) = series_fields(&v.asset, duration, w.series);
    let rule = match w.series {
        Series::Twap60 => "the time-weighted average price (TWAP) of",
        Series::Spot => "the",
    };
    json!({
        "id": w.market_id.to_string(),
        "conditionId": v.condition_id,
        "questionID": v.question_id,
        "slug": v.slug,
        "question": title(&v.asset, v.start_s, v.end_s),
        "startDate": iso_utc(v.start_s.saturating_sub(86_400)),
        "endDate": iso_utc(v.end_s),
        "eventStartTime": iso_utc(v.start_s),
        "outcomes": "[\"Up\", \"Down\"]",
        "outcomePrices": format!("[\"{up}\", \"{down}\"]"),
        "clobTokenIds": format!("[\"{}\", \"{}\"]", v.up_token, v.down_token),
        "orderPriceMinTickSize": 0.01,
        "orderMinSize": 5,
        "negRisk": false,
        "enableOrderBook": true,
        "acceptingOrders": !closed,
        "active": true,
        "closed": closed,
        "description": format!(
            "This market will resolve to \"Up\" if {rule} {name} price at the end of the time range specified in the title is greater than or equal to the price at the beginning of that range. Otherwise, it will resolve to \"Down\".\nThe resolution source for this market is information from Chainlink, specifically {source}.",
        ),
        "resolutionSource": source,
        "cryptoMarketConfig": config,
        "feeSchedule": fees.gamma_fee_schedule(),
        "makerBaseFee": 1000,
        "takerBaseFee": 1000,
        "version": "v1",
    })
}

/// Gamma event JSON of a window (one market per event). `now_s`: the price to beat is published
/// only once the window has opened.
pub fn event_json(
    w: &Window,
    up_price: f64,
    closed: bool,
    now_s: u64,
    fees: &FeeSchedule,
) -> Value {
    let v = &w.view;
    let mut ev = json!({
        "id": w.event_id.to_string(),
        "slug": v.slug,
        "title": title(&v.asset, v.start_s, v.end_s),
        "startDate": iso_utc(v.start_s.saturating_sub(86_400)),
        "endDate": iso_utc(v.end_s),
        "startTime": iso_utc(v.start_s),
        "active": true,
        "closed": closed,
        "markets": [market_json(w, up_price, closed, fees)],
    });
    if let Some(strike) = v.strike.filter(|_| now_s >= v.start_s) {
        let mut meta = json!({"priceToBeat": strike});
        if let Some(end) = v.end_price {
            meta["finalPrice"] = json!(end);
        }
        ev["eventMetadata"] = meta;
    }
    ev
}

/// Parse `{asset}-updown-{label}-{start}`: any label is accepted (the simulator's windows may
/// be shorter than 15 minutes).
pub fn parse_slug(slug: &str) -> Option<(String, u64)> {
    let mut parts = slug.split('-');
    let asset = parts.next()?;
    if parts.next()? != "updown" {
        return None;
    }
    let _label = parts.next()?;
    let start = parts.next()?.parse().ok()?;
    if parts.next().is_some() || asset.is_empty() {
        return None;
    }
    Some((asset.to_ascii_uppercase(), start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{civil_from_days, days_from_civil};

    #[test]
    fn dates() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_795_558_500), "2026-11-24T22:15:00Z");
        assert_eq!(days_from_civil(2026, 11, 24), 20_781);
        assert_eq!(civil_from_days(20_781), (2026, 11, 24));
        // November 24 2026 is EST (UTC-5): 22:15Z is 5:15PM.
        assert_eq!(
            title("BTC", 1_795_558_500, 1_795_559_400),
            "Bitcoin Up or Down - November 24, 5:15PM-5:30PM ET"
        );
        // April 29 2026 is EDT (UTC-4): 13:00Z is 9:00AM.
        let apr = days_from_civil(2026, 4, 29) as u64 * 86_400 + 13 * 3600;
        assert_eq!(
            title("ETH", apr, apr + 900),
            "Ethereum Up or Down - April 29, 9:00AM-9:15AM ET"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(
            parse_slug("btc-updown-15m-1795558500"),
            Some(("BTC".into(), 1_795_558_500))
        );
        assert_eq!(parse_slug("eth-updown-5m-900"), Some(("ETH".into(), 900)));
        assert_eq!(parse_slug("btc-up-15m-900"), None);
        assert_eq!(parse_slug("btc-updown-15m-x"), None);
        assert_eq!(parse_slug("btc-updown-15m-900-1"), None);
    }
}
