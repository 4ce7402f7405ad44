//! Tick sizes and the maker/taker amounts of a CLOB V2 order, in exact integer arithmetic.
//!
//! Every quantity here is an integer count of **1e-6 units** (`_u6`): pUSD and CTF shares
//! both have 6 decimals, and every tick size, lot size and rounding step of the venue is a
//! whole number of 1e-6 units, so no step needs a float or a fraction. Decimal strings are
//! parsed digit by digit ([`parse_units_exact`], [`parse_units_truncating`]).
//!
//! Rules (docs/venue/polymarket.md §2, the `ROUNDING_CONFIG` table):
//! - the price must be a multiple of the tick and lie in `[tick, 1 - tick]`;
//! - size (shares, or pUSD for a market BUY) is truncated to 2 decimals (the lot size) and
//!   must not become zero;
//! - the computed leg (`size*price`, or `amount/price` for a market BUY) is truncated to the
//!   tick's `amount_decimals`.
//!
//! The Python and TypeScript clients compute the same thing with floats and a
//! `round_up(x, amount_dp + 4)` guard before truncating. With a tick-aligned price of at most
//! 4 decimals the exact quotient is never within 1e-(amount_dp+4) below a grid point
//! (its denominator is below 1e4), so that guard never changes an exact result: truncation
//! *is* their algorithm done exactly. Where their floats slip (`0.57 * 100 = 56.99…`) this
//! module is right and they are not; see `tests/clob_amounts.rs`.
//!
//! Limits: amounts are `u64` 1e-6 units (up to 1.8e13 whole units); larger results are an
//! [`AmountError::Overflow`]. Nothing here allocates.

use std::fmt;

use crate::clob::order::Side;

/// 1e-6 units in one whole pUSD or one whole share.
pub const UNITS_PER_WHOLE: u64 = 1_000_000;

/// Decimals of the integer units used throughout (`_u6`).
pub const UNIT_DECIMALS: u32 = 6;

/// Shares and market-BUY pUSD amounts are truncated to this many decimals (0.01 lot).
pub const SIZE_DECIMALS: u32 = 2;

const LOT_U6: u64 = 10_000;

/// The smallest marketable (FOK/FAK) BUY the venue takes: $1 of pUSD, in 1e-6 units.
pub const MIN_MARKETABLE_BUY_U6: u64 = 1_000_000;

/// Decimals the venue allows on a marketable order's maker leg (2) and taker leg (4),
/// whatever the tick (polymarket.md §10.2; py-clob-client-v2 #99).
const MARKET_MAKER_GRID_U6: u64 = 10_000;
const MARKET_TAKER_GRID_U6: u64 = 100;

/// A market's minimum price increment. The V2 venue knows exactly these six.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TickSize {
    /// 0.1
    Tenth,
    /// 0.01
    Hundredth,
    /// 0.005 (new in V2)
    HalfCent,
    /// 0.0025 (new in V2)
    QuarterCent,
    /// 0.001
    Thousandth,
    /// 0.0001
    TenThousandth,
}

impl TickSize {
    /// All tick sizes, coarsest first.
    pub const ALL: [TickSize; 6] = [
        TickSize::Tenth,
        TickSize::Hundredth,
        TickSize::HalfCent,
        TickSize::QuarterCent,
        TickSize::Thousandth,
        TickSize::TenThousandth,
    ];

    /// Parses the venue's spelling (`"0.01"`, as in `GET /tick-size` and Gamma
    /// `orderPriceMinTickSize`). Trailing zeros are accepted (`"0.010"`).
    pub fn parse_str(s: &str) -> Result<TickSize, AmountError> {
        let tick_u6 = parse_units_exact(s, UNIT_DECIMALS)?;
        TickSize::ALL
            .into_iter()
            .find(|t| t.tick_u6() == tick_u6)
            .ok_or(AmountError::UnknownTickSize)
    }

    /// The tick of a price grid in 1e-4 units (the books' unit), if the venue knows it.
    pub fn from_e4(tick_e4: u16) -> Option<TickSize> {
        let tick_u6 = tick_e4 as u64 * 100;
        TickSize::ALL.into_iter().find(|t| t.tick_u6() == tick_u6)
    }

