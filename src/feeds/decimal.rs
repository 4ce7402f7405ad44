//! Exact decimal strings to fixed-point integers, without floats or allocation.
//!
//! Venues send prices and sizes as decimal strings ("97012.35000000", "0.48"). Parsing them to
//! integers of a fixed number of decimals keeps the hot path exact; digits beyond the scale
//! are truncated (the venues never send more than the scales chosen in `pipeline::events`).

/// Parse an unsigned decimal like "123.4500" into units of 10^-`decimals`.
/// `None` on an empty string, a sign, a second dot, a non-digit, or overflow.
#[inline]
pub fn parse_fixed(s: &[u8], decimals: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut int: u64 = 0;
    let mut frac: u64 = 0;
    let mut frac_digits = 0u32;
    let mut seen_dot = false;
    let mut digits = 0usize;
    for &b in s {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                let d = (b - b'0') as u64;
                if seen_dot {
                    if frac_digits < decimals {
                        frac = frac * 10 + d;
                        frac_digits += 1;
                    }
                } else {
                    int = int.checked_mul(10)?.checked_add(d)?;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let scale = 10u64.checked_pow(decimals)?;
    let frac = frac * 10u64.pow(decimals - frac_digits);
    int.checked_mul(scale)?.checked_add(frac)
}

/// Price or quantity in 1e-8 units (Binance).
#[inline]
pub fn parse_e8(s: &[u8]) -> Option<i64> {
    parse_fixed(s, 8).and_then(|v| i64::try_from(v).ok())
}

/// Polymarket price in 1e-4 units; must lie in [0, 1].
#[inline]
pub fn parse_price_e4(s: &[u8]) -> Option<u32> {
    parse_fixed(s, 4).filter(|&v| v <= 10_000).map(|v| v as u32)
}

/// Polymarket size or USDC amount in 1e-6 units.
#[inline]
pub fn parse_e6(s: &[u8]) -> Option<u64> {
    parse_fixed(s, 6)
}

/// Integer milliseconds, as Polymarket sends timestamps ("1757908892351").
#[inline]
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_prices_parse_exactly() {
        assert_eq!(parse_e8(b"97012.35000000"), Some(9_701_235_000_000));
        assert_eq!(parse_e8(b"0.001"), Some(100_000));
        assert_eq!(parse_e8(b"100"), Some(10_000_000_000));
        assert_eq!(parse_e8(b"25.35190000"), Some(2_535_190_000));
    }

    #[test]
    fn polymarket_prices_and_sizes() {
        assert_eq!(parse_price_e4(b"0.57"), Some(5_700));
        assert_eq!(parse_price_e4(b".5"), Some(5_000));
        assert_eq!(parse_price_e4(b"0.0025"), Some(25));
        assert_eq!(parse_price_e4(b"1"), Some(10_000));
        assert_eq!(parse_price_e4(b"1.01"), None);
        assert_eq!(parse_e6(b"120.5"), Some(120_500_000));
        assert_eq!(parse_e6(b"0"), Some(0));
    }

    #[test]
    fn extra_digits_truncate() {
        assert_eq!(parse_price_e4(b"0.123456"), Some(1_234));
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            &b""[..],
            b".",
            b"-1",
            b"1.2.3",
            b"12a",
            b" 1",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_fixed(bad, 8), None, "{:?}", std::str::from_utf8(bad));
        }
        assert_eq!(parse_u64(b"17579x"), None);
        assert_eq!(parse_u64(b"1757908892351"), Some(1_757_908_892_351));
    }
}
