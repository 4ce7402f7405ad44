//! How a `POST /order` answer (or its absence) becomes the `ExecReport` the signal engine and
//! the paper account see. These reports are provisional in live mode: the order tracker
//! (`crate::venue`) follows each order to CONFIRMED or FAILED and books the venue ledger.
//!
//! - an answer matched: the amounts it carries, the fee estimated from the market's schedule;
//! - `delayed`, or a FAK the venue rested (`live`): `Delayed`, nothing filled, kept in flight;
//! - an answer lost with the connection: in doubt, also `Delayed` with nothing filled (never
//!   `Rejected`: the venue may have filled it);
//! - HTTP 429: `Unmatched` (not placed; not a venue error, so never the venue-error breaker);
//! - a FOK/FAK kill: `Unmatched`; any other refusal: `Rejected`.

use crate::pipeline::events::{ExecReport, ExecStatus, OrderIntent};
use crate::strategy::fees::taker_fee_usdc;

use super::answer::{AnswerStatus, OrderAnswer};

/// A refusal stamped with the time it was decided here.
pub(crate) fn rejected(intent: &OrderIntent) -> ExecReport {
    ExecReport {
        done_ns: crate::clock::mono_ns(),
        ..super::refused(intent)
    }
}

/// A BUY's answer as a report: shares matched are the taking amount, USDC paid the making
/// amount; the fee is taken in tokens at the fill price, as the venue does.
pub(crate) fn report_from(
    intent: &OrderIntent,
    http_status: u16,
    a: Option<OrderAnswer>,
) -> ExecReport {
    let mut r = rejected(intent);
    let Some(a) = a else { return r };
    if a.no_match {
        r.status = ExecStatus::Unmatched;
        return r;
    }
    if !a.accepted(http_status) {
        return r;
    }
    // Accepted but not matched yet: `delayed`, or a FAK the venue rested (`live`). Either
    // may still fill; following them up is the control side's (issue 13), not a fill here.
    if matches!(a.status, AnswerStatus::Delayed | AnswerStatus::Live) {
        r.status = ExecStatus::Delayed;
        return r;
    }
    if a.status != AnswerStatus::Matched || a.taking_e6 == 0 {
        r.status = ExecStatus::Unmatched;
        return r;
    }
    r.status = ExecStatus::Matched;
    r.filled_e6 = a.taking_e6;
    r.cost_e6 = a.making_e6;
    let shares = a.taking_e6 as f64 / 1e6;
    let price = a.making_e6 as f64 / a.taking_e6 as f64;
    let fee = taker_fee_usdc(shares, price, intent.fees);
    r.fee_e6 = (fee * 1e6).round() as u64;
    r.received_e6 = a
        .taking_e6
        .saturating_sub((fee / price * 1e6).ceil() as u64);
    r
}

/// An order whose answer was lost: the venue may have it. Nothing is booked; the intent
/// stays in flight (its exposure held) until the tracker resolves it.
pub(crate) fn in_doubt(intent: &OrderIntent) -> ExecReport {
    ExecReport {
        status: ExecStatus::Delayed,
        ..rejected(intent)
    }
}

