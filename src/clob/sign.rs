//! EIP-712 hashing and secp256k1 signing of orders and of the L1 `ClobAuth` message, and
//! recovering who signed them.
//!
//! This is the only module that touches `ethers` (keccak, the signing key, recovery), so the
//! library can be swapped here alone. Everything else in `clob` sees plain byte arrays.
//!
//! Guarantees:
//! - Type hashes are computed once per process and domain separators once per
//!   [`OrderSigner`] / [`ExchangeDomains`]; signing an order costs one struct hash (two for
//!   POLY_1271), one digest and one ECDSA signature, and does not allocate.
//! - Signatures are 65 bytes `r‖s‖v`, low-S, v = 27/28 (RFC 6979, deterministic), as py's
//!   `eth_account` makes them. POLY_1271 wraps that in the ERC-7739 envelope
//!   (docs/venue/polymarket.md §1, six steps).
//! - A private key never appears in `Debug` output or in an error.
//!
//! Limits: recovery checks the ECDSA signature only. It cannot know whether a deposit wallet
//! (POLY_1271) or a proxy/Safe (types 1/2) really belongs to the recovered EOA; that is an
//! on-chain fact the caller must supply.

use std::fmt;
use std::sync::OnceLock;

use ethers_core::types::{RecoveryMessage, Signature, H256};
use ethers_core::utils::keccak256;
use ethers_signers::{LocalWallet, Signer as _};

use crate::clob::order::{
    Address, Chain, Exchange, OrderSignature, OrderV2, SignatureType, MAX_SIGNATURE_LEN,
};

/// The V2 order type string; its keccak is the order typehash.
pub const ORDER_TYPE_STRING: &str = "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)";

/// Name of the exchange EIP-712 domain (all versions).
pub const EXCHANGE_DOMAIN_NAME: &str = "Polymarket CTF Exchange";

const DOMAIN_TYPE_STRING: &str =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
const DOMAIN_NO_CONTRACT_TYPE_STRING: &str =
    "EIP712Domain(string name,string version,uint256 chainId)";
const CLOB_AUTH_TYPE_STRING: &str =
    "ClobAuth(address address,string timestamp,uint256 nonce,string message)";
/// ERC-7739 envelope type: the `TypedDataSign` struct followed by the contents' type.
const TYPED_DATA_SIGN_PREFIX: &str = "TypedDataSign(Order contents,string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)";

/// ClobAuth domain name and version (unchanged by V2).
pub const CLOB_AUTH_DOMAIN_NAME: &str = "ClobAuthDomain";
pub const CLOB_AUTH_DOMAIN_VERSION: &str = "1";
/// The fixed L1 attestation text.
pub const CLOB_AUTH_MESSAGE: &str = "This message attests that I control the given wallet";

/// The deposit wallet's own EIP-712 name and version in the POLY_1271 envelope.
const DEPOSIT_WALLET_NAME: &str = "DepositWallet";
const DEPOSIT_WALLET_VERSION: &str = "1";

const ECDSA_LEN: usize = 65;
const ENVELOPE_LEN: usize = ECDSA_LEN + 32 + 32 + ORDER_TYPE_STRING.len() + 2;
const _: () = assert!(ENVELOPE_LEN == MAX_SIGNATURE_LEN);

