//! Every rule of the strict simulated CLOB, one offending request each, refused in the
//! venue's words (docs/venue/clob-rules.md lists the rules and their sources): marketable
//! orders with limit-order amounts, a marketable BUY under $1, a resting order under the
//! minimum size, an off-tick resting price, an EOA maker for a deposit-wallet account, a
//! signer that is not the API key's, pUSD balance and allowance of the wallet holding the
//! funds (on the CLOB's cached view), stale L2 timestamps, 429 with `Retry-After`; and what
//! an accepted order does to the wallet (fees per the market's schedule).

mod venue_clob_common;

use cassandra::clob::amounts::Units;
use cassandra::clob::order::{Address, OrderType, Side, SignatureType};
use cassandra::sim::{SimVerdict, WalletKind};
use venue_clob_common::{now_s, px_u6, signer, Trader, Venue};

const MARKET_BUY: &str = "invalid amounts, the market buy orders maker amount supports a max \
                          accuracy of 2 decimals, taker amount a max of 4 decimals";

fn funded(v: &Venue, key_byte: u8) -> Trader {
    let t = v.eoa_trader(key_byte);
    v.sim.clob().fund(&t.maker, 1_000_000_000);
    t
}

fn last_id(v: &Venue) -> String {
    v.sim.clob().orders().last().unwrap().order_id.clone()
}

#[test]
fn a_marketable_buy_with_limit_order_amounts_is_refused_and_market_amounts_are_taken() {
    let v = Venue::start();
    let t = funded(&v, 0x11);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    // Limit rounding: 9.61 shares × the ask has 3–5 decimals of pUSD.
    let maker = 9_610_000 * ask / 1_000_000;
    assert_ne!(maker % 10_000, 0, "the case needs more than 2 decimals");
    let a = v.post(
        &t,
        &v.body_raw(&t, Side::Buy, maker, 9_610_000, OrderType::Fak),
    );
    assert_eq!((a.status, a.error()), (400, MARKET_BUY.to_string()));
    // A share leg of 5 decimals (py-clob-client-v2 #99) is refused the same way.
    let a = v.post(
        &t,
        &v.body_raw(&t, Side::Buy, 10 * ask, 10_000_010, OrderType::Fok),
    );
    assert_eq!((a.status, a.error()), (400, MARKET_BUY.to_string()));
    // The same intent with market-order amounts fills.
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 9_610_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["status"], "matched");
    // A resting order keeps limit-order amounts: 4 decimals of pUSD are fine for a GTC.
    let bid = px_u6(v.book().best_bid().unwrap().price_e4);
    let gtc_maker = 9_610_000 * bid / 1_000_000;
    let a = v.post(
        &t,
        &v.body_raw(&t, Side::Buy, gtc_maker, 9_610_000, OrderType::Gtc),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    let verdicts: Vec<SimVerdict> = v.sim.clob().orders().iter().map(|o| o.verdict).collect();
    assert_eq!(
        verdicts,
        [
            SimVerdict::Rejected,
            SimVerdict::Rejected,
            SimVerdict::Matched,
            SimVerdict::Live
        ]
    );
}

#[test]
fn a_marketable_sell_with_limit_order_amounts_is_refused() {
    let v = Venue::start();
    let t = funded(&v, 0x12);
    v.sim.clob().give_tokens(&t.maker, &v.token, 20_000_000);
    let bid = px_u6(v.book().best_bid().unwrap().price_e4);
    // 7.005 shares: a maker leg of 3 decimals.
    let a = v.post(
        &t,
        &v.body_raw(
            &t,
            Side::Sell,
            7_005_000,
            7_005_000 * bid / 1_000_000 / 100 * 100,
            OrderType::Fak,
        ),
    );
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.error(),
        "invalid amounts, the market sell orders maker amount supports a max accuracy of 2 \
         decimals, taker amount a max of 4 decimals"
    );
    let a = v.post(&t, &v.body(&t, Side::Sell, bid, 7_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
}

#[test]
fn a_marketable_buy_under_one_dollar_is_refused() {
    let v = Venue::start();
    let t = funded(&v, 0x13);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    // One share at the ask: well under $1.
    let maker = ask / 10_000 * 10_000;
    let a = v.post(
        &t,
        &v.body_raw(&t, Side::Buy, maker, 1_000_000, OrderType::Fak),
    );
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.error(),
        format!(
            "invalid amount for a marketable BUY order (${}), min size: $1",
            Units(maker)
        )
    );
    // Two shares at about 0.5 is about $1 and under the 5-share minimum: a marketable order
    // is bounded by $1, not by the minimum size.
    let shares = (1_000_000u64 * 1_000_000).div_ceil(ask).div_ceil(10_000) * 10_000;
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, shares, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
}

