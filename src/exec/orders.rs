//! Building signed `POST /order` bodies: shared by the presigned ladder (control side) and the
//! `order` thread's fallback when no presigned order fits.
//!
//! A [`PostBody`] is the exact body bytes kept inline (no heap), so it can cross a ring.
//!
//! Marketable orders (FAK, FOK) are built with market-order amounts (maker ≤ 2 decimals,
//! taker ≤ 4; [`marketable_order_amounts`]): the venue refuses limit-order rounding for them.
//! An order the venue would refuse for its size (a marketable BUY under $1, a size under the
//! market's minimum) is never signed: [`BuildError::is_under_minimum`].

use crate::clob::amounts::{marketable_order_amounts, AmountError, MarketRules, TickSize};
use crate::clob::body::{write_post_order_body, PostOptions};
use crate::clob::order::{
    Address, Bytes32, Exchange, OrderType as ClobOrderType, OrderV2, OrderVersion,
    Side as ClobSide, SignatureType, SignedOrder, TokenId as ClobTokenId,
};
use crate::clob::sign::OrderSigner;
use crate::pipeline::events::{OrderType, TokenId};

/// Longest body kept: a POLY_1271 order body is about 1.3 KB.
pub const BODY_MAX: usize = 1792;

/// A signed order body ready to send.
#[derive(Clone, Copy)]
pub struct PostBody {
    pub token: TokenId,
    pub price_e4: u32,
    pub size_e6: u64,
    pub salt: u64,
    /// When it was signed (Unix ms): presigned orders are refreshed before they age.
    pub signed_ms: u64,
    /// The EIP-712 order digest: the venue's `orderID` for this order, known before it is
    /// sent (what the write-ahead record and the order tracker key on).
    pub order_hash: [u8; 32],
    len: u16,
    bytes: [u8; BODY_MAX],
}

impl std::fmt::Debug for PostBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostBody")
            .field("token", &self.token)
            .field("price_e4", &self.price_e4)
            .field("size_e6", &self.size_e6)
            .field("salt", &self.salt)
            .finish_non_exhaustive()
    }
}

impl PostBody {
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// An unused slot (every real order has a size).
    pub fn is_empty(&self) -> bool {
        self.size_e6 == 0
    }

    /// The venue's `orderID` for this order: `0x` and 64 lower-case hex digits.
    pub fn order_id(&self) -> [u8; 66] {
        order_id_hex(&self.order_hash)
    }

    pub const EMPTY: PostBody = PostBody {
        token: TokenId(0),
        price_e4: 0,
        size_e6: 0,
        salt: 0,
        signed_ms: 0,
        order_hash: [0; 32],
        len: 0,
        bytes: [0; BODY_MAX],
    };
}

/// What the venue needs to know about one outcome token to build its orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenOrderInfo {
    pub token_id: ClobTokenId,
    pub tick: TickSize,
    pub neg_risk: bool,
    pub min_size_u6: u64,
}

impl TokenOrderInfo {
    /// From a discovered window's token id and market rules; `None` if the venue's values do
    /// not make an orderable token (the window is then traded on paper only).
    pub fn from_window(
        token_id: &str,
        tick_e4: u16,
        neg_risk: bool,
        min_size_e6: u64,
    ) -> Option<Self> {
        let token_id = ClobTokenId::parse_decimal(token_id).ok()?;
        let tick = TickSize::from_e4(tick_e4)?;
        Some(TokenOrderInfo {
            token_id,
            tick,
            neg_risk,
            min_size_u6: min_size_e6,
        })
    }
}