/// secp256k1 order / 2: a signature with a larger `s` is malleable and refused by the
/// exchange's ECDSA check.
const SECP256K1_HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// Why signing or recovery failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// Configuration: the key text is not 32 bytes of hex or not a valid scalar. Fatal.
    #[error("private key is not 0x-prefixed 64-digit hex of a valid secp256k1 scalar")]
    InvalidPrivateKey,
    /// Caller bug: for types 0–2 the order's `signer` must be this key's address.
    #[error("order signer {order_signer} is not the signing key's address {key_address}")]
    SignerMismatch {
        order_signer: Address,
        key_address: Address,
    },
    /// Caller bug: for POLY_1271 the `signer` must be the deposit wallet, i.e. the `maker`.
    #[error("POLY_1271 order signer {signer} is not its maker {maker}")]
    Poly1271SignerNotMaker { signer: Address, maker: Address },
    /// The ECDSA backend refused to sign (should not happen with a valid key). Fatal.
    #[error("ECDSA signing failed")]
    Ecdsa,
    /// Verification: the signature bytes have the wrong length, v, or a high s.
    #[error("malformed signature")]
    MalformedSignature,
    /// Verification: a POLY_1271 envelope whose domain, contents hash or type string does not
    /// match the order it came with.
    #[error("POLY_1271 envelope does not match the order")]
    EnvelopeMismatch,
    /// Verification: the curve point could not be recovered.
    #[error("signature does not recover to any address")]
    Unrecoverable,
}

/// A secp256k1 signing key. `Debug` shows the address only. Cloned once per thread that
/// signs (the `order` thread's fallback, the ladder signer), never per order.
#[derive(Clone)]
pub struct PrivateKey {
    wallet: LocalWallet,
}

impl PrivateKey {
    /// Parses `0x` + 64 hex digits (the `0x` is optional). The error never echoes the input.
    pub fn parse_hex(s: &str) -> Result<PrivateKey, SignError> {
        let s = s.trim();
        let digits = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        let mut bytes = [0u8; 32];
        crate::clob::order::decode_hex_digits(digits, &mut bytes)
            .map_err(|()| SignError::InvalidPrivateKey)?;
        let wallet = LocalWallet::from_bytes(&bytes).map_err(|_| SignError::InvalidPrivateKey)?;
        bytes.fill(0);
        Ok(PrivateKey { wallet })
    }

    /// The EOA address of this key.
    pub fn address(&self) -> Address {
        Address::from_bytes(self.wallet.address().0)
    }

    /// Signs a 32-byte EIP-712 digest (wallet batches, off the hot path): 65 bytes `r‖s‖v`.
    pub fn sign_typed_digest(&self, digest: &[u8; 32]) -> Result<[u8; 65], SignError> {
        self.sign_digest(digest)
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> Result<[u8; ECDSA_LEN], SignError> {
        let sig = self
            .wallet
            .sign_hash(H256(*digest))
            .map_err(|_| SignError::Ecdsa)?;
        Ok(<[u8; ECDSA_LEN]>::from(&sig))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("address", &self.address())
            .field("key", &"<redacted>")
            .finish()
    }
}

struct TypeHashes {
    domain: [u8; 32],
    domain_no_contract: [u8; 32],
    order: [u8; 32],
    typed_data_sign: [u8; 32],
    clob_auth: [u8; 32],
    clob_auth_name: [u8; 32],
    clob_auth_version: [u8; 32],
    clob_auth_message: [u8; 32],
    deposit_wallet_name: [u8; 32],
    deposit_wallet_version: [u8; 32],
}

fn type_hashes() -> &'static TypeHashes {
    static HASHES: OnceLock<TypeHashes> = OnceLock::new();
    HASHES.get_or_init(|| {
        let mut tds = Vec::with_capacity(TYPED_DATA_SIGN_PREFIX.len() + ORDER_TYPE_STRING.len());
        tds.extend_from_slice(TYPED_DATA_SIGN_PREFIX.as_bytes());
        tds.extend_from_slice(ORDER_TYPE_STRING.as_bytes());
        TypeHashes {
            domain: keccak256(DOMAIN_TYPE_STRING),
            domain_no_contract: keccak256(DOMAIN_NO_CONTRACT_TYPE_STRING),
            order: keccak256(ORDER_TYPE_STRING),
            typed_data_sign: keccak256(&tds),
            clob_auth: keccak256(CLOB_AUTH_TYPE_STRING),
            clob_auth_name: keccak256(CLOB_AUTH_DOMAIN_NAME),
            clob_auth_version: keccak256(CLOB_AUTH_DOMAIN_VERSION),
            clob_auth_message: keccak256(CLOB_AUTH_MESSAGE),
            deposit_wallet_name: keccak256(DEPOSIT_WALLET_NAME),
            deposit_wallet_version: keccak256(DEPOSIT_WALLET_VERSION),
        }
    })
}

