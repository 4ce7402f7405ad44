//! The venue's order rules and the exact words it refuses with.
//!
//! Every text here is the venue's own, copied from a real refusal or from Polymarket's
//! error-codes page; `docs/venue/clob-rules.md` lists each rule with its source. The checks
//! are pure functions of the order's amounts so they can be tested one by one; the route
//! (`orders.rs`) runs them in the venue's order.

use crate::clob::amounts::Units;
use crate::clob::order::{OrderType, Side};

pub const UNAUTHORIZED: &str = "Unauthorized/Invalid api key";
pub const INVALID_L1: &str = "Invalid L1 Request headers";
pub const INVALID_PAYLOAD: &str = "Invalid order payload";
pub const INVALID_TOKEN: &str = "Invalid token id";
pub const OWNER_NOT_KEY: &str = "the order owner has to be the owner of the API KEY";
pub const SIGNER_NOT_KEY: &str = "the order signer address has to be the address of the API KEY";
pub const USE_DEPOSIT_WALLET: &str =
    "maker address not allowed, please use the deposit wallet flow";
pub const INVALID_SIGNATURE: &str = "invalid signature";
pub const INVALID_EXPIRATION: &str = "invalid expiration";
pub const POST_ONLY_MARKETABLE: &str =
    "invalid post-only order: only GTC and GTD orders may be post-only";
pub const POST_ONLY_CROSSES: &str = "invalid post-only order: order crosses book";
pub const MARKET_BUY_AMOUNTS: &str = "invalid amounts, the market buy orders maker amount \
     supports a max accuracy of 2 decimals, taker amount a max of 4 decimals";
/// Not seen in a capture: the BUY text with the side changed (see docs/venue/clob-rules.md).
pub const MARKET_SELL_AMOUNTS: &str = "invalid amounts, the market sell orders maker amount \
     supports a max accuracy of 2 decimals, taker amount a max of 4 decimals";
pub const FOK_KILLED: &str =
    "order couldn't be fully filled. FOK orders are fully filled or killed.";
pub const FAK_KILLED: &str = "no orders found to match with FAK order. FAK orders are partially \
     filled or killed if no match is found.";
pub const VERSION_MISMATCH: &str = "order_version_mismatch";
pub const TOO_MANY_REQUESTS: &str = "Too Many Requests";
pub const TRADING_DISABLED: &str =
    "Trading is currently disabled. Check polymarket.com for updates";
pub const EXECUTION_FAILED: &str = "could not run the execution";
pub const INVALID_ORDER_ID: &str = "Invalid orderID";

/// The smallest marketable BUY, in pUSD micro-units ($1).
pub const MIN_MARKETABLE_BUY_U6: u64 = 1_000_000;
/// The venue's minimum order size (`min_order_size` "5"), in 1e-6 shares, for orders that
/// rest (GTC/GTD); marketable orders are bounded by [`MIN_MARKETABLE_BUY_U6`] instead.
pub const MIN_ORDER_SIZE_U6: u64 = 5_000_000;
/// How far `POLY_TIMESTAMP` may be from the simulator's clock.
pub const L2_TIMESTAMP_WINDOW_S: u64 = 30;

/// FOK and FAK take liquidity now and use market-order amounts.
pub fn marketable(t: OrderType) -> bool {
    matches!(t, OrderType::Fok | OrderType::Fak)
}

/// (pUSD leg, share leg) of an order.
pub fn legs(side: Side, maker_u6: u64, taker_u6: u64) -> (u64, u64) {
    match side {
        Side::Buy => (maker_u6, taker_u6),
        Side::Sell => (taker_u6, maker_u6),
    }
}

/// A marketable order's amounts: maker at most 2 decimals, taker at most 4 (BUY: maker is
/// pUSD, taker shares; SELL: maker is shares, taker pUSD).
pub fn check_market_amounts(side: Side, maker_u6: u64, taker_u6: u64) -> Result<(), String> {
    if maker_u6 % 10_000 == 0 && taker_u6 % 100 == 0 {
        return Ok(());
    }
    Err(match side {
        Side::Buy => MARKET_BUY_AMOUNTS,
        Side::Sell => MARKET_SELL_AMOUNTS,
    }
    .to_string())
}

/// The price the order is on: a multiple of `tick_u6` in `[tick, 1 - tick]`.
///
/// A resting order's amounts must give the price exactly (`pUSD = shares × price`). A
/// marketable order's share leg (BUY) or pUSD leg (SELL) is truncated to 4 decimals, so its
/// implied price may differ from the tick by what one unit of that 4th decimal explains.
pub fn check_tick(
    side: Side,
    maker_u6: u64,
    taker_u6: u64,
    tick_u6: u64,
    order_type: OrderType,
    id: &str,
) -> Result<u64, String> {
    let (usdc, shares) = legs(side, maker_u6, taker_u6);
    if usdc == 0 || shares == 0 {
        return Err(format!(
            "order {id} is invalid. makerAmount and takerAmount must be positive"
        ));
    }
    let num = u128::from(usdc) * 1_000_000;
    let den = u128::from(shares);
    let tick = u128::from(tick_u6);
    // Nearest tick multiple of num/den.
    let t = (num * 2 / den + tick) / (2 * tick) * tick;
    let off = num.abs_diff(den * t);
    let slack = if marketable(order_type) {
        // One unit (1e-4) of the truncated leg, in the same 1e-12 units as `off`.
        match side {
            Side::Buy => t * 100,
            Side::Sell => 100 * 1_000_000,
        }
    } else {
        0
    };
    let implied_u6 = u64::try_from(num / den).unwrap_or(u64::MAX);
    if off > slack || t < tick || t > 1_000_000 - tick {
        return Err(format!(
            "order {id} is invalid. Price ({}) breaks minimum tick size rule: {}",
            Units(implied_u6),
            Units(tick_u6)
        ));
    }
    Ok(t as u64)
}

