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
    // 5 USDC at 0.52 buys 9.61 shares (the lot is 0.01): exact amounts, no float rounding.
    for b in [&early, &late] {
        let v: serde_json::Value = serde_json::from_slice(b.bytes()).unwrap();
        assert_eq!(v["order"]["takerAmount"], "9610000");
        assert_eq!(v["order"]["makerAmount"], "4997200");
        assert_eq!(v["orderType"], "FAK");
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