/// keccak-256 (exposed for callers that must stay off `ethers`).
pub fn keccak(bytes: &[u8]) -> [u8; 32] {
    keccak256(bytes)
}

/// EIP-55 checksummed `0x` text of an address.
pub fn checksum_address_text(bytes: &[u8; 20]) -> [u8; 42] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut lower = [0u8; 40];
    for (i, b) in bytes.iter().enumerate() {
        lower[2 * i] = HEX[usize::from(b >> 4)];
        lower[2 * i + 1] = HEX[usize::from(b & 0xf)];
    }
    let hash = keccak256(lower);
    let mut text = [0u8; 42];
    text[0] = b'0';
    text[1] = b'x';
    for (i, c) in lower.iter().enumerate() {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
        text[2 + i] = if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            *c
        };
    }
    text
}

fn word_u64(v: u64) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

fn word_address(a: &[u8; 20]) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

fn keccak_words<const N: usize>(words: [[u8; 32]; N]) -> [u8; 32] {
    // N is at most 12 here: a 384-byte stack buffer.
    let mut buf = [0u8; 384];
    for (i, w) in words.iter().enumerate() {
        buf[32 * i..32 * i + 32].copy_from_slice(w);
    }
    keccak256(&buf[..32 * N])
}

fn eip712_digest(domain_separator: &[u8; 32], struct_hash: &[u8; 32]) -> [u8; 32] {
    let mut buf = [0u8; 66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(domain_separator);
    buf[34..].copy_from_slice(struct_hash);
    keccak256(buf)
}

/// `domainSeparator` of `EIP712Domain(name, version, chainId[, verifyingContract])`.
pub fn domain_separator(
    name: &str,
    version: &str,
    chain_id: u64,
    verifying_contract: Option<&[u8; 20]>,
) -> [u8; 32] {
    let h = type_hashes();
    match verifying_contract {
        Some(c) => keccak_words([
            h.domain,
            keccak256(name),
            keccak256(version),
            word_u64(chain_id),
            word_address(c),
        ]),
        None => keccak_words([
            h.domain_no_contract,
            keccak256(name),
            keccak256(version),
            word_u64(chain_id),
        ]),
    }
}

/// `hashStruct(Order)`: the 11 signed fields in typehash order.
pub fn order_struct_hash(o: &OrderV2) -> [u8; 32] {
    keccak_words([
        type_hashes().order,
        word_u64(o.salt),
        word_address(o.maker.bytes()),
        word_address(o.signer.bytes()),
        *o.token_id.be_bytes(),
        word_u64(o.maker_amount_u6),
        word_u64(o.taker_amount_u6),
        word_u64(o.side as u64),
        word_u64(o.signature_type as u64),
        word_u64(o.timestamp_ms),
        o.metadata.0,
        o.builder.0,
    ])
}

/// The ERC-7739 `TypedDataSign` struct hash of a POLY_1271 order (step 4).
fn typed_data_sign_hash(contents: &[u8; 32], chain_id: u64, deposit_wallet: &[u8; 20]) -> [u8; 32] {
    let h = type_hashes();
    keccak_words([
        h.typed_data_sign,
        *contents,
        h.deposit_wallet_name,
        h.deposit_wallet_version,
        word_u64(chain_id),
        word_address(deposit_wallet),
        [0u8; 32],
    ])
}

/// The exchange domain separators of one chain, computed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeDomains {
    chain: Chain,
    separators: [[u8; 32]; 3],
}

impl ExchangeDomains {
    pub fn new(chain: Chain) -> ExchangeDomains {
        let mut separators = [[0u8; 32]; 3];
        for ex in Exchange::ALL {
            let contract = Address::parse_hex(ex.address_str(chain))
                .expect("contract constants are valid addresses");
            separators[ex.index()] = domain_separator(
                EXCHANGE_DOMAIN_NAME,
                ex.domain_version(),
                chain.chain_id(),
                Some(contract.bytes()),
            );
        }
        ExchangeDomains { chain, separators }
    }