    /// The venue's spelling of this tick.
    pub const fn as_str(self) -> &'static str {
        match self {
            TickSize::Tenth => "0.1",
            TickSize::Hundredth => "0.01",
            TickSize::HalfCent => "0.005",
            TickSize::QuarterCent => "0.0025",
            TickSize::Thousandth => "0.001",
            TickSize::TenThousandth => "0.0001",
        }
    }

    /// The tick in 1e-6 units.
    pub const fn tick_u6(self) -> u64 {
        match self {
            TickSize::Tenth => 100_000,
            TickSize::Hundredth => 10_000,
            TickSize::HalfCent => 5_000,
            TickSize::QuarterCent => 2_500,
            TickSize::Thousandth => 1_000,
            TickSize::TenThousandth => 100,
        }
    }

    /// `ROUNDING_CONFIG.price`: decimals of a price on this tick.
    pub const fn price_decimals(self) -> u32 {
        match self {
            TickSize::Tenth => 1,
            TickSize::Hundredth => 2,
            TickSize::HalfCent | TickSize::Thousandth => 3,
            TickSize::QuarterCent | TickSize::TenThousandth => 4,
        }
    }

    /// `ROUNDING_CONFIG.size`: decimals of a size (the same for every tick).
    pub const fn size_decimals(self) -> u32 {
        SIZE_DECIMALS
    }

    /// `ROUNDING_CONFIG.amount`: decimals kept on the computed (price-multiplied) leg.
    pub const fn amount_decimals(self) -> u32 {
        match self {
            TickSize::Tenth => 3,
            TickSize::Hundredth => 4,
            TickSize::HalfCent | TickSize::Thousandth => 5,
            TickSize::QuarterCent | TickSize::TenThousandth => 6,
        }
    }

    /// The grid of the computed leg in 1e-6 units (`10^(6 - amount_decimals)`).
    const fn amount_grid_u6(self) -> u64 {
        10u64.pow(UNIT_DECIMALS - self.amount_decimals())
    }
}

impl fmt::Display for TickSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a market allows: its tick and its minimum order size (Gamma `orderMinSize`,
/// CLOB `min_order_size`). Read both per market at runtime; they change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketRules {
    pub tick: TickSize,
    /// Minimum order size in shares, 1e-6 units; 0 means none. Checked on the share leg.
    pub min_size_u6: u64,
}

/// makerAmount and takerAmount as signed, in 1e-6 units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amounts {
    pub maker_amount_u6: u64,
    pub taker_amount_u6: u64,
}

/// Why an order's amounts cannot be built. All are the caller's input being wrong for the
/// market (refuse the order, do not retry as is); none is transient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("price {} is not a multiple of the tick size {tick}", Units(*.price_u6))]
    PriceOffTick { price_u6: u64, tick: TickSize },
    #[error(
        "price {} is outside [{tick}, {}] for tick size {tick}",
        Units(*.price_u6),
        Units(UNITS_PER_WHOLE - tick.tick_u6())
    )]
    PriceOutOfRange { price_u6: u64, tick: TickSize },
    #[error("size {} rounds down to zero at lot size {SIZE_DECIMALS}", Units(*.size_u6))]
    SizeZeroAfterRounding { size_u6: u64 },
    #[error("size {} is under the market minimum {}", Units(*.size_u6), Units(*.min_size_u6))]
    SizeBelowMinimum { size_u6: u64, min_size_u6: u64 },
    #[error("a marketable BUY of {} pUSD is under the venue's $1 minimum", Units(*.maker_u6))]
    MarketableBuyUnderOneDollar { maker_u6: u64 },
    #[error("amount does not fit in 64-bit 1e-6 units")]
    Overflow,
    #[error("not a plain non-negative decimal number")]
    InvalidDecimal,
    #[error("more than {max_decimals} significant decimals")]
    TooManyDecimals { max_decimals: u32 },
    #[error("not one of the tick sizes 0.1, 0.01, 0.005, 0.0025, 0.001, 0.0001")]
    UnknownTickSize,
}

/// Displays a 1e-6 unit count as a minimal decimal (`570000` → `0.57`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Units(pub u64);

impl fmt::Display for Units {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / UNITS_PER_WHOLE;
        let mut frac = self.0 % UNITS_PER_WHOLE;
        write!(f, "{whole}")?;
        if frac == 0 {
            return Ok(());
        }
        let mut width = UNIT_DECIMALS as usize;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        write!(f, ".{frac:0width$}")
    }
}

