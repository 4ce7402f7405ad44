//! Expected edge of a taker BUY, net of fees, against the depth-walked book.
//!
//! Buying outcome X (UP or DOWN) with model probability `p_x`: walk the asks for the size,
//! charge the fee per level at that level's price (taken in tokens), and compare the expected
//! payout of the tokens actually received with the USDC paid:
//! `edge_total = p_x × tokens_received − usdc_paid`, `edge_per_share = edge_total / shares`.
//! Roughly `p_x − a − fee per share`, but exact for the venue's mechanics (`fees`).
//! Always the executable asks, never a mid or last price.
//!
//! Contract: O(levels), no allocation, no panics. `p_x` is clamped to [0, 1] (NaN counts as 0,
//! so a broken model can only make the edge look worse). When nothing can be filled every
//! field is 0 (the depth gate names that case).

use crate::pipeline::control::FeeParams;
use crate::pipeline::events::Level;
use crate::strategy::book_walk::for_each_fill;
use crate::strategy::fees::{buy_fill, taker_fee_usdc};

/// A priced BUY: what walking the asks for a size gives, and its edge.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BuyEdge {
    /// Shares that the visible asks fill (≤ the size asked), 1e-6 units.
    pub filled_e6: u64,
    /// Volume-weighted average ask price over the fill.
    pub avg_price: f64,
    /// Worst ask touched, 1e-4 units: the least aggressive limit that fills it all.
    pub worst_price_e4: u32,
    /// Fee valued in USDC, summed per level.
    pub fee_usdc: f64,
    /// Tokens credited after the fee taken in tokens.
    pub tokens_received: f64,
    /// USDC paid.
    pub cost_usdc: f64,
    /// `edge_total / filled shares`.
    pub edge_per_share: f64,
    /// `p_x × tokens_received − cost_usdc`.
    pub edge_total: f64,
}

impl BuyEdge {
    /// USDC paid per token received (comparable with a probability); ∞ when nothing arrives.
    #[inline]
    pub fn effective_price(&self) -> f64 {
        if self.tokens_received > 0.0 {
            self.cost_usdc / self.tokens_received
        } else {
            f64::INFINITY
        }
    }

    /// Whether the whole of `size_e6` was available.
    #[inline]
    pub fn is_complete(&self, size_e6: u64) -> bool {
        self.filled_e6 >= size_e6
    }
}

#[inline]
fn clamp_prob(p: f64) -> f64 {
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// Edge of buying `size_e6` shares of an outcome with probability `p_x` from `asks` (best
/// first), paying taker fees `fee` per level.
#[inline]
pub fn buy_edge(p_x: f64, asks: &[Level], size_e6: u64, fee: FeeParams) -> BuyEdge {
    let p_x = clamp_prob(p_x);
    let mut cost_e10: u128 = 0;
    let mut fee_usdc = 0.0;
    let mut fee_tokens = 0.0;
    let mut worst = 0u32;
    let filled_e6 = for_each_fill(asks, size_e6, |price_e4, take_e6| {
        let price = price_e4 as f64 * 1e-4;
        let shares = take_e6 as f64 * 1e-6;
        let f = taker_fee_usdc(shares, price, fee);
        fee_usdc += f;
        fee_tokens += f / price;
        cost_e10 += price_e4 as u128 * take_e6 as u128;
        worst = worst.max(price_e4);
    });
    if filled_e6 == 0 {
        return BuyEdge::default();
    }
    let shares = filled_e6 as f64 * 1e-6;
    let cost_usdc = cost_e10 as f64 * 1e-10;
    let tokens_received = (shares - fee_tokens).max(0.0);
    let edge_total = p_x * tokens_received - cost_usdc;
    BuyEdge {
        filled_e6,
        avg_price: cost_usdc / shares,
        worst_price_e4: worst,
        fee_usdc,
        tokens_received,
        cost_usdc,
        edge_per_share: edge_total / shares,
        edge_total,
    }
}

/// Edge per share of a BUY at a single price: `p_x × (1 − fee/price) − price`.
/// For quick screens (e.g. the sniper's price band); bad prices give `-∞`-free `-1.0`.
#[inline]
pub fn buy_edge_at_price(p_x: f64, price: f64, fee: FeeParams) -> f64 {
    if !(price > 0.0 && price < 1.0) {
        return -1.0;
    }
    let f = buy_fill(1.0, price, fee);
    clamp_prob(p_x) * f.tokens_received - f.usdc_paid
}