    pub const fn chain(&self) -> Chain {
        self.chain
    }

    pub fn separator(&self, exchange: Exchange) -> &[u8; 32] {
        &self.separators[exchange.index()]
    }

    /// The digest an EOA signs for a type 0–2 order (`keccak(0x1901 ‖ domain ‖ hashStruct)`).
    pub fn order_digest(&self, exchange: Exchange, order: &OrderV2) -> [u8; 32] {
        eip712_digest(self.separator(exchange), &order_struct_hash(order))
    }

    /// The EOA that produced `signature` over `order` (the verifying side of the simulated
    /// CLOB). For POLY_1271 the envelope's domain, contents hash and type string must match
    /// the order, and the returned EOA is the deposit wallet's claimed owner.
    pub fn recover_order_signer(
        &self,
        exchange: Exchange,
        order: &OrderV2,
        signature: &[u8],
    ) -> Result<Address, SignError> {
        let contents = order_struct_hash(order);
        let domain = self.separator(exchange);
        if order.signature_type != SignatureType::Poly1271 {
            if signature.len() != ECDSA_LEN {
                return Err(SignError::MalformedSignature);
            }
            return recover(&eip712_digest(domain, &contents), signature);
        }
        if signature.len() != ENVELOPE_LEN {
            return Err(SignError::MalformedSignature);
        }
        let (ecdsa, rest) = signature.split_at(ECDSA_LEN);
        let (app_domain, rest) = rest.split_at(32);
        let (contents_in, rest) = rest.split_at(32);
        let (type_string, len) = rest.split_at(ORDER_TYPE_STRING.len());
        let expected_len = (ORDER_TYPE_STRING.len() as u16).to_be_bytes();
        if app_domain != domain
            || contents_in != contents
            || type_string != ORDER_TYPE_STRING.as_bytes()
            || len != expected_len
        {
            return Err(SignError::EnvelopeMismatch);
        }
        let tds = typed_data_sign_hash(&contents, self.chain.chain_id(), order.signer.bytes());
        recover(&eip712_digest(domain, &tds), ecdsa)
    }
}

/// The address whose key signed `digest` (65 bytes `r‖s‖v`, low-S): the verifying side of
/// wallet batches in the simulator.
pub fn recover_digest_signer(digest: &[u8; 32], sig: &[u8]) -> Result<Address, SignError> {
    recover(digest, sig)
}

/// `keccak256(0x1901 ‖ domainSeparator ‖ structHash)`.
pub fn typed_data_digest(domain_separator: &[u8; 32], struct_hash: &[u8; 32]) -> [u8; 32] {
    eip712_digest(domain_separator, struct_hash)
}

fn recover(digest: &[u8; 32], sig: &[u8]) -> Result<Address, SignError> {
    if sig.len() != ECDSA_LEN || !(sig[64] == 27 || sig[64] == 28) {
        return Err(SignError::MalformedSignature);
    }
    if sig[32..64] > SECP256K1_HALF_ORDER[..] {
        return Err(SignError::MalformedSignature);
    }
    let parsed = Signature::try_from(sig).map_err(|_| SignError::MalformedSignature)?;
    let addr = parsed
        .recover(RecoveryMessage::Hash(H256(*digest)))
        .map_err(|_| SignError::Unrecoverable)?;
    Ok(Address::from_bytes(addr.0))
}

/// The EIP-712 hash of the L1 `ClobAuth` message.
pub fn clob_auth_digest(chain: Chain, address: &Address, timestamp_s: u64, nonce: u64) -> [u8; 32] {
    let h = type_hashes();
    let domain = keccak_words([
        h.domain_no_contract,
        h.clob_auth_name,
        h.clob_auth_version,
        word_u64(chain.chain_id()),
    ]);
    // The timestamp is an EIP-712 `string`: its decimal text is hashed.
    let ts_hash = keccak256(timestamp_s.to_string());
    let struct_hash = keccak_words([
        h.clob_auth,
        word_address(address.bytes()),
        ts_hash,
        word_u64(nonce),
        h.clob_auth_message,
    ]);
    eip712_digest(&domain, &struct_hash)
}

