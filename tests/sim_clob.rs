//! The simulated CLOB answers orders signed by `src/clob` as the venue does: L2 auth,
//! EIP-712 signer recovery, tick and size rules, FOK/FAK matching against the live book,
//! duplicate salts, cancel-all, version and faults, many requests on one keep-alive
//! connection. Books are frozen (`poly_update_hz = 0`) so fills are predictable. The account
//! is funded as an operator would (deposit, approve, refresh); the refusals of a strict
//! venue (amounts, $1, funds, wallets, lifecycle) are in `sim_clob_rules.rs` and
//! `sim_clob_lifecycle.rs`.

use cassandra::clob::amounts::{
    limit_order_amounts, marketable_order_amounts, MarketRules, TickSize, Units,
};
use cassandra::clob::auth::{Credentials, L1Headers, L2Headers, L2Signer};
use cassandra::clob::body::{write_post_order_body, PostOptions};
use cassandra::clob::order::{
    Address, Bytes32, Chain, Exchange, OrderType, OrderV2, Side, SignatureType, SignedOrder,
    TokenId,
};
use cassandra::clob::sign::{OrderSigner, PrivateKey};
use cassandra::sim::{SimBook, SimClob, SimConfig, SimVerdict, Simulator};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const API_KEY: &str = "11111111-2222-3333-4444-555555555555";
const SECRET: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const PASSPHRASE: &str = "sim-passphrase";

static SALT: AtomicU64 = AtomicU64::new(1_000);

struct Env {
    sim: Simulator,
    signer: OrderSigner,
    creds: Credentials,
    l2: L2Signer,
    token: String,
    http: Conn,
}

fn start() -> Env {
    let sim = Simulator::start(SimConfig {
        poly_update_hz: 0.0,
        ..SimConfig::default()
    })
    .expect("sim");
    let signer = OrderSigner::new(PrivateKey::parse_hex(KEY).unwrap(), Chain::Polygon);
    let creds = Credentials::new(API_KEY.into(), SECRET.into(), PASSPHRASE.into()).unwrap();
    sim.clob().add_credentials(creds.clone(), *signer.address());
    sim.clob().fund(signer.address(), 1_000_000_000);
    let l2 = L2Signer::new(&creds).unwrap();
    let token = sim.current_window("BTC").expect("window").up_token;
    let http = Conn::open(&sim.http_url());
    Env {
        sim,
        signer,
        creds,
        l2,
        token,
        http,
    }
}

/// One HTTP/1.1 keep-alive connection with a tiny blocking client.
struct Conn {
    host: String,
    r: BufReader<TcpStream>,
}

impl Conn {
    fn open(base: &str) -> Conn {
        let host = base.trim_start_matches("http://").to_string();
        let s = TcpStream::connect(&host).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            host,
            r: BufReader::new(s),
        }
    }

    fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let s = self.r.get_mut();
        s.write_all(req.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut status_line = String::new();
        self.r.read_line(&mut status_line).expect("status line");
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            assert!(
                !lower.starts_with("connection: close"),
                "server closed keep-alive"
            );
        }
        let mut buf = vec![0u8; len];
        self.r.read_exact(&mut buf).unwrap();
        (status, String::from_utf8(buf).unwrap())
    }
}

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn tick_of(book: &SimBook) -> TickSize {
    if book.tick_e4 == 100 {
        TickSize::Hundredth
    } else {
        TickSize::Thousandth
    }
}

impl Env {
    fn book(&self) -> SimBook {
        self.sim.poly_book(&self.token).expect("book")
    }

    /// A signed order body for `shares` at `price_u6`, computed on `tick`: market-order
    /// amounts for FOK/FAK, limit-order amounts for GTC/GTD, as the venue wants.
    fn body(
        &self,
        side: Side,
        price_u6: u64,
        shares_u6: u64,
        tick: TickSize,
        ot: OrderType,
    ) -> Vec<u8> {
        let rules = MarketRules {
            tick,
            min_size_u6: 0,
        };
        let a = match ot {
            OrderType::Fok | OrderType::Fak => {
                marketable_order_amounts(side, price_u6, shares_u6, rules)
            }
            _ => limit_order_amounts(side, price_u6, shares_u6, rules),
        }
        .expect("amounts");
        self.body_raw(side, a.maker_amount_u6, a.taker_amount_u6, ot)
    }

