//! Winning tokens are not cash until redeemed: a `redeemPositions` transaction sent to the
//! simulator's JSON-RPC node after the window settles pays 1 pUSD per winning share into the
//! wallet on chain and burns the tokens; before the market settles it is refused with the CTF
//! contract's reason. The CLOB's cached balance sees the pUSD only after a refresh.

mod venue_clob_common;

use std::time::{Duration, Instant};

use cassandra::clob::order::{Address, Chain, OrderType, Side};
use cassandra::clob::sign::{keccak, sign_call_tx};
use cassandra::sim::SimConfig;
use serde_json::{json, Value};
use venue_clob_common::{key, px_u6, Venue};

fn redeem_data(condition_id: &str) -> Vec<u8> {
    let c = Chain::Polygon.contracts();
    let mut d = keccak(b"redeemPositions(address,bytes32,bytes32,uint256[])")[..4].to_vec();
    let mut word = |bytes: &[u8]| {
        let mut w = [0u8; 32];
        w[32 - bytes.len()..].copy_from_slice(bytes);
        d.extend_from_slice(&w);
    };
    word(Address::parse_hex(c.collateral).unwrap().bytes());
    word(&[0u8; 32]);
    let cid: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&condition_id[2 + 2 * i..4 + 2 * i], 16).unwrap())
        .collect();
    word(&cid);
    word(&[0x80]);
    word(&[2]);
    word(&[1]);
    word(&[2]);
    d
}

fn send(v: &Venue, key_byte: u8, nonce: u64, condition_id: &str) -> Value {
    let ctf = Address::parse_hex(Chain::Polygon.contracts().conditional_tokens).unwrap();
    let raw = sign_call_tx(
        &key(key_byte),
        137,
        nonce,
        30_000_000_000,
        300_000,
        &ctf,
        &redeem_data(condition_id),
    )
    .unwrap();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    reqwest::blocking::Client::new()
        .post(v.sim.rpc_url())
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [format!("0x{hex}")]}))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn winning_tokens_are_redeemed_into_pusd_after_settlement() {
    let mut v = Venue::start_with(SimConfig {
        poly_update_hz: 0.0,
        window_secs: 3,
        ..SimConfig::default()
    });
    let t = v.eoa_trader(0x51);
    v.sim.clob().fund(&t.maker, 100_000_000);
    // A window with time left to trade in.
    let win = loop {
        let w = v.sim.current_window("BTC").unwrap();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        if w.end_s * 1000 > now_ms + 1_500 {
            break w;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    v.token = win.up_token.clone();
    let ask = px_u6(v.book().best_ask().unwrap().price_e4);
    let a = v.post(&t, &v.body(&t, Side::Buy, ask, 5_000_000, OrderType::Fak));
    assert_eq!(a.status, 200, "{}", a.text);
    let held = v.sim.clob().balance(&t.maker).unwrap().tokens[0].1;
    assert!(held > 0);
    let after_buy = v.sim.clob().balance(&t.maker).unwrap().pusd_u6;
    // Not settled yet: refused, nothing spent, the nonce not used.
    let r = send(&v, 0x51, 0, &win.condition_id);
    assert_eq!(
        r["error"]["message"], "execution reverted: result for condition not received yet",
        "{r}"
    );
    let t0 = Instant::now();
    let outcome = loop {
        if let Some(o) = v
            .sim
            .window_outcomes()
            .into_iter()
            .find(|o| o.condition_id == win.condition_id)
        {
            break o;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "the window never settled"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let r = send(&v, 0x51, 0, &win.condition_id);
    assert!(
        r["result"].as_str().is_some_and(|h| h.starts_with("0x")),
        "{r}"
    );
    let b = v.sim.clob().balance(&t.maker).unwrap();
    let payout = if outcome.up_won { held } else { 0 };
    assert_eq!(b.pusd_u6, after_buy + payout, "up_won = {}", outcome.up_won);
    assert!(b.tokens.iter().all(|(_, n)| *n == 0), "{:?}", b.tokens);
    // On chain now; the CLOB sees it after a refresh.
    assert_eq!(b.cached_pusd_u6, after_buy);
    v.refresh(&t);
    assert_eq!(
        v.sim.clob().balance(&t.maker).unwrap().cached_pusd_u6,
        after_buy + payout
    );
    // Redeeming again pays nothing more.
    send(&v, 0x51, 1, &win.condition_id);
    assert_eq!(
        v.sim.clob().balance(&t.maker).unwrap().pusd_u6,
        after_buy + payout
    );
}
