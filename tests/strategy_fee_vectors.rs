//! Every fee vector of Polymarket's own client suites (`tests/data/polymarket_vectors`), run through
//! `strategy::fees`. Kinds: `fee_platform_fee`, `fee_production_schedule_case`,
//! `fee_adjust_buy_amount`, `fee_builder_fee` (v2 file) and `fee_platform_fee`,
//! `fee_adjust_buy_amount` (all-versions file). The clients compare after rounding to 12
//! decimals; we allow 1e-11 absolute.

mod common;

use cassandra::pipeline::control::FeeParams;
use cassandra::strategy::fees::{adjust_buy_amount_for_fees, builder_fee_usdc, taker_fee_usdc};
use common::{all_versions_vectors, num, v2_vectors};

const TOL: f64 = 1e-11;

fn fee(rate: f64, exponent: f64) -> FeeParams {
    FeeParams {
        rate,
        exponent,
        taker_only: true,
    }
}

fn close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= TOL, "{what}: got {got}, want {want}");
}

#[test]
fn v2_platform_fee_vectors() {
    let vs = v2_vectors("fee_platform_fee");
    assert_eq!(vs.len(), 10);
    for v in vs {
        let i = &v["inputs"];
        let f = fee(num(i, "fee_rate"), num(i, "fee_exponent"));
        let got = taker_fee_usdc(num(i, "contracts"), num(i, "price"), f);
        close(got, num(&v["expected"], "fee"), &v["path"].to_string());
    }
}

#[test]
fn v2_production_schedule_vectors() {
    let vs = v2_vectors("fee_production_schedule_case");
    assert_eq!(vs.len(), 12);
    for v in vs {
        let (i, e) = (&v["inputs"], &v["expected"]);
        let f = fee(num(i, "fee_rate"), num(i, "fee_exponent"));
        let (p, amount, bal) = (
            num(i, "price"),
            num(i, "amount_usdc"),
            num(i, "user_usdc_balance"),
        );
        let what = format!("{} p={p}", i["schedule"]);
        // The test's platform fee: (amount / price) shares × r × (p(1−p))^e.
        let original = taker_fee_usdc(amount / p, p, f);
        close(original, num(e, "original_fee"), &what);
        let adjusted = adjust_buy_amount_for_fees(amount, p, bal, f, 0.0, 0.0);
        close(adjusted, num(e, "adjusted_amount"), &what);
        let adjusted_fee = taker_fee_usdc(adjusted / p, p, f);
        close(adjusted_fee, num(e, "adjusted_fee"), &what);
        close(adjusted + adjusted_fee, num(e, "adjusted_plus_fee"), &what);
        // What the vectors show: the original fee is reserved, so the total stays under budget.
        assert!(adjusted + adjusted_fee < bal);
    }
}

#[test]
fn v2_adjust_buy_amount_vectors() {
    let vs = v2_vectors("fee_adjust_buy_amount");
    assert_eq!(vs.len(), 9);
    for v in vs {
        let i = &v["inputs"];
        let got = adjust_buy_amount_for_fees(
            num(i, "amount"),
            num(i, "price"),
            num(i, "user_usdc_balance"),
            fee(num(i, "fee_rate"), num(i, "fee_exponent")),
            num(i, "builder_taker_fee_rate"),
            num(i, "fee_slippage_pct"),
        );
        close(
            got,
            num(&v["expected"], "adjusted_amount"),
            &v["path"].to_string(),
        );
    }
}

#[test]
fn v2_builder_fee_vectors() {
    let vs = v2_vectors("fee_builder_fee");
    assert_eq!(vs.len(), 2);
    for v in vs {
        let i = &v["inputs"];
        let notional = num(i, "shares") * num(i, "price");
        let got = builder_fee_usdc(notional, num(i, "builder_taker_fee_rate"));
        close(got, num(&v["expected"], "fee"), &v["path"].to_string());
    }
}

#[test]
fn all_versions_platform_fee_vectors() {
    let vs = all_versions_vectors("fee_platform_fee");
    assert_eq!(vs.len(), 22);
    for v in vs {
        let i = &v["inputs"];
        let (p, f) = (
            num(i, "price"),
            fee(num(i, "feeRate"), num(i, "feeExponent")),
        );
        // Either shares ("contracts") or a USDC amount (shares = amountUSD / price).
        let shares = if i.get("contracts").is_some() {
            num(i, "contracts")
        } else {
            num(i, "amountUSD") / p
        };
        let got = taker_fee_usdc(shares, p, f);
        close(got, num(&v["expected"], "platformFee"), &i.to_string());
    }
}

#[test]
fn all_versions_adjust_buy_amount_vectors() {
    let vs = all_versions_vectors("fee_adjust_buy_amount");
    assert_eq!(vs.len(), 12);
    for v in vs {
        let (i, e) = (&v["inputs"], &v["expected"]);
        let (p, amount, bal) = (num(i, "price"), num(i, "amount"), num(i, "userUSDCBalance"));
        let f = fee(num(i, "feeRate"), num(i, "feeExponent"));
        let what = i.to_string();
        close(
            taker_fee_usdc(amount / p, p, f),
            num(e, "originalFee"),
            &what,
        );
        let adjusted =
            adjust_buy_amount_for_fees(amount, p, bal, f, num(i, "builderTakerFeeRate"), 0.0);
        close(adjusted, num(e, "adjusted"), &what);
        let adjusted_fee = taker_fee_usdc(adjusted / p, p, f);
        close(adjusted_fee, num(e, "adjustedFee"), &what);
        close(adjusted + adjusted_fee, num(e, "final"), &what);
    }
}