    fn body_raw(&self, side: Side, maker_u6: u64, taker_u6: u64, ot: OrderType) -> Vec<u8> {
        let order = OrderV2 {
            salt: SALT.fetch_add(1, Ordering::SeqCst),
            maker: *self.signer.address(),
            signer: *self.signer.address(),
            token_id: TokenId::parse_decimal(&self.token).unwrap(),
            maker_amount_u6: maker_u6,
            taker_amount_u6: taker_u6,
            side,
            signature_type: SignatureType::Eoa,
            timestamp_ms: now_s() * 1000,
            metadata: Bytes32::ZERO,
            builder: Bytes32::ZERO,
            expiration_s: 0,
        };
        let signature = self.signer.sign_order(Exchange::CtfV2, &order).unwrap();
        let mut out = Vec::new();
        write_post_order_body(
            &mut out,
            &SignedOrder { order, signature },
            API_KEY,
            PostOptions::new(ot),
        )
        .unwrap();
        out
    }

    fn post_with(&mut self, l2: &L2Signer, creds: &Credentials, body: &[u8]) -> (u16, Value) {
        let h = L2Headers::new(
            l2,
            creds,
            self.signer.address(),
            now_s(),
            "POST",
            "/order",
            Some(body),
        );
        let pairs = h.pairs();
        let (status, text) = self.http.request("POST", "/order", &pairs, body);
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON {text:?}: {e}"));
        (status, v)
    }

    fn post(&mut self, body: &[u8]) -> (u16, Value) {
        let (l2, creds) = (self.l2.clone(), self.creds.clone());
        self.post_with(&l2, &creds, body)
    }
}

fn px_u6(price_e4: u32) -> u64 {
    u64::from(price_e4) * 100
}

#[test]
fn signed_order_is_accepted_and_matched_with_exact_amounts() {
    let mut e = start();
    let book = e.book();
    let ask = book.best_ask().expect("asks");
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        10_000_000,
        tick_of(&book),
        OrderType::Fok,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["success"], true);
    assert_eq!(v["errorMsg"], "");
    assert_eq!(v["status"], "matched");
    assert_eq!(
        v["makingAmount"],
        Units(10 * px_u6(ask.price_e4)).to_string()
    );
    assert_eq!(v["takingAmount"], "10");
    assert!(v["orderID"].as_str().unwrap().starts_with("0x"));
    assert_eq!(v["orderID"].as_str().unwrap().len(), 66);
    // Asynchronous execution: trade ids now, transaction hashes from /data/trades later.
    assert!(v.get("transactionsHashes").is_none(), "{v}");
    assert_eq!(v["tradeIDs"].as_array().unwrap().len(), 1);
    // The liquidity left the book.
    let after = e.book();
    assert_eq!(after.asks[0].price_e4, ask.price_e4);
    assert_eq!(after.asks[0].size_e2, ask.size_e2 - 1000);
    let r = e.sim.clob().orders();
    assert_eq!(r.len(), 1);
    assert!(r[0].hmac_ok && r[0].signer_ok);
    assert_eq!(r[0].verdict, SimVerdict::Matched);
    assert_eq!(r[0].filled_u6, 10_000_000);
    assert_eq!(r[0].price_u6, px_u6(ask.price_e4));
    assert_eq!(r[0].order_type, Some(OrderType::Fok));
    assert_eq!(r[0].side, Some(Side::Buy));
}