/// Parses a plain decimal (`"12"`, `"0.57"`, `".5"`, `"3."`) into units of `10^-decimals`,
/// refusing any non-zero digit past `decimals` ([`AmountError::TooManyDecimals`]).
pub fn parse_units_exact(s: &str, decimals: u32) -> Result<u64, AmountError> {
    parse_units(s, decimals, false)
}

/// Like [`parse_units_exact`] but drops digits past `decimals` (truncation toward zero),
/// as the Rust SDK's `to_fixed_u128` does: `"123.456789111"` at 6 → `123456789`.
pub fn parse_units_truncating(s: &str, decimals: u32) -> Result<u64, AmountError> {
    parse_units(s, decimals, true)
}

fn parse_units(s: &str, decimals: u32, truncate: bool) -> Result<u64, AmountError> {
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(AmountError::InvalidDecimal);
    }
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || !all_digits(frac_part) {
        return Err(AmountError::InvalidDecimal);
    }
    let mut value: u64 = 0;
    let push = |value: u64, digit: u8| -> Result<u64, AmountError> {
        value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit - b'0')))
            .ok_or(AmountError::Overflow)
    };
    for d in int_part.bytes() {
        value = push(value, d)?;
    }
    let keep = frac_part.len().min(decimals as usize);
    for d in frac_part.bytes().take(keep) {
        value = push(value, d)?;
    }
    for _ in keep..decimals as usize {
        value = value.checked_mul(10).ok_or(AmountError::Overflow)?;
    }
    let dropped_nonzero = frac_part.bytes().skip(keep).any(|d| d != b'0');
    if dropped_nonzero && !truncate {
        return Err(AmountError::TooManyDecimals {
            max_decimals: decimals,
        });
    }
    Ok(value)
}

/// Truncates a size to the 0.01 lot (`0.234` → `0.23`, `10.005` → `10`).
#[inline]
pub const fn lot_size_round_down_u6(size_u6: u64) -> u64 {
    size_u6 - size_u6 % LOT_U6
}

/// Checks that `price_u6` is on `tick` and inside `[tick, 1 - tick]`.
#[inline]
pub fn check_price(price_u6: u64, tick: TickSize) -> Result<(), AmountError> {
    let t = tick.tick_u6();
    if price_u6 % t != 0 {
        return Err(AmountError::PriceOffTick { price_u6, tick });
    }
    if price_u6 < t || price_u6 > UNITS_PER_WHOLE - t {
        return Err(AmountError::PriceOutOfRange { price_u6, tick });
    }
    Ok(())
}

/// Amounts of a limit order for `size_u6` shares at `price_u6`.
///
/// BUY gives pUSD (maker) for shares (taker); SELL the reverse. The share leg is the size
/// truncated to the lot; the pUSD leg is `shares * price` truncated to the tick's
/// amount decimals (always exact for a valid price, kept for safety).
pub fn limit_order_amounts(
    side: Side,
    price_u6: u64,
    size_u6: u64,
    rules: MarketRules,
) -> Result<Amounts, AmountError> {
    check_price(price_u6, rules.tick)?;
    let shares_u6 = lot_size(size_u6, rules)?;
    let notional_u6 = mul_price(shares_u6, price_u6, rules.tick)?;
    Ok(match side {
        Side::Buy => Amounts {
            maker_amount_u6: notional_u6,
            taker_amount_u6: shares_u6,
        },
        Side::Sell => Amounts {
            maker_amount_u6: shares_u6,
            taker_amount_u6: notional_u6,
        },
    })
}