/// The EOA that signed a `ClobAuth` message (server side of L1 auth).
pub fn recover_clob_auth_signer(
    chain: Chain,
    address: &Address,
    timestamp_s: u64,
    nonce: u64,
    signature: &[u8],
) -> Result<Address, SignError> {
    recover(
        &clob_auth_digest(chain, address, timestamp_s, nonce),
        signature,
    )
}

/// The order-signing identity: one key on one chain, with its address and the chain's
/// domain separators ready. Build once at startup and share by reference; never per order.
pub struct OrderSigner {
    key: PrivateKey,
    address: Address,
    domains: ExchangeDomains,
}

impl fmt::Debug for OrderSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderSigner")
            .field("address", &self.address)
            .field("chain", &self.domains.chain)
            .finish_non_exhaustive()
    }
}

impl OrderSigner {
    pub fn new(key: PrivateKey, chain: Chain) -> OrderSigner {
        let address = key.address();
        OrderSigner {
            key,
            address,
            domains: ExchangeDomains::new(chain),
        }
    }

    /// The EOA address (the `signer` of type 0–2 orders, `POLY_ADDRESS` in headers).
    pub const fn address(&self) -> &Address {
        &self.address
    }

    pub const fn chain(&self) -> Chain {
        self.domains.chain
    }

    pub const fn domains(&self) -> &ExchangeDomains {
        &self.domains
    }

    /// Signs an order for `exchange`. Types 0–2: the EIP-712 digest, 65 bytes. POLY_1271:
    /// the ERC-7739 envelope (`sig65 ‖ appDomain ‖ contents ‖ typeString ‖ len16`).
    pub fn sign_order(
        &self,
        exchange: Exchange,
        order: &OrderV2,
    ) -> Result<OrderSignature, SignError> {
        if order.signature_type != SignatureType::Poly1271 {
            if order.signer != self.address {
                return Err(SignError::SignerMismatch {
                    order_signer: order.signer,
                    key_address: self.address,
                });
            }
            return self.sign_order_unchecked(exchange, order);
        }
        if order.signer != order.maker {
            return Err(SignError::Poly1271SignerNotMaker {
                signer: order.signer,
                maker: order.maker,
            });
        }
        self.sign_order_unchecked(exchange, order)
    }

