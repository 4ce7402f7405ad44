//! Polymarket taker fees and what a BUY really costs and delivers.
//!
//! Fee on a fill of `shares` at `price` (CLOB V2, `fd {r, e, to}` of `/clob-markets`):
//! `fee_usdc = shares × r × (p·(1−p))^e`, the formula of Polymarket's own clients and the one
//! every `fee_*` vector in `tests/data/polymarket_vectors/` checks. On a BUY the venue takes the fee in
//! the tokens bought (docs: "fees are taken from proceeds"), converted at the fill price:
//! `tokens_received = shares − fee_usdc / price`, while the USDC paid is `shares × price`.
//! A fill across several levels pays the fee per level at that level's price.
//!
//! Also here, for sizing against a balance: the SDKs' `adjust_buy_amount_for_fees`, which
//! reserves the fee *in USDC* on top of the amount (see the note on it).
//!
//! Contract: pure `f64` functions, no allocation, no panics. A price outside (0, 1), a
//! non-finite or negative size, rate or exponent gives a fee of 0 (such a fill cannot happen;
//! the caller's gates reject it first). Unverified: one third-party library floors the venue's
//! charge to 5 decimals of USDC; nothing here rounds.

use crate::pipeline::control::FeeParams;

/// `r × (p·(1−p))^e`: the fee in USDC per share filled at `price`; 0 on bad input.
#[inline]
pub fn fee_per_share_usdc(price: f64, fee: FeeParams) -> f64 {
    if !(price > 0.0 && price < 1.0) {
        return 0.0;
    }
    if !(fee.rate.is_finite() && fee.rate > 0.0 && fee.exponent.is_finite() && fee.exponent >= 0.0)
    {
        return 0.0;
    }
    let f = fee.rate * (price * (1.0 - price)).powf(fee.exponent);
    if f.is_finite() {
        f
    } else {
        0.0
    }
}

/// Taker fee in USDC for `shares` filled at `price`: `shares × r × (p·(1−p))^e`.
#[inline]
pub fn taker_fee_usdc(shares: f64, price: f64, fee: FeeParams) -> f64 {
    if !(shares.is_finite() && shares > 0.0) {
        return 0.0;
    }
    shares * fee_per_share_usdc(price, fee)
}

/// Maker fee in USDC: 0 when the market's fees are taker-only, else the same curve.
#[inline]
pub fn maker_fee_usdc(shares: f64, price: f64, fee: FeeParams) -> f64 {
    if fee.taker_only {
        0.0
    } else {
        taker_fee_usdc(shares, price, fee)
    }
}

/// Builder fee in USDC: `notional × rate` (rate = bps / 10 000); 0 on bad input.
#[inline]
pub fn builder_fee_usdc(notional_usdc: f64, rate: f64) -> f64 {
    if notional_usdc.is_finite() && notional_usdc > 0.0 && rate.is_finite() && rate > 0.0 {
        notional_usdc * rate
    } else {
        0.0
    }
}

/// What a taker BUY of `shares` at one price costs and delivers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BuyFill {
    /// Shares matched (the order's size).
    pub shares: f64,
    pub price: f64,
    /// USDC paid: `shares × price` (the fee is not paid in USDC on a BUY).
    pub usdc_paid: f64,
    /// Fee valued in USDC.
    pub fee_usdc: f64,
    /// Fee taken in tokens: `fee_usdc / price`.
    pub fee_tokens: f64,
    /// Tokens credited: `shares − fee_tokens` (never below 0).
    pub tokens_received: f64,
}

/// Taker BUY accounting at one price. Bad size or price gives an all-zero fill.
#[inline]
pub fn buy_fill(shares: f64, price: f64, fee: FeeParams) -> BuyFill {
    if !(shares.is_finite() && shares > 0.0 && price > 0.0 && price < 1.0) {
        return BuyFill::default();
    }
    let fee_usdc = taker_fee_usdc(shares, price, fee);
    let fee_tokens = (fee_usdc / price).min(shares);
    BuyFill {
        shares,
        price,
        usdc_paid: shares * price,
        fee_usdc,
        fee_tokens,
        tokens_received: shares - fee_tokens,
    }
}

