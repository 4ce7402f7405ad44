//! The CLOB V2 order: its 11 signed fields, the unsigned expiration, and the enums and
//! addresses that choose how it is signed.
//!
//! Owns the domain types only; hashing and signing live in [`crate::clob::sign`], the wire
//! body in [`crate::clob::body`], amounts in [`crate::clob::amounts`].
//!
//! Everything here is `Copy` and fixed-size, so building an order on the hot path does not
//! allocate. An [`Address`] carries its EIP-55 text, computed once when it is made (setup),
//! so writing a body never hashes.
//!
//! Facts from docs/venue/polymarket.md §1: field order is the typehash order; the
//! `timestamp` is milliseconds and signed; `expiration` is seconds, *not* signed, and sent
//! only in the JSON body; `salt` travels as a JSON number and so stays `<= 2^53 - 1`.

use std::fmt;

use crate::clob::sign;

/// Largest salt that survives a JSON number round trip through a double.
pub const SALT_MAX: u64 = (1 << 53) - 1;

/// Order side; the signed `uint8` value is the discriminant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Side {
    Buy = 0,
    Sell = 1,
}

impl Side {
    /// `"BUY"` / `"SELL"`, as in the JSON body.
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// Who signs and who holds the funds; the signed `uint8` value is the discriminant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SignatureType {
    /// The EOA signs and holds the funds (maker = signer = EOA).
    Eoa = 0,
    /// The EOA signs for its Polymarket proxy wallet (maker = proxy).
    PolyProxy = 1,
    /// The EOA signs for its Polymarket Gnosis Safe (maker = Safe).
    PolyGnosisSafe = 2,
    /// Deposit wallet (EIP-1271): signer = maker = the deposit wallet; the EOA signs an
    /// ERC-7739 `TypedDataSign` envelope.
    Poly1271 = 3,
}

/// How the venue matches the order. Sent as `orderType` in the body, never signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderType {
    /// Good till cancelled: rests on the book.
    Gtc,
    /// Good till date: rests until `expiration` (seconds).
    Gtd,
    /// Fill or kill: all now or nothing.
    Fok,
    /// Fill and kill: what fills now, the rest cancelled.
    Fak,
}

impl OrderType {
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderType::Gtc => "GTC",
            OrderType::Gtd => "GTD",
            OrderType::Fok => "FOK",
            OrderType::Fak => "FAK",
        }
    }

    /// Whether the order may rest on the book (and so may be `postOnly`).
    pub const fn rests(self) -> bool {
        matches!(self, OrderType::Gtc | OrderType::Gtd)
    }
}

/// Which exchange generation signs the order: the server's `GET /version` (2 for CTF-token
/// markets) or 3 when the asset is a Protocol-V2 position id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderVersion {
    /// CTF Exchange V2 / NegRisk V2, domain version "2".
    V2,
    /// Exchange V3 (position ids), domain version "3"; `neg_risk` is ignored.
    V3,
}

/// The chains the venue is deployed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chain {
    Polygon,
    Amoy,
}

impl Chain {
    pub const fn chain_id(self) -> u64 {
        match self {
            Chain::Polygon => 137,
            Chain::Amoy => 80002,
        }
    }

    pub const fn from_chain_id(id: u64) -> Option<Chain> {
        match id {
            137 => Some(Chain::Polygon),
            80002 => Some(Chain::Amoy),
            _ => None,
        }
    }

    /// The deployed contracts on this chain.
    pub const fn contracts(self) -> &'static Contracts {
        match self {
            Chain::Polygon => &POLYGON_CONTRACTS,
            Chain::Amoy => &AMOY_CONTRACTS,
        }
    }
}

/// Contract addresses as published by the venue's clients (EIP-55 text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contracts {
    pub exchange_v2: &'static str,
    pub neg_risk_exchange_v2: &'static str,
    pub exchange_v3: &'static str,
    /// pUSD, 6 decimals.
    pub collateral: &'static str,
    pub conditional_tokens: &'static str,
    pub neg_risk_adapter: &'static str,
}

pub const POLYGON_CONTRACTS: Contracts = Contracts {
    exchange_v2: "0xE111180000d2663C0091e4f400237545B87B996B",
    neg_risk_exchange_v2: "0xe2222d279d744050d28e00520010520000310F59",
    exchange_v3: "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa",
    collateral: "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB",
    conditional_tokens: "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045",
    neg_risk_adapter: "0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296",
};

pub const AMOY_CONTRACTS: Contracts = Contracts {
    exchange_v2: "0xE111180000d2663C0091e4f400237545B87B996B",
    neg_risk_exchange_v2: "0xe2222d279d744050d28e00520010520000310F59",
    exchange_v3: "0x9fE6e61422AdB6F610d8597F9684b16912D50C3D",
    collateral: "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB",
    conditional_tokens: "0x69308FB512518e39F9b16112fA8d994F4e2Bf8bB",
    neg_risk_adapter: "0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296",
};

