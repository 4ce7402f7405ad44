//! The `poly-ingest` thread: the Polymarket market channel (L2 books per token) and the
//! Chainlink price socket, both read on this thread and pushed to `signal` as `PolyEvent`s.
//!
//! Subscriptions change only when the control side says so (window set-up) on the control
//! ring; after a reconnect every followed token is subscribed again. Steady state per frame:
//! socket reads, an in-place parse, book updates in preallocated vectors, ring pushes.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::mono_ns;
use crate::feeds::chainlink::{self, ChainlinkBatch, ChainlinkFrame, ChainlinkParser};
use crate::feeds::dialer::Dialer;
use crate::feeds::link::{FeedLink, LinkRules, LinkState};
use crate::feeds::waiter::SocketWaiter;
use crate::feeds::ws::{WsConfig, WsError, WsUrl};
use crate::pipeline::control::{PolyControl, TokenKey};
use crate::pipeline::events::{BookTop, PolyEvent, WireStamps};
use crate::pipeline::lossless::LosslessRx;
use crate::pipeline::registry::{AssetTable, MAX_TOKENS};
use crate::pipeline::rings::{bump, HotTx, TapTx};
use crate::pipeline::shared::{Shared, FEED_CHAINLINK, FEED_POLY};
use crate::record::tap::RecordTx;
use crate::record::Feed;
use crate::telemetry::{Stage, StageRecorder};

use super::parse::{PolyBatch, PolyBooks, PolyFrame, PolyParser};

const FRAMES_PER_PASS: usize = 256;

/// Credentials for the PolyBolt price socket (the CLOB API credentials).
#[derive(Clone, Default)]
pub struct PriceSocketAuth {
    pub api_key: String,
    pub secret: String,
    pub passphrase: String,
}

impl std::fmt::Debug for PriceSocketAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PriceSocketAuth(<redacted>)")
    }
}

pub struct PolyIngest {
    /// Make the market and Chainlink connections on control-side threads (`None`: inline).
    pub dialers: (Option<Dialer>, Option<Dialer>),
    pub market_url: WsUrl,
    pub market_rules: LinkRules,
    /// `None` runs without Chainlink (strikes then fall back to Binance, flagged).
    pub chainlink: Option<(WsUrl, LinkRules, PriceSocketAuth)>,
    pub ws: WsConfig,
    pub assets: AssetTable,
    pub control: LosslessRx<PolyControl>,
    pub to_signal: HotTx<PolyEvent>,
    /// Book tops and oracle prices for the dashboard; drops when the control side lags.
    pub to_control: TapTx<PolyEvent>,
    pub stages: StageRecorder,
    pub shared: Arc<Shared>,
    pub waiter: SocketWaiter,
    pub thread_index: usize,
    /// Raw frames (market channel and Chainlink) to the recorder, when recording.
    pub record: Option<RecordTx>,
}

/// `poly-ingest`'s state between passes.
pub struct PolyLoop {
    market: FeedLink,
    oracle: Option<FeedLink>,
    books: PolyBooks,
    parser: PolyParser,
    batch: PolyBatch,
    cl_parser: ChainlinkParser,
    cl_batch: Box<ChainlinkBatch>,
    msg: Vec<u8>,
    top: BookTop,
}

const MARKET_TOKEN: usize = 0;
const CHAINLINK_TOKEN: usize = 1;

impl PolyIngest {
    /// The loop's state, for a driver that runs passes itself (the run-to-completion thread).
    pub fn start(&mut self) -> PolyLoop {
        let market = FeedLink::new(
            self.market_url.clone(),
            self.ws.clone(),
            self.market_rules.clone(),
            0x9a,
        );
        let market = match self.dialers.0.take() {
            Some(d) => market.with_dialer(d),
            None => market,
        };
        let oracle_dialer = self.dialers.1.take();
        let oracle = self.chainlink.as_ref().map(|(url, rules, _)| {
            let link = FeedLink::new(url.clone(), self.ws.clone(), rules.clone(), 0xc1);
            match oracle_dialer {
                Some(d) => link.with_dialer(d),
                None => link,
            }
        });
        let books = PolyBooks::default();
        let parser = PolyParser::default();
        let batch = PolyBatch::default();
        let cl_parser = ChainlinkParser::default();
        let cl_batch = Box::<ChainlinkBatch>::default();
        let msg: Vec<u8> = Vec::with_capacity(64 << 10);
        let top = BookTop::default();

        PolyLoop {
            market,
            oracle,
            books,
            parser,
            batch,
            cl_parser,
            cl_batch,
            msg,
            top,
        }
    }

    pub fn run(mut self) {
        let mut st = self.start();
        while self.shared.is_running() {
            let handled = self.pass(&mut st, FRAMES_PER_PASS);
            self.idle(&st, handled);
        }
        self.stages.flush(mono_ns());
    }

