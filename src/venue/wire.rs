//! The venue's trade and order records as the tracker reads them, from the user channel's
//! `trade`/`order` events and from `GET /data/trades` / `GET /data/order/{id}` (the same
//! fields in both: polymarket.md §10.3; shapes of NautilusTrader's Polymarket fixtures, which
//! the simulator serves). Control side: these allocate. Amounts are exact decimals read into
//! micro-units; a record missing a field the ledger needs is an error naming the field.

use serde_json::Value;

use crate::feeds::decimal::parse_e6;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum TradeSide {
    Buy,
    Sell,
}

/// A trade's settlement state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum TradeStatus {
    Matched,
    Mined,
    Confirmed,
    Retrying,
    Failed,
}

impl TradeStatus {
    pub fn parse(s: &str) -> Option<TradeStatus> {
        let eq = |w: &str| s.eq_ignore_ascii_case(w);
        Some(if eq("MATCHED") {
            TradeStatus::Matched
        } else if eq("MINED") {
            TradeStatus::Mined
        } else if eq("CONFIRMED") {
            TradeStatus::Confirmed
        } else if eq("RETRYING") {
            TradeStatus::Retrying
        } else if eq("FAILED") {
            TradeStatus::Failed
        } else {
            return None;
        })
    }

    pub fn is_final(self) -> bool {
        matches!(self, TradeStatus::Confirmed | TradeStatus::Failed)
    }

    pub fn name(self) -> &'static str {
        match self {
            TradeStatus::Matched => "MATCHED",
            TradeStatus::Mined => "MINED",
            TradeStatus::Confirmed => "CONFIRMED",
            TradeStatus::Retrying => "RETRYING",
            TradeStatus::Failed => "FAILED",
        }
    }
}

/// One trade of ours.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VenueTrade {
    pub id: String,
    /// The order of ours it filled (`taker_order_id`).
    pub order_id: String,
    pub token: String,
    pub market: String,
    pub side: TradeSide,
    pub price_u6: u64,
    pub size_u6: u64,
    pub status: TradeStatus,
    /// We took liquidity (`trader_side` TAKER): the taker fee applies.
    pub taker: bool,
    /// `match_time`, Unix seconds.
    pub match_time_s: u64,
}

impl VenueTrade {
    /// pUSD of the fill: size × price, truncated to the micro-unit (as the exchange computes
    /// a fill's notional).
    pub fn notional_u6(&self) -> u64 {
        u64::try_from(u128::from(self.size_u6) * u128::from(self.price_u6) / 1_000_000)
            .unwrap_or(u64::MAX)
    }
}

/// An order's state at the venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum OrderState {
    Live,
    Delayed,
    Matched,
    Canceled,
    Unmatched,
}

impl OrderState {
    pub fn parse(s: &str) -> Option<OrderState> {
        let eq = |w: &str| s.eq_ignore_ascii_case(w);
        Some(if eq("LIVE") {
            OrderState::Live
        } else if eq("DELAYED") {
            OrderState::Delayed
        } else if eq("MATCHED") {
            OrderState::Matched
        } else if eq("CANCELED") || eq("CANCELLED") {
            OrderState::Canceled
        } else if eq("UNMATCHED") {
            OrderState::Unmatched
        } else {
            return None;
        })
    }

    /// Nothing more will match for this order.
    pub fn is_done(self) -> bool {
        !matches!(self, OrderState::Live | OrderState::Delayed)
    }
}

/// An order as `GET /data/order/{id}` (or an `order` event) shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueOrder {
    pub id: String,
    pub state: OrderState,
    pub order_type: String,
    pub matched_u6: u64,
    pub original_u6: u64,
    pub trade_ids: Vec<String>,
}

fn s<'a>(v: &'a Value, k: &'static str) -> Result<&'a str, String> {
    v.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no `{k}`"))
}

fn amount(v: &Value, k: &'static str) -> Result<u64, String> {
    let t = s(v, k)?;
    parse_e6(t.as_bytes()).ok_or_else(|| format!("`{k}` is not a decimal amount: {t:?}"))
}

/// A trade record (user channel `trade` event or a `GET /data/trades` item).
pub fn parse_trade(v: &Value) -> Result<VenueTrade, String> {
    let side = match s(v, "side")? {
        x if x.eq_ignore_ascii_case("BUY") => TradeSide::Buy,
        x if x.eq_ignore_ascii_case("SELL") => TradeSide::Sell,
        x => return Err(format!("`side` is {x:?}")),
    };
    let status = s(v, "status")?;
    Ok(VenueTrade {
        id: s(v, "id")?.to_string(),
        order_id: s(v, "taker_order_id")?.to_ascii_lowercase(),
        token: s(v, "asset_id")?.to_string(),
        market: v
            .get("market")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        side,
        price_u6: amount(v, "price")?,
        size_u6: amount(v, "size")?,
        status: TradeStatus::parse(status).ok_or_else(|| format!("`status` is {status:?}"))?,
        taker: !v
            .get("trader_side")
            .and_then(Value::as_str)
            .is_some_and(|x| x.eq_ignore_ascii_case("MAKER")),
        match_time_s: v
            .get("match_time")
            .and_then(Value::as_str)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0),
    })
}

/// An order record (`GET /data/order/{id}` or a user channel `order` event).
pub fn parse_order(v: &Value) -> Result<VenueOrder, String> {
    let status = s(v, "status")?;
    Ok(VenueOrder {
        id: s(v, "id")?.to_ascii_lowercase(),
        state: OrderState::parse(status).ok_or_else(|| format!("`status` is {status:?}"))?,
        order_type: v
            .get("order_type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        matched_u6: amount(v, "size_matched")?,
        original_u6: amount(v, "original_size")?,
        trade_ids: v
            .get("associate_trades")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_records_parse_and_bad_ones_say_why() {
        let v: Value = serde_json::from_str(
            r#"{"id":"t1","taker_order_id":"0xAB","asset_id":"7","market":"0xm","side":"BUY",
            "size":"10","price":"0.52","status":"MINED","match_time":"1700000000",
            "trader_side":"TAKER"}"#,
        )
        .unwrap();
        let t = parse_trade(&v).unwrap();
        assert_eq!(
            (t.size_u6, t.price_u6, t.notional_u6()),
            (10_000_000, 520_000, 5_200_000)
        );
        assert_eq!(t.order_id, "0xab");
        assert_eq!(t.status, TradeStatus::Mined);
        assert!(t.taker);
        let mut bad = v.clone();
        bad["size"] = Value::from("ten");
        assert!(parse_trade(&bad).unwrap_err().contains("size"));
        bad = v;
        bad["status"] = Value::from("LOST");
        assert!(parse_trade(&bad).unwrap_err().contains("LOST"));
    }
}