#[test]
fn a_resting_order_under_the_minimum_size_or_off_the_tick_is_refused() {
    let v = Venue::start();
    let t = funded(&v, 0x14);
    let bid = px_u6(v.book().best_bid().unwrap().price_e4);
    let a = v.post(&t, &v.body(&t, Side::Buy, bid, 4_000_000, OrderType::Gtc));
    assert_eq!(a.status, 400);
    assert_eq!(
        a.error(),
        format!(
            "order {} is invalid. Size (4) lower than the minimum: 5",
            last_id(&v)
        )
    );
    // A resting order's amounts must give a price on the tick exactly.
    let tick = v.tick().tick_u6();
    let a = v.post(
        &t,
        &v.body_raw(
            &t,
            Side::Buy,
            10 * bid + 10 * tick / 2,
            10_000_000,
            OrderType::Gtc,
        ),
    );
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.error(),
        format!(
            "order {} is invalid. Price ({}) breaks minimum tick size rule: {}",
            last_id(&v),
            Units(bid + tick / 2),
            Units(tick)
        )
    );
}

#[test]
fn a_deposit_wallet_account_may_trade_only_through_its_deposit_wallet() {
    let v = Venue::start();
    let mut t = funded(&v, 0x15);
    let wallet = Address::parse_hex("0x00000000000000000000000000000000000d3b05").unwrap();
    v.sim
        .clob()
        .add_wallet(t.eoa(), wallet, WalletKind::DepositWallet);
    v.sim.clob().fund(&wallet, 50_000_000);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    // The EOA as maker (type 0), though the EOA itself is funded.
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.error(),
        "maker address not allowed, please use the deposit wallet flow"
    );
    // A proxy maker (type 1) is no better.
    let proxy = Address::parse_hex("0x0000000000000000000000000000000000000b0b").unwrap();
    v.sim.clob().add_funder(t.eoa(), proxy);
    t.maker = proxy;
    t.signature_type = SignatureType::PolyProxy;
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(
        a.error(),
        "maker address not allowed, please use the deposit wallet flow"
    );
    // POLY_1271 with maker = signer = the deposit wallet: the envelope is verified, it fills
    // and the deposit wallet pays.
    t.maker = wallet;
    t.signature_type = SignatureType::Poly1271;
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    let making = v.sim.clob().orders().last().unwrap().notional_u6;
    assert_eq!(
        v.sim.clob().balance(&wallet).unwrap().pusd_u6,
        50_000_000 - making
    );
    assert_eq!(
        v.sim.clob().balance(&t.eoa()).unwrap().pusd_u6,
        1_000_000_000
    );
    // Signed by another key for this wallet: the envelope does not verify.
    let other = v.eoa_trader(0x16);
    let forged = Trader {
        signer: other.signer,
        creds: t.creds.clone(),
        l2: t.l2.clone(),
        maker: wallet,
        signature_type: SignatureType::Poly1271,
        auth_address: t.eoa(),
    };
    let a = v.post(
        &forged,
        &v.body(&forged, Side::Buy, ask, 5_000_000, OrderType::Fak),
    );
    assert_eq!(
        (a.status, a.error()),
        (400, "invalid signature".to_string())
    );
}