/// Amounts of a market order: a BUY spends `amount_u6` pUSD, a SELL sells `amount_u6`
/// shares, both at worst price `price_u6`.
///
/// BUY: maker = pUSD truncated to the 0.01 lot, taker = `maker / price` truncated to the
/// tick's amount decimals; the minimum size is checked on that share count.
/// SELL: maker = shares truncated to the lot, taker = `maker * price`.
pub fn market_order_amounts(
    side: Side,
    price_u6: u64,
    amount_u6: u64,
    rules: MarketRules,
) -> Result<Amounts, AmountError> {
    check_price(price_u6, rules.tick)?;
    match side {
        Side::Buy => {
            let spend_u6 = lot_size_round_down_u6(amount_u6);
            if spend_u6 == 0 {
                return Err(AmountError::SizeZeroAfterRounding { size_u6: amount_u6 });
            }
            let grid = u128::from(rules.tick.amount_grid_u6());
            // shares = spend / price, in 1e-6 units, floored onto the amount grid.
            let exact = u128::from(spend_u6) * u128::from(UNITS_PER_WHOLE);
            let shares = exact / (u128::from(price_u6) * grid) * grid;
            let shares_u6 = u64::try_from(shares).map_err(|_| AmountError::Overflow)?;
            check_min(shares_u6, rules)?;
            Ok(Amounts {
                maker_amount_u6: spend_u6,
                taker_amount_u6: shares_u6,
            })
        }
        Side::Sell => {
            let shares_u6 = lot_size(amount_u6, rules)?;
            Ok(Amounts {
                maker_amount_u6: shares_u6,
                taker_amount_u6: mul_price(shares_u6, price_u6, rules.tick)?,
            })
        }
    }
}

/// Amounts of a marketable (FOK/FAK) order for `size_u6` shares at worst price `price_u6`,
/// with the venue's market-order precision: maker at most 2 decimals, taker at most 4
/// (limit-order rounding is refused for these: rs-clob-client PR #164, py-clob-client #121).
///
/// BUY: maker (pUSD) = `shares × price` rounded **up** to the cent, taker (shares) =
/// `maker / price` truncated to 4 decimals. So taker ≥ the lot-rounded size and the implied
/// price `maker / taker` is never below `price`: the order can still fill at the ask (rounding
/// the taker up instead is py-sdk bug #291, a FAK that never fills). It must spend at least
/// $1 ([`MIN_MARKETABLE_BUY_U6`]).
/// SELL: maker (shares) = the lot-rounded size, taker (pUSD) = `maker × price` truncated to
/// 4 decimals, so the implied price is never above `price`.
/// The market's minimum size is checked on the lot-rounded size.
pub fn marketable_order_amounts(
    side: Side,
    price_u6: u64,
    size_u6: u64,
    rules: MarketRules,
) -> Result<Amounts, AmountError> {
    check_price(price_u6, rules.tick)?;
    let shares_u6 = lot_size(size_u6, rules)?;
    let product = u128::from(shares_u6) * u128::from(price_u6); // 1e-12
    let unit = u128::from(UNITS_PER_WHOLE);
    match side {
        Side::Buy => {
            let grid = unit * u128::from(MARKET_MAKER_GRID_U6);
            let maker = product.div_ceil(grid) * u128::from(MARKET_MAKER_GRID_U6);
            let maker_u6 = u64::try_from(maker).map_err(|_| AmountError::Overflow)?;
            if maker_u6 < MIN_MARKETABLE_BUY_U6 {
                return Err(AmountError::MarketableBuyUnderOneDollar { maker_u6 });
            }
            let tgrid = u128::from(MARKET_TAKER_GRID_U6);
            let taker = maker * unit / (u128::from(price_u6) * tgrid) * tgrid;
            Ok(Amounts {
                maker_amount_u6: maker_u6,
                taker_amount_u6: u64::try_from(taker).map_err(|_| AmountError::Overflow)?,
            })
        }
        Side::Sell => {
            let tgrid = unit * u128::from(MARKET_TAKER_GRID_U6);
            let taker = product / tgrid * u128::from(MARKET_TAKER_GRID_U6);
            Ok(Amounts {
                maker_amount_u6: shares_u6,
                taker_amount_u6: u64::try_from(taker).map_err(|_| AmountError::Overflow)?,
            })
        }
    }
}

fn lot_size(size_u6: u64, rules: MarketRules) -> Result<u64, AmountError> {
    let shares_u6 = lot_size_round_down_u6(size_u6);
    if shares_u6 == 0 {
        return Err(AmountError::SizeZeroAfterRounding { size_u6 });
    }
    check_min(shares_u6, rules)?;
    Ok(shares_u6)
}

fn check_min(shares_u6: u64, rules: MarketRules) -> Result<(), AmountError> {
    if shares_u6 < rules.min_size_u6 {
        return Err(AmountError::SizeBelowMinimum {
            size_u6: shares_u6,
            min_size_u6: rules.min_size_u6,
        });
    }
    Ok(())
}