#[test]
fn sell_fills_against_bids() {
    let mut e = start();
    let book = e.book();
    let bid = book.best_bid().expect("bids");
    e.sim
        .clob()
        .give_tokens(e.signer.address(), &e.token, 7_000_000);
    let body = e.body(
        Side::Sell,
        px_u6(bid.price_e4),
        7_000_000,
        tick_of(&book),
        OrderType::Fak,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "matched");
    assert_eq!(v["makingAmount"], "7");
    assert_eq!(
        v["takingAmount"],
        Units(7 * px_u6(bid.price_e4)).to_string()
    );
    assert_eq!(e.book().bids[0].size_e2, bid.size_e2 - 700);
    // The tokens left, the pUSD came in less the fee (taker, paid in pUSD on a SELL).
    let b = e.sim.clob().balance(e.signer.address()).unwrap();
    let fee = e.sim.clob().orders()[0].fee_u6;
    assert!(fee > 0);
    assert_eq!(b.tokens, vec![(e.token.clone(), 0)]);
    assert_eq!(b.pusd_u6, 1_000_000_000 + 7 * px_u6(bid.price_e4) - fee);
}

#[test]
fn bad_hmac_and_unknown_key_are_401() {
    let mut e = start();
    let book = e.book();
    let ask = book.best_ask().unwrap();
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        10_000_000,
        tick_of(&book),
        OrderType::Fok,
    );
    // Right key, wrong secret.
    let wrong = Credentials::new(
        API_KEY.into(),
        "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".into(),
        PASSPHRASE.into(),
    )
    .unwrap();
    let (status, v) = e.post_with(&L2Signer::new(&wrong).unwrap(), &wrong, &body);
    assert_eq!(status, 401);
    assert_eq!(v["error"], "Unauthorized/Invalid api key");
    // Unknown key.
    let unknown = Credentials::new("not-a-key".into(), SECRET.into(), PASSPHRASE.into()).unwrap();
    let (status, v) = e.post_with(&L2Signer::new(&unknown).unwrap(), &unknown, &body);
    assert_eq!(status, 401);
    assert_eq!(v["error"], "Unauthorized/Invalid api key");
    // A stale timestamp.
    let h = L2Headers::new(
        &e.l2,
        &e.creds,
        e.signer.address(),
        now_s() - 120,
        "POST",
        "/order",
        Some(&body),
    );
    let (status, _) = e.http.request("POST", "/order", &h.pairs(), &body);
    assert_eq!(status, 401);
    let r = e.sim.clob().orders();
    assert_eq!(r.len(), 3);
    assert!(r
        .iter()
        .all(|o| !o.hmac_ok && o.verdict == SimVerdict::Unauthorized));
    assert!(e.sim.poly_book(&e.token).unwrap() == book, "nothing filled");
}

#[test]
fn tampered_body_no_longer_recovers_the_signer() {
    let mut e = start();
    let book = e.book();
    let ask = book.best_ask().unwrap();
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        10_000_000,
        tick_of(&book),
        OrderType::Fok,
    );
    let text = String::from_utf8(body).unwrap();
    // Ask for 11 shares for the same money: HMAC redone over the new bytes, EIP-712 not.
    let tampered = text.replace(
        "\"takerAmount\":\"10000000\"",
        "\"takerAmount\":\"11000000\"",
    );
    assert_ne!(tampered, text);
    let (status, v) = e.post(tampered.as_bytes());
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"], "invalid signature");
    let r = e.sim.clob().orders();
    assert!(r[0].hmac_ok && !r[0].signer_ok);
    assert_eq!(r[0].verdict, SimVerdict::Rejected);
}

#[test]
fn off_tick_and_under_minimum_are_rejected() {
    let mut e = start();
    let book = e.book();
    // Half a tick above the best ask: valid on a tick ten times finer, off the book's own.
    // (The book's tick depends on where the window's price is: 0.01 near the middle, 0.001
    // near the edges.)
    let (fine, tick_text) = match book.tick_e4 {
        100 => (TickSize::Thousandth, "0.01"),
        _ => (TickSize::TenThousandth, "0.001"),
    };
    let ask = book.best_ask().unwrap();
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4) + book.tick_e4 as u64 * 50,
        10_000_000,
        fine,
        OrderType::Fok,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 400, "{v}");
    let msg = v["error"].as_str().unwrap();
    assert!(
        msg.contains(&format!("breaks minimum tick size rule: {tick_text}")),
        "{msg}"
    );
    // A resting order of 4 shares < 5.
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        4_000_000,
        tick_of(&book),
        OrderType::Gtc,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 400, "{v}");
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("lower than the minimum: 5"), "{msg}");
    let r = e.sim.clob().orders();
    assert!(r
        .iter()
        .all(|o| o.verdict == SimVerdict::Rejected && o.signer_ok && o.filled_u6 == 0));
    assert_eq!(e.book(), book);
}