#[test]
fn the_signer_must_be_the_api_keys() {
    let v = Venue::start();
    let a_trader = funded(&v, 0x17);
    let b_trader = funded(&v, 0x18);
    // B's key signs an order for B, sent with A's API key.
    let mixed = Trader {
        signer: signer(0x18),
        creds: a_trader.creds.clone(),
        l2: a_trader.l2.clone(),
        maker: b_trader.maker,
        signature_type: SignatureType::Eoa,
        auth_address: a_trader.eoa(),
    };
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let a = v.post(
        &mixed,
        &v.body(&mixed, Side::Buy, ask, 5_000_000, OrderType::Fak),
    );
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(
        a.error(),
        "the order signer address has to be the address of the API KEY"
    );
    // A deposit wallet of another owner, under A's key.
    let wallet = Address::parse_hex("0x00000000000000000000000000000000000d3b06").unwrap();
    v.sim
        .clob()
        .add_wallet(b_trader.eoa(), wallet, WalletKind::DepositWallet);
    let mut dw = Trader {
        maker: wallet,
        signature_type: SignatureType::Poly1271,
        ..mixed
    };
    dw.signer = signer(0x17);
    let a = v.post(&dw, &v.body(&dw, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(
        a.error(),
        "the order signer address has to be the address of the API KEY"
    );
    // The owner field must be the key too.
    let body = String::from_utf8(v.body(&a_trader, Side::Buy, ask, 5_000_000, OrderType::Fak))
        .unwrap()
        .replace(a_trader.creds.api_key(), b_trader.creds.api_key());
    let a = v.post(&a_trader, body.as_bytes());
    assert_eq!(
        a.error(),
        "the order owner has to be the owner of the API KEY"
    );
    assert!(v.sim.clob().orders().iter().all(|o| o.filled_u6 == 0));
}

#[test]
fn funds_are_checked_on_the_clobs_cached_view_of_the_wallet() {
    let v = Venue::start();
    let t = v.eoa_trader(0x19);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let body = || v.body(&t, Side::Buy, ask, 10_000_000, OrderType::Fak);
    let need = 10 * ask;
    let a = v.post(&t, &body());
    assert_eq!(a.status, 400);
    assert_eq!(
        a.error(),
        format!(
            "not enough balance / allowance: the balance is not enough -> balance: 0, sum of \
             matched orders: 0, order amount (inc. fees): {need}"
        )
    );
    // Deposited on chain, but the CLOB has not looked: still refused.
    v.sim.clob().deposit(&t.maker, 20_000_000);
    assert_eq!(v.post(&t, &body()).status, 400);
    let ba = v.request(
        &t,
        "GET",
        "/balance-allowance?asset_type=COLLATERAL&signature_type=0",
        b"",
    );
    assert_eq!(ba.json()["balance"], "0");
    // Refreshed: the balance is there, the allowance is not.
    let r = v.refresh(&t);
    assert_eq!((r.status, r.text.as_str()), (200, ""));
    let a = v.post(&t, &body());
    assert_eq!(
        a.error(),
        format!(
            "not enough balance / allowance: the allowance is not enough -> spender: \
             0xE111180000d2663C0091e4f400237545B87B996B, allowance: 0, sum of matched orders: 0, \
             order amount (inc. fees): {need}"
        )
    );
    // Approved and refreshed: taken.
    v.sim.clob().approve(&t.maker, u64::MAX);
    v.refresh(&t);
    let ba = v.request(
        &t,
        "GET",
        "/balance-allowance?asset_type=COLLATERAL&signature_type=0",
        b"",
    );
    let j = ba.json();
    assert_eq!(j["balance"], "20000000");
    assert_eq!(
        j["allowances"]["0xE111180000d2663C0091e4f400237545B87B996B"],
        "115792089237316195423570985008687907853269984665640564039457584007913129639935"
    );
    let a = v.post(&t, &body());
    assert_eq!(a.status, 200, "{}", a.text);
    // A resting BUY ties up its pUSD: the next order sees it as "sum of matched orders".
    let bid = px_u6(v.book().best_bid().unwrap().price_e4);
    let left = v.sim.clob().balance(&t.maker).unwrap().cached_pusd_u6;
    let shares = left * 1_000_000 / bid / 10_000 * 10_000 - 10_000;
    let a = v.post(&t, &v.body(&t, Side::Buy, bid, shares, OrderType::Gtc));
    assert_eq!(a.status, 200, "{}", a.text);
    let a = v.post(&t, &v.body(&t, Side::Buy, bid, 5_000_000, OrderType::Gtc));
    assert_eq!(a.status, 400);
    let reserved = shares * bid / 1_000_000;
    assert_eq!(
        a.error(),
        format!(
            "not enough balance / allowance: the balance is not enough -> balance: {left}, sum \
             of matched orders: {reserved}, order amount (inc. fees): {}",
            5 * bid
        )
    );
}

#[test]
fn a_buy_pays_its_fee_in_tokens_per_the_markets_schedule() {
    let v = Venue::start();
    let t = funded(&v, 0x1a);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 10_000_000, OrderType::Fok));
    assert_eq!(a.status, 200, "{}", a.text);
    // fee = shares × 0.07 × p(1−p), in pUSD (0.07: the captured market's feeSchedule rate);
    // paid as fee / p tokens, rounded up.
    assert_eq!(v.sim.clob().fee_schedule().rate_ppm, 70_000);
    let p = u128::from(ask);
    let fee = (10_000_000u128 * 70_000 * p * (1_000_000 - p) + 500_000_000_000_000_000)
        / 1_000_000_000_000_000_000;
    let fee_tokens = (fee * 1_000_000).div_ceil(p) as u64;
    let b = v.sim.clob().balance(&t.maker).unwrap();
    assert_eq!(b.pusd_u6, 1_000_000_000 - 10 * ask);
    assert_eq!(b.tokens, vec![(v.token.clone(), 10_000_000 - fee_tokens)]);
    assert_eq!(v.sim.clob().orders()[0].fee_u6, fee as u64);
    assert!(fee > 0);
}

