//! The hot parsers allocate nothing once warm: Binance trade frames, Polymarket price_change
//! frames applied to books, Chainlink updates, 10,000 times each.
//!
//! A counting global allocator counts allocations made by the current thread while it is
//! armed, and keeps a backtrace of the first one so a failure says where it came from.

use std::alloc::{GlobalAlloc, Layout, System};
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::hint::black_box;

use cassandra::feeds::binance::{BinanceFrame, BinanceParser};
use cassandra::feeds::chainlink::{ChainlinkBatch, ChainlinkFrame, ChainlinkParser};
use cassandra::feeds::polymarket::{PolyBatch, PolyBooks, PolyFrame, PolyParser};
use cassandra::pipeline::control::TokenKey;
use cassandra::pipeline::registry::AssetTable;

struct CountingAlloc;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
    static FIRST: RefCell<Option<Backtrace>> = const { RefCell::new(None) };
}

/// Count an allocation of this thread if armed; capture a backtrace of the first.
fn note_alloc() {
    // Disarm while we work: capturing the backtrace allocates too.
    let armed = ARMED.try_with(|a| a.replace(false)).unwrap_or(false);
    if !armed {
        return;
    }
    let n = COUNT.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    if n == 1 {
        let bt = Backtrace::force_capture();
        FIRST.with(|f| *f.borrow_mut() = Some(bt));
    }
    ARMED.with(|a| a.set(true));
}

// SAFETY: every call is forwarded unchanged to `System`; the counting touches only
// const-initialised thread-locals and never the memory being handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Run `f` with this thread's allocations counted: (count, backtrace of the first).
fn count_allocs(f: impl FnOnce()) -> (usize, Option<Backtrace>) {
    // Touch the thread-locals before arming, so their set-up is not counted.
    FIRST.with(|b| b.borrow_mut().take());
    COUNT.with(|c| c.set(0));
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    (
        COUNT.with(|c| c.get()),
        FIRST.with(|b| b.borrow_mut().take()),
    )
}

fn assert_no_allocs(what: &str, (n, first): (usize, Option<Backtrace>)) {
    if n > 0 {
        let bt = first.map(|b| b.to_string()).unwrap_or_default();
        panic!("{what}: {n} allocation(s) in {ITERATIONS} parses after warm-up; the first was here:\n{bt}");
    }
}

const ITERATIONS: usize = 10_000;
const WARM_UP: usize = 100;

/// Copy `frame` into the front of `buf` (no allocation) and return that slice.
fn load<'b>(buf: &'b mut [u8], frame: &[u8]) -> &'b mut [u8] {
    buf[..frame.len()].copy_from_slice(frame);
    &mut buf[..frame.len()]
}

#[test]
fn the_counter_sees_allocations() {
    let (n, first) = count_allocs(|| {
        black_box(vec![1u8; 64]);
    });
    assert!(n >= 1, "the counting allocator missed a Vec allocation");
    assert!(first.is_some());
    let (n, _) = count_allocs(|| {
        black_box([1u8; 64]);
    });
    assert_eq!(n, 0);
}

fn binance_no_alloc(frame: &[u8], want_seq: u64) {
    let assets = AssetTable::from_names(&["BTC", "ETH"]).unwrap();
    let mut parser = BinanceParser::default();
    let mut buf = vec![0u8; 4096];
    let ok = |r| matches!(r, Ok(BinanceFrame::Tick(t)) if t.seq == want_seq);
    for _ in 0..WARM_UP {
        assert!(ok(parser.parse(load(&mut buf, frame), &assets)));
    }
    let mut bad = 0usize;
    let counted = count_allocs(|| {
        for _ in 0..ITERATIONS {
            let r = parser.parse(load(&mut buf, frame), &assets);
            bad += usize::from(!ok(black_box(r)));
        }
    });
    assert_eq!(bad, 0, "some parses did not give the expected tick");
    assert_no_allocs("Binance", counted);
}

