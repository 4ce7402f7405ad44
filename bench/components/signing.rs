//! Order signing: a presigned order picked from the ladder + the HMAC header (the product),
//! against building and signing on the fly with ethers/k256 or libsecp256k1.

use std::time::Instant;

use hdrhistogram::Histogram;

use super::common::KEY_HEX;
use super::timing::{hist, interleaved};

pub struct SignRows {
    pub presigned: Histogram<u64>,
    pub ethers_build: Histogram<u64>,
    pub secp_build: Histogram<u64>,
    pub secp_ffi_build: Histogram<u64>,
    pub ethers_sign: Histogram<u64>,
    pub secp_sign: Histogram<u64>,
    pub secp_ffi_sign: Histogram<u64>,
}

/// The Ethereum `r ‖ s ‖ v` form of a libsecp256k1 signature over `digest`.
fn sign_secp(sk: &secp256k1::SecretKey, digest: [u8; 32]) -> [u8; 65] {
    let sig = secp256k1::ecdsa::RecoverableSignature::sign_ecdsa_recoverable(
        secp256k1::Message::from_digest(digest),
        sk,
    );
    let (rec, rs) = sig.serialize_compact();
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = 27 + u8::from(rec);
    out
}

/// The same signature through libsecp256k1's C API with a context randomized once at start
/// (what the crate did before 0.33, which now rerandomizes its context on every signature).
fn sign_secp_ffi(
    ctx: &secp256k1::Secp256k1<secp256k1::SignOnly>,
    sk: &[u8; 32],
    digest: &[u8; 32],
) -> [u8; 65] {
    use secp256k1::ffi::{self, recovery};
    let mut sig = recovery::RecoverableSignature::new();
    let mut out = [0u8; 65];
    let mut recid: ffi::types::c_int = 0;
    // SAFETY: `ctx` is a live signing context; `sig` (65 bytes), `digest` and `sk` (32 bytes
    // each) and `out` (64 bytes written) are valid for what the C functions read and write;
    // the RFC 6979 nonce function is the library's own static.
    let ok = unsafe {
        let ok = recovery::secp256k1_ecdsa_sign_recoverable(
            ctx.ctx().as_ptr(),
            &mut sig,
            digest.as_ptr(),
            sk.as_ptr(),
            ffi::secp256k1_nonce_function_rfc6979,
            std::ptr::null(),
        );
        recovery::secp256k1_ecdsa_recoverable_signature_serialize_compact(
            ctx.ctx().as_ptr(),
            out.as_mut_ptr(),
            &mut recid,
            &sig,
        );
        ok
    };
    assert_eq!(ok, 1, "a valid key and digest always sign");
    out[64] = 27 + recid as u8;
    out
}

