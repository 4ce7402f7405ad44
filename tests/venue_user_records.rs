//! The order tracker's records (`src/venue/wire.rs`): user-channel `trade` and `order` events
//! and the `GET /data/trades` page, as NautilusTrader's fixtures write them
//! (`tests/data/venue/clob/user_channel/`, not captures: see the README there), read into the
//! values the venue ledger books.

use cassandra::venue::wire::{parse_order, parse_trade, OrderState, TradeSide, TradeStatus};
use serde_json::Value;

macro_rules! record {
    ($path:literal) => {
        serde_json::from_slice::<Value>(include_bytes!(concat!(
            "data/venue/clob/user_channel/",
            $path
        )))
        .unwrap()
    };
}

#[test]
fn a_confirmed_trade_event_becomes_the_trade_the_ledger_books() {
    let t = parse_trade(&record!("trade_confirmed_nautilus.json")).unwrap();
    assert_eq!(t.id, "trade-0xfull");
    assert_eq!(
        t.order_id,
        "0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef12"
    );
    assert_eq!(
        t.token,
        "71321045679252212594626385532706912750332728571942532289631379312455583992563"
    );
    assert_eq!(
        t.market,
        "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
    );
    assert_eq!(t.side, TradeSide::Buy);
    assert_eq!((t.price_u6, t.size_u6), (500_000, 100_000_000));
    assert_eq!(t.notional_u6(), 50_000_000);
    assert_eq!(t.status, TradeStatus::Confirmed);
    assert!(t.taker, "trader_side TAKER");
    // An ISO match time is not the documented Unix seconds: read as unknown.
    assert_eq!(t.match_time_s, 0);
}

#[test]
fn a_failed_trade_event_reads_failed() {
    let t = parse_trade(&record!("trade_failed_nautilus.json")).unwrap();
    assert_eq!(t.status, TradeStatus::Failed);
    assert_eq!(t.id, "trade-0xfull");
}

#[test]
fn an_order_placement_event_reads_live_with_nothing_matched() {
    let o = parse_order(&record!("order_placement_nautilus.json")).unwrap();
    assert_eq!(
        o.id,
        "0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef12"
    );
    assert_eq!(o.state, OrderState::Live);
    assert_eq!(o.order_type, "GTC");
    assert_eq!((o.matched_u6, o.original_u6), (0, 100_000_000));
    // `associate_trades: null` is no trades, not an error.
    assert!(o.trade_ids.is_empty());
}

#[test]
fn a_trades_page_item_reads_like_the_event() {
    let page = record!("data_trades_page_nautilus.json");
    let items = page["data"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let t = parse_trade(&items[0]).unwrap();
    assert_eq!((t.price_u6, t.size_u6), (500_000, 10_000_000));
    assert_eq!(t.status, TradeStatus::Confirmed);
    assert_eq!(page["next_cursor"], "LTE=");
}

#[test]
fn a_record_missing_what_the_ledger_needs_is_refused_by_name() {
    let mut t = record!("trade_confirmed_nautilus.json");
    t.as_object_mut().unwrap().remove("size");
    let e = parse_trade(&t).unwrap_err();
    assert!(e.contains("size"), "{e}");
    let mut t = record!("trade_confirmed_nautilus.json");
    t["status"] = Value::from("SETTLED");
    assert!(parse_trade(&t).unwrap_err().contains("SETTLED"));
    t["status"] = Value::from("CONFIRMED");
    t["price"] = Value::from("0.5.0");
    assert!(parse_trade(&t).unwrap_err().contains("price"));
    let mut o = record!("order_placement_nautilus.json");
    o["status"] = Value::from(7);
    assert!(parse_order(&o).is_err());
}
