//! Alert text: escaping for Telegram's HTML mode, the venues' limits, the Discord embed, and
//! which switches let an alert through.

use cassandra::control::alerts::{escape_html, Alert, AlertTriggers, Message};
use cassandra::pipeline::events::{AssetId, ExecReport, ExecStatus, Outcome};
use cassandra::pipeline::shared::Mode;
use cassandra::signal::{AccountSnapshot, Settlement};
use cassandra::sim::check_telegram_html;

fn names(i: u8) -> String {
    ["BTC", "ETH"][usize::from(i)].to_string()
}

#[test]
fn every_value_is_escaped_for_telegram_html() {
    let a = Alert::Breaker {
        name: "venue<errors>".into(),
        reason: "5 rejects & <b>3</b> timeouts > limit".into(),
    };
    let html = Message::of(&a, &names).telegram_html();
    assert!(
        html.starts_with("<b>Breaker tripped: venue&lt;errors&gt;</b>"),
        "{html}"
    );
    assert!(
        html.contains("5 rejects &amp; &lt;b&gt;3&lt;/b&gt; timeouts &gt; limit"),
        "{html}"
    );
    check_telegram_html(&html).expect("Telegram would parse it");
    assert_eq!(escape_html("&amp;"), "&amp;amp;");
}

#[test]
fn long_values_stay_within_telegram_and_discord_limits() {
    let a = Alert::Kill {
        active: true,
        reason: "<&>".repeat(5_000),
        source: "api".into(),
    };
    let m = Message::of(&a, &names);
    let html = m.telegram_html();
    assert!(html.chars().count() <= 4096);
    check_telegram_html(&html).expect("a cut never splits an entity");
    let d = m.discord_json("Cassandra");
    let f = &d["embeds"][0]["fields"][0]["value"];
    assert!(f.as_str().unwrap().chars().count() <= 1024);
    assert_eq!(d["allowed_mentions"]["parse"], serde_json::json!([]));
}

#[test]
fn order_and_settlement_messages_carry_the_numbers() {
    let fill = ExecReport {
        asset: AssetId(1),
        outcome: Outcome::Down,
        status: ExecStatus::Matched,
        filled_e6: 10_000_000,
        cost_e6: 6_200_000,
        fee_e6: 210_000,
        ..ExecReport::default()
    };
    let html = Message::of(&Alert::Order(fill), &names).telegram_html();
    assert!(html.contains("Order filled: ETH DOWN"), "{html}");
    assert!(
        html.contains("avg price: 0.6200") && html.contains("fee: $0.21"),
        "{html}"
    );

    let failed = ExecReport {
        status: ExecStatus::Rejected,
        ..fill
    };
    let html = Message::of(&Alert::Order(failed), &names).telegram_html();
    assert!(
        html.contains("Order failed: ETH DOWN") && html.contains("rejected"),
        "{html}"
    );

    let s = Settlement {
        asset: AssetId(0),
        window_start_s: 1_767_225_600,
        strike: 97_000.0,
        end_price: 97_100.0,
        up_won: true,
        pnl: -6.2,
        ..Settlement::default()
    };
    let account = AccountSnapshot {
        cash: 993.8,
        realized_pnl: -6.2,
        losses: 1,
        ..AccountSnapshot::default()
    };
    let m = Message::of(
        &Alert::Settled {
            settlement: s,
            account: Some(account),
        },
        &names,
    );
    let html = m.telegram_html();
    assert!(
        html.contains("Window settled: BTC 00:00:00 UTC — LOSS"),
        "{html}"
    );
    assert!(
        html.contains("PnL: -$6.20") && html.contains("balance: $993.80"),
        "{html}"
    );
    assert_eq!(m.discord_json("x")["embeds"][0]["color"], 0xe74c3c);
}

#[test]
fn switches() {
    let t = AlertTriggers {
        order_failed: false,
        ..AlertTriggers::default()
    };
    let rejected = Alert::Order(ExecReport {
        status: ExecStatus::Rejected,
        ..ExecReport::default()
    });
    assert!(!rejected.enabled_by(&t));
    assert!(Alert::Order(ExecReport::default()).enabled_by(&t));
    let kill = Alert::Kill {
        active: true,
        reason: "x".into(),
        source: "api".into(),
    };
    let mode = Alert::Mode {
        from: Mode::Paper,
        to: Mode::Live,
        source: "api".into(),
    };
    assert!(kill.always_on() && mode.always_on() && !rejected.always_on());
}
