//! A presigned order and one signed on the spot for the same request differ only in salt,
//! timestamp and signature; a presigned order is handed out once.

use cassandra::clob::order::{Chain, OrderVersion, SignatureType};
use cassandra::clob::sign::{OrderSigner, PrivateKey};
use cassandra::exec::ladder::{lot_size_for, OrderLadder};
use cassandra::exec::orders::{build_buy, Account, SaltSource, TokenOrderInfo};
use cassandra::pipeline::events::{OrderType, TokenId};

// The public anvil/hardhat key #0 (also in Polymarket's own test vectors).
const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const TOKEN: &str = "71321045679252212594626385532706912750332728571942532289631379312455583992563";

fn setup() -> (OrderSigner, Account, TokenOrderInfo) {
    let key = PrivateKey::parse_hex(KEY).unwrap();
    let signer = OrderSigner::new(key.clone(), Chain::Polygon);
    let account = Account {
        maker: key.address(),
        signature_type: SignatureType::Eoa,
        version: OrderVersion::V2,
    };
    let info = TokenOrderInfo::from_window(TOKEN, 100, false, 5_000_000).unwrap();
    (signer, account, info)
}

fn without_unique_fields(body: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(body).unwrap();
    let o = v["order"].as_object_mut().unwrap();
    for k in ["salt", "timestamp", "signature"] {
        assert!(o.remove(k).is_some(), "{k} missing");
    }
    v
}

#[test]
fn presigned_and_on_the_spot_orders_differ_only_in_salt_timestamp_signature() {
    let (signer, account, info) = setup();
    let mut scratch = Vec::new();
    let mut salts = SaltSource::new(1_800_000_000_000, 1);
    let size = lot_size_for(5.0, 5200);
    let early = build_buy(
        &signer,
        &account,
        "api-key",
        &info,
        TokenId(3),
        5200,
        size,
        OrderType::Fak,
        salts.next_salt(),
        1_800_000_000_000,
        &mut scratch,
    )
    .unwrap();
    let late = build_buy(
        &signer,
        &account,
        "api-key",
        &info,
        TokenId(3),
        5200,
        size,
        OrderType::Fak,
        salts.next_salt(),
        1_800_000_030_000,
        &mut scratch,
    )
    .unwrap();
    assert_ne!(early.bytes(), late.bytes());
    assert_eq!(
        without_unique_fields(early.bytes()),
        without_unique_fields(late.bytes())
    );
    // 5 USDC at 0.52 is 9.61 shares (the lot is 0.01). A FAK carries market-order amounts
    // (the venue refuses limit rounding, $4.9972, for it): pUSD rounded up to the cent, $5.00,
    // and the shares that buys at 0.52 truncated to 4 decimals, 9.6153; the implied price
    // 5 / 9.6153 = 0.520004 is not below the limit, so it still fills at the ask.
    for b in [&early, &late] {
        let v: serde_json::Value = serde_json::from_slice(b.bytes()).unwrap();
        assert_eq!(v["order"]["makerAmount"], "5000000");
        assert_eq!(v["order"]["takerAmount"], "9615300");
        assert_eq!(v["orderType"], "FAK");
        assert_eq!(
            b.size_e6, 9_610_000,
            "the ladder keys on the size asked for"
        );
    }
}

#[test]
fn a_presigned_order_is_handed_out_once() {
    let (signer, account, info) = setup();
    let mut scratch = Vec::new();
    let mut ladder = OrderLadder::default();
    let mut salts = SaltSource::new(1_800_000_000_000, 1);
    for size in [5_000_000, lot_size_for(5.0, 5000)] {
        ladder.insert(
            build_buy(
                &signer,
                &account,
                "k",
                &info,
                TokenId(1),
                5000,
                size,
                OrderType::Fak,
                salts.next_salt(),
                1_800_000_000_000,
                &mut scratch,
            )
            .unwrap(),
        );
    }
    let first = ladder.take(TokenId(1), 5000, 10_000_000).unwrap();
    assert_eq!(first.size_e6, 10_000_000);
    let second = ladder.take(TokenId(1), 5000, 10_000_000).unwrap();
    assert_eq!(second.size_e6, 5_000_000);
    assert_ne!(first.salt, second.salt);
    assert!(ladder.take(TokenId(1), 5000, 10_000_000).is_none());
}

#[test]
fn orders_the_venue_would_refuse_for_their_size_are_not_signed() {
    let (signer, account, info) = setup();
    let mut scratch = Vec::new();
    let mut salts = SaltSource::new(1_800_000_000_000, 1);
    let mut build = |price_e4: u32, size_e6: u64| {
        build_buy(
            &signer,
            &account,
            "k",
            &info,
            TokenId(1),
            price_e4,
            size_e6,
            OrderType::Fak,
            salts.next_salt(),
            1_800_000_000_000,
            &mut scratch,
        )
        // Boxed: the error is large and only inspected here.
        .map_err(Box::new)
    };
    // 5 shares at 0.10 is $0.50: under the venue's $1 for a marketable BUY.
    let e = build(1000, 5_000_000).unwrap_err();
    assert!(e.is_under_minimum(), "{e}");
    assert!(e.to_string().contains("$1"), "{e}");
    // 4 shares at 0.50 is under the market's minimum of 5.
    let e = build(5000, 4_000_000).unwrap_err();
    assert!(e.is_under_minimum(), "{e}");
    // 10 shares at 0.10 is $1.00: taken.
    let b = build(1000, 10_000_000).unwrap();
    let v: serde_json::Value = serde_json::from_slice(b.bytes()).unwrap();
    assert_eq!(v["order"]["makerAmount"], "1000000");
    assert_eq!(v["order"]["takerAmount"], "10000000");
    // Off the tick is a build error, not a size refusal.
    let e = build(5005, 10_000_000).unwrap_err();
    assert!(!e.is_under_minimum(), "{e}");
}