#[test]
fn stale_l2_timestamps_and_rate_limits_are_refused() {
    let v = Venue::start();
    let t = funded(&v, 0x1b);
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let body = v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak);
    for ts in [now_s() - 60, now_s() + 60] {
        let a = v.request_at(&t, ts, "POST", "/order", &body);
        assert_eq!(
            (a.status, a.error()),
            (401, "Unauthorized/Invalid api key".to_string())
        );
    }
    v.sim.faults().set_clob_retry_after_s(3);
    v.sim.faults().fail_next_clob_requests(2, 429);
    for _ in 0..2 {
        let a = v.post(&t, &body);
        assert_eq!(
            (a.status, a.error()),
            (429, "Too Many Requests".to_string())
        );
        assert_eq!(a.retry_after.as_deref(), Some("3"));
    }
    let a = v.post(&t, &body);
    assert_eq!(a.status, 200, "{}", a.text);
    let verdicts: Vec<SimVerdict> = v.sim.clob().orders().iter().map(|o| o.verdict).collect();
    assert_eq!(
        verdicts,
        [
            SimVerdict::Unauthorized,
            SimVerdict::Unauthorized,
            SimVerdict::Faulted,
            SimVerdict::Faulted,
            SimVerdict::Matched
        ]
    );
}

#[test]
fn the_products_orders_are_taken_for_each_wallet_type() {
    use cassandra::clob::order::OrderVersion;
    use cassandra::exec::orders::{build_buy, Account, SaltSource, TokenOrderInfo};
    use cassandra::pipeline::events::{OrderType as IntentType, TokenId as Slot};
    let v = Venue::start();
    let t = v.eoa_trader(0x1c);
    let dw = Address::parse_hex("0x00000000000000000000000000000000000d3b08").unwrap();
    let proxy = Address::parse_hex("0x0000000000000000000000000000000000000b0c").unwrap();
    let book = v.book();
    let info =
        TokenOrderInfo::from_window(&v.token, book.tick_e4 as u16, false, 5_000_000).unwrap();
    let ask_e4 = book.best_ask().unwrap().price_e4;
    let mut salts = SaltSource::new(1_800_000_000_000, 3);
    let mut scratch = Vec::new();
    let mut post = |maker: Address, signature_type: SignatureType| {
        v.sim.clob().fund(&maker, 100_000_000);
        let account = Account {
            maker,
            signature_type,
            version: OrderVersion::V2,
        };
        let body = build_buy(
            &venue_clob_common::signer(0x1c),
            &account,
            t.creds.api_key(),
            &info,
            Slot(1),
            ask_e4,
            7_770_000,
            IntentType::Fak,
            salts.next_salt(),
            now_s() * 1000,
            &mut scratch,
        )
        .unwrap();
        v.post(&t, body.bytes())
    };
    // The EOA itself, a proxy, then (a new account) the deposit wallet.
    let a = post(t.eoa(), SignatureType::Eoa);
    assert_eq!(a.status, 200, "EOA: {}", a.text);
    v.sim.clob().add_funder(t.eoa(), proxy);
    let a = post(proxy, SignatureType::PolyProxy);
    assert_eq!(a.status, 200, "proxy: {}", a.text);
    v.sim
        .clob()
        .add_wallet(t.eoa(), dw, WalletKind::DepositWallet);
    let a = post(dw, SignatureType::Poly1271);
    assert_eq!(a.status, 200, "deposit wallet: {}", a.text);
    assert_eq!(a.json()["status"], "matched");
    // Each wallet paid for its own order, and holds its tokens.
    let records = v.sim.clob().orders();
    for (i, w) in [t.eoa(), proxy, dw].into_iter().enumerate() {
        let b = v.sim.clob().balance(&w).unwrap();
        assert!(records[i].notional_u6 > 0);
        assert_eq!(b.pusd_u6, 100_000_000 - records[i].notional_u6, "{w:?}");
        assert!(b.tokens.iter().any(|(_, n)| *n > 0), "{w:?}");
    }
}
