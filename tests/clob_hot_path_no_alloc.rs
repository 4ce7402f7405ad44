//! The per-order work of the `order` thread allocates nothing once set up: amounts, the
//! EIP-712 signature, the body written into a reused buffer, and the L2 HMAC into a fixed
//! buffer.
//!
//! A counting global allocator (`alloc_count`) counts the allocations of the test's own thread.

mod alloc_count;
use alloc_count::allocations_during;

use cassandra::clob::amounts::{limit_order_amounts, MarketRules, TickSize};
use cassandra::clob::auth::{Credentials, L2Headers, L2Signer, HMAC_SIGNATURE_LEN};
use cassandra::clob::body::{write_post_order_body, PostOptions, MAX_ORDER_BODY_LEN};
use cassandra::clob::order::{
    Bytes32, Chain, Exchange, OrderType, OrderV2, Side, SignatureType, SignedOrder, TokenId,
};
use cassandra::clob::sign::{OrderSigner, PrivateKey};

#[test]
fn per_order_path_does_not_allocate() {
    // Setup: allowed to allocate.
    let key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let signer = OrderSigner::new(PrivateKey::parse_hex(key).unwrap(), Chain::Polygon);
    let creds = Credentials::new(
        "00000000-0000-0000-0000-000000000000".into(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
        "pass".into(),
    )
    .unwrap();
    let l2 = L2Signer::new(&creds).unwrap();
    let token = TokenId::parse_decimal("1234567890123456789012345678901234567890").unwrap();
    let rules = MarketRules {
        tick: TickSize::Hundredth,
        min_size_u6: 5_000_000,
    };
    let mut body = Vec::with_capacity(MAX_ORDER_BODY_LEN + 64);
    let mut hmac_out = [0u8; HMAC_SIGNATURE_LEN];
    let address = *signer.address();
    // Warm the signer's lazily built type hashes.
    let warm = OrderV2 {
        salt: 1,
        maker: address,
        signer: address,
        token_id: token,
        maker_amount_u6: 1,
        taker_amount_u6: 1,
        side: Side::Buy,
        signature_type: SignatureType::Eoa,
        timestamp_ms: 1,
        metadata: Bytes32::ZERO,
        builder: Bytes32::ZERO,
        expiration_s: 0,
    };
    signer.sign_order(Exchange::CtfV2, &warm).unwrap();

    let signature = signer.sign_order(Exchange::CtfV2, &warm).unwrap();

    let mut order = warm;
    let n = allocations_during(|| {
        for i in 0..100u64 {
            let a =
                limit_order_amounts(Side::Buy, 570_000, 10_000_000 + i * 10_000, rules).unwrap();
            order.salt = i;
            order.maker_amount_u6 = a.maker_amount_u6;
            order.taker_amount_u6 = a.taker_amount_u6;
            order.timestamp_ms = 1_710_000_000_000 + i;
            // The signature's bytes do not matter here; signing is measured below.
            let signed = SignedOrder { order, signature };
            body.clear();
            write_post_order_body(
                &mut body,
                &signed,
                creds.api_key(),
                PostOptions::new(OrderType::Fak),
            )
            .unwrap();
            l2.sign_into(1_710_000_000, "POST", "/order", Some(&body), &mut hmac_out);
            let headers = L2Headers::new(
                &l2,
                &creds,
                &address,
                1_710_000_000,
                "POST",
                "/order",
                Some(&body),
            );
            assert_eq!(headers.signature().len(), HMAC_SIGNATURE_LEN);
        }
    });
    assert_eq!(
        n, 0,
        "amounts, body or HMAC allocated {n} times in 100 orders"
    );

    let signing = allocations_during(|| {
        for i in 0..100u64 {
            order.salt = i;
            signer.sign_order(Exchange::CtfV2, &order).unwrap();
        }
    });
    // k256 (via ethers) signs on the stack; a swapped backend must too.
    assert_eq!(
        signing, 0,
        "ECDSA order signing allocated {signing} times in 100 orders"
    );
}