/// The verifying contract of an order's EIP-712 domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exchange {
    /// `exchange_v2`, domain "2": standard CTF-token markets.
    CtfV2,
    /// `neg_risk_exchange_v2`, domain "2": neg-risk markets.
    NegRiskV2,
    /// `exchange_v3`, domain "3": Protocol-V2 position ids.
    V3,
}

impl Exchange {
    pub const ALL: [Exchange; 3] = [Exchange::CtfV2, Exchange::NegRiskV2, Exchange::V3];

    /// The exchange the SDKs pick: V3 for version 3, else by `neg_risk`.
    pub const fn select(version: OrderVersion, neg_risk: bool) -> Exchange {
        match (version, neg_risk) {
            (OrderVersion::V3, _) => Exchange::V3,
            (OrderVersion::V2, true) => Exchange::NegRiskV2,
            (OrderVersion::V2, false) => Exchange::CtfV2,
        }
    }

    /// The EIP-712 domain `version` string.
    pub const fn domain_version(self) -> &'static str {
        match self {
            Exchange::CtfV2 | Exchange::NegRiskV2 => "2",
            Exchange::V3 => "3",
        }
    }

    /// The verifying contract on `chain`.
    pub const fn address_str(self, chain: Chain) -> &'static str {
        let c = chain.contracts();
        match self {
            Exchange::CtfV2 => c.exchange_v2,
            Exchange::NegRiskV2 => c.neg_risk_exchange_v2,
            Exchange::V3 => c.exchange_v3,
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

/// Malformed identity input (setup-time; fix the configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("address must be 0x followed by 40 hex digits")]
    Address,
    #[error("bytes32 must be 0x followed by 64 hex digits")]
    Bytes32,
    #[error("token id must be a decimal uint256")]
    TokenId,
}

/// A 20-byte account address with its EIP-55 checksummed text (the form py and TS send).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    bytes: [u8; 20],
    text: [u8; 42],
}

impl Address {
    pub const ZERO_BYTES: [u8; 20] = [0; 20];

    /// Builds the address and its checksum (one keccak; do it at setup).
    pub fn from_bytes(bytes: [u8; 20]) -> Address {
        Address {
            bytes,
            text: sign::checksum_address_text(&bytes),
        }
    }

    /// Parses `0x` + 40 hex digits in any letter case; the checksum is not enforced.
    pub fn parse_hex(s: &str) -> Result<Address, ParseError> {
        let mut bytes = [0u8; 20];
        decode_hex_fixed(s, &mut bytes).map_err(|()| ParseError::Address)?;
        Ok(Address::from_bytes(bytes))
    }

    pub const fn bytes(&self) -> &[u8; 20] {
        &self.bytes
    }

    /// EIP-55 text, `0x`-prefixed.
    pub fn as_str(&self) -> &str {
        // The text is built from ASCII hex digits only.
        std::str::from_utf8(&self.text).unwrap_or("0x?")
    }

    /// Lowercase `0x` text (what the Rust SDK sends as `POLY_ADDRESS` in L1 headers).
    pub fn to_lowercase_string(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `bytes32` order field (`metadata`, `builder`); written as `0x` + 64 lowercase hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Bytes32(pub [u8; 32]);

impl Bytes32 {
    pub const ZERO: Bytes32 = Bytes32([0; 32]);

    pub fn parse_hex(s: &str) -> Result<Bytes32, ParseError> {
        let mut bytes = [0u8; 32];
        decode_hex_fixed(s, &mut bytes).map_err(|()| ParseError::Bytes32)?;
        Ok(Bytes32(bytes))
    }
}

const TOKEN_ID_MAX_DIGITS: usize = 78;

/// A CTF token id / position id: a uint256 kept both as 32 big-endian bytes (to sign) and
/// as its canonical decimal text (to send).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenId {
    be: [u8; 32],
    digits: [u8; TOKEN_ID_MAX_DIGITS],
    len: u8,
}

impl TokenId {
    /// Parses a decimal uint256 (leading zeros dropped).
    pub fn parse_decimal(s: &str) -> Result<TokenId, ParseError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::TokenId);
        }
        let trimmed = s.trim_start_matches('0');
        let canonical = if trimmed.is_empty() { "0" } else { trimmed };
        if canonical.len() > TOKEN_ID_MAX_DIGITS {
            return Err(ParseError::TokenId);
        }
        let mut be = [0u8; 32];
        for d in canonical.bytes() {
            // be = be * 10 + d, big-endian, with overflow out of 256 bits an error.
            let mut carry = u32::from(d - b'0');
            for byte in be.iter_mut().rev() {
                let v = u32::from(*byte) * 10 + carry;
                *byte = (v & 0xff) as u8;
                carry = v >> 8;
            }
            if carry != 0 {
                return Err(ParseError::TokenId);
            }
        }
        let mut digits = [0u8; TOKEN_ID_MAX_DIGITS];
        digits[..canonical.len()].copy_from_slice(canonical.as_bytes());
        Ok(TokenId {
            be,
            digits,
            len: canonical.len() as u8,
        })
    }

    pub const fn be_bytes(&self) -> &[u8; 32] {
        &self.be
    }

    /// Canonical decimal text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or("?")
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({})", self.as_str())
    }
}

