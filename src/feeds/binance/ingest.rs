//! The `binance-ingest` thread: read the combined stream, parse, push `SpotTick`s to `signal`.
//!
//! Steady state per frame: socket reads, an in-place parse, two clock reads, one ring push.
//! No allocation, no lock, no log.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::mono_ns;
use crate::feeds::dialer::Dialer;
use crate::feeds::link::{FeedLink, LinkRules, LinkState};
use crate::feeds::waiter::SocketWaiter;
use crate::feeds::ws::{WsConfig, WsError, WsFrame, WsUrl};
use crate::pipeline::events::SpotTick;
use crate::pipeline::registry::AssetTable;
use crate::pipeline::rings::{bump, HotTx, TapTx};
use crate::pipeline::shared::{Shared, FEED_BINANCE};
use crate::record::tap::RecordTx;
use crate::record::Feed;
use crate::telemetry::{Stage, StageRecorder};

use super::parse::{BinanceFrame, BinanceParser};

/// Frames handled before housekeeping runs again, so a flood cannot starve it.
const FRAMES_PER_PASS: usize = 1024;

pub struct BinanceIngest {
    /// Makes the connection on a control-side thread; `None` connects inline (tests).
    pub dialer: Option<Dialer>,
    pub url: WsUrl,
    pub ws: WsConfig,
    pub rules: LinkRules,
    pub assets: AssetTable,
    pub to_signal: HotTx<SpotTick>,
    /// Ticks for the control side (candles, dashboard); drops when it lags.
    pub to_control: TapTx<SpotTick>,
    pub stages: StageRecorder,
    pub shared: Arc<Shared>,
    pub waiter: SocketWaiter,
    /// Index in `cores::HOT_THREADS`, for the heartbeat.
    pub thread_index: usize,
    /// Raw frames to the recorder, when recording.
    pub record: Option<RecordTx>,
}

impl BinanceIngest {
    pub fn run(self) {
        let mut l = self.start();
        while l.me.shared.is_running() {
            let handled = l.pass(FRAMES_PER_PASS);
            l.idle(handled);
        }
        l.finish();
    }

    /// The loop's state, for a driver that runs passes itself (the run-to-completion thread).
    pub fn start(self) -> BinanceLoop {
        let link = FeedLink::new(self.url.clone(), self.ws.clone(), self.rules.clone(), 0xb1);
        let mut me = self;
        let link = match me.dialer.take() {
            Some(d) => link.with_dialer(d),
            None => link,
        };
        BinanceLoop {
            me,
            link,
            parser: BinanceParser::default(),
            down_wait_ns: None,
        }
    }
}

/// `binance-ingest` between passes.
pub struct BinanceLoop {
    me: BinanceIngest,
    link: FeedLink,
    parser: BinanceParser,
    /// Set by a pass that found the link down: how long there is nothing to do.
    down_wait_ns: Option<u64>,
}

impl BinanceLoop {
    /// One pass: keep the link up, read and parse at most `max_frames` frames, push their
    /// ticks. Returns the frames handled.
    pub fn pass(&mut self, max_frames: usize) -> usize {
        self.down_wait_ns = None;
        let me = &mut self.me;
        let (link, parser) = (&mut self.link, &mut self.parser);
        let shared = me.shared.clone();
        let counters = &shared.counters.binance;
        let health = &shared.feeds[FEED_BINANCE];
        let now = mono_ns();
        let began = now;
        shared.beat(me.thread_index, now);
        match link.ensure(now, counters, health) {
            LinkState::Down => {
                me.stages.record_span(Stage::HotPass, began, mono_ns());
                // Nothing to read: wait for the backoff, or look again soon for the
                // socket the dialer is making.
                self.down_wait_ns = Some(if link.dialing() {
                    200_000
                } else {
                    link.retry_at_ns()
                        .saturating_sub(now)
                        .clamp(1_000_000, 50_000_000)
                });
                return 0;
            }
            LinkState::JustConnected => {
                if let Some(c) = link.conn() {
                    me.waiter.register(c.raw_fd(), 0);
                }
            }
            LinkState::Up => {}
        }
        let mut handled = 0;
        let mut failure: Option<WsError> = None;
        let mut shutdown = false;
        if let Some(conn) = link.conn() {
            while handled < max_frames {
                match conn.poll() {
                    Ok(Some(WsFrame {
                        text: true,
                        data: buf,
                        read_ns,
                    })) => {
                        handled += 1;
                        bump(&counters.frames);
                        if let Some(r) = me.record.as_mut() {
                            r.offer(Feed::Binance, read_ns, buf);
                        }
                        match parser.parse(buf, &me.assets) {
                            Ok(BinanceFrame::Tick(mut t)) => {
                                let parsed = mono_ns();
                                t.stamps.read_ns = read_ns;
                                t.stamps.parsed_ns = parsed;
                                me.stages.record_span(Stage::BinanceParse, read_ns, parsed);
                                me.to_control.offer(t);
                                if !me.to_signal.push(t) {
                                    break; // shutting down
                                }
                            }
                            Ok(BinanceFrame::ServerShutdown) => {
                                shutdown = true;
                                break;
                            }
                            Ok(BinanceFrame::Ignored) => bump(&counters.ignored),
                            Err(_) => bump(&counters.parse_errors),
                        }
                    }
                    Ok(Some(_binary)) => {
                        handled += 1;
                        bump(&counters.ignored);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        if matches!(e, WsError::FrameTooLarge(_)) {
                            bump(&counters.parse_errors);
                        }
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        let now = mono_ns();
        if handled > 0 {
            link.saw_frame(now);
            health
                .last_frame_ns
                .store(now, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(e) = failure {
            link.fail(now, e, health);
        } else if shutdown {
            link.reconnect_now(health);
        } else {
            link.housekeeping(now, counters, health);
        }
        me.stages.record_span(Stage::HotPass, began, now);
        me.stages.maybe_flush(now);
        handled
    }

    /// Nothing to do after a pass (own-thread driver only).
    pub fn idle(&mut self, handled: usize) {
        if let Some(wait) = self.down_wait_ns {
            std::thread::sleep(Duration::from_nanos(wait));
        } else if handled == 0 {
            self.me.waiter.idle(Duration::from_millis(20));
        } else {
            self.me.waiter.reset();
        }
    }

    pub fn finish(mut self) {
        self.me.stages.flush(mono_ns());
    }
}
