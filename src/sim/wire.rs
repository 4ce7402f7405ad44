//! Wire-to-wire tick-to-trade, measured by the venue itself.
//!
//! The Binance feed stamps every trade frame it sends: its trade id (`"t"`, the sequence) and
//! `clock::mono_ns` just before the frame is written. A client that tags an order with the
//! sequence of the frame that triggered it (header [`TRIGGER_HEADER`]) lets the simulated CLOB
//! measure, on arrival of `POST /order`, the whole loop a trading system exists to shorten:
//! frame on the wire → client reads, parses, decides, builds, signs or picks, writes → order on
//! the venue's side of the wire. Both stamps are taken by this process, so no clock is shared
//! or compared across processes. Only orders the venue accepted become samples (they passed
//! authentication, the signature and every order check, and reached matching: matched, rested,
//! delayed, or a FAK/FOK killed for want of liquidity); refused ones are counted apart, so a
//! fast path that sends garbage measures nothing.
//!
//! Send stamps live in a fixed table indexed by sequence (the newest [`SLOTS`] frames); an
//! order whose trigger has left the table, or carries no tag, is counted, never guessed.
//! Samples are read (and cleared) through `GET /bench/tick-to-trade`.
//!
//! Orders triggered by a Polymarket book update are measured the same way from the market
//! channel. That channel has no sequence number, so an update is named by its `timestamp` and
//! the first 64 bits of its book `hash` (`pipeline::events::book_frame_tag`; header
//! [`BOOK_TRIGGER_HEADER`]). The market channel stamps every update it writes; a name written
//! twice (a second subscriber, or the same book again within the millisecond) is ambiguous and
//! counted, never a sample.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Request header carrying the Binance trade id of the frame that triggered an order.
pub const TRIGGER_HEADER: &str = "x-trigger-seq";

/// Request header with two `clock::mono_ns` stamps of the client's, space-separated: when it
/// read the trigger frame, and when it began writing the order. Valid only when client and
/// simulator share a machine (CLOCK_MONOTONIC is system-wide); they split a sample into legs.
pub const LEGS_HEADER: &str = "x-trigger-legs";

/// Request header carrying the name of the book update that triggered an order
/// (`pipeline::events::book_frame_tag`, decimal).
pub const BOOK_TRIGGER_HEADER: &str = "x-trigger-book";

/// The frame an order names as its trigger, as its headers carry it (raw values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// [`TRIGGER_HEADER`]: a Binance trade id.
    Binance(&'a str),
    /// [`BOOK_TRIGGER_HEADER`]: a book update's name.
    Book(&'a str),
}

impl<'a> Trigger<'a> {
    /// The trigger named in `headers`, if any (a Binance tag wins if both are present).
    pub fn of(headers: &'a axum::http::HeaderMap) -> Option<Trigger<'a>> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        get(TRIGGER_HEADER)
            .map(Trigger::Binance)
            .or_else(|| get(BOOK_TRIGGER_HEADER).map(Trigger::Book))
    }
}

/// Book-update names kept (indexed by their low bits; an update is a few per second per token).
pub const BOOK_SLOTS: usize = 1 << 16;

/// Send stamps kept: ~3.5 s of history at 600k frames/s.
pub const SLOTS: usize = 1 << 21;
const MASK: u64 = SLOTS as u64 - 1;

/// What `GET /bench/tick-to-trade` answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickToTradeReport {
    /// One sample per tagged order matched to its frame: venue arrival − frame send, in ns.
    pub samples_ns: Vec<u64>,
    /// Orders whose trigger frame was no longer in the table (or never sent by this feed).
    pub unmatched: u64,
    /// Orders without a trigger tag.
    pub untagged: u64,
    /// Per sample that carried [`LEGS_HEADER`], in ns: frame sent → read by the client
    /// (feed), read → order write begun (pipeline), write begun → arrival (order).
    #[serde(default)]
    pub legs_ns: Vec<[u64; 3]>,
    /// Tagged orders the venue refused (authentication, signature, amounts, funds…): not
    /// samples.
    #[serde(default)]
    pub refused: u64,
    /// Orders triggered by a book update, measured from the market channel's write of it:
    /// samples and legs as above.
    #[serde(default)]
    pub book_samples_ns: Vec<u64>,
    #[serde(default)]
    pub book_legs_ns: Vec<[u64; 3]>,
    /// Book-tagged orders whose update was not (or no longer) in the table.
    #[serde(default)]
    pub book_unmatched: u64,
    /// Book-tagged orders whose update name was written more than once.
    #[serde(default)]
    pub book_ambiguous: u64,
    /// Binance data frames sent since the simulator started.
    pub frames_sent: u64,
}