    /// Nothing to do after a pass (own-thread driver only).
    pub fn idle(&mut self, st: &PolyLoop, handled: usize) {
        if handled == 0 {
            let wait = if st.market.is_up() { 20 } else { 5 };
            self.waiter.idle(Duration::from_millis(wait));
        } else {
            self.waiter.reset();
        }
    }

    /// One pass: control messages, then at most `max_frames` frames from each socket (the
    /// market channel, the Chainlink price socket), their events pushed to `signal`.
    /// Returns the work done.
    pub fn pass(&mut self, st: &mut PolyLoop, max_frames: usize) -> usize {
        let shared = self.shared.clone();
        let c = &shared.counters;
        let (mh, ch) = (&shared.feeds[FEED_POLY], &shared.feeds[FEED_CHAINLINK]);
        let PolyLoop {
            market,
            oracle,
            books,
            parser,
            batch,
            cl_parser,
            cl_batch,
            msg,
            top,
        } = st;
        let now = mono_ns();
        let began = now;
        shared.beat(self.thread_index, now);
        let mut handled = 0usize;

        while let Some(ctl) = self.control.pop() {
            handled += 1;
            self.apply_control(ctl, books, market, msg, now);
        }

        match market.ensure(now, &c.poly, mh) {
            LinkState::JustConnected => {
                if let Some(conn) = market.conn() {
                    self.waiter.register(conn.raw_fd(), MARKET_TOKEN);
                }
                // A fresh connection starts from fresh snapshots.
                for (id, _) in books.tokens.iter() {
                    books.books[*id as usize].reset();
                }
                if !books.tokens.is_empty() {
                    subscribe_all(books, msg);
                    if let Err(e) = market.conn().map_or(Ok(()), |c| c.send_text(msg)) {
                        market.fail(now, e, mh);
                    }
                }
            }
            LinkState::Up | LinkState::Down => {}
        }

        // Market channel.
        let mut failure: Option<WsError> = None;
        let mut market_frames = 0;
        if let Some(conn) = market.conn() {
            while market_frames < max_frames {
                match conn.poll() {
                    Ok(Some(f)) => {
                        market_frames += 1;
                        bump(&c.poly.frames);
                        if !f.text {
                            bump(&c.poly.ignored);
                            continue;
                        }
                        let read_ns = f.read_ns;
                        if let Some(r) = self.record.as_mut() {
                            r.offer(Feed::Polymarket, read_ns, f.data);
                        }
                        match parser.parse(f.data, books, batch) {
                            Ok(PolyFrame::Pong) => bump(&c.poly.pongs),
                            Ok(PolyFrame::Events) => {
                                let parsed = mono_ns();
                                let stamps = WireStamps {
                                    read_ns,
                                    parsed_ns: parsed,
                                };
                                self.stages.record_span(Stage::PolyParse, read_ns, parsed);
                                if batch.ignored + batch.unknown + batch.unsized_changes > 0 {
                                    bump(&c.poly.ignored);
                                }
                                for tok in batch.touched_tokens() {
                                    books.books[tok.0 as usize].top(tok, top);
                                    top.stamps = stamps;
                                    let ev = PolyEvent::Book(*top);
                                    self.to_control.offer(ev);
                                    self.to_signal.push(ev);
                                }
                                for t in &mut batch.trades[..batch.n_trades] {
                                    t.stamps = stamps;
                                    let ev = PolyEvent::Trade(*t);
                                    self.to_control.offer(ev);
                                    self.to_signal.push(ev);
                                }
                            }
                            Err(_) => bump(&c.poly.parse_errors),
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        if matches!(e, WsError::FrameTooLarge(_)) {
                            bump(&c.poly.parse_errors);
                        }
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        let now = mono_ns();
        if market_frames > 0 {
            market.saw_frame(now);
            mh.last_frame_ns.store(now, Ordering::Relaxed);
        }
        match failure.take() {
            Some(e) => market.fail(now, e, mh),
            None => market.housekeeping(now, &c.poly, mh),
        }
        handled += market_frames;
        let mut ended = now;

        // Chainlink price socket.
        if let (Some(link), Some((_, _, auth))) = (oracle.as_mut(), self.chainlink.as_ref()) {
            if link.ensure(now, &c.chainlink, ch) == LinkState::JustConnected {
                chainlink::auth_message(msg, &auth.api_key, &auth.secret, &auth.passphrase);
                if let Some(conn) = link.conn() {
                    self.waiter.register(conn.raw_fd(), CHAINLINK_TOKEN);
                    if let Err(e) = conn.send_text(msg) {
                        link.fail(now, e, ch);
                    }
                }
            }
            let mut frames = 0;
            let mut subscribe = false;
            let mut refused: Option<chainlink::RefusalCode> = None;
            if let Some(conn) = link.conn() {
                while frames < max_frames {
                    match conn.poll() {
                        Ok(Some(f)) => {
                            frames += 1;
                            bump(&c.chainlink.frames);
                            let read_ns = f.read_ns;
                            if let Some(r) = self.record.as_mut() {
                                r.offer(Feed::Chainlink, read_ns, f.data);
                            }
                            match cl_parser.parse(f.data, &self.assets, cl_batch) {
                                Ok(ChainlinkFrame::Prices { .. }) => {
                                    let parsed = mono_ns();
                                    self.stages
                                        .record_span(Stage::ChainlinkParse, read_ns, parsed);
                                    for p in &mut cl_batch.points[..cl_batch.n] {
                                        p.stamps = WireStamps {
                                            read_ns,
                                            parsed_ns: parsed,
                                        };
                                        let ev = PolyEvent::Oracle(*p);
                                        self.to_control.offer(ev);
                                        self.to_signal.push(ev);
                                    }
                                }
                                Ok(ChainlinkFrame::Authed) => subscribe = true,
                                Ok(ChainlinkFrame::AuthFailed(code))
                                | Ok(ChainlinkFrame::Refused(code)) => {
                                    // A refusal leaves the feed silent: fail the link with
                                    // the venue's word so the operator sees it (link health,
                                    // reconnect counter, log on the control side).
                                    bump(&c.chainlink.parse_errors);
                                    refused = Some(code);
                                    break;
                                }
                                Ok(ChainlinkFrame::Ignored) => bump(&c.chainlink.ignored),
                                Err(_) => bump(&c.chainlink.parse_errors),
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
            }
            let now = mono_ns();
            ended = now;
            if frames > 0 {
                link.saw_frame(now);
                ch.last_frame_ns.store(now, Ordering::Relaxed);
            }
            if subscribe {
                // The 60-second Chainlink TWAP is the only Chainlink series PolyBolt carries
                // (`price.crypto` is Pyth): it is the strike and settlement series.
                chainlink::subscribe_message(msg, &self.assets, chainlink::PriceChannel::Twap60);
                if let Err(e) = link.conn().map_or(Ok(()), |c| c.send_text(msg)) {
                    failure = Some(e);
                }
            }
            if let Some(code) = refused {
                failure = Some(WsError::Handshake(if code.is_auth() {
                    format!("price socket refused the credentials ({})", code.as_str())
                } else {
                    format!("price socket refused the subscription ({})", code.as_str())
                }));
            }
            match failure.take() {
                Some(e) => link.fail(now, e, ch),
                None => link.housekeeping(now, &c.chainlink, ch),
            }
            handled += frames;
        }

        self.stages.record_span(Stage::HotPass, began, ended);
        self.stages.maybe_flush(now);
        handled
    }

    fn apply_control(
        &mut self,
        ctl: PolyControl,
        books: &mut PolyBooks,
        market: &mut FeedLink,
        msg: &mut Vec<u8>,
        now: u64,
    ) {
        let h = &self.shared.feeds[FEED_POLY];
        match ctl {
            PolyControl::Subscribe { token, key } => {
                if token.0 as usize >= MAX_TOKENS {
                    bump(&self.shared.counters.poly.ignored);
                    return;
                }
                books.books[token.0 as usize].reset();
                if !books.tokens.insert(token.0, key) {
                    bump(&self.shared.counters.poly.ignored);
                    return;
                }
                if let Some(conn) = market.conn() {
                    operation(msg, "subscribe", &key);
                    if let Err(e) = conn.send_text(msg) {
                        market.fail(now, e, h);
                    }
                }
            }
            PolyControl::Unsubscribe { token } if token.0 as usize >= MAX_TOKENS => {}
            PolyControl::Unsubscribe { token } => {
                let key = books
                    .tokens
                    .iter()
                    .find(|(id, _)| *id == token.0)
                    .map(|(_, k)| *k);
                books.tokens.remove(token.0);
                books.books[token.0 as usize].reset();
                if let (Some(key), Some(conn)) = (key, market.conn()) {
                    operation(msg, "unsubscribe", &key);
                    if let Err(e) = conn.send_text(msg) {
                        market.fail(now, e, h);
                    }
                }
            }
        }
    }
}

/// The initial subscription for every followed token.
fn subscribe_all(books: &PolyBooks, msg: &mut Vec<u8>) {
    msg.clear();
    msg.extend_from_slice(
        br#"{"type":"market","operation":"subscribe","markets":[],"assets_ids":["#,
    );
    for (i, (_, key)) in books.tokens.iter().enumerate() {
        if i > 0 {
            msg.push(b',');
        }
        msg.push(b'"');
        msg.extend_from_slice(key.as_bytes());
        msg.push(b'"');
    }
    msg.extend_from_slice(br#"],"initial_dump":true}"#);
}

/// A later subscribe or unsubscribe for one token.
fn operation(msg: &mut Vec<u8>, op: &str, key: &TokenKey) {
    msg.clear();
    let _ = write!(msg, r#"{{"operation":"{op}","assets_ids":[""#);
    msg.extend_from_slice(key.as_bytes());
    msg.extend_from_slice(br#""],"initial_dump":true}"#);
}
