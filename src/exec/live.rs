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
use crate::pipeline::events::{ExecReport, ExecStatus, OrderIntent, TokenId, TriggerTag};
use crate::pipeline::lossless::LosslessRx;
use crate::pipeline::registry::MAX_TOKENS;
use crate::pipeline::rings::{TapRx, TapTx};

use super::ladder::OrderLadder;
use super::live_report::{in_doubt, rejected, report_from, throttled};
use super::notes::{LiveNote, NOTES_PER_ORDER};
use super::orders::{build_buy, Account, PostBody, SaltSource, TokenOrderInfo};
use super::request::{BenchTags, OrderRequest};

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
    /// Not sent: the venue asked us (HTTP 429 `Retry-After`) to wait.
    pub refused_throttled: std::sync::atomic::AtomicU64,
    /// Answers that were HTTP 429 (not venue errors: they never trip the breaker).
    pub throttled: std::sync::atomic::AtomicU64,
    /// Orders whose answer was lost with the connection (unknown until the tracker resolves
    /// them by order id).
    pub in_doubt: std::sync::atomic::AtomicU64,
}

/// What a request in flight was, so its answer can be matched.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Empty,
    Order {
        intent: OrderIntent,
        retried: bool,
        order_hash: [u8; 32],
    },
    CancelAll,
    Version {
        intent: OrderIntent,
    },
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
    /// When the last order's bytes were ready, just before its `write` (`clock::mono_ns`).
    ready_ns: u64,
    /// The constant part of every `POST /order` head.
    request: OrderRequest,
    /// Tag each order with the venue sequence of its trigger frame ([`TRIGGER_HEADER`]), so a
    /// simulated venue can measure wire-to-wire tick-to-trade. Off against real venues.
    pub tag_trigger: bool,
    /// The venue order type of orders signed on the spot (`[live] order_type`), the same as
    /// the ladder's, so a presigned and an on-the-spot order for one intent are alike.
    pub order_type: crate::pipeline::events::OrderType,
    /// The lossless hand-off of every order's identity and outcome to the order tracker
    /// (`exec::notes`). `None` runs without a tracker (tests, benches).
    pub notes: Option<TapTx<LiveNote>>,
    /// No order is sent before this wall time (the venue's `Retry-After`).
    throttled_until_ms: u64,
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
    /// The venue asked us to wait (`Retry-After`); nothing was sent.
    Throttled,
    /// The write failed part-way: the venue may have the order (reported in doubt, its
    /// exposure held, until the tracker resolves it by id).
    InDoubt,
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
        let request = OrderRequest::new(
            &target.host,
            signer.address().as_str(),
            creds.api_key(),
            creds.passphrase(),
        );
        Ok(LiveExec {
            request,
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
            ready_ns: 0,
            tag_trigger: false,
            order_type: crate::pipeline::events::OrderType::Fak,
            notes: None,
            throttled_until_ms: 0,
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
    fn body_for(
        &mut self,
        intent: &OrderIntent,
        now_ms: u64,
    ) -> Result<(PostBody, bool), SendError> {
        if let Some(b) = self
            .ladder
            .take(intent.token, intent.limit_price_e4, intent.size_e6)
        {
            self.used.offer((b.token, b.price_e4, b.size_e6));
            bump(&self.counters.presigned);
            return Ok((b, true));
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
        Ok((b, false))
    }

    /// Build the body without sending (shadow mode); the body is kept in `last_body`.
    pub fn build_only(
        &mut self,
        intent: &OrderIntent,
        now_ms: u64,
    ) -> Result<&PostBody, SendError> {
        let (b, _) = self.body_for(intent, now_ms)?;
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
                SendError::Throttled => &c.refused_throttled,
                SendError::InDoubt => &c.in_doubt,
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
        if self.len == MAX_IN_FLIGHT
            || self
                .notes
                .as_ref()
                .is_some_and(|n| n.free() < NOTES_PER_ORDER)
        {
            return Err(SendError::Busy);
        }
        if now_ms < self.throttled_until_ms {
            return Err(SendError::Throttled);
        }
        if !self.ensure_connected(now_ns) {
            return Err(SendError::NoConnection);
        }
        let (body, presigned) = self.body_for(intent, now_ms)?;
        self.last_body = body;
        let ts_s = now_ms / 1000;
        let mut sig = [0u8; HMAC_SIGNATURE_LEN];
        let sig = self
            .l2
            .sign_into(ts_s, "POST", "/order", Some(body.bytes()), &mut sig);
        let tags =
            (self.tag_trigger && intent.trigger_tag != TriggerTag::None).then(|| BenchTags {
                trigger: intent.trigger_tag,
                read_ns: intent.trigger.read_ns,
                write_ns: crate::clock::mono_ns(),
            });
        let conn = self.conn.as_mut().expect("connected above");
        let Some(n) = self
            .request
            .write(conn.request_buf(), sig, ts_s, tags, body.bytes())
        else {
            return Err(SendError::Busy);
        };
        // The order's identity goes to the control side before its bytes leave (room was
        // checked above: this push cannot fail).
        if let Some(notes) = self.notes.as_mut() {
            notes.offer(LiveNote::Sent {
                intent_id: intent.intent_id,
                token: intent.token,
                order_hash: body.order_hash,
                salt: body.salt,
                price_e4: body.price_e4,
                size_e6: body.size_e6,
                presigned,
                wall_ms: now_ms,
            });
        }
        self.ready_ns = crate::clock::mono_ns();
        if let Err(e) = conn.commit(n) {
            // Some bytes may have left: the order is in doubt, not refused.
            self.fail(now_ns, e);
            if let Some(notes) = self.notes.as_mut() {
                notes.offer(LiveNote::Unknown {
                    intent_id: intent.intent_id,
                    order_hash: body.order_hash,
                    wall_ms: now_ms,
                });
            }
            return Err(SendError::InDoubt);
        }
        self.push_pending(Pending::Order {
            intent: *intent,
            retried,
            order_hash: body.order_hash,
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
        // The dead connection (socket and buffers) is released on the dialer's thread.
        if let (Some(c), Some(d)) = (self.conn.take(), self.dialer.as_mut()) {
            d.retire(c);
        }
        bump(&self.counters.reconnects);
        self.retry_at_ns = now_ns + self.backoff.next_delay_ms() * 1_000_000;
    }

    /// Responses that arrived; each intent's report goes to `out`. A lost connection puts
    /// every order in flight in doubt: reported `Delayed` with nothing filled (its exposure
    /// stays held), and an `Unknown` note tells the tracker to resolve it by order id. A 429
    /// is not a venue error: the order was not placed (`Unmatched`), and no order is sent
    /// until its `Retry-After` has passed.
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
                            Pending::Order {
                                intent, order_hash, ..
                            } => {
                                if let Some(notes) = self.notes.as_mut() {
                                    notes.offer(LiveNote::Unknown {
                                        intent_id: intent.intent_id,
                                        order_hash,
                                        wall_ms: crate::clock::wall_ms(),
                                    });
                                }
                                bump(&self.counters.in_doubt);
                                out(in_doubt(&intent))
                            }
                            // The order itself was answered (a version mismatch) before.
                            Pending::Version { intent } => out(rejected(&intent)),
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
            let retry_after_s = resp.retry_after_s;
            let parsed = parse_order_response(&mut self.json, resp.body);
            if self.len == 0 {
                continue; // an answer nobody asked for: ignore
            }
            let entry = std::mem::replace(&mut self.pending[self.head], Pending::Empty);
            self.head = (self.head + 1) % MAX_IN_FLIGHT;
            self.len -= 1;
            n += 1;
            let (intent, retried, order_hash) = match entry {
                Pending::Order {
                    intent,
                    retried,
                    order_hash,
                } => (intent, retried, order_hash),
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
                Pending::CancelAll | Pending::Empty => {
                    if status == 429 {
                        self.throttle(retry_after_s);
                    }
                    continue;
                }
            };
            let wall_ms = crate::clock::wall_ms();
            if let Some(notes) = self.notes.as_mut() {
                notes.offer(LiveNote::Answered {
                    intent_id: intent.intent_id,
                    order_hash,
                    http_status: status,
                    answer: parsed,
                    wall_ms,
                });
            }
            if status == 429 {
                bump(&self.counters.throttled);
                self.throttle(retry_after_s);
                out(throttled(&intent));
                continue;
            }
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

    /// Hold orders back for the venue's `Retry-After` (at least a second when it gave none).
    fn throttle(&mut self, retry_after_s: u32) {
        let until = crate::clock::wall_ms() + u64::from(retry_after_s.max(1)) * 1000;
        self.throttled_until_ms = self.throttled_until_ms.max(until);
        if let Some(notes) = self.notes.as_mut() {
            notes.offer(LiveNote::Throttled {
                until_wall_ms: self.throttled_until_ms,
            });
        }
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

    /// When the last order sent had its bytes ready, just before its `write` call.
    pub fn ready_ns(&self) -> u64 {
        self.ready_ns
    }
}

fn bump(c: &std::sync::atomic::AtomicU64) {
    c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}
