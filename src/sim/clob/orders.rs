//! `POST /order`: everything an order goes through, in the venue's order, each refusal in the
//! venue's words (texts in [`super::rules`]):
//!
//! 1. fault switches (forced status, delay, `order_version_mismatch`);
//! 2. L2 authentication (401);
//! 3. the body (`Invalid order payload`), `owner` = the API key;
//! 4. identity: `signer` is the key's (the EOA for types 0–2, the key owner's deposit wallet
//!    for type 3), a deposit-wallet account may use no other maker, a proxy or Safe maker is
//!    the key owner's wallet of that kind;
//! 5. the EIP-712 signature recovers the key's EOA under the served version's domain (the
//!    POLY_1271 envelope verified for type 3); recovering it under the other version's domain
//!    is `order_version_mismatch`, as the venue answers a stale client;
//! 6. post-only and expiration;
//! 7. amounts: a marketable order (FOK/FAK) uses market-order precision (maker ≤ 2 decimals,
//!    taker ≤ 4), its price is on the tick (up to the 4th-decimal truncation of its computed
//!    leg; a resting order's exactly), a marketable BUY spends at least $1, a resting order
//!    is at least the minimum size; a salt accepted before is a duplicate;
//! 8. funds: the CLOB's cached pUSD balance and allowance of the maker wallet cover the
//!    order and the wallet's resting BUYs (a SELL: the tokens it sells);
//! 9. matching against the live book (see [`super::matching`]): FOK all or nothing, FAK what
//!    there is, GTC/GTD the crossing part, the rest resting. Matched size leaves the book
//!    and the market channel shows it; each level filled is one trade (see
//!    [`super::lifecycle`]), its funds and fee moved at once.
//!
//! Answers: 200 `{"success":true,"errorMsg":"","orderID":"0x…","status":"matched",…}`;
//! refusals HTTP 400 (401 for auth) `{"error":"…"}`; `order_version_mismatch` also carries
//! `"success":false,"errorMsg":"order_version_mismatch"`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::accounts::WalletKind;
use super::auth::{check_l2, now_s};
use super::lifecycle::{book_fills, settle, OrderStatus, SimOrder};
use super::matching::{totals, walk};
use super::records::{SimOrderRecord, SimVerdict};
use super::routes::{fault_delay, forced_fault, St};
use super::rules::*;
use super::wire::{
    error_body, hex, json_response, parse_order_type, parse_side, success_body, WireOrderBody,
};
use crate::clob::order::{Exchange, OrderType, Side, SignatureType};
use crate::clob::sign::ExchangeDomains;
use crate::sim::Shared;

/// Why a valid-looking order was refused (HTTP 400), or that it is a version mismatch.
enum Refusal {
    Error(String),
    VersionMismatch,
}

fn refuse<T>(msg: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::Error(msg.into()))
}

fn record(sh: &Shared, rec: SimOrderRecord) {
    sh.clob.state().records.push(rec);
}