/// `trunc(shares * price, amount_decimals)` in 1e-6 units.
fn mul_price(shares_u6: u64, price_u6: u64, tick: TickSize) -> Result<u64, AmountError> {
    let grid = u128::from(tick.amount_grid_u6());
    let product = u128::from(shares_u6) * u128::from(price_u6);
    let divisor = u128::from(UNITS_PER_WHOLE) * grid;
    u64::try_from(product / divisor * grid).map_err(|_| AmountError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_display_is_minimal() {
        assert_eq!(Units(570_000).to_string(), "0.57");
        assert_eq!(Units(21_040_000).to_string(), "21.04");
        assert_eq!(Units(5_000_000).to_string(), "5");
        assert_eq!(Units(1).to_string(), "0.000001");
        assert_eq!(Units(0).to_string(), "0");
    }

    #[test]
    fn parse_rejects_junk() {
        for bad in ["", ".", "-1", "1e3", "0x10", " 1", "1.2.3", "+1"] {
            assert!(parse_units_exact(bad, 6).is_err(), "{bad:?}");
        }
        assert_eq!(parse_units_exact(".5", 6), Ok(500_000));
        assert_eq!(parse_units_exact("3.", 6), Ok(3_000_000));
        assert_eq!(parse_units_exact("0.5700000000", 6), Ok(570_000));
        assert_eq!(
            parse_units_exact("0.5700001", 6),
            Err(AmountError::TooManyDecimals { max_decimals: 6 })
        );
        assert_eq!(
            parse_units_exact("99999999999999999999", 6),
            Err(AmountError::Overflow)
        );
    }

    #[test]
    fn marketable_amounts_have_market_precision_and_never_a_lower_price() {
        let rules = |tick| MarketRules {
            tick,
            min_size_u6: 5_000_000,
        };
        // 5.55 shares at 0.57: $3.1635 → $3.17, 3.17 / 0.57 = 5.56140… → 5.5614.
        let a = marketable_order_amounts(Side::Buy, 570_000, 5_550_000, rules(TickSize::Hundredth))
            .unwrap();
        assert_eq!(
            (a.maker_amount_u6, a.taker_amount_u6),
            (3_170_000, 5_561_400)
        );
        // py-clob-client-v2 #99's case on a 0.001 tick: 4 decimals, not 5.
        let a =
            marketable_order_amounts(Side::Buy, 985_000, 10_130_000, rules(TickSize::Thousandth))
                .unwrap();
        assert_eq!(a.maker_amount_u6 % 10_000, 0);
        assert_eq!(a.taker_amount_u6 % 100, 0);
        // The implied price is never below the limit; the size never below the request.
        for (p, s) in [
            (570_000, 5_550_000),
            (333_000, 5_000_000),
            (985_000, 7_770_000),
        ] {
            let tick = if p % 10_000 == 0 {
                TickSize::Hundredth
            } else {
                TickSize::Thousandth
            };
            let a = marketable_order_amounts(Side::Buy, p, s, rules(tick)).unwrap();
            assert!(
                u128::from(a.maker_amount_u6) * 1_000_000
                    >= u128::from(p) * u128::from(a.taker_amount_u6)
            );
            assert!(a.taker_amount_u6 >= s);
        }
        // Under $1: refused before it is signed.
        assert_eq!(
            marketable_order_amounts(Side::Buy, 100_000, 5_000_000, rules(TickSize::Hundredth)),
            Err(AmountError::MarketableBuyUnderOneDollar { maker_u6: 500_000 })
        );
        // SELL: maker shares, taker pUSD truncated to 4 decimals.
        let a =
            marketable_order_amounts(Side::Sell, 333_000, 7_000_000, rules(TickSize::Thousandth))
                .unwrap();
        assert_eq!(
            (a.maker_amount_u6, a.taker_amount_u6),
            (7_000_000, 2_331_000)
        );
    }

    #[test]
    fn amount_grid_matches_decimals() {
        for t in TickSize::ALL {
            assert_eq!(
                t.amount_grid_u6(),
                10u64.pow(UNIT_DECIMALS - t.amount_decimals())
            );
            // A tick-aligned price times a 0.01 lot is always on the amount grid.
            assert_eq!(
                (t.tick_u6() * LOT_U6 / UNITS_PER_WHOLE) % t.amount_grid_u6(),
                0
            );
        }
    }
}