#[test]
fn fok_too_large_is_killed_and_fak_fills_partly() {
    let mut e = start();
    let book = e.book();
    let ask = book.best_ask().unwrap();
    let tick = tick_of(&book);
    // More than the whole best level at its price: FOK is killed, nothing moves.
    let want = ask.size_e2 * 10_000 + 5_000_000;
    let body = e.body(Side::Buy, px_u6(ask.price_e4), want, tick, OrderType::Fok);
    let (status, v) = e.post(&body);
    assert_eq!(status, 400, "{v}");
    assert_eq!(
        v["error"],
        "order couldn't be fully filled. FOK orders are fully filled or killed."
    );
    assert_eq!(e.book(), book);
    // FAK takes the level and cancels the rest.
    let body = e.body(Side::Buy, px_u6(ask.price_e4), want, tick, OrderType::Fak);
    let (status, v) = e.post(&body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "matched");
    assert_eq!(v["takingAmount"], Units(ask.size_e2 * 10_000).to_string());
    assert_eq!(
        v["makingAmount"],
        Units(ask.size_e2 * 10_000 * px_u6(ask.price_e4) / 1_000_000).to_string()
    );
    assert_ne!(
        e.book().best_ask().unwrap().price_e4,
        ask.price_e4,
        "level taken"
    );
    // FAK below the ask finds nothing.
    let bid = book.best_bid().unwrap();
    let body = e.body(
        Side::Buy,
        px_u6(bid.price_e4),
        10_000_000,
        tick,
        OrderType::Fak,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("FAK"));
    let r = e.sim.clob().orders();
    let verdicts: Vec<SimVerdict> = r.iter().map(|o| o.verdict).collect();
    assert_eq!(
        verdicts,
        [SimVerdict::Killed, SimVerdict::Matched, SimVerdict::Killed]
    );
    assert_eq!(r[1].filled_u6, ask.size_e2 * 10_000);
}

#[test]
fn duplicate_salt_is_rejected() {
    let mut e = start();
    let book = e.book();
    let ask = book.best_ask().unwrap();
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        5_000_000,
        tick_of(&book),
        OrderType::Fok,
    );
    let (status, _) = e.post(&body);
    assert_eq!(status, 200);
    let (status, v) = e.post(&body);
    assert_eq!(status, 400);
    let id = e.sim.clob().orders()[0].order_id.clone();
    assert_eq!(v["error"], format!("order {id} is invalid. Duplicated."));
    let r = e.sim.clob().orders();
    assert_eq!(r[0].salt, r[1].salt);
    assert_eq!(r[1].verdict, SimVerdict::Rejected);
}

#[test]
fn gtc_below_the_book_is_live_and_cancel_all_cancels_it() {
    let mut e = start();
    let book = e.book();
    let bid = book.best_bid().unwrap();
    let body = e.body(
        Side::Buy,
        px_u6(bid.price_e4),
        10_000_000,
        tick_of(&book),
        OrderType::Gtc,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "live");
    assert_eq!(v["makingAmount"], "");
    let id = v["orderID"].as_str().unwrap().to_string();
    let h = L2Headers::new(
        &e.l2,
        &e.creds,
        e.signer.address(),
        now_s(),
        "DELETE",
        "/cancel-all",
        None,
    );
    let (status, text) = e.http.request("DELETE", "/cancel-all", &h.pairs(), b"");
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v, serde_json::json!({"canceled": [id], "not_canceled": {}}));
    assert_eq!(e.sim.clob().cancel_all_count(), 1);
    // Unauthenticated cancel-all is refused and not counted.
    let (status, _) = e.http.request("DELETE", "/cancel-all", &[], b"");
    assert_eq!(status, 401);
    assert_eq!(e.sim.clob().cancel_all_count(), 1);
}