    /// Signs the struct exactly as given, without the signer checks of
    /// [`OrderSigner::sign_order`]. For reproducing vectors whose `signer` is not the key,
    /// and for the simulator's bad-signature faults; never for live orders.
    pub fn sign_order_unchecked(
        &self,
        exchange: Exchange,
        order: &OrderV2,
    ) -> Result<OrderSignature, SignError> {
        let contents = order_struct_hash(order);
        let domain = self.domains.separator(exchange);
        if order.signature_type != SignatureType::Poly1271 {
            let sig = self.key.sign_digest(&eip712_digest(domain, &contents))?;
            return Ok(OrderSignature::from_slice(&sig).expect("65 bytes fit"));
        }
        let tds = typed_data_sign_hash(
            &contents,
            self.domains.chain.chain_id(),
            order.signer.bytes(),
        );
        let sig = self.key.sign_digest(&eip712_digest(domain, &tds))?;
        let mut env = [0u8; ENVELOPE_LEN];
        let mut at = 0;
        for part in [
            &sig[..],
            &domain[..],
            &contents[..],
            ORDER_TYPE_STRING.as_bytes(),
            &(ORDER_TYPE_STRING.len() as u16).to_be_bytes()[..],
        ] {
            env[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        debug_assert_eq!(at, ENVELOPE_LEN);
        Ok(OrderSignature::from_slice(&env).expect("envelope fits"))
    }

    /// The L1 `ClobAuth` signature (65 bytes) for `POLY_SIGNATURE` on create/derive-key calls.
    pub fn sign_clob_auth(&self, timestamp_s: u64, nonce: u64) -> Result<[u8; 65], SignError> {
        let digest = clob_auth_digest(self.domains.chain, &self.address, timestamp_s, nonce);
        self.key.sign_digest(&digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_known_address() {
        let a = Address::parse_hex("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").unwrap();
        assert_eq!(a.as_str(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        for c in [
            "0xE111180000d2663C0091e4f400237545B87B996B",
            "0xe2222d279d744050d28e00520010520000310F59",
            "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa",
            "0x9fE6e61422AdB6F610d8597F9684b16912D50C3D",
        ] {
            assert_eq!(Address::parse_hex(c).unwrap().as_str(), c);
        }
    }

    #[test]
    fn private_key_debug_is_redacted() {
        let hex = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        let key = PrivateKey::parse_hex(hex).unwrap();
        let dbg = format!("{key:?}");
        assert!(!dbg.contains(hex) && !dbg.contains("ac0974"), "{dbg}");
        assert!(dbg.contains("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert_eq!(
            PrivateKey::parse_hex("0x1234").unwrap_err(),
            SignError::InvalidPrivateKey
        );
        assert!(PrivateKey::parse_hex(&"00".repeat(32)).is_err());
    }
}

/// A contract call as a signed legacy (EIP-155) transaction: the raw bytes for
/// `eth_sendRawTransaction`. Used off the hot path (token approvals).
#[allow(clippy::too_many_arguments)]
pub fn sign_call_tx(
    key: &PrivateKey,
    chain_id: u64,
    nonce: u64,
    gas_price_wei: u128,
    gas: u64,
    to: &Address,
    data: &[u8],
) -> Result<Vec<u8>, SignError> {
    use ethers_core::types::transaction::eip2718::TypedTransaction;
    use ethers_core::types::{TransactionRequest, H160, U256};
    let req = TransactionRequest::new()
        .to(H160::from(*to.bytes()))
        .data(data.to_vec())
        .nonce(nonce)
        .gas(gas)
        .gas_price(U256::from(gas_price_wei))
        .value(0u64)
        .chain_id(chain_id);
    let tx: TypedTransaction = req.into();
    let sig = key
        .wallet
        .clone()
        .with_chain_id(chain_id)
        .sign_transaction_sync(&tx)
        .map_err(|_| SignError::Unrecoverable)?;
    Ok(tx.rlp_signed(&sig).to_vec())
}

/// A decoded signed legacy call: who sent it, to whom, with what data, at which nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedCall {
    pub from: Address,
    pub to: Address,
    pub data: Vec<u8>,
    pub nonce: u64,
    pub chain_id: Option<u64>,
}

/// Decode and verify a raw legacy transaction (the simulated Polygon node's side).
pub fn decode_call_tx(raw: &[u8]) -> Result<DecodedCall, SignError> {
    use ethers_core::types::transaction::eip2718::TypedTransaction;
    use ethers_core::types::{NameOrAddress, TransactionRequest};
    let rlp = ethers_core::utils::rlp::Rlp::new(raw);
    let (req, sig) =
        TransactionRequest::decode_signed_rlp(&rlp).map_err(|_| SignError::Unrecoverable)?;
    let chain_id = req.chain_id.map(|c| c.as_u64());
    let typed: TypedTransaction = req.clone().into();
    let from = sig
        .recover(typed.sighash())
        .map_err(|_| SignError::Unrecoverable)?;
    let to = match req.to {
        Some(NameOrAddress::Address(a)) => Address::from_bytes(a.0),
        _ => return Err(SignError::Unrecoverable),
    };
    Ok(DecodedCall {
        from: Address::from_bytes(from.0),
        to,
        data: req.data.map(|d| d.to_vec()).unwrap_or_default(),
        nonce: req.nonce.map_or(0, |n| n.as_u64()),
        chain_id,
    })
}
