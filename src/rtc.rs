//! The run-to-completion plan: one pinned hot thread runs every stage of the hot path in
//! turn — Binance socket, `signal`, `order`, Polymarket sockets, `signal`, `order` — so a
//! Binance frame is read, parsed, decided on and its order written in the same pass, with no
//! hop between threads and no wake-up. For small machines (2–4 cores), where four hot threads
//! would share cores and pay a futex wake-up per hop; the control side keeps the other cores.
//!
//! The stages are the very loops the four-thread plan runs on their own threads, driven here
//! one pass at a time; the rings between them stay (an SPSC push and pop on one thread cost a
//! few ns) so both plans run the same code. Each socket gives at most one frame per pass, so
//! one pass never puts more into a ring than it holds (a frame touches at most `MAX_TOKENS`
//! books, and rings hold at least 64): a push on a full ring would wait for this very thread.
//! While it runs a stage the thread carries that stage's hot-thread mark, so the allocation
//! test attributes any allocation to the stage that made it. Each whole pass is timed
//! (`hot_pass`): its maximum is the longest the thread was away from its sockets.

use std::sync::Arc;

use crate::clock::mono_ns;
use crate::exec::OrderThread;
use crate::feeds::binance::ingest::BinanceIngest;
use crate::feeds::polymarket::ingest::PolyIngest;
use crate::pipeline::cores::mark_hot_thread;
use crate::pipeline::shared::Shared;
use crate::pipeline::wait::WaitStrategy;
use crate::signal::SignalThread;
use crate::telemetry::Stage;

/// Frames taken from each socket per pass.
const FRAMES_PER_PASS: usize = 1;
/// Empty passes before a `spin-yield` thread yields its core.
const SPINS_BEFORE_YIELD: u32 = 256;

/// The four stages of the hot path, for one thread.
pub struct RunToCompletion {
    pub binance: Box<BinanceIngest>,
    pub poly: Box<PolyIngest>,
    pub signal: Box<SignalThread>,
    pub order: Box<OrderThread>,
    /// `spin` busy-polls; `spin-yield` yields after a burst of empty passes (a core shared
    /// with the control side).
    pub wait: WaitStrategy,
    pub shared: Arc<Shared>,
}

/// Which feed links are up, one bit per feed: a pass that changes it dropped or connected one.
#[inline]
fn links_up(shared: &Shared) -> u8 {
    shared.feeds.iter().enumerate().fold(0, |m, (i, h)| {
        m | (u8::from(h.connected.load(std::sync::atomic::Ordering::Relaxed)) << i)
    })
}

impl RunToCompletion {
    pub fn run(self) {
        let RunToCompletion {
            binance,
            mut poly,
            mut signal,
            mut order,
            wait,
            shared,
        } = self;
        let mut b = (*binance).start();
        let mut p = poly.start();
        let mut s = signal.start();
        let mut o = order.start();
        let mut empty = 0u32;
        // Pass start; a pass that follows another at once starts where it ended (one clock
        // read per pass).
        let mut began = mono_ns();
        let mut links = links_up(&shared);
        while shared.is_running() {
            mark_hot_thread(0);
            let mut work = b.pass(FRAMES_PER_PASS);
            if work > 0 {
                // A Binance frame came in: decide and write the order before anything else.
                mark_hot_thread(2);
                work += signal.pass(&mut s);
                mark_hot_thread(3);
                work += order.pass(&mut o);
            }
            mark_hot_thread(1);
            work += poly.pass(&mut p, FRAMES_PER_PASS);
            mark_hot_thread(2);
            work += signal.pass(&mut s);
            mark_hot_thread(3);
            work += order.pass(&mut o);
            let ended = mono_ns();
            order.stages.record_span(Stage::HotPass, began, ended);
            let now_up = links_up(&shared);
            if now_up != links {
                links = now_up;
                order.stages.record_span(Stage::ReconnectPass, began, ended);
            }
            began = ended;
            if work > 0 {
                empty = 0;
                continue;
            }
            empty = empty.saturating_add(1);
            if wait != WaitStrategy::Spin && empty > SPINS_BEFORE_YIELD {
                std::thread::yield_now();
                began = mono_ns();
            } else {
                std::hint::spin_loop();
            }
        }
        b.finish();
        let now = mono_ns();
        poly.stages.flush(now);
        signal.stages.flush(now);
        order.stages.flush(now);
    }
}