#[test]
fn version_and_version_mismatch() {
    let mut e = start();
    let (status, text) = e.http.request("GET", "/version", &[], b"");
    assert_eq!((status, text.as_str()), (200, "{\"version\":2}"));
    let book = e.book();
    let ask = book.best_ask().unwrap();
    let tick = tick_of(&book);
    // Forced: the next order only.
    e.sim.faults().set_order_version_mismatch(1);
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        5_000_000,
        tick,
        OrderType::Fok,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 400);
    assert_eq!(v["error"], "order_version_mismatch");
    assert_eq!(v["success"], false);
    assert_eq!(v["errorMsg"], "order_version_mismatch");
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        5_000_000,
        tick,
        OrderType::Fok,
    );
    assert_eq!(e.post(&body).0, 200);
    // Served version 3: a domain-"2" order is a mismatch, not a bad signature.
    e.sim.clob().set_version(3);
    let (_, text) = e.http.request("GET", "/version", &[], b"");
    assert_eq!(text, "{\"version\":3}");
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        5_000_000,
        tick,
        OrderType::Fok,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 400);
    assert_eq!(v["error"], "order_version_mismatch");
}

#[test]
fn clob_faults_answer_like_the_venue() {
    let mut e = start();
    let book = e.book();
    let ask = book.best_ask().unwrap();
    let tick = tick_of(&book);
    e.sim.faults().set_clob_status(Some(429));
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        5_000_000,
        tick,
        OrderType::Fok,
    );
    let (status, v) = e.post(&body);
    assert_eq!(
        (status, v),
        (429, serde_json::json!({"error": "Too Many Requests"}))
    );
    e.sim.faults().set_clob_status(None);
    e.sim.faults().fail_next_clob_requests(1, 503);
    let (status, _) = e.post(&body);
    assert_eq!(status, 503);
    // The count ran out: the same (never accepted) order goes through now, slowly.
    e.sim.faults().set_clob_delay_ms(300);
    let t0 = Instant::now();
    let (status, v) = e.post(&body);
    assert_eq!(status, 200, "{v}");
    assert!(t0.elapsed() >= Duration::from_millis(300));
    e.sim.faults().set_clob_delay_ms(0);
    e.sim.faults().set_delayed_orders(1);
    let body = e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        5_000_000,
        tick,
        OrderType::Fok,
    );
    let (status, v) = e.post(&body);
    assert_eq!(status, 200);
    assert_eq!(v["status"], "delayed");
    let verdicts: Vec<SimVerdict> = e.sim.clob().orders().iter().map(|o| o.verdict).collect();
    assert_eq!(
        verdicts,
        [
            SimVerdict::Faulted,
            SimVerdict::Faulted,
            SimVerdict::Matched,
            SimVerdict::Delayed
        ]
    );
}

#[test]
fn many_requests_on_one_keep_alive_connection() {
    let mut e = start();
    let book = e.book();
    // The worst ask bounds the walk: 50 shares always fit in five levels of >= 20.
    let ask = *book.asks.last().unwrap();
    let tick = tick_of(&book);
    for i in 0..10 {
        let (status, _) = e.http.request("GET", "/version", &[], b"");
        assert_eq!(status, 200, "request {i}");
        let body = e.body(
            Side::Buy,
            px_u6(ask.price_e4),
            5_000_000,
            tick,
            OrderType::Fak,
        );
        let (status, v) = e.post(&body);
        assert_eq!(status, 200, "order {i}: {v}");
    }
    let r = e.sim.clob().orders();
    assert_eq!(r.len(), 10);
    assert!(r.iter().all(|o| o.verdict == SimVerdict::Matched));
}

