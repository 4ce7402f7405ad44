//! Live execution on the `order` thread: `POST /order` over the warm CLOB connection.
//!
//! Per intent: take a presigned order from the ladder (or sign one now when none fits), HMAC
//! the exact body, write the request into the connection's buffer, send. Responses come back
//! in order on the same connection and become `ExecReport`s. Steady state: no allocation
//! (the request is formatted into a fixed buffer, the response parsed in place); the ECDSA
//! fallback costs tens of microseconds and is counted.

use std::io::Write;
use std::time::Duration;

use crate::clob::auth::{Credentials, L2Signer, HMAC_SIGNATURE_LEN};
use crate::clob::http::{HttpConn, HttpError, HttpTarget};
use crate::clob::sign::OrderSigner;
use crate::feeds::json::JsonScratch;

pub use super::answer::{parse_order_response, AnswerStatus, OrderAnswer, ORDER_ID_MAX};
use crate::feeds::ws::Backoff;
use crate::pipeline::events::{ExecReport, ExecStatus, OrderIntent, TokenId, NO_TRIGGER_SEQ};
use crate::pipeline::lossless::LosslessRx;
use crate::pipeline::registry::MAX_TOKENS;
use crate::pipeline::rings::{TapRx, TapTx};
use crate::sim::wire::TRIGGER_HEADER;
use crate::strategy::fees::taker_fee_usdc;

use super::ladder::OrderLadder;
use super::orders::{build_buy, Account, PostBody, SaltSource, TokenOrderInfo};

/// Requests in flight at once on the connection.
const MAX_IN_FLIGHT: usize = 64;

/// Counters of the live path (read by the control side).
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub presigned: std::sync::atomic::AtomicU64,
    pub signed_now: std::sync::atomic::AtomicU64,
    pub sent: std::sync::atomic::AtomicU64,
    pub venue_errors: std::sync::atomic::AtomicU64,
    pub reconnects: std::sync::atomic::AtomicU64,
    pub cancel_all: std::sync::atomic::AtomicU64,
    /// Orders re-signed and re-posted after `order_version_mismatch`.
    pub version_retries: std::sync::atomic::AtomicU64,
    /// Intents not sent, by reason: no connection, token not set up, order not buildable
    /// (e.g. below the market's minimum size), requests in flight at the limit.
    pub refused_no_connection: std::sync::atomic::AtomicU64,
    pub refused_unknown_token: std::sync::atomic::AtomicU64,
    pub refused_cannot_build: std::sync::atomic::AtomicU64,
    pub refused_busy: std::sync::atomic::AtomicU64,
    /// Not sent because the venue would refuse its size: a marketable BUY under $1 or a size
    /// under the market's minimum (checked before signing, never a venue error).
    pub refused_under_minimum: std::sync::atomic::AtomicU64,
}

/// What a request in flight was, so its answer can be matched.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Empty,
    Order { intent: OrderIntent, retried: bool },
    CancelAll,
    Version { intent: OrderIntent },
}

pub struct LiveExec {
    pub target: HttpTarget,
    pub signer: OrderSigner,
    pub account: Account,
    pub creds: Credentials,
    pub ladder: OrderLadder,
    /// Presigned orders from the control side.
    pub presigned: TapRx<PostBody>,
    /// Orders used, so the control side re-signs them.
    pub used: TapTx<(TokenId, u32, u64)>,
    /// Token set-ups from the control side.
    pub tokens_rx: LosslessRx<(TokenId, TokenOrderInfo)>,
    pub counters: std::sync::Arc<LiveCounters>,
    tokens: [Option<TokenOrderInfo>; MAX_TOKENS],
    l2: L2Signer,
    conn: Option<HttpConn>,
    /// Makes the connection on a control-side thread (the pipeline); `None` connects inline
    /// (tools and tests that own no hot thread).
    dialer: Option<crate::feeds::dialer::Dialer<HttpConn, HttpError>>,
    backoff: Backoff,
    retry_at_ns: u64,
    pending: [Pending; MAX_IN_FLIGHT],
    /// The order version in force, shared with the ladder signer (2 or 3).
    version: std::sync::Arc<std::sync::atomic::AtomicU8>,
    head: usize,
    len: usize,
    salts: SaltSource,
    scratch: Vec<u8>,
    json: JsonScratch,
    /// The last body built (shadow mode journals it).
    last_body: PostBody,
    /// Tag each order with the venue sequence of its trigger frame ([`TRIGGER_HEADER`]), so a
    /// simulated venue can measure wire-to-wire tick-to-trade. Off against real venues.
    pub tag_trigger: bool,
    /// The venue order type of orders signed on the spot (`[live] order_type`), the same as
    /// the ladder's, so a presigned and an on-the-spot order for one intent are alike.
    pub order_type: crate::pipeline::events::OrderType,
}