#[test]
fn binance_trade_parsing_does_not_allocate() {
    binance_no_alloc(include_bytes!("data/synthetic/binance_trade.json"), 12345);
}

#[test]
fn binance_book_ticker_parsing_does_not_allocate() {
    binance_no_alloc(
        include_bytes!("data/synthetic/binance_book_ticker.json"),
        400_900_217,
    );
}

#[test]
fn polymarket_price_change_applied_to_books_does_not_allocate() {
    const UP: &str =
        "71321045679252212594626385532706912750332728571942532289631379312455583992563";
    const DOWN: &str =
        "52114319501245915516055106046884209969926127482827954674443846427813813222426";
    let mut books = PolyBooks::default();
    assert!(books.tokens.insert(3, TokenKey::new(UP).unwrap()));
    assert!(books.tokens.insert(17, TokenKey::new(DOWN).unwrap()));
    let mut parser = PolyParser::default();
    let mut batch = PolyBatch::default();
    let mut buf = vec![0u8; 8192];
    for snap in [
        &include_bytes!("data/synthetic/poly_book.json")[..],
        include_bytes!("data/synthetic/poly_book_down.json"),
    ] {
        let r = parser.parse(load(&mut buf, snap), &mut books, &mut batch);
        assert_eq!(r, Ok(PolyFrame::Events));
    }
    // Frame A inserts a new best level on each token; frame B removes them again, so every
    // iteration moves levels inside the books.
    let insert: &[u8] = include_bytes!("data/synthetic/poly_price_change.json");
    let remove_s = std::str::from_utf8(insert)
        .unwrap()
        .replace(r#""size":"200""#, r#""size":"0""#)
        .replace(r#""size":"15""#, r#""size":"0""#);
    let remove = remove_s.as_bytes();
    let both = (1u64 << 3) | (1u64 << 17);
    for _ in 0..WARM_UP {
        for f in [insert, remove] {
            let r = parser.parse(load(&mut buf, f), &mut books, &mut batch);
            assert_eq!(r, Ok(PolyFrame::Events));
            assert_eq!(batch.touched, both);
        }
    }
    let mut bad = 0usize;
    let counted = count_allocs(|| {
        for i in 0..ITERATIONS {
            let f = if i % 2 == 0 { insert } else { remove };
            let r = parser.parse(load(&mut buf, f), &mut books, &mut batch);
            bad += usize::from(black_box(r) != Ok(PolyFrame::Events) || batch.touched != both);
        }
    });
    assert_eq!(bad, 0, "some frames were not applied");
    assert_eq!(books.stale_updates, 0);
    assert_eq!(
        books.books[3].bids()[0].price_e4,
        4900,
        "the last frame removes the 0.50 bid"
    );
    assert_no_allocs("Polymarket price_change", counted);
}

#[test]
fn chainlink_snapshot_parsing_does_not_allocate() {
    let assets = AssetTable::from_names(&["BTC", "ETH"]).unwrap();
    let mut parser = ChainlinkParser::default();
    let mut batch = Box::<ChainlinkBatch>::default();
    let frame: &[u8] =
        include_bytes!("data/venue/polybolt/price_crypto_twap_snapshot_btcusd_60s.json");
    let mut buf = vec![0u8; 16 << 10];
    let ok = |r, b: &ChainlinkBatch| {
        matches!(r, Ok(ChainlinkFrame::Prices { snapshot: true, .. }))
            && b.n == 111
            && b.points[0].price_e8 == 7_878_852_564_291
    };
    for _ in 0..WARM_UP {
        let r = parser.parse(load(&mut buf, frame), &assets, &mut batch);
        assert!(ok(r, &batch));
    }
    let mut bad = 0usize;
    let counted = count_allocs(|| {
        for _ in 0..ITERATIONS {
            let r = parser.parse(load(&mut buf, frame), &assets, &mut batch);
            bad += usize::from(!ok(black_box(r), &batch));
        }
    });
    assert_eq!(bad, 0, "some parses did not give the expected point");
    assert_no_allocs("Chainlink", counted);
}
