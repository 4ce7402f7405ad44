//! Control messages: from the control side to the hot threads, on their own SPSC rings.
//!
//! Window set-up and subscriptions travel here; the kill switch and the trading mode are
//! atomics in [`crate::pipeline::shared::Shared`] because every event must see them at once.

use super::events::{AssetId, TokenId};

/// Longest Polymarket token id: a uint256 in decimal has at most 78 digits.
pub const TOKEN_KEY_MAX: usize = 80;

/// A venue token id kept inline (no heap), so it can cross a ring.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenKey {
    len: u8,
    bytes: [u8; TOKEN_KEY_MAX],
}

impl TokenKey {
    /// `None` when the id is empty or longer than [`TOKEN_KEY_MAX`].
    pub fn new(id: &str) -> Option<Self> {
        let b = id.as_bytes();
        if b.is_empty() || b.len() > TOKEN_KEY_MAX {
            return None;
        }
        let mut bytes = [0u8; TOKEN_KEY_MAX];
        bytes[..b.len()].copy_from_slice(b);
        Some(TokenKey {
            len: b.len() as u8,
            bytes,
        })
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    pub fn as_str(&self) -> &str {
        // Built only from `&str` in `new`, so the bytes are valid UTF-8.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({})", self.as_str())
    }
}

/// Fee parameters of a market (`fd` of `GET /clob-markets/{condition_id}`):
/// taker fee = shares × rate × (p·(1−p))^exponent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeeParams {
    pub rate: f64,
    pub exponent: f64,
    /// Fee applies to takers only.
    pub taker_only: bool,
}

/// One binary window of one asset, as `signal` needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowSpec {
    pub asset: AssetId,
    pub start_s: u64,
    pub end_s: u64,
    pub up: TokenId,
    pub down: TokenId,
    pub tick_e4: u16,
    /// Minimum order size in shares, 1e-6 units.
    pub min_size_e6: u64,
    pub fees: FeeParams,
    pub neg_risk: bool,
    /// How the market takes its end value (spot, or a TWAP over its last seconds).
    pub settle: crate::strategy::fair_value::SettlementRule,
}

/// Control → `poly-ingest`.
#[derive(Clone, Copy, Debug)]
pub enum PolyControl {
    /// Start following this token's book.
    Subscribe { token: TokenId, key: TokenKey },
    /// Stop following it (its window is over).
    Unsubscribe { token: TokenId },
}

/// Control → `signal`.
#[derive(Clone, Copy, Debug)]
pub enum SignalControl {
    /// A window to trade (current or next).
    Window(WindowSpec),
    /// A window is over: forget it.
    WindowClosed { asset: AssetId, start_s: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_key_round_trips_a_78_digit_id() {
        let id = "1".repeat(78);
        let k = TokenKey::new(&id).unwrap();
        assert_eq!(k.as_str(), id);
        assert_eq!(k.as_bytes().len(), 78);
    }

    #[test]
    fn token_key_refuses_empty_and_oversized() {
        assert!(TokenKey::new("").is_none());
        assert!(TokenKey::new(&"9".repeat(81)).is_none());
    }
}
