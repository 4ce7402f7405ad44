//! Resolved winning positions are redeemed for pUSD from the wallet that holds them (an EOA's
//! own transaction, a deposit wallet's relayer batch), exactly once across restarts, and the
//! wallet's cash ends equal, to the micro-unit, to the simulator's record. A redemption whose
//! outcome is unknown after a crash is re-checked on chain, not resent with a new nonce.

mod venue_clob_common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cassandra::clob::amounts::{marketable_order_amounts, MarketRules, TickSize};
use cassandra::clob::order::{Address, Chain, OrderType, Side, SignatureType};
use cassandra::sim::{SimConfig, SimWindow, WalletKind, WindowOutcome};
use cassandra::wallet::chain::ChainIo;
use cassandra::wallet::clob_funds::ClobFundsClient;
use cassandra::wallet::redeem::{RedeemEvent, RedeemStore, RedeemTarget, Redeemed, Redeemer};
use cassandra::wallet::relayer::Relayer;
use cassandra::wallet::setup::RelayerCreds;
use cassandra::wallet::WalletSetup;
use venue_clob_common::{key, now_s, px_u6, Trader, Venue};

const RELAYER_KEY: &str = "relayer-key-redeem";

fn store_path(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "cassandra-redeem-{name}-{}-{}.sqlite",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let _ = std::fs::remove_file(&p);
    p
}

fn venue() -> Venue {
    Venue::start_with(SimConfig {
        poly_update_hz: 0.0,
        window_secs: 3,
        ..SimConfig::default()
    })
}

/// A trader of key `key_byte`: its EOA, or (with `deposit`) a deposit wallet it owns.
fn trader(v: &Venue, key_byte: u8, deposit: Option<u8>) -> (Trader, WalletSetup) {
    let mut t = v.eoa_trader(key_byte);
    let mut setup = WalletSetup {
        key: key(key_byte),
        signature_type: SignatureType::Eoa,
        funder: None,
        chain: Chain::Polygon,
    };
    if let Some(b) = deposit {
        let dw = Address::from_bytes([b; 20]);
        v.sim
            .clob()
            .add_wallet(t.eoa(), dw, WalletKind::DepositWallet);
        v.sim.relayer().add_key(RELAYER_KEY, &t.eoa());
        t.maker = dw;
        t.signature_type = SignatureType::Poly1271;
        setup.signature_type = SignatureType::Poly1271;
        setup.funder = Some(dw);
    }
    v.sim.clob().fund(&t.maker, 100_000_000);
    (t, setup)
}

fn redeemer(v: &Venue, t: &Trader, setup: &WalletSetup, path: &Path) -> Redeemer {
    let relayer = (setup.signature_type == SignatureType::Poly1271).then(|| {
        Relayer::new(
            &v.sim.relayer_url(),
            RelayerCreds {
                api_key: RELAYER_KEY.into(),
                address: t.eoa(),
            },
        )
        .unwrap()
    });
    let clob = ClobFundsClient::new(
        &v.sim.http_url(),
        t.creds.clone(),
        t.eoa(),
        setup.signature_type,
    )
    .unwrap();
    Redeemer::new(
        setup.clone(),
        ChainIo::new(&v.sim.rpc_url(), Chain::Polygon).unwrap(),
        relayer,
        Some(clob),
        RedeemStore::open(path).unwrap(),
    )
}

