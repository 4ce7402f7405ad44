//! libsecp256k1 (the `secp256k1` crate, benchmarked in `bench/components.rs` and
//! `bench/micro.rs`) signs the product's EIP-712 order digest to the very bytes ethers/k256
//! gives: both use RFC 6979 nonces and low-s, so the 65-byte `r ‖ s ‖ v` signatures are
//! equal, and they recover to the key's address through the product's verifier.

use cassandra::clob::order::{
    Address, Bytes32, Chain, Exchange, OrderV2, Side, SignatureType, TokenId,
};
use cassandra::clob::sign::{ExchangeDomains, OrderSigner, PrivateKey};
use secp256k1::ecdsa::RecoverableSignature;
use secp256k1::{Message, SecretKey};

const KEY_HEX: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn key_bytes() -> [u8; 32] {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&KEY_HEX[2 * i..2 * i + 2], 16).unwrap();
    }
    k
}

/// The Ethereum `r ‖ s ‖ v` form (v = 27 + recovery id) of a libsecp256k1 signature.
fn sign_secp(sk: &SecretKey, digest: [u8; 32]) -> [u8; 65] {
    let sig = RecoverableSignature::sign_ecdsa_recoverable(Message::from_digest(digest), sk);
    let (rec, rs) = sig.serialize_compact();
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = 27 + u8::from(rec);
    out
}

fn order(signer: Address, salt: u64, maker_amount_u6: u64) -> OrderV2 {
    OrderV2 {
        salt,
        maker: signer,
        signer,
        token_id: TokenId::parse_decimal(
            "71321045679252212594626385532706912750332728571942532289631379312455583992563",
        )
        .unwrap(),
        maker_amount_u6,
        taker_amount_u6: 9_610_000,
        side: Side::Buy,
        signature_type: SignatureType::Eoa,
        timestamp_ms: 1_800_000_000_000 + salt,
        metadata: Bytes32([0; 32]),
        builder: Bytes32([0; 32]),
        expiration_s: 0,
    }
}

#[test]
fn libsecp256k1_signatures_equal_ethers_and_recover_to_the_key() {
    let key = PrivateKey::parse_hex(KEY_HEX).unwrap();
    let address = key.address();
    let signer = OrderSigner::new(key, Chain::Polygon);
    let domains = ExchangeDomains::new(Chain::Polygon);
    let sk = SecretKey::from_secret_bytes(key_bytes()).unwrap();
    let mut seen_v = [false; 2];
    for (i, exchange) in (0..200u64).zip(Exchange::ALL.into_iter().cycle()) {
        let o = order(address, 1_000 + i * 7_919, 4_997_200 + i);
        let digest = domains.order_digest(exchange, &o);
        let ours = sign_secp(&sk, digest);
        let ethers = signer.sign_order(exchange, &o).unwrap();
        assert_eq!(&ours[..], ethers.as_bytes(), "order {i} on {exchange:?}");
        let back = domains.recover_order_signer(exchange, &o, &ours).unwrap();
        assert_eq!(back, address, "order {i}");
        seen_v[usize::from(ours[64] - 27)] = true;
    }
    assert_eq!(
        seen_v,
        [true, true],
        "both recovery ids should occur in 200 orders"
    );
}