#[test]
fn l1_create_then_derive_gives_working_credentials() {
    let mut e = start();
    let ts = now_s();
    let l1 = L1Headers::new(&e.signer, ts, 0).unwrap();
    // Nothing to derive yet.
    let (status, _) = e
        .http
        .request("GET", "/auth/derive-api-key", &l1.pairs(), b"");
    assert_eq!(status, 400);
    let (status, text) = e.http.request("POST", "/auth/api-key", &l1.pairs(), b"");
    assert_eq!(status, 200, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let expected = SimClob::derived_credentials(e.signer.address(), 0);
    assert_eq!(created["apiKey"], expected.api_key());
    assert_eq!(created["secret"], expected.secret());
    assert_eq!(created["passphrase"], expected.passphrase());
    let (status, text) = e
        .http
        .request("GET", "/auth/derive-api-key", &l1.pairs(), b"");
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), created);
    // A signature by another key for this address is refused.
    let other = OrderSigner::new(
        PrivateKey::parse_hex(&format!("0x{}", "11".repeat(32))).unwrap(),
        Chain::Polygon,
    );
    let mut forged = L1Headers::new(&other, ts, 0).unwrap();
    forged.address = e.signer.address().as_str().to_string();
    let (status, text) = e
        .http
        .request("GET", "/auth/derive-api-key", &forged.pairs(), b"");
    assert_eq!(status, 401, "{text}");
    // The derived key trades.
    let book = e.book();
    let ask = book.best_ask().unwrap();
    let order_body = String::from_utf8(e.body(
        Side::Buy,
        px_u6(ask.price_e4),
        5_000_000,
        tick_of(&book),
        OrderType::Fok,
    ))
    .unwrap()
    .replace(API_KEY, expected.api_key());
    let l2 = L2Signer::new(&expected).unwrap();
    let (status, v) = e.post_with(&l2, &expected, order_body.as_bytes());
    assert_eq!(status, 200, "{v}");
    let _ = Address::parse_hex(e.signer.address().as_str()).unwrap();
}

#[test]
fn proxy_funder_must_be_registered() {
    let mut e = start();
    let book = e.book();
    let ask = book.best_ask().unwrap();
    let proxy = Address::parse_hex("0x1111111111111111111111111111111111111111").unwrap();
    let a = marketable_order_amounts(
        Side::Buy,
        px_u6(ask.price_e4),
        5_000_000,
        MarketRules {
            tick: tick_of(&book),
            min_size_u6: 0,
        },
    )
    .unwrap();
    let make = |salt: u64| {
        let order = OrderV2 {
            salt,
            maker: proxy,
            signer: *e.signer.address(),
            token_id: TokenId::parse_decimal(&e.token).unwrap(),
            maker_amount_u6: a.maker_amount_u6,
            taker_amount_u6: a.taker_amount_u6,
            side: Side::Buy,
            signature_type: SignatureType::PolyProxy,
            timestamp_ms: now_s() * 1000,
            metadata: Bytes32::ZERO,
            builder: Bytes32::ZERO,
            expiration_s: 0,
        };
        let signature = e.signer.sign_order(Exchange::CtfV2, &order).unwrap();
        let mut out = Vec::new();
        write_post_order_body(
            &mut out,
            &SignedOrder { order, signature },
            API_KEY,
            PostOptions::new(OrderType::Fok),
        )
        .unwrap();
        out
    };
    let (b1, b2, b3) = (make(900_001), make(900_002), make(900_003));
    let (status, v) = e.post(&b1);
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid signature"))
    );
    e.sim.clob().add_funder(*e.signer.address(), proxy);
    // Registered but empty: the funds are checked on the proxy, not on the EOA.
    let (status, v) = e.post(&b2);
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"].as_str().unwrap().starts_with(
            "not enough balance / allowance: the balance is not enough -> balance: 0,"
        ),
        "{v}"
    );
    e.sim.clob().fund(&proxy, 100_000_000);
    let (status, v) = e.post(&b3);
    assert_eq!(status, 200, "{v}");
    let b = e.sim.clob().balance(&proxy).unwrap();
    let making = (v["makingAmount"].as_str().unwrap().parse::<f64>().unwrap() * 1e6).round() as u64;
    assert_eq!(b.pusd_u6, 100_000_000 - making, "the proxy paid, {v}");
    let eoa = e.sim.clob().balance(e.signer.address()).unwrap();
    assert_eq!(
        eoa.pusd_u6, 1_000_000_000,
        "the EOA's own funds are untouched"
    );
}
