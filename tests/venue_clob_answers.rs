//! Real `POST /order` answers and refusals (tests/data/venue/clob/, provenance in its README)
//! read by the product's parser into the right values, and the simulator refusing the same
//! offences in the same words.

mod venue_clob_common;

use cassandra::clob::order::{Address, OrderType, Side};
use cassandra::exec::live::{parse_order_response, AnswerStatus, OrderAnswer};
use cassandra::feeds::json::JsonScratch;
use cassandra::sim::WalletKind;
use venue_clob_common::{px_u6, Venue};

fn data(rel: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/venue/clob/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(rel: &str) -> OrderAnswer {
    let mut json = JsonScratch::default();
    let mut body = data(rel);
    parse_order_response(&mut json, &mut body).unwrap_or_else(|| panic!("{rel} did not parse"))
}

#[test]
fn real_answers_parse_into_the_right_values() {
    let a = parse("answers/matched_fok_buy.json");
    assert!(a.accepted(200));
    assert_eq!(a.status, AnswerStatus::Matched);
    assert_eq!((a.making_e6, a.taking_e6), (999_999, 14_285_713));
    assert_eq!(a.order_id(), "0x...");
    assert!(!a.refused && !a.no_match);

    let a = parse("answers/matched_sell.json");
    assert!(a.accepted(200));
    assert_eq!(a.status, AnswerStatus::Matched);
    // A SELL gives shares (making) for pUSD (taking).
    assert_eq!((a.making_e6, a.taking_e6), (60_470_000, 786_110));
    assert_eq!(a.order_id(), "0x1baa5f3a...");

    // `success:true` with an error text is a refusal, not a fill.
    let a = parse("answers/success_true_with_error_msg.json");
    assert!(a.success && a.refused && !a.accepted(200));
    assert_eq!(a.status, AnswerStatus::None);

    let a = parse("answers/delayed.json");
    assert!(a.accepted(200));
    assert_eq!(a.status, AnswerStatus::Delayed);
    assert_eq!((a.making_e6, a.taking_e6), (0, 0));
    assert_eq!(a.order_id(), format!("0x{}", "11".repeat(32)));

    // Upper case, and `errorMsg: null` is no error.
    let a = parse("answers/live_upper_case.json");
    assert!(a.accepted(200));
    assert_eq!(a.status, AnswerStatus::Live);
    assert_eq!((a.making_e6, a.taking_e6), (2_100_000, 1_260_000));

    // The asynchronous answer: trade ids, no hashes, no status.
    let a = parse("answers/matched_trade_ids_only.json");
    assert!(a.accepted(200));
    assert_eq!(a.trade_ids, 2);
    assert_eq!(a.status, AnswerStatus::None);
    assert!(a.order_id().starts_with("0xfedcba98"));
}

#[test]
fn real_refusals_parse_as_refusals() {
    for f in [
        "market_buy_amounts",
        "use_deposit_wallet",
        "signer_not_api_key",
        "size_under_minimum",
        "marketable_buy_under_one_dollar",
        "balance_short",
        "allowance_short",
        "off_tick",
    ] {
        let a = parse(&format!("refusals/{f}.json"));
        assert!(a.refused && !a.success && !a.accepted(400), "{f}");
        assert!(
            !a.accepted(200),
            "{f}: a 200 with an error is still a refusal"
        );
        assert!(!a.no_match && !a.version_mismatch, "{f}");
    }
}

/// The wording with ids and numbers blanked: `order 0x… is invalid. Size (N) …`.
fn shape(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0' && b.get(i + 1) == Some(&b'x') {
            i += 2;
            while i < b.len() && (b[i].is_ascii_hexdigit() || b[i] == b'.') {
                i += 1;
            }
            out.push_str("0x#");
        } else if b[i].is_ascii_digit() {
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            out.push('N');
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn captured(f: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_slice(&data(&format!("refusals/{f}.json"))).unwrap();
    v["error"].as_str().unwrap().to_string()
}

#[test]
fn the_simulator_refuses_in_the_captured_words() {
    let v = Venue::start();
    let t = v.eoa_trader(0x31);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let bid = px_u6(v.book().best_bid().unwrap().price_e4);
    let mut said = Vec::new();
    // No funds yet.
    said.push((
        "balance_short",
        v.post(&t, &v.body(&t, Side::Buy, ask, 10_000_000, OrderType::Fak))
            .error(),
    ));
    v.sim.clob().deposit(&t.maker, 100_000_000);
    v.refresh(&t);
    said.push((
        "allowance_short",
        v.post(&t, &v.body(&t, Side::Buy, ask, 10_000_000, OrderType::Fak))
            .error(),
    ));
    v.sim.clob().approve(&t.maker, u64::MAX);
    v.refresh(&t);
    let maker = 9_610_000 * ask / 1_000_000;
    said.push((
        "market_buy_amounts",
        v.post(
            &t,
            &v.body_raw(&t, Side::Buy, maker, 9_610_000, OrderType::Fak),
        )
        .error(),
    ));
    said.push((
        "marketable_buy_under_one_dollar",
        v.post(
            &t,
            &v.body_raw(
                &t,
                Side::Buy,
                ask / 10_000 * 10_000,
                1_000_000,
                OrderType::Fak,
            ),
        )
        .error(),
    ));
    said.push((
        "size_under_minimum",
        v.post(&t, &v.body(&t, Side::Buy, bid, 4_000_000, OrderType::Gtc))
            .error(),
    ));
    let tick = v.tick().tick_u6();
    said.push((
        "off_tick",
        v.post(
            &t,
            &v.body_raw(
                &t,
                Side::Buy,
                10 * bid + 3 * tick,
                10_000_000,
                OrderType::Gtc,
            ),
        )
        .error(),
    ));
    // Another key's signer.
    let other = v.eoa_trader(0x32);
    let mixed = venue_clob_common::Trader {
        signer: venue_clob_common::signer(0x32),
        creds: t.creds.clone(),
        l2: t.l2.clone(),
        maker: other.maker,
        signature_type: t.signature_type,
        auth_address: t.eoa(),
    };
    said.push((
        "signer_not_api_key",
        v.post(
            &mixed,
            &v.body(&mixed, Side::Buy, ask, 5_000_000, OrderType::Fak),
        )
        .error(),
    ));
    let wallet = Address::parse_hex("0x00000000000000000000000000000000000d3b07").unwrap();
    v.sim
        .clob()
        .add_wallet(t.eoa(), wallet, WalletKind::DepositWallet);
    said.push((
        "use_deposit_wallet",
        v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak))
            .error(),
    ));
    for (f, text) in said {
        assert_eq!(
            shape(&text),
            shape(&captured(f)),
            "{f}: the simulator said {text:?}"
        );
    }
}