/// An order the venue throttled (429): not placed, and not a venue error.
pub(crate) fn throttled(intent: &OrderIntent) -> ExecReport {
    ExecReport {
        status: ExecStatus::Unmatched,
        ..rejected(intent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clob::auth::Credentials;
    use crate::clob::http::HttpTarget;
    use crate::clob::sign::OrderSigner;
    use crate::exec::live::*;
    use crate::exec::orders::{Account, TokenOrderInfo};
    use crate::feeds::json::JsonScratch;
    use crate::pipeline::events::TokenId;

    /// A `LiveExec` that never connects, with token slot 1 set up at `tick_e4`.
    fn offline_exec(tick_e4: u16) -> LiveExec {
        use crate::clob::order::{Chain, OrderVersion, SignatureType};
        use crate::clob::sign::PrivateKey;
        use crate::pipeline::rings::tap;
        let key = PrivateKey::parse_hex(
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        )
        .unwrap();
        let account = Account {
            maker: key.address(),
            signature_type: SignatureType::Eoa,
            version: OrderVersion::V2,
        };
        let creds = Credentials::new(
            "00000000-0000-0000-0000-000000000000".into(),
            "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==".into(),
            "passphrase".into(),
        )
        .unwrap();
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (_pre_tx, pre_rx) = tap(8, dropped.clone());
        let (used_tx, _used_rx) = tap(8, dropped.clone());
        let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (mut tok_tx, tok_rx) = crate::pipeline::lossless::lossless(8, dropped, alive);
        let info = TokenOrderInfo::from_window(
            "71321045679252212594626385532706912750332728571942532289631379312455583992563",
            tick_e4,
            false,
            5_000_000,
        )
        .unwrap();
        assert!(tok_tx.send((TokenId(1), info)));
        let mut x = LiveExec::new(
            HttpTarget::parse("http://127.0.0.1:9").unwrap(),
            OrderSigner::new(key, Chain::Polygon),
            account,
            creds,
            pre_rx,
            used_tx,
            tok_rx,
            Default::default(),
            std::sync::Arc::new(std::sync::atomic::AtomicU8::new(2)),
        )
        .unwrap();
        assert_eq!(x.absorb(), 1);
        x
    }

    #[test]
    fn orders_signed_on_the_spot_follow_the_tick_the_book_carries() {
        // Discovered at 0.01; the venue has since moved the market to 0.001 near the top.
        let mut x = offline_exec(100);
        let mut intent = OrderIntent {
            token: TokenId(1),
            limit_price_e4: 9730,
            size_e6: 10_000_000,
            ..Default::default()
        };
        intent.book.tick_e4 = 10;
        let body = *x
            .build_only(&intent, 1_800_000_000_000)
            .expect("buildable at 0.001");
        assert_eq!(body.price_e4, 9730);
        // The same price on the discovery tick is off the grid: refused, not mispriced.
        intent.book.tick_e4 = 100;
        assert_eq!(
            x.build_only(&intent, 1_800_000_000_000).err(),
            Some(SendError::CannotBuild)
        );
        // A book without a known tick falls back to the discovery tick.
        intent.book.tick_e4 = 0;
        intent.limit_price_e4 = 9700;
        assert!(x.build_only(&intent, 1_800_000_000_000).is_ok());
    }

    #[test]
    fn venue_answers_become_reports() {
        let intent = OrderIntent {
            intent_id: 7,
            fees: crate::pipeline::control::FeeParams {
                rate: 0.072,
                exponent: 1.0,
                taker_only: true,
            },
            ..Default::default()
        };
        let mut json = JsonScratch::default();
        let mut ok = br#"{"success":true,"errorMsg":"","orderID":"0x1","status":"matched","makingAmount":"5","takingAmount":"10","transactionsHashes":[],"tradeIDs":[]}"#.to_vec();
        let r = report_from(&intent, 200, parse_order_response(&mut json, &mut ok));
        assert_eq!(r.status, ExecStatus::Matched);
        assert_eq!((r.filled_e6, r.cost_e6), (10_000_000, 5_000_000));
        // fee = 10 × 0.072 × 0.25 = 0.18 USDC = 0.36 tokens at 0.5.
        assert_eq!(r.fee_e6, 180_000);
        assert_eq!(r.received_e6, 10_000_000 - 360_000);
        let mut err = br#"{"error":"order couldn't be fully filled. FOK orders are fully filled or killed."}"#.to_vec();
        let r = report_from(&intent, 400, parse_order_response(&mut json, &mut err));
        assert_eq!(
            r.status,
            ExecStatus::Unmatched,
            "a kill is a market outcome"
        );
        let mut bad = br#"{"error":"invalid signature"}"#.to_vec();
        let r = report_from(&intent, 400, parse_order_response(&mut json, &mut bad));
        assert_eq!(r.status, ExecStatus::Rejected);
        let mut delayed =
            br#"{"success":true,"status":"delayed","makingAmount":"","takingAmount":""}"#.to_vec();
        let r = report_from(&intent, 200, parse_order_response(&mut json, &mut delayed));
        assert_eq!(r.status, ExecStatus::Delayed);
        let mut junk = b"<html>".to_vec();
        assert_eq!(
            report_from(&intent, 502, parse_order_response(&mut json, &mut junk)).status,
            ExecStatus::Rejected
        );
    }
}