/// A window with at least 1.5 s left to trade in.
fn tradable_window(v: &Venue) -> SimWindow {
    let t0 = Instant::now();
    loop {
        let w = v.sim.current_window("BTC").unwrap();
        let now_ms = now_s() * 1000;
        if w.end_s * 1000 > now_ms + 1_800 {
            return w;
        }
        assert!(t0.elapsed() < Duration::from_secs(15));
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Buys about $1.50 of both outcomes (one of them wins whatever happens).
fn buy_both(v: &mut Venue, t: &Trader, w: &SimWindow) {
    for token in [&w.up_token, &w.down_token] {
        v.token = token.clone();
        let ask = px_u6(v.book().best_ask().unwrap().price_e4);
        let shares = (1_500_000u64 * 1_000_000 / ask).div_ceil(10_000) * 10_000;
        let rules = MarketRules {
            tick: TickSize::from_e4(v.book().tick_e4 as u16).unwrap(),
            min_size_u6: 0,
        };
        let a = marketable_order_amounts(Side::Buy, ask, shares, rules).unwrap();
        let body = v.body_raw(
            t,
            Side::Buy,
            a.maker_amount_u6,
            a.taker_amount_u6,
            OrderType::Fak,
        );
        let r = v.post(t, &body);
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

fn outcome(v: &Venue, w: &SimWindow) -> WindowOutcome {
    let t0 = Instant::now();
    loop {
        if let Some(o) = v
            .sim
            .window_outcomes()
            .into_iter()
            .find(|o| o.condition_id == w.condition_id)
        {
            return o;
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "never settled");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn target(w: &SimWindow) -> RedeemTarget {
    RedeemTarget {
        condition_id: w.condition_id.clone(),
        up_token: w.up_token.clone(),
        down_token: w.down_token.clone(),
        end_s: w.end_s,
    }
}

fn redeemed(events: &[RedeemEvent]) -> Vec<Redeemed> {
    events
        .iter()
        .filter_map(|e| match e {
            RedeemEvent::Redeemed(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn held(v: &Venue, wallet: &Address, token: &str) -> u64 {
    v.sim
        .clob()
        .balance(wallet)
        .unwrap()
        .tokens
        .iter()
        .find(|(t, _)| t == token)
        .map_or(0, |(_, n)| *n)
}

/// Buys both sides, lets the window settle, redeems; checks cash to the micro-unit.
fn redeem_a_won_position(deposit: Option<u8>, key_byte: u8) {
    let mut v = venue();
    let (t, setup) = trader(&v, key_byte, deposit);
    let path = store_path(&format!("won-{key_byte}"));
    let w = tradable_window(&v);
    let mut r = redeemer(&v, &t, &setup, &path);
    r.watch(&target(&w)).unwrap();
    buy_both(&mut v, &t, &w);
    // Before the window resolves: nothing is sent.
    assert!(r.pass(now_s()).is_empty());
    let o = outcome(&v, &w);
    let winner = if o.up_won { &w.up_token } else { &w.down_token };
    let shares = held(&v, &t.maker, winner);
    assert!(shares > 0);
    let cash_before = v.sim.clob().balance(&t.maker).unwrap().pusd_u6;
    let events = r.pass(now_s() + 1);
    let got = redeemed(&events);
    assert_eq!(got.len(), 1, "{events:?}");
    assert_eq!(got[0].condition_id, w.condition_id);
    assert_eq!(&got[0].winning_token, winner);
    assert_eq!(got[0].shares_micro, shares);
    assert_eq!(got[0].usdc_micro, shares, "1 pUSD per winning share");
    // Cash: the chain, the simulator's record and the product's event agree to the micro-unit.
    let sim_cash = v.sim.clob().balance(&t.maker).unwrap();
    assert_eq!(sim_cash.pusd_u6, cash_before + got[0].usdc_micro);
    let chain = ChainIo::new(&v.sim.rpc_url(), Chain::Polygon).unwrap();
    assert_eq!(
        chain.pusd_balance(&t.maker).unwrap(),
        u128::from(sim_cash.pusd_u6)
    );
    assert!(
        sim_cash.tokens.iter().all(|(_, n)| *n == 0),
        "{:?}",
        sim_cash.tokens
    );
    // The CLOB's cache was refreshed after the redemption.
    assert_eq!(sim_cash.cached_pusd_u6, sim_cash.pusd_u6);
    assert_eq!(v.sim.rpc().redemptions(), 1);
    assert_eq!(
        r.store.state_of(&w.condition_id).unwrap().as_deref(),
        Some("done")
    );
    // Sent from the holder: an EOA's own transaction, a deposit wallet's relayer batch.
    match deposit {
        Some(_) => {
            let txs = v.sim.relayer().transactions();
            assert_eq!(txs.len(), 1);
            assert_eq!(txs[0].id, got[0].tx);
            assert_eq!(v.sim.rpc().transactions(), 0);
        }
        None => assert_eq!(v.sim.rpc().transactions(), 1),
    }
    // Again: nothing more.
    assert!(redeemed(&r.pass(now_s() + 2)).is_empty());
    assert_eq!(v.sim.rpc().redemptions(), 1);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn an_eoa_redeems_its_won_position_and_its_cash_matches_the_venue() {
    redeem_a_won_position(None, 0x71);
}

#[test]
fn a_deposit_wallet_redeems_through_the_relayer_and_its_cash_matches_the_venue() {
    redeem_a_won_position(Some(0xe1), 0x72);
}

#[test]
fn a_restart_between_resolution_and_redemption_redeems_exactly_once() {
    let mut v = venue();
    let (t, setup) = trader(&v, 0x73, Some(0xe3));
    let path = store_path("restart");
    let w = tradable_window(&v);
    {
        // The first process watches the window, trades, and stops before it resolves.
        let mut r = redeemer(&v, &t, &setup, &path);
        r.watch(&target(&w)).unwrap();
        buy_both(&mut v, &t, &w);
        assert!(r.pass(now_s()).is_empty());
    }
    let o = outcome(&v, &w);
    let winner = if o.up_won { &w.up_token } else { &w.down_token };
    let shares = held(&v, &t.maker, winner);
    let cash_before = v.sim.clob().balance(&t.maker).unwrap().pusd_u6;
    // The second process knows the window from the store alone.
    let mut total = Vec::new();
    for round in 0..3 {
        let mut r = redeemer(&v, &t, &setup, &path);
        total.extend(redeemed(&r.pass(now_s() + 1 + round)));
    }
    assert_eq!(total.len(), 1, "{total:?}");
    assert_eq!(total[0].usdc_micro, shares);
    assert_eq!(v.sim.rpc().redemptions(), 1);
    assert_eq!(v.sim.relayer().transactions().len(), 1);
    assert_eq!(
        v.sim.clob().balance(&t.maker).unwrap().pusd_u6,
        cash_before + shares
    );
    let _ = std::fs::remove_file(&path);
}

/// The store says a redemption was being sent (its nonce written) when the process died, and
/// its transaction did execute: the restart finds the tokens gone and books it once, without
/// sending anything; when the tokens are still there it resends with the same nonce.
#[test]
fn a_redemption_whose_transaction_is_unknown_is_rechecked_not_resent() {
    let mut v = venue();
    let (t, setup) = trader(&v, 0x74, None);
    let path = store_path("unknown");
    let w = tradable_window(&v);
    let r = redeemer(&v, &t, &setup, &path);
    r.watch(&target(&w)).unwrap();
    drop(r);
    buy_both(&mut v, &t, &w);
    let o = outcome(&v, &w);
    let winner = if o.up_won { &w.up_token } else { &w.down_token };
    let shares = held(&v, &t.maker, winner);
    // The dead process reserved nonce 0 and its transaction went out.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE redemptions SET state = 'sending', nonce = '0', winning_token = ?1, shares = ?2, usdc = ?2",
        rusqlite::params![winner, shares as i64],
    )
    .unwrap();
    drop(conn);
    let chain = ChainIo::new(&v.sim.rpc_url(), Chain::Polygon).unwrap();
    let ctf = Address::parse_hex(Chain::Polygon.contracts().conditional_tokens).unwrap();
    let pusd = Address::parse_hex(Chain::Polygon.contracts().collateral).unwrap();
    let cid = cassandra::wallet::batch::parse_condition_id(&w.condition_id).unwrap();
    chain
        .send_call(
            &setup.key,
            0,
            &ctf,
            &cassandra::wallet::batch::redeem_positions(&pusd, &cid),
        )
        .unwrap();
    assert_eq!(v.sim.rpc().redemptions(), 1);
    let mut r = redeemer(&v, &t, &setup, &path);
    let got = redeemed(&r.pass(now_s() + 1));
    assert_eq!(got.len(), 1, "booked once");
    assert_eq!(got[0].usdc_micro, shares);
    assert_eq!(v.sim.rpc().transactions(), 1, "nothing resent");
    assert!(redeemed(&r.pass(now_s() + 2)).is_empty());
    let _ = std::fs::remove_file(&path);

    // Tokens still there after a crash mid-send: resent with the nonce written before.
    let mut v2 = venue();
    let (t2, setup2) = trader(&v2, 0x75, None);
    let path2 = store_path("resend");
    let w2 = tradable_window(&v2);
    redeemer(&v2, &t2, &setup2, &path2)
        .watch(&target(&w2))
        .unwrap();
    buy_both(&mut v2, &t2, &w2);
    outcome(&v2, &w2);
    let conn = rusqlite::Connection::open(&path2).unwrap();
    conn.execute("UPDATE redemptions SET state = 'sending', nonce = '0'", [])
        .unwrap();
    drop(conn);
    let mut r2 = redeemer(&v2, &t2, &setup2, &path2);
    assert_eq!(redeemed(&r2.pass(now_s() + 1)).len(), 1);
    assert_eq!(v2.sim.rpc().redemptions(), 1);
    assert_eq!(v2.sim.rpc().transactions(), 1);
    let _ = std::fs::remove_file(&path2);
}

/// Sent before a restart, but the node never saw it (no receipt for longer than
/// `RESEND_AFTER_MS`) and the tokens are still there: sent again with the same nonce, once.
#[test]
fn a_dropped_redemption_is_resent_with_its_own_nonce() {
    let mut v = venue();
    let (t, setup) = trader(&v, 0x76, None);
    let path = store_path("dropped");
    let w = tradable_window(&v);
    redeemer(&v, &t, &setup, &path).watch(&target(&w)).unwrap();
    buy_both(&mut v, &t, &w);
    let o = outcome(&v, &w);
    let winner = if o.up_won { &w.up_token } else { &w.down_token };
    let shares = held(&v, &t.maker, winner);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let unknown = format!("0x{}", "ab".repeat(32));
    // Recently sent: waited on, not resent.
    conn.execute(
        "UPDATE redemptions SET state = 'sent', nonce = '0', tx = ?1, updated_ms = ?2,
         winning_token = ?3, shares = ?4, usdc = ?4",
        rusqlite::params![unknown, now_s() as i64 * 1000, winner, shares as i64],
    )
    .unwrap();
    let mut r = redeemer(&v, &t, &setup, &path);
    let events = r.pass(now_s() + 1);
    assert!(
        matches!(events.as_slice(), [RedeemEvent::Pending { .. }]),
        "{events:?}"
    );
    assert_eq!(v.sim.rpc().transactions(), 0);
    // Long enough ago: resent at nonce 0, redeemed once.
    conn.execute("UPDATE redemptions SET updated_ms = 0", [])
        .unwrap();
    let got = redeemed(&r.pass(now_s() + 2));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].usdc_micro, shares);
    assert_eq!(v.sim.rpc().redemptions(), 1);
    assert_eq!(v.sim.rpc().transactions(), 1);
    assert!(redeemed(&r.pass(now_s() + 3)).is_empty());
    let _ = std::fs::remove_file(&path);
}

/// With redemption off (`[live] redeem = false`) resolved winners are shown as redeemable,
/// not cash, and nothing is sent.
#[test]
fn with_redemption_off_winners_are_shown_as_redeemable_not_cash() {
    let mut v = venue();
    let (t, setup) = trader(&v, 0x77, None);
    let path = store_path("off");
    let w = tradable_window(&v);
    let mut r = redeemer(&v, &t, &setup, &path);
    r.send = false;
    r.watch(&target(&w)).unwrap();
    buy_both(&mut v, &t, &w);
    let o = outcome(&v, &w);
    let winner = if o.up_won { &w.up_token } else { &w.down_token };
    let shares = held(&v, &t.maker, winner);
    let cash = v.sim.clob().balance(&t.maker).unwrap().pusd_u6;
    assert!(redeemed(&r.pass(now_s() + 1)).is_empty());
    let view = r.view().to_vec();
    assert_eq!(view.len(), 1, "{view:?}");
    assert_eq!(&view[0].token, winner);
    assert_eq!(view[0].shares_micro, shares);
    assert_eq!(v.sim.rpc().transactions(), 0);
    assert_eq!(v.sim.clob().balance(&t.maker).unwrap().pusd_u6, cash);
    let _ = std::fs::remove_file(&path);
}

fn lost(events: &[RedeemEvent]) -> Vec<Redeemed> {
    events
        .iter()
        .filter_map(|e| match e {
            RedeemEvent::Lost(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_market_lost_with_only_losing_tokens_is_told_once_across_restarts() {
    let mut v = venue();
    let (t, setup) = trader(&v, 0x78, None);
    let path = store_path("lost");
    let w = tradable_window(&v);
    let mut r = redeemer(&v, &t, &setup, &path);
    r.watch(&target(&w)).unwrap();
    buy_both(&mut v, &t, &w);
    let o = outcome(&v, &w);
    let (winner, loser) = if o.up_won {
        (&w.up_token, &w.down_token)
    } else {
        (&w.down_token, &w.up_token)
    };
    // The winning tokens leave the wallet (moved elsewhere): only losing ones are held.
    let won = held(&v, &t.maker, winner);
    assert_eq!(v.sim.clob().take_tokens(&t.maker, winner, u64::MAX), won);
    let losing = held(&v, &t.maker, loser);
    assert!(losing > 0);
    let cash = v.sim.clob().balance(&t.maker).unwrap().pusd_u6;
    let events = r.pass(now_s() + 1);
    assert!(redeemed(&events).is_empty(), "{events:?}");
    let got = lost(&events);
    assert_eq!(got.len(), 1, "{events:?}");
    assert_eq!(got[0].condition_id, w.condition_id);
    assert_eq!(&got[0].winning_token, winner);
    assert_eq!(got[0].shares_micro, losing);
    assert_eq!(got[0].usdc_micro, 0);
    assert_eq!(
        r.store.state_of(&w.condition_id).unwrap().as_deref(),
        Some("lost")
    );
    // Nothing sent, nothing paid; told once, and not again after a restart.
    assert_eq!(v.sim.rpc().transactions(), 0);
    assert_eq!(v.sim.clob().balance(&t.maker).unwrap().pusd_u6, cash);
    assert!(r.pass(now_s() + 2).is_empty());
    drop(r);
    let mut r2 = redeemer(&v, &t, &setup, &path);
    r2.watch(&target(&w)).unwrap();
    assert!(r2.pass(now_s() + 3).is_empty());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_market_resolved_with_no_tokens_held_is_not_a_loss() {
    let v = venue();
    let (t, setup) = trader(&v, 0x79, None);
    let path = store_path("none");
    let w = tradable_window(&v);
    let mut r = redeemer(&v, &t, &setup, &path);
    r.watch(&target(&w)).unwrap();
    outcome(&v, &w);
    assert!(r.pass(now_s() + 1).is_empty());
    assert_eq!(
        r.store.state_of(&w.condition_id).unwrap().as_deref(),
        Some("nothing")
    );
    let _ = std::fs::remove_file(&path);
}