/// The send-stamp table and the samples collected so far.
pub struct TickToTrade {
    /// Sequence + 1 held by each slot (0: none yet, so a fresh table is zero pages).
    seqs: Box<[AtomicU64]>,
    /// Send time of that sequence, `clock::mono_ns`.
    sent_ns: Box<[AtomicU64]>,
    samples: Mutex<Vec<u64>>,
    legs: Mutex<Vec<[u64; 3]>>,
    books: Mutex<BookStamps>,
    book_samples: Mutex<Vec<u64>>,
    book_legs: Mutex<Vec<[u64; 3]>>,
    unmatched: AtomicU64,
    untagged: AtomicU64,
    refused: AtomicU64,
}

/// A table of zeroed atomics straight from the allocator's zeroed pages: a simulator that
/// never sends a frame never touches its 32 MB.
fn zeroed(n: usize) -> Box<[AtomicU64]> {
    const _: () = assert!(std::mem::align_of::<u64>() == std::mem::align_of::<AtomicU64>());
    let v: Box<[u64]> = vec![0u64; n].into_boxed_slice();
    // SAFETY: AtomicU64 has the size and bit validity of u64, and (asserted above) its
    // alignment here; the box is reinterpreted element for element, length unchanged.
    unsafe { Box::from_raw(Box::into_raw(v) as *mut [AtomicU64]) }
}

impl Default for TickToTrade {
    fn default() -> Self {
        TickToTrade {
            seqs: zeroed(SLOTS),
            sent_ns: zeroed(SLOTS),
            samples: Mutex::new(Vec::new()),
            legs: Mutex::new(Vec::new()),
            books: Mutex::new(BookStamps::default()),
            book_samples: Mutex::new(Vec::new()),
            book_legs: Mutex::new(Vec::new()),
            unmatched: AtomicU64::new(0),
            untagged: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }
}

impl TickToTrade {
    /// Frame `seq` is about to be written at `now_ns`.
    #[inline]
    pub fn sent(&self, seq: u64, now_ns: u64) {
        let i = (seq & MASK) as usize;
        // Invalidate, write the stamp, then publish the sequence: a reader that sees `seq`
        // after the stamp sees the stamp that belongs to it.
        self.seqs[i].store(0, Ordering::Release);
        self.sent_ns[i].store(now_ns, Ordering::Release);
        self.seqs[i].store(seq.wrapping_add(1), Ordering::Release);
    }

    /// Send stamp of frame `seq`, if it is still in the table.
    pub fn sent_at(&self, seq: u64) -> Option<u64> {
        let i = (seq & MASK) as usize;
        let tag = seq.wrapping_add(1);
        if self.seqs[i].load(Ordering::Acquire) != tag {
            return None;
        }
        let t = self.sent_ns[i].load(Ordering::Acquire);
        (self.seqs[i].load(Ordering::Acquire) == tag).then_some(t)
    }

    /// Book update `tag` is about to be written at `now_ns` (market channel).
    pub fn book_sent(&self, tag: u64, now_ns: u64) {
        if let Ok(mut b) = self.books.lock() {
            b.sent(tag, now_ns);
        }
    }

    /// An order that arrived at `arrived_ns`, naming `trigger` (if it named one), was
    /// answered: `accepted` if it passed every check (see the module doc).
    pub fn order_answered(&self, trigger: Option<Trigger<'_>>, arrived_ns: u64, accepted: bool) {
        self.order_answered_with_legs(trigger, None, arrived_ns, accepted);
    }