pub(crate) async fn post_order(State(sh): St, headers: HeaderMap, body: Bytes) -> Response {
    let arrived_ns = crate::clock::mono_ns();
    let trigger = crate::sim::wire::Trigger::of(&headers);
    let mut rec = SimOrderRecord::new(crate::sim::wall_ns());
    let parsed: Option<WireOrderBody> = serde_json::from_slice(&body).ok();
    if let Some(p) = &parsed {
        rec.salt = Some(p.order.salt);
        rec.token_id = p.order.token_id.clone();
        rec.side = parse_side(&p.order.side);
        rec.order_type = parse_order_type(&p.order_type);
        rec.maker_amount_u6 = p.order.maker_amount.parse().unwrap_or(0);
        rec.taker_amount_u6 = p.order.taker_amount.parse().unwrap_or(0);
    }
    fault_delay(&sh).await;
    if let Some((code, resp)) = forced_fault(&sh) {
        rec.http_status = code;
        rec.verdict = SimVerdict::Faulted;
        sh.wire.order_answered(trigger, arrived_ns, false);
        record(&sh, rec);
        return resp;
    }
    settle(&sh);
    let Some(api_key) = check_l2(&sh.clob, &headers, "POST", "/order", &body) else {
        rec.http_status = 401;
        rec.verdict = SimVerdict::Unauthorized;
        rec.error = UNAUTHORIZED.into();
        sh.wire.order_answered(trigger, arrived_ns, false);
        record(&sh, rec);
        return json_response(StatusCode::UNAUTHORIZED, error_body(UNAUTHORIZED));
    };
    rec.hmac_ok = true;
    let (status, body) = match evaluate(&sh, &api_key, parsed, &mut rec) {
        Ok(body) => (StatusCode::OK, body),
        Err(Refusal::Error(msg)) => {
            if rec.verdict != SimVerdict::Killed {
                rec.verdict = SimVerdict::Rejected;
            }
            rec.error = msg.clone();
            (StatusCode::BAD_REQUEST, error_body(&msg))
        }
        Err(Refusal::VersionMismatch) => {
            rec.verdict = SimVerdict::Rejected;
            rec.error = VERSION_MISMATCH.into();
            (
                StatusCode::BAD_REQUEST,
                format!(
                    "{{\"error\":\"{VERSION_MISMATCH}\",\"success\":false,\
                     \"errorMsg\":\"{VERSION_MISMATCH}\"}}"
                ),
            )
        }
    };
    rec.http_status = status.as_u16();
    // Wire-to-wire counts only orders that passed every check (a killed FAK reached matching).
    let accepted = matches!(
        rec.verdict,
        SimVerdict::Matched | SimVerdict::Live | SimVerdict::Delayed | SimVerdict::Killed
    );
    let legs = headers
        .get(crate::sim::wire::LEGS_HEADER)
        .and_then(|v| v.to_str().ok());
    sh.wire
        .order_answered_with_legs(trigger, legs, arrived_ns, accepted);
    record(&sh, rec);
    if sh.faults.take_cut_answer() {
        return super::wire::cut_response(status);
    }
    json_response(status, body)
}