/// A marketable BUY must spend at least $1.
pub fn check_min_marketable_buy(
    side: Side,
    order_type: OrderType,
    maker_u6: u64,
) -> Result<(), String> {
    if side == Side::Buy && marketable(order_type) && maker_u6 < MIN_MARKETABLE_BUY_U6 {
        return Err(format!(
            "invalid amount for a marketable BUY order (${}), min size: $1",
            Units(maker_u6)
        ));
    }
    Ok(())
}

/// A resting order must be at least the market's minimum size in shares.
pub fn check_min_size(
    order_type: OrderType,
    shares_u6: u64,
    min_u6: u64,
    id: &str,
) -> Result<(), String> {
    if !marketable(order_type) && shares_u6 < min_u6 {
        return Err(format!(
            "order {id} is invalid. Size ({}) lower than the minimum: {}",
            Units(shares_u6),
            Units(min_u6)
        ));
    }
    Ok(())
}

pub fn duplicated(id: &str) -> String {
    format!("order {id} is invalid. Duplicated.")
}

/// `not enough balance / allowance` for a balance short of what the order needs.
pub fn balance_short(balance_u6: u64, reserved_u6: u64, amount_u6: u64) -> String {
    format!(
        "not enough balance / allowance: the balance is not enough -> balance: {balance_u6}, \
         sum of matched orders: {reserved_u6}, order amount (inc. fees): {amount_u6}"
    )
}

/// `not enough balance / allowance` for an allowance short of what the order needs.
pub fn allowance_short(
    spender: &str,
    allowance_u6: u64,
    reserved_u6: u64,
    amount_u6: u64,
) -> String {
    format!(
        "not enough balance / allowance: the allowance is not enough -> spender: {spender}, \
         allowance: {allowance_u6}, sum of matched orders: {reserved_u6}, order amount (inc. \
         fees): {amount_u6}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn market_amount_precision() {
        // $2.85 for 5 shares: fine. $2.8501: 4 decimals of pUSD.
        assert!(check_market_amounts(Side::Buy, 2_850_000, 5_000_000).is_ok());
        assert!(check_market_amounts(Side::Buy, 2_850_100, 5_000_000).is_err());
        // 10.13197 shares (py-clob-client-v2 #99): 5 decimals.
        assert_eq!(
            check_market_amounts(Side::Buy, 9_980_000, 10_131_970).unwrap_err(),
            MARKET_BUY_AMOUNTS
        );
        assert!(check_market_amounts(Side::Buy, 9_980_000, 10_131_900).is_ok());
        // rs-clob-client-v2 #59: maker 1.999422.
        assert!(check_market_amounts(Side::Buy, 1_999_422, 2_019_600).is_err());
        assert!(check_market_amounts(Side::Sell, 5_000_000, 2_851_200).is_ok());
        assert!(check_market_amounts(Side::Sell, 5_001_000, 2_850_000).is_err());
    }

    #[test]
    fn tick_exact_for_resting_orders_and_truncation_slack_for_marketable() {
        // 1.7543 shares for $1 at 0.57: implied 0.570027…, on tick only as a market order.
        assert_eq!(
            check_tick(
                Side::Buy,
                1_000_000,
                1_754_300,
                10_000,
                OrderType::Fak,
                "0x"
            ),
            Ok(570_000)
        );
        assert!(check_tick(
            Side::Buy,
            1_000_000,
            1_754_300,
            10_000,
            OrderType::Gtc,
            "0x"
        )
        .is_err());
        assert_eq!(
            check_tick(
                Side::Buy,
                5_700_000,
                10_000_000,
                10_000,
                OrderType::Gtc,
                "0x"
            ),
            Ok(570_000)
        );
        // Half a tick off is off whatever the type.
        let e = check_tick(
            Side::Buy,
            5_750_000,
            10_000_000,
            10_000,
            OrderType::Fok,
            "0xab",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "order 0xab is invalid. Price (0.575) breaks minimum tick size rule: 0.01"
        );
        // Outside [tick, 1 - tick].
        assert!(check_tick(
            Side::Buy,
            9_950_000,
            10_000_000,
            10_000,
            OrderType::Gtc,
            "0x"
        )
        .is_err());
    }

    #[test]
    fn one_dollar_and_minimum_size() {
        assert_eq!(
            check_min_marketable_buy(Side::Buy, OrderType::Fak, 990_000).unwrap_err(),
            "invalid amount for a marketable BUY order ($0.99), min size: $1"
        );
        assert!(check_min_marketable_buy(Side::Buy, OrderType::Fak, 1_000_000).is_ok());
        assert!(check_min_marketable_buy(Side::Buy, OrderType::Gtc, 10_000).is_ok());
        assert!(check_min_marketable_buy(Side::Sell, OrderType::Fak, 10_000).is_ok());
        assert_eq!(
            check_min_size(OrderType::Gtc, 4_000_000, MIN_ORDER_SIZE_U6, "0x1").unwrap_err(),
            "order 0x1 is invalid. Size (4) lower than the minimum: 5"
        );
        assert!(check_min_size(OrderType::Fak, 2_000_000, MIN_ORDER_SIZE_U6, "0x1").is_ok());
    }
}