    /// [`Self::order_answered`] with the client's [`LEGS_HEADER`] value, if it sent one.
    pub fn order_answered_with_legs(
        &self,
        trigger: Option<Trigger<'_>>,
        legs: Option<&str>,
        arrived_ns: u64,
        accepted: bool,
    ) {
        let number = |v: &str| v.trim().parse::<u64>().ok();
        let (sent, samples, legs_out) = match trigger {
            None => {
                self.untagged.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Some(Trigger::Binance(v)) => match number(v).and_then(|s| self.sent_at(s)) {
                Some(sent) => (sent, &self.samples, &self.legs),
                None => {
                    self.unmatched.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            },
            Some(Trigger::Book(v)) => {
                let Ok(mut b) = self.books.lock() else {
                    return;
                };
                match number(v).map_or(BookLookup::Missing, |tag| b.sent_at(tag)) {
                    BookLookup::Sent(sent) => (sent, &self.book_samples, &self.book_legs),
                    BookLookup::Ambiguous => {
                        b.ambiguous += 1;
                        return;
                    }
                    BookLookup::Missing => {
                        b.unmatched += 1;
                        return;
                    }
                }
            }
        };
        if !accepted {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if let Ok(mut v) = samples.lock() {
            v.push(arrived_ns.saturating_sub(sent));
        }
        if let Some([read, write]) = legs.and_then(parse_legs) {
            if sent <= read && read <= write && write <= arrived_ns {
                if let Ok(mut v) = legs_out.lock() {
                    v.push([read - sent, write - read, arrived_ns - write]);
                }
            }
        }
    }

    /// Everything measured since the last take, and reset.
    pub fn take(&self, frames_sent: u64) -> TickToTradeReport {
        let drain = |m: &Mutex<Vec<u64>>| {
            m.lock()
                .map(|mut v| std::mem::take(&mut *v))
                .unwrap_or_default()
        };
        let drain_legs = |m: &Mutex<Vec<[u64; 3]>>| {
            m.lock()
                .map(|mut v| std::mem::take(&mut *v))
                .unwrap_or_default()
        };
        let (book_unmatched, book_ambiguous) = self
            .books
            .lock()
            .map(|mut b| {
                (
                    std::mem::take(&mut b.unmatched),
                    std::mem::take(&mut b.ambiguous),
                )
            })
            .unwrap_or_default();
        TickToTradeReport {
            samples_ns: drain(&self.samples),
            unmatched: self.unmatched.swap(0, Ordering::Relaxed),
            untagged: self.untagged.swap(0, Ordering::Relaxed),
            refused: self.refused.swap(0, Ordering::Relaxed),
            legs_ns: drain_legs(&self.legs),
            book_samples_ns: drain(&self.book_samples),
            book_legs_ns: drain_legs(&self.book_legs),
            book_unmatched,
            book_ambiguous,
            frames_sent,
        }
    }
}

/// Send stamps of book updates by name, in a table indexed by the name's low bits.
struct BookStamps {
    /// Per slot: the name, when it was first written, and whether it was written again.
    slots: Box<[(u64, u64, bool)]>,
    unmatched: u64,
    ambiguous: u64,
}

/// What the table knows of a book update's name.
#[derive(Debug, PartialEq, Eq)]
enum BookLookup {
    Sent(u64),
    Ambiguous,
    Missing,
}

impl Default for BookStamps {
    fn default() -> Self {
        BookStamps {
            slots: vec![(0, 0, false); BOOK_SLOTS].into_boxed_slice(),
            unmatched: 0,
            ambiguous: 0,
        }
    }
}

impl BookStamps {
    fn sent(&mut self, tag: u64, now_ns: u64) {
        let slot = &mut self.slots[(tag as usize) & (BOOK_SLOTS - 1)];
        if slot.1 != 0 && slot.0 == tag {
            slot.2 = true;
        } else {
            *slot = (tag, now_ns, false);
        }
    }

    fn sent_at(&self, tag: u64) -> BookLookup {
        match self.slots[(tag as usize) & (BOOK_SLOTS - 1)] {
            (t, sent, false) if t == tag && sent != 0 => BookLookup::Sent(sent),
            (t, sent, true) if t == tag && sent != 0 => BookLookup::Ambiguous,
            _ => BookLookup::Missing,
        }
    }
}

/// `"<read_ns> <write_ns>"`.
fn parse_legs(v: &str) -> Option<[u64; 2]> {
    let mut it = v.split_ascii_whitespace().map(|x| x.parse::<u64>().ok());
    let (Some(Some(a)), Some(Some(b)), None) = (it.next(), it.next(), it.next()) else {
        return None;
    };
    Some([a, b])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_tagged_orders_to_their_frame_and_counts_the_rest() {
        let t = TickToTrade::default();
        t.sent(7, 1_000);
        t.sent(8, 2_000);
        t.order_answered(Some(Trigger::Binance("7")), 51_000, true);
        t.order_answered(Some(Trigger::Binance(" 8 ")), 2_500, true);
        t.order_answered(Some(Trigger::Binance("8")), 2_600, false); // refused by the venue: no sample
        t.order_answered(Some(Trigger::Binance("9")), 3_000, true); // never sent
        t.order_answered(Some(Trigger::Binance("garbage")), 3_000, true);
        t.order_answered(None, 3_000, true);
        let r = t.take(2);
        assert_eq!(r.samples_ns, vec![50_000, 500]);
        assert_eq!((r.unmatched, r.untagged, r.frames_sent), (2, 1, 2));
        assert_eq!(r.refused, 1);
        assert!(r.legs_ns.is_empty());
    }

    #[test]
    fn legs_split_a_sample_when_the_stamps_are_in_order() {
        let t = TickToTrade::default();
        t.sent(1, 1_000);
        t.order_answered_with_legs(Some(Trigger::Binance("1")), Some("1200 1500"), 2_000, true);
        // Out of order (a clock that is not shared): the sample stays, the legs do not.
        t.order_answered_with_legs(Some(Trigger::Binance("1")), Some("900 1500"), 2_000, true);
        t.order_answered_with_legs(Some(Trigger::Binance("1")), Some("1200"), 2_000, true);
        let r = t.take(1);
        assert_eq!(r.samples_ns, vec![1_000, 1_000, 1_000]);
        assert_eq!(r.legs_ns, vec![[200, 300, 500]]);
        // Taking resets.
        assert_eq!(t.take(2).samples_ns, Vec::<u64>::new());
    }

    #[test]
    fn book_updates_are_matched_by_name_and_a_name_sent_twice_is_no_sample() {
        let t = TickToTrade::default();
        let (a, b) = (0xdead_beef_0000_0001u64, 0x0123_4567_89ab_cdefu64);
        t.book_sent(a, 1_000);
        t.book_sent(b, 2_000);
        t.book_sent(b, 2_500); // written again: which write did the client read?
        let book = |tag: u64| tag.to_string();
        let (ta, tb) = (book(a), book(b));
        t.order_answered_with_legs(Some(Trigger::Book(&ta)), Some("1100 1400"), 9_000, true);
        t.order_answered(Some(Trigger::Book(&tb)), 9_000, true);
        t.order_answered(Some(Trigger::Book("42")), 9_000, true);
        t.order_answered(Some(Trigger::Book(&ta)), 9_000, false);
        let r = t.take(0);
        assert_eq!(r.book_samples_ns, vec![8_000]);
        assert_eq!(r.book_legs_ns, vec![[100, 300, 7_600]]);
        assert_eq!((r.book_unmatched, r.book_ambiguous, r.refused), (1, 1, 1));
        // Binance samples are apart.
        assert!(r.samples_ns.is_empty() && r.legs_ns.is_empty());
        assert_eq!((r.unmatched, r.untagged), (0, 0));
        // Taking resets the counts, not the stamps.
        let r = t.take(0);
        assert_eq!((r.book_unmatched, r.book_ambiguous), (0, 0));
    }

    #[test]
    fn the_headers_name_the_trigger() {
        let mut h = axum::http::HeaderMap::new();
        assert_eq!(Trigger::of(&h), None);
        h.insert(BOOK_TRIGGER_HEADER, "12".parse().unwrap());
        assert_eq!(Trigger::of(&h), Some(Trigger::Book("12")));
        h.insert(TRIGGER_HEADER, "7".parse().unwrap());
        assert_eq!(Trigger::of(&h), Some(Trigger::Binance("7")));
    }

    #[test]
    fn a_frame_overwritten_by_a_newer_one_no_longer_matches() {
        let t = TickToTrade::default();
        t.sent(3, 10);
        t.sent(3 + SLOTS as u64, 20);
        assert_eq!(t.sent_at(3), None);
        assert_eq!(t.sent_at(3 + SLOTS as u64), Some(20));
    }
}