/// Everything after authentication; fills `rec` and returns the 200 body or the refusal.
fn evaluate(
    sh: &Shared,
    api_key: &str,
    parsed: Option<WireOrderBody>,
    rec: &mut SimOrderRecord,
) -> Result<String, Refusal> {
    let clob = &sh.clob;
    if sh.faults.take_version_mismatch() {
        return Err(Refusal::VersionMismatch);
    }
    let p = match parsed {
        Some(p) => p,
        None => return refuse(INVALID_PAYLOAD),
    };
    let Some(order_type) = parse_order_type(&p.order_type) else {
        return refuse(INVALID_PAYLOAD);
    };
    let Some((order, sig)) = p.order.to_order() else {
        return refuse(INVALID_PAYLOAD);
    };
    if p.owner != api_key {
        return refuse(OWNER_NOT_KEY);
    }
    let domains = ExchangeDomains::new(clob.chain());
    let exchange = clob.exchange();
    let id = hex(&domains.order_digest(exchange, &order));
    rec.order_id = id.clone();

    // Identity: whose key, whose wallet.
    let (eoa, deposit_account, maker_kind) = {
        let st = clob.state();
        let Some(eoa) = st.keys.get(api_key).map(|k| k.eoa) else {
            return refuse(INVALID_PAYLOAD);
        };
        let kind = st.accounts.owned(&eoa, &order.maker).map(|w| w.kind);
        (eoa, st.accounts.has_deposit_wallet(&eoa), kind)
    };
    let signer_is_keys = match order.signature_type {
        SignatureType::Poly1271 => {
            order.signer == order.maker && maker_kind == Some(WalletKind::DepositWallet)
        }
        _ => order.signer == eoa,
    };
    if !signer_is_keys {
        return refuse(SIGNER_NOT_KEY);
    }
    if deposit_account && order.signature_type != SignatureType::Poly1271 {
        return refuse(USE_DEPOSIT_WALLET);
    }
    let maker_ok = match order.signature_type {
        SignatureType::Eoa => order.maker == eoa,
        SignatureType::PolyProxy => maker_kind == Some(WalletKind::Proxy),
        SignatureType::PolyGnosisSafe => maker_kind == Some(WalletKind::Safe),
        SignatureType::Poly1271 => true,
    };
    let recovered = domains.recover_order_signer(exchange, &order, &sig).ok();
    if recovered != Some(eoa) {
        let other = if exchange == Exchange::V3 {
            Exchange::CtfV2
        } else {
            Exchange::V3
        };
        if domains.recover_order_signer(other, &order, &sig).ok() == Some(eoa) {
            return Err(Refusal::VersionMismatch);
        }
    }
    rec.signer_ok = recovered == Some(eoa) && maker_ok;
    if !rec.signer_ok {
        return refuse(INVALID_SIGNATURE);
    }
    if p.post_only && !order_type.rests() {
        return refuse(POST_ONLY_MARKETABLE);
    }
    if order.expiration_s != 0 && order_type != OrderType::Gtd
        || order_type == OrderType::Gtd && order.expiration_s <= now_s()
    {
        return refuse(INVALID_EXPIRATION);
    }
    let _ = p.defer_exec; // accepted; the sim answers the same either way.

    // The market and the amounts.
    let now_ms = crate::clock::wall_ms();
    let mut world = sh.world.lock().unwrap_or_else(|e| e.into_inner());
    world.tick(crate::sim::wall_ns());
    let token = order.token_id.as_str().to_string();
    let Some((market, outcome, book)) = world.market_of(&token).and_then(|m| {
        let outcome = if m.up_token == token { "Up" } else { "Down" };
        Some((m.condition_id.clone(), outcome, m.book_of(&token)?))
    }) else {
        return refuse(INVALID_TOKEN);
    };
    let side = order.side;
    let (maker, taker) = (order.maker_amount_u6, order.taker_amount_u6);
    if marketable(order_type) {
        check_market_amounts(side, maker, taker).map_err(Refusal::Error)?;
    }
    let tick_u6 = u64::from(book.tick_e4) * 100;
    rec.price_u6 =
        check_tick(side, maker, taker, tick_u6, order_type, &id).map_err(Refusal::Error)?;
    let (_, shares_u6) = legs(side, maker, taker);
    rec.size_u6 = shares_u6;
    check_min_marketable_buy(side, order_type, maker).map_err(Refusal::Error)?;
    check_min_size(order_type, shares_u6, MIN_ORDER_SIZE_U6, &id).map_err(Refusal::Error)?;
    if clob.state().accepted_salts.contains(&order.salt) {
        return refuse(duplicated(&id));
    }
    // The implied limit itself (not the tick-rounded one) bounds the walk: a market BUY
    // whose share leg was truncated may pay up to its exact maker/taker ratio.
    let limit_u6 = match side {
        Side::Buy => u64::try_from(u128::from(maker) * 1_000_000 / u128::from(taker)),
        Side::Sell => u64::try_from((u128::from(taker) * 1_000_000).div_ceil(u128::from(maker))),
    }
    .unwrap_or(u64::MAX);
    if p.post_only {
        let crosses = match side {
            Side::Buy => book
                .best_ask()
                .is_some_and(|a| u64::from(a.price_e4) * 100 <= limit_u6),
            Side::Sell => book
                .best_bid()
                .is_some_and(|b| u64::from(b.price_e4) * 100 >= limit_u6),
        };
        if crosses {
            return refuse(POST_ONLY_CROSSES);
        }
    }

    // Funds, on the CLOB's cached view of the maker wallet.
    {
        let st = clob.state();
        let wallet = *order.maker.bytes();
        let Some(w) = st.accounts.wallets.get(&wallet) else {
            return refuse(balance_short(0, 0, maker));
        };
        let live = st.life.orders.values().filter(|o| {
            o.wallet == wallet && matches!(o.status, OrderStatus::Live | OrderStatus::Delayed)
        });
        match side {
            Side::Buy => {
                let reserved: u64 = live.map(SimOrder::reserved_pusd_u6).sum();
                if w.cached_pusd_u6 < reserved.saturating_add(maker) {
                    return refuse(balance_short(w.cached_pusd_u6, reserved, maker));
                }
                if w.cached_allowance_u6 < reserved.saturating_add(maker) {
                    let spender = exchange.address_str(clob.chain());
                    return refuse(allowance_short(
                        spender,
                        w.cached_allowance_u6,
                        reserved,
                        maker,
                    ));
                }
            }
            Side::Sell => {
                let reserved: u64 = live
                    .filter(|o| o.side == Side::Sell && o.token == token)
                    .map(|o| o.original_u6 - o.matched_u6)
                    .sum();
                let held = w.tokens_of(&token);
                if held < reserved.saturating_add(maker) {
                    return refuse(balance_short(held, reserved, maker));
                }
            }
        }
    }

    let mut entry = SimOrder {
        id: id.clone(),
        api_key: api_key.to_string(),
        wallet: *order.maker.bytes(),
        token: token.clone(),
        market,
        outcome,
        side,
        order_type,
        price_u6: rec.price_u6,
        limit_u6,
        original_u6: shares_u6,
        matched_u6: 0,
        status: OrderStatus::Live,
        created_s: now_ms / 1000,
        expiration_s: order.expiration_s,
        trade_ids: Vec::new(),
        due_ms: None,
    };
    if sh.faults.take_delayed() {
        rec.verdict = SimVerdict::Delayed;
        entry.status = OrderStatus::Delayed;
        entry.due_ms = Some(now_ms + clob.lifecycle().delayed_match_ms);
        let mut st = clob.state();
        st.accepted_salts.insert(order.salt);
        st.life.insert_order(entry);
        return Ok(success_body(&id, "delayed", None, &[], &[]));
    }
    if order_type == OrderType::Fak {
        if let Some(after_ms) = sh.faults.take_resting_fak() {
            // The venue rested this FAK (clob-client #317): `live` now, matched later.
            rec.verdict = SimVerdict::Live;
            entry.due_ms = Some(now_ms + after_ms);
            let mut st = clob.state();
            st.accepted_salts.insert(order.salt);
            st.life.insert_order(entry);
            return Ok(success_body(&id, "live", None, &[], &[]));
        }
    }
    let (fills, taken) = walk(&book, side, limit_u6, shares_u6);
    let (filled_u6, notional_u6) = totals(&fills);
    let complete = filled_u6 == shares_u6;
    match order_type {
        OrderType::Fok if !complete => {
            rec.verdict = SimVerdict::Killed;
            return refuse(FOK_KILLED);
        }
        OrderType::Fak if filled_u6 == 0 => {
            rec.verdict = SimVerdict::Killed;
            return refuse(FAK_KILLED);
        }
        _ => {}
    }
    // Accepted from here on: the salt is spent (a killed order above is not).
    let mut st = clob.state();
    st.accepted_salts.insert(order.salt);
    entry.status = if complete || !order_type.rests() {
        OrderStatus::Matched
    } else {
        OrderStatus::Live
    };
    st.life.insert_order(entry);
    if filled_u6 == 0 {
        rec.verdict = SimVerdict::Live;
        return Ok(success_body(&id, "live", None, &[], &[]));
    }
    world.take_liquidity(&token, side == Side::Buy, &taken, now_ms);
    drop(world);
    let fail_ppm = sh.faults.trade_failure_ppm();
    let mut force = || sh.faults.take_trade_failure();
    let (trade_ids, fee_u6) = book_fills(&mut st, &id, &fills, true, fail_ppm, &mut force, now_ms);
    rec.verdict = SimVerdict::Matched;
    rec.filled_u6 = filled_u6;
    rec.notional_u6 = notional_u6;
    rec.fee_u6 = fee_u6;
    let (making, taking) = match side {
        Side::Buy => (notional_u6, filled_u6),
        Side::Sell => (filled_u6, notional_u6),
    };
    Ok(success_body(
        &id,
        "matched",
        Some((making, taking)),
        &[],
        &trade_ids,
    ))
}