/// Tokens credited for a taker BUY of `shares` at `price`: `shares − fee_usdc / price`.
#[inline]
pub fn tokens_received(shares: f64, price: f64, fee: FeeParams) -> f64 {
    buy_fill(shares, price, fee).tokens_received
}

/// USDC paid for a taker BUY of `shares` at `price` (the fee is taken in tokens).
#[inline]
pub fn usdc_paid(shares: f64, price: f64) -> f64 {
    buy_fill(shares, price, FeeParams::default()).usdc_paid
}

/// USDC paid per token actually received on a taker BUY at `price`: `p / (1 − fee/p)`.
/// This is the price to compare with a probability. `f64::INFINITY` when the fee eats every
/// token; `NaN`-free.
#[inline]
pub fn effective_buy_price(price: f64, fee: FeeParams) -> f64 {
    if !(price > 0.0 && price < 1.0) {
        return f64::INFINITY;
    }
    let keep = 1.0 - fee_per_share_usdc(price, fee) / price;
    if keep > 0.0 {
        price / keep
    } else {
        f64::INFINITY
    }
}

/// The SDKs' `adjust_buy_amount_for_fees` (py-clob-client-v2 / clob-client-v2), used to shrink
/// a USDC BUY amount so that amount + fees fit the balance:
///
/// * `base = min(amount, balance)`;
/// * `platform = (base / price) × r × (p(1−p))^e × (1 + slippage_pct / 100)`;
/// * `builder = base × builder_rate`;
/// * if `balance ≤ amount + platform + builder` the result is `balance − platform − builder`,
///   else `amount`.
///
/// Note: this reserves the fee in USDC, as if it were paid on top, although the venue takes a
/// BUY's fee in tokens; it is conservative. It reserves the fee computed on the *original*
/// base, so `result + fee(result) < balance` (the vectors check exactly this). Bad inputs give 0.
#[inline]
pub fn adjust_buy_amount_for_fees(
    amount_usdc: f64,
    price: f64,
    balance_usdc: f64,
    fee: FeeParams,
    builder_rate: f64,
    fee_slippage_pct: f64,
) -> f64 {
    if !(amount_usdc.is_finite() && amount_usdc > 0.0 && balance_usdc.is_finite()) {
        return 0.0;
    }
    if !(price > 0.0 && price < 1.0) {
        return 0.0;
    }
    let base = amount_usdc.min(balance_usdc).max(0.0);
    let slip = if fee_slippage_pct.is_finite() && fee_slippage_pct > 0.0 {
        1.0 + fee_slippage_pct / 100.0
    } else {
        1.0
    };
    let platform = taker_fee_usdc(base / price, price, fee) * slip;
    let builder = builder_fee_usdc(base, builder_rate);
    if balance_usdc <= amount_usdc + platform + builder {
        (balance_usdc - platform - builder).max(0.0)
    } else {
        amount_usdc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRYPTO: FeeParams = FeeParams {
        rate: 0.072,
        exponent: 1.0,
        taker_only: true,
    };

    #[test]
    fn fee_tokens_and_usdc_agree_at_the_fill_price() {
        let f = buy_fill(100.0, 0.4, CRYPTO);
        assert!((f.fee_tokens * f.price - f.fee_usdc).abs() < 1e-12);
        assert!((f.tokens_received + f.fee_tokens - f.shares).abs() < 1e-12);
    }

    #[test]
    fn effective_price_is_cost_per_token_received() {
        let f = buy_fill(100.0, 0.4, CRYPTO);
        let eff = effective_buy_price(0.4, CRYPTO);
        assert!((eff - f.usdc_paid / f.tokens_received).abs() < 1e-12);
    }
}
