//! `market_price_from_book` against every `market_price_from_book` vector of Polymarket's
//! clients (py-clob-client-v2 in vectors-v2.json, clob-client-v2 TS in
//! vectors-all-versions.json). The clients take levels as `/book` returns them, best level
//! LAST; our function takes them best first, so each vector's list is reversed.

mod common;

use cassandra::pipeline::events::{Level, OrderType, Side};
use cassandra::strategy::book_walk::{market_price_from_book, MarketPriceError};
use common::{all_versions_vectors, e4, e6, v2_vectors};
use serde_json::Value;

fn side_of(function: &str) -> Side {
    if function.to_ascii_lowercase().contains("buy") {
        Side::Buy
    } else {
        assert!(function.to_ascii_lowercase().contains("sell"), "{function}");
        Side::Sell
    }
}

fn order_type_of(s: &str) -> OrderType {
    match s {
        "FOK" => OrderType::Fok,
        "FAK" => OrderType::Fak,
        other => panic!("order type {other}"),
    }
}

fn run(levels_as_book: Vec<Level>, side: Side, amount: &str, ot: OrderType, expected: &Value) {
    let mut best_first = levels_as_book;
    best_first.reverse();
    let got = market_price_from_book(&best_first, side, e6(amount), ot);
    let want = if let Some(p) = expected.get("price") {
        Ok(e4(p.as_str().unwrap()))
    } else {
        // "error": "no match" (py) or "throws": "no match" (TS).
        let msg = expected
            .get("error")
            .or_else(|| expected.get("throws"))
            .and_then(Value::as_str);
        assert_eq!(msg, Some("no match"));
        Err(MarketPriceError::NoMatch)
    };
    assert_eq!(got, want, "{side:?} {amount} {ot:?} {best_first:?}");
}

#[test]
fn v2_market_price_vectors() {
    let vs = v2_vectors("market_price_from_book");
    assert_eq!(vs.len(), 10);
    for v in vs {
        let i = &v["inputs"];
        let levels = i["levels_as_returned_by_book_[price,size]"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| Level {
                price_e4: e4(l[0].as_str().unwrap()),
                size_e6: e6(l[1].as_str().unwrap()),
            })
            .collect();
        run(
            levels,
            side_of(i["function"].as_str().unwrap()),
            i["amount"].as_str().unwrap(),
            order_type_of(i["order_type"].as_str().unwrap()),
            &v["expected"],
        );
    }
}

#[test]
fn all_versions_market_price_vectors() {
    let vs = all_versions_vectors("market_price_from_book");
    assert_eq!(vs.len(), 25);
    for v in vs {
        let i = &v["inputs"];
        let levels = i["levels_as_given"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| Level {
                price_e4: e4(l["price"].as_str().unwrap()),
                size_e6: e6(l["size"].as_str().unwrap()),
            })
            .collect();
        run(
            levels,
            side_of(i["function"].as_str().unwrap()),
            i["amount"].as_str().unwrap(),
            order_type_of(i["orderType"].as_str().unwrap()),
            &v["expected"],
        );
    }
}