/// The account that signs: who the maker is and how orders are posted.
#[derive(Clone, Copy, Debug)]
pub struct Account {
    pub maker: Address,
    pub signature_type: SignatureType,
    pub version: OrderVersion,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("amounts: {0}")]
    Amounts(#[from] crate::clob::amounts::AmountError),
    #[error("signing: {0}")]
    Sign(#[from] crate::clob::sign::SignError),
    #[error("body: {0}")]
    Body(#[from] crate::clob::body::BodyError),
    #[error("body longer than {BODY_MAX} bytes")]
    TooLong,
}

impl BuildError {
    /// The order is too small for the venue (under $1 marketable, under the minimum size):
    /// a refusal the caller counts, not a fault.
    pub fn is_under_minimum(&self) -> bool {
        matches!(
            self,
            BuildError::Amounts(
                AmountError::MarketableBuyUnderOneDollar { .. }
                    | AmountError::SizeBelowMinimum { .. }
                    | AmountError::SizeZeroAfterRounding { .. }
            )
        )
    }
}

fn clob_order_type(t: OrderType) -> ClobOrderType {
    match t {
        OrderType::Fak => ClobOrderType::Fak,
        OrderType::Fok => ClobOrderType::Fok,
    }
}

/// A BUY of `size_e6` shares at `price_e4`, signed, as the body of `POST /order`. `scratch`
/// is reused between calls (no allocation once it has grown). A FAK/FOK carries market-order
/// amounts (it may get up to 0.0199 share more than `size_e6` for the cent its pUSD leg is
/// rounded up by; its price is never below `price_e4`); `PostBody::size_e6` is the
/// lot-rounded size asked for, the ladder's key.
#[allow(clippy::too_many_arguments)]
pub fn build_buy(
    signer: &OrderSigner,
    account: &Account,
    owner: &str,
    info: &TokenOrderInfo,
    token: TokenId,
    price_e4: u32,
    size_e6: u64,
    order_type: OrderType,
    salt: u64,
    now_ms: u64,
    scratch: &mut Vec<u8>,
) -> Result<PostBody, BuildError> {
    let rules = MarketRules {
        tick: info.tick,
        min_size_u6: info.min_size_u6,
    };
    let price_u6 = price_e4 as u64 * 100;
    // Every order type the strategy sends (FAK, FOK) is marketable. Resting types, when the
    // strategies get them, take `limit_order_amounts` (the signing core's limit amounts).
    let amounts = match order_type {
        OrderType::Fak | OrderType::Fok => {
            marketable_order_amounts(ClobSide::Buy, price_u6, size_e6, rules)?
        }
    };
    let signer_addr = if account.signature_type == SignatureType::Poly1271 {
        account.maker
    } else {
        *signer.address()
    };
    let order = OrderV2 {
        salt,
        maker: account.maker,
        signer: signer_addr,
        token_id: info.token_id,
        maker_amount_u6: amounts.maker_amount_u6,
        taker_amount_u6: amounts.taker_amount_u6,
        side: ClobSide::Buy,
        signature_type: account.signature_type,
        timestamp_ms: now_ms,
        metadata: Bytes32([0; 32]),
        builder: Bytes32([0; 32]),
        expiration_s: 0,
    };
    let exchange = Exchange::select(account.version, info.neg_risk);
    let signature = signer.sign_order(exchange, &order)?;
    let order_hash = signer.domains().order_digest(exchange, &order);
    scratch.clear();
    write_post_order_body(
        scratch,
        &SignedOrder { order, signature },
        owner,
        PostOptions::new(clob_order_type(order_type)),
    )?;
    if scratch.len() > BODY_MAX {
        return Err(BuildError::TooLong);
    }
    let mut body = PostBody {
        token,
        price_e4,
        size_e6: crate::clob::amounts::lot_size_round_down_u6(size_e6),
        salt,
        signed_ms: now_ms,
        order_hash,
        len: scratch.len() as u16,
        bytes: [0; BODY_MAX],
    };
    body.bytes[..scratch.len()].copy_from_slice(scratch);
    Ok(body)
}

/// Unique salts: the top bits from the start time, the low bits a counter, all under
/// 2^53 − 1 (the body carries the salt as a JSON number).
#[derive(Debug)]
pub struct SaltSource {
    next: u64,
}

impl SaltSource {
    /// `lane` (0–15) keeps two threads' salts apart.
    pub fn new(now_ms: u64, lane: u64) -> Self {
        let base = (now_ms % (1 << 28)) << 24 | (lane & 0xf) << 20;
        SaltSource { next: base }
    }

    #[inline]
    pub fn next_salt(&mut self) -> u64 {
        self.next += 1;
        self.next & ((1u64 << 53) - 1)
    }
}

/// `0x` and the 64 lower-case hex digits of an order digest: the venue's `orderID`.
pub fn order_id_hex(hash: &[u8; 32]) -> [u8; 66] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 66];
    out[0] = b'0';
    out[1] = b'x';
    for (i, b) in hash.iter().enumerate() {
        out[2 + 2 * i] = HEX[(b >> 4) as usize];
        out[3 + 2 * i] = HEX[(b & 0xf) as usize];
    }
    out
}
