//! The hot threads allocate nothing in steady state, under both live plans: the four pinned
//! threads, and the run-to-completion thread (which marks itself with each stage's index as
//! it runs it, so an allocation is still named by its stage).
//!
//! A counting global allocator attributes every allocation to the hot thread making it (the
//! pipeline marks its threads; `hot_thread_index` is a const thread-local read, safe inside an
//! allocator). The demo runs against the simulator with short windows, so the measured span
//! includes window roll-overs, new subscriptions, book snapshots, settlements, Binance pings and
//! Polymarket keepalives, not only the tick path. Warm-up (connects, first snapshots, scratch
//! buffers growing to the largest frame) is excluded; reconnects are not steady state and do
//! not happen here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cassandra::config::Config;
use cassandra::demo::Demo;
use cassandra::pipeline::cores::{hot_thread_index, mark_hot_thread, PlanKind, HOT_THREADS};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static PER_THREAD: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static FIRST: Mutex<Option<String>> = Mutex::new(None);

thread_local! {
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

fn note(size: usize) {
    if !COUNTING.load(Ordering::Relaxed) {
        return;
    }
    let Some(i) = hot_thread_index() else { return };
    PER_THREAD[i].fetch_add(1, Ordering::Relaxed);
    // Keep a backtrace of the first one, guarding against recursion (capturing allocates).
    if IN_HOOK.with(|h| h.replace(true)) {
        return;
    }
    if let Ok(mut first) = FIRST.try_lock() {
        if first.is_none() {
            *first = Some(format!(
                "{} allocated {size} bytes:\n{}",
                HOT_THREADS[i],
                std::backtrace::Backtrace::force_capture()
            ));
        }
    }
    IN_HOOK.with(|h| h.set(false));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarding the caller's layout to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: `ptr` was allocated by `System` with `layout` (every path above forwards).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn total() -> u64 {
    PER_THREAD.iter().map(|c| c.load(Ordering::Relaxed)).sum()
}

#[test]
fn hot_threads_do_not_allocate_in_steady_state() {
    // The counter works: an allocation on a thread marked hot is seen.
    COUNTING.store(true, Ordering::SeqCst);
    std::thread::spawn(|| {
        mark_hot_thread(3);
        std::hint::black_box(vec![1u8; 64]);
    })
    .join()
    .unwrap();
    COUNTING.store(false, Ordering::SeqCst);
    assert!(
        PER_THREAD[3].load(Ordering::SeqCst) >= 1,
        "the counting allocator is blind"
    );
    PER_THREAD[3].store(0, Ordering::SeqCst);
    *FIRST.lock().unwrap() = None;

    // One plan after the other: the counters are process-wide.
    for plan in [PlanKind::RunToCompletion, PlanKind::FourThreads] {
        steady_state(plan);
    }
}

fn steady_state(plan: PlanKind) {
    for c in &PER_THREAD {
        c.store(0, Ordering::SeqCst);
    }
    *FIRST.lock().unwrap() = None;
    let mut cfg = Config {
        assets: vec!["BTC".into(), "ETH".into()],
        ..Config::default()
    };
    cfg.demo.window_s = 5;
    cfg.demo.binance_rate_hz = 400.0;
    cfg.demo.poly_update_hz = 20.0;
    cfg.demo.chainlink_hz = 2.0;
    cfg.demo.poly_lag_ms = 1500;
    cfg.api.bind = "127.0.0.1:0".into();
    cfg.pipeline.plan = plan;
    let demo = Demo::start(cfg).expect("demo starts");
    assert_eq!(demo.pipeline.plan.kind, plan, "the configured plan runs");
    let c = &demo.pipeline.shared.counters;

    // Warm-up: two window roll-overs with books and prices flowing.
    std::thread::sleep(Duration::from_secs(11));
    let before = (
        c.binance.frames.load(Ordering::Relaxed),
        c.poly.frames.load(Ordering::Relaxed),
        c.signal.signals.load(Ordering::Relaxed),
        c.signal.settlements.load(Ordering::Relaxed),
    );
    COUNTING.store(true, Ordering::SeqCst);
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    COUNTING.store(false, Ordering::SeqCst);
    let span = t.elapsed();
    let after = (
        c.binance.frames.load(Ordering::Relaxed),
        c.poly.frames.load(Ordering::Relaxed),
        c.signal.signals.load(Ordering::Relaxed),
        c.signal.settlements.load(Ordering::Relaxed),
    );
    let reconnects = c.snapshot().reconnects;
    let summary = demo.stop();

    // The span was busy: frames crossed every ingest thread and decisions were made.
    assert!(
        after.0 - before.0 > 1000,
        "binance frames {:?} → {:?}",
        before,
        after
    );
    assert!(
        after.1 - before.1 > 100,
        "poly frames {:?} → {:?}",
        before,
        after
    );
    assert!(
        after.2 - before.2 > 1000,
        "decisions {:?} → {:?}",
        before,
        after
    );
    assert!(
        after.3 > before.3,
        "no window settled in the span: {:?} → {:?}",
        before,
        after
    );
    assert_eq!(
        reconnects, 0,
        "a reconnect is not steady state: {summary:?}"
    );

    let counts: Vec<(&str, u64)> = HOT_THREADS
        .iter()
        .zip(PER_THREAD.iter())
        .map(|(n, c)| (*n, c.load(Ordering::SeqCst)))
        .collect();
    assert_eq!(
        total(),
        0,
        "{plan:?}: hot threads allocated during {span:?} of steady state: {counts:?}\nfirst: {}",
        FIRST.lock().unwrap().clone().unwrap_or_default()
    );
}