/// Why an intent was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    NoConnection,
    UnknownToken,
    CannotBuild,
    /// Under the venue's $1 (marketable BUY) or minimum-size rule.
    UnderMinimum,
    Busy,
}

impl LiveExec {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        target: HttpTarget,
        signer: OrderSigner,
        account: Account,
        creds: Credentials,
        presigned: TapRx<PostBody>,
        used: TapTx<(TokenId, u32, u64)>,
        tokens_rx: LosslessRx<(TokenId, TokenOrderInfo)>,
        counters: std::sync::Arc<LiveCounters>,
        version: std::sync::Arc<std::sync::atomic::AtomicU8>,
    ) -> anyhow::Result<LiveExec> {
        let l2 = L2Signer::new(&creds).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(LiveExec {
            target,
            signer,
            account,
            creds,
            ladder: OrderLadder::default(),
            presigned,
            used,
            tokens_rx,
            counters,
            tokens: [None; MAX_TOKENS],
            l2,
            conn: None,
            dialer: None,
            backoff: Backoff::new(100, 5_000, 0x11),
            retry_at_ns: 0,
            pending: [Pending::Empty; MAX_IN_FLIGHT],
            version,
            head: 0,
            len: 0,
            salts: SaltSource::new(crate::clock::wall_ms(), 2),
            scratch: Vec::with_capacity(4096),
            json: JsonScratch::new(16 << 10),
            last_body: PostBody::EMPTY,
            tag_trigger: false,
            order_type: crate::pipeline::events::OrderType::Fak,
        })
    }

    /// Take in what the control side sent: token set-ups and presigned orders.
    pub fn absorb(&mut self) -> usize {
        let mut n = 0;
        while let Some((slot, info)) = self.tokens_rx.pop() {
            if let Some(t) = self.tokens.get_mut(slot.0 as usize) {
                *t = Some(info);
                self.ladder.clear_token(slot);
            }
            n += 1;
        }
        while let Some(b) = self.presigned.pop() {
            self.ladder.insert(b);
            n += 1;
        }
        n
    }

    /// Connect through a dialer thread from now on: DNS, TCP, TLS and every reconnect run
    /// there, and `ensure_connected` only picks the ready connection up.
    pub fn dial_off_thread(&mut self) -> std::io::Result<()> {
        let target = self.target.clone();
        self.dialer = Some(crate::feeds::dialer::Dialer::spawn_with(
            "clob",
            move || HttpConn::connect(&target, Duration::from_secs(5)),
            None,
        )?);
        Ok(())
    }

    /// Keep the connection up (connects at start and after a failure, with backoff).
    pub fn ensure_connected(&mut self, now_ns: u64) -> bool {
        if self.conn.is_some() {
            return true;
        }
        let dialed = match self.dialer.as_mut() {
            Some(d) => match d.poll() {
                Some(r) => r,
                None => {
                    if now_ns >= self.retry_at_ns {
                        d.request();
                    }
                    return false;
                }
            },
            None if now_ns < self.retry_at_ns => return false,
            None => HttpConn::connect(&self.target, Duration::from_secs(5)),
        };
        match dialed {
            Ok(c) => {
                self.conn = Some(c);
                self.backoff.reset();
                true
            }
            Err(_) => {
                self.retry_at_ns = now_ns + self.backoff.next_delay_ms() * 1_000_000;
                false
            }
        }
    }

    /// The body for `intent`: presigned if one fits, else signed now.
    fn body_for(&mut self, intent: &OrderIntent, now_ms: u64) -> Result<PostBody, SendError> {
        if let Some(b) = self
            .ladder
            .take(intent.token, intent.limit_price_e4, intent.size_e6)
        {
            self.used.offer((b.token, b.price_e4, b.size_e6));
            bump(&self.counters.presigned);
            return Ok(b);
        }
        let mut info =
            self.tokens[intent.token.0 as usize % MAX_TOKENS].ok_or(SendError::UnknownToken)?;
        // The venue moves a market's tick (`tick_size_change`) near the extremes; the book the
        // decision saw carries the tick in force, the set-up only the one at discovery.
        if let Some(tick) = crate::clob::amounts::TickSize::from_e4(intent.book.tick_e4) {
            info.tick = tick;
        }
        let b = build_buy(
            &self.signer,
            &self.account,
            self.creds.api_key(),
            &info,
            intent.token,
            intent.limit_price_e4,
            intent.size_e6,
            self.order_type,
            self.salts.next_salt(),
            now_ms,
            &mut self.scratch,
        )
        .map_err(|e| {
            if e.is_under_minimum() {
                SendError::UnderMinimum
            } else {
                SendError::CannotBuild
            }
        })?;
        bump(&self.counters.signed_now);
        Ok(b)
    }

    /// Build the body without sending (shadow mode); the body is kept in `last_body`.
    pub fn build_only(
        &mut self,
        intent: &OrderIntent,
        now_ms: u64,
    ) -> Result<&PostBody, SendError> {
        let b = self.body_for(intent, now_ms)?;
        self.last_body = b;
        Ok(&self.last_body)
    }

    /// Send `intent`. On success it is in flight until its response; `Ok(true)` when a
    /// presigned order was used.
    pub fn send(
        &mut self,
        intent: &OrderIntent,
        now_ns: u64,
        now_ms: u64,
    ) -> Result<bool, SendError> {
        let before = self
            .counters
            .presigned
            .load(std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = self.send_order(intent, now_ns, now_ms, false) {
            let c = &self.counters;
            bump(match e {
                SendError::NoConnection => &c.refused_no_connection,
                SendError::UnknownToken => &c.refused_unknown_token,
                SendError::CannotBuild => &c.refused_cannot_build,
                SendError::UnderMinimum => &c.refused_under_minimum,
                SendError::Busy => &c.refused_busy,
            });
            return Err(e);
        }
        Ok(self
            .counters
            .presigned
            .load(std::sync::atomic::Ordering::Relaxed)
            > before)
    }

    fn send_order(
        &mut self,
        intent: &OrderIntent,
        now_ns: u64,
        now_ms: u64,
        retried: bool,
    ) -> Result<(), SendError> {
        if self.len == MAX_IN_FLIGHT {
            return Err(SendError::Busy);
        }
        if !self.ensure_connected(now_ns) {
            return Err(SendError::NoConnection);
        }
        let body = self.body_for(intent, now_ms)?;
        self.last_body = body;
        let ts_s = now_ms / 1000;
        let mut sig = [0u8; HMAC_SIGNATURE_LEN];
        let sig = self
            .l2
            .sign_into(ts_s, "POST", "/order", Some(body.bytes()), &mut sig);
        let conn = self.conn.as_mut().expect("connected above");
        let buf = conn.request_buf();
        let total = buf.len();
        let mut w = std::io::Cursor::new(buf);
        let head = write!(
            w,
            "POST /order HTTP/1.1\r\nHost: {}\r\nUser-Agent: cassandra\r\nAccept: */*\r\n\
             Connection: keep-alive\r\nContent-Type: application/json\r\n\
             POLY_ADDRESS: {}\r\nPOLY_SIGNATURE: {}\r\nPOLY_TIMESTAMP: {}\r\n\
             POLY_API_KEY: {}\r\nPOLY_PASSPHRASE: {}\r\n",
            self.target.host,
            self.signer.address().as_str(),
            sig,
            ts_s,
            self.creds.api_key(),
            self.creds.passphrase(),
        );
        let tag = if self.tag_trigger && intent.trigger_seq != NO_TRIGGER_SEQ {
            write!(w, "{TRIGGER_HEADER}: {}\r\n", intent.trigger_seq)
        } else {
            Ok(())
        };
        let length = write!(w, "Content-Length: {}\r\n\r\n", body.bytes().len());
        if head.is_err() || tag.is_err() || length.is_err() || w.write_all(body.bytes()).is_err() {
            return Err(SendError::Busy);
        }
        let n = w.position() as usize;
        debug_assert!(n <= total);
        if let Err(e) = conn.commit(n) {
            self.fail(now_ns, e);
            return Err(SendError::NoConnection);
        }
        self.push_pending(Pending::Order {
            intent: *intent,
            retried,
        });
        bump(&self.counters.sent);
        Ok(())
    }

    fn push_pending(&mut self, p: Pending) {
        let slot = (self.head + self.len) % MAX_IN_FLIGHT;
        self.pending[slot] = p;
        self.len += 1;
    }

    /// `GET /version` on the order connection (after an `order_version_mismatch`); the
    /// intent is re-signed for the version it answers and posted once more.
    fn ask_version(&mut self, intent: &OrderIntent, now_ns: u64) -> bool {
        if self.len == MAX_IN_FLIGHT {
            return false;
        }
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        let mut w = std::io::Cursor::new(conn.request_buf());
        if write!(
            w,
            "GET /version HTTP/1.1\r\nHost: {}\r\nUser-Agent: cassandra\r\nAccept: */*\r\n\
             Connection: keep-alive\r\n\r\n",
            self.target.host
        )
        .is_err()
        {
            return false;
        }
        let n = w.position() as usize;
        if let Err(e) = conn.commit(n) {
            self.fail(now_ns, e);
            return false;
        }
        self.push_pending(Pending::Version { intent: *intent });
        true
    }

    /// `DELETE /cancel-all` (the kill switch in live mode).
    pub fn cancel_all(&mut self, now_ns: u64, now_ms: u64) -> bool {
        if !self.ensure_connected(now_ns) {
            return false;
        }
        let ts_s = now_ms / 1000;
        let mut sig = [0u8; HMAC_SIGNATURE_LEN];
        let sig = self
            .l2
            .sign_into(ts_s, "DELETE", "/cancel-all", None, &mut sig);
        let conn = self.conn.as_mut().expect("connected above");
        let mut w = std::io::Cursor::new(conn.request_buf());
        let ok = write!(
            w,
            "DELETE /cancel-all HTTP/1.1\r\nHost: {}\r\nUser-Agent: cassandra\r\nAccept: */*\r\n\
             Connection: keep-alive\r\nPOLY_ADDRESS: {}\r\nPOLY_SIGNATURE: {}\r\n\
             POLY_TIMESTAMP: {}\r\nPOLY_API_KEY: {}\r\nPOLY_PASSPHRASE: {}\r\n\
             Content-Length: 0\r\n\r\n",
            self.target.host,
            self.signer.address().as_str(),
            sig,
            ts_s,
            self.creds.api_key(),
            self.creds.passphrase(),
        )
        .is_ok();
        if !ok || self.len == MAX_IN_FLIGHT {
            return false;
        }
        let n = w.position() as usize;
        if let Err(e) = conn.commit(n) {
            self.fail(now_ns, e);
            return false;
        }
        // Its response is consumed in order like an order's; it carries no intent.
        self.push_pending(Pending::CancelAll);
        bump(&self.counters.cancel_all);
        true
    }

    fn fail(&mut self, now_ns: u64, _e: HttpError) {
        self.conn = None;
        bump(&self.counters.reconnects);
        self.retry_at_ns = now_ns + self.backoff.next_delay_ms() * 1_000_000;
    }

    /// Responses that arrived; each intent's report goes to `out`. A lost connection fails
    /// every request in flight (reported `Rejected`: the venue may or may not have them —
    /// the order is FAK, so nothing rests either way).
    pub fn poll(&mut self, now_ns: u64, mut out: impl FnMut(ExecReport)) -> usize {
        let mut n = 0;
        while let Some(conn) = self.conn.as_mut() {
            let resp = match conn.poll() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => {
                    self.fail(now_ns, e);
                    while self.len > 0 {
                        match std::mem::replace(&mut self.pending[self.head], Pending::Empty) {
                            Pending::Order { intent, .. } | Pending::Version { intent } => {
                                out(rejected(&intent))
                            }
                            Pending::CancelAll | Pending::Empty => {}
                        }
                        self.head = (self.head + 1) % MAX_IN_FLIGHT;
                        self.len -= 1;
                        n += 1;
                    }
                    break;
                }
            };
            let status = resp.status;
            let parsed = parse_order_response(&mut self.json, resp.body);
            if self.len == 0 {
                continue; // an answer nobody asked for: ignore
            }
            let entry = std::mem::replace(&mut self.pending[self.head], Pending::Empty);
            self.head = (self.head + 1) % MAX_IN_FLIGHT;
            self.len -= 1;
            n += 1;
            let (intent, retried) = match entry {
                Pending::Order { intent, retried } => (intent, retried),
                Pending::Version { intent } => {
                    // Re-resolve the version, drop orders signed for the old one, re-post once.
                    let v = parsed.map_or(0, |a| a.version);
                    if v == 2 || v == 3 {
                        self.set_version(v);
                    }
                    let now_ms = crate::clock::wall_ms();
                    if self.send_order(&intent, now_ns, now_ms, true).is_err() {
                        out(rejected(&intent));
                    }
                    continue;
                }
                Pending::CancelAll | Pending::Empty => continue,
            };
            if parsed.is_some_and(|a| a.version_mismatch)
                && !retried
                && self.ask_version(&intent, now_ns)
            {
                bump(&self.counters.version_retries);
                continue;
            }
            let report = report_from(&intent, status, parsed);
            if report.status == ExecStatus::Rejected {
                bump(&self.counters.venue_errors);
            }
            out(report);
        }
        n
    }

    pub fn in_flight(&self) -> usize {
        self.len
    }

    fn set_version(&mut self, v: u8) {
        let version = if v == 3 {
            crate::clob::order::OrderVersion::V3
        } else {
            crate::clob::order::OrderVersion::V2
        };
        if version != self.account.version {
            self.account.version = version;
            for t in 0..MAX_TOKENS {
                self.ladder.clear_token(TokenId(t as u16));
            }
        }
        self.version.store(v, std::sync::atomic::Ordering::SeqCst);
    }

    /// The body last built or sent.
    pub fn last_body(&self) -> PostBody {
        self.last_body
    }
}

fn bump(c: &std::sync::atomic::AtomicU64) {
    c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// A refusal stamped with the time it was decided here.
fn rejected(intent: &OrderIntent) -> ExecReport {
    ExecReport {
        done_ns: crate::clock::mono_ns(),
        ..super::refused(intent)
    }
}

/// A BUY's answer as a report: shares matched are the taking amount, USDC paid the making
/// amount; the fee is taken in tokens at the fill price, as the venue does.
fn report_from(intent: &OrderIntent, http_status: u16, a: Option<OrderAnswer>) -> ExecReport {
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

#[cfg(test)]
mod tests {
    use super::*;

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