pub fn bench_signing(n: usize) -> SignRows {
    use cassandra::clob::amounts::{limit_order_amounts, MarketRules};
    use cassandra::clob::auth::HMAC_SIGNATURE_LEN;
    use cassandra::clob::body::{write_post_order_body, PostOptions};
    use cassandra::clob::order::{
        Bytes32, Chain, Exchange, OrderSignature, OrderType as ClobOrderType, OrderV2,
        Side as ClobSide, SignatureType, SignedOrder,
    };
    use cassandra::clob::sign::ExchangeDomains;
    use cassandra::exec::ladder::OrderLadder;
    use cassandra::exec::orders::{build_buy, SaltSource, BODY_MAX};
    use cassandra::pipeline::events::{OrderType, TokenId};

    let super::common::OrderFixture {
        signer,
        account,
        info,
        l2,
        ..
    } = super::common::order_fixture();
    let mut key_bytes = [0u8; 32];
    for (i, b) in key_bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&KEY_HEX[2 * i..2 * i + 2], 16).expect("hex");
    }
    let sk = secp256k1::SecretKey::from_secret_bytes(key_bytes).expect("secp key");
    let mut ctx = secp256k1::Secp256k1::signing_only();
    ctx.seeded_randomize(&[7u8; 32]);
    let domains = ExchangeDomains::new(Chain::Polygon);
    let hmac = |body: &[u8]| {
        let mut sig = [0u8; HMAC_SIGNATURE_LEN];
        std::hint::black_box(l2.sign_into(1_800_000_000, "POST", "/order", Some(body), &mut sig));
    };
    let mut salts = SaltSource::new(1_800_000_000_000, 3);
    let mut scratch = Vec::with_capacity(4096);
    let (price_e4, size_e6) = (5200u32, 9_610_000u64);

    // The product's fallback: amounts, EIP-712 digest, ethers/k256 signature, body.
    let build_ethers = |salt: u64, scratch: &mut Vec<u8>| {
        build_buy(
            &signer,
            &account,
            "k",
            &info,
            TokenId(1),
            price_e4,
            size_e6,
            OrderType::Fak,
            salt,
            1_800_000_000_000,
            scratch,
        )
        .expect("build")
    };
    // The same steps with libsecp256k1 doing the ECDSA.
    let order_of = |salt: u64| {
        let amounts = limit_order_amounts(
            ClobSide::Buy,
            u64::from(price_e4) * 100,
            size_e6,
            MarketRules {
                tick: info.tick,
                min_size_u6: info.min_size_u6,
            },
        )
        .expect("amounts");
        OrderV2 {
            salt,
            maker: account.maker,
            signer: account.maker,
            token_id: info.token_id,
            maker_amount_u6: amounts.maker_amount_u6,
            taker_amount_u6: amounts.taker_amount_u6,
            side: ClobSide::Buy,
            signature_type: SignatureType::Eoa,
            timestamp_ms: 1_800_000_000_000,
            metadata: Bytes32([0; 32]),
            builder: Bytes32([0; 32]),
            expiration_s: 0,
        }
    };
    let exchange = Exchange::select(account.version, info.neg_risk);
    let build_secp = |salt: u64, scratch: &mut Vec<u8>, sign: &dyn Fn([u8; 32]) -> [u8; 65]| {
        let order = order_of(salt);
        let sig = sign(domains.order_digest(exchange, &order));
        let signature = OrderSignature::from_slice(&sig).expect("65 bytes");
        scratch.clear();
        write_post_order_body(
            scratch,
            &SignedOrder { order, signature },
            "k",
            PostOptions::new(ClobOrderType::Fak),
        )
        .expect("body");
        let mut body = [0u8; BODY_MAX];
        body[..scratch.len()].copy_from_slice(scratch);
        body
    };
    // Both builds give the same bytes for the same salt (RFC 6979 signatures are equal).
    let a = build_ethers(42, &mut scratch);
    let secp = |d: [u8; 32]| sign_secp(&sk, d);
    let secp_ffi = |d: [u8; 32]| sign_secp_ffi(&ctx, &key_bytes, &d);
    for sign in [&secp as &dyn Fn([u8; 32]) -> [u8; 65], &secp_ffi] {
        let b = build_secp(42, &mut scratch, sign);
        assert_eq!(
            a.bytes(),
            &b[..a.bytes().len()],
            "libsecp256k1 body differs"
        );
    }

    let mut ladder = OrderLadder::default();
    let mut presigned = hist();
    for _ in 0..n {
        // Refill off the clock (the control side's job).
        ladder.insert(build_ethers(salts.next_salt(), &mut scratch));
        let t = Instant::now();
        let b = ladder
            .take(TokenId(1), price_e4, size_e6)
            .expect("presigned");
        hmac(b.bytes());
        presigned.saturating_record(t.elapsed().as_nanos() as u64);
    }
    // The on-the-spot paths and the bare signatures, one call of each in turn; each has its
    // own scratch and salts.
    let (mut salts_a, mut salts_b, mut salts_c) = (
        SaltSource::new(1_800_000_000_000, 4),
        SaltSource::new(1_800_000_000_000, 5),
        SaltSource::new(1_800_000_000_000, 6),
    );
    let (mut scratch_a, mut scratch_b, mut scratch_c) =
        (scratch.clone(), scratch.clone(), scratch.clone());
    let order = order_of(7);
    let mut h = interleaved(
        1,
        n,
        &mut [
            &mut || {
                let b = build_ethers(salts_a.next_salt(), &mut scratch_a);
                hmac(b.bytes());
            },
            &mut || {
                std::hint::black_box(build_secp(salts_b.next_salt(), &mut scratch_b, &secp));
                hmac(&scratch_b);
            },
            &mut || {
                std::hint::black_box(build_secp(salts_c.next_salt(), &mut scratch_c, &secp_ffi));
                hmac(&scratch_c);
            },
            &mut || {
                let sig = signer.sign_order(exchange, std::hint::black_box(&order));
                std::hint::black_box(sig).ok();
            },
            &mut || {
                let digest = domains.order_digest(exchange, std::hint::black_box(&order));
                std::hint::black_box(sign_secp(&sk, digest));
            },
            &mut || {
                let digest = domains.order_digest(exchange, std::hint::black_box(&order));
                std::hint::black_box(sign_secp_ffi(&ctx, &key_bytes, &digest));
            },
        ],
    )
    .into_iter();
    let mut next = || h.next().expect("six histograms");
    let (ethers_build, secp_build, secp_ffi_build) = (next(), next(), next());
    let (ethers_sign, secp_sign, secp_ffi_sign) = (next(), next(), next());
    SignRows {
        presigned,
        ethers_build,
        secp_build,
        secp_ffi_build,
        ethers_sign,
        secp_sign,
        secp_ffi_sign,
    }
}
