//! One hostile frame cannot raise memory for the life of the process: a 4 MiB frame of
//! nested `[` is refused before the parser allocates for it, and the scratch a huge (legal)
//! frame grows is given back right after. Measured with an allocator that tracks live bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use cassandra::feeds::json::JsonScratch;

struct Tracking;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn note(delta: isize) {
    let now = LIVE.fetch_add(delta, Ordering::SeqCst) + delta;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(l.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        note(-(l.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        note(n as isize - l.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

const MIB: isize = 1 << 20;
/// The tests measure process-wide bytes: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

#[test]
fn hostile_and_huge_frames_leave_memory_where_it_was() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Polymarket's scratch size.
    let mut json = JsonScratch::new(256 << 10);
    let mut nested = vec![b'['; 4 << 20];
    let mut flat: Vec<u8> = Vec::with_capacity(4 << 20);
    flat.push(b'[');
    while flat.len() < (4 << 20) - 2 {
        flat.extend_from_slice(b"1,");
    }
    flat.extend_from_slice(b"1]");
    let mut ok = br#"{"event_type":"book","bids":[{"price":"0.5","size":"10"}]}"#.to_vec();

    let base = live();
    PEAK.store(base, Ordering::SeqCst);
    assert!(json.parse(&mut nested, |_| ()).is_none(), "refused");
    let peak = PEAK.load(Ordering::SeqCst) - base;
    assert!(peak < 2 * MIB, "the nested frame cost {} MiB", peak / MIB);
    assert!(live() - base < MIB);

    // A legal 4 MiB frame (2M numbers) parses; its scratch is given back afterwards.
    let n = json
        .parse(&mut flat, |v| v.as_array().map_or(0, |a| a.len()))
        .expect("valid JSON");
    assert_eq!(n, (4 << 20) / 2);
    let kept = live() - base;
    assert!(kept < 8 * MIB, "kept {} MiB after a huge frame", kept / MIB);

    // And the scratch still works, allocation-free for ordinary frames once warm.
    assert!(json.parse(&mut ok, |_| ()).is_some());
    let mut ok2 = ok.clone();
    let base2 = live();
    assert!(json.parse(&mut ok2, |_| ()).is_some());
    assert_eq!(live(), base2, "an ordinary frame must not grow the scratch");
}

#[test]
fn deep_but_legal_nesting_and_brackets_in_strings_still_parse() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut json = JsonScratch::new(16 << 10);
    // 40 deep, padded past the depth-check threshold with a long string full of brackets.
    let pad = "[{".repeat(40_000);
    let mut frame = format!("{}\"{pad}\"{}", "[".repeat(40), "]".repeat(40)).into_bytes();
    assert!(frame.len() > 64 << 10);
    assert!(json.parse(&mut frame, |_| ()).is_some());
    let mut deep = format!("{}{}", "[".repeat(65), "]".repeat(65)).into_bytes();
    deep.extend(std::iter::repeat_n(b' ', 70 << 10));
    assert!(
        json.parse(&mut deep, |_| ()).is_none(),
        "65 deep is refused"
    );
}