/// An unsigned V2 order: the 11 signed fields in typehash order, then `expiration_s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderV2 {
    /// Any unique value `<= SALT_MAX`.
    pub salt: u64,
    /// The funder: the EOA (type 0), proxy (1), Safe (2) or deposit wallet (3).
    pub maker: Address,
    /// The EOA for types 0–2; the deposit wallet (= maker) for type 3.
    pub signer: Address,
    pub token_id: TokenId,
    /// 1e-6 units of what the maker gives (pUSD for BUY, shares for SELL).
    pub maker_amount_u6: u64,
    /// 1e-6 units of what the maker receives.
    pub taker_amount_u6: u64,
    pub side: Side,
    pub signature_type: SignatureType,
    /// Build time, milliseconds since the epoch (signed).
    pub timestamp_ms: u64,
    pub metadata: Bytes32,
    /// Builder code for fee attribution; zero for none.
    pub builder: Bytes32,
    /// Unix seconds after which a GTD order expires; 0 = none. Not signed.
    pub expiration_s: u64,
}

/// Longest order signature: 65 (r‖s‖v) + 32 + 32 + 186 (type string) + 2 for POLY_1271.
pub const MAX_SIGNATURE_LEN: usize = 65 + 32 + 32 + sign::ORDER_TYPE_STRING.len() + 2;

/// Signature bytes as sent (`0x` + hex in the body): 65 bytes for types 0–2, the ERC-7739
/// envelope for type 3.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OrderSignature {
    bytes: [u8; MAX_SIGNATURE_LEN],
    len: u16,
}

impl OrderSignature {
    /// Wraps signature bytes; `None` if longer than [`MAX_SIGNATURE_LEN`].
    pub fn from_slice(sig: &[u8]) -> Option<OrderSignature> {
        if sig.len() > MAX_SIGNATURE_LEN {
            return None;
        }
        let mut bytes = [0u8; MAX_SIGNATURE_LEN];
        bytes[..sig.len()].copy_from_slice(sig);
        Some(OrderSignature {
            bytes,
            len: sig.len() as u16,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// `0x` + lowercase hex.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(2 + 2 * usize::from(self.len));
        s.push_str("0x");
        for b in self.as_bytes() {
            s.push(HEX[usize::from(b >> 4)] as char);
            s.push(HEX[usize::from(b & 0xf)] as char);
        }
        s
    }
}

impl fmt::Debug for OrderSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderSignature({})", self.to_hex())
    }
}

/// An order and its signature, ready for the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedOrder {
    pub order: OrderV2,
    pub signature: OrderSignature,
}

pub(crate) const HEX: &[u8; 16] = b"0123456789abcdef";

/// Decodes `0x` + exactly `2 * out.len()` hex digits.
pub(crate) fn decode_hex_fixed(s: &str, out: &mut [u8]) -> Result<(), ()> {
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or(())?;
    decode_hex_digits(hex, out)
}

/// Decodes exactly `2 * out.len()` hex digits (no prefix), copying nothing else.
pub(crate) fn decode_hex_digits(hex: &str, out: &mut [u8]) -> Result<(), ()> {
    if hex.len() != out.len() * 2 {
        return Err(());
    }
    let nibble = |c: u8| -> Result<u8, ()> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(()),
        }
    };
    for (o, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        *o = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_id_round_trips_uint256() {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        let t = TokenId::parse_decimal(max).unwrap();
        assert_eq!(t.be_bytes(), &[0xff; 32]);
        assert_eq!(t.as_str(), max);
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert_eq!(TokenId::parse_decimal(over), Err(ParseError::TokenId));
        let t = TokenId::parse_decimal("0001234").unwrap();
        assert_eq!(t.as_str(), "1234");
        assert_eq!(&t.be_bytes()[30..], &[0x04, 0xd2]);
        assert_eq!(TokenId::parse_decimal("0").unwrap().as_str(), "0");
        assert!(TokenId::parse_decimal("").is_err());
        assert!(TokenId::parse_decimal("12a").is_err());
    }

    #[test]
    fn exchange_selection() {
        assert_eq!(Exchange::select(OrderVersion::V2, false), Exchange::CtfV2);
        assert_eq!(
            Exchange::select(OrderVersion::V2, true),
            Exchange::NegRiskV2
        );
        assert_eq!(Exchange::select(OrderVersion::V3, true), Exchange::V3);
        assert_eq!(Exchange::V3.domain_version(), "3");
        assert_eq!(
            Exchange::V3.address_str(Chain::Amoy),
            "0x9fE6e61422AdB6F610d8597F9684b16912D50C3D"
        );
    }

    #[test]
    fn signature_length_bound() {
        assert_eq!(MAX_SIGNATURE_LEN, 317);
        assert_eq!(2 + 2 * MAX_SIGNATURE_LEN, 636);
    }
}
